import type { Abi } from '../abi';
import { HeaderError, type HeaderDiagnostic, type SourceLocation } from '../diagnostics';
import { flattenRecord, type LeafField } from '../layout/flatten';
import { LayoutEngine } from '../layout/recordLayout';
import { float, int } from '../model/builtinTypes';
import { RecordDecl, type CType, type IntegerType, type MemberDecl } from '../model/types';
import type { RustExpression, RustRecord, RustSource, RustType } from './rustSource';

// The layout rustc gives a Rust file's structs and the values of its constants, on one
// target. `repr(C)` means "as C lays out these fields on this target", so each struct becomes
// a record of the C type model (Rust's primitive and `core::ffi` types mapped to C types of
// the same size and alignment) and the C layout engine measures it: `packed(N)` is
// `#pragma pack(N)`, `align(N)` is an aligned attribute. Rust forbids mixing the two in one
// struct, so the MSVC/GCC differences in how they combine never arise. Pure.

export interface RustRecordLayout {
  readonly record: RustRecord;
  readonly size: number;
  readonly align: number;
  /** The struct's own fields, where rustc puts them. */
  readonly members: readonly { readonly name: string; readonly offset: number; readonly size: number }[];
  /** Leaf fields as the C side flattens them: nested structs by dotted path, arrays of structs at element 0. */
  readonly fields: readonly LeafField[];
}

export interface RustLayouts {
  readonly records: ReadonlyMap<string, RustRecordLayout>;
  /** Every `const` (and fieldless enum variant, as `Enum::Variant`) whose value could be worked out. */
  readonly constants: ReadonlyMap<string, bigint>;
  readonly enumValues: ReadonlyMap<string, ReadonlyMap<string, bigint>>;
  readonly diagnostics: readonly HeaderDiagnostic[];
}

/** Rust's primitive types and the `core::ffi` C types, by the last segment of their path. */
function primitiveTypes(abi: Abi): Map<string, CType> {
  const types: [string, CType][] = [
    ['u8', int('u8', 1, false)],
    ['i8', int('i8', 1, true)],
    ['u16', int('u16', 2, false)],
    ['i16', int('i16', 2, true)],
    ['u32', int('u32', 4, false)],
    ['i32', int('i32', 4, true)],
    ['u64', int('u64', 8, false)],
    ['i64', int('i64', 8, true)],
    // 16-byte aligned on x86-64 and AArch64 since Rust 1.77, as GCC's __int128.
    ['u128', int('u128', 16, false)],
    ['i128', int('i128', 16, true)],
    ['usize', int('usize', abi.pointerSize, false)],
    ['isize', int('isize', abi.pointerSize, true)],
    ['bool', int('bool', 1, false, { isBool: true })],
    ['char', int('char', 4, false)],
    ['f32', float('f32', 4, 4)],
    ['f64', float('f64', 8, 8)],
    ['c_char', int('c_char', 1, abi.charSigned, { isChar: true })],
    ['c_schar', int('c_schar', 1, true, { isChar: true })],
    ['c_uchar', int('c_uchar', 1, false, { isChar: true })],
    ['c_short', int('c_short', 2, true)],
    ['c_ushort', int('c_ushort', 2, false)],
    ['c_int', int('c_int', 4, true)],
    ['c_uint', int('c_uint', 4, false)],
    ['c_long', int('c_long', abi.longSize, true)],
    ['c_ulong', int('c_ulong', abi.longSize, false)],
    ['c_longlong', int('c_longlong', 8, true)],
    ['c_ulonglong', int('c_ulonglong', 8, false)],
    ['c_float', float('c_float', 4, 4)],
    ['c_double', float('c_double', 8, 8)],
  ];
  return new Map(types);
}

/** Lays out every struct and union of `source` and evaluates its constants on `abi`. */
export function layOutRust(source: RustSource, abi: Abi): RustLayouts {
  return new RustModel(source, abi).result();
}

