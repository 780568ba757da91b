import type { OpcodeGroups } from '../profile/opcodeGroups';
import type { TraceStatistics } from '../trace/traceSource';

// The per-opcode table (what `gpupv stats` prints, what the viewer sorts by any column):
// the counts the index keeps as it goes, each opcode with its group and its share, so
// no pass over the rows is needed however long the trace.

export interface OpcodeRow {
  readonly opcode: number;
  /** The short name, `0x...` for an opcode the profile does not know. */
  readonly name: string;
  readonly group: string;
  readonly count: number;
  readonly bytes: number;
  /** Of all commands, and of all command bytes: 0 to 1. */
  readonly countShare: number;
  readonly byteShare: number;
}

/** In the statistics' order: most commands first. */
export function opcodeTable(statistics: TraceStatistics, groups: OpcodeGroups): OpcodeRow[] {
  return statistics.opcodes.map((o) => ({
    opcode: o.opcode,
    name: o.name,
    group: groups.nameOf(groups.indexOf(o.opcode)),
    count: o.count,
    bytes: o.bytes,
    countShare: statistics.commands > 0 ? o.count / statistics.commands : 0,
    byteShare: statistics.bytes > 0 ? o.bytes / statistics.bytes : 0,
  }));
}
