import type { CommandDecoder } from '../protocol/decode/commandDecoder';
import { ringOffsetOfPacket } from '../protocol/trace/captureSource';
import type { FileRecordStore } from '../protocol/trace/recordStore';
import { kindOfCode, opcodeIdOfCode, RECOVERED_FLAG, RowKind, type TraceIndex } from '../protocol/trace/traceIndex';
import type { PrintableRows } from './decodeOutput';

// Rows of a capture handed to another thread to print: what the index knows of each (as
// plain arrays a message carries), not their bytes, which the other thread reads from the
// same file. Ring offsets are read there too, from the packets' options.

/** The rows as a message carries them. */
export interface RowBatchData {
  readonly count: number;
  readonly seqs: Float64Array;
  /** Where each row's bytes are in the capture file. */
  readonly offsets: Float64Array;
  readonly sizes: Uint32Array;
  /** The index's row code: opcode id, kind, recovered. */
  readonly codes: Uint16Array;
  readonly opcodes: Float64Array;
  readonly times: Float64Array;
  /** Why error and overrun rows are not commands, by position in the batch. */
  readonly notes: Map<number, string>;
  readonly baseTime: bigint | undefined;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** Collects rows as `matchRows` hands them over, up to `capacity` a batch. */
export class RowBatchBuilder {
  private data: Writable<RowBatchData> | undefined;

  constructor(private readonly capacity: number) {}

  get count(): number {
    return this.data?.count ?? 0;
  }

  add(index: TraceIndex, seq: number, row: number): void {
    const d = (this.data ??= emptyBatch(this.capacity, index.baseTime));
    const i = d.count++;
    d.seqs[i] = seq;
    d.offsets[i] = index.offsets[row]!;
    d.sizes[i] = index.sizes[row]!;
    d.codes[i] = index.codes[row]!;
    d.opcodes[i] = index.opcodeAt(row);
    d.times[i] = index.times[row]!;
    if (index.kindAt(row) !== RowKind.command) d.notes.set(i, index.noteOf(seq) ?? 'unreadable');
  }

  /** The rows collected since the last take; undefined when there are none. */
  take(): RowBatchData | undefined {
    const data = this.data;
    this.data = undefined;
    return data;
  }
}

function emptyBatch(capacity: number, baseTime: bigint | undefined): Writable<RowBatchData> {
  return {
    count: 0,
    seqs: new Float64Array(capacity),
    offsets: new Float64Array(capacity),
    sizes: new Uint32Array(capacity),
    codes: new Uint16Array(capacity),
    opcodes: new Float64Array(capacity),
    times: new Float64Array(capacity),
    notes: new Map(),
    baseTime,
  };
}

/** A batch received, as the printers read it; ring offsets read from the packets through `blocks`. */
export class ReceivedRows implements PrintableRows {
  constructor(
    readonly decoder: CommandDecoder,
    private readonly data: RowBatchData,
    private readonly blocks: FileRecordStore,
  ) {}

  baseTime(): bigint | undefined {
    return this.data.baseTime;
  }

  kindAt(row: number): RowKind {
    return kindOfCode(this.data.codes[row]!);
  }

  opcodeAt(row: number): number {
    return this.data.opcodes[row]!;
  }

  opcodeIdAt(row: number): number {
    return opcodeIdOfCode(this.data.codes[row]!);
  }

  timeAt(row: number): number {
    return this.data.times[row]!;
  }

  recoveredAt(row: number): boolean {
    return (this.data.codes[row]! & RECOVERED_FLAG) !== 0;
  }

  noteAt(_seq: number, row: number): string | undefined {
    return this.data.notes.get(row);
  }

  ringOffsetAt(seq: number, row: number): number | bigint {
    // As the capture source gives it: an overrun row has no packet of its own.
    if (this.kindAt(row) === RowKind.overrun) return seq;
    return ringOffsetOfPacket(this.blocks, this.data.offsets[row]!) ?? seq;
  }
}
