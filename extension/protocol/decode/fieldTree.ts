import type { SourceLocation } from '../diagnostics';
import type { LayoutEngine, RecordLayout } from '../layout/recordLayout';
import { resolveTypedefs, typeSpelling, type CType } from '../model/types';
import type { CommandProfile } from '../profile/commandProfile';
import type { DecodedCommand } from './commandDecoder';
import type { DecodedObject, DecodedValue } from './decoderCompiler';

// A decoded command as the tree a detail pane shows: every member in declaration order,
// nested structs, anonymous unions and arrays as branches, each node with the bytes it
// occupies (from the layout engine), so selecting a field lights up its bytes and a byte
// finds its field. Values are the decoder's; the tree only adds where they live.

export interface FieldNode {
  /** The member name, `[i]` for an array element, `(anonymous union)` for an unnamed member. */
  readonly name: string;
  /** Dotted path as filters and the decoder name it (`viewports[0].x`); empty for anonymous members. */
  readonly path: string;
  /** The declared type as written. */
  readonly type: string;
  /** Bytes from the command's start; a bit-field's storage unit. */
  readonly offset: number;
  readonly size: number;
  /** Bit-fields: bits from the command's start, and width. */
  readonly bitOffset?: number;
  readonly bitWidth?: number;
  /** Scalars: the value in decimal (floats as JavaScript prints them). */
  readonly value?: string;
  /** Integers: the value in hex. */
  readonly hex?: string;
  /** The symbolic value the header gives (enum constant, flag names). */
  readonly label?: string;
  readonly children?: readonly FieldNode[];
  /** Array elements left out (the tree shows the first ones). */
  readonly omitted?: number;
  /** Where the member is declared. */
  readonly location?: SourceLocation;
}

/** Array elements shown; the rest are counted in `omitted`. */
const MAX_ELEMENTS = 64;

export function fieldTree(engine: LayoutEngine, profile: CommandProfile, decoded: DecodedCommand, size: number): FieldNode[] {
  const info = profile.opcodes.get(BigInt(decoded.opcode));
  const payload = info?.payload && size >= info.payload.size ? info.payload : undefined;
  if (payload) return new TreeBuilder(engine, decoded).members(engine.layoutOf(payload.decl), decoded.fields, 0, '', size);
  // Header only (no struct for this opcode, or too short for it): the header, then the rest as bytes.
  const header = profile.header;
  const headerFields = decoded.fields[profile.headerMember];
  const nodes: FieldNode[] = [];
  if (headerFields && typeof headerFields === 'object' && !Array.isArray(headerFields)) {
    const children = new TreeBuilder(engine, decoded, `${profile.headerMember}.`).members(engine.layoutOf(header.decl), headerFields, 0, `${profile.headerMember}.`, size);
    nodes.push({ name: profile.headerMember, path: profile.headerMember, type: header.name, offset: 0, size: header.size, children, location: header.location });
  }
  if (size > header.size) nodes.push({ name: 'payload', path: 'payload', type: `uint8_t[${size - header.size}]`, offset: header.size, size: size - header.size });
  return nodes;
}

class TreeBuilder {
  constructor(
    private readonly engine: LayoutEngine,
    private readonly decoded: DecodedCommand,
    /** What paths start with that label keys do not (a header-only command's `hdr.`). */
    private readonly labelPrefix = '',
  ) {}

  members(layout: RecordLayout, values: DecodedObject, base: number, prefix: string, end: number): FieldNode[] {
    const nodes: FieldNode[] = [];
    for (const m of layout.members) {
      const member = m.member;
      if (member.bitWidth !== undefined && member.name === undefined) continue; // padding
      const offset = base + m.offset;
      const type = resolveTypedefs(member.type);
      if (member.name === undefined && type.kind === 'record') {
        // Anonymous struct or union: its members are the parent's, as in C.
        const children = this.members(this.engine.layoutOf(type.decl), values, offset, prefix, end);
        nodes.push({ name: `(anonymous ${type.decl.kind})`, path: '', type: type.decl.kind, offset, size: m.size, children, location: member.location });
        continue;
      }
      const name = member.name ?? '';
      const path = prefix + name;
      if (member.bitWidth !== undefined) {
        nodes.push({ ...this.scalar(values[name], path), name, path, type: typeSpelling(member.type), offset, size: m.size, bitOffset: base * 8 + m.bitOffset!, bitWidth: member.bitWidth, location: member.location });
        continue;
      }
      nodes.push({ ...this.value(member.type, values[name], path, offset, end), name, location: member.location });
    }
    return nodes;
  }

  private value(declared: CType, value: DecodedValue | undefined, path: string, offset: number, end: number): Omit<FieldNode, 'name'> {
    const type = resolveTypedefs(declared);
    const spelled = typeSpelling(declared);
    if (type.kind === 'record' && value !== undefined && typeof value === 'object' && !Array.isArray(value)) {
      const layout = this.engine.layoutOf(type.decl);
      return { path, type: spelled, offset, size: layout.size, children: this.members(layout, value, offset, `${path}.`, end) };
    }
    if (type.kind === 'array' && Array.isArray(value)) {
      const stride = this.engine.sizeOf(type.element) ?? 0;
      const shown = value.slice(0, MAX_ELEMENTS);
      const children = shown.map((element, i) => ({ ...this.value(type.element, element, `${path}[${i}]`, offset + i * stride, end), name: `[${i}]` }));
      const size = type.length === undefined ? Math.max(0, end - offset) : stride * type.length;
      return { path, type: spelled, offset, size, children, ...(value.length > MAX_ELEMENTS ? { omitted: value.length - MAX_ELEMENTS } : {}) };
    }
    return { ...this.scalar(value, path), path, type: spelled, offset, size: this.engine.sizeOf(declared) ?? 0 };
  }

  private scalar(value: DecodedValue | undefined, path: string): { value?: string; hex?: string; label?: string } {
    const label = this.decoded.labels[path] ?? this.decoded.labels[path.slice(this.labelPrefix.length)];
    const labelled = label === undefined ? {} : { label };
    if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) {
      const big = BigInt(value);
      return { value: big.toString(), hex: big < 0n ? `-0x${(-big).toString(16)}` : `0x${big.toString(16)}`, ...labelled };
    }
    if (value === undefined || typeof value === 'object') return labelled;
    return { value: String(value), ...labelled };
  }
}
