import { MAX_DETAILS, type DetailView } from '../shared/traceViewerProtocol';
import { request } from './hostConnection';

// Details (field tree and bytes) of rows the page has seen, by seq, in a small LRU. The rows
// on screen are fetched in one request once the table stops moving, so a click shows its
// detail in the frame it happens in instead of a round trip to the extension host later.
// A seq names the same command for the life of a decoding; a new decoding (the header
// changed) empties the cache.

const MAX_DETAILS_HELD = 1024;

export class DetailCache {
  private readonly held = new Map<number, DetailView>();
  private readonly asked = new Set<number>();
  private decoding = 0;

  /** A new decoding of the trace: what was held describes the old one. */
  clear(): void {
    this.held.clear();
    this.asked.clear();
    this.decoding++;
  }

  get(seq: number): DetailView | undefined {
    const detail = this.held.get(seq);
    if (detail) {
      this.held.delete(seq);
      this.held.set(seq, detail);
    }
    return detail;
  }

  add(detail: DetailView): void {
    this.held.set(detail.seq, detail);
    while (this.held.size > MAX_DETAILS_HELD) this.held.delete(this.held.keys().next().value!);
  }

  /** The detail of `seq`, from the cache or the host; undefined when the trace no longer holds it. */
  async fetch(seq: number): Promise<DetailView | undefined> {
    const held = this.get(seq);
    if (held) return held;
    const reply = await request({ type: 'getDetails', seqs: [seq] });
    for (const detail of reply.details) this.add(detail);
    return reply.details.find((d) => d.seq === seq);
  }

  /** Fetches, in one request, the details of `seqs` not held or already asked for. */
  prefetch(seqs: readonly number[]): void {
    const wanted = seqs.filter((seq) => !this.held.has(seq) && !this.asked.has(seq)).slice(0, MAX_DETAILS);
    if (wanted.length === 0) return;
    for (const seq of wanted) this.asked.add(seq);
    const decoding = this.decoding;
    void request({ type: 'getDetails', seqs: wanted }).then((reply) => {
      for (const seq of wanted) this.asked.delete(seq);
      if (decoding === this.decoding) for (const detail of reply.details) this.add(detail);
    });
  }
}
