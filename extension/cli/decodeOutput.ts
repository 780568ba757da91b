import type { CommandFieldRef } from '../protocol/decode/commandFilterScope';
import type { DecodedCommand } from '../protocol/decode/commandDecoder';
import type { DecodedValue } from '../protocol/decode/decoderCompiler';
import { PreparedText, writeAscii, writeBytes, writeInteger, writeJsonBigInt, writeJsonString, writeNineDigits, writeNumber, writePrepared, writeUnsigned } from '../protocol/decode/textBytes';
import type { FieldMeaning } from '../protocol/filter/compileFilter';
import { RowKind, type TraceIndex } from '../protocol/trace/traceIndex';
import type { TraceRow, TraceSource } from '../protocol/trace/traceSource';

// What `gpupv decode` prints, a row at a time, into one text buffer that goes out a
// megabyte at a time. JSON lines and `--fields` are written from the record bytes
// straight to text (tens of millions of rows a minute); the table and CSV are made from
// decoded rows and cost more.

/** Where the text goes: false from `write` means wait for `drained` before writing more. */
export interface OutputSink {
  write(chunk: Uint8Array): boolean;
  drained(): Promise<void>;
}

/** Writes one row (as `visitRows` hands it over) into the buffer; false when the row did not decode whole. */
export type RowPrinter = (seq: number, row: number, view: DataView, at: number, size: number) => boolean;

/** The buffer is handed to the sink once it holds this much. */
const CHUNK_BYTES = 1 << 20;

/** Text waiting to go out. Writers write into `bytes` (and `view`, over the same memory) from `length` and move `length` on. */
export class TextBuffer {
  bytes = Buffer.allocUnsafe(CHUNK_BYTES * 2);
  view = viewOf(this.bytes);
  length = 0;

  constructor(private readonly sink: OutputSink) {}

  get full(): boolean {
    return this.length >= CHUNK_BYTES;
  }

  /** Makes room for at least `needed` more bytes after `length`. */
  grow(needed: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + needed));
    bigger.set(this.bytes.subarray(0, this.length));
    this.bytes = bigger;
    this.view = viewOf(bigger);
  }

  /**
   * Writes one line with `write(out, outView, p)`, which returns where it ended: a line that
   * did not fit (a RangeError, or an end beyond the buffer) is written again after the
   * buffer grew.
   */
  line(write: (out: Uint8Array, outView: DataView, p: number) => number): void {
    for (;;) {
      let end: number;
      try {
        end = write(this.bytes, this.view, this.length);
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        this.grow(this.bytes.length);
        continue;
      }
      if (end < this.bytes.length) {
        this.bytes[end] = 0x0a;
        this.length = end + 1;
        return;
      }
      this.grow(end - this.length + 1);
    }
  }

  text(text: string): void {
    const bytes = Buffer.from(text);
    this.line((out, _view, p) => writeBytes(out, p, bytes));
  }

  /** Hands what was written to the sink (the buffer is its from then on); waits when the sink asks to. */
  async flush(): Promise<void> {
    if (this.length === 0) return;
    const chunk = this.bytes.subarray(0, this.length);
    this.bytes = Buffer.allocUnsafe(CHUNK_BYTES * 2);
    this.view = viewOf(this.bytes);
    this.length = 0;
    if (!this.sink.write(chunk)) await this.sink.drained();
  }
}

/**
 * JSON lines: `{"seq","offset","time"?, then "opcode","opcodeName","size","fields","labels"
 * for a command or "kind","size" for an error or overrun, then "error"?, "recovered"?}`,
 * u64 beyond 2^53 as decimal strings: what JSON.stringify makes of `TraceSource.rowAt`.
 */
