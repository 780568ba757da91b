import type { FilterValue } from './filterApi';

// The arithmetic both back ends run, and constant folding with them. Integers are exact:
// a value arrives as number (any field up to 53 bits) or bigint (u64), numbers take the fast
// path while the result stays exact and BigInt takes over when it would not. Nothing wraps
// at 64 bits. `undefined` is a value that is not there (a field this command lacks, a
// division by zero) and makes every comparison with it false. Nothing here throws.

export type Num = number | bigint;

/** A field's value as a number: booleans count 0 and 1, anything else non-numeric is absent. */
export function numeric(v: FilterValue): Num | undefined {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

/** The constant in its fastest exact form: a number whenever the number is the same value. */
export function runtimeConstant(value: Num): Num {
  if (typeof value === 'number') return value;
  const asNumber = Number(value);
  return BigInt(asNumber) === value ? asNumber : value;
}

/** C's truth: present and not zero (NaN is not zero). */
export function truthy(v: Num | undefined): boolean {
  return v !== undefined && v !== 0 && v !== 0n;
}

export function equal(a: Num | undefined, b: Num | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  // Comparing a number with a bigint is exact in JavaScript; <= and >= avoid ==.
  return a === b || (typeof a !== typeof b && a <= b && a >= b);
}

export function notEqual(a: Num | undefined, b: Num | undefined): boolean {
  return a !== undefined && b !== undefined && !equal(a, b);
}

export function less(a: Num | undefined, b: Num | undefined): boolean {
  return a !== undefined && b !== undefined && a < b;
}

export function lessOrEqual(a: Num | undefined, b: Num | undefined): boolean {
  return a !== undefined && b !== undefined && a <= b;
}

export function greater(a: Num | undefined, b: Num | undefined): boolean {
  return a !== undefined && b !== undefined && a > b;
}

export function greaterOrEqual(a: Num | undefined, b: Num | undefined): boolean {
  return a !== undefined && b !== undefined && a >= b;
}

/** A set of constants that finds a value in either representation (3, 3n and 3.0 are one value). */
export class ValueSet {
  private readonly numbers = new Set<number>();
  private readonly bigints = new Set<bigint>();

  add(value: Num): void {
    if (typeof value === 'number') {
      if (Number.isNaN(value)) return; // NaN equals nothing
      this.numbers.add(value);
      if (Number.isInteger(value)) this.bigints.add(BigInt(value));
    } else {
      this.bigints.add(value);
      if (BigInt(Number(value)) === value) this.numbers.add(Number(value));
    }
  }

  has(value: Num | undefined): boolean {
    return typeof value === 'number' ? this.numbers.has(value) : value !== undefined && this.bigints.has(value);
  }

  get size(): number {
    return this.bigints.size + this.numbers.size;
  }
}

function big(v: Num): bigint | undefined {
  return typeof v === 'bigint' ? v : Number.isInteger(v) ? BigInt(v) : undefined;
}

function bigOp(a: Num, b: Num, op: (x: bigint, y: bigint) => bigint | undefined): Num | undefined {
  const x = big(a);
  const y = big(b);
  return x === undefined || y === undefined ? undefined : op(x, y);
}

function isUint32(v: Num): v is number {
  return typeof v === 'number' && v >>> 0 === v;
}

function isInt32(v: Num): v is number {
  return typeof v === 'number' && (v | 0) === v;
}

export function intAdd(a: Num | undefined, b: Num | undefined): Num | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (Number.isSafeInteger(r)) return r;
  }
  return bigOp(a, b, (x, y) => x + y);
}

export function intSubtract(a: Num | undefined, b: Num | undefined): Num | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a - b;
    if (Number.isSafeInteger(r)) return r;
  }
  return bigOp(a, b, (x, y) => x - y);
}

export function intMultiply(a: Num | undefined, b: Num | undefined): Num | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (typeof a === 'number' && typeof b === 'number') {
    // A product below 2^53 is exact in floating point; anything bigger is redone in BigInt.
    const r = a * b;
    if (Number.isSafeInteger(r)) return r + 0;
  }
  return bigOp(a, b, (x, y) => x * y);
}

/** Truncating division, as C and BigInt do; by zero there is no value. */
export function intDivide(a: Num | undefined, b: Num | undefined): Num | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (Number.isSafeInteger(a) && Number.isSafeInteger(b)) {
    // Exact: for |a| < 2^53 the rounding of a / b never reaches the next integer.
    return b === 0 ? undefined : Math.trunc((a as number) / (b as number)) + 0;
  }
  return bigOp(a, b, (x, y) => (y === 0n ? undefined : x / y));
}

