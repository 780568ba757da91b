import type { Node } from 'web-tree-sitter';
import type { Abi } from '../abi';
import { HeaderError, type DiagnosticSink, type SourceLocation } from '../diagnostics';
import { intOf, type IntValue } from '../expressions/integers';
import type { LayoutEngine } from '../layout/recordLayout';
import { builtinTypedefs, keywordTypes, normaliseKeywords } from '../model/builtinTypes';
import { EnumDecl, RecordDecl, type CType, type MemberDecl } from '../model/types';
import type { PackChange } from '../preprocessor/preprocessor';
import { tokenize, type Token } from '../preprocessor/tokens';
import { parseAttributes, type LayoutAttributes } from './attributes';
import { ConstantContext } from './constantContext';
import type { SourceMap } from './sourceMap';

// Turns tree-sitter's C syntax tree of the preprocessed header into the type model:
// records, enums, typedefs and static assertions, in declaration order. A declaration
// that cannot be read is reported at its location and left out; the rest goes on.

export interface StaticAssertion {
  readonly location: SourceLocation;
  readonly message: string;
  /** undefined when the condition could not be evaluated (an error was reported). */
  readonly passed: boolean | undefined;
}

export interface Declarations {
  /** Every record defined in the header, in order, including tagless nested ones. */
  readonly records: RecordDecl[];
  readonly enums: EnumDecl[];
  readonly typedefs: Map<string, CType>;
  readonly enumConstants: Map<string, { value: IntValue; location: SourceLocation }>;
  readonly staticAssertions: StaticAssertion[];
}

const MAX_RECORD_NESTING = 64;
const STATIC_ASSERT = /^\s*(_Static_assert|static_assert)\b/;

export class DeclarationReader {
  readonly declarations: Declarations = { records: [], enums: [], typedefs: new Map(), enumConstants: new Map(), staticAssertions: [] };
  private readonly tags = new Map<string, RecordDecl | EnumDecl>();
  private readonly builtins: Map<string, CType>;
  private readonly keywords: Map<string, CType>;
  /** Names of declarations that failed, so later uses say so instead of "unknown type". */
  private readonly broken = new Set<string>();
  readonly constants: ConstantContext;
  private recordDepth = 0;

  constructor(
    private readonly abi: Abi,
    private readonly layout: LayoutEngine,
    private readonly sourceMap: SourceMap,
    private readonly packChanges: readonly PackChange[],
    private readonly diagnostics: DiagnosticSink,
  ) {
    this.builtins = builtinTypedefs(abi);
    this.keywords = keywordTypes(abi);
    this.constants = new ConstantContext(abi, layout, {
      enumConstant: (name) => this.declarations.enumConstants.get(name)?.value,
      lookupTypedef: (name) => this.lookupTypedef(name),
      lookupTag: (kind, tag) => this.tags.get(`${kind} ${tag}`),
      keywordType: (words) => {
        const key = normaliseKeywords(words);
        return key === undefined ? undefined : this.keywords.get(key);
      },
    });
  }

  read(root: Node): Declarations {
    for (const child of root.namedChildren) {
      if (child) this.topLevel(child);
    }
    return this.declarations;
  }

  private topLevel(node: Node): void {
    try {
      if (STATIC_ASSERT.test(node.text)) {
        this.staticAssertion(node);
        return;
      }
      switch (node.type) {
        case 'comment':
        case 'function_definition':
          return;
        case 'type_definition':
          this.guarded(node, () => this.typedef(node));
          return;
        case 'declaration':
          this.guarded(node, () => this.declaration(node));
          return;
        case 'struct_specifier':
        case 'union_specifier':
        case 'enum_specifier':
          this.guarded(node, () => this.specifier(node, []));
          return;
        case 'linkage_specification':
          for (const child of node.childForFieldName('body')?.namedChildren ?? []) if (child) this.topLevel(child);
          return;
        case 'expression_statement':
          if (node.text.trim() === ';') return;
          break;
        case 'ERROR':
          this.syntaxError(node);
          for (const child of node.namedChildren) if (child && child.type !== 'ERROR') this.topLevel(child);
          return;
        default:
          break;
      }
      this.diagnostics.warning(`ignored: ${describe(node)} is not a declaration this engine reads`, this.locate(node));
    } catch (error) {
      this.report(error, node);
    }
  }