class RustModel {
  private readonly engine: LayoutEngine;
  private readonly primitives: Map<string, CType>;
  private readonly recordsByName: Map<string, RustRecord>;
  private readonly decls = new Map<string, RecordDecl>();
  private readonly constExpressions = new Map<string, { type: RustType; value: RustExpression; location: SourceLocation }>();
  private readonly constants = new Map<string, bigint>();
  private readonly evaluating = new Set<string>();
  private readonly enumValues = new Map<string, Map<string, bigint>>();
  private readonly diagnostics: HeaderDiagnostic[] = [];

  constructor(
    private readonly source: RustSource,
    abi: Abi,
  ) {
    this.engine = new LayoutEngine(abi);
    this.primitives = primitiveTypes(abi);
    this.recordsByName = new Map(source.records.map((r) => [r.name, r]));
    for (const c of source.consts) this.constExpressions.set(c.name, c);
  }

  result(): RustLayouts {
    for (const e of this.source.enums) this.evaluateEnum(e);
    for (const c of this.source.consts) this.tryConstant(c.name, c.location);
    const records = new Map<string, RustRecordLayout>();
    for (const record of this.source.records) {
      try {
        const decl = this.declOf(record);
        const layout = this.engine.layoutOf(decl);
        const members = layout.members.map((m) => ({ name: m.member.name!, offset: m.offset, size: m.size }));
        records.set(record.name, { record, size: layout.size, align: layout.align, members, fields: flattenRecord(layout, this.engine) });
      } catch (error) {
        if (!(error instanceof HeaderError)) throw error;
        this.diagnostics.push({ severity: 'warning', message: `${record.name} cannot be laid out: ${error.message}`, location: error.location });
      }
    }
    return { records, constants: this.constants, enumValues: this.enumValues, diagnostics: this.diagnostics };
  }

  private evaluateEnum(e: RustSource['enums'][number]): void {
    const values = new Map<string, bigint>();
    let next = 0n;
    for (const variant of e.variants) {
      try {
        const value = variant.value ? this.evaluate(variant.value, variant.location) : next;
        values.set(variant.name, value);
        this.constants.set(`${e.name}::${variant.name}`, value);
        next = value + 1n;
      } catch (error) {
        if (!(error instanceof HeaderError)) throw error;
        this.diagnostics.push({ severity: 'warning', message: `${e.name}::${variant.name}: ${error.message}`, location: error.location });
        break;
      }
    }
    this.enumValues.set(e.name, values);
  }

  private tryConstant(name: string, location: SourceLocation): void {
    try {
      this.constant(name, location);
    } catch (error) {
      if (!(error instanceof HeaderError)) throw error;
      this.diagnostics.push({ severity: 'warning', message: `const ${name}: ${error.message}`, location: error.location });
    }
  }

  private constant(name: string, at: SourceLocation): bigint {
    const known = this.constants.get(name);
    if (known !== undefined) return known;
    const declared = this.constExpressions.get(name);
    if (!declared) throw new HeaderError(`\`${name}\` is not a constant of this file`, at);
    if (this.evaluating.has(name)) throw new HeaderError(`\`${name}\` is defined in terms of itself`, declared.location);
    this.evaluating.add(name);
    try {
      const value = this.wrapTo(declared.type, this.evaluate(declared.value, declared.location));
      this.constants.set(name, value);
      return value;
    } finally {
      this.evaluating.delete(name);
    }
  }

  /** A value converted to `type` as `as` converts it (two's complement truncation). */
  private wrapTo(type: RustType, value: bigint): bigint {
    const target = type.kind === 'path' ? this.primitives.get(type.name) : undefined;
    if (target?.kind !== 'integer') return value;
    return target.signed ? BigInt.asIntN(target.size * 8, value) : BigInt.asUintN(target.size * 8, value);
  }

