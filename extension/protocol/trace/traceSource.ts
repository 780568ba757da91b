import { CommandDecoder, type DecodedCommand } from '../decode/commandDecoder';
import { CommandFilterRecord, CommandFilterScope, type CommandFieldRef } from '../decode/commandFilterScope';
import { compileFilter, type CompiledFilter, type FilterError } from '../filter/compileFilter';
import type { LoadedProtocol } from '../profile/loadProtocol';
import type { RecordStore } from './recordStore';
import { RowKind, type TraceIndex } from './traceIndex';

// One trace, whatever it comes from: a pcapng capture, a ring snapshot or a live ring. The
// CLI and the trace viewer both read traces only through this: the index (growing while a
// capture is read or a ring is live), rows decoded on demand, filters run over ranges of
// rows straight from the record bytes, statistics, fences and overruns.

export type TraceKind = 'capture' | 'snapshot' | 'live';

export interface TraceRow {
  readonly seq: number;
  readonly kind: 'command' | 'error' | 'overrun';
  /** Where the record sat in the ring: its position (snapshots, live rings) or the offset a capture recorded. */
  readonly offset: number | bigint;
  /** Nanoseconds since the epoch; undefined for traces without time (snapshots). */
  readonly time: bigint | undefined;
  readonly opcode: number;
  /** The opcode's short name, `0x...` for an opcode the profile does not know; empty for error and overrun rows. */
  readonly opcodeName: string;
  readonly size: number;
  readonly recovered: boolean;
  /** A copy of the record's bytes. */
  readonly bytes: Uint8Array;
  /** Command rows only. */
  readonly decoded?: DecodedCommand;
  /** Why the row is not a whole command: the framing error, the overrun, or the decoder's reason. */
  readonly error?: string;
}

export interface OpcodeStatistics {
  readonly opcode: number;
  readonly name: string;
  readonly count: number;
  readonly bytes: number;
}

export interface TraceStatistics {
  readonly commands: number;
  readonly bytes: number;
  readonly opcodes: readonly OpcodeStatistics[];
  readonly errors: number;
  readonly overruns: { readonly count: number; readonly lostBytes: bigint };
  /** Fence latency: from the fence command being seen to the host completing it. Counts cover the whole trace. */
  readonly fences: { readonly completed: number; readonly pending: number; readonly latencyMs?: { p50: number; p90: number; p99: number; max: number } };
}

/** Gets each row with a view over its bytes (valid during the call); false stops the visit. */
export type RowVisitor = (seq: number, row: number, view: DataView, at: number, size: number) => unknown;

/** Spans of rows are read from the store at most this much at a time. */
const SPAN_BYTES = 4 * 1024 * 1024;

export abstract class TraceSource {
  readonly decoder: CommandDecoder;
  /** Reading the trace is finished (a file indexed to its end, a live session ended). */
  complete = false;
  /** What ended reading early (a damaged capture, a mapping that went away); the rows before it are in the index. */
  problem: string | undefined;
  /** Bytes lost to overruns, over the whole trace. */
  lostBytes = 0n;
  private scope: CommandFilterScope | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly opcodeNames: Map<number, string>;

  protected constructor(
    readonly kind: TraceKind,
    /** What the user calls it: the file's path, the live mapping's path. */
    readonly name: string,
    readonly protocol: LoadedProtocol,
    readonly index: TraceIndex,
    protected readonly store: RecordStore,
  ) {
    this.decoder = new CommandDecoder(protocol.analysis, protocol.command);
    this.opcodeNames = new Map([...protocol.command.opcodes.values()].map((o) => [Number(o.value), o.shortName]));
  }

  /** Where the record of `seq` sat in the ring. */
  abstract ringOffsetOf(seq: number): number | bigint;

  /** Called after the index grew or the trace changed state; returns how to stop listening. */
  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  protected changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  opcodeName(opcode: number): string {
    return this.opcodeNames.get(opcode) ?? `0x${opcode.toString(16)}`;
  }

  close(): void {
    this.listeners.clear();
    this.store.close();
  }

