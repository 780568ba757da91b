import { OpcodeGroups } from '../profile/opcodeGroups';
import type { TraceSource, TraceStatistics } from '../trace/traceSource';
import { FenceAnalysis, type FenceAnalysisOptions, type FenceReport } from './fenceAnalysis';
import { opcodeTable, type OpcodeRow } from './opcodeTable';
import { ResourceLifetimes, type LifetimeOptions, type LifetimeReport } from './resourceLifetimes';

// Every analysis of one trace behind one object, for the trace viewer and `gpupv stats`:
// create it when the trace opens, call `update()` whenever the source says it changed (a
// capture indexed further, a live ring polled), and `report()` when something is shown.
// Each update reads only what is new; a report costs no pass over the rows.

export interface TraceAnalysisReport {
  readonly statistics: TraceStatistics;
  readonly opcodes: readonly OpcodeRow[];
  readonly fences: FenceReport;
  /** Undefined when the protocol names no resource kinds and none could be inferred. */
  readonly lifetimes?: LifetimeReport;
}

export class TraceAnalyses {
  readonly groups: OpcodeGroups;
  readonly fences: FenceAnalysis;
  readonly lifetimes: ResourceLifetimes | undefined;

  constructor(
    private readonly source: TraceSource,
    options: FenceAnalysisOptions & LifetimeOptions = {},
  ) {
    this.groups = new OpcodeGroups(source.protocol.command);
    this.fences = new FenceAnalysis(source, this.groups, options);
    const resources = source.protocol.resources;
    this.lifetimes = resources ? new ResourceLifetimes(source, resources, options) : undefined;
  }

  /** Takes in the rows and fence completions since the last call. */
  update(): void {
    this.fences.update();
    this.lifetimes?.update();
  }

  /** Rows before this seq may be dropped (a window, `gpupv stats` reading a big capture) without losing anything. */
  get neededFrom(): number {
    return Math.min(this.fences.neededFrom, this.lifetimes?.neededFrom ?? Number.POSITIVE_INFINITY);
  }

  report(): TraceAnalysisReport {
    const statistics = this.source.statistics();
    const lifetimes = this.lifetimes?.report();
    return { statistics, opcodes: opcodeTable(statistics, this.groups), fences: this.fences.report(statistics), ...(lifetimes ? { lifetimes } : {}) };
  }
}
