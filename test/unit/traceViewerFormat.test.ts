import * as assert from 'node:assert/strict';
import { seconds, tickTimes } from '../../webviews/traceViewer/format';

// What the viewer writes for times: the table's nanosecond-exact cells and the timeline's
// axis labels, whose unit follows the zoom (a capture of eight commands spans microseconds).

describe('trace viewer time formats', () => {
  it('writes a cell time in seconds with every nanosecond', () => {
    assert.equal(seconds(0), '0.000000000');
    assert.equal(seconds(1_234_567_891), '1.234567891');
    assert.equal(seconds(12_345), '0.000012345');
  });

  it('labels axis ticks in the unit their spacing calls for, with the decimals that tell them apart', () => {
    assert.deepEqual(tickTimes([0, 2.5, 5, 7.5]), ['0.0 s', '2.5 s', '5.0 s', '7.5 s']);
    assert.deepEqual(tickTimes([0.002, 0.004, 0.006]), ['2 ms', '4 ms', '6 ms']);
    assert.deepEqual(tickTimes([0, 0.00025, 0.0005]), ['0 \u00b5s', '250 \u00b5s', '500 \u00b5s']);
    assert.deepEqual(tickTimes([0.00000125, 0.0000025]), ['1.25 \u00b5s', '2.50 \u00b5s']);
    assert.deepEqual(tickTimes([0, 5e-7, 1e-6]), ['0 ns', '500 ns', '1000 ns']);
  });
});
