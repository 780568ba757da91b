import type { LayoutEngine, RecordLayout } from '../layout/recordLayout';
import { resolveTypedefs, type CType } from '../model/types';
import { objectIdField, type CommandProfile, type OpcodeInfo } from '../profile/commandProfile';
import { writeUnsigned } from '../ring/recordFraming';

// Builds plausible commands for any protocol from its header alone: every scalar of the
// payload struct gets a value of its type (small counts and ids, sizes of a screen for
// floats, a valid constant for enums), the header gets its opcode and size. Deterministic
// for a seed, so a test can build the same stream the simulator wrote.

export interface SynthesizedCommand {
  readonly opcode: OpcodeInfo;
  readonly bytes: Uint8Array;
}

export class CommandSynthesizer {
  private readonly templates = new Map<bigint, Uint8Array>();
  private state: number;
  /** A little-endian header field named like a resource id, varied per command. */
  private readonly resourceField: { offset: number; size: number } | undefined;

  constructor(
    private readonly engine: LayoutEngine,
    readonly profile: CommandProfile,
    seed = 1,
  ) {
    this.state = seed >>> 0 || 1;
    const field = objectIdField(profile);
    const type = field?.resolved;
    this.resourceField = field && type?.kind === 'integer' && type.byteOrder === 'little' ? { offset: field.offset, size: field.size } : undefined;
  }

  /** A command of this opcode; `patch` may set fields (a fence value) before it is returned. */
  build(opcode: OpcodeInfo, patch?: (bytes: Uint8Array, view: DataView) => void): SynthesizedCommand {
    let template = this.templates.get(opcode.value);
    if (!template) {
      template = this.template(opcode);
      this.templates.set(opcode.value, template);
    }
    const bytes = template.slice();
    // A little variety per command: the resource id cycles through a small working set
    // (written byte by byte: this runs a million times a second in the simulator).
    const resource = this.resourceField;
    if (resource) {
      const id = 1 + (this.next() % 32);
      bytes[resource.offset] = id;
      for (let k = 1; k < resource.size; k++) bytes[resource.offset + k] = 0;
    }
    if (patch) patch(bytes, new DataView(bytes.buffer));
    return { opcode, bytes };
  }

  /** Uniform 32-bit pseudo-random numbers (mulberry32). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  private template(opcode: OpcodeInfo): Uint8Array {
    const record = opcode.payload ?? this.profile.header;
    // Flexible arrays get a few elements, so variable-length commands vary in size.
    const extra = record.fields.some((f) => f.count === 0) ? 4 * (1 + (this.next() % 8)) : 0;
    const bytes = new Uint8Array(record.size + extra);
    const view = new DataView(bytes.buffer);
    this.fill(this.engine.layoutOf(record.decl), 0, view);
    const framing = this.profile.framing;
    writeUnsigned(bytes, 0, framing.opcode, opcode.value);
    if (framing.size) writeUnsigned(bytes, 0, framing.size, BigInt(bytes.length - (framing.size.includesHeader ? 0 : framing.headerSize)));
    return bytes;
  }

  private fill(layout: RecordLayout, base: number, view: DataView): void {
    for (const m of layout.members) {
      if (m.bitWidth !== undefined) continue; // left zero: always a valid value
      this.fillValue(m.member.type, base + m.offset, view);
    }
  }

  private fillValue(type: CType, at: number, view: DataView): void {
    const t = resolveTypedefs(type);
    switch (t.kind) {
      case 'integer': {
        const value = t.isBool ? this.next() & 1 : t.size === 1 ? this.next() % 4 : this.next() % 1024;
        if (t.size === 8) view.setBigUint64(at, BigInt(value), t.byteOrder === 'little');
        else if (t.size === 4) view.setUint32(at, value, t.byteOrder === 'little');
        else if (t.size === 2) view.setUint16(at, value, t.byteOrder === 'little');
        else if (t.size === 1) view.setUint8(at, value);
        return;
      }
      case 'enum': {
        const constants = t.decl.constants ?? [];
        const value = constants.length ? constants[this.next() % constants.length]!.value : 0n;
        const size = this.engine.enumType(t.decl).size;
        if (size === 8) view.setBigInt64(at, value, true);
        else view.setInt32(at, Number(value), true);
        return;
      }
      case 'float':
        if (t.size === 4) view.setFloat32(at, (this.next() % 19200) / 10, true);
        else if (t.size === 8) view.setFloat64(at, (this.next() % 19200) / 10, true);
        return;
      case 'record':
        this.fill(this.engine.layoutOf(t.decl), at, view);
        return;
      case 'array': {
        const stride = this.engine.sizeOf(t.element) ?? 0;
        for (let i = 0; i < (t.length ?? 0); i++) this.fillValue(t.element, at + i * stride, view);
        return;
      }
      default:
        return; // pointers stay null
    }
  }
}
