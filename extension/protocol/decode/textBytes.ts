// Decoded values written as text straight into a byte buffer, for output that runs to
// gigabytes (`gpupv decode --format jsonl`): no string per value, no string per line.
// Numbers come out exactly as JavaScript prints them (String(x), and so JSON.stringify),
// which for doubles means the shortest digits that read back as the same double. V8 finds
// those in hundreds of nanoseconds for the float32 values GPU commands are full of; the
// exact arithmetic below finds them in a few tens and hands the rare cases it cannot
// settle (ties, powers of two, very large or small magnitudes) to String(x).
//
// Every writer takes the buffer and a position and returns the position after what it
// wrote. Writes past the end of the buffer are dropped by the typed array while the
// position still advances, so a caller learns how much room a line needed by comparing the
// position with the buffer's length.

const DIGIT_0 = 48;
/** "00" to "99": digits are written two at a time, halving the divisions. */
export const DIGIT_PAIRS = Uint8Array.from({ length: 200 }, (_, i) => DIGIT_0 + (i & 1 ? (i >> 1) % 10 : Math.floor((i >> 1) / 10)));
const TWO_53 = 2 ** 53;
const TWO_32 = 2 ** 32;

/** 10^0 .. 10^22: every one an exact double. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
/** 2^q and 5^q (q <= 22), 5^q also split in halves of at most 26 significant bits (Veltkamp) for Dekker's product. */
const POWERS_OF_TWO = Array.from({ length: 23 }, (_, q) => 2 ** q);
const FIVES = Array.from({ length: 23 }, (_, q) => 5 ** q);
const SPLITTER = 134217729;
const FIVES_HIGH = FIVES.map((five) => SPLITTER * five - (SPLITTER * five - five));
const FIVES_LOW = FIVES.map((five, q) => five - FIVES_HIGH[q]!);

