import type { FilterValue } from '../filter/filterApi';
import type { LayoutEngine } from '../layout/recordLayout';
import { resolveTypedefs, type CType, type RecordDecl } from '../model/types';
import { readBits } from './decoderCompiler';

// Reads one field of a command straight from its bytes, at the offset the layout engine
// gives: what a filter needs from each of millions of commands, without decoding the rest
// of the command. `viewports[2].x`, `rtv_ids[3]`, `hdr.flags` and anonymous members (as C
// sees them: transparent) are resolved once per struct and field; reading is one typed read.

/** Reads the field of the command at `base`; undefined when the command ends before it. */
export type FieldReader = (view: DataView, base: number, end: number) => FilterValue;

/** Where a field sits in a record: its offset, its type, and for a bit-field its bits (from the record's start). */
export interface Placement {
  readonly offset: number;
  readonly type: CType;
  readonly bitOffset?: number;
  readonly bitWidth?: number;
}

/**
 * A reader for `path` inside `decl`, or undefined when the struct has no such field (or the
 * path names a struct rather than a value). Char arrays read as their bytes.
 */
export function fieldReader(engine: LayoutEngine, decl: RecordDecl, path: string): FieldReader | undefined {
  const placement = placeField(engine, decl, path);
  if (!placement) return undefined;
  const { offset } = placement;
  const type = resolveTypedefs(placement.type);
  if (placement.bitWidth !== undefined) {
    const signed = type.kind === 'integer' ? type.signed : type.kind === 'enum' ? engine.enumType(type.decl).signed : false;
    const bits = placement.bitOffset!;
    const width = placement.bitWidth;
    const lastByte = Math.ceil((bits + width) / 8);
    const isBool = type.kind === 'integer' && type.isBool === true;
    return (view, base, end) => {
      if (base + lastByte > end) return undefined;
      const value = readBits(view, base, bits, width, signed);
      return isBool ? value !== 0 : value;
    };
  }
  const size = engine.sizeOf(type);
  if (size === undefined && !(type.kind === 'array' && type.length === undefined)) return undefined;
  const within = (base: number, end: number) => base + offset + (size ?? 0) <= end;
  switch (type.kind) {
    case 'integer': {
      const little = type.byteOrder === 'little';
      if (type.isBool) return (view, base, end) => (within(base, end) ? view.getUint8(base + offset) !== 0 : undefined);
      const signed = type.signed;
      switch (type.size) {
        case 1:
          return (view, base, end) => (within(base, end) ? (signed ? view.getInt8(base + offset) : view.getUint8(base + offset)) : undefined);
        case 2:
          return (view, base, end) => (within(base, end) ? (signed ? view.getInt16(base + offset, little) : view.getUint16(base + offset, little)) : undefined);
        case 4:
          return (view, base, end) => (within(base, end) ? (signed ? view.getInt32(base + offset, little) : view.getUint32(base + offset, little)) : undefined);
        case 8:
          return (view, base, end) => (within(base, end) ? (signed ? view.getBigInt64(base + offset, little) : view.getBigUint64(base + offset, little)) : undefined);
        default:
          return undefined;
      }
    }
    case 'enum': {
      const e = engine.enumType(type.decl);
      if (e.size === 8) return (view, base, end) => (within(base, end) ? (e.signed ? view.getBigInt64(base + offset, true) : view.getBigUint64(base + offset, true)) : undefined);
      if (e.size === 4) return (view, base, end) => (within(base, end) ? (e.signed ? view.getInt32(base + offset, true) : view.getUint32(base + offset, true)) : undefined);
      if (e.size === 2) return (view, base, end) => (within(base, end) ? (e.signed ? view.getInt16(base + offset, true) : view.getUint16(base + offset, true)) : undefined);
      return (view, base, end) => (within(base, end) ? (e.signed ? view.getInt8(base + offset) : view.getUint8(base + offset)) : undefined);
    }
    case 'float':
      if (type.size === 4) return (view, base, end) => (within(base, end) ? view.getFloat32(base + offset, true) : undefined);
      if (type.size === 8) return (view, base, end) => (within(base, end) ? view.getFloat64(base + offset, true) : undefined);
      return undefined;
    case 'pointer':
      return (view, base, end) => (within(base, end) ? view.getBigUint64(base + offset, true) : undefined);
    case 'array': {
      // Only char arrays are values (strings for `==` and `~`); a flexible one runs to the end.
      const element = resolveTypedefs(type.element);
      if (element.kind !== 'integer' || !element.isChar) return undefined;
      const length = type.length;
      return (view, base, end) => {
        const from = base + offset;
        const to = length === undefined ? end : from + length;
        return to <= end && from <= to ? new Uint8Array(view.buffer, view.byteOffset + from, to - from) : undefined;
      };
    }
    default:
      return undefined;
  }
}

/** Where `path` sits in `decl`: member names through nested and anonymous members, `[i]` into arrays. */
export function placeField(engine: LayoutEngine, decl: RecordDecl, path: string): Placement | undefined {
  const parts = path.match(/[^.[\]]+|\[\d+\]/g);
  if (!parts || parts.join('').length + (path.match(/\./g)?.length ?? 0) !== path.length) return undefined;
  let current: Placement = { offset: 0, type: { kind: 'record', decl } };
  for (const part of parts) {
    const type = resolveTypedefs(current.type);
    if (current.bitWidth !== undefined) return undefined;
    if (part.startsWith('[')) {
      if (type.kind !== 'array') return undefined;
      const index = Number(part.slice(1, -1));
      if (type.length !== undefined && index >= type.length) return undefined;
      const stride = engine.sizeOf(type.element);
      if (stride === undefined) return undefined;
      current = { offset: current.offset + index * stride, type: type.element };
      continue;
    }
    if (type.kind !== 'record' || !type.decl.complete) return undefined;
    const found = member(engine, type.decl, part);
    if (!found) return undefined;
    current = { ...found, offset: current.offset + found.offset, ...(found.bitOffset !== undefined ? { bitOffset: current.offset * 8 + found.bitOffset } : {}) };
  }
  return current;
}

/** A named member of a record, looking through anonymous structs and unions as C does. */
function member(engine: LayoutEngine, decl: RecordDecl, name: string): Placement | undefined {
  for (const m of engine.layoutOf(decl).members) {
    if (m.member.name === name) {
      return { offset: m.offset, type: m.member.type, ...(m.bitWidth !== undefined ? { bitOffset: m.bitOffset!, bitWidth: m.bitWidth } : {}) };
    }
    const type = resolveTypedefs(m.member.type);
    if (m.member.name === undefined && type.kind === 'record') {
      const inner = member(engine, type.decl, name);
      if (inner) return { ...inner, offset: m.offset + inner.offset, ...(inner.bitOffset !== undefined ? { bitOffset: m.offset * 8 + inner.bitOffset } : {}) };
    }
  }
  return undefined;
}