  /** Runs a declaration's reader unless its syntax is broken, and notes what it failed to declare. */
  private guarded(node: Node, read: () => void): void {
    const problem = firstSyntaxProblem(node);
    if (problem) {
      this.syntaxError(problem);
      this.markBroken(node);
      return;
    }
    try {
      read();
    } catch (error) {
      this.markBroken(node);
      throw error;
    }
  }

  private markBroken(node: Node): void {
    for (const match of node.text.matchAll(/\b(struct|union|enum)\s+([A-Za-z_]\w*)/g)) this.broken.add(`${match[1]!} ${match[2]!}`);
    if (node.type === 'type_definition') {
      for (const d of node.childrenForFieldName('declarator')) {
        const name = d ? declaratorName(d) : undefined;
        if (name) this.broken.add(name);
      }
    }
  }

  private typedef(node: Node): void {
    const attributes = this.attributesOf(node);
    const typeNode = node.childForFieldName('type')!;
    const base = this.specifier(typeNode, attributes.declspecAlign !== undefined ? [attributes] : []);
    // `typedef struct tag __attribute__((aligned(N))) name;` names a record defined elsewhere:
    // gcc aligns the typedef, not the record (the kernel's vring_desc_t).
    const isReference = ['struct_specifier', 'union_specifier'].includes(typeNode.type) && !typeNode.childForFieldName('body');
    const referenceAlign = isReference ? this.attributesOfChildren(typeNode).aligned : undefined;
    for (const declarator of node.childrenForFieldName('declarator')) {
      if (!declarator) continue;
      const { name, type } = this.applyDeclarator(base, declarator);
      if (!name) continue;
      const alignText = attributes.aligned ?? this.attributesOfChildren(declarator).aligned ?? referenceAlign;
      const alignAttribute = alignText === undefined ? undefined : this.alignment(alignText, declarator);
      const typedef: CType = { kind: 'typedef', name, target: type, ...(alignAttribute ? { alignAttribute } : {}) };
      this.declarations.typedefs.set(name, typedef);
      this.broken.delete(name);
      // A typedef aligned otherwise than its record is a type of its own, not another name of the record.
      const sameType = alignAttribute === undefined;
      if (sameType && (type.kind === 'record' || type.kind === 'enum') && (declarator.type === 'type_identifier' || declarator.type === 'primitive_type')) type.decl.typedefNames.push(name);
    }
  }

  private declaration(node: Node): void {
    const typeNode = node.childForFieldName('type');
    if (!typeNode) return;
    const attributes = this.attributesOf(node);
    this.specifier(typeNode, attributes.declspecAlign !== undefined ? [attributes] : []);
  }

  /** A type specifier; struct/union/enum bodies are defined on the way. */
  specifier(node: Node, outerAttributes: readonly LayoutAttributes[], nested = false): CType {
    switch (node.type) {
      case 'primitive_type':
      case 'sized_type_specifier': {
        const words = node.text.split(/\s+/).filter(Boolean);
        const key = normaliseKeywords(words);
        const type = (key === undefined ? undefined : this.keywords.get(key)) ?? (words.length === 1 ? this.lookupTypedef(words[0]!) : undefined);
        if (!type) throw new HeaderError(`unknown type "${node.text}"`, this.locate(node));
        return type;
      }
      case 'type_identifier': {
        const type = this.lookupTypedef(node.text);
        if (type) return type;
        if (this.broken.has(node.text)) throw new HeaderError(`type "${node.text}" could not be read (see the error at its declaration)`, this.locate(node));
        throw new HeaderError(`unknown type "${node.text}"`, this.locate(node));
      }
      case 'struct_specifier':
      case 'union_specifier':
        return { kind: 'record', decl: this.record(node, outerAttributes, nested) };
      case 'enum_specifier':
        return { kind: 'enum', decl: this.enumSpecifier(node) };
      default:
        throw new HeaderError(`unsupported type specifier: ${describe(node)}`, this.locate(node));
    }
  }

  private lookupTypedef(name: string): CType | undefined {
    const keyword = normaliseKeywords([name === 'bool' ? '_Bool' : name]);
    return this.declarations.typedefs.get(name) ?? this.builtins.get(name) ?? (keyword === undefined ? undefined : this.keywords.get(keyword));
  }