export function jsonLinePrinter(source: TraceSource, buffer: TextBuffer): RowPrinter {
  const index = source.index;
  const decoder = source.decoder;
  const time = timeWriter(index, true);
  /** Per opcode id: `,"opcode":N,"opcodeName":"NAME","size":`. */
  const commandKeys: PreparedText[] = [];
  const keysOf = (row: number): PreparedText => {
    const id = index.opcodeIdAt(row);
    const opcode = index.opcodeAt(row);
    return (commandKeys[id] ??= new PreparedText(`,"opcode":${opcode},"opcodeName":${JSON.stringify(decoder.opcodeName(opcode))},"size":`));
  };
  return linePrinter(buffer, (out, outView, p, current) => {
    const { seq, row, view, at, size } = current;
    p = writePrepared(out, outView, p, SEQ_KEY);
    p = writeUnsigned(out, p, seq);
    p = writePrepared(out, outView, p, OFFSET_KEY);
    p = writeOffset(out, p, source.ringOffsetOf(seq));
    p = time(out, outView, p, row);
    let error: string | undefined;
    const kind = index.kindAt(row);
    if (kind === RowKind.command) {
      const opcode = index.opcodeAt(row);
      p = writePrepared(out, outView, p, keysOf(row));
      p = writeUnsigned(out, p, size);
      out[p++] = 0x2c;
      p = decoder.writeJsonAt(view, at, size, opcode, out, outView, p);
      error = decoder.errorFor(opcode, size);
    } else {
      p = writeBytes(out, p, kind === RowKind.error ? ERROR_KIND : OVERRUN_KIND);
      p = writeUnsigned(out, p, size);
      error = index.noteOf(seq) ?? 'unreadable';
    }
    current.whole = error === undefined;
    if (error !== undefined) {
      p = writeBytes(out, p, ERROR_KEY);
      p = writeJsonString(out, p, error);
    }
    if (index.recoveredAt(row)) p = writeBytes(out, p, RECOVERED);
    out[p] = 0x7d;
    return p + 1;
  });
}

/** The row being printed as `visitRows` handed it over: one object refilled per row, so no closure is made per row. */
interface CurrentRow {
  seq: number;
  row: number;
  view: DataView;
  at: number;
  size: number;
  /** Set by the writer: false when the row did not decode whole. */
  whole: boolean;
}

