import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

// Where a trace's record bytes live, addressed by the offsets its index holds: a capture
// file on disk (read a span at a time, never whole), a snapshot's records in memory, or the
// newest part of a live ring's stream.

export interface RecordStore {
  /** The bytes [offset, offset + length), as a view that stays valid until the next read. */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

/**
 * A file read with positional reads into one reused buffer. With `readAhead`, a read fills
 * that much of the buffer and later reads inside it cost no system call: for many small
 * reads that move forward through the file (each packet's options, say).
 */
export class FileRecordStore implements RecordStore {
  private readonly fd: number;
  private buffer = new Uint8Array(64 * 1024);
  /** What the buffer holds from the file: [bufferStart, bufferStart + bufferLength). */
  private bufferStart = 0;
  private bufferLength = 0;

  constructor(
    readonly path: string,
    private readonly readAhead = 0,
  ) {
    this.fd = openSync(path, 'r');
    if (readAhead > this.buffer.length) this.buffer = new Uint8Array(readAhead);
  }

  get size(): number {
    return fstatSync(this.fd).size;
  }

  /** Fills `target` from `position` as far as the file goes; returns the bytes read. */
  readInto(target: Uint8Array, position: number): number {
    let done = 0;
    while (done < target.length) {
      const n = readSync(this.fd, target, done, target.length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  read(offset: number, length: number): Uint8Array {
    const at = this.locate(offset, length);
    return this.buffer.subarray(at, at + length);
  }

  /** The bytes read last: `locate` says where in them a range is. */
  get buffered(): Uint8Array {
    return this.buffer;
  }

  /**
   * Makes `buffered` hold [offset, offset + length) and returns where it starts in it, reading
   * the file only when the read-ahead window does not hold the range already. No view is
   * made: for callers that read a few bytes of many records.
   */
  locate(offset: number, length: number): number {
    if (this.readAhead > 0 && offset >= this.bufferStart && offset + length <= this.bufferStart + this.bufferLength) return offset - this.bufferStart;
    if (this.buffer.length < length) this.buffer = new Uint8Array(Math.max(length, this.buffer.length * 2));
    const view = this.readAhead > length ? this.buffer.subarray(0, this.readAhead) : this.buffer.subarray(0, length);
    const read = this.readInto(view, offset);
    // A file that shrank under us reads as zeros where it is gone; the caller's checks see it.
    if (read < length) view.fill(0, read, length);
    this.bufferStart = offset;
    this.bufferLength = Math.max(read, length);
    return 0;
  }

  close(): void {
    closeSync(this.fd);
  }
}

export class MemoryRecordStore implements RecordStore {
  constructor(private readonly bytes: Uint8Array) {}

  read(offset: number, length: number): Uint8Array {
    return this.bytes.subarray(offset, offset + length);
  }

  close(): void {
    // Nothing to release but memory.
  }
}

const WINDOW_CHUNK = 4 * 1024 * 1024;

/**
 * The newest bytes of an endless stream (a live ring), in chunks: offsets count from the
 * stream's start, and the oldest chunks are released once the window holds more than its
 * limit. A record never straddles two chunks, so every read inside one record is a view.
 */
export class WindowRecordStore implements RecordStore {
  private readonly chunks: { start: number; bytes: Uint8Array; used: number }[] = [];
  private end = 0;
  private scratch = new Uint8Array(0);

  /** How much the window should hold at most; its owner decides when to release. */
  constructor(readonly limitBytes: number) {}

  /** Offset of the oldest byte still held. */
  get start(): number {
    return this.chunks[0]?.start ?? this.end;
  }

  get heldBytes(): number {
    return this.end - this.start;
  }

  /** Copies `bytes` in; returns its offset. */
  append(bytes: Uint8Array): number {
    let last = this.chunks.at(-1);
    if (!last || last.bytes.length - last.used < bytes.length) {
      last = { start: this.end, bytes: new Uint8Array(Math.max(WINDOW_CHUNK, bytes.length)), used: 0 };
      this.chunks.push(last);
    }
    const offset = this.end;
    last.bytes.set(bytes, last.used);
    last.used += bytes.length;
    this.end += bytes.length;
    return offset;
  }

  /** Lets go of the bytes before `offset`, a chunk at a time (the last chunk is reused, not freed). */
  releaseBefore(offset: number): void {
    while (this.chunks.length > 1 && this.chunks[0]!.start + this.chunks[0]!.used <= offset) this.chunks.shift();
    const only = this.chunks.length === 1 ? this.chunks[0]! : undefined;
    if (only && only.start + only.used <= offset) {
      only.start = this.end;
      only.used = 0;
    }
  }

  read(offset: number, length: number): Uint8Array {
    const chunk = this.chunkAt(offset);
    if (chunk && offset + length <= chunk.start + chunk.used) return chunk.bytes.subarray(offset - chunk.start, offset - chunk.start + length);
    // A span over several records may cross chunks: copy it together.
    if (this.scratch.length < length) this.scratch = new Uint8Array(length);
    const view = this.scratch.subarray(0, length);
    view.fill(0);
    for (const c of this.chunks) {
      const from = Math.max(offset, c.start);
      const to = Math.min(offset + length, c.start + c.used);
      if (from < to) view.set(c.bytes.subarray(from - c.start, to - c.start), from - offset);
    }
    return view;
  }

  close(): void {
    this.chunks.length = 0;
  }

  private chunkAt(offset: number): { start: number; bytes: Uint8Array; used: number } | undefined {
    for (let i = this.chunks.length - 1; i >= 0; i--) {
      const c = this.chunks[i]!;
      if (offset >= c.start) return offset < c.start + c.used ? c : undefined;
    }
    return undefined;
  }
}
