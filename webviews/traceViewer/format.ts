import { FenceStateCode, RowKindCode, type PageRow } from '../shared/rowPage';
import type { TimeMode } from '../shared/traceViewerProtocol';

// How the table writes its cells: times (since the start, wall clock, or since the previous
// row), sizes, fence states. Nanosecond times stay exact: the wall clock is built from the
// trace's base time (a BigInt) plus the row's offset.

export function formatTime(row: PageRow, mode: TimeMode, baseTimeNs: bigint | undefined): string {
  if (Number.isNaN(row.time)) return '';
  if (mode === 'delta') return Number.isNaN(row.previousTime) ? '' : `+${seconds(row.time - row.previousTime)}`;
  if (mode === 'absolute' && baseTimeNs !== undefined) return wallClock(baseTimeNs + BigInt(Math.round(row.time)));
  return seconds(row.time);
}

/** `1.234567891` seconds with nanoseconds, or `0.000012345` for small deltas. */
export function seconds(ns: number): string {
  const whole = Math.floor(ns / 1e9);
  const fraction = Math.round(ns - whole * 1e9);
  return `${whole}.${String(fraction).padStart(9, '0')}`;
}

/**
 * Labels for ticks at `ticks` seconds, in the unit their spacing calls for (`2.5 s`, `350 ms`,
 * `1.25 µs`, `40 ns`), with as few decimals as tell them apart.
 */
export function tickTimes(ticks: readonly number[]): string[] {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : Math.abs(ticks[0] ?? 1) || 1;
  const [scale, unit] = step >= 1 ? [1, 's'] : step >= 1e-3 ? [1e3, 'ms'] : step >= 1e-6 ? [1e6, '\u00b5s'] : [1e9, 'ns'];
  const scaled = step * scale;
  let decimals = 0;
  while (decimals < 3 && Math.abs(scaled * 10 ** decimals - Math.round(scaled * 10 ** decimals)) > 1e-6) decimals++;
  return ticks.map((t) => `${(t * scale).toFixed(decimals)} ${unit}`);
}

/** Local wall-clock time of day with nanoseconds: `21:03:05.123456789`. */
export function wallClock(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
}

export function formatFence(row: PageRow): string {
  switch (row.fenceState) {
    case FenceStateCode.completed:
      return `done after ${milliseconds(row.latencyMs)}`;
    case FenceStateCode.completedUntimed:
      return 'done (time unknown)';
    case FenceStateCode.submitted:
      return 'submitted';
    case FenceStateCode.never:
      return 'never completed';
    default:
      return '';
  }
}

export function milliseconds(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(0)} \u00b5s`;
}

export function formatOpcode(row: PageRow, names: ReadonlyMap<number, string>): string {
  if (row.kind === RowKindCode.overrun) return 'OVERRUN';
  if (row.kind === RowKindCode.error) return 'UNREADABLE';
  return names.get(row.opcode) ?? `0x${row.opcode.toString(16)}`;
}

export function count(n: number): string {
  return n.toLocaleString('en');
}

export function bytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}
