import type { Node, Parser } from 'web-tree-sitter';
import { loadGrammar } from '../../common/treeSitterRuntime';
import type { HeaderDiagnostic, SourceLocation } from '../diagnostics';
import { splitTopLevel } from '../parse/attributes';

// A Rust source file as far as a mirror of a C protocol header goes: `struct` and `union`
// items with their `repr`, fieldless enums with their discriminants, `const` items and type
// aliases, in modules too. Parsed by tree-sitter's Rust grammar (WebAssembly, like the C
// one), so a file that does not compile still yields what it declares; what the reader
// cannot use is a located note, never an exception. Pure: no `vscode` import.

/** A type as written: a primitive or a path (`u32`, `CmdHeader`, `core::ffi::c_int`), an array, a raw pointer. */
export type RustType =
  | { readonly kind: 'path'; readonly name: string; readonly path: string }
  | { readonly kind: 'array'; readonly element: RustType; readonly length: RustExpression }
  | { readonly kind: 'pointer' }
  | { readonly kind: 'unsupported'; readonly text: string };

/** A constant expression (an array length, a discriminant, a `const` value). */
export type RustExpression =
  | { readonly kind: 'integer'; readonly value: bigint; readonly suffix: string | undefined }
  | { readonly kind: 'name'; readonly name: string; readonly text: string }
  | { readonly kind: 'unary'; readonly operator: '-' | '!'; readonly operand: RustExpression }
  | { readonly kind: 'binary'; readonly operator: string; readonly left: RustExpression; readonly right: RustExpression }
  | { readonly kind: 'cast'; readonly value: RustExpression; readonly type: RustType }
  | { readonly kind: 'sizeOf' | 'alignOf'; readonly type: RustType }
  | { readonly kind: 'unsupported'; readonly text: string };

export interface RustRepr {
  /** `repr(C)`: laid out as C lays out the same struct. */
  readonly c: boolean;
  /** `repr(packed)` is `packed(1)`. */
  readonly packed: number | undefined;
  readonly align: number | undefined;
  /** `repr(u32)` and friends, on an enum. */
  readonly primitive: string | undefined;
  readonly transparent: boolean;
}

export interface RustField {
  readonly name: string;
  readonly type: RustType;
  readonly location: SourceLocation;
}

export interface RustRecord {
  readonly kind: 'struct' | 'union';
  readonly name: string;
  readonly repr: RustRepr;
  /** Named fields only: tuple and unit structs mirror nothing in a C header and are not read. */
  readonly fields: readonly RustField[];
  readonly location: SourceLocation;
}

export interface RustEnumVariant {
  readonly name: string;
  /** Undefined: one more than the variant before (0 for the first). */
  readonly value: RustExpression | undefined;
  readonly location: SourceLocation;
}

export interface RustEnum {
  readonly name: string;
  readonly repr: RustRepr;
  readonly variants: readonly RustEnumVariant[];
  readonly location: SourceLocation;
}

export interface RustConst {
  readonly name: string;
  readonly type: RustType;
  readonly value: RustExpression;
  readonly location: SourceLocation;
}

export interface RustAlias {
  readonly name: string;
  readonly type: RustType;
  readonly location: SourceLocation;
}

export interface RustSource {
  readonly file: string;
  readonly records: readonly RustRecord[];
  readonly enums: readonly RustEnum[];
  readonly consts: readonly RustConst[];
  readonly aliases: readonly RustAlias[];
  readonly diagnostics: readonly HeaderDiagnostic[];
}

let loading: Promise<Parser> | undefined;

function loadRustParser(): Promise<Parser> {
  loading ??= loadGrammar('tree-sitter-rust.wasm', 'tree-sitter-rust/tree-sitter-rust.wasm');
  return loading;
}

/** The items of `text` (the contents of `file`). */
export async function readRustSource(file: string, text: string): Promise<RustSource> {
  const parser = await loadRustParser();
  const tree = parser.parse(text);
  const reader = new ItemReader(file);
  try {
    if (tree) reader.readItems(tree.rootNode);
  } finally {
    tree?.delete();
  }
  return { file, records: reader.records, enums: reader.enums, consts: reader.consts, aliases: reader.aliases, diagnostics: reader.diagnostics };
}

const NO_REPR: RustRepr = { c: false, packed: undefined, align: undefined, primitive: undefined, transparent: false };

