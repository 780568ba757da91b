import type { Abi } from '../abi';
import { HeaderError } from '../diagnostics';
import { resolveTypedefs, type CType, type EnumDecl, type MemberDecl, type RecordDecl } from '../model/types';

// Lays records out exactly as the ABI's compiler does. The two families differ in how
// bit-fields share storage and in what `#pragma pack` may override:
//  - System V (GCC, Clang): bit-fields are packed into the bit stream and only move when
//    they would cross a boundary of their declared type's alignment; pack caps every
//    member's alignment, `aligned` attributes included.
//  - MSVC: a bit-field shares a storage unit with the previous one only if both declared
//    types have the same size and it still fits; `__declspec(align)` is not capped by pack.

export interface MemberLayout {
  readonly member: MemberDecl;
  /** Bytes from the record start; for a bit-field, the start of its storage unit. */
  readonly offset: number;
  /** Bytes; for a bit-field, the size of its storage unit (its declared type). */
  readonly size: number;
  /** Effective alignment the member was placed with. */
  readonly align: number;
  /** Bit-fields only: bits from the record start. */
  readonly bitOffset?: number;
  readonly bitWidth?: number;
}

export interface RecordLayout {
  readonly size: number;
  readonly align: number;
  readonly members: readonly MemberLayout[];
}

/** No shared-memory protocol has objects near this; beyond it byte offsets stop being exact doubles. */
const MAX_OBJECT_BYTES = 2 ** 40;

export class LayoutEngine {
  private readonly layouts = new Map<RecordDecl, RecordLayout>();
  private readonly inProgress = new Set<RecordDecl>();

  constructor(readonly abi: Abi) {}

  /** Size in bytes, or undefined for incomplete types (flexible arrays, undefined structs, void). */
  sizeOf(type: CType): number | undefined {
    const t = resolveTypedefs(type);
    switch (t.kind) {
      case 'integer':
      case 'float':
        return t.size;
      case 'pointer':
        return this.abi.pointerSize;
      case 'array': {
        if (t.length === undefined) return undefined;
        const element = this.sizeOf(t.element);
        return element === undefined ? undefined : element * t.length;
      }
      case 'record':
        return t.decl.complete ? this.layoutOf(t.decl).size : undefined;
      case 'enum':
        return this.enumType(t.decl).size;
      case 'void':
      case 'function':
        return undefined;
    }
  }

  alignOf(type: CType): number {
    if (type.kind === 'typedef') return Math.max(this.alignOf(type.target), type.alignAttribute ?? 1);
    switch (type.kind) {
      case 'integer':
      case 'float':
        return type.align;
      case 'pointer':
        return this.abi.pointerSize;
      case 'array':
        return this.alignOf(type.element);
      case 'record':
        return this.layoutOf(type.decl).align;
      case 'enum':
        return this.enumType(type.decl).align;
      case 'void':
      case 'function':
        return 1;
    }
  }

  /**
   * Alignment asked for explicitly on the type (a `__declspec(align)`/`aligned` record or
   * typedef, also through arrays and typedef chains), which MSVC never lets pack reduce.
   */
  requestedAlignOf(type: CType): number {
    switch (type.kind) {
      case 'typedef':
        return Math.max(type.alignAttribute ?? 1, this.requestedAlignOf(type.target));
      case 'array':
        return this.requestedAlignOf(type.element);
      case 'record': {
        const members = type.decl.members ?? [];
        return Math.max(type.decl.alignAttribute ?? 1, ...members.map((m) => Math.max(m.alignAttribute ?? 1, this.requestedAlignOf(m.type))));
      }
      default:
        return 1;
    }
  }

