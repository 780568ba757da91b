import type { HeaderAnalysis } from '../headerAnalysis';
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
  /** Dotted field path -> symbolic value (`RESOURCE_TEXTURE2D`, `BIND_A|BIND_B`). */
  readonly labels: Readonly<Record<string, string>>;
  /** Why the record could not be decoded whole (too short for its struct, unknown opcode). */
  readonly error?: string;
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
    const key = BigInt(opcode);
    let plan = this.plans.get(key);
    if (!plan) {
      plan = this.plan(this.profile.opcodes.get(key));
      this.plans.set(key, plan);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const name = plan.info?.shortName ?? `0x${key.toString(16)}`;
    if (bytes.byteLength < plan.minimumSize) {
      const fields = bytes.byteLength >= this.headerPlan.minimumSize ? this.headerOnly(view, bytes.byteLength) : {};
      return { opcode, opcodeName: name, size: bytes.byteLength, fields, labels: {}, error: `${bytes.byteLength} bytes, but ${plan.info?.payload?.name ?? 'its struct'} needs ${plan.minimumSize}` };
    }
    const fields = plan.info?.payload ? plan.decode(view, 0, bytes.byteLength) : this.headerOnly(view, bytes.byteLength);
    if (!plan.info?.payload && bytes.byteLength > this.profile.header.size) {
      fields.payload = hex(bytes.subarray(this.profile.header.size));
    }
    const labels: Record<string, string> = {};
    for (const [path, meaning] of plan.meanings) {
      const value = lookup(fields, path);
      if (typeof value === 'number' || typeof value === 'bigint') {
        const label = describeValue(meaning, BigInt(value));
        if (label !== undefined) labels[path] = label;
      }
    }
    return { opcode, opcodeName: name, size: bytes.byteLength, fields, labels, ...(plan.info ? {} : { error: `unknown opcode 0x${key.toString(16)}` }) };
  }

  /** A command without a payload struct: its header under the name payload structs use for it. */
  private headerOnly(view: DataView, end: number): DecodedObject {
    return { [this.profile.headerMember]: this.headerPlan.decode(view, 0, end) };
  }

  private plan(info: OpcodeInfo | undefined): OpcodePlan {
    const record = info?.payload ?? this.profile.header;
    // A flexible array member adds nothing to the minimum: the record may end right there.
    return { info, decode: this.compiler.decoderFor(record.decl), minimumSize: record.size, meanings: fieldMeanings(this.analysis, record) };
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