  private record(node: Node, outerAttributes: readonly LayoutAttributes[], nested: boolean): RecordDecl {
    if (this.recordDepth >= MAX_RECORD_NESTING) throw new HeaderError(`records nested more than ${MAX_RECORD_NESTING} deep`, this.locate(node));
    this.recordDepth++;
    try {
      return this.recordAtDepth(node, outerAttributes, nested);
    } finally {
      this.recordDepth--;
    }
  }

  private recordAtDepth(node: Node, outerAttributes: readonly LayoutAttributes[], nested: boolean): RecordDecl {
    const kind = node.type === 'union_specifier' ? 'union' : 'struct';
    const nameNode = node.childForFieldName('name');
    const body = node.childForFieldName('body');
    const tag = nameNode?.text;
    const key = tag ? `${kind} ${tag}` : undefined;
    const existing = key ? this.tags.get(key) : undefined;
    if (existing && !(existing instanceof RecordDecl)) throw new HeaderError(`"${tag!}" was declared as an enum`, this.locate(node));
    if (!body) {
      if (existing) return existing;
      if (key && this.broken.has(key)) throw new HeaderError(`${key} could not be read (see the error at its definition)`, this.locate(node));
      const forward = new RecordDecl(kind, tag, this.locate(nameNode ?? node), false);
      if (key) this.tags.set(key, forward);
      return forward;
    }
    if (existing?.complete) throw new HeaderError(`${key!} is defined twice (first at ${existing.location.file}:${existing.location.line})`, this.locate(nameNode ?? node));
    const decl = existing ?? new RecordDecl(kind, tag, this.locate(nameNode ?? node), nested && !tag);
    decl.location = this.locate(nameNode ?? node);
    if (key) this.tags.set(key, decl);
    decl.pack = this.packAt(body.startPosition.row);
    const attributes = [...outerAttributes, this.attributesOfChildren(node)];
    decl.packedAttribute = attributes.some((a) => a.packed);
    const alignments = attributes.flatMap((a) => [a.aligned, a.declspecAlign]).filter((a): a is string => a !== undefined);
    if (alignments.length) decl.alignAttribute = Math.max(...alignments.map((a) => this.alignment(a, node)));
    decl.members = this.members(body, decl);
    this.declarations.records.push(decl);
    return decl;
  }

  private members(body: Node, decl: RecordDecl): MemberDecl[] {
    const members: MemberDecl[] = [];
    for (const child of body.namedChildren) {
      if (!child || child.type === 'comment') continue;
      if (child.type === 'ERROR' && child.text.trim() === ';') continue; // the stray ";" firstSyntaxProblem lets through
      if (STATIC_ASSERT.test(child.text)) {
        this.staticAssertion(child);
        continue;
      }
      if (child.type !== 'field_declaration') {
        throw new HeaderError(`unexpected ${describe(child)} in ${decl.kind} ${decl.tag ?? ''}`.trimEnd(), this.locate(child));
      }
      members.push(...this.field(child));
    }
    return members;
  }

