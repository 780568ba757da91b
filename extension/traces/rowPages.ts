import type { FieldReader } from '../protocol/decode/fieldReader';
import { objectIdField } from '../protocol/profile/commandProfile';
import { rowSummary } from '../protocol/trace/rowSummary';
import { RowKind } from '../protocol/trace/traceIndex';
import type { TraceSource } from '../protocol/trace/traceSource';
import type { TraceView } from '../protocol/trace/traceView';
import { encodeRowPage, FenceStateCode, type PageRow } from '../../webviews/shared/rowPage';

// Pages of rows for the viewer's table: what each row's cells show, worked out only for the
// rows asked for (a page of a few hundred), encoded as one ArrayBuffer. Pure: no `vscode`.

/** Rows a page may ask for: more than any screen shows, few enough to answer within a frame. */
export const MAX_PAGE_ROWS = 1024;

export class RowPages {
  private readonly objectId: FieldReader | undefined;

  constructor(private readonly source: TraceSource) {
    const command = source.protocol.command;
    const field = objectIdField(command);
    // A header field reads the same whatever the opcode: any opcode gives its reader.
    this.objectId = field && source.filterScope.field(`${command.headerMember}.${field.path}`)?.readerFor(-1);
  }

  /** The rows at positions [from, from + count) of `view`. */
  page(view: TraceView, from: number, count: number): ArrayBuffer {
    const rows: PageRow[] = [];
    const end = Math.min(view.count, from + Math.min(count, MAX_PAGE_ROWS));
    const index = this.source.index;
    const timed = index.baseTime !== undefined;
    let previousTime = Number.NaN;
    if (timed && from > 0) {
      const previous = view.seqAt(from - 1);
      if (previous !== undefined && previous >= index.firstSeq) previousTime = index.times[previous - index.firstSeq]!;
    }
    for (let position = from; position < end; ) {
      // Consecutive seqs (an unfiltered view, runs of matches) are read as one span.
      const first = view.seqAt(position)!;
      let run = 1;
      while (position + run < end && view.seqAt(position + run) === first + run) run++;
      this.source.visitRows(first, first + run, (seq, row, bytes, at, size) => {
        const time = timed ? index.times[row]! : Number.NaN;
        rows.push(this.rowAt(position + (seq - first), seq, row, bytes, at, size, time, previousTime));
        previousTime = time;
      });
      position += run;
    }
    return encodeRowPage(rows);
  }

  private rowAt(position: number, seq: number, row: number, view: DataView, at: number, size: number, time: number, previousTime: number): PageRow {
    const index = this.source.index;
    const kind = index.kindAt(row);
    const fence = this.fenceState(seq, row);
    const common = { position, seq, time, previousTime, size, recovered: index.recoveredAt(row), ...fence };
    if (kind !== RowKind.command) {
      return { ...common, opcode: 0, resource: undefined, kind, decodeError: true, isFence: false, summary: index.noteOf(seq) ?? '' };
    }
    const opcode = index.opcodeAt(row);
    const decoded = this.source.decoder.decodeAt(view, at, size, opcode);
    const resource = this.objectId?.(view, at, at + size);
    return {
      ...common,
      opcode,
      resource: typeof resource === 'number' ? resource : undefined,
      kind,
      decodeError: decoded.error !== undefined,
      isFence: opcode === this.fenceOpcode,
      summary: decoded.error ?? rowSummary(decoded),
    };
  }

  private get fenceOpcode(): number {
    const fence = this.source.protocol.fence;
    return fence ? Number(fence.opcode.value) : -1;
  }

  /** The completion of the first fence at or after the row: when the host had executed it. */
  private fenceState(seq: number, row: number): { fenceState: number; latencyMs: number } {
    const index = this.source.index;
    const f = index.fenceAtOrAfter(seq);
    if (f >= index.fenceCount) return { fenceState: this.source.complete ? FenceStateCode.none : FenceStateCode.submitted, latencyMs: Number.NaN };
    const fence = index.fenceAt(f);
    if (!fence.completed) return { fenceState: this.source.complete ? FenceStateCode.never : FenceStateCode.submitted, latencyMs: Number.NaN };
    if (Number.isNaN(fence.completedAt)) return { fenceState: FenceStateCode.completedUntimed, latencyMs: Number.NaN };
    return { fenceState: FenceStateCode.completed, latencyMs: (fence.completedAt - index.times[row]!) / 1e6 };
  }
}
