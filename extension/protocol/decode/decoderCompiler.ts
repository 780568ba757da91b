import type { LayoutEngine, MemberLayout, RecordLayout } from '../layout/recordLayout';
import { resolveTypedefs, type CType, type RecordDecl } from '../model/types';

// Compiles a record's layout into a specialised JavaScript function: straight-line typed
// reads at constant offsets, byte order per field, no interpretation of the layout at
// decode time. Only numbers produced here go into the generated source; member names
// are emitted through JSON.stringify, so nothing from a header can become code.

export type DecodedValue = number | bigint | boolean | string | DecodedValue[] | DecodedObject;
export interface DecodedObject {
  [name: string]: DecodedValue;
}

/** Decodes the record starting at `base` in `view`; `end` bounds flexible array members. */
export type RecordDecoder = (view: DataView, base: number, end: number) => DecodedObject;

/** Arrays longer than this are decoded by a loop instead of unrolled reads. */
const UNROLL_LIMIT = 16;

export class DecoderCompiler {
  private readonly compiled = new Map<RecordDecl, RecordDecoder>();

  constructor(private readonly engine: LayoutEngine) {}

  decoderFor(decl: RecordDecl): RecordDecoder {
    const cached = this.compiled.get(decl);
    if (cached) return cached;
    const context = new CodeContext(this);
    const body = `return ${this.objectCode(this.engine.layoutOf(decl), 'base', context)};`;
    // Parameters: the helpers table, then the decoder's own arguments.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated decoders are the design; see the file comment
    const factory = new Function('h', `"use strict"; return function decode(view, base, end) { ${body} };`) as (helpers: unknown[]) => RecordDecoder;
    const decoder = factory(context.helpers);
    this.compiled.set(decl, decoder);
    return decoder;
  }

  private objectCode(layout: RecordLayout, base: string, context: CodeContext): string {
    const properties: string[] = [];
    for (const m of layout.members) {
      if (m.member.bitWidth !== undefined && m.member.name === undefined) continue;
      const at = `${base} + ${m.offset}`;
      const resolved = resolveTypedefs(m.member.type);
      if (m.member.name === undefined && resolved.kind === 'record') {
        // Anonymous struct/union: its members belong to the parent, as in C.
        properties.push(`...${this.objectCode(this.engine.layoutOf(resolved.decl), `(${at})`, context)}`);
        continue;
      }
      properties.push(`${JSON.stringify(m.member.name ?? '')}: ${this.memberCode(m, base, context)}`);
    }
    return `{ ${properties.join(', ')} }`;
  }

  private memberCode(m: MemberLayout, base: string, context: CodeContext): string {
    const at = `${base} + ${m.offset}`;
    if (m.bitWidth !== undefined) {
      const type = resolveTypedefs(m.member.type);
      const signed = type.kind === 'integer' ? type.signed : type.kind === 'enum' ? this.engine.enumType(type.decl).signed : false;
      const bool = type.kind === 'integer' && type.isBool === true;
      const read = `h[${context.helper(readBits)}](view, ${base}, ${m.bitOffset!}, ${m.bitWidth}, ${signed})`;
      return bool ? `(${read} !== 0)` : read;
    }
    return this.valueCode(m.member.type, at, context);
  }

