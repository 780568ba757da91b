import type { LayoutEngine, MemberLayout, RecordLayout } from '../layout/recordLayout';
import { resolveTypedefs, type CType, type RecordDecl } from '../model/types';
import { placeField, type Placement } from './fieldReader';
import { DIGIT_PAIRS, writeInteger, writeJsonBigInt, writeJsonFloat32, writeJsonInteger64, writeJsonNumber, writePrepared, writeUnsigned, type PreparedText } from './textBytes';

// Compiles a record's layout into a specialised JavaScript function: straight-line typed
// reads at constant offsets, byte order per field, no interpretation of the layout at
// decode time. Only numbers produced here go into the generated source; member names
// are emitted through JSON.stringify, so nothing from a header can become code.
//
// Two targets from the one walk of the layout: a decoder that builds the decoded object,
// and a JSON writer that writes the text JSON.stringify would make of that object (u64
// beyond 2^53 as decimal strings) straight into a byte buffer, for output by the gigabyte.
// Text the writer emits is compiled to byte stores: numbers in the source again.

export type DecodedValue = number | bigint | boolean | string | DecodedValue[] | DecodedObject;
export interface DecodedObject {
  [name: string]: DecodedValue;
}

/** Decodes the record starting at `base` in `view`; `end` bounds flexible array members. */
export type RecordDecoder = (view: DataView, base: number, end: number) => DecodedObject;

/**
 * Writes the record at `base` in `view` as JSON text into `out` (and `outView`, a DataView
 * of the same bytes) from position `p`; returns the position after it. When `out` is too
 * small it throws a RangeError or returns a position beyond its end: write again into a
 * larger one.
 */
export type RecordJsonWriter = (view: DataView, base: number, end: number, out: Uint8Array, outView: DataView, p: number) => number;

/** Arrays longer than this are decoded by a loop instead of unrolled reads. */
const UNROLL_LIMIT = 16;

export class DecoderCompiler {
  private readonly compiled = new Map<RecordDecl, RecordDecoder>();
  private readonly jsonWriters = new Map<RecordDecl, RecordJsonWriter>();

  constructor(private readonly engine: LayoutEngine) {}

  /** The JSON text of what `decoderFor(decl)` decodes, as JSON.stringify would write it with u64 beyond 2^53 as strings. */
  jsonWriterFor(decl: RecordDecl): RecordJsonWriter {
    const cached = this.jsonWriters.get(decl);
    if (cached) return cached;
    const code = new JsonCode(this.engine);
    code.record(this.engine.layoutOf(decl), 'base');
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated writers are the design; see the file comment
    const factory = new Function('h', `"use strict"; return function writeJson(view, base, end, out, outView, p) { let v, d; ${code.source()} return p; };`) as (helpers: unknown[]) => RecordJsonWriter;
    const writer = factory(code.context.helpers);
    this.jsonWriters.set(decl, writer);
    return writer;
  }

  decoderFor(decl: RecordDecl): RecordDecoder {
    const cached = this.compiled.get(decl);
    if (cached) return cached;
    const context = new CodeContext();
    const body = `return ${this.objectCode(this.engine.layoutOf(decl), 'base', context)};`;
    // Parameters: the helpers table, then the decoder's own arguments.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated decoders are the design; see the file comment
    const factory = new Function('h', `"use strict"; return function decode(view, base, end) { ${body} };`) as (helpers: unknown[]) => RecordDecoder;
    const decoder = factory(context.helpers);
    this.compiled.set(decl, decoder);
    return decoder;
  }

  /**
   * Writes the `"path":"label"` entries of a record's labels, comma-separated, for the
   * fields at `labels[i].path` whose value has one: each field read as `decoderFor` reads
   * it (a field that decodes to no number, a char array say, has none), its entry text
   * from `labels[i].entry`, null for no label.
   */
  labelsWriterFor(decl: RecordDecl, labels: readonly { readonly path: string; readonly entry: (value: number | bigint) => PreparedText | null }[]): RecordJsonWriter {
    const context = new CodeContext();
    const statements: string[] = [];
    const write = context.helper(writePrepared);
    for (const label of labels) {
      const placement = placeField(this.engine, decl, label.path);
      const read = placement && this.numberCode(placement, context);
      if (read === undefined) continue;
      const entry = context.helper(label.entry);
      statements.push(`e = h[${entry}](${read}); if (e !== null) { if (!first) out[p++] = 44; p = h[${write}](out, outView, p, e); first = false; }`);
    }
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- as above: a compiled writer
    const factory = new Function('h', `"use strict"; return function writeLabels(view, base, end, out, outView, p) { let first = true; let e; ${statements.join('\n')} return p; };`) as (helpers: unknown[]) => RecordJsonWriter;
    return factory(context.helpers);
  }