  /**
   * Calls `visit` for each row of [from, to) (seqs) with a view over its bytes, valid only
   * during the call; `visit` returns false to stop. Rows are read from the store a span of a
   * few megabytes at a time.
   */
  visitRows(from: number, to: number, visit: RowVisitor): void {
    const index = this.index;
    let row = Math.max(0, from - index.firstSeq);
    const last = Math.min(index.count, to - index.firstSeq);
    while (row < last) {
      // Rows are in store order: take as many as fit one span (at least one, whatever its size).
      const start = index.offsets[row]!;
      let spanEnd = start + index.sizes[row]!;
      let end = row + 1;
      while (end < last) {
        const recordEnd = index.offsets[end]! + index.sizes[end]!;
        if (index.offsets[end]! < start || recordEnd - start > SPAN_BYTES) break;
        spanEnd = Math.max(spanEnd, recordEnd);
        end++;
      }
      const bytes = this.store.read(start, spanEnd - start);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let r = row; r < end; r++) if (visit(index.firstSeq + r, r, view, index.offsets[r]! - start, index.sizes[r]!) === false) return;
      row = end;
    }
  }

  /** The rows [from, from + count), decoded. */
  decodeRows(from: number, count: number): TraceRow[] {
    const rows: TraceRow[] = [];
    this.visitRows(from, from + count, (seq, row, view, at, size) => {
      rows.push(this.rowAt(seq, row, view, at, size));
    });
    return rows;
  }

  decodeRow(seq: number): TraceRow | undefined {
    return this.decodeRows(seq, 1)[0];
  }

  get filterScope(): CommandFilterScope {
    return (this.scope ??= new CommandFilterScope(this.protocol.analysis, this.protocol.command));
  }

  compileFilter(text: string): CompiledFilter<CommandFieldRef> | FilterError[] {
    return compileFilter(text, this.filterScope);
  }

  /**
   * Calls `onMatch` for every row of [from, to) the filter matches (every row without a
   * filter), with its bytes as `visitRows` gives them; returns how many matched.
   */
  matchRows(filter: CompiledFilter<CommandFieldRef> | undefined, from: number, to: number, onMatch: RowVisitor): number {
    const index = this.index;
    const scope = this.filterScope;
    const record = new CommandFilterRecord((seq) => this.ringOffsetOf(seq));
    const base = index.baseTime;
    let matched = 0;
    this.visitRows(from, to, (seq, row, view, at, size) => {
      if (!filter) {
        matched++;
        return onMatch(seq, row, view, at, size);
      }
      const kind = index.kindAt(row);
      const opcode = kind === RowKind.command ? index.opcodeAt(row) : 0;
      record.view = view;
      record.base = at;
      record.end = at + size;
      record.opcode = opcode;
      record.size = size;
      record.seq = seq;
      record.time = base === undefined ? 0 : index.times[row]!;
      record.error = kind !== RowKind.command || !scope.decodable(opcode, size);
      record.recovered = index.recoveredAt(row);
      if (!filter.matches(record)) return true;
      matched++;
      return onMatch(seq, row, view, at, size);
    });
    return matched;
  }

  statistics(): TraceStatistics {
    const index = this.index;
    const opcodes: OpcodeStatistics[] = [];
    let commands = 0;
    let bytes = 0;
    index.opcodeValues.forEach((opcode, id) => {
      const count = index.opcodeCounts[id]!;
      if (count === 0) return;
      opcodes.push({ opcode, name: this.opcodeName(opcode), count, bytes: index.opcodeBytes[id]! });
      commands += count;
      bytes += index.opcodeBytes[id]!;
    });
    opcodes.sort((a, b) => b.count - a.count || a.opcode - b.opcode);
    const latencies = index.sortedLatencies();
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)]!;
    return {
      commands,
      bytes,
      opcodes,
      errors: index.errorCount,
      overruns: { count: index.overrunCount, lostBytes: this.lostBytes },
      fences: {
        completed: index.completedFences,
        pending: index.fenceCount - index.pendingFenceIndex,
        ...(latencies.length ? { latencyMs: { p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), max: latencies.at(-1)! } } : {}),
      },
    };
  }

  /** The row `visitRows` handed over, decoded. */
  rowAt(seq: number, row: number, view: DataView, at: number, size: number): TraceRow {
    const index = this.index;
    const kind = index.kindAt(row);
    const bytes = new Uint8Array(view.buffer.slice(view.byteOffset + at, view.byteOffset + at + size));
    const common = {
      seq,
      offset: this.ringOffsetOf(seq),
      time: index.absoluteTime(index.times[row]!),
      size,
      recovered: index.recoveredAt(row),
      bytes,
    };
    if (kind !== RowKind.command) {
      return { ...common, kind: kind === RowKind.error ? 'error' : 'overrun', opcode: 0, opcodeName: '', error: index.noteOf(seq) ?? 'unreadable' };
    }
    const opcode = index.opcodeAt(row);
    const decoded = this.decoder.decodeAt(view, at, size, opcode);
    return { ...common, kind: 'command', opcode, opcodeName: decoded.opcodeName, decoded, ...(decoded.error ? { error: decoded.error } : {}) };
  }
}
