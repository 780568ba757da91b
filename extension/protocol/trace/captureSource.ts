import { PcapngError, PcapngReader, ringOffsetOfPacketBlock, type PacketFrame } from '../capture/pcapngReader';
import type { LoadedProtocol } from '../profile/loadProtocol';
import { readUnsigned } from '../ring/recordFraming';
import { FileRecordStore } from './recordStore';
import { traceEventOf } from './traceEvents';
import { RowKind, TraceIndex } from './traceIndex';
import { TraceSource } from './traceSource';
import { pendingIo } from '../../common/eventLoop';

// A pcapng capture as a trace: indexed a few megabytes at a time by the one pcapng reader
// (so the first rows can be shown long before a big file is done, and nothing but the index
// is kept in memory), with record bytes read back from the file on demand. The capture's
// in-band events become what they stand for: fence completions, overrun rows, occupancy.

const CHUNK_BYTES = 4 * 1024 * 1024;
const TWO_32 = 4294967296;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export interface CaptureInfo {
  readonly linkType: number | undefined;
  readonly profileHash: string | undefined;
  readonly application: string | undefined;
}

export class CaptureTraceSource extends TraceSource {
  private readonly reader = new PcapngReader();
  private readonly file: FileRecordStore;
  /** Its own handle and buffer: a packet's options are read while rows of a span are being visited. */
  private readonly options: FileRecordStore;
  private position = 0;
  private readonly opcodeLittle: boolean;
  private readonly fenceOpcode: number;
  private readonly fenceEnd: number;
  private baseHigh = 0;
  private baseLow = 0;

  /** `chunkBytes`: how much of the file one `indexNext` reads (tests make it small to cross chunks often). */
  constructor(
    path: string,
    protocol: LoadedProtocol,
    private readonly chunkBytes = CHUNK_BYTES,
  ) {
    const store = new FileRecordStore(path);
    super('capture', path, protocol, new TraceIndex(64 * 1024), store);
    this.file = store;
    // Offsets are asked for row after row: read the blocks ahead a megabyte at a time.
    this.options = new FileRecordStore(path, 1 << 20);
    this.opcodeLittle = protocol.command.framing.opcode.byteOrder === 'little';
    const fence = protocol.fence;
    this.fenceOpcode = fence ? Number(fence.opcode.value) : -1;
    this.fenceEnd = fence ? fence.value.offset + fence.value.size : 0;
  }

  /** What the capture says about itself, once its first blocks are read. */
  get info(): CaptureInfo {
    const first = this.reader.interfaces[0];
    return { linkType: first?.linkType, profileHash: first?.profileHash, application: this.reader.sections[0]?.application };
  }

  /** Bytes of the file read so far, and its size: indexing progress. */
  get progress(): { readonly read: number; readonly total: number } {
    return { read: this.position, total: this.file.size };
  }

  ringOffsetOf(seq: number): number | bigint {
    const row = seq - this.index.firstSeq;
    if (row < 0 || row >= this.index.count || this.index.kindAt(row) === RowKind.overrun) return seq;
    // The offset travels in the packet's options, which the index does not keep: read the block again.
    const blockStart = this.index.offsets[row]! - 28;
    const options = this.options;
    let at = options.locate(blockStart, 8);
    let bytes = options.buffered;
    // An Enhanced Packet Block (type 6) in either byte order; anything else has no offset to give.
    const littleEndian = bytes[at] === 6 && bytes[at + 3] === 0;
    if (!littleEndian && !(bytes[at] === 0 && bytes[at + 3] === 6)) return seq;
    const length = littleEndian ? (bytes[at + 4]! | (bytes[at + 5]! << 8) | (bytes[at + 6]! << 16) | (bytes[at + 7]! << 24)) >>> 0 : ((bytes[at + 4]! << 24) | (bytes[at + 5]! << 16) | (bytes[at + 6]! << 8) | bytes[at + 7]!) >>> 0;
    if (length < 32 || length > 64 * 1024 * 1024) return seq;
    at = options.locate(blockStart, length);
    bytes = options.buffered;
    const offset = ringOffsetOfPacketBlock(bytes, at, littleEndian);
    if (offset === undefined) return seq;
    return offset <= MAX_SAFE ? Number(offset) : offset;
  }