  /** The integer type an enum is stored as. */
  enumType(decl: EnumDecl): { size: number; align: number; signed: boolean } {
    if (decl.underlying) return decl.underlying;
    if (this.abi.family === 'msvc') return { size: 4, align: 4, signed: true };
    const values = (decl.constants ?? []).map((c) => c.value);
    const min = values.reduce((a, b) => (b < a ? b : a), 0n);
    const max = values.reduce((a, b) => (b > a ? b : a), 0n);
    // GCC: unsigned int when nothing is negative and all fit, int when they fit, else 64 bits.
    if (min >= 0n && max <= 0xffffffffn) return { size: 4, align: 4, signed: !(max > 0x7fffffffn) };
    if (min >= -0x80000000n && max <= 0x7fffffffn) return { size: 4, align: 4, signed: true };
    return { size: 8, align: 8, signed: min < 0n };
  }

  layoutOf(decl: RecordDecl): RecordLayout {
    const cached = this.layouts.get(decl);
    if (cached) return cached;
    const name = decl.displayName ?? `anonymous ${decl.kind}`;
    if (!decl.members) throw new HeaderError(`${name} is declared but never defined, so its size is unknown`, decl.location);
    if (this.inProgress.has(decl)) throw new HeaderError(`${name} contains itself`, decl.location);
    this.inProgress.add(decl);
    try {
      const layout = decl.kind === 'union' ? this.layoutUnion(decl) : this.abi.family === 'msvc' ? this.layoutMsvcStruct(decl) : this.layoutSysvStruct(decl);
      this.layouts.set(decl, layout);
      return layout;
    } finally {
      this.inProgress.delete(decl);
    }
  }

  private memberSize(member: MemberDecl, decl: RecordDecl, isLast: boolean): number {
    const size = this.sizeOf(member.type);
    if (size !== undefined && size > MAX_OBJECT_BYTES) throw new HeaderError(`member "${member.name ?? ''}" is larger than ${MAX_OBJECT_BYTES} bytes`, member.location);
    if (size !== undefined) return size;
    const t = resolveTypedefs(member.type);
    if (t.kind === 'array' && t.length === undefined) {
      if (!isLast || decl.kind === 'union') throw new HeaderError(`flexible array member "${member.name ?? ''}" must be the last member of a struct`, member.location);
      return 0;
    }
    throw new HeaderError(`member "${member.name ?? ''}" has an incomplete type, so ${decl.displayName ?? 'the record'} has no size`, member.location);
  }

  /** Alignment a non-bit-field member is placed with. */
  private memberAlign(member: MemberDecl, decl: RecordDecl): number {
    const natural = this.alignOf(member.type);
    const requested = member.alignAttribute ?? 1;
    if (this.abi.family === 'msvc') {
      const packed = decl.pack === undefined ? natural : Math.min(natural, decl.pack);
      return Math.max(packed, requested, this.requestedAlignOf(member.type));
    }
    const packed = decl.packedAttribute || member.packedAttribute;
    const align = Math.max(packed ? 1 : natural, requested);
    return decl.pack === undefined ? align : Math.min(align, decl.pack);
  }

  private finish(decl: RecordDecl, members: MemberLayout[], endBytes: number, align: number): RecordLayout {
    const recordAlign = Math.max(align, decl.alignAttribute ?? 1);
    const size = roundUp(endBytes, recordAlign);
    return { size, align: recordAlign, members };
  }

  private layoutUnion(decl: RecordDecl): RecordLayout {
    const members: MemberLayout[] = [];
    let size = 0;
    let align = 1;
    for (const member of decl.members!) {
      const memberSize = this.memberSize(member, decl, false);
      if (member.bitWidth !== undefined) {
        const unitAlign = this.bitFieldAlign(member, decl);
        if (member.bitWidth > 0 && (member.name !== undefined || this.abi.unnamedBitFieldsAlignRecord)) align = Math.max(align, unitAlign);
        size = Math.max(size, this.abi.family === 'msvc' ? memberSize : Math.ceil(member.bitWidth / 8));
        if (member.bitWidth > 0) members.push({ member, offset: 0, size: memberSize, align: unitAlign, bitOffset: 0, bitWidth: member.bitWidth });
        continue;
      }
      const memberAlign = this.memberAlign(member, decl);
      align = Math.max(align, memberAlign);
      size = Math.max(size, memberSize);
      members.push({ member, offset: 0, size: memberSize, align: memberAlign });
    }
    return this.finish(decl, members, size, align);
  }