  private valueCode(type: CType, at: string, context: CodeContext): string {
    const t = resolveTypedefs(type);
    switch (t.kind) {
      case 'integer': {
        const little = t.byteOrder === 'little';
        if (t.isBool) return `(view.getUint8(${at}) !== 0)`;
        switch (t.size) {
          case 1:
            return `view.get${t.signed ? 'Int8' : 'Uint8'}(${at})`;
          case 2:
            return `view.get${t.signed ? 'Int16' : 'Uint16'}(${at}, ${little})`;
          case 4:
            return `view.get${t.signed ? 'Int32' : 'Uint32'}(${at}, ${little})`;
          case 8:
            return `view.get${t.signed ? 'BigInt64' : 'BigUint64'}(${at}, ${little})`;
          default:
            return `h[${context.helper(hexBytes)}](view, ${at}, ${t.size})`;
        }
      }
      case 'enum': {
        const e = this.engine.enumType(t.decl);
        const bits = e.size * 8;
        if (bits === 64) return `view.get${e.signed ? 'BigInt64' : 'BigUint64'}(${at}, true)`;
        return `view.get${e.signed ? 'Int' : 'Uint'}${bits}(${at}, true)`;
      }
      case 'float':
        if (t.size === 4) return `view.getFloat32(${at}, true)`;
        if (t.size === 8) return `view.getFloat64(${at}, true)`;
        return `h[${context.helper(hexBytes)}](view, ${at}, ${t.size})`;
      case 'pointer':
        return `view.getBigUint64(${at}, true)`;
      case 'record':
        return this.objectCode(this.engine.layoutOf(t.decl), `(${at})`, context);
      case 'array':
        return this.arrayCode(t.element, t.length, at, context);
      case 'void':
      case 'function':
        return 'undefined';
    }
  }

  private arrayCode(element: CType, length: number | undefined, at: string, context: CodeContext): string {
    const stride = this.engine.sizeOf(element) ?? 0;
    if (stride === 0) return '[]';
    if (length !== undefined && length <= UNROLL_LIMIT) {
      return `[${Array.from({ length }, (_, i) => this.valueCode(element, `${at} + ${i * stride}`, context)).join(', ')}]`;
    }
    // A loop over a compiled element reader; a flexible array runs to the end of the record.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- as above: a compiled element reader
    const elementFactory = new Function('h', `"use strict"; return function element(view, at) { return ${this.valueCode(element, 'at', context)}; };`) as (helpers: unknown[]) => unknown;
    const reader = context.helper(elementFactory(context.helpers));
    const count = length === undefined ? `Math.max(0, Math.floor((end - (${at})) / ${stride}))` : String(length);
    return `h[${context.helper(readArray)}](view, ${at}, ${count}, ${stride}, h[${reader}])`;
  }
}

/** Helpers a generated decoder calls, passed in as a table: generated code holds only indices. */
class CodeContext {
  readonly helpers: unknown[] = [];

  constructor(readonly compiler: DecoderCompiler) {}

  helper(fn: unknown): number {
    const existing = this.helpers.indexOf(fn);
    if (existing >= 0) return existing;
    this.helpers.push(fn);
    return this.helpers.length - 1;
  }
}

function readArray(view: DataView, at: number, count: number, stride: number, element: (view: DataView, at: number) => DecodedValue): DecodedValue[] {
  const values = new Array<DecodedValue>(count);
  for (let i = 0; i < count; i++) values[i] = element(view, at + i * stride);
  return values;
}

/** A bit-field at `bitOffset` bits from the record start, little-endian bit numbering. */
export function readBits(view: DataView, recordBase: number, bitOffset: number, width: number, signed: boolean): number | bigint {
  const firstByte = recordBase + (bitOffset >> 3);
  const shift = bitOffset & 7;
  const bytes = Math.ceil((shift + width) / 8);
  if (shift + width <= 32) {
    // The common case in plain numbers: at most four bytes, no BigInt.
    let raw = 0;
    for (let i = bytes - 1; i >= 0; i--) raw = raw * 256 + view.getUint8(firstByte + i);
    const value = Math.floor(raw / 2 ** shift) % 2 ** width;
    return signed && value >= 2 ** (width - 1) ? value - 2 ** width : value;
  }
  let raw = 0n;
  for (let i = bytes - 1; i >= 0; i--) raw = (raw << 8n) | BigInt(view.getUint8(firstByte + i));
  let value = (raw >> BigInt(shift)) & ((1n << BigInt(width)) - 1n);
  if (signed && width > 0 && value & (1n << BigInt(width - 1))) value -= 1n << BigInt(width);
  return width <= 32 ? Number(value) : value;
}

function hexBytes(view: DataView, at: number, size: number): string {
  let text = '0x';
  for (let i = size - 1; i >= 0; i--) text += view.getUint8(at + i).toString(16).padStart(2, '0');
  return text;
}