export function intRemainder(a: Num | undefined, b: Num | undefined): Num | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (Number.isSafeInteger(a) && Number.isSafeInteger(b)) return b === 0 ? undefined : ((a as number) % (b as number)) + 0;
  return bigOp(a, b, (x, y) => (y === 0n ? undefined : x % y));
}

/** Shift counts are 0 to 63, as for a 64-bit C operand; others have no value. */
export function intShiftLeft(a: Num | undefined, b: Num | undefined): Num | undefined {
  if (a === undefined || b === undefined) return undefined;
  return bigOp(a, b, (x, y) => (y < 0n || y > 63n ? undefined : x << y));
}

/** Arithmetic shift (negative values stay negative), as GCC and MSVC do for signed types. */
export function intShiftRight(a: Num | undefined, b: Num | undefined): Num | undefined {
  if (a === undefined || b === undefined) return undefined;
  return bigOp(a, b, (x, y) => (y < 0n || y > 63n ? undefined : x >> y));
}

// Bitwise operators on infinite two's complement (what BigInt does): exact for any mix of
// signed and unsigned values. Within 32 bits the number operators give the same answer.
export function intAnd(a: Num | undefined, b: Num | undefined): Num | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (isUint32(a) && isUint32(b)) return (a & b) >>> 0;
  if (isInt32(a) && isInt32(b)) return a & b;
  return bigOp(a, b, (x, y) => x & y);
}

export function intOr(a: Num | undefined, b: Num | undefined): Num | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (isUint32(a) && isUint32(b)) return (a | b) >>> 0;
  if (isInt32(a) && isInt32(b)) return a | b;
  return bigOp(a, b, (x, y) => x | y);
}

export function intXor(a: Num | undefined, b: Num | undefined): Num | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (isUint32(a) && isUint32(b)) return (a ^ b) >>> 0;
  if (isInt32(a) && isInt32(b)) return a ^ b;
  return bigOp(a, b, (x, y) => x ^ y);
}

export function intNegate(a: Num | undefined): Num | undefined {
  if (a === undefined) return undefined;
  if (typeof a === 'bigint') return -a;
  return Number.isInteger(a) ? 0 - a : undefined;
}

export function intComplement(a: Num | undefined): Num | undefined {
  if (a === undefined) return undefined;
  if (isInt32(a)) return ~a;
  const x = big(a);
  return x === undefined ? undefined : ~x;
}

// Floating point: IEEE doubles, as a float field is read. Integers join in as their nearest double.
export function floatAdd(a: Num | undefined, b: Num | undefined): Num | undefined {
  return a === undefined || b === undefined ? undefined : Number(a) + Number(b);
}

export function floatSubtract(a: Num | undefined, b: Num | undefined): Num | undefined {
  return a === undefined || b === undefined ? undefined : Number(a) - Number(b);
}

export function floatMultiply(a: Num | undefined, b: Num | undefined): Num | undefined {
  return a === undefined || b === undefined ? undefined : Number(a) * Number(b);
}

export function floatDivide(a: Num | undefined, b: Num | undefined): Num | undefined {
  return a === undefined || b === undefined ? undefined : Number(a) / Number(b);
}

export function floatRemainder(a: Num | undefined, b: Num | undefined): Num | undefined {
  return a === undefined || b === undefined ? undefined : Number(a) % Number(b);
}

export function floatNegate(a: Num | undefined): Num | undefined {
  return a === undefined ? undefined : -Number(a);
}

/** A char array's text: its bytes up to the first NUL, one character per byte. */
export function bytesText(v: FilterValue): string | undefined {
  if (!(v instanceof Uint8Array)) return undefined;
  const end = v.indexOf(0);
  let text = '';
  for (const byte of end < 0 ? v : v.subarray(0, end)) text += String.fromCharCode(byte);
  return text;
}

export function bytesEqual(v: FilterValue, text: string): boolean {
  return bytesText(v) === text;
}

export function bytesNotEqual(v: FilterValue, text: string): boolean {
  const actual = bytesText(v);
  return actual !== undefined && actual !== text;
}

export function bytesMatch(v: FilterValue, pattern: RegExp): boolean {
  const actual = bytesText(v);
  return actual !== undefined && pattern.test(actual);
}
