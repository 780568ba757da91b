import { FilterSyntaxError, tokenize, type Token } from './lexer';

// Filter text to a syntax tree, by precedence climbing over C's operator levels, with `~`
// (pattern match) and `in (...)` at the level of `==`. Word aliases: `and`, `or`, `not`.
// Two C pitfalls are refused rather than parsed as C would: a comparison as the operand of
// `&`, `|`, `^` (`flags & SYNC == 0` is `flags & (SYNC == 0)` in C) and chained comparisons.

export interface Span {
  readonly start: number;
  readonly end: number;
}

export type Syntax =
  | ({ readonly kind: 'int'; readonly value: bigint } & Span)
  | ({ readonly kind: 'float'; readonly value: number } & Span)
  | ({ readonly kind: 'string'; readonly text: string } & Span)
  /** `hdr.size`, `viewports[0].width`; `explicitField` for a leading `.` (a header field, never a pseudo-field). */
  | ({ readonly kind: 'name'; readonly path: string; readonly explicitField: boolean } & Span)
  | ({ readonly kind: 'unary'; readonly op: '!' | '~' | '-' | '+'; readonly operand: Syntax } & Span)
  | ({ readonly kind: 'binary'; readonly op: BinaryOperator; readonly left: Syntax; readonly right: Syntax; readonly operator: Span } & Span)
  | ({ readonly kind: 'logical'; readonly op: '&&' | '||'; readonly operands: readonly Syntax[] } & Span)
  | ({ readonly kind: 'in'; readonly negated: boolean; readonly operand: Syntax; readonly items: readonly Syntax[] } & Span);

export type BinaryOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | '~' | '&' | '|' | '^' | '<<' | '>>' | '+' | '-' | '*' | '/' | '%';

const PRECEDENCE: Readonly<Record<string, number>> = {
  '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5, '==': 6, '!=': 6, '~': 6, in: 6, not: 6, '<': 7, '<=': 7, '>': 7, '>=': 7,
  '<<': 8, '>>': 8, '+': 9, '-': 9, '*': 10, '/': 10, '%': 10,
};
const WORD_OPERATORS: Readonly<Record<string, string>> = { and: '&&', or: '||' };
const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=', '~', 'in']);
const BITWISE = new Set(['&', '|', '^']);

/** Parentheses, unary operators and operator chains together; far beyond any real filter. */
export const MAX_DEPTH = 100;
export const MAX_SOURCE_LENGTH = 64 * 1024;

export function parseFilter(source: string): Syntax {
  if (source.length > MAX_SOURCE_LENGTH) throw new FilterSyntaxError(`filter is longer than ${MAX_SOURCE_LENGTH} characters`, MAX_SOURCE_LENGTH, source.length);
  const tokens = tokenize(source);
  if (tokens.length === 1) throw new FilterSyntaxError('the filter is empty', 0, source.length);
  return new FilterParser(tokens).parseWhole();
}

class FilterParser {
  private position = 0;
  private depth = 0;
  /** Which expressions were written in parentheses, for the pitfall checks. */
  private readonly parenthesized = new WeakSet<Syntax>();
  /** Tree depth of each node built, so operator chains count towards MAX_DEPTH too. */
  private readonly heights = new WeakMap<Syntax, number>();

  constructor(private readonly tokens: readonly Token[]) {}

  parseWhole(): Syntax {
    const expression = this.parseBinary(1);
    const rest = this.peek();
    if (rest.kind !== 'end') {
      if (rest.kind === 'operator' && rest.text === ')') throw this.error('unmatched ")"', rest);
      if (rest.kind === 'operator' && rest.text === '=') throw this.error('"=" is not a comparison: did you mean "=="?', rest);
      if (rest.kind === 'identifier' && rest.text !== rest.text.toLowerCase() && ['and', 'or', 'not', 'in'].includes(rest.text.toLowerCase())) {
        throw this.error(`operators are lower case: write "${rest.text.toLowerCase()}"`, rest);
      }
      throw this.error(`unexpected ${describe(rest)}: expected an operator such as && or ||`, rest);
    }
    return expression;
  }

