import { lowerBound, RowKind, type TraceIndex } from './traceIndex';

// What the timeline draws for a time range at a given width: per bucket, the commands seen,
// the ring's fullest occupancy, the slowest fence and the overruns. Counts come from binary
// searches on the row times (a trace's rows are in time order), so any zoom of a trace of
// ten million commands costs a few thousand searches, not a pass over the rows.

export interface TimelineBuckets {
  /** Nanoseconds after the trace's first row: the range the buckets cover. */
  readonly from: number;
  readonly to: number;
  readonly commands: Float64Array;
  /** Largest occupancy sample in the bucket, bytes; NaN when none was taken. */
  readonly occupancy: Float64Array;
  /** Slowest fence seen in the bucket, milliseconds from seen to completed; NaN when none completed. */
  readonly fenceLatency: Float64Array;
  readonly overruns: Float64Array;
}

export function timelineBuckets(index: TraceIndex, from: number, to: number, count: number): TimelineBuckets {
  const buckets = Math.max(1, Math.min(count, 8192));
  const width = Math.max(1, to - from) / buckets;
  const bucketOf = (time: number) => Math.min(buckets - 1, Math.floor((time - from) / width));
  const commands = new Float64Array(buckets);
  if (index.timesOrdered) {
    let previous = index.rowAtTime(from);
    for (let b = 0; b < buckets; b++) {
      const next = b === buckets - 1 ? index.rowAtTime(to + 1) : index.rowAtTime(from + (b + 1) * width);
      commands[b] = next - previous;
      previous = next;
    }
  } else {
    for (let row = 0; row < index.count; row++) {
      const time = index.times[row]!;
      if (time >= from && time <= to) commands[bucketOf(time)]!++;
    }
  }
  const occupancy = new Float64Array(buckets).fill(Number.NaN);
  for (let i = lowerBound(index.occupancyTimes, index.occupancyCount, from); i < index.occupancyCount && index.occupancyTimes[i]! <= to; i++) {
    const b = bucketOf(index.occupancyTimes[i]!);
    const bytes = index.occupancyBytes[i]!;
    if (!(occupancy[b]! >= bytes)) occupancy[b] = bytes;
  }
  const fenceLatency = new Float64Array(buckets).fill(Number.NaN);
  for (let i = lowerBound(index.fenceTimes, index.fenceCount, from); i < index.fenceCount && index.fenceTimes[i]! <= to; i++) {
    const completed = index.fenceCompletedAt[i]!;
    if (Number.isNaN(completed)) continue;
    const b = bucketOf(index.fenceTimes[i]!);
    const ms = (completed - index.fenceTimes[i]!) / 1e6;
    if (!(fenceLatency[b]! >= ms)) fenceLatency[b] = ms;
  }
  const overruns = new Float64Array(buckets);
  for (const seq of index.noteSeqs()) {
    const row = seq - index.firstSeq;
    if (index.kindAt(row) !== RowKind.overrun) continue;
    const time = index.times[row]!;
    if (time >= from && time <= to) overruns[bucketOf(time)]!++;
  }
  return { from, to, commands, occupancy, fenceLatency, overruns };
}
