import type { CommandFieldRef } from '../decode/commandFilterScope';
import type { CompiledFilter } from '../filter/compileFilter';
import type { TraceSource } from './traceSource';

// What a table shows of a trace: its rows, or those a filter matches, within a range of
// seqs (a time range brushed on the timeline). The rows are addressed by their position in
// the view, 0 to count - 1. A filter is evaluated a slice at a time by `advance`, so the
// matches (and `count`) grow while the user already scrolls through the first ones; a live
// trace keeps growing underneath, and a window that drops old rows drops their matches too.

export class TraceView {
  private filter: CompiledFilter<CommandFieldRef> | undefined;
  private range: { readonly from: number; readonly to: number } | undefined;
  /** The seqs that match, ascending. */
  private matches = new Float64Array(1024);
  private matchCount = 0;
  /** The filter has looked at every row before this seq. */
  private scannedTo = 0;
  /** Changes whenever positions stop meaning the rows they meant (new filter, new range, rows dropped). */
  generation = 0;
  private lastStart = 0;

  constructor(readonly source: TraceSource) {
    this.lastStart = this.start;
  }

  get filtered(): boolean {
    return this.filter !== undefined;
  }

  /** The first seq the view may show. */
  get start(): number {
    return Math.max(this.source.index.firstSeq, this.range?.from ?? 0);
  }

  /** One past the last seq the view may show. */
  get end(): number {
    return Math.min(this.source.index.endSeq, this.range?.to ?? Number.POSITIVE_INFINITY);
  }

  get count(): number {
    this.dropGone();
    return this.filter ? this.matchCount : Math.max(0, this.end - this.start);
  }

  /** Rows the filter has looked at, and how many there are to look at. */
  get progress(): { readonly scanned: number; readonly total: number } {
    const start = this.start;
    return { scanned: Math.max(0, Math.min(this.scannedTo, this.end) - start), total: Math.max(0, this.end - start) };
  }

  /** Every row of the range has been looked at (a live trace may still add rows). */
  get upToDate(): boolean {
    return !this.filter || this.scannedTo >= this.end;
  }

  setFilter(filter: CompiledFilter<CommandFieldRef> | undefined): void {
    this.filter = filter;
    this.reset();
  }

  /** Restricts the view to seqs [from, to); undefined shows every row again. */
  setRange(range: { from: number; to: number } | undefined): void {
    this.range = range;
    this.reset();
  }

  seqAt(position: number): number | undefined {
    if (position < 0 || position >= this.count) return undefined;
    return this.filter ? this.matches[position]! : this.start + position;
  }

  /** The position of `seq`, or of the first row after it when the view does not show it (count when none). */
  positionOf(seq: number): number {
    this.dropGone();
    if (!this.filter) return Math.min(Math.max(0, seq - this.start), this.count);
    let low = 0;
    let high = this.matchCount;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.matches[mid]! < seq) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Runs the filter over at most `maxRows` more rows; returns how many it looked at. */
  advance(maxRows: number): number {
    const filter = this.filter;
    if (!filter) return 0;
    this.dropGone();
    const from = Math.max(this.scannedTo, this.start);
    const to = Math.min(this.end, from + maxRows);
    if (to <= from) return 0;
    this.source.matchRows(filter, from, to, (seq) => {
      if (this.matchCount === this.matches.length) {
        const grown = new Float64Array(this.matches.length * 2);
        grown.set(this.matches);
        this.matches = grown;
      }
      this.matches[this.matchCount++] = seq;
    });
    this.scannedTo = to;
    return to - from;
  }

  private reset(): void {
    this.matchCount = 0;
    this.scannedTo = this.start;
    this.generation++;
    this.lastStart = this.start;
  }

  /** A window that dropped rows from the front takes their matches with them. */
  private dropGone(): void {
    const start = this.start;
    if (start === this.lastStart) return;
    this.lastStart = start;
    this.generation++;
    if (!this.filter) return;
    let gone = 0;
    while (gone < this.matchCount && this.matches[gone]! < start) gone++;
    if (gone === 0) return;
    this.matches.copyWithin(0, gone, this.matchCount);
    this.matchCount -= gone;
  }
}
