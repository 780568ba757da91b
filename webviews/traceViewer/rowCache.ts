import { decodeRowPage, type PageRow } from '../shared/rowPage';
import { request } from './hostConnection';

// The rows the table has seen, in pages of PAGE_ROWS fetched from the extension host as
// binary pages, kept in a small LRU. The table asks for what it draws and what it is about to
// draw (ahead of the scroll direction); a new generation (a new filter, a dropped window)
// empties the cache, since positions then mean other rows.
//
// `count` never shrinks within a generation (rows are only added), so a page once complete
// stays right.

export const PAGE_ROWS = 256;
const MAX_PAGES = 96;

export class RowCache {
  private readonly pages = new Map<number, readonly PageRow[]>();
  private readonly inFlight = new Set<number>();
  private pushed = new Map<number, PageRow>();
  private generation = -1;
  /** A row count the cached pages were filled against; a page that was short may have grown. */
  private count = 0;

  constructor(private readonly loaded: () => void) {}

  /**
   * A new view (generation) empties the cache. More rows (a live trace, a filter still
   * running) keep it: a page that was short is fetched again when drawn, and shows what it
   * had meanwhile.
   */
  reset(generation: number, count: number): void {
    if (generation !== this.generation) {
      this.generation = generation;
      this.pages.clear();
      this.inFlight.clear();
      this.pushed.clear();
    }
    this.count = count;
  }

  /** Rows the host sent unasked (a live trace's newest, a filter's first, those around a row found); each push replaces the last. */
  push(rows: readonly PageRow[]): void {
    this.pushed = new Map(rows.map((r) => [r.position, r]));
  }

  row(position: number): PageRow | undefined {
    const key = Math.floor(position / PAGE_ROWS);
    const page = this.pages.get(key);
    const row = page?.[position - key * PAGE_ROWS];
    if (!page || !row) return this.pushed.get(position);
    // The most recent use moves to the back of the map: the front is evicted first.
    this.pages.delete(key);
    this.pages.set(key, page);
    return row;
  }

  /** Fetches what [from, to) needs, then `ahead` more rows in the direction of travel. */
  want(from: number, to: number, ahead: number): void {
    const first = Math.max(0, Math.floor(Math.min(from, from + ahead) / PAGE_ROWS));
    const last = Math.floor(Math.max(0, Math.min(this.count, Math.max(to, to + ahead)) - 1) / PAGE_ROWS);
    // Visible pages first.
    const visible: number[] = [];
    const others: number[] = [];
    for (let p = first; p <= last; p++) (p * PAGE_ROWS < to && (p + 1) * PAGE_ROWS > from ? visible : others).push(p);
    // A page whose rows on screen were all pushed (a followed live ring's newest) is not asked
    // for: it is still growing, and would be decoded again with every status.
    for (const p of visible) if (!this.pushedCover(Math.max(from, p * PAGE_ROWS), Math.min(to, (p + 1) * PAGE_ROWS))) this.fetch(p);
    for (const p of others) this.fetch(p);
  }

  private pushedCover(from: number, to: number): boolean {
    if (this.pushed.size === 0) return false;
    for (let position = from; position < to; position++) if (!this.pushed.has(position)) return false;
    return true;
  }

  private fetch(page: number): void {
    const held = this.pages.get(page);
    const complete = held !== undefined && (held.length === PAGE_ROWS || page * PAGE_ROWS + held.length >= this.count);
    if (complete || this.inFlight.has(page) || page * PAGE_ROWS >= this.count) return;
    this.inFlight.add(page);
    const generation = this.generation;
    void request({ type: 'getRows', generation, from: page * PAGE_ROWS, count: PAGE_ROWS }).then((reply) => {
      this.inFlight.delete(page);
      if (reply.generation !== this.generation) return;
      this.pages.set(page, decodeRowPage(reply.page));
      while (this.pages.size > MAX_PAGES) this.pages.delete(this.pages.keys().next().value!);
      this.loaded();
    });
  }
}
