import * as assert from 'node:assert/strict';
import {
  exitCodeFor,
  extensionHostTierResult,
  formatSuiteResult,
  parseSuiteResult,
  summaryLine,
  type TierResult,
} from '../harness/tierResults';

const tier = (passed: number, failed: number): TierResult => ({ tier: 't', passed, failed, failures: [] });

describe('test-run bookkeeping', () => {
  it('reads back the result line a suite prints, wherever it sits in the log', () => {
    const lines = ['  ✔ one', `[ext host] ${formatSuiteResult(5, 1, ['a b'])}`, 'trailing noise'];
    assert.deepEqual(parseSuiteResult(lines), { passed: 5, failed: 1, failures: ['a b'] });
  });

  it('ignores torn or forged result lines', () => {
    assert.equal(parseSuiteResult(['GPUPV-SUITE-RESULT {"passed":', 'GPUPV-SUITE-RESULT {"passed":"9","failed":0,"failures":[]}']), undefined);
    assert.equal(parseSuiteResult([]), undefined);
  });

  it('counts a suite that never reported, or timed out, as a failure', () => {
    assert.deepEqual([extensionHostTierResult('x', 1, []).failed, extensionHostTierResult('x', 'timeout', []).failed], [1, 1]);
    const crashedAfterPassing = extensionHostTierResult('x', 1, [formatSuiteResult(3, 0, [])]);
    assert.deepEqual([crashedAfterPassing.passed, crashedAfterPassing.failed], [3, 1]);
  });

  it('takes a clean suite at its word', () => {
    const clean = extensionHostTierResult('x', 0, [formatSuiteResult(7, 0, [])]);
    assert.deepEqual([clean.passed, clean.failed], [7, 0]);
  });

  it('sums all tiers into one closing line and fails the run on any failure, or on no tests at all', () => {
    assert.equal(summaryLine([tier(3, 0), tier(4, 2)]), '7 passed, 2 failed');
    assert.equal(exitCodeFor([tier(3, 0), tier(4, 0)]), 0);
    assert.equal(exitCodeFor([tier(3, 0), tier(4, 1)]), 1);
    assert.equal(exitCodeFor([tier(0, 0)]), 1);
  });
});