  private parseBinary(minPrecedence: number): Syntax {
    let left = this.parseUnary();
    for (;;) {
      const token = this.peek();
      const op = this.binaryOperator(token);
      const precedence = op === undefined ? undefined : PRECEDENCE[op];
      if (op === undefined || precedence === undefined || precedence < minPrecedence) return left;
      this.position++;
      if (op === 'not') {
        this.position++; // `not in`, checked by binaryOperator
        left = this.parseIn(left, true);
      } else if (op === 'in') {
        left = this.parseIn(left, false);
      } else if (op === '&&' || op === '||') {
        left = this.parseLogical(op, left, precedence);
      } else {
        const right = this.parseBinary(precedence + 1);
        this.checkPitfalls(op, left, right);
        left = this.node({ kind: 'binary', op: op as BinaryOperator, left, right, operator: span(token), start: left.start, end: right.end }, [left, right]);
      }
    }
  }

  /** `a && b && c` as one node: long chains of clauses stay flat however many there are. */
  private parseLogical(op: '&&' | '||', first: Syntax, precedence: number): Syntax {
    const operands = [first, this.parseBinary(precedence + 1)];
    while (this.binaryOperator(this.peek()) === op) {
      this.position++;
      operands.push(this.parseBinary(precedence + 1));
    }
    return this.node({ kind: 'logical', op, operands, start: first.start, end: operands[operands.length - 1]!.end }, operands);
  }

  private parseIn(operand: Syntax, negated: boolean): Syntax {
    const keyword = this.tokens[this.position - 1]!;
    const open = this.peek();
    if (!isOperator(open, '(')) {
      throw this.error(`"in" needs a list in parentheses, like ${negated ? 'not in' : 'in'} (3, 4)`, open.kind === 'end' ? keyword : open);
    }
    this.position++;
    if (isOperator(this.peek(), ')')) throw this.error('the list after "in" is empty', open, this.peek());
    const items: Syntax[] = [];
    this.enter(open);
    do {
      items.push(this.parseBinary(1));
    } while (this.accept(','));
    this.depth--;
    const close = this.expectClose(open);
    for (const item of [operand, ...items]) this.checkComparisonOperand('in', item);
    return this.node({ kind: 'in', negated, operand, items, start: operand.start, end: close.end }, [operand, ...items]);
  }