  /** The read of a field the decoder decodes to a number or bigint; undefined for anything else. */
  private numberCode(placement: Placement, context: CodeContext): string | undefined {
    const type = resolveTypedefs(placement.type);
    if (type.kind === 'integer' && type.isBool) return undefined;
    if (placement.bitWidth !== undefined) {
      const signed = type.kind === 'integer' ? type.signed : type.kind === 'enum' ? this.engine.enumType(type.decl).signed : false;
      return `h[${context.helper(readBits)}](view, base, ${placement.bitOffset!}, ${placement.bitWidth}, ${signed})`;
    }
    const numeric = (type.kind === 'integer' && [1, 2, 4, 8].includes(type.size)) || type.kind === 'enum' || type.kind === 'pointer' || (type.kind === 'float' && (type.size === 4 || type.size === 8));
    return numeric ? this.valueCode(type, `base + ${placement.offset}`, context) : undefined;
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

/** The statements of a JSON writer: text compiled to byte stores, values through the writers of textBytes. */
class JsonCode {
  readonly context = new CodeContext();
  private readonly statements: string[] = [];
  private pendingText = '';
  private loops = 0;

  constructor(private readonly engine: LayoutEngine) {}

  source(): string {
    this.flushText();
    return this.statements.join('\n');
  }

  /** `{...}` of a record's members; `at` is an expression for the record's start. */
  record(layout: RecordLayout, at: string): void {
    this.text('{');
    this.members(layout, at, true);
    this.text('}');
  }

  /** Members as properties, anonymous records' members among them as C sees them; returns whether none was written yet. */
  private members(layout: RecordLayout, at: string, first: boolean): boolean {
    for (const m of layout.members) {
      if (m.member.bitWidth !== undefined && m.member.name === undefined) continue;
      const resolved = resolveTypedefs(m.member.type);
      if (m.member.name === undefined && resolved.kind === 'record') {
        first = this.members(this.engine.layoutOf(resolved.decl), `(${at} + ${m.offset})`, first);
        continue;
      }
      // JSON.stringify leaves out properties whose value is undefined.
      if (resolved.kind === 'void' || resolved.kind === 'function') continue;
      this.text(`${first ? '' : ','}${JSON.stringify(m.member.name ?? '')}:`);
      first = false;
      if (m.bitWidth !== undefined) this.bitField(m, resolved, at);
      else this.value(m.member.type, `${at} + ${m.offset}`);
    }
    return first;
  }

  private bitField(m: MemberLayout, type: CType, at: string): void {
    const signed = type.kind === 'integer' ? type.signed : type.kind === 'enum' ? this.engine.enumType(type.decl).signed : false;
    const read = `h[${this.context.helper(readBits)}](view, ${at}, ${m.bitOffset!}, ${m.bitWidth!}, ${signed})`;
    if (type.kind === 'integer' && type.isBool === true) this.boolean(`${read} !== 0`);
    else this.call(writeBitFieldValue, read);
  }

  private value(type: CType, at: string): void {
    const t = resolveTypedefs(type);
    if (t.kind === 'integer') {
      const little = t.byteOrder === 'little';
      if (t.isBool) this.boolean(`view.getUint8(${at}) !== 0`);
      else if (t.size === 8) this.integer64(at, little, t.signed);
      else if (t.size === 1 || t.size === 2 || t.size === 4) {
        const read = `view.get${t.signed ? 'Int' : 'Uint'}${t.size * 8}(${at}${t.size === 1 ? '' : `, ${little}`})`;
        if (t.signed) this.call(writeInteger, read);
        else this.unsigned(read);
      }
      else this.call(writeJsonHex, `view, ${at}, ${t.size}`);
    } else if (t.kind === 'enum') {
      const e = this.engine.enumType(t.decl);
      if (e.size === 8) this.integer64(at, true, e.signed);
      else {
        const read = `view.get${e.signed ? 'Int' : 'Uint'}${e.size * 8}(${at}${e.size === 1 ? '' : ', true'})`;
        if (e.signed) this.call(writeInteger, read);
        else this.unsigned(read);
      }
    } else if (t.kind === 'float') {
      if (t.size === 4) this.call(writeJsonFloat32, `view.getUint32(${at}, true)`, true);
      else if (t.size === 8) this.call(writeJsonNumber, `view.getFloat64(${at}, true)`);
      else this.call(writeJsonHex, `view, ${at}, ${t.size}`);
    } else if (t.kind === 'pointer') this.integer64(at, true, false);
    else if (t.kind === 'record') this.record(this.engine.layoutOf(t.decl), `(${at})`);
    else if (t.kind === 'array') this.array(t.element, t.length, at);
    // void and function: inside an array JSON.stringify writes undefined as null.
    else this.text('null');
  }

  private array(element: CType, length: number | undefined, at: string): void {
    const stride = this.engine.sizeOf(element) ?? 0;
    this.text('[');
    if (stride !== 0 && length !== undefined && length <= UNROLL_LIMIT) {
      for (let i = 0; i < length; i++) {
        if (i > 0) this.text(',');
        this.value(element, `${at} + ${i * stride}`);
      }
    } else if (stride !== 0) {
      // A loop; a flexible array runs to the end of the record, as the decoder reads it.
      const i = `i${this.loops++}`;
      const count = length === undefined ? `Math.max(0, Math.floor((end - (${at})) / ${stride}))` : String(length);
      this.flushText();
      this.statements.push(`for (let ${i} = 0, n${i} = ${count}; ${i} < n${i}; ${i}++) {`, `if (${i} !== 0) out[p++] = 44;`);
      this.value(element, `${at} + ${i} * ${stride}`);
      this.flushText();
      this.statements.push('}');
    }
    this.text(']');
  }

  /** An unsigned value of at most 32 bits: below 1000 (most ids, counts and flags) written in place, else by writeUnsigned. */
  private unsigned(read: string): void {
    this.flushText();
    const pairs = `h[${this.context.helper(DIGIT_PAIRS)}]`;
    this.statements.push(
      `v = ${read};`,
      `if (v < 10) out[p++] = 48 + v;`,
      `else if (v < 100) { out[p] = ${pairs}[v << 1]; out[p + 1] = ${pairs}[(v << 1) + 1]; p += 2; }`,
      `else if (v < 1000) { d = (v / 100) | 0; v = (v - d * 100) << 1; out[p] = 48 + d; out[p + 1] = ${pairs}[v]; out[p + 2] = ${pairs}[v + 1]; p += 3; }`,
      `else p = h[${this.context.helper(writeUnsigned)}](out, p, v);`,
    );
  }

  private integer64(at: string, little: boolean, signed: boolean): void {
    const [high, low] = little ? [`${at} + 4`, at] : [at, `${at} + 4`];
    this.call(writeJsonInteger64, `view.getUint32(${high}, ${little}), view.getUint32(${low}, ${little}), ${signed}`);
  }

  private boolean(condition: string): void {
    this.flushText();
    this.statements.push(`if (${condition}) {`);
    this.text('true');
    this.flushText();
    this.statements.push('} else {');
    this.text('false');
    this.flushText();
    this.statements.push('}');
  }

  /** `p = writer(out, p, args)`, or `writer(out, outView, p, args)`. */
  private call(writer: unknown, args: string, withView = false): void {
    this.flushText();
    this.statements.push(`p = h[${this.context.helper(writer)}](out, ${withView ? 'outView, ' : ''}p, ${args});`);
  }

  private text(text: string): void {
    this.pendingText += text;
  }

  /**
   * The text so far as stores: eight bytes at a time as the double with those bits (never a
   * NaN, whose bits a store might change: text is UTF-8, and only bytes from 0xF0 up could
   * make one), then four, then single bytes.
   */
  private flushText(): void {
    if (!this.pendingText) return;
    const bytes = Buffer.from(this.pendingText, 'utf8');
    const stores: string[] = [];
    let i = 0;
    for (; i + 8 <= bytes.length; i += 8) {
      const bits = bytes.readDoubleLE(i);
      if (Number.isNaN(bits)) break;
      stores.push(`outView.setFloat64(p + ${i}, ${String(bits)}, true);`);
    }
    for (; i + 4 <= bytes.length; i += 4) stores.push(`outView.setUint32(p + ${i}, ${bytes.readUInt32LE(i)}, true);`);
    for (; i < bytes.length; i++) stores.push(`out[p + ${i}] = ${bytes[i]!};`);
    this.statements.push(`${stores.join(' ')} p += ${bytes.length};`);
    this.pendingText = '';
  }
}

/** Helpers a generated decoder calls, passed in as a table: generated code holds only indices. */
class CodeContext {
  readonly helpers: unknown[] = [];

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

/** A bit-field's value (a bigint beyond 32 bits) as JSON shows decoded values. */
function writeBitFieldValue(out: Uint8Array, p: number, value: number | bigint): number {
  return typeof value === 'bigint' ? writeJsonBigInt(out, p, value) : writeInteger(out, p, value);
}

/** An integer or float of an odd size, as the decoder shows it: its bytes in hex, quoted. */
function writeJsonHex(out: Uint8Array, p: number, view: DataView, at: number, size: number): number {
  const text = hexBytes(view, at, size);
  out[p] = 0x22;
  for (let i = 0; i < text.length; i++) out[p + 1 + i] = text.charCodeAt(i);
  out[p + 1 + text.length] = 0x22;
  return p + text.length + 2;
}

function hexBytes(view: DataView, at: number, size: number): string {
  let text = '0x';
  for (let i = size - 1; i >= 0; i--) text += view.getUint8(at + i).toString(16).padStart(2, '0');
  return text;
}
