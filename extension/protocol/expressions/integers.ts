import type { Abi } from '../abi';

// C integer values with their types, so that `1u << 31`, `-1 >> 1`, `0xFFFFFFFF` and
// `(uint16_t)-1` come out exactly as a C compiler computes them: BigInt arithmetic,
// wrapped to the operand type after integer promotion and the usual arithmetic conversions.

export interface IntValue {
  readonly value: bigint;
  /** Width of the value's type in bits. */
  readonly bits: number;
  readonly unsigned: boolean;
}

export const INT = { bits: 32, unsigned: false } as const;

export function intOf(value: bigint | number | boolean, type: { bits: number; unsigned: boolean } = INT): IntValue {
  const v = typeof value === 'boolean' ? (value ? 1n : 0n) : BigInt(value);
  return { value: wrap(v, type.bits, type.unsigned), bits: type.bits, unsigned: type.unsigned };
}

export function wrap(value: bigint, bits: number, unsigned: boolean): bigint {
  return unsigned ? BigInt.asUintN(bits, value) : BigInt.asIntN(bits, value);
}

export function fits(value: bigint, bits: number, unsigned: boolean): boolean {
  return wrap(value, bits, unsigned) === value;
}

/** C11 6.3.1.1: everything narrower than int becomes int. */
export function promote(v: IntValue): IntValue {
  return v.bits < 32 ? intOf(v.value, INT) : v;
}

/** C11 6.3.1.8 for integers, by width and signedness (ranks of equal width behave alike). */
export function commonType(a: IntValue, b: IntValue): { bits: number; unsigned: boolean } {
  const x = promote(a);
  const y = promote(b);
  if (x.unsigned === y.unsigned) return { bits: Math.max(x.bits, y.bits), unsigned: x.unsigned };
  const [u, s] = x.unsigned ? [x, y] : [y, x];
  if (u.bits >= s.bits) return { bits: u.bits, unsigned: true };
  return { bits: s.bits, unsigned: false };
}

/**
 * The type of an integer literal (C11 6.4.4.1): the first of the candidate types its
 * value fits in. In `#if`, every integer is intmax_t/uintmax_t (64 bits).
 */
export function parseIntegerLiteral(text: string, abi: Abi, preprocessor: boolean): IntValue | string {
  const match = /^(0[xX][0-9A-Fa-f']+|0[0-7']*|[1-9][0-9']*)([uUlL]*)$/.exec(text);
  if (!match) return `invalid integer constant "${text}"`;
  const digits = match[1]!.replaceAll("'", '');
  const suffix = match[2]!.toLowerCase();
  if (!['', 'u', 'l', 'ul', 'lu', 'll', 'ull', 'llu'].includes(suffix)) return `invalid suffix "${match[2]!}" on "${text}"`;
  const value = digits.length > 1 && digits.startsWith('0') && !/^0x/i.test(digits) ? BigInt('0o' + digits.slice(1)) : BigInt(digits);
  const decimal = /^[1-9]/.test(digits);
  const unsignedSuffix = suffix.includes('u');
  const longs = (suffix.match(/l/g) ?? []).length;
  if (preprocessor) {
    if (!fits(value, 64, true)) return `integer constant "${text}" does not fit in 64 bits`;
    return intOf(value, { bits: 64, unsigned: unsignedSuffix || !fits(value, 64, false) });
  }
  const long = abi.longSize * 8;
  const candidates: { bits: number; unsigned: boolean }[] = [];
  const add = (bits: number, allowSigned: boolean, allowUnsigned: boolean) => {
    if (allowSigned && !unsignedSuffix) candidates.push({ bits, unsigned: false });
    if (allowUnsigned && (unsignedSuffix || !decimal)) candidates.push({ bits, unsigned: true });
  };
  if (longs === 0) add(32, true, true);
  if (longs <= 1) add(long, true, true);
  add(64, true, true);
  const type = candidates.find((t) => fits(value, t.bits, t.unsigned));
  if (type) return intOf(value, type);
  // GCC and MSVC both give a too-large decimal constant the type unsigned long long.
  if (fits(value, 64, true)) return intOf(value, { bits: 64, unsigned: true });
  return `integer constant "${text}" does not fit in 64 bits`;
}

/** 'a', '\n', '\x41', '\101', L'x': the value as int (wide: as wchar_t, which we treat as int). */
export function parseCharacterLiteral(text: string): IntValue | string {
  const match = /^(L|u8|u|U)?'(.*)'$/s.exec(text);
  if (!match) return `invalid character constant ${text}`;
  const body = match[2]!;
  const escapes: Record<string, number> = { n: 10, t: 9, r: 13, '0': 0, a: 7, b: 8, f: 12, v: 11, '\\': 92, "'": 39, '"': 34, '?': 63 };
  let code: number | undefined;
  if (body.length === 1) code = body.charCodeAt(0);
  else if (body.startsWith('\\x')) code = parseInt(body.slice(2), 16);
  else if (/^\\[0-7]{1,3}$/.test(body)) code = parseInt(body.slice(1), 8);
  else if (body.length === 2 && body.startsWith('\\')) code = escapes[body[1]!];
  if (code === undefined || Number.isNaN(code)) return `unsupported character constant ${text}`;
  // A plain char constant has type int, with the value of a (signed) char.
  return match[1] ? intOf(code) : intOf(BigInt.asIntN(8, BigInt(code)));
}
