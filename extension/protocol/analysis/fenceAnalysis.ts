import { OpcodeGroups } from '../profile/opcodeGroups';
import { RowKind } from '../trace/traceIndex';
import type { TraceSource, TraceStatistics } from '../trace/traceSource';
import { LatencyHistogram, type LatencyPercentiles } from './latencyHistogram';

// Fence latency, and how long each kind of command waits for the host. A command is done
// when the first fence at or after it completes (the host retires commands in order), so
// its completion latency is that fence's completion time minus the time the command was
// seen. Commands are grouped by the header's opcode families (profile/opcodeGroups.ts), so
// "draws wait 4 ms at p99, resource creation 40 ms" is one table.
//
// Incremental: `update()` takes the fences completed since the last call and attributes
// the rows before each, reading only the index's columns (no record bytes). Rows a live
// window dropped before their fence completed are counted as missed, not guessed.

export interface GroupLatency {
  readonly group: string;
  /** The group's opcode values, smallest and largest; undefined for opcodes the profile does not know. */
  readonly first?: number;
  readonly last?: number;
  /** Commands completed at a known time: the sample the percentiles are read from. */
  readonly commands: number;
  /** Commands completed at an unknown time (a snapshot knows that, not when). */
  readonly untimed: number;
  /** Completion latency; within 0.05% (a histogram), the maximum exact. */
  readonly latencyMs?: LatencyPercentiles;
}

export interface FenceRef {
  readonly seq: number;
  readonly value: bigint;
}

export interface SlowFence extends FenceRef {
  readonly latencyMs: number;
}

export interface FenceReport {
  /** Fences completed over the whole trace, and their latency (seen to completed), exact. */
  readonly completed: number;
  readonly latencyMs?: LatencyPercentiles;
  /** Per opcode group, the groups that had commands completed. */
  readonly groups: readonly GroupLatency[];
  /** The slowest fences completed at a known time, slowest first. */
  readonly slowest: readonly SlowFence[];
  /** Fences not completed: "pending" while the trace is live, "never completed" once it ended. */
  readonly unfinished: { readonly state: 'pending' | 'never completed'; readonly count: number; readonly first: readonly FenceRef[] };
  /** Rows after the last completed fence, still waiting for one. */
  readonly awaitingFence: number;
  /** Rows dropped from a live window before their fence completed: in no group. */
  readonly missed: number;
}

export interface FenceAnalysisOptions {
  /** How many of the slowest fences to keep (default 10). */
  readonly slowest?: number;
  /** How many unfinished fences to list (default 10). */
  readonly listed?: number;
}

export class FenceAnalysis {
  private readonly histograms: LatencyHistogram[];
  private readonly untimed: Float64Array;
  /** Per opcode id of the index (ids are assigned as opcodes appear), its group; -1 not yet looked up. */
  private groupOfId = new Int16Array(64).fill(-1);
  /** Every row before it is attributed to a completed fence (or missed). */
  private attributedTo: number | undefined;
  /** Fences before this seq have been taken. */
  private fenceCursor = 0;
  private missed = 0;
  private readonly slowest: SlowFence[] = [];
  private readonly keepSlowest: number;
  private readonly listed: number;

  constructor(
    private readonly source: TraceSource,
    readonly groups: OpcodeGroups = new OpcodeGroups(source.protocol.command),
    options: FenceAnalysisOptions = {},
  ) {
    this.histograms = Array.from({ length: groups.groups.length + 1 }, () => new LatencyHistogram());
    this.untimed = new Float64Array(groups.groups.length + 1);
    this.keepSlowest = options.slowest ?? 10;
    this.listed = options.listed ?? 10;
  }

  /** Rows before this seq are no longer needed: a window may drop them without losing a latency. */
  get neededFrom(): number {
    return this.source.protocol.fence ? (this.attributedTo ?? this.source.index.firstSeq) : Number.POSITIVE_INFINITY;
  }