/** A printer that writes each row as one line with `write`. */
function linePrinter(buffer: TextBuffer, write: (out: Uint8Array, outView: DataView, p: number, current: CurrentRow) => number): RowPrinter {
  const current: CurrentRow = { seq: 0, row: 0, view: new DataView(new ArrayBuffer(0)), at: 0, size: 0, whole: true };
  const writeLine = (out: Uint8Array, outView: DataView, p: number) => write(out, outView, p, current);
  return (seq, row, view, at, size) => {
    current.seq = seq;
    current.row = row;
    current.view = view;
    current.at = at;
    current.size = size;
    buffer.line(writeLine);
    return current.whole;
  };
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const SEQ_KEY = new PreparedText('{"seq":');
const OFFSET_KEY = new PreparedText(',"offset":');
const TIME_KEY = new PreparedText(',"time":');
const ERROR_KIND = Buffer.from(',"kind":"error","size":');
const OVERRUN_KIND = Buffer.from(',"kind":"overrun","size":');
const ERROR_KEY = Buffer.from(',"error":');
const RECOVERED = Buffer.from(',"recovered":true');

/** A ring offset as JSON shows it (a number while exact). */
function writeOffset(out: Uint8Array, p: number, offset: number | bigint): number {
  return typeof offset === 'bigint' ? writeJsonBigInt(out, p, offset) : writeInteger(out, p, offset);
}

/**
 * Writes a row's time in nanoseconds since the epoch, as `rowAt` gives it (the index's base
 * time plus the row's offset from it): for JSON with its key and as a number while exact
 * (a quoted string beyond 2^53), else bare digits. Nothing for traces without time. Done
 * in two halves of the decimal digits, not with a bigint per row.
 */
function timeWriter(index: TraceIndex, json: boolean): (out: Uint8Array, outView: DataView, p: number, row: number) => number {
  let base: bigint | undefined;
  let baseHigh = 0;
  let baseLow = 0;
  let secondsValue = -1;
  let seconds = new PreparedText('');
  return (out, outView, p, row) => {
    // The base is fixed by the first timed row, which may come after the writer was made, and never changes.
    if (base === undefined) {
      base = index.baseTime;
      if (base === undefined) return p;
      baseHigh = Number(base / 1_000_000_000n);
      baseLow = Number(base % 1_000_000_000n);
    }
    if (json) p = writePrepared(out, outView, p, TIME_KEY);
    const relative = Math.round(index.times[row]!);
    if (relative < 0 || relative >= Number.MAX_SAFE_INTEGER) {
      const time = base + BigInt(relative);
      return json ? writeJsonBigInt(out, p, time) : writeAscii(out, p, time.toString());
    }
    const relativeHigh = Math.floor(relative / 1e9);
    let low = baseLow + (relative - relativeHigh * 1e9);
    let high = baseHigh + relativeHigh;
    if (low >= 1e9) {
      low -= 1e9;
      high++;
    }
    // high * 1e9 + low is exact as a double exactly when it is at most 2^53 - 1.
    if (!json || high * 1e9 + low > Number.MAX_SAFE_INTEGER) {
      // The seconds change once in many rows: their digits (and the opening quote) are kept.
      if (high !== secondsValue) {
        secondsValue = high;
        seconds = new PreparedText(`${json ? '"' : ''}${high === 0 ? '' : String(high)}`);
      }
      p = writePrepared(out, outView, p, seconds);
      p = high === 0 ? writeUnsigned(out, p, low) : writeNineDigits(out, p, low);
      if (json) out[p++] = 0x22;
      return p;
    }
    return writeUnsigned(out, p, high * 1e9 + low);
  };
}

/**
 * `--fields`: the named values of each row, tab-separated, as `tshark -T fields -e` prints
 * them. Integers in decimal (u64 exact), floats as JavaScript prints them, booleans 1 or 0,
 * char arrays as text up to their first NUL (tab, newline, carriage return and backslash
 * escaped as \t \n \r \\), `error` the reason a row did not decode whole; a value the row
 * does not have is empty.
 */
export function fieldsPrinter(source: TraceSource, buffer: TextBuffer, fields: readonly FieldMeaning<CommandFieldRef>[]): RowPrinter {
  const index = source.index;
  const decoder = source.decoder;
  const time = timeWriter(index, false);
  /** Per field, per opcode id: its reader, null when commands of that opcode lack it. */
  const readers = fields.map(() => [] as (ReturnType<CommandFieldRef['readerFor']> | null)[]);
  const names: Uint8Array[] = [];
  return linePrinter(buffer, (out, outView, p, current) => {
    const { seq, row, view, at, size } = current;
    const command = index.kindAt(row) === RowKind.command;
    const opcode = command ? index.opcodeAt(row) : 0;
    const error = command ? decoder.errorFor(opcode, size) : (index.noteOf(seq) ?? 'unreadable');
    current.whole = error === undefined;
    for (let f = 0; f < fields.length; f++) {
      if (f > 0) out[p++] = 0x09;
      const field = fields[f]!;
      if ('pseudo' in field) {
        switch (field.pseudo) {
          case 'seq':
            p = writeUnsigned(out, p, seq);
            break;
          case 'offset': {
            const offset = source.ringOffsetOf(seq);
            p = typeof offset === 'bigint' ? writeAscii(out, p, offset.toString()) : writeInteger(out, p, offset);
            break;
          }
          case 'time':
            p = time(out, outView, p, row);
            break;
          case 'opcode':
            if (command) p = writeUnsigned(out, p, opcode);
            break;
          case 'opcodeName':
            if (command) p = writeBytes(out, p, (names[index.opcodeIdAt(row)] ??= Buffer.from(decoder.opcodeName(opcode))));
            break;
          case 'size':
            p = writeUnsigned(out, p, size);
            break;
          case 'error':
            if (error !== undefined) p = writeText(out, p, Buffer.from(error));
            break;
          case 'recovered':
            out[p++] = index.recoveredAt(row) ? 0x31 : 0x30;
            break;
        }
        continue;
      }
      if (!command) continue;
      const byOpcode = readers[f]!;
      const id = index.opcodeIdAt(row);
      let read = byOpcode[id];
      if (read === undefined) read = byOpcode[id] = field.field.readerFor(opcode) ?? null;
      const value = read?.(view, at, at + size);
      if (typeof value === 'number') p = writeNumber(out, p, value);
      else if (typeof value === 'bigint') p = writeAscii(out, p, value.toString());
      else if (typeof value === 'boolean') out[p++] = value ? 0x31 : 0x30;
      else if (value !== undefined) p = writeText(out, p, value);
    }
    return p;
  });
}

/** Bytes of text up to the first NUL, with the characters that would break a line of fields escaped. */
function writeText(out: Uint8Array, p: number, bytes: Uint8Array): number {
  for (const byte of bytes) {
    if (byte === 0) break;
    const escape = byte === 0x09 ? 0x74 : byte === 0x0a ? 0x6e : byte === 0x0d ? 0x72 : byte === 0x5c ? 0x5c : 0;
    if (escape) {
      out[p++] = 0x5c;
      out[p++] = escape;
    } else out[p++] = byte;
  }
  return p;
}

/** CSV with a header line: the row's columns, its fields as one JSON cell. */
export function csvPrinter(source: TraceSource, buffer: TextBuffer): RowPrinter {
  buffer.text('seq,offset,time,opcode,opcodeName,size,error,recovered,fields');
  return decodedRowPrinter(source, buffer, (row) =>
    [row.seq, row.offset, row.time ?? '', row.kind === 'command' ? row.opcode : '', row.opcodeName, row.size, row.error ?? '', row.recovered ? 'true' : '', JSON.stringify(row.decoded ? plainValue(row.decoded.fields) : {})].map((v) => csvCell(String(v))).join(','),
  );
}

/** A table to read: the row's columns and its first few fields. */
export function tablePrinter(source: TraceSource, buffer: TextBuffer): RowPrinter {
  buffer.text(`${'seq'.padStart(8)}  ${'offset'.padStart(12)}  ${'opcode'.padEnd(28)} ${'size'.padStart(6)}  fields`);
  return decodedRowPrinter(source, buffer, (row) => {
    const name = `${row.kind === 'command' ? row.opcodeName : row.kind}${row.recovered ? ' (recovered)' : ''}`;
    const summary = row.error ? `!! ${row.error}` : summarise(row.decoded!);
    return `${String(row.seq).padStart(8)}  ${String(row.offset).padStart(12)}  ${name.padEnd(28)} ${String(row.size).padStart(6)}  ${summary}`;
  });
}

function decodedRowPrinter(source: TraceSource, buffer: TextBuffer, format: (row: TraceRow) => string): RowPrinter {
  return (seq, row, view, at, size) => {
    const decoded = source.rowAt(seq, row, view, at, size);
    buffer.text(format(decoded));
    return decoded.error === undefined;
  };
}

/** The first few top-level fields after the header, labels preferred: enough to scan a table. */
function summarise(decoded: DecodedCommand): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(decoded.fields)) {
    if (parts.length >= 5) break;
    if (typeof value === 'object' && !Array.isArray(value)) continue; // the header struct
    const shown = decoded.labels[name] ?? (Array.isArray(value) ? `[${value.length}]` : String(value));
    parts.push(`${name}=${shown}`);
  }
  return parts.join(' ');
}

/** Decoded values as JSON can hold them: u64 above 2^53 as decimal strings. */
function plainValue(value: DecodedValue): unknown {
  if (typeof value === 'bigint') return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  if (Array.isArray(value)) return value.map(plainValue);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainValue(v)]));
  return value;
}

function csvCell(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