  private field(node: Node): MemberDecl[] {
    const typeNode = node.childForFieldName('type');
    if (!typeNode) throw new HeaderError('member without a type', this.locate(node));
    const base = this.specifier(typeNode, [], true);
    const attributes = this.attributesOfChildren(node);
    const alignText = attributes.aligned ?? attributes.declspecAlign;
    const alignAttribute = Math.max(alignText === undefined ? 0 : this.alignment(alignText, node), this.alignas(node)) || undefined;
    const trailing = node.nextSibling;
    const comment = trailing?.type === 'comment' && trailing.startPosition.row === node.endPosition.row ? trailing.text : undefined;
    const common = { ...(alignAttribute ? { alignAttribute } : {}), ...(attributes.packed ? { packedAttribute: true } : {}), ...(comment ? { comment } : {}) };

    // Declarators, each optionally followed by its bit-field clause: `unsigned a : 3, b : 4;`
    const parts: { declarator: Node | undefined; width: Node | undefined }[] = [];
    node.children.forEach((child, index) => {
      if (!child) return;
      if (node.fieldNameForChild(index) === 'declarator') parts.push({ declarator: child, width: undefined });
      else if (child.type === 'bitfield_clause') {
        const last = parts[parts.length - 1];
        if (last && last.width === undefined) last.width = child;
        else parts.push({ declarator: undefined, width: child });
      }
    });
    if (parts.length === 0) {
      const resolved = base.kind === 'record' ? base.decl : undefined;
      if (resolved && (!resolved.tag || this.abi.family === 'msvc')) {
        if (resolved.tag) this.diagnostics.warning(`${resolved.kind} ${resolved.tag} declares no member name: MSVC makes it an anonymous member, GCC declares no member at all`, this.locate(node));
        return [{ name: undefined, type: base, location: this.locate(node), ...common }];
      }
      if (resolved?.tag) {
        this.diagnostics.warning(`${resolved.kind} ${resolved.tag} declares no member name: MSVC makes it an anonymous member, GCC declares no member at all`, this.locate(node));
        return [];
      }
      throw new HeaderError('declaration declares no member', this.locate(node));
    }
    return parts.map(({ declarator, width }) => {
      const { name, type } = declarator && !declarator.isMissing ? this.applyDeclarator(base, declarator) : { name: undefined, type: base };
      const location = this.locate(declarator && !declarator.isMissing ? declarator : node);
      if (!width) return { name, type, location, ...common };
      return { name, type, location, bitWidth: this.bitWidth(width, type, name, location), ...common };
    });
  }

  private bitWidth(clause: Node, type: CType, name: string | undefined, location: SourceLocation): number {
    const expressionNode = clause.namedChildren[0];
    if (!expressionNode) throw new HeaderError('bit-field without a width', location);
    const width = Number(this.evaluateNode(expressionNode).value);
    const size = this.layout.sizeOf(type);
    const resolved = this.constants.resolve(type);
    if (resolved.kind !== 'integer' && resolved.kind !== 'enum') throw new HeaderError(`bit-field "${name ?? ''}" must have an integer or enum type`, location);
    if (width < 0 || size === undefined || width > size * 8) throw new HeaderError(`bit-field "${name ?? ''}" is ${width} bits wide, more than its ${size ?? 0}-byte type holds`, location);
    if (width === 0 && name) throw new HeaderError(`zero-width bit-field "${name}" must be unnamed`, location);
    return width;
  }

  applyDeclarator(base: CType, node: Node): { name: string | undefined; type: CType } {
    switch (node.type) {
      case 'field_identifier':
      case 'identifier':
      case 'type_identifier':
      case 'primitive_type': // `typedef unsigned int uint32_t;` in a freestanding header
        return { name: node.isMissing ? undefined : node.text, type: base };
      case 'pointer_declarator':
        return this.applyDeclarator({ kind: 'pointer', target: base }, this.inner(node));
      case 'array_declarator': {
        const size = node.childForFieldName('size');
        let length: number | undefined;
        if (size) {
          const value = this.evaluateNode(size).value;
          if (value < 0n || value > 0x7fffffffn) throw new HeaderError(`array size ${value} is out of range`, this.locate(size));
          length = Number(value);
        }
        return this.applyDeclarator({ kind: 'array', element: base, length }, this.inner(node));
      }
      case 'function_declarator':
        return this.applyDeclarator({ kind: 'function' }, this.inner(node));
      case 'parenthesized_declarator':
      case 'attributed_declarator': {
        const inner = node.namedChildren.find((c) => c && c.type !== 'attribute_specifier' && c.type !== 'attribute_declaration');
        if (!inner) throw new HeaderError('empty declarator', this.locate(node));
        return this.applyDeclarator(base, inner);
      }
      default:
        throw new HeaderError(`unsupported declarator: ${describe(node)}`, this.locate(node));
    }
  }

  private inner(node: Node): Node {
    const inner = node.childForFieldName('declarator');
    if (!inner) throw new HeaderError(`incomplete declarator "${node.text}"`, this.locate(node));
    return inner;
  }

