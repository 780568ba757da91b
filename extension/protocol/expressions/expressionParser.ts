import { HeaderError, type SourceLocation } from '../diagnostics';
import type { Token } from '../preprocessor/tokens';

// A C constant-expression parser (C11 6.6) over preprocessing tokens, precedence climbing.
// Type names inside casts, sizeof, _Alignof and offsetof are kept as token lists: only the
// declaration layer knows what `MyStruct` or `uint32_t` is.

export interface TypeName {
  readonly tokens: readonly Token[];
  readonly location: SourceLocation;
}

export type Designator = { readonly member: string } | { readonly index: Expression };

export type Expression =
  | { readonly kind: 'number'; readonly text: string; readonly location: SourceLocation }
  | { readonly kind: 'char'; readonly text: string; readonly location: SourceLocation }
  | { readonly kind: 'string'; readonly text: string; readonly location: SourceLocation }
  | { readonly kind: 'identifier'; readonly name: string; readonly location: SourceLocation }
  | { readonly kind: 'defined'; readonly name: string; readonly location: SourceLocation }
  | { readonly kind: 'unary'; readonly op: string; readonly operand: Expression; readonly location: SourceLocation }
  | { readonly kind: 'binary'; readonly op: string; readonly left: Expression; readonly right: Expression; readonly location: SourceLocation }
  | { readonly kind: 'conditional'; readonly test: Expression; readonly then: Expression; readonly otherwise: Expression; readonly location: SourceLocation }
  | { readonly kind: 'cast'; readonly type: TypeName; readonly operand: Expression; readonly location: SourceLocation }
  | { readonly kind: 'sizeofType' | 'alignofType'; readonly type: TypeName; readonly location: SourceLocation }
  | { readonly kind: 'sizeofExpression'; readonly operand: Expression; readonly location: SourceLocation }
  | { readonly kind: 'offsetof'; readonly type: TypeName; readonly designators: readonly Designator[]; readonly location: SourceLocation }
  | { readonly kind: 'member'; readonly object: Expression; readonly member: string; readonly location: SourceLocation }
  | { readonly kind: 'index'; readonly object: Expression; readonly index: Expression; readonly location: SourceLocation };

const BINARY_PRECEDENCE: Readonly<Record<string, number>> = {
  '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5, '==': 6, '!=': 6, '<': 7, '>': 7, '<=': 7, '>=': 7,
  '<<': 8, '>>': 8, '+': 9, '-': 9, '*': 10, '/': 10, '%': 10,
};

const TYPE_KEYWORDS = new Set([
  'void', 'char', 'short', 'int', 'long', 'float', 'double', 'signed', 'unsigned', '_Bool', 'bool',
  'struct', 'union', 'enum', 'const', 'volatile', '__int8', '__int16', '__int32', '__int64', '__signed__', '__unsigned__', '_Complex', 'restrict', '__restrict',
]);
const SIZEOF = new Set(['sizeof']);
const ALIGNOF = new Set(['_Alignof', 'alignof', '__alignof__', '__alignof']);
const OFFSETOF = new Set(['offsetof', '__builtin_offsetof', 'FIELD_OFFSET']);

export interface ParseOptions {
  /** `#if` mode: `defined X` and `defined(X)` are operators. */
  readonly preprocessor: boolean;
  /** Whether an identifier names a type (typedef), for casts and sizeof. */
  readonly isTypeName: (name: string) => boolean;
}

export function parseExpression(tokens: readonly Token[], options: ParseOptions, fallback: SourceLocation): Expression {
  const parser = new ExpressionParser(tokens.filter((t) => t.kind !== 'comment' && t.kind !== 'newline'), options, fallback);
  return parser.parseWhole();
}

