// Latencies of millions of commands, kept in fixed memory whatever the trace's length (a live
// ring followed for hours): a histogram with logarithmic buckets 0.1% wide, from 100 ns to
// 10,000 s. A percentile read from it is within 0.05% of the exact one; the maximum is exact.

export interface LatencyPercentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

const SMALLEST_MS = 1e-4;
const LARGEST_MS = 1e7;
const LOG_RATIO = Math.log(1.001);
const BUCKETS = Math.ceil(Math.log(LARGEST_MS / SMALLEST_MS) / LOG_RATIO) + 2;

export class LatencyHistogram {
  count = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  /** Bucket 0 holds everything up to 100 ns; bucket b > 0 holds (100 ns * r^(b-1), 100 ns * r^b]. */
  private readonly counts = new Float64Array(BUCKETS);

  record(ms: number): void {
    this.count++;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
    const bucket = ms <= SMALLEST_MS ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log(ms / SMALLEST_MS) / LOG_RATIO) + 1);
    this.counts[bucket]!++;
  }

  /** Nearest-rank percentiles (the value at rank ceil(p * n)), as the trace's fence statistics count them. */
  percentiles(): LatencyPercentiles | undefined {
    if (this.count === 0) return undefined;
    return { p50: this.percentile(0.5), p90: this.percentile(0.9), p99: this.percentile(0.99), max: this.max };
  }

  private percentile(p: number): number {
    const rank = Math.max(1, Math.ceil(p * this.count));
    // The extremes are known exactly.
    if (rank === this.count) return this.max;
    if (rank === 1) return this.min;
    let seen = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      seen += this.counts[bucket]!;
      if (seen < rank) continue;
      // The bucket's geometric middle, never outside what was recorded.
      const middle = bucket === 0 ? this.min : SMALLEST_MS * Math.exp((bucket - 0.5) * LOG_RATIO);
      return Math.min(this.max, Math.max(this.min, middle));
    }
    return this.max;
  }
}
