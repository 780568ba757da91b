import type { HeaderAnalysis, RecordInfo } from '../headerAnalysis';
import type { CommandProfile, OpcodeInfo } from '../profile/commandProfile';
import { DecoderCompiler, type DecodedObject, type DecodedValue, type RecordJsonWriter } from './decoderCompiler';
import { describeValue, fieldMeanings, type Meaning } from './fieldMeaning';
import { PreparedText, writeBytes, writePrepared } from './textBytes';

// One command record in, its decoded form out: the opcode's name, every field of its
// payload struct (or of the header when the opcode has none, with the payload as bytes),
// and symbolic labels for fields whose meaning the header gives. Or, for output by the
// million, the same as JSON text written straight from the bytes (`writeJsonAt`).

export interface DecodedCommand {
  readonly opcode: number | bigint;
  readonly opcodeName: string;
  readonly size: number;
  readonly fields: DecodedObject;
  /** Dotted field path -> symbolic value (`RESOURCE_TEXTURE2D`, `BIND_A|BIND_B`); worked out on first use. */
  readonly labels: Readonly<Record<string, string>>;
  /** Why the record could not be decoded whole (too short for its struct, unknown opcode). */
  readonly error?: string;
}

/** Labels cost string building, so they are made only for the commands someone looks at. */
class LazyDecodedCommand implements DecodedCommand {
  private labelCache: Record<string, string> | undefined;

  constructor(
    readonly opcode: number | bigint,
    readonly opcodeName: string,
    readonly size: number,
    readonly fields: DecodedObject,
    private readonly meanings: ReadonlyMap<string, Meaning>,
    readonly error?: string,
  ) {}

  get labels(): Readonly<Record<string, string>> {
    if (!this.labelCache) {
      this.labelCache = {};
      for (const [path, meaning] of this.meanings) {
        const value = lookup(this.fields, path);
        if (typeof value === 'number' || typeof value === 'bigint') {
          const label = describeValue(meaning, BigInt(value));
          if (label !== undefined) this.labelCache[path] = label;
        }
      }
    }
    return this.labelCache;
  }

  toJSON(): object {
    return { opcode: this.opcode, opcodeName: this.opcodeName, size: this.size, fields: this.fields, labels: this.labels, ...(this.error ? { error: this.error } : {}) };
  }
}

interface OpcodePlan {
  readonly info: OpcodeInfo | undefined;
  readonly name: string;
  readonly decode: (view: DataView, base: number, end: number) => DecodedObject;
  readonly minimumSize: number;
  readonly meanings: ReadonlyMap<string, Meaning>;
  /** Set on first use: the JSON of a command of this opcode decoded whole, its fields and the entries of its labels. */
  json?: { readonly writeFields: RecordJsonWriter; readonly writeLabels: RecordJsonWriter };
}

/** Labels made of one field's values are few: each is made once, up to this many per field. */
const LABELS_KEPT = 4096;

/** The `"path":"label"` text of one field's values, each made once (up to a bound). */
class LabelEntries {
  /** By value: small whole numbers (most enums and flags) in an array, the rest in a map. */
  private readonly small: (PreparedText | null | undefined)[] = [];
  private readonly made = new Map<number | bigint, PreparedText | null>();

  constructor(
    private readonly path: string,
    private readonly meaning: Meaning,
  ) {}

  /** The entry's text for this value; null when the value has no label (as `labels` leaves it out). */
  readonly entry = (value: number | bigint): PreparedText | null => {
    const small = typeof value === 'number' && value >= 0 && value < LABELS_KEPT && (value | 0) === value ? value : -1;
    let entry = small >= 0 ? this.small[small] : this.made.get(value);
    if (entry === undefined) {
      // A float field named for an enum has a label only where it holds a whole number.
      const label = typeof value === 'bigint' || Number.isInteger(value) ? describeValue(this.meaning, BigInt(value)) : undefined;
      entry = label === undefined ? null : new PreparedText(`${JSON.stringify(this.path)}:${JSON.stringify(label)}`);
      if (small >= 0) this.small[small] = entry;
      else if (this.made.size < LABELS_KEPT) this.made.set(value, entry);
    }
    return entry;
  };
}

const FIELDS_KEY = new PreparedText('"fields":');
const EMPTY_FIELDS_AND_LABELS = Buffer.from('"fields":{},"labels":{}');
const LABELS_KEY = new PreparedText(',"labels":{');
const PAYLOAD_KEY = Buffer.from(',"payload":"');