class ExpressionParser {
  private position = 0;
  private depth = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly options: ParseOptions,
    private readonly fallback: SourceLocation,
  ) {}

  parseWhole(): Expression {
    if (this.tokens.length === 0) throw new HeaderError('expected an expression', this.fallback);
    const expression = this.parseConditional();
    const rest = this.peek();
    if (rest) throw new HeaderError(`unexpected "${rest.text}" in constant expression`, rest.location);
    return expression;
  }

  private parseConditional(): Expression {
    this.enter();
    const test = this.parseBinary(1);
    let result = test;
    if (this.accept('?')) {
      const then = this.parseCommaFree();
      this.expect(':');
      const otherwise = this.parseConditional();
      result = { kind: 'conditional', test, then, otherwise, location: test.location };
    }
    this.depth--;
    return result;
  }

  /** Inside `?:` and parentheses a comma expression may appear; constant expressions rarely use it. */
  private parseCommaFree(): Expression {
    let expression = this.parseConditional();
    while (this.accept(',')) expression = this.parseConditional();
    return expression;
  }

  private parseBinary(minPrecedence: number): Expression {
    let left = this.parseUnary();
    for (;;) {
      const token = this.peek();
      const precedence = token?.kind === 'punctuator' ? BINARY_PRECEDENCE[token.text] : undefined;
      if (!token || precedence === undefined || precedence < minPrecedence) return left;
      this.position++;
      const right = this.parseBinary(precedence + 1);
      left = { kind: 'binary', op: token.text, left, right, location: token.location };
    }
  }

  private parseUnary(): Expression {
    const token = this.peek();
    if (!token) throw new HeaderError('expression ends too early', this.lastLocation());
    if (token.kind === 'punctuator' && ['-', '+', '~', '!'].includes(token.text)) {
      this.position++;
      this.enter();
      const operand = this.parseUnary();
      this.depth--;
      return { kind: 'unary', op: token.text, operand, location: token.location };
    }
    if (token.kind === 'identifier' && this.options.preprocessor && token.text === 'defined') {
      this.position++;
      const parenthesized = this.accept('(');
      const name = this.next();
      if (name?.kind !== 'identifier') throw new HeaderError('"defined" needs a macro name', name?.location ?? token.location);
      if (parenthesized) this.expect(')');
      return { kind: 'defined', name: name.text, location: token.location };
    }
    if (token.kind === 'identifier' && (SIZEOF.has(token.text) || ALIGNOF.has(token.text))) {
      this.position++;
      const isSizeof = SIZEOF.has(token.text);
      if (this.peekText() === '(' && this.startsTypeName(this.position + 1)) {
        this.position++;
        const type = this.parseTypeNameUntilClose();
        return { kind: isSizeof ? 'sizeofType' : 'alignofType', type, location: token.location };
      }
      if (!isSizeof) throw new HeaderError(`${token.text} needs a type name`, token.location);
      const operand = this.parseUnary();
      return { kind: 'sizeofExpression', operand, location: token.location };
    }
    if (token.kind === 'identifier' && OFFSETOF.has(token.text)) {
      this.position++;
      this.expect('(');
      const type = this.parseTypeNameUntil(',');
      this.expect(',');
      const designators = this.parseDesignators();
      this.expect(')');
      return { kind: 'offsetof', type, designators, location: token.location };
    }
    if (token.kind === 'punctuator' && token.text === '(' && this.startsTypeName(this.position + 1)) {
      this.position++;
      const type = this.parseTypeNameUntilClose();
      this.enter();
      const operand = this.parseUnary();
      this.depth--;
      return { kind: 'cast', type, operand, location: token.location };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePostfix(expression: Expression): Expression {
    for (;;) {
      const token = this.peek();
      if (token?.text === '->' || token?.text === '.') {
        this.position++;
        const member = this.next();
        if (member?.kind !== 'identifier') throw new HeaderError('expected a member name', token.location);
        const object: Expression = token.text === '->' ? { kind: 'unary', op: '*', operand: expression, location: token.location } : expression;
        expression = { kind: 'member', object, member: member.text, location: member.location };
      } else if (token?.text === '[') {
        this.position++;
        const index = this.parseCommaFree();
        this.expect(']');
        expression = { kind: 'index', object: expression, index, location: token.location };
      } else {
        return expression;
      }
    }
  }

  private parsePrimary(): Expression {
    const token = this.next();
    if (!token) throw new HeaderError('expression ends too early', this.lastLocation());
    switch (token.kind) {
      case 'number':
        return { kind: 'number', text: token.text, location: token.location };
      case 'char':
        return { kind: 'char', text: token.text, location: token.location };
      case 'string':
        return { kind: 'string', text: token.text, location: token.location };
      case 'identifier':
        return { kind: 'identifier', name: token.text, location: token.location };
      case 'punctuator':
        if (token.text === '(') {
          this.enter();
          const inner = this.parseCommaFree();
          this.depth--;
          this.expect(')');
          return inner;
        }
        break;
      default:
        break;
    }
    throw new HeaderError(`unexpected "${token.text}" in constant expression`, token.location);
  }

  private parseDesignators(): Designator[] {
    const designators: Designator[] = [];
    const first = this.next();
    if (first?.kind !== 'identifier') throw new HeaderError('offsetof needs a member name', first?.location ?? this.lastLocation());
    designators.push({ member: first.text });
    for (;;) {
      if (this.accept('.')) {
        const member = this.next();
        if (member?.kind !== 'identifier') throw new HeaderError('expected a member name', this.lastLocation());
        designators.push({ member: member.text });
      } else if (this.accept('[')) {
        designators.push({ index: this.parseCommaFree() });
        this.expect(']');
      } else {
        return designators;
      }
    }
  }

  private startsTypeName(index: number): boolean {
    const token = this.tokens[index];
    if (token?.kind !== 'identifier') return false;
    return TYPE_KEYWORDS.has(token.text) || (!this.options.preprocessor && this.options.isTypeName(token.text));
  }

  /** The tokens of a type name up to the `)` that closes the one just read. */
  private parseTypeNameUntilClose(): TypeName {
    const type = this.parseTypeNameUntil(')');
    this.expect(')');
    return type;
  }

  private parseTypeNameUntil(stop: string): TypeName {
    const start = this.position;
    let depth = 0;
    while (this.position < this.tokens.length) {
      const text = this.tokens[this.position]!.text;
      if (depth === 0 && text === stop) break;
      if (text === '(' || text === '[') depth++;
      if (text === ')' || text === ']') depth--;
      this.position++;
    }
    const tokens = this.tokens.slice(start, this.position);
    if (tokens.length === 0) throw new HeaderError('expected a type name', this.lastLocation());
    return { tokens, location: tokens[0]!.location };
  }

  private enter(): void {
    // Deeply nested input is hostile or generated; refuse it rather than overflow the stack.
    if (++this.depth > 256) throw new HeaderError('constant expression nested too deeply', this.peek()?.location ?? this.lastLocation());
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private peekText(): string | undefined {
    return this.tokens[this.position]?.text;
  }

  private next(): Token | undefined {
    return this.tokens[this.position++];
  }

  private accept(text: string): boolean {
    if (this.peek()?.text !== text) return false;
    this.position++;
    return true;
  }

  private expect(text: string): void {
    const token = this.peek();
    if (token?.text !== text) {
      throw new HeaderError(`expected "${text}"${token ? ` before "${token.text}"` : ' at the end'}`, token?.location ?? this.lastLocation());
    }
    this.position++;
  }

  private lastLocation(): SourceLocation {
    return this.tokens[this.tokens.length - 1]?.location ?? this.fallback;
  }
}
