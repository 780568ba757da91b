import type { HeaderAnalysis, RecordInfo } from '../headerAnalysis';
import type { CommandProfile, OpcodeInfo } from '../profile/commandProfile';
import { DecoderCompiler, type DecodedObject, type DecodedValue } from './decoderCompiler';
import { describeValue, fieldMeanings, type Meaning } from './fieldMeaning';

// One command record in, its decoded form out: the opcode's name, every field of its
// payload struct (or of the header when the opcode has none, with the payload as bytes),
// and symbolic labels for fields whose meaning the header gives.

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
  readonly decode: (view: DataView, base: number, end: number) => DecodedObject;
  readonly minimumSize: number;
  readonly meanings: ReadonlyMap<string, Meaning>;
}

export class CommandDecoder {
  private readonly compiler: DecoderCompiler;
  private readonly plans = new Map<bigint, OpcodePlan>();
  private readonly headerPlan: OpcodePlan;

  constructor(
    private readonly analysis: HeaderAnalysis,
    readonly profile: CommandProfile,
  ) {
    this.compiler = new DecoderCompiler(analysis.layoutEngine);
    this.headerPlan = this.plan(undefined);
  }

  decode(bytes: Uint8Array, opcode: number | bigint): DecodedCommand {
    return this.decodeAt(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0, bytes.byteLength, opcode);
  }

  /** Decodes the `size` bytes at `offset` of `view`: no copy, no view of its own. */
  decodeAt(view: DataView, offset: number, size: number, opcode: number | bigint): DecodedCommand {
    const key = typeof opcode === 'bigint' ? opcode : BigInt(opcode);
    let plan = this.plans.get(key);
    if (!plan) {
      plan = this.plan(this.profile.opcodes.get(key));
      this.plans.set(key, plan);
    }
    const name = plan.info?.shortName ?? `0x${key.toString(16)}`;
    const end = offset + size;
    if (size < plan.minimumSize) {
      const fields = size >= this.headerPlan.minimumSize ? this.headerOnly(view, offset, end) : {};
      return new LazyDecodedCommand(opcode, name, size, fields, new Map(), `${size} bytes, but ${plan.info?.payload?.name ?? 'its struct'} needs ${plan.minimumSize}`);
    }
    if (plan.info?.payload) return new LazyDecodedCommand(opcode, name, size, plan.decode(view, offset, end), plan.meanings);
    const fields = this.headerOnly(view, offset, end);
    if (size > this.profile.header.size) fields.payload = hex(new Uint8Array(view.buffer, view.byteOffset + offset + this.profile.header.size, size - this.profile.header.size));
    return new LazyDecodedCommand(opcode, name, size, fields, plan.meanings, plan.info ? undefined : `unknown opcode 0x${key.toString(16)}`);
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

  private plan(info: OpcodeInfo | undefined): OpcodePlan {
    const record = info?.payload ?? this.profile.header;
    // A flexible array member adds nothing to the minimum: the record may end right there.
    return { info, decode: this.compiler.decoderFor(record.decl), minimumSize: record.size, meanings: fieldMeanings(this.analysis, record, this.profile.meanings) };
  }
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