  private evaluate(expression: RustExpression, at: SourceLocation): bigint {
    switch (expression.kind) {
      case 'integer':
        return expression.value;
      case 'name': {
        // `u32::MAX` and friends.
        const bounds = /^(?:(?:core|std)::)?([iu](?:8|16|32|64|128|size))::(MAX|MIN)$/.exec(expression.text);
        if (bounds) {
          const type = this.primitives.get(bounds[1]!) as IntegerType;
          const bits = BigInt(type.size * 8);
          if (bounds[2] === 'MIN') return type.signed ? -(1n << (bits - 1n)) : 0n;
          return type.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
        }
        const qualified = /(\w+)::(\w+)$/.exec(expression.text);
        if (qualified && this.constants.has(`${qualified[1]!}::${qualified[2]!}`)) return this.constants.get(`${qualified[1]!}::${qualified[2]!}`)!;
        return this.constant(expression.name, at);
      }
      case 'unary': {
        const value = this.evaluate(expression.operand, at);
        return expression.operator === '-' ? -value : ~value;
      }
      case 'binary':
        return binary(expression.operator, this.evaluate(expression.left, at), this.evaluate(expression.right, at), at);
      case 'cast':
        return this.wrapTo(expression.type, this.evaluate(expression.value, at));
      case 'sizeOf':
      case 'alignOf': {
        const type = this.cType(expression.type, at);
        const size = expression.kind === 'sizeOf' ? this.engine.sizeOf(type) : this.engine.alignOf(type);
        if (size === undefined) throw new HeaderError('size_of an unsized type', at);
        return BigInt(size);
      }
      case 'unsupported':
        throw new HeaderError(`\`${expression.text}\` is not a constant expression this check evaluates`, at);
    }
  }

  private declOf(record: RustRecord): RecordDecl {
    const existing = this.decls.get(record.name);
    if (existing) return existing;
    const decl = new RecordDecl(record.kind, record.name, record.location, false);
    this.decls.set(record.name, decl);
    decl.pack = record.repr.packed;
    decl.alignAttribute = record.repr.align;
    decl.members = record.fields.map((field): MemberDecl => ({ name: field.name, type: this.cType(field.type, field.location), location: field.location }));
    return decl;
  }

  private cType(type: RustType, at: SourceLocation): CType {
    switch (type.kind) {
      case 'pointer':
        return { kind: 'pointer', target: { kind: 'void' } };
      case 'array': {
        const length = this.evaluate(type.length, at);
        if (length < 0n || length > 0xffffffffn) throw new HeaderError(`array length ${length} is out of range`, at);
        return { kind: 'array', element: this.cType(type.element, at), length: Number(length) };
      }
      case 'unsupported':
        throw new HeaderError(`the type \`${type.text}\` has no C layout this check knows`, at);
      case 'path': {
        const primitive = this.primitives.get(type.name);
        if (primitive) return primitive;
        const record = this.recordsByName.get(type.name);
        if (record) return { kind: 'record', decl: this.declOf(record) };
        const alias = this.source.aliases.find((a) => a.name === type.name);
        if (alias) return { kind: 'typedef', name: alias.name, target: this.cType(alias.type, alias.location) };
        const enumeration = this.source.enums.find((e) => e.name === type.name);
        if (enumeration) {
          // A fieldless enum in a C mirror is its repr's integer; `repr(C)` is C's int.
          const repr = enumeration.repr.primitive ?? (enumeration.repr.c ? 'i32' : undefined);
          if (!repr) throw new HeaderError(`enum ${enumeration.name} has no repr: its size is Rust's choice, give it #[repr(u32)] (or the C type's width)`, at);
          return { kind: 'typedef', name: enumeration.name, target: this.primitives.get(repr)! };
        }
        throw new HeaderError(`\`${type.path}\` is not a type this file declares`, at);
      }
    }
  }
}

function binary(operator: string, left: bigint, right: bigint, at: SourceLocation): bigint {
  switch (operator) {
    case '+':
      return left + right;
    case '-':
      return left - right;
    case '*':
      return left * right;
    case '/':
    case '%':
      if (right === 0n) throw new HeaderError('division by zero', at);
      return operator === '/' ? left / right : left % right;
    case '<<':
      return left << right;
    case '>>':
      return left >> right;
    case '&':
      return left & right;
    case '|':
      return left | right;
    case '^':
      return left ^ right;
    default:
      throw new HeaderError(`the operator \`${operator}\` is not one this check evaluates`, at);
  }
}
