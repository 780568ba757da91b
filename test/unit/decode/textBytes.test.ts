import * as assert from 'node:assert/strict';
import { writeJsonFloat32, writeJsonInteger64, writeJsonNumber, writeNumber, writeUnsigned, writeUnsignedParts } from '../../../extension/protocol/decode/textBytes';
import { seededRandom } from '../seededRandom';

const out = new Uint8Array(64);
const text = (end: number) => Buffer.from(out.subarray(0, end)).toString('latin1');

describe('numbers written as text bytes', () => {
  it('writes every double as String() does: random bits, float32 values, decimals, ties, powers of two and ten, edges', () => {
    const random = seededRandom(20240601);
    const words = new Uint32Array(2);
    const double = new Float64Array(words.buffer);
    const single = new Float32Array(1);
    const values: number[] = [0, -0, 0.1, 0.2, 0.3, 1 / 3, 5e-324, 1e-7, 1.5e-7, 1e-6, 999999999999999.9, 1e15, 123456789012345.6, 4503599627370495.5, 2 ** 53 + 2, 1e21, 1e22, Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity];
    for (let e = -30; e <= 30; e++) values.push(10 ** e, 2 ** e, -(2 ** e) * 3, 10 ** e * (1 + 2 ** -52), 10 ** e * (1 - 2 ** -53));
    for (let i = 0; i < 200_000; i++) {
      words[0] = random() * 2 ** 32;
      words[1] = random() * 2 ** 32;
      values.push(double[0]!);
      single[0] = double[0]!;
      values.push(single[0]);
      // Float32 values of a screen's size with one decimal: their exact values end in 5, a tie at 15 or 17 digits.
      single[0] = Math.floor(random() * 19200) / 10;
      values.push(single[0], -single[0]);
      values.push(random() * 10 ** Math.floor(random() * 24 - 8), Math.round(random() * 1e6) / 1000, Math.floor(random() * 2 ** 53));
    }
    let wrong = 0;
    for (const value of values) {
      const written = text(writeNumber(out, 0, value));
      if (written !== String(value) && wrong++ < 5) assert.fail(`${String(value)} written as ${written}`);
    }
    assert.equal(wrong, 0);
  });

  it('writes what JSON.stringify writes: null for NaN and the infinities, float32 values by their bits', () => {
    for (const value of [NaN, Infinity, -Infinity, -0, 1.5, 783.4000244140625]) assert.equal(text(writeJsonNumber(out, 0, value)), JSON.stringify(value));
    const single = new Float32Array(1);
    const bits = new Uint32Array(single.buffer);
    for (const value of [0.1, 783.4, -2.5, NaN, Infinity, 3.4e38, 1e-45]) {
      single[0] = value;
      // Twice: the second comes from the texts kept by bit pattern.
      for (let i = 0; i < 2; i++) assert.equal(text(writeJsonFloat32(out, new DataView(out.buffer), 0, bits[0]!)), JSON.stringify(single[0]));
    }
  });

  it('writes integers exactly: 64-bit ones as numbers while exact and quoted decimals beyond', () => {
    for (const value of [0, 7, 10, 99999999, 100000000, 123456789012, 2 ** 53 - 1]) assert.equal(text(writeUnsigned(out, 0, value)), String(value));
    assert.equal(text(writeUnsignedParts(out, 0, 1_700_000_000, 5)), '1700000000000000005');
    const cases: [bigint, boolean, string][] = [
      [2n ** 53n - 1n, false, '9007199254740991'],
      [2n ** 53n, false, '"9007199254740992"'],
      [2n ** 64n - 1n, false, '"18446744073709551615"'],
      [2n ** 64n - 1n, true, '-1'],
      [2n ** 64n - (2n ** 53n - 1n), true, '-9007199254740991'],
      [2n ** 63n, true, '"-9223372036854775808"'],
      [5n, true, '5'],
    ];
    for (const [bits, signed, expected] of cases) assert.equal(text(writeJsonInteger64(out, 0, Number(bits >> 32n), Number(bits & 0xffffffffn), signed)), expected);
  });
});