class ItemReader {
  readonly records: RustRecord[] = [];
  readonly enums: RustEnum[] = [];
  readonly consts: RustConst[] = [];
  readonly aliases: RustAlias[] = [];
  readonly diagnostics: HeaderDiagnostic[] = [];

  constructor(private readonly file: string) {}

  readItems(container: Node): void {
    // Attributes are siblings before the item they belong to.
    let attributes: Node[] = [];
    for (const node of container.namedChildren) {
      if (!node) continue;
      if (node.type === 'attribute_item') {
        attributes.push(node);
        continue;
      }
      if (node.type === 'line_comment' || node.type === 'block_comment') continue;
      const repr = this.reprOf(attributes);
      attributes = [];
      switch (node.type) {
        case 'struct_item':
        case 'union_item':
          this.readRecord(node, node.type === 'struct_item' ? 'struct' : 'union', repr);
          break;
        case 'enum_item':
          this.readEnum(node, repr);
          break;
        case 'const_item':
          this.readConst(node);
          break;
        case 'type_item':
          this.readAlias(node);
          break;
        case 'mod_item': {
          const body = node.childForFieldName('body');
          if (body) this.readItems(body);
          break;
        }
        case 'ERROR':
          this.note(node, 'Rust syntax error: the items around it may be missing');
          break;
      }
    }
  }