  private enumSpecifier(node: Node): EnumDecl {
    const nameNode = node.childForFieldName('name');
    const body = node.childForFieldName('body');
    const tag = nameNode?.text;
    const key = tag ? `enum ${tag}` : undefined;
    const existing = key ? this.tags.get(key) : undefined;
    if (existing && !(existing instanceof EnumDecl)) throw new HeaderError(`"${tag!}" was declared as a ${existing.kind}`, this.locate(node));
    if (!body) {
      if (existing) return existing;
      const forward = new EnumDecl(tag, this.locate(nameNode ?? node));
      if (key) this.tags.set(key, forward);
      return forward;
    }
    if (existing?.constants) throw new HeaderError(`${key!} is defined twice`, this.locate(nameNode ?? node));
    const decl = existing ?? new EnumDecl(tag, this.locate(nameNode ?? node));
    if (key) this.tags.set(key, decl);
    const underlying = node.childForFieldName('underlying_type');
    if (underlying) {
      const type = this.constants.resolve(this.specifier(underlying, []));
      if (type.kind !== 'integer') throw new HeaderError('an enum\u2019s underlying type must be an integer type', this.locate(underlying));
      decl.underlying = type;
    }
    decl.constants = [];
    let next = 0n;
    for (const enumerator of body.namedChildren) {
      if (enumerator?.type !== 'enumerator') continue;
      const name = enumerator.childForFieldName('name')!.text;
      const valueNode = enumerator.childForFieldName('value');
      const value = valueNode ? this.evaluateNode(valueNode).value : next;
      const location = this.locate(enumerator);
      decl.constants.push({ name, value, location });
      // C: an enumeration constant has type int; values beyond int keep 64 bits (GCC extension).
      const typed = value >= -0x80000000n && value <= 0x7fffffffn ? intOf(value) : intOf(value, { bits: 64, unsigned: value > 0x7fffffffffffffffn });
      this.declarations.enumConstants.set(name, { value: typed, location });
      next = value + 1n;
    }
    this.declarations.enums.push(decl);
    return decl;
  }

  private staticAssertion(node: Node): void {
    const location = this.locate(node);
    const tokens = this.tokensOf(node);
    const open = tokens.findIndex((t) => t.text === '(');
    let depth = 0;
    let comma = -1;
    let close = -1;
    for (let i = open; i >= 0 && i < tokens.length; i++) {
      const text = tokens[i]!.text;
      if (text === '(') depth++;
      if (text === ')' && --depth === 0) {
        close = i;
        break;
      }
      if (text === ',' && depth === 1 && comma < 0) comma = i;
    }
    if (open < 0 || close < 0) {
      this.diagnostics.error('malformed static assertion', location);
      this.declarations.staticAssertions.push({ location, message: '', passed: undefined });
      return;
    }
    const condition = tokens.slice(open + 1, comma < 0 ? close : comma);
    const message = comma < 0 ? '' : tokens.slice(comma + 1, close).map((t) => t.text.replace(/^"|"$/g, '')).join('');
    try {
      const passed = this.constants.evaluate(condition, location).value !== 0n;
      if (!passed) this.diagnostics.error(`static assertion failed on ${this.abi.name}${message ? `: "${message}"` : ''}`, location);
      this.declarations.staticAssertions.push({ location, message, passed });
    } catch (error) {
      this.report(error, node);
      this.declarations.staticAssertions.push({ location, message, passed: undefined });
    }
  }

  /** `_Alignas(16)` / `_Alignas(uint64_t)` qualifiers on a member; 0 when there are none. */
  private alignas(field: Node): number {
    let align = 0;
    for (const qualifier of field.namedChildren) {
      const alignas = qualifier?.type === 'type_qualifier' ? qualifier.namedChildren.find((c) => c?.type === 'alignas_qualifier') : undefined;
      const operand = alignas?.namedChildren[0];
      if (!operand) continue;
      if (operand.type === 'type_descriptor') {
        const type = this.specifier(operand.childForFieldName('type')!, []);
        const declarator = operand.childForFieldName('declarator');
        align = Math.max(align, this.layout.alignOf(declarator ? this.applyAbstract(type, declarator) : type));
      } else {
        align = Math.max(align, this.alignment(operand.text, operand));
      }
    }
    return align;
  }