  /** Indexes the next few megabytes; false once the whole file (or everything before damage) is indexed. */
  indexNext(): boolean {
    if (this.complete) return false;
    // Not zeroed: only the bytes read are ever looked at.
    const chunk = Buffer.allocUnsafe(this.chunkBytes);
    let n: number;
    try {
      n = this.file.readInto(chunk, this.position);
    } catch (error) {
      return this.finish(`${this.name}: cannot read it (${error instanceof Error ? error.message : String(error)})`);
    }
    this.position += n;
    if (n > 0) this.reader.push(chunk.subarray(0, n));
    else this.reader.end();
    try {
      this.reader.scanFrames(this.add);
    } catch (error) {
      if (!(error instanceof PcapngError)) throw error;
      this.changed();
      return this.finish(`${this.name}: ${error.message}`);
    }
    if (n === 0) return this.finish(undefined);
    this.changed();
    return true;
  }

  override close(): void {
    this.options.close();
    super.close();
  }

  /** Indexes the whole file, a chunk per turn of the event loop; stops early when `signal` aborts. */
  async indexAll(signal?: AbortSignal): Promise<void> {
    while (!signal?.aborted && this.indexNext()) await pendingIo();
  }

  private finish(problem: string | undefined): false {
    this.problem = problem;
    this.complete = true;
    this.changed();
    return false;
  }

  private readonly add = (frame: PacketFrame): void => {
    const index = this.index;
    const time = this.timeOf(frame);
    const captured = frame.capturedLength;
    if (captured === 0) {
      const event = traceEventOf(frame.capturedLength, frame.comment);
      if (event?.kind === 'fenceCompleted') index.completeFences(event.value, time);
      else if (event?.kind === 'occupancy') index.addOccupancy(time, Number(event.bytes));
      else if (event?.kind === 'overrun') {
        this.lostBytes += event.lostBytes;
        index.pushNote(RowKind.overrun, frame.dataOffset, 0, time, `overrun: ${event.lostBytes} bytes the producer overwrote before they were read are lost`);
      } else index.pushNote(RowKind.error, frame.dataOffset, 0, time, `an empty packet${frame.comment ? ` (${frame.comment})` : ''}: not a command`);
      return;
    }
    const framing = this.protocol.command.framing;
    if (captured < framing.headerSize) {
      index.pushNote(RowKind.error, frame.dataOffset, captured, time, `${captured} bytes, fewer than a command header (${framing.headerSize})`);
      return;
    }
    const opcodeField = framing.opcode;
    const opcode = opcodeField.size === 4 ? frame.view.getUint32(frame.viewStart + opcodeField.offset, this.opcodeLittle) : Number(readUnsigned(frame.bytes, frame.dataStart, opcodeField));
    const seq = index.pushCommand(frame.dataOffset, captured, opcode, time);
    if (opcode === this.fenceOpcode && captured >= this.fenceEnd) index.addFence(seq, BigInt(readUnsigned(frame.bytes, frame.dataStart, this.protocol.fence!.value)));
  };

  /** Nanoseconds after the first packet; exact without BigInt when the interface counts nanoseconds. */
  private timeOf(frame: PacketFrame): number {
    const index = this.index;
    if (index.baseTime === undefined) {
      const base = frame.timestampNs();
      index.baseTime = base;
      this.baseHigh = Number(base >> 32n);
      this.baseLow = Number(base & 0xffffffffn);
    }
    if (frame.nanosecondTicks) return (frame.timestampHigh - this.baseHigh) * TWO_32 + (frame.timestampLow - this.baseLow);
    return Number(frame.timestampNs() - index.baseTime);
  }
}