  private readRecord(node: Node, kind: 'struct' | 'union', repr: RustRepr): void {
    const name = node.childForFieldName('name')?.text;
    if (!name) return;
    const body = node.childForFieldName('body');
    // Tuple and unit structs (`struct Id(u32);`) have no named fields to compare.
    if (body?.type !== 'field_declaration_list') return;
    const fields: RustField[] = [];
    for (const field of body.namedChildren) {
      if (field?.type !== 'field_declaration') continue;
      const fieldName = field.childForFieldName('name')?.text;
      const type = field.childForFieldName('type');
      if (!fieldName || !type) continue;
      fields.push({ name: fieldName.replace(/^r#/, ''), type: this.type(type), location: this.location(field) });
    }
    this.records.push({ kind, name, repr, fields, location: this.location(node) });
  }

  private readEnum(node: Node, repr: RustRepr): void {
    const name = node.childForFieldName('name')?.text;
    const body = node.childForFieldName('body');
    if (!name || !body) return;
    const variants: RustEnumVariant[] = [];
    for (const variant of body.namedChildren) {
      if (variant?.type !== 'enum_variant') continue;
      const variantName = variant.childForFieldName('name')?.text;
      if (!variantName) continue;
      const value = variant.childForFieldName('value');
      variants.push({ name: variantName, value: value ? this.expression(value) : undefined, location: this.location(variant) });
    }
    this.enums.push({ name, repr, variants, location: this.location(node) });
  }

  private readConst(node: Node): void {
    const name = node.childForFieldName('name')?.text;
    const type = node.childForFieldName('type');
    const value = node.childForFieldName('value');
    // `const _: () = assert!(...)` checks something; it names nothing.
    if (!name || name === '_' || !type || !value) return;
    this.consts.push({ name, type: this.type(type), value: this.expression(value), location: this.location(node) });
  }

  private readAlias(node: Node): void {
    const name = node.childForFieldName('name')?.text;
    const type = node.childForFieldName('type');
    if (name && type) this.aliases.push({ name, type: this.type(type), location: this.location(node) });
  }

  /** `#[repr(C, packed(4))]`, `#[repr(align(64))]`, `#[repr(u32)]`; the last `repr` wins per hint, as rustc merges them. */
  private reprOf(attributes: readonly Node[]): RustRepr {
    let repr = NO_REPR;
    for (const attribute of attributes) {
      const match = /^#\s*\[\s*repr\s*\(([\s\S]*)\)\s*\]$/.exec(attribute.text);
      if (!match) continue;
      for (const hint of splitTopLevel(match[1]!)) {
        const [, word, argument] = /^(\w+)\s*(?:\(\s*(\d+)\s*\))?$/.exec(hint.trim()) ?? [];
        if (word === 'C') repr = { ...repr, c: true };
        else if (word === 'transparent') repr = { ...repr, transparent: true };
        else if (word === 'packed') repr = { ...repr, packed: argument ? Number(argument) : 1 };
        else if (word === 'align' && argument) repr = { ...repr, align: Number(argument) };
        else if (word && /^[iu](8|16|32|64|128|size)$/.test(word)) repr = { ...repr, primitive: word };
        else this.note(attribute, `repr hint \`${hint.trim()}\` is not one a C mirror uses; ignored`);
      }
    }
    return repr;
  }

  private type(node: Node): RustType {
    switch (node.type) {
      case 'primitive_type':
      case 'type_identifier':
        return { kind: 'path', name: node.text, path: node.text };
      case 'scoped_type_identifier':
        return { kind: 'path', name: node.childForFieldName('name')?.text ?? node.text, path: node.text.replace(/\s+/g, '') };
      case 'array_type': {
        const element = node.childForFieldName('element');
        const length = node.childForFieldName('length');
        if (!element || !length) return { kind: 'unsupported', text: node.text };
        return { kind: 'array', element: this.type(element), length: this.expression(length) };
      }
      case 'pointer_type':
        return { kind: 'pointer' };
      case 'generic_type': {
        // `Option<NonNull<T>>`, `Option<fn(..)>` are pointer-sized and nullable like a C pointer.
        const text = node.text.replace(/\s+/g, '');
        if (/^(core::|std::)?(option::)?Option<(core::|std::)?(ptr::)?NonNull<.*>>$/.test(text)) return { kind: 'pointer' };
        return { kind: 'unsupported', text: node.text };
      }
      default:
        return { kind: 'unsupported', text: node.text };
    }
  }

  private expression(node: Node): RustExpression {
    switch (node.type) {
      case 'integer_literal':
        return integerLiteral(node.text);
      case 'parenthesized_expression': {
        const inner = node.namedChildren.find((c) => c !== null);
        return inner ? this.expression(inner) : { kind: 'unsupported', text: node.text };
      }
      case 'identifier':
        return { kind: 'name', name: node.text, text: node.text };
      case 'scoped_identifier':
        return { kind: 'name', name: node.childForFieldName('name')?.text ?? node.text, text: node.text.replace(/\s+/g, '') };
      case 'unary_expression': {
        const operator = node.child(0)?.text;
        const operand = node.namedChildren.find((c) => c !== null);
        if ((operator === '-' || operator === '!') && operand) return { kind: 'unary', operator, operand: this.expression(operand) };
        return { kind: 'unsupported', text: node.text };
      }
      case 'binary_expression': {
        const left = node.childForFieldName('left');
        const right = node.childForFieldName('right');
        const operator = node.childForFieldName('operator')?.text;
        if (!left || !right || !operator) return { kind: 'unsupported', text: node.text };
        return { kind: 'binary', operator, left: this.expression(left), right: this.expression(right) };
      }
      case 'type_cast_expression': {
        const value = node.childForFieldName('value');
        const type = node.childForFieldName('type');
        if (!value || !type) return { kind: 'unsupported', text: node.text };
        return { kind: 'cast', value: this.expression(value), type: this.type(type) };
      }
      case 'call_expression': {
        // `size_of::<T>()`, `core::mem::align_of::<T>()`
        const callee = node.childForFieldName('function');
        const args = node.childForFieldName('arguments');
        if (callee?.type === 'generic_function' && args?.namedChildCount === 0) {
          const name = callee.childForFieldName('function')?.text.replace(/\s+/g, '').replace(/^((core|std)::)?(mem::)?/, '');
          const typeArgument = callee.childForFieldName('type_arguments')?.namedChildren.find((c) => c !== null);
          if ((name === 'size_of' || name === 'align_of') && typeArgument) return { kind: name === 'size_of' ? 'sizeOf' : 'alignOf', type: this.type(typeArgument) };
        }
        return { kind: 'unsupported', text: node.text };
      }
      default:
        return { kind: 'unsupported', text: node.text };
    }
  }

  private note(node: Node, message: string): void {
    this.diagnostics.push({ severity: 'warning', message, location: this.location(node) });
  }

  private location(node: Node): SourceLocation {
    return { file: this.file, line: node.startPosition.row + 1, column: node.startPosition.column + 1 };
  }
}

/** `0x1F_u32`, `1_000`, `0b1010`, `0o17u8`. */
function integerLiteral(text: string): RustExpression {
  const match = /^(0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|[0-9][0-9_]*)([iu](?:8|16|32|64|128|size))?$/.exec(text);
  if (!match) return { kind: 'unsupported', text };
  const digits = match[1]!.replaceAll('_', '');
  return { kind: 'integer', value: BigInt(digits), suffix: match[2] };
}