  private parseUnary(): Syntax {
    const token = this.peek();
    const op = token.kind === 'operator' ? token.text : token.kind === 'identifier' && token.text === 'not' ? '!' : undefined;
    if (op === '!' || op === '~' || op === '-' || op === '+') {
      this.position++;
      this.enter(token);
      const operand = this.parseUnary();
      this.depth--;
      return this.node({ kind: 'unary', op, operand, start: token.start, end: operand.end }, [operand]);
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Syntax {
    const token = this.next();
    switch (token.kind) {
      case 'int':
        return { kind: 'int', value: token.value, start: token.start, end: token.end };
      case 'float':
        return { kind: 'float', value: token.value, start: token.start, end: token.end };
      case 'string':
        return { kind: 'string', text: token.text, start: token.start, end: token.end };
      case 'identifier':
        if (KEYWORDS.has(token.text)) throw this.error(`"${token.text}" needs a value before it`, token);
        if (token.text === 'true' || token.text === 'false') return { kind: 'int', value: token.text === 'true' ? 1n : 0n, start: token.start, end: token.end };
        return this.parsePath(token, token.start, false);
      case 'end':
        throw this.missingOperand();
      case 'operator':
        break;
    }
    if (token.text === '(') {
      this.enter(token);
      const inner = this.parseBinary(1);
      this.depth--;
      this.expectClose(token);
      this.parenthesized.add(inner);
      return inner;
    }
    if (token.text === '.' && this.peek().kind === 'identifier') {
      return this.parsePath(this.next() as Extract<Token, { kind: 'identifier' }>, token.start, true);
    }
    this.position--;
    const before = this.tokens[this.position - 1];
    if (token.text === '=' && (isOperator(before, '==') || isOperator(before, '!=')) && before.end === token.start) {
      throw this.error(`"${before.text}=" is JavaScript: write "${before.text}"`, before, token);
    }
    if (token.text === '=') throw this.error('"=" is not a comparison: did you mean "=="?', token);
    if (token.text === ')' || token.text === ',' || token.text === ']') throw this.missingOperand();
    throw this.error(`"${token.text}" needs a value before it`, token);
  }

  /** `a.b[2].c`: one name; indexes are integer literals, normalised to decimal. */
  private parsePath(first: Extract<Token, { kind: 'identifier' }>, start: number, explicitField: boolean): Syntax {
    let path = first.text;
    let end = first.end;
    for (;;) {
      const token = this.peek();
      if (isOperator(token, '.')) {
        this.position++;
        const member = this.next();
        if (member.kind !== 'identifier') throw this.error(`expected a member name after "${path}."`, member.kind === 'end' ? token : member);
        path += `.${member.text}`;
        end = member.end;
      } else if (isOperator(token, '[')) {
        this.position++;
        const index = this.next();
        if (index.kind !== 'int') throw this.error('an array index must be a whole number, like [0]', index.kind === 'end' ? token : index);
        const close = this.next();
        if (!isOperator(close, ']')) throw this.error('expected "]"', close.kind === 'end' ? token : close);
        path += `[${String(index.value)}]`;
        end = close.end;
      } else {
        return { kind: 'name', path, explicitField, start, end };
      }
    }
  }

  /** The C pitfalls: `flags & SYNC == 0`, and `a < b < c`. */
  private checkPitfalls(op: string, left: Syntax, right: Syntax): void {
    if (BITWISE.has(op)) {
      for (const operand of [left, right]) {
        if (this.isBareComparison(operand)) {
          throw this.error(`put the comparison in parentheses: "${op}" binds more loosely than comparisons, as in C (write (a ${op} b) == c, or use ${op === '&' ? '&&' : '||'})`, operand);
        }
      }
    }
    if (COMPARISONS.has(op)) {
      this.checkComparisonOperand(op, left);
      this.checkComparisonOperand(op, right);
    }
  }

  private checkComparisonOperand(op: string, operand: Syntax): void {
    if (this.isBareComparison(operand)) {
      throw this.error(`comparisons do not chain: write a < b && b < c, or parenthesise (a < b) ${op} c`, operand);
    }
  }

  private isBareComparison(syntax: Syntax): boolean {
    return !this.parenthesized.has(syntax) && ((syntax.kind === 'binary' && COMPARISONS.has(syntax.op)) || syntax.kind === 'in');
  }

  private binaryOperator(token: Token): string | undefined {
    if (token.kind === 'operator') return token.text === '=' ? undefined : token.text;
    if (token.kind !== 'identifier') return undefined;
    if (token.text === 'in') return 'in';
    if (token.text === 'not') {
      const after = this.tokens[this.position + 1];
      return after?.kind === 'identifier' && after.text === 'in' ? 'not' : undefined;
    }
    return WORD_OPERATORS[token.text];
  }

  private node<T extends Syntax>(syntax: T, children: readonly Syntax[]): T {
    let height = 1;
    for (const child of children) height = Math.max(height, 1 + (this.heights.get(child) ?? 0));
    if (height > MAX_DEPTH) throw this.error(`the filter is nested too deeply (more than ${MAX_DEPTH} levels)`, syntax);
    this.heights.set(syntax, height);
    return syntax;
  }

  private enter(token: Token): void {
    if (++this.depth > MAX_DEPTH) throw this.error(`the filter is nested too deeply (more than ${MAX_DEPTH} levels)`, token);
  }

  private expectClose(open: Token): Token {
    const token = this.peek();
    if (isOperator(token, ')')) {
      this.position++;
      return token;
    }
    if (token.kind === 'end') throw this.error('"(" is never closed', open);
    if (isOperator(token, '=')) throw this.error('"=" is not a comparison: did you mean "=="?', token);
    throw this.error(`expected "," or ")" before ${describe(token)}`, token);
  }

  /** An operand is missing: blame the operator before it (what the user sees), or the empty end. */
  private missingOperand(): FilterSyntaxError {
    const at = this.peek();
    const before = this.tokens[this.position - 1];
    if (before) return this.error(`${describe(before)} needs a value after it`, before);
    return this.error(`expected a value, found ${describe(at)}`, at);
  }

  private error(message: string, from: Span, to: Span = from): FilterSyntaxError {
    return new FilterSyntaxError(message, from.start, Math.max(from.end, to.end));
  }

  private peek(): Token {
    return this.tokens[this.position] ?? this.tokens[this.tokens.length - 1]!;
  }

  private next(): Token {
    const token = this.peek();
    if (this.position < this.tokens.length - 1) this.position++;
    return token;
  }

  private accept(text: string): boolean {
    if (!isOperator(this.peek(), text)) return false;
    this.position++;
    return true;
  }
}

const KEYWORDS = new Set(['and', 'or', 'in']);

function isOperator(token: Token | undefined, text: string): token is Extract<Token, { kind: 'operator' }> {
  return token?.kind === 'operator' && token.text === text;
}

function span(token: Token): Span {
  return { start: token.start, end: token.end };
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'the end of the filter';
    case 'identifier':
    case 'operator':
      return `"${token.text}"`;
    case 'string':
      return 'a string';
    default:
      return `"${String(token.value)}"`;
  }
}
