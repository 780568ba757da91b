import * as assert from 'node:assert/strict';
import { RefreshScheduler } from '../../../extension/common/refreshScheduler';

// When a polled view reads its data again: polling only while visible, automatic
// requests debounced, manual ones immediate, never two refreshes at once.

function recorder(durationMs = 0) {
  const runs: { reason: string; started: number; ended?: number }[] = [];
  let active = 0;
  let maxActive = 0;
  const refresh = async (reason: 'manual' | 'automatic') => {
    const run: (typeof runs)[number] = { reason, started: Date.now() };
    runs.push(run);
    active++;
    maxActive = Math.max(maxActive, active);
    await sleep(durationMs);
    active--;
    run.ended = Date.now();
  };
  return { runs, refresh, maxActive: () => maxActive };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('RefreshScheduler', () => {
  const schedulers: RefreshScheduler[] = [];
  afterEach(() => schedulers.splice(0).forEach((s) => s.dispose()));
  const make = (...args: ConstructorParameters<typeof RefreshScheduler>) => {
    const scheduler = new RefreshScheduler(...args);
    schedulers.push(scheduler);
    return scheduler;
  };

  it('does not poll while the view is hidden', async () => {
    const r = recorder();
    make(r.refresh, 20, 5);
    await sleep(120);
    assert.equal(r.runs.length, 0);
  });

  it('refreshes when the view appears, then polls at the interval, and stops when it hides', async () => {
    const r = recorder();
    const scheduler = make(r.refresh, 40, 5);
    scheduler.setVisible(true);
    await sleep(150);
    const whileVisible = r.runs.length;
    assert.ok(whileVisible >= 3, `only ${whileVisible} refreshes in 150 ms at a 40 ms interval`);
    scheduler.setVisible(false);
    await sleep(20);
    const atHide = r.runs.length;
    await sleep(150);
    assert.equal(r.runs.length, atHide);
  });

  it('coalesces automatic requests within the debounce window into one refresh', async () => {
    const r = recorder();
    const scheduler = make(r.refresh, 0, 30);
    for (let i = 0; i < 10; i++) scheduler.requestAutomatic();
    await sleep(80);
    assert.deepEqual(r.runs.map((x) => x.reason), ['automatic']);
  });

  it('runs a manual refresh at once, and one requested during a refresh right after it, never two at a time', async () => {
    const r = recorder(40);
    const scheduler = make(r.refresh, 0, 1_000);
    const first = scheduler.requestManual();
    assert.equal(r.runs.length, 1, 'a manual refresh must not wait for a debounce');
    const second = scheduler.requestManual();
    const third = scheduler.requestManual();
    assert.equal(second, third, 'requests made during one refresh share the next');
    await Promise.all([first, second, third]);
    assert.deepEqual(r.runs.map((x) => x.reason), ['manual', 'manual']);
    assert.ok(r.runs[1]!.started >= r.runs[0]!.ended!, 'the second refresh started before the first ended');
    assert.equal(r.maxActive(), 1);
  });

  it('skips an automatic refresh while another is in flight', async () => {
    const r = recorder(60);
    const scheduler = make(r.refresh, 0, 5);
    const manual = scheduler.requestManual();
    scheduler.requestAutomatic();
    await manual;
    await sleep(30);
    assert.deepEqual(r.runs.map((x) => x.reason), ['manual']);
  });

  it('times the next poll from the end of a slow refresh, so calls never pile up', async () => {
    const r = recorder(50);
    const scheduler = make(r.refresh, 10, 1);
    scheduler.setVisible(true);
    await sleep(300);
    scheduler.setVisible(false);
    assert.equal(r.maxActive(), 1);
    for (let i = 1; i < r.runs.length; i++) assert.ok(r.runs[i]!.started - r.runs[i - 1]!.ended! >= 9);
  });
});
