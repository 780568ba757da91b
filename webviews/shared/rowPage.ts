// A page of trace rows as the extension host sends it to the Ring Trace Viewer: one
// ArrayBuffer, never per-row JSON (postMessage copies; structured text for a million rows is
// what makes viewers slow). Fixed-size records, then the rows' one-line summaries as UTF-8.
// Both sides import this file, so the layout cannot drift between them.

export const RowKindCode = { command: 0, error: 1, overrun: 2 } as const;

/** What is known about the completion of the first fence at or after a row. */
export const FenceStateCode = {
  /** No fence follows the row (the trace is complete). */
  none: 0,
  /** Submitted: the fence that covers it has not completed yet (the trace is still growing). */
  submitted: 1,
  /** Completed `latencyMs` after the row was seen. */
  completed: 2,
  /** Completed, at a time the trace does not know (a snapshot's completed-fence value). */
  completedUntimed: 3,
  /** Never completed before the trace ended. */
  never: 4,
} as const;

export interface PageRow {
  /** Position of the row in the view. */
  readonly position: number;
  readonly seq: number;
  /** Nanoseconds since the trace's first row; NaN for traces without time. */
  readonly time: number;
  /** The time of the view's previous row (NaN for the first, or without time): the delta column. */
  readonly previousTime: number;
  readonly opcode: number;
  readonly size: number;
  /** The header's object id field; undefined when the header has none. */
  readonly resource: number | undefined;
  readonly kind: number;
  readonly recovered: boolean;
  /** The decoder could not decode it whole (unknown opcode, too short for its struct). */
  readonly decodeError: boolean;
  readonly isFence: boolean;
  readonly fenceState: number;
  /** For `completed`: milliseconds from the row to its fence's completion. */
  readonly latencyMs: number;
  /** The payload's first fields, labels preferred; the reason for error and overrun rows. */
  readonly summary: string;
}

const MAGIC = 0x50525047; // "GPRP"
const HEADER_BYTES = 16;
const RECORD_BYTES = 56;
const NO_RESOURCE = 0xffffffff;

export function encodeRowPage(rows: readonly PageRow[]): ArrayBuffer {
  const encoder = new TextEncoder();
  const summaries = rows.map((r) => encoder.encode(r.summary));
  const textBytes = summaries.reduce((n, s) => n + s.length, 0);
  const buffer = new ArrayBuffer(HEADER_BYTES + rows.length * RECORD_BYTES + (rows.length + 1) * 4 + textBytes);
  const view = new DataView(buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, rows.length, true);
  rows.forEach((r, i) => {
    const at = HEADER_BYTES + i * RECORD_BYTES;
    view.setFloat64(at, r.position, true);
    view.setFloat64(at + 8, r.seq, true);
    view.setFloat64(at + 16, r.time, true);
    view.setFloat64(at + 24, r.previousTime, true);
    view.setUint32(at + 32, r.opcode >>> 0, true);
    view.setUint32(at + 36, r.size >>> 0, true);
    view.setUint32(at + 40, r.resource === undefined ? NO_RESOURCE : r.resource >>> 0, true);
    view.setUint8(at + 44, r.kind);
    view.setUint8(at + 45, (r.recovered ? 1 : 0) | (r.decodeError ? 2 : 0) | (r.isFence ? 4 : 0));
    view.setUint8(at + 46, r.fenceState);
    view.setFloat64(at + 48, r.latencyMs, true);
  });
  const offsets = HEADER_BYTES + rows.length * RECORD_BYTES;
  const text = new Uint8Array(buffer, offsets + (rows.length + 1) * 4);
  let used = 0;
  summaries.forEach((s, i) => {
    view.setUint32(offsets + i * 4, used, true);
    text.set(s, used);
    used += s.length;
  });
  view.setUint32(offsets + rows.length * 4, used, true);
  return buffer;
}

export function decodeRowPage(buffer: ArrayBuffer): PageRow[] {
  const view = new DataView(buffer);
  if (buffer.byteLength < HEADER_BYTES || view.getUint32(0, true) !== MAGIC) throw new Error('not a row page');
  const count = view.getUint32(4, true);
  const offsets = HEADER_BYTES + count * RECORD_BYTES;
  const textStart = offsets + (count + 1) * 4;
  const decoder = new TextDecoder();
  const rows: PageRow[] = [];
  for (let i = 0; i < count; i++) {
    const at = HEADER_BYTES + i * RECORD_BYTES;
    const resource = view.getUint32(at + 40, true);
    const flags = view.getUint8(at + 45);
    const from = view.getUint32(offsets + i * 4, true);
    const to = view.getUint32(offsets + (i + 1) * 4, true);
    rows.push({
      position: view.getFloat64(at, true),
      seq: view.getFloat64(at + 8, true),
      time: view.getFloat64(at + 16, true),
      previousTime: view.getFloat64(at + 24, true),
      opcode: view.getUint32(at + 32, true),
      size: view.getUint32(at + 36, true),
      resource: resource === NO_RESOURCE ? undefined : resource,
      kind: view.getUint8(at + 44),
      recovered: (flags & 1) !== 0,
      decodeError: (flags & 2) !== 0,
      isFence: (flags & 4) !== 0,
      fenceState: view.getUint8(at + 46),
      latencyMs: view.getFloat64(at + 48, true),
      summary: decoder.decode(new Uint8Array(buffer, textStart + from, to - from)),
    });
  }
  return rows;
}