export class CommandDecoder {
  private readonly compiler: DecoderCompiler;
  private readonly plans = new Map<bigint, OpcodePlan>();
  private readonly plansByNumber = new Map<number, OpcodePlan>();
  private readonly headerPlan: OpcodePlan;
  /** `{"hdr":`: how a command decoded as its header alone starts. */
  private readonly headerKey: PreparedText;

  constructor(
    private readonly analysis: HeaderAnalysis,
    readonly profile: CommandProfile,
  ) {
    this.compiler = new DecoderCompiler(analysis.layoutEngine);
    this.headerPlan = this.plan(undefined, '');
    this.headerKey = new PreparedText(`{${JSON.stringify(profile.headerMember)}:`);
  }

  decode(bytes: Uint8Array, opcode: number | bigint): DecodedCommand {
    return this.decodeAt(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0, bytes.byteLength, opcode);
  }

  /** Decodes the `size` bytes at `offset` of `view`: no copy, no view of its own. */
  decodeAt(view: DataView, offset: number, size: number, opcode: number | bigint): DecodedCommand {
    const plan = this.planOf(opcode);
    const end = offset + size;
    const error = this.errorOf(plan, size);
    if (size < plan.minimumSize) {
      const fields = size >= this.headerPlan.minimumSize ? this.headerOnly(view, offset, end) : {};
      return new LazyDecodedCommand(opcode, plan.name, size, fields, new Map(), error);
    }
    if (plan.info?.payload) return new LazyDecodedCommand(opcode, plan.name, size, plan.decode(view, offset, end), plan.meanings);
    const fields = this.headerOnly(view, offset, end);
    if (size > this.profile.header.size) fields.payload = hex(new Uint8Array(view.buffer, view.byteOffset + offset + this.profile.header.size, size - this.profile.header.size));
    return new LazyDecodedCommand(opcode, plan.name, size, fields, plan.meanings, error);
  }

  /** The opcode's short name, `0x...` for one the profile does not know: `decodeAt(...).opcodeName`. */
  opcodeName(opcode: number | bigint): string {
    return this.planOf(opcode).name;
  }

  /** Why a command of this opcode and size does not decode whole, as `decodeAt(...).error` says; undefined when it does. */
  errorFor(opcode: number | bigint, size: number): string | undefined {
    return this.errorOf(this.planOf(opcode), size);
  }

  /**
   * Writes `"fields":{...},"labels":{...}` of the `size` bytes at `offset` of `view` into
   * `out` from `p`, exactly as JSON.stringify writes `decodeAt`'s fields and labels once
   * u64 beyond 2^53 are decimal strings, without decoding them into objects; returns the
   * position after it (`outView` is a DataView of `out`; when `out` is too small, see RecordJsonWriter).
   */
  writeJsonAt(view: DataView, offset: number, size: number, opcode: number | bigint, out: Uint8Array, outView: DataView, p: number): number {
    const plan = this.planOf(opcode);
    const end = offset + size;
    if (size < plan.minimumSize) {
      if (size < this.headerPlan.minimumSize) return writeBytes(out, p, EMPTY_FIELDS_AND_LABELS);
      p = this.writeHeaderOnly(view, offset, end, out, outView, writePrepared(out, outView, p, FIELDS_KEY), false);
      p = writePrepared(out, outView, p, LABELS_KEY);
      return p + closeBrace(out, p);
    }
    const json = (plan.json ??= this.jsonOf(plan));
    p = writePrepared(out, outView, p, FIELDS_KEY);
    p = plan.info?.payload ? json.writeFields(view, offset, end, out, outView, p) : this.writeHeaderOnly(view, offset, end, out, outView, p, size > this.profile.header.size);
    p = json.writeLabels(view, offset, end, out, outView, writePrepared(out, outView, p, LABELS_KEY));
    return p + closeBrace(out, p);
  }

  /** Any struct of the header (a control region, say), decoded from the start of `bytes`, with labels. */
  decodeStruct(record: RecordInfo, bytes: Uint8Array): { fields: DecodedObject; labels: Readonly<Record<string, string>> } {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const decoded = new LazyDecodedCommand(0, record.name, record.size, this.compiler.decoderFor(record.decl)(view, 0, record.size), fieldMeanings(this.analysis, record));
    return { fields: decoded.fields, labels: decoded.labels };
  }

