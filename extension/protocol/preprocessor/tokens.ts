import { HeaderError, type SourceLocation } from '../diagnostics';

// Preprocessing tokens (C11 6.4.7): what both the preprocessor and the constant-expression
// evaluator read. Comments are tokens too, so they survive into the expanded text where
// the declaration reader looks for annotations such as `/* DXGI_FORMAT */`.

export type TokenKind = 'identifier' | 'number' | 'char' | 'string' | 'punctuator' | 'comment' | 'newline' | 'other';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly location: SourceLocation;
  /** Whitespace (or a comment) stood before it on the same line. */
  readonly spaceBefore: boolean;
  /** Macros this token came out of; they are not expanded again in it (C11 6.10.3.4). */
  readonly hideSet?: HideSet;
  /** For tokens produced by a macro expansion: where the macro was invoked. */
  readonly expandedFrom?: SourceLocation;
}

/**
 * An immutable set of macro names as a chain: adding a name is O(1) and shares the rest,
 * which matters because every token of every expansion carries one.
 */
export class HideSet {
  private constructor(
    private readonly name: string,
    private readonly parent: HideSet | undefined,
  ) {}

  static of(name: string, parent?: HideSet): HideSet {
    return parent?.has(name) ? parent : new HideSet(name, parent);
  }

  has(name: string): boolean {
    return this.name === name || (this.parent?.has(name) ?? false);
  }

  /** This set plus every name of `other`. */
  union(other: HideSet | undefined): HideSet {
    return other ? HideSet.of(other.name, this.union(other.parent)) : this;
  }
}

const PUNCTUATORS = [
  '%:%:', '...', '<<=', '>>=',
  '->', '++', '--', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '*=', '/=', '%=', '+=', '-=', '&=', '^=', '|=', '##', '<:', ':>', '<%', '%>', '%:',
  '[', ']', '(', ')', '{', '}', '.', '&', '*', '+', '-', '~', '!', '/', '%', '<', '>', '^', '|', '?', ':', ';', '=', ',', '#',
];

const IDENTIFIER_START = /[A-Za-z_$\u0080-\uffff]/;
const IDENTIFIER_PART = /[A-Za-z0-9_$\u0080-\uffff]/;

/**
 * Splits one file into tokens. Backslash-newline splices are removed first (their line
 * numbers kept), and every line end becomes a `newline` token because directives are
 * line-based.
 */
export function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let column = 1;
  let i = 0;
  let spaceBefore = false;
  const n = text.length;

  const advance = (count: number) => {
    for (let k = 0; k < count; k++) {
      if (text[i] === '\n') {
        line++;
        column = 1;
      } else {
        column++;
      }
      i++;
    }
  };
  /** Skips backslash-newline splices at the cursor. */
  const skipSplices = () => {
    while (text[i] === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) {
      advance(text[i + 1] === '\r' ? 3 : 2);
    }
  };
  const push = (kind: TokenKind, tokenText: string, location: SourceLocation) => {
    tokens.push({ kind, text: tokenText, location, spaceBefore });
    spaceBefore = false;
  };

  while (i < n) {
    skipSplices();
    if (i >= n) break;
    const c = text[i]!;
    const location = { file, line, column };
    if (c === '\n') {
      push('newline', '\n', location);
      advance(1);
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      spaceBefore = true;
      advance(1);
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new HeaderError('unterminated /* comment', location);
      const body = text.slice(i, end + 2);
      push('comment', body, location);
      advance(body.length);
      spaceBefore = true;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      let end = i;
      // A line comment continues over backslash-newline.
      while (end < n && text[end] !== '\n') end += text[end] === '\\' && text[end + 1] === '\n' ? 2 : 1;
      if (text[end - 1] === '\r') end--;
      const body = text.slice(i, end);
      push('comment', body, location);
      advance(body.length);
      spaceBefore = true;
      continue;
    }
    if (IDENTIFIER_START.test(c)) {
      let end = i + 1;
      while (end < n && IDENTIFIER_PART.test(text[end]!)) end++;
      // Encoding prefixes of character and string literals: L'x', u8"x", U"x".
      const word = text.slice(i, end);
      if ((text[end] === "'" || text[end] === '"') && /^(L|u|U|u8)$/.test(word)) {
        const literal = readQuoted(text, end, location);
        push(text[end] === "'" ? 'char' : 'string', word + literal, location);
        advance(word.length + literal.length);
        continue;
      }
      push('identifier', word, location);
      advance(word.length);
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      // pp-number: digits, letters, dots, and exponent signs (C11 6.4.8).
      let end = i + 1;
      while (end < n) {
        const d = text[end]!;
        if (/[0-9A-Za-z_.]/.test(d)) end++;
        else if ((d === '+' || d === '-') && /[eEpP]/.test(text[end - 1]!)) end++;
        else if (d === "'" && /[0-9A-Fa-f]/.test(text[end + 1] ?? '')) end++; // C23 digit separators
        else break;
      }
      push('number', text.slice(i, end), location);
      advance(end - i);
      continue;
    }
    if (c === "'" || c === '"') {
      const literal = readQuoted(text, i, location);
      push(c === "'" ? 'char' : 'string', literal, location);
      advance(literal.length);
      continue;
    }
    const punctuator = PUNCTUATORS.find((p) => text.startsWith(p, i));
    if (punctuator) {
      push('punctuator', punctuator, location);
      advance(punctuator.length);
      continue;
    }
    push('other', c, location);
    advance(1);
  }
  return tokens;
}

function readQuoted(text: string, start: number, location: SourceLocation): string {
  const quote = text[start];
  let end = start + 1;
  while (end < text.length && text[end] !== quote) {
    if (text[end] === '\n') break;
    end += text[end] === '\\' ? 2 : 1;
  }
  if (text[end] !== quote) {
    throw new HeaderError(`unterminated ${quote === "'" ? 'character' : 'string'} literal`, location);
  }
  return text.slice(start, end + 1);
}

/** The index of the ")" that closes the "(" at `open`, or -1 when there is none (or no "(" there). */
export function matchingParen(tokens: readonly Token[], open: number): number {
  if (tokens[open]?.text !== '(') return -1;
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i]!.text === '(') depth++;
    else if (tokens[i]!.text === ')' && --depth === 0) return i;
  }
  return -1;
}