  private bitFieldAlign(member: MemberDecl, decl: RecordDecl): number {
    const natural = this.alignOf(member.type);
    if (this.abi.family === 'sysv' && (decl.packedAttribute || member.packedAttribute)) return 1;
    return decl.pack === undefined ? natural : Math.min(natural, decl.pack);
  }

  private layoutSysvStruct(decl: RecordDecl): RecordLayout {
    const members: MemberLayout[] = [];
    let bit = 0;
    let align = 1;
    const all = decl.members!;
    all.forEach((member, index) => {
      const size = this.memberSize(member, decl, index === all.length - 1);
      if (member.bitWidth === undefined) {
        const memberAlign = this.memberAlign(member, decl);
        const offset = roundUp(Math.ceil(bit / 8), memberAlign);
        members.push({ member, offset, size, align: memberAlign });
        bit = (offset + size) * 8;
        align = Math.max(align, memberAlign);
        return;
      }
      const width = member.bitWidth;
      const typeBits = size * 8;
      const unitAlign = this.bitFieldAlign(member, decl);
      if (width === 0) {
        // `:0` ends the current unit: the next member starts at the type's alignment.
        bit = roundUp(bit, this.alignOf(member.type) * 8);
        if (this.abi.unnamedBitFieldsAlignRecord) align = Math.max(align, unitAlign);
        return;
      }
      const packed = decl.packedAttribute || member.packedAttribute;
      if (!packed && (bit % (unitAlign * 8)) + width > typeBits) bit = roundUp(bit, unitAlign * 8);
      const unitOffset = Math.floor(bit / typeBits) * size;
      members.push({ member, offset: unitOffset, size, align: unitAlign, bitOffset: bit, bitWidth: width });
      bit += width;
      if (member.name !== undefined || this.abi.unnamedBitFieldsAlignRecord) align = Math.max(align, unitAlign);
    });
    return this.finish(decl, members, Math.ceil(bit / 8), align);
  }

  private layoutMsvcStruct(decl: RecordDecl): RecordLayout {
    const members: MemberLayout[] = [];
    let offset = 0;
    let align = 1;
    let unit: { offset: number; size: number; usedBits: number } | undefined;
    const all = decl.members!;
    all.forEach((member, index) => {
      const size = this.memberSize(member, decl, index === all.length - 1);
      if (member.bitWidth === undefined) {
        unit = undefined;
        const memberAlign = this.memberAlign(member, decl);
        offset = roundUp(offset, memberAlign);
        members.push({ member, offset, size, align: memberAlign });
        offset += size;
        align = Math.max(align, memberAlign);
        return;
      }
      const width = member.bitWidth;
      if (width === 0) {
        // After a bit-field it ends that unit, aligns what follows to its type and raises the
        // record's alignment; after anything else MSVC ignores it.
        if (unit) {
          const zeroAlign = this.memberAlign(member, decl);
          offset = roundUp(offset, zeroAlign);
          align = Math.max(align, zeroAlign);
          unit = undefined;
        }
        return;
      }
      const unitAlign = this.memberAlign(member, decl);
      if (unit?.size !== size || unit.usedBits + width > size * 8) {
        offset = roundUp(offset, unitAlign);
        unit = { offset, size, usedBits: 0 };
        offset += size;
      }
      members.push({ member, offset: unit.offset, size, align: unitAlign, bitOffset: unit.offset * 8 + unit.usedBits, bitWidth: width });
      unit.usedBits += width;
      align = Math.max(align, unitAlign);
    });
    return this.finish(decl, members, offset, align);
  }
}

export function roundUp(value: number, align: number): number {
  return align <= 1 ? value : Math.ceil(value / align) * align;
}