  /** A command without a payload struct: its header under the name payload structs use for it. */
  private headerOnly(view: DataView, offset: number, end: number): DecodedObject {
    return { [this.profile.headerMember]: this.headerPlan.decode(view, offset, end) };
  }

  private planOf(opcode: number | bigint): OpcodePlan {
    // Opcodes come as numbers from the index: found without making a bigint per command.
    let plan = typeof opcode === 'number' ? this.plansByNumber.get(opcode) : undefined;
    if (plan) return plan;
    const key = typeof opcode === 'bigint' ? opcode : BigInt(opcode);
    plan = this.plans.get(key);
    if (!plan) {
      plan = this.plan(this.profile.opcodes.get(key), `0x${key.toString(16)}`);
      this.plans.set(key, plan);
    }
    if (typeof opcode === 'number') this.plansByNumber.set(opcode, plan);
    return plan;
  }

  private errorOf(plan: OpcodePlan, size: number): string | undefined {
    if (size < plan.minimumSize) return `${size} bytes, but ${plan.info?.payload?.name ?? 'its struct'} needs ${plan.minimumSize}`;
    return plan.info ? undefined : `unknown opcode ${plan.name}`;
  }

  private plan(info: OpcodeInfo | undefined, unknownName: string): OpcodePlan {
    const record = info?.payload ?? this.profile.header;
    // A flexible array member adds nothing to the minimum: the record may end right there.
    return { info, name: info?.shortName ?? unknownName, decode: this.compiler.decoderFor(record.decl), minimumSize: record.size, meanings: fieldMeanings(this.analysis, record, this.profile.meanings) };
  }

  /**
   * The plan's JSON writer, and its labels resolved as `labels` finds them: by path in the
   * decoded fields, so a command decoded as its header alone (fields under the header's
   * member name, meanings by the header's own paths) has none, just as `decodeAt` gives.
   */
  private jsonOf(plan: OpcodePlan): NonNullable<OpcodePlan['json']> {
    const payload = plan.info?.payload;
    const prefix = `${this.profile.headerMember}.`;
    const labels: { path: string; entry: LabelEntries['entry'] }[] = [];
    for (const [path, meaning] of plan.meanings) {
      const within = payload ? path : path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
      if (within !== undefined) labels.push({ path: within, entry: new LabelEntries(path, meaning).entry });
    }
    const decl = (payload ?? this.profile.header).decl;
    // A command decoded as its header alone has its header's fields under the header's member name.
    const labelled = payload ? decl : this.profile.header.decl;
    return { writeFields: this.compiler.jsonWriterFor(decl), writeLabels: this.compiler.labelsWriterFor(labelled, labels) };
  }

  /** `{"hdr":{...}}` (the header's member name), with the bytes after the header as `"payload":"hex"` when asked. */
  private writeHeaderOnly(view: DataView, offset: number, end: number, out: Uint8Array, outView: DataView, p: number, withPayload: boolean): number {
    p = writePrepared(out, outView, p, this.headerKey);
    p = this.compiler.jsonWriterFor(this.profile.header.decl)(view, offset, end, out, outView, p);
    if (withPayload) {
      p = writeBytes(out, p, PAYLOAD_KEY);
      for (let at = offset + this.profile.header.size; at < end; at++) {
        const byte = view.getUint8(at);
        out[p++] = HEX_DIGITS[byte >> 4]!;
        out[p++] = HEX_DIGITS[byte & 15]!;
      }
      out[p++] = 0x22;
    }
    return p + closeBrace(out, p);
  }
}

const HEX_DIGITS = Buffer.from('0123456789abcdef');

/** Writes `}`; returns 1, its length. */
function closeBrace(out: Uint8Array, p: number): number {
  out[p] = 0x7d;
  return 1;
}

/** A value by dotted path (`viewports[0].x`, `hdr.type`) in a decoded object. */
export function lookup(fields: DecodedObject, path: string): DecodedValue | undefined {
  let current: DecodedValue | undefined = fields;
  for (const part of path.split(/\.|(?=\[)/)) {
    if (current === undefined || typeof current !== 'object') return undefined;
    const index = /^\[(\d+)\]$/.exec(part);
    current = index ? (Array.isArray(current) ? current[Number(index[1])] : undefined) : Array.isArray(current) ? undefined : current[part];
  }
  return current;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
