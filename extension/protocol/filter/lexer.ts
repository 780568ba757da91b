// Filter text to tokens. Numbers are read here, exactly: integers as BigInt (hex `0x`,
// binary `0b`, decimal, `_` between digits, C's `u`/`l` suffixes accepted and ignored),
// decimals with a point or an exponent as floats. There is no octal: a leading 0 is an error
// rather than a silent change of base.

/** A syntax error at a span of the source; the parser stops at the first one. */
export class FilterSyntaxError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
  }
}

export type Token =
  | { readonly kind: 'int'; readonly value: bigint; readonly start: number; readonly end: number }
  | { readonly kind: 'float'; readonly value: number; readonly start: number; readonly end: number }
  | { readonly kind: 'string'; readonly text: string; readonly start: number; readonly end: number }
  | { readonly kind: 'identifier'; readonly text: string; readonly start: number; readonly end: number }
  | { readonly kind: 'operator'; readonly text: string; readonly start: number; readonly end: number }
  | { readonly kind: 'end'; readonly start: number; readonly end: number };

const OPERATORS = ['&&', '||', '==', '!=', '<=', '>=', '<<', '>>', '<', '>', '!', '&', '|', '^', '~', '+', '-', '*', '/', '%', '(', ')', '[', ']', ',', '.', '='];
const MAX_U64 = (1n << 64n) - 1n;

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    const c = source[at]!;
    if (/\s/.test(c)) {
      at++;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(source[at + 1] ?? ''))) {
      const token = readNumber(source, at);
      tokens.push(token);
      at = token.end;
    } else if (/[A-Za-z_]/.test(c)) {
      const end = scan(source, at, /[A-Za-z0-9_]/);
      tokens.push({ kind: 'identifier', text: source.slice(at, end), start: at, end });
      at = end;
    } else if (c === '"' || c === "'") {
      const token = readString(source, at);
      tokens.push(token);
      at = token.end;
    } else {
      const text = OPERATORS.find((op) => source.startsWith(op, at));
      if (!text) {
        const character = String.fromCodePoint(source.codePointAt(at)!);
        throw new FilterSyntaxError(`unexpected character "${character}"`, at, at + character.length);
      }
      tokens.push({ kind: 'operator', text, start: at, end: at + text.length });
      at += text.length;
    }
  }
  tokens.push({ kind: 'end', start: source.length, end: source.length });
  return tokens;
}

function scan(source: string, from: number, allowed: RegExp): number {
  let end = from;
  while (end < source.length && allowed.test(source[end]!)) end++;
  return end;
}

function readNumber(source: string, start: number): Token {
  // Take the whole run of number-ish characters first, so `12abc` is one bad number.
  let end = scan(source, start, /[0-9A-Za-z_.]/);
  // An exponent's sign belongs to the number: 1e-3.
  while (/[eE]$/.test(source.slice(start, end)) && /^[+-][0-9]/.test(source.slice(end, end + 2)) && !/^0[xX]/.test(source.slice(start))) {
    end = scan(source, end + 1, /[0-9A-Za-z_.]/);
  }
  const text = source.slice(start, end);
  const fail = (why: string): never => {
    throw new FilterSyntaxError(`bad number "${text}": ${why}`, start, end);
  };
  const radix = /^0[xX]/.test(text) ? 16 : /^0[bB]/.test(text) ? 2 : 10;
  if (radix !== 10) {
    const match = /^0[xXbB]([0-9A-Za-z_]*?)([uUlL]*)$/.exec(text);
    if (!match) fail(radix === 16 ? 'not a hex number' : 'not a binary number');
    const digits = match![1]!;
    if (digits === '') fail(radix === 16 ? 'expected hex digits after 0x' : 'expected binary digits after 0b');
    checkSeparators(digits, fail);
    checkIntegerSuffix(match![2]!, fail);
    const plain = digits.replaceAll('_', '');
    if (!(radix === 16 ? /^[0-9A-Fa-f]+$/ : /^[01]+$/).test(plain)) fail(radix === 16 ? 'not a hex digit in it' : 'binary digits are 0 and 1');
    return intToken(BigInt((radix === 16 ? '0x' : '0b') + plain), start, end, fail);
  }
  const match = /^([0-9_]*)(?:\.([0-9_]*))?(?:[eE]([+-]?[0-9_]*))?([uUlLfF]*)$/.exec(text);
  if (!match) fail(/\..*\./.test(text) ? 'more than one decimal point' : 'not a number');
  const [, whole = '', fraction, exponent, suffix = ''] = match!;
  const isFloat = fraction !== undefined || exponent !== undefined;
  for (const part of [whole, fraction, exponent?.replace(/^[+-]/, '')]) if (part !== undefined) checkSeparators(part, fail);
  if (fraction === '') fail('expected digits after the decimal point');
  if (exponent !== undefined && !/[0-9]/.test(exponent)) fail('expected digits in the exponent');
  if (/^0[0-9]/.test(whole.replaceAll('_', ''))) fail('leading zeros are not allowed (there is no octal); write it without them, or in hex as 0x...');
  if (isFloat) {
    if (/[uUlL]/.test(suffix)) fail(`"${suffix}" is an integer suffix`);
    const value = Number(text.replaceAll('_', '').replace(/[fF]$/, ''));
    if (!Number.isFinite(value)) fail('too large for a float');
    return { kind: 'float', value, start, end };
  }
  if (/[fF]/.test(suffix)) fail('"f" needs a decimal point (1.0f)');
  checkIntegerSuffix(suffix, fail);
  return intToken(BigInt(whole.replaceAll('_', '')), start, end, fail);
}

/** C's u, l, ul, ll, ull in any case and order; accepted so constants pasted from C read as they are. */
function checkIntegerSuffix(suffix: string, fail: (why: string) => never): void {
  if (!/^(u?(l|ll)?|(l|ll)u)$/i.test(suffix)) fail(`"${suffix}" is not an integer suffix`);
}

function checkSeparators(digits: string, fail: (why: string) => never): void {
  if (/^_|_$|__/.test(digits)) fail('"_" goes only between digits');
}

function intToken(value: bigint, start: number, end: number, fail: (why: string) => never): Token {
  if (value > MAX_U64) fail('does not fit in 64 bits (the largest is 0xFFFF_FFFF_FFFF_FFFF)');
  return { kind: 'int', value, start, end };
}

/**
 * `"..."` or `'...'`. A backslash keeps the character after it, so regular expressions pass
 * through untouched (`"\d+"`); only an escaped quote loses its backslash.
 */
function readString(source: string, start: number): Token {
  const quote = source[start]!;
  let text = '';
  let at = start + 1;
  while (at < source.length && source[at] !== quote) {
    if (source[at] === '\\' && at + 1 < source.length) {
      text += source[at + 1] === quote ? quote : source.slice(at, at + 2);
      at += 2;
    } else {
      text += source.charAt(at);
      at++;
    }
  }
  if (at >= source.length) throw new FilterSyntaxError(`string is not closed: expected ${quote}`, start, source.length);
  return { kind: 'string', text, start, end: at + 1 };
}
