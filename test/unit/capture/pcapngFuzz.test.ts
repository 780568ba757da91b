import * as assert from 'node:assert/strict';
import { fuzzCase, runFuzzCase } from './pcapngFuzzLong';

// Seeded random and mutated captures through the reader, read whole and in random chunks:
// only PcapngError, both ways agree, no more packets than the bytes can hold, intact
// captures read completely (a case that hangs trips mocha's timeout). A failure names its seed;
// `node out/test/unit/capture/pcapngFuzzLong.js 1 <seed>` replays it alone, and with no
// arguments that script runs 100,000 cases.

describe('pcapng reader: fuzzing', () => {
  const CASES = 3000;

  it(`survives ${CASES} seeded random and mutated captures (bit flips, truncations, length edits, block splices)`, function () {
    this.timeout(120_000);
    const outcomes = new Set<string>();
    let intact = 0;
    for (let seed = 1; seed <= CASES; seed++) {
      const fuzz = fuzzCase(seed);
      const result = runFuzzCase(fuzz);
      outcomes.add(result.error ?? 'read to the end');
      if (fuzz.intactPackets !== undefined) intact++;
    }
    // The cases must reach every kind of damage, or the generator has drifted.
    for (const expected of ['read to the end', 'TRUNCATED', 'BAD_MAGIC', 'LENGTH_NOT_MULTIPLE_OF_4', 'LENGTH_TOO_SMALL', 'LENGTH_TOO_LARGE', 'TRAILING_LENGTH_MISMATCH', 'CAPTURED_LENGTH_EXCEEDS_BLOCK', 'BAD_OPTION', 'UNKNOWN_INTERFACE', 'UNSUPPORTED_VERSION']) {
      assert.ok(outcomes.has(expected), `no case ended with ${expected}`);
    }
    assert.ok(intact >= 50, `only ${intact} intact captures`);
  });

  it('generates the same case for the same seed', () => {
    assert.deepEqual(fuzzCase(1234), fuzzCase(1234));
  });
});