/** Scratch: typed-array slots hold doubles unboxed, module variables would not. */
const SCALED = new Float64Array(2);
const BITS = new Float64Array(1);
const BIT_WORDS = new Uint32Array(BITS.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LOW_WORD = LITTLE_ENDIAN ? 0 : 1;
const HIGH_WORD = 1 - LOW_WORD;

/** A whole number 0 <= value < 2^53, in decimal. */
export function writeUnsigned(out: Uint8Array, p: number, value: number): number {
  // Counts, ids and flags are mostly below 1000: straight-line stores for them.
  if (value < 10) {
    out[p] = DIGIT_0 + value;
    return p + 1;
  }
  if (value < 100) {
    const pair = value << 1;
    out[p] = DIGIT_PAIRS[pair]!;
    out[p + 1] = DIGIT_PAIRS[pair + 1]!;
    return p + 2;
  }
  if (value < 1000) {
    const hundreds = (value / 100) | 0;
    const pair = (value - hundreds * 100) << 1;
    out[p] = DIGIT_0 + hundreds;
    out[p + 1] = DIGIT_PAIRS[pair]!;
    out[p + 2] = DIGIT_PAIRS[pair + 1]!;
    return p + 3;
  }
  if (value >= 1e8) {
    // Two halves, each within 32-bit integer arithmetic.
    // The quotient may round up to the next integer: the remainder then says so.
    let high = Math.floor(value / 1e8);
    let low = value - high * 1e8;
    if (low < 0) {
      high--;
      low += 1e8;
    }
    return writeDigits(out, writeUnsigned(out, p, high), low, 8);
  }
  return writeDigits(out, p, value, digitCount(value));
}

/** A safe integer (|value| < 2^53), in decimal. */
export function writeInteger(out: Uint8Array, p: number, value: number): number {
  if (value < 0) {
    out[p++] = 0x2d;
    value = -value;
  }
  return writeUnsigned(out, p, value);
}

/** high * 10^9 + low (high < 2^53, low < 10^9) in decimal, exact beyond 2^53. */
export function writeUnsignedParts(out: Uint8Array, p: number, high: number, low: number): number {
  if (high === 0) return writeUnsigned(out, p, low);
  return writeNineDigits(out, writeUnsigned(out, p, high), low);
}

/** 0 <= value < 10^9 as exactly nine digits, zero-padded (the low half of writeUnsignedParts). */
export function writeNineDigits(out: Uint8Array, p: number, value: number): number {
  return writeDigits(out, p, value, 9);
}

/** `value` (0 <= value < 10^9) as exactly `count` digits, zero-padded. */
function writeDigits(out: Uint8Array, p: number, value: number, count: number): number {
  let rest = value | 0;
  let at = p + count;
  while (at - p >= 2) {
    const next = (rest / 100) | 0;
    const pair = (rest - next * 100) << 1;
    out[at - 2] = DIGIT_PAIRS[pair]!;
    out[at - 1] = DIGIT_PAIRS[pair + 1]!;
    rest = next;
    at -= 2;
  }
  if (at > p) out[p] = DIGIT_0 + rest;
  return p + count;
}

/** Digits of 0 <= value < 10^9. */
function digitCount(value: number): number {
  if (value < 1e4) return value < 100 ? (value < 10 ? 1 : 2) : value < 1e3 ? 3 : 4;
  if (value < 1e6) return value < 1e5 ? 5 : 6;
  return value < 1e7 ? 7 : value < 1e8 ? 8 : 9;
}

/** A 64-bit integer from its 32-bit halves as JSON shows a u64/i64: a number while exact, else a quoted decimal string. */
export function writeJsonInteger64(out: Uint8Array, p: number, high: number, low: number, signed: boolean): number {
  if (signed && high >= 0x80000000) {
    // Negative: exact as a number down to -(2^53 - 1).
    const magnitude = (0xffffffff - high) * TWO_32 + (TWO_32 - low);
    if (magnitude < TWO_53) return writeInteger(out, p, -magnitude);
  } else if (high < 0x200000) {
    return writeUnsigned(out, p, high * TWO_32 + low);
  }
  const text = signed ? BigInt.asIntN(64, (BigInt(high) << 32n) | BigInt(low)).toString() : ((BigInt(high) << 32n) | BigInt(low)).toString();
  out[p++] = 0x22;
  p = writeAscii(out, p, text);
  out[p] = 0x22;
  return p + 1;
}

/** A bigint as JSON shows decoded values: a number while exact, else a quoted decimal string. */
export function writeJsonBigInt(out: Uint8Array, p: number, value: bigint): number {
  if (value <= MAX_SAFE && value >= MIN_SAFE) return writeInteger(out, p, Number(value));
  out[p++] = 0x22;
  p = writeAscii(out, p, value.toString());
  out[p] = 0x22;
  return p + 1;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/**
 * Texts of float32 values made so far, by bit pattern: GPU commands repeat the same few
 * thousand floats (viewport sizes, depth ranges, clear colours, blend factors) millions of
 * times. Direct-mapped, a newer value taking an older one's slot.
 */
const FLOAT_SLOTS = 1 << 16;
const FLOAT_TEXT_BYTES = 24;
const floatKeys = new Uint32Array(FLOAT_SLOTS);
const floatLengths = new Uint8Array(FLOAT_SLOTS);
const floatTexts = new Uint8Array(FLOAT_SLOTS * FLOAT_TEXT_BYTES);
/** The same texts as doubles, copied out eight bytes at a time (text bytes never make a NaN). */
const floatTextWords = new Float64Array(floatTexts.buffer);
const FLOAT32 = new Float32Array(1);
const FLOAT32_BITS = new Uint32Array(FLOAT32.buffer);

/**
 * The float32 with these bits, as JSON.stringify writes it (widened to a double, as the
 * decoder reads it). `outView` is a DataView of `out`: up to 24 bytes past the text are
 * overwritten (a RangeError near the end of `out`, as RecordJsonWriter allows).
 */
export function writeJsonFloat32(out: Uint8Array, outView: DataView, p: number, bits: number): number {
  const slot = Math.imul(bits, 0x9e3779b1) >>> 16;
  const length = floatLengths[slot]!;
  if (length !== 0 && floatKeys[slot] === bits) {
    const word = slot * 3;
    outView.setFloat64(p, floatTextWords[word]!, true);
    outView.setFloat64(p + 8, floatTextWords[word + 1]!, true);
    outView.setFloat64(p + 16, floatTextWords[word + 2]!, true);
    return p + length;
  }
  FLOAT32_BITS[0] = bits;
  const end = writeJsonNumber(out, p, FLOAT32[0]!);
  if (end - p <= FLOAT_TEXT_BYTES && end <= out.length) {
    floatKeys[slot] = bits;
    floatLengths[slot] = end - p;
    floatTexts.set(out.subarray(p, end), slot * FLOAT_TEXT_BYTES);
  }
  return end;
}

/** A double as JSON.stringify writes it: NaN and the infinities are null. */
export function writeJsonNumber(out: Uint8Array, p: number, value: number): number {
  if (value - value !== 0) return writeAscii(out, p, 'null');
  return writeNumber(out, p, value);
}

/** A double exactly as String(value) writes it. */
export function writeNumber(out: Uint8Array, p: number, value: number): number {
  if (value < 0) {
    out[p++] = 0x2d;
    value = -value;
  }
  if (value < TWO_53 && Math.floor(value) === value) return writeUnsigned(out, p, value); // 0 and -0 too
  if (value >= 1e-6 && value < 1e15) {
    const end = writeShortest(out, p, value);
    if (end >= 0) return end;
  }
  // Exponent notation, NaN, Infinity, and the cases the fast path cannot settle.
  return writeAscii(out, p, String(value));
}

/**
 * The shortest decimal that reads back as `value` (1e-6 <= value < 1e15, not whole), the
 * closest one when several are as short, as String(value) gives it; -1 when that takes more
 * than exact double arithmetic can tell. The closest candidate of k digits is the integer
 * nearest value * 10^q, worked out exactly; it reads back when C / 10^q (one correctly
 * rounded division of exact operands, just what parsing it does) is the double again.
 * Any shorter decimal is also a 15-digit one, and 17 digits always read back. Between two
 * candidates exactly as close, V8 takes the even one (as David Gay's dtoa does).
 */
function writeShortest(out: Uint8Array, p: number, value: number): number {
  // At a power of two the double below is nearer than the one above: the interval that
  // reads back is lopsided, and "the closest fails" no longer means "every one fails".
  BITS[0] = value;
  if (BIT_WORDS[LOW_WORD] === 0 && (BIT_WORDS[HIGH_WORD]! & 0xfffff) === 0) return -1;
  const integerDigits = integerDigitsOf(value);
  for (let digits = 15; digits <= 17; digits++) {
    const q = digits - integerDigits;
    scaleExactly(value, q);
    const high = SCALED[0]!;
    const rounded = Math.round(high);
    // value * 10^q is exactly rounded + offset, up to half an integer away when offset is not whole.
    const offset = nearestOffset(high - rounded, SCALED[1]!, high >= 2 ** 52);
    const whole = Math.round(offset);
    if (digits === 17) {
      // Both ends of a tie read back at 17 digits; rounded is even above 2^53.
      const tieUp = offset !== whole && isEven(rounded) === isEven(offset + 0.5);
      return writeFixed(out, p, rounded, offset === whole ? whole : tieUp ? offset + 0.5 : offset - 0.5, integerDigits);
    }
    if (rounded + whole + 1 >= TWO_53) return -1;
    const power = POWERS_OF_TEN[q]!;
    if (offset === whole) {
      if ((rounded + whole) / power === value) return writeFixed(out, p, rounded + whole, 0, integerDigits);
      continue;
    }
    const below = rounded + offset - 0.5;
    const belowReads = below / power === value;
    const aboveReads = (below + 1) / power === value;
    if (belowReads && (!aboveReads || isEven(below))) return writeFixed(out, p, below, 0, integerDigits);
    if (aboveReads) return writeFixed(out, p, below + 1, 0, integerDigits);
  }
  return -1;
}

/** For whole numbers of any size: a double % would be a call to fmod. */
function isEven(whole: number): boolean {
  return whole - 2 * Math.floor(whole / 2) === 0;
}

/** n with 10^(n-1) <= value < 10^n: the digits before the point, or minus the zeros after it (1e-6 <= value < 1e15). */
function integerDigitsOf(value: number): number {
  if (value >= 1) {
    const whole = Math.floor(value);
    return whole >= 1e8 ? 8 + digitCount(Math.floor(whole / 1e8)) : digitCount(whole);
  }
  // 10^-k is not a double: compare value * 10^k with 1 exactly instead.
  let k = 1;
  for (; k < 6; k++) {
    scaleExactly(value, k);
    if (SCALED[0]! > 1 || (SCALED[0] === 1 && SCALED[1]! >= 0)) break;
  }
  return 1 - k;
}

/** value * 10^q exactly, as SCALED[0] + SCALED[1] (Dekker's product; 0 <= q <= 22, no overflow here). */
function scaleExactly(value: number, q: number): void {
  // value * 2^q is exact; 5^q is exact up to 5^22.
  const a = value * POWERS_OF_TWO[q]!;
  const high = a * FIVES[q]!;
  const c = SPLITTER * a;
  const aHigh = c - (c - a);
  const aLow = a - aHigh;
  const bHigh = FIVES_HIGH[q]!;
  const bLow = FIVES_LOW[q]!;
  SCALED[0] = high;
  SCALED[1] = aHigh * bHigh - high + aHigh * bLow + aLow * bHigh + aLow * bLow;
}

/**
 * high + low - Math.round(high), given `fraction` = high - Math.round(high) (exact): an
 * integer, or an integer and a half for an exact tie, and otherwise the nearest integer.
 * Below 2^52 high has a fraction and |low| < 1/2; above, high is whole and low may be a
 * few units.
 */
function nearestOffset(fraction: number, low: number, whole: boolean): number {
  if (whole) return low - Math.floor(low) === 0.5 ? low : Math.round(low);
  // 0.5 - fraction and -0.5 - fraction are exact: both are multiples of high's ulp.
  const up = 0.5 - fraction;
  const down = -0.5 - fraction;
  if (low === up) return 0.5;
  if (low === down) return -0.5;
  return low > up ? 1 : low < down ? -1 : 0;
}

/**
 * The digits of `whole + adjust` (whole an exact double below 10^17, adjust a few units),
 * trailing zeros dropped, with the point after `integerDigits` of them; -1 when rounding
 * carried into one more digit.
 */
function writeFixed(out: Uint8Array, p: number, whole: number, adjust: number, integerDigits: number): number {
  // Halves of 8 and 9 digits: high * 1e9 is exact, so is whole minus it (Sterbenz).
  let high = Math.floor(whole / 1e9);
  let low = whole - high * 1e9 + adjust;
  if (low < 0) {
    low += 1e9;
    high--;
  } else if (low >= 1e9) {
    low -= 1e9;
    high++;
  }
  if (high >= 1e8) return -1;
  // Drop trailing zeros, then write from the last digit back, stepping over the point.
  // Both halves are below 2^31: int32 arithmetic (a double % is a call to fmod).
  let highInt = high | 0;
  let lowInt = low | 0;
  let count = highInt === 0 ? digitCount(lowInt) : digitCount(highInt) + 9;
  if (lowInt === 0) {
    lowInt = highInt;
    highInt = 0;
    count -= 9;
  }
  while (lowInt % 10 === 0) {
    lowInt = (lowInt / 10) | 0;
    count--;
  }
  let lowDigits = highInt === 0 ? count : count - digitCount(highInt);
  if (integerDigits <= 0) {
    out[p++] = DIGIT_0;
    out[p++] = 0x2e;
    for (let i = 0; i < -integerDigits; i++) out[p++] = DIGIT_0;
    integerDigits = 0;
  } else if (count <= integerDigits) {
    return -1; // a whole number after all: not this path's to write
  }
  const end = p + count + (integerDigits > 0 ? 1 : 0);
  let at = end - 1;
  for (let i = count - 1; i >= 0; i--) {
    let digit: number;
    if (lowDigits > 0) {
      const next = (lowInt / 10) | 0;
      digit = lowInt - next * 10;
      lowInt = next;
      lowDigits--;
    } else {
      const next = (highInt / 10) | 0;
      digit = highInt - next * 10;
      highInt = next;
    }
    out[at--] = DIGIT_0 + digit;
    if (i === integerDigits && integerDigits > 0) out[at--] = 0x2e;
  }
  return end;
}


/** A string of code points below 128 (numbers, names from C headers). */
export function writeAscii(out: Uint8Array, p: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[p + i] = text.charCodeAt(i);
  return p + text.length;
}

/**
 * Text made once and written on every line (a key, a label), kept as doubles too, to be
 * written eight bytes at a time; unless some eight of its bytes are a NaN's bits (a byte
 * from 0xF0 up in the right place, never in ASCII), which a double might not carry intact.
 */
export class PreparedText {
  readonly bytes: Uint8Array;
  readonly words: Float64Array | undefined;

  constructor(text: string) {
    this.bytes = Buffer.from(text);
    const padded = new Uint8Array(Math.ceil(this.bytes.length / 8) * 8);
    padded.set(this.bytes);
    const words = new Float64Array(padded.buffer);
    this.words = words.some(Number.isNaN) ? undefined : words;
  }
}

/**
 * Writes prepared text through `outView` (a DataView of `out`) and returns the position
 * after it; up to 7 bytes beyond are overwritten (a RangeError near the end of `out`, as
 * RecordJsonWriter allows).
 */
export function writePrepared(out: Uint8Array, outView: DataView, p: number, text: PreparedText): number {
  const words = text.words;
  if (words === undefined) return writeBytes(out, p, text.bytes);
  for (let i = 0; i < words.length; i++) outView.setFloat64(p + i * 8, words[i]!, true);
  return p + text.bytes.length;
}

/** Bytes made once (a quoted name, a label), copied. */
export function writeBytes(out: Uint8Array, p: number, bytes: Uint8Array): number {
  if (bytes.length > 32) {
    if (p + bytes.length <= out.length) out.set(bytes, p);
    return p + bytes.length;
  }
  for (let i = 0; i < bytes.length; i++) out[p + i] = bytes[i]!;
  return p + bytes.length;
}

/** Any string as a JSON string literal, UTF-8. */
export function writeJsonString(out: Uint8Array, p: number, text: string): number {
  return writeBytes(out, p, Buffer.from(JSON.stringify(text)));
}