  /** Abstract declarators in type names (`_Alignas(char *)`): pointers and arrays only. */
  private applyAbstract(type: CType, node: Node): CType {
    if (node.type === 'abstract_pointer_declarator') {
      const inner = node.childForFieldName('declarator');
      return inner ? this.applyAbstract({ kind: 'pointer', target: type }, inner) : { kind: 'pointer', target: type };
    }
    throw new HeaderError(`unsupported type name "${node.text}"`, this.locate(node));
  }

  private alignment(text: string, node: Node): number {
    if (text.trim() === '') return 16; // bare `aligned`: the largest alignment the target ever needs
    const value = this.constants.evaluate(this.retokenize(text, node), this.locate(node)).value;
    if (value <= 0n || value > 8192n || (value & (value - 1n)) !== 0n) throw new HeaderError(`alignment ${value} is not a power of two up to 8192`, this.locate(node));
    return Number(value);
  }

  private attributesOf(node: Node): LayoutAttributes {
    return this.attributesOfChildren(node);
  }

  private attributesOfChildren(node: Node): LayoutAttributes {
    const texts = node.namedChildren.filter((c): c is Node => c?.type === 'attribute_specifier').map((c) => c.text);
    const attributes = parseAttributes(texts);
    for (const name of attributes.ignored) this.diagnostics.report('info', `attribute "${name}" ignored: it does not change layouts`, this.locate(node));
    return attributes;
  }

  private packAt(row: number): number | undefined {
    let pack: number | undefined;
    for (const change of this.packChanges) {
      if (change.outputLine > row) break;
      pack = change.pack;
    }
    return pack;
  }

  evaluateNode(node: Node): IntValue {
    return this.constants.evaluate(this.tokensOf(node), this.locate(node));
  }

  /** The node's text as tokens, located in the user's files. */
  private tokensOf(node: Node): Token[] {
    return this.retokenize(node.text, node);
  }

  private retokenize(text: string, node: Node): Token[] {
    const start = node.startPosition;
    return tokenize(text, '').filter((t) => t.kind !== 'comment' && t.kind !== 'newline').map((t) => {
      const row = start.row + t.location.line - 1;
      const column = t.location.line === 1 ? start.column + t.location.column - 1 : t.location.column - 1;
      return { ...t, location: this.sourceMap.locate(row, column) };
    });
  }

  locate(node: Node): SourceLocation {
    return this.sourceMap.locate(node.startPosition.row, node.startPosition.column);
  }

  private syntaxError(node: Node): void {
    const near = node.text.trim().split('\n')[0]!.slice(0, 40);
    const what = node.isMissing ? `missing "${node.type}"` : near ? `near "${near}"` : '';
    this.diagnostics.error(`syntax error ${what}`.trim(), this.locate(node));
  }

  private report(error: unknown, node: Node): void {
    if (error instanceof HeaderError) this.diagnostics.error(error.message, error.location);
    else this.diagnostics.error(`internal error: ${error instanceof Error ? error.message : String(error)}`, this.locate(node));
  }
}

/**
 * The first ERROR or MISSING node in a declaration, ignoring the one tree-sitter reports
 * for an unnamed bit-field (`int : 3;`), which is valid C.
 */
function firstSyntaxProblem(node: Node): Node | undefined {
  if (!node.hasError) return undefined;
  // A stray ";" among a record's members (`char name[N]; ;`): gcc and clang accept it.
  if (node.type === 'ERROR' && node.text.trim() === ';' && node.parent?.type === 'field_declaration_list') return undefined;
  if (node.type === 'ERROR') return node;
  if (node.isMissing) {
    const isUnnamedBitField = node.type === 'field_identifier' && node.nextSibling?.type === 'bitfield_clause';
    return isUnnamedBitField ? undefined : node;
  }
  for (const child of node.children) {
    const problem = child ? firstSyntaxProblem(child) : undefined;
    if (problem) return problem;
  }
  return undefined;
}

function declaratorName(node: Node): string | undefined {
  if (['identifier', 'type_identifier', 'field_identifier'].includes(node.type)) return node.text;
  const inner = node.childForFieldName('declarator') ?? node.namedChildren[0];
  return inner ? declaratorName(inner) : undefined;
}

function describe(node: Node): string {
  const text = node.text.trim().split('\n')[0]!;
  return `"${text.length > 40 ? text.slice(0, 40) + '…' : text}"`;
}