  /** Takes in the fences completed since the last call. */
  update(): void {
    const index = this.source.index;
    this.attributedTo ??= index.firstSeq;
    const completed = index.pendingFenceIndex;
    for (let i = index.fenceAtOrAfter(this.fenceCursor); i < completed; i++) {
      const fenceSeq = index.fenceSeqs[i]!;
      const completedAt = index.fenceCompletedAt[i]!;
      if (!Number.isNaN(completedAt)) this.offerSlow({ seq: fenceSeq, value: index.fenceValues[i]!, latencyMs: (completedAt - index.fenceTimes[i]!) / 1e6 });
      this.attribute(fenceSeq, completedAt);
      this.fenceCursor = fenceSeq + 1;
    }
  }

  report(statistics: TraceStatistics = this.source.statistics()): FenceReport {
    const index = this.source.index;
    const groups: GroupLatency[] = [];
    this.histograms.forEach((histogram, g) => {
      if (histogram.count === 0 && this.untimed[g] === 0) return;
      const group = this.groups.groups[g];
      const latencyMs = histogram.percentiles();
      groups.push({ group: this.groups.nameOf(g), ...(group ? { first: Number(group.first), last: Number(group.last) } : {}), commands: histogram.count, untimed: this.untimed[g]!, ...(latencyMs ? { latencyMs } : {}) });
    });
    const first: FenceRef[] = [];
    for (let i = index.pendingFenceIndex; i < index.fenceCount && first.length < this.listed; i++) first.push({ seq: index.fenceSeqs[i]!, value: index.fenceValues[i]! });
    return {
      completed: statistics.fences.completed,
      ...(statistics.fences.latencyMs ? { latencyMs: statistics.fences.latencyMs } : {}),
      groups,
      slowest: [...this.slowest],
      unfinished: { state: this.source.complete ? 'never completed' : 'pending', count: statistics.fences.pending, first },
      awaitingFence: this.source.protocol.fence ? index.endSeq - (this.attributedTo ?? index.firstSeq) : 0,
      missed: this.missed,
    };
  }

  /** The rows up to and including `fenceSeq` completed at `completedAt` (NaN: at an unknown time). */
  private attribute(fenceSeq: number, completedAt: number): void {
    const index = this.source.index;
    let from = this.attributedTo!;
    if (from < index.firstSeq) {
      this.missed += Math.min(fenceSeq + 1, index.firstSeq) - from;
      from = index.firstSeq;
    }
    const timed = !Number.isNaN(completedAt);
    const times = index.times;
    for (let row = from - index.firstSeq, last = fenceSeq - index.firstSeq; row <= last; row++) {
      if (index.kindAt(row) !== RowKind.command) continue;
      const group = this.groupOfRow(row);
      if (timed) this.histograms[group]!.record(Math.max(0, (completedAt - times[row]!) / 1e6));
      else this.untimed[group]!++;
    }
    this.attributedTo = Math.max(from, fenceSeq + 1);
  }

  private groupOfRow(row: number): number {
    const index = this.source.index;
    const id = index.opcodeIdAt(row);
    if (id >= this.groupOfId.length) {
      const grown = new Int16Array(Math.max(id + 1, this.groupOfId.length * 2)).fill(-1);
      grown.set(this.groupOfId);
      this.groupOfId = grown;
    }
    let group = this.groupOfId[id]!;
    if (group < 0) group = this.groupOfId[id] = this.groups.indexOf(index.opcodeValues[id]!);
    return group;
  }

  private offerSlow(fence: SlowFence): void {
    const list = this.slowest;
    if (this.keepSlowest === 0 || (list.length === this.keepSlowest && fence.latencyMs <= list.at(-1)!.latencyMs)) return;
    let at = list.length;
    while (at > 0 && list[at - 1]!.latencyMs < fence.latencyMs) at--;
    list.splice(at, 0, fence);
    if (list.length > this.keepSlowest) list.pop();
  }
}
