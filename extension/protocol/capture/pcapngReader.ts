import {
  BLOCK_TYPE,
  BYTE_ORDER_MAGIC,
  MAX_BLOCK_LENGTH,
  OPTION,
  PROFILE_HASH_COMMENT_PREFIX,
  RING_OFFSET_COMMENT_PREFIX,
} from './pcapngWriter';

// Reads pcapng captures: ours (see pcapngWriter.ts) and anything else a tool may have
// written or rewritten (editcap, mergecap, Wireshark's "Save As"): either byte order, any
// number of sections and interfaces, any if_tsresol, Enhanced, Simple and obsolete Packet
// Blocks; other block types are skipped.
//
// Damaged files: every packet before the first bad block comes out, then a PcapngError
// says what is wrong and where. Nothing else is ever thrown for bad input, no byte outside
// the input is read, every step consumes at least one 12-byte block, and no block over
// 64 MiB is buffered, so hostile input cannot hang the reader or exhaust memory.

export type PcapngErrorCode =
  /** The data ends inside a block: in its header, or before the length its header gives. */
  | 'TRUNCATED'
  /** Not a pcapng file (the first block is no Section Header Block), or an SHB's byte-order magic is wrong. */
  | 'BAD_MAGIC'
  /** An SHB's version is not 1.0 (or the 1.2 some old writers used). */
  | 'UNSUPPORTED_VERSION'
  | 'LENGTH_NOT_MULTIPLE_OF_4'
  /** Shorter than the fixed fields of its block type. */
  | 'LENGTH_TOO_SMALL'
  /** Over the 64 MiB any single block may take. */
  | 'LENGTH_TOO_LARGE'
  | 'TRAILING_LENGTH_MISMATCH'
  /** A packet's captured length (with padding) does not fit in its block. */
  | 'CAPTURED_LENGTH_EXCEEDS_BLOCK'
  /** An option runs past its block's option area, or has the wrong size for its code. */
  | 'BAD_OPTION'
  /** A packet names an interface its section has not described. */
  | 'UNKNOWN_INTERFACE';

export class PcapngError extends Error {
  override readonly name = 'PcapngError';

  constructor(
    readonly code: PcapngErrorCode,
    /** Byte offset in the file of the block at fault. */
    readonly offset: number,
    /** 0-based index of that block in the file (block 0 is the first SHB). */
    readonly blockIndex: number,
    detail: string,
  ) {
    super(`block ${blockIndex} at byte ${offset}: ${detail}`);
  }
}

export interface PcapngSection {
  readonly index: number;
  /** Byte offset of its Section Header Block. */
  readonly offset: number;
  readonly byteOrder: 'little' | 'big';
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly hardware?: string;
  readonly os?: string;
  readonly application?: string;
  readonly comments: readonly string[];
}

export interface PcapngInterface {
  /** Index in `interfaces`, across all sections; what packets give as `interfaceId`. */
  readonly index: number;
  readonly section: number;
  /** The id packets of its own section use (interfaces are numbered per section in the file). */
  readonly idInSection: number;
  readonly linkType: number;
  /** 0: no limit. */
  readonly snapLength: number;
  readonly name?: string;
  readonly description?: string;
  /** The if_tsresol byte: 10^-n seconds per tick, or 2^-(n & 0x7f) when the top bit is set. 6 when absent. */
  readonly tsresol: number;
  /** if_tsoffset in seconds, added to every timestamp; 0n when absent. */
  readonly tsoffsetSeconds: bigint;
  /** From a `gpupv-profile-sha256=` comment, lower case. */
  readonly profileHash?: string;
  /** Its other comments. */
  readonly comments: readonly string[];
}

export interface PcapngPacket {
  /** 0-based over the whole file (tshark's frame.number is this + 1). */
  readonly index: number;
  /** Index into the reader's `interfaces`. */
  readonly interfaceId: number;
  /** Nanoseconds since the Unix epoch (0n for Simple Packet Blocks, which carry no time). */
  readonly timestampNs: bigint;
  /** The captured bytes: a view into the input when reading a whole buffer, a copy when reading chunks. */
  readonly data: Uint8Array;
  /** Length on the wire; more than data.length when the capture cut the record. */
  readonly originalLength: number;
  /** From a `gpupv-ring-offset=0x...` comment. */
  readonly ringOffset: bigint | undefined;
  /** The other comments, joined with newlines. */
  readonly comment: string | undefined;
  /** epb_flags / pack_flags. */
  readonly flags: number | undefined;
}

/** Everything a buffer holds, and the error that stopped reading, if any. */
export interface PcapngContents {
  readonly sections: readonly PcapngSection[];
  readonly interfaces: readonly PcapngInterface[];
  readonly packets: readonly PcapngPacket[];
  readonly error?: PcapngError;
}

/** One packet as `PcapngReader.nextFrame()` sees it: where its bytes are, without a copy. */
export class PacketFrame {
  index = 0;
  interfaceId = 0;
  /** The bytes the packet's data sits in, from `dataStart`, valid until the reader's next call. */
  bytes: Uint8Array = new Uint8Array(0);
  dataStart = 0;
  /** The same bytes as a DataView (over their whole buffer), the data at `viewStart`. */
  view = new DataView<ArrayBufferLike>(new ArrayBuffer(0));
  viewStart = 0;
  /** Byte offset of the packet's data in the file. */
  dataOffset = 0;
  capturedLength = 0;
  originalLength = 0;
  ringOffset: bigint | undefined;
  comment: string | undefined;
  flags: number | undefined;
  /** The raw 64-bit timestamp in ticks of the interface's clock, as two 32-bit halves. */
  timestampHigh = 0;
  timestampLow = 0;
  private clock: Clock | undefined;

  /** @internal The reader refills one frame for every packet. */
  set(index: number, interfaceId: number, clock: Clock | undefined, high: number, low: number): void {
    this.index = index;
    this.interfaceId = interfaceId;
    this.clock = clock;
    this.timestampHigh = high;
    this.timestampLow = low;
    this.ringOffset = undefined;
    this.comment = undefined;
    this.flags = undefined;
  }

  /** The interface counts nanoseconds from the epoch, so the halves are the time itself. */
  get nanosecondTicks(): boolean {
    return this.clock?.nanoseconds === true;
  }

  /** Nanoseconds since the Unix epoch (0n for Simple Packet Blocks, which carry no time). */
  timestampNs(): bigint {
    return this.clock ? toNanoseconds(ticksOf(this.timestampHigh, this.timestampLow), this.clock) : 0n;
  }
}

/** Reads a whole file held in memory; packet data are views into `bytes`. Never throws. */
export function readPcapng(bytes: Uint8Array): PcapngContents {
  const reader = PcapngReader.fromBuffer(bytes);
  const packets: PcapngPacket[] = [];
  try {
    for (const packet of reader.packets()) packets.push(packet);
  } catch (error) {
    if (!(error instanceof PcapngError)) throw error;
    return { sections: reader.sections, interfaces: reader.interfaces, packets, error };
  }
  return { sections: reader.sections, interfaces: reader.interfaces, packets };
}

/** The fixed fields of each block type; 12 (header and trailing length) for the rest. */
function minimumLength(type: number): number {
  switch (type) {
    case BLOCK_TYPE.enhancedPacket:
    case BLOCK_TYPE.obsoletePacket:
      return 32;
    case BLOCK_TYPE.sectionHeader:
      return 28;
    case BLOCK_TYPE.interfaceDescription:
      return 20;
    case BLOCK_TYPE.simplePacket:
      return 16;
    default:
      return 12;
  }
}
const BYTE_ORDER_MAGIC_SWAPPED = 0x4d3c2b1a;
const DEFAULT_TSRESOL = 6;

/** How a section's interface turns its timestamp ticks into nanoseconds. */
interface Clock {
  readonly multiplier: bigint;
  readonly divisor: bigint;
  readonly offsetNs: bigint;
  /** Ticks are nanoseconds since the epoch: no conversion at all. */
  readonly nanoseconds: boolean;
}

/**
 * Reads pcapng incrementally: `push()` chunks as they arrive and take packets out with
 * `next()` (or `packets()`) after each; `end()` when the input is complete. Only the
 * unread bytes are held, that is the block being assembled plus whatever was pushed and
 * not yet read, so draining after every push keeps memory at one chunk plus one block.
 */
export class PcapngReader {
  readonly sections: PcapngSection[] = [];
  readonly interfaces: PcapngInterface[] = [];

  private readonly queue: Uint8Array[] = [];
  /** Read position in queue[0]. */
  private head = 0;
  private available = 0;
  /** File offset of the next unread byte. */
  private position = 0;
  private blockIndex = 0;
  private packetIndex = 0;
  private ended = false;
  private failure: PcapngError | undefined;
  /** Whole-buffer readers hand out views; chunked ones must copy, the chunks being the caller's. */
  private copyData = true;

  private littleEndian = true;
  /** interfaces index of the current section's interface 0. */
  private sectionInterfaceBase = 0;
  private readonly clocks: Clock[] = [];
  private readonly decoder = new TextDecoder('utf-8');
  private readonly frame = new PacketFrame();
  /** The block `nextBlock` found: its bytes from `blockStart`, type and length. */
  private blockBytes: Uint8Array = new Uint8Array(0);
  private blockStart = 0;
  private blockType = 0;
  private blockLength = 0;

  /** A reader over a complete file; its packets' data are views into `bytes`. */
  static fromBuffer(bytes: Uint8Array): PcapngReader {
    const reader = new PcapngReader();
    reader.copyData = false;
    reader.push(bytes);
    reader.end();
    return reader;
  }

  /** Adds the next bytes of the file. The reader keeps `chunk` (without copying) until it has read it. */
  push(chunk: Uint8Array): void {
    if (this.ended) throw new Error('PcapngReader.push() after end()');
    // After an error nothing more is read, so nothing more is kept.
    if (chunk.length === 0 || this.failure) return;
    this.queue.push(chunk);
    this.available += chunk.length;
  }

  /** Bytes pushed and not yet read: at most one partial block once packets are drained. */
  get pendingBytes(): number {
    return this.available;
  }

  /** No more bytes will come: a block left incomplete is now a TRUNCATED error. */
  end(): void {
    this.ended = true;
  }

  /**
   * The next packet, or undefined when more bytes are needed (or, after `end()`, when the
   * file is done). Throws a PcapngError at the first bad block, and again on every later call.
   */
  next(): PcapngPacket | undefined {
    const frame = this.nextFrame(true);
    if (!frame) return undefined;
    return {
      index: frame.index,
      interfaceId: frame.interfaceId,
      timestampNs: frame.timestampNs(),
      data: this.copyData ? frame.bytes.slice(frame.dataStart, frame.dataStart + frame.capturedLength) : frame.bytes.subarray(frame.dataStart, frame.dataStart + frame.capturedLength),
      originalLength: frame.originalLength,
      ringOffset: frame.ringOffset,
      comment: frame.comment,
      flags: frame.flags,
    };
  }

  /**
   * The next packet as a frame over the reader's own bytes, without copying them: what an
   * index needs (where the data is in the file, its length, its time) at millions of packets
   * a second. The frame, and the bytes it points into, are valid until the next call. With
   * `options` false, packet comments are decoded only for empty packets (the trace's event
   * markers) and ring offsets not at all; options are still checked.
   */
  nextFrame(options = false): PacketFrame | undefined {
    if (this.failure) throw this.failure;
    try {
      for (;;) {
        if (!this.nextBlock()) return undefined;
        const length = this.blockLength;
        const isPacket = this.parseBlock(this.blockBytes, this.blockStart, this.blockType, length, options);
        this.consume(length);
        this.blockIndex++;
        if (isPacket) return this.frame;
      }
    } catch (error) {
      if (error instanceof PcapngError) this.failure = error;
      throw error;
    }
  }

  /**
   * Hands every packet available now to `visit`, exactly as calling `nextFrame()` until it
   * returns undefined would, only faster: Enhanced Packet Blocks of a little-endian section
   * that lie whole in one pushed chunk (all of them but one per chunk, in our captures) are
   * read in one tight loop; any other block, or one that is not perfectly framed, goes through
   * `nextFrame()`, which reads it or throws the PcapngError it deserves.
   */
  scanFrames(visit: (frame: PacketFrame) => void): void {
    for (;;) {
      this.scanWholePackets(visit);
      const frame = this.nextFrame();
      if (!frame) return;
      visit(frame);
    }
  }

  private scanView = new DataView<ArrayBufferLike>(new ArrayBuffer(0));

  /** Points the frame's view at `bytes` from `at`, reusing the DataView while the buffer is the same. */
  private viewOnto(bytes: Uint8Array, at: number): void {
    if (this.scanView.buffer !== bytes.buffer) this.scanView = new DataView(bytes.buffer);
    this.frame.view = this.scanView;
    this.frame.viewStart = bytes.byteOffset + at;
  }

  private scanWholePackets(visit: (frame: PacketFrame) => void): void {
    if (this.failure || !this.littleEndian || this.sections.length === 0) return;
    const chunk = this.queue[0];
    if (!chunk) return;
    if (this.scanView.buffer !== chunk.buffer) this.scanView = new DataView(chunk.buffer);
    const view = this.scanView;
    const base = chunk.byteOffset;
    const end = chunk.length;
    const interfaces = this.interfaces.length - this.sectionInterfaceBase;
    const frame = this.frame;
    this.decodeComments = false;
    this.fullOptions = false;
    while (this.queue[0] === chunk && this.head + 32 <= end) {
      const at = this.head;
      const length = view.getUint32(base + at + 4, true);
      if (view.getUint32(base + at, true) !== BLOCK_TYPE.enhancedPacket || length < 32 || (length & 3) !== 0 || length > MAX_BLOCK_LENGTH || at + length > end) return;
      if (view.getUint32(base + at + length - 4, true) !== length) return;
      const localId = view.getUint32(base + at + 8, true);
      const captured = view.getUint32(base + at + 20, true);
      // Empty packets carry the trace's events in their comments: the general path decodes those.
      if (localId >= interfaces || captured === 0 || captured > length - 32) return;
      const interfaceId = this.sectionInterfaceBase + localId;
      frame.set(this.packetIndex, interfaceId, this.clocks[interfaceId], view.getUint32(base + at + 12, true), view.getUint32(base + at + 16, true));
      const options = at + 28 + pad4(captured);
      const optionsEnd = at + length - 4;
      // Our packets carry one comment (the ring offset, not decoded here) then the end marker:
      // that needs no reading. Anything else is read, and checked, like any packet's options.
      const single = options + 4 <= optionsEnd ? options + 4 + pad4(view.getUint16(base + options + 2, true)) : -1;
      const plain = options === optionsEnd || (view.getUint16(base + options, true) === OPTION.comment && single + 4 === optionsEnd && view.getUint16(base + single, true) === OPTION.endOfOptions);
      if (!plain) {
        try {
          this.readOptions(chunk, options, optionsEnd, this.packetOption);
        } catch (error) {
          if (error instanceof PcapngError) this.failure = error;
          throw error;
        }
      }
      frame.bytes = chunk;
      frame.dataStart = at + 28;
      frame.view = view;
      frame.viewStart = base + at + 28;
      frame.dataOffset = this.position + 28;
      frame.capturedLength = captured;
      frame.originalLength = view.getUint32(base + at + 24, true);
      this.packetIndex++;
      this.consume(length);
      this.blockIndex++;
      visit(frame);
    }
  }

  /** Every packet available now; throws the PcapngError after the last good one. */
  *packets(): Generator<PcapngPacket, void, undefined> {
    for (let packet = this.next(); packet; packet = this.next()) yield packet;
  }

  /** Locates the next complete, well-framed block into `block*`; false when it has not all arrived. */
  private nextBlock(): boolean {
    if (this.available === 0) {
      if (this.ended && this.sections.length === 0) throw this.error('TRUNCATED', 'the file is empty (a pcapng file starts with a Section Header Block)');
      return false;
    }
    // An SHB's byte order comes from its magic, 8 bytes in, so 12 bytes of header are looked at.
    const header = this.contiguous(Math.min(this.available, 12));
    let at = this.head;
    if (this.available < 4) {
      this.failIfEnded('its header');
      return false;
    }
    // The SHB's type reads the same in both byte orders; other types are in the section's.
    const type = readU32(header, at, this.littleEndian);
    const isSectionHeader = type === BLOCK_TYPE.sectionHeader;
    if (!isSectionHeader && this.sections.length === 0) {
      throw this.error('BAD_MAGIC', `not a pcapng file: it starts with block type 0x${hex32(type)}, not a Section Header Block (0x0a0d0d0a)`);
    }
    let littleEndian = this.littleEndian;
    if (isSectionHeader) {
      if (this.available < 12) {
        this.failIfEnded('its 12-byte Section Header Block header');
        return false;
      }
      const magic = readU32(header, at + 8, true);
      if (magic !== BYTE_ORDER_MAGIC && magic !== BYTE_ORDER_MAGIC_SWAPPED) {
        throw this.error('BAD_MAGIC', `Section Header Block byte-order magic is 0x${hex32(magic)}, not 0x1a2b3c4d in either byte order`);
      }
      littleEndian = magic === BYTE_ORDER_MAGIC;
    } else if (this.available < 8) {
      this.failIfEnded('its 8-byte header');
      return false;
    }
    const length = readU32(header, at + 4, littleEndian);
    const minimum = minimumLength(type);
    if (length % 4 !== 0) throw this.error('LENGTH_NOT_MULTIPLE_OF_4', `block length ${length} is not a multiple of 4`);
    if (length < minimum) throw this.error('LENGTH_TOO_SMALL', `block length ${length} is less than ${minimum}, the minimum for its type (${blockName(type)})`);
    if (length > MAX_BLOCK_LENGTH) throw this.error('LENGTH_TOO_LARGE', `block length ${length} is over the ${MAX_BLOCK_LENGTH}-byte limit for one block`);
    if (this.available < length) {
      this.failIfEnded(`the ${length}-byte ${blockName(type)} (a cut-off capture, or a corrupt length)`);
      return false;
    }

    const bytes = this.contiguous(length);
    at = this.head;
    const trailing = readU32(bytes, at + length - 4, littleEndian);
    if (trailing !== length) {
      throw this.error('TRAILING_LENGTH_MISMATCH', `trailing length ${trailing} does not match leading length ${length} (the trailing copy is at byte ${this.position + length - 4})`);
    }
    if (isSectionHeader) this.littleEndian = littleEndian;
    this.blockBytes = bytes;
    this.blockStart = at;
    this.blockType = type;
    this.blockLength = length;
    return true;
  }

  /** Waiting for bytes is fine while more may come; once they cannot, it is a TRUNCATED file. */
  private failIfEnded(what: string): void {
    if (!this.ended) return;
    throw this.error('TRUNCATED', `the file ends ${this.available} bytes into ${what}`);
  }

  /** Makes the first `count` unread bytes contiguous in queue[0] (count <= available). */
  private contiguous(count: number): Uint8Array {
    const first = this.queue[0]!;
    if (first.length - this.head >= count) return first;
    const joined = new Uint8Array(count);
    let filled = 0;
    while (filled < count) {
      const chunk = this.queue[0]!;
      const take = Math.min(count - filled, chunk.length - this.head);
      joined.set(chunk.subarray(this.head, this.head + take), filled);
      filled += take;
      this.head += take;
      if (this.head === chunk.length) {
        this.queue.shift();
        this.head = 0;
      }
    }
    // The joined bytes go back in front as their own chunk.
    if (this.head > 0) {
      this.queue[0] = this.queue[0]!.subarray(this.head);
      this.head = 0;
    }
    this.queue.unshift(joined);
    return joined;
  }

  private consume(count: number): void {
    this.available -= count;
    this.position += count;
    this.head += count;
    while (this.queue.length && this.head >= this.queue[0]!.length) {
      this.head -= this.queue[0]!.length;
      this.queue.shift();
    }
  }

  private error(code: PcapngErrorCode, detail: string): PcapngError {
    return new PcapngError(code, this.position, this.blockIndex, detail);
  }

  /** Reads one block; true when it was a packet, now in `frame`. */
  private parseBlock(bytes: Uint8Array, start: number, type: number, length: number, options: boolean): boolean {
    switch (type) {
      case BLOCK_TYPE.sectionHeader:
        this.readSectionHeader(bytes, start, length);
        return false;
      case BLOCK_TYPE.interfaceDescription:
        this.readInterfaceDescription(bytes, start, length);
        return false;
      case BLOCK_TYPE.enhancedPacket:
      case BLOCK_TYPE.obsoletePacket:
        this.readPacket(bytes, start, length, type === BLOCK_TYPE.enhancedPacket, options);
        return true;
      case BLOCK_TYPE.simplePacket:
        this.readSimplePacket(bytes, start, length);
        return true;
      default:
        return false;
    }
  }

  private readSectionHeader(bytes: Uint8Array, start: number, length: number): void {
    const le = this.littleEndian;
    const versionMajor = readU16(bytes, start + 12, le);
    const versionMinor = readU16(bytes, start + 14, le);
    if (versionMajor !== 1 || (versionMinor !== 0 && versionMinor !== 2)) {
      throw this.error('UNSUPPORTED_VERSION', `pcapng version ${versionMajor}.${versionMinor} is not supported (this reader knows 1.0)`);
    }
    const comments: string[] = [];
    const section: { -readonly [K in keyof PcapngSection]: PcapngSection[K] } = {
      index: this.sections.length,
      offset: this.position,
      byteOrder: le ? 'little' : 'big',
      versionMajor,
      versionMinor,
      comments,
    };
    this.readOptions(bytes, start + 24, start + length - 4, (code, at, size) => {
      if (code === OPTION.comment) comments.push(this.text(bytes, at, size));
      else if (code === OPTION.shbHardware) section.hardware = this.text(bytes, at, size);
      else if (code === OPTION.shbOs) section.os = this.text(bytes, at, size);
      else if (code === OPTION.shbUserApplication) section.application = this.text(bytes, at, size);
    });
    this.sections.push(section);
    this.sectionInterfaceBase = this.interfaces.length;
  }

  private readInterfaceDescription(bytes: Uint8Array, start: number, length: number): void {
    const le = this.littleEndian;
    const comments: string[] = [];
    const description: { -readonly [K in keyof PcapngInterface]: PcapngInterface[K] } = {
      index: this.interfaces.length,
      section: this.sections.length - 1,
      idInSection: this.interfaces.length - this.sectionInterfaceBase,
      linkType: readU16(bytes, start + 8, le),
      snapLength: readU32(bytes, start + 12, le),
      tsresol: DEFAULT_TSRESOL,
      tsoffsetSeconds: 0n,
      comments,
    };
    this.readOptions(bytes, start + 16, start + length - 4, (code, at, size) => {
      switch (code) {
        case OPTION.comment: {
          const comment = this.text(bytes, at, size);
          const hash = comment.startsWith(PROFILE_HASH_COMMENT_PREFIX) ? comment.slice(PROFILE_HASH_COMMENT_PREFIX.length) : '';
          if (/^[0-9a-fA-F]{64}$/.test(hash)) description.profileHash = hash.toLowerCase();
          else comments.push(comment);
          break;
        }
        case OPTION.ifName:
          description.name = this.text(bytes, at, size);
          break;
        case OPTION.ifDescription:
          description.description = this.text(bytes, at, size);
          break;
        case OPTION.ifTsresol:
          if (size !== 1) throw this.error('BAD_OPTION', `if_tsresol option is ${size} bytes long, not 1`);
          description.tsresol = bytes[at]!;
          break;
        case OPTION.ifTsoffset:
          if (size !== 8) throw this.error('BAD_OPTION', `if_tsoffset option is ${size} bytes long, not 8`);
          description.tsoffsetSeconds = readI64(bytes, at, le);
          break;
      }
    });
    this.interfaces.push(description);
    this.clocks.push(clockFor(description.tsresol, description.tsoffsetSeconds));
  }

  /** Enhanced Packet Block, or the obsolete Packet Block (16-bit interface id, then drop count). */
  private readPacket(bytes: Uint8Array, start: number, length: number, enhanced: boolean, options: boolean): void {
    const le = this.littleEndian;
    const localId = enhanced ? readU32(bytes, start + 8, le) : readU16(bytes, start + 8, le);
    const interfaceId = this.interfaceFor(localId);
    const captured = readU32(bytes, start + 20, le);
    const room = length - 32;
    if (captured > room) {
      throw this.error('CAPTURED_LENGTH_EXCEEDS_BLOCK', `captured length ${captured} does not fit in the block's ${room} bytes of packet data`);
    }
    const frame = this.frame;
    frame.set(this.packetIndex++, interfaceId, this.clocks[interfaceId], readU32(bytes, start + 12, le), readU32(bytes, start + 16, le));
    frame.bytes = bytes;
    frame.dataStart = start + 28;
    this.viewOnto(bytes, start + 28);
    frame.dataOffset = this.position + 28;
    frame.capturedLength = captured;
    frame.originalLength = readU32(bytes, start + 24, le);
    this.decodeComments = options || captured === 0;
    this.fullOptions = options;
    this.ringOffsetSeen = false;
    this.readOptions(bytes, start + 28 + pad4(captured), start + length - 4, this.packetOption);
  }

  /** What `packetOption` decodes of the packet being read: comments (all, or only an empty packet's) and ring offsets. */
  private decodeComments = false;
  private fullOptions = false;
  /** The packet's first ring-offset comment is its offset, never its comment, whether or not it is decoded. */
  private ringOffsetSeen = false;

  /** One option of a packet; one function for every packet, so reading options allocates nothing. */
  private readonly packetOption = (code: number, at: number, size: number, bytes: Uint8Array): void => {
    const frame = this.frame;
    if (code === OPTION.comment && this.decodeComments) {
      const offset = this.ringOffsetSeen ? undefined : parseRingOffset(bytes, at, size);
      if (offset !== undefined) {
        this.ringOffsetSeen = true;
        if (this.fullOptions) frame.ringOffset = offset;
      } else {
        const text = this.text(bytes, at, size);
        frame.comment = frame.comment === undefined ? text : `${frame.comment}\n${text}`;
      }
    } else if (code === OPTION.packetFlags) {
      if (size !== 4) throw this.error('BAD_OPTION', `packet flags option is ${size} bytes long, not 4`);
      frame.flags = readU32(bytes, at, this.littleEndian);
    }
  };

  private readSimplePacket(bytes: Uint8Array, start: number, length: number): void {
    const interfaceId = this.interfaceFor(0);
    const originalLength = readU32(bytes, start + 8, this.littleEndian);
    const snapLength = this.interfaces[interfaceId]!.snapLength;
    const captured = snapLength === 0 ? originalLength : Math.min(originalLength, snapLength);
    const room = length - 16;
    if (captured > room) {
      throw this.error('CAPTURED_LENGTH_EXCEEDS_BLOCK', `captured length ${captured} (original length ${originalLength}, snap length ${snapLength}) does not fit in the block's ${room} bytes of packet data`);
    }
    const frame = this.frame;
    // Simple Packet Blocks carry no time.
    frame.set(this.packetIndex++, interfaceId, undefined, 0, 0);
    frame.bytes = bytes;
    frame.dataStart = start + 12;
    this.viewOnto(bytes, start + 12);
    frame.dataOffset = this.position + 12;
    frame.capturedLength = captured;
    frame.originalLength = originalLength;
  }

  private interfaceFor(localId: number): number {
    const count = this.interfaces.length - this.sectionInterfaceBase;
    if (localId >= count) {
      throw this.error('UNKNOWN_INTERFACE', `packet on interface ${localId}, but section ${this.sections.length - 1} describes ${count} interface${count === 1 ? '' : 's'}`);
    }
    return this.sectionInterfaceBase + localId;
  }

  /** Calls `visit` for each option in [from, to) up to opt_endofopt. */
  private readOptions(bytes: Uint8Array, from: number, to: number, visit: (code: number, at: number, size: number, bytes: Uint8Array) => void): void {
    const le = this.littleEndian;
    let at = from;
    while (at < to) {
      if (to - at < 4) throw this.error('BAD_OPTION', `${to - at} stray bytes at the end of the options`);
      const code = readU16(bytes, at, le);
      const size = readU16(bytes, at + 2, le);
      if (code === OPTION.endOfOptions) return;
      if (at + 4 + size > to) {
        throw this.error('BAD_OPTION', `option ${code} of ${size} bytes runs ${at + 4 + size - to} bytes past the end of the block's options`);
      }
      visit(code, at + 4, size, bytes);
      at += 4 + pad4(size);
    }
  }

  /** A UTF-8 option string; writers that add a terminating NUL get it dropped. */
  private text(bytes: Uint8Array, at: number, size: number): string {
    let end = at + size;
    while (end > at && bytes[end - 1] === 0) end--;
    return this.decoder.decode(bytes.subarray(at, end));
  }
}

/**
 * The `gpupv-ring-offset=` of one Enhanced Packet Block read again on its own (a trace index
 * keeps where packets are, not their options), the block starting at `start` of `bytes`
 * and running at most to its end; undefined when the block has none or is not a
 * well-framed EPB.
 */
export function ringOffsetOfPacketBlock(bytes: Uint8Array, start: number, littleEndian: boolean): bigint | undefined {
  if (bytes.length - start < 32 || readU32(bytes, start, littleEndian) !== BLOCK_TYPE.enhancedPacket) return undefined;
  const length = readU32(bytes, start + 4, littleEndian);
  if (length < 32 || length > bytes.length - start || readU32(bytes, start + length - 4, littleEndian) !== length) return undefined;
  const captured = readU32(bytes, start + 20, littleEndian);
  let at = 28 + pad4(captured);
  while (at + 4 <= length - 4) {
    const code = readU16(bytes, start + at, littleEndian);
    const size = readU16(bytes, start + at + 2, littleEndian);
    if (code === OPTION.endOfOptions || at + 4 + size > length - 4) return undefined;
    if (code === OPTION.comment) {
      const offset = parseRingOffset(bytes, start + at + 4, size);
      if (offset !== undefined) return offset;
    }
    at += 4 + pad4(size);
  }
  return undefined;
}

const TICKS = new DataView(new ArrayBuffer(8));

/** The 64-bit tick count from its two halves, allocating one bigint instead of three. */
function ticksOf(high: number, low: number): bigint {
  TICKS.setUint32(0, high);
  TICKS.setUint32(4, low);
  return TICKS.getBigUint64(0);
}

function readU16(bytes: Uint8Array, at: number, littleEndian: boolean): number {
  return littleEndian ? bytes[at]! | (bytes[at + 1]! << 8) : (bytes[at]! << 8) | bytes[at + 1]!;
}

function readU32(bytes: Uint8Array, at: number, littleEndian: boolean): number {
  return littleEndian
    ? (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0
    : ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function readI64(bytes: Uint8Array, at: number, littleEndian: boolean): bigint {
  const first = BigInt(readU32(bytes, at, littleEndian));
  const second = BigInt(readU32(bytes, at + 4, littleEndian));
  return BigInt.asIntN(64, littleEndian ? (second << 32n) | first : (first << 32n) | second);
}

function pad4(length: number): number {
  return (length + 3) & ~3;
}

function hex32(value: number): string {
  return value.toString(16).padStart(8, '0');
}

function blockName(type: number): string {
  switch (type) {
    case BLOCK_TYPE.sectionHeader:
      return 'Section Header Block';
    case BLOCK_TYPE.interfaceDescription:
      return 'Interface Description Block';
    case BLOCK_TYPE.obsoletePacket:
      return 'Packet Block';
    case BLOCK_TYPE.simplePacket:
      return 'Simple Packet Block';
    case BLOCK_TYPE.enhancedPacket:
      return 'Enhanced Packet Block';
    default:
      return `block of type 0x${hex32(type)}`;
  }
}

function clockFor(tsresol: number, offsetSeconds: bigint): Clock {
  const exponent = BigInt(tsresol & 0x7f);
  const ticksPerSecond = tsresol & 0x80 ? 1n << exponent : 10n ** exponent;
  const common = gcd(1_000_000_000n, ticksPerSecond);
  const multiplier = 1_000_000_000n / common;
  const divisor = ticksPerSecond / common;
  const offsetNs = offsetSeconds * 1_000_000_000n;
  return { multiplier, divisor, offsetNs, nanoseconds: multiplier === 1n && divisor === 1n && offsetNs === 0n };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Ticks to nanoseconds, rounded down when a tick is not a whole number of nanoseconds. */
function toNanoseconds(ticks: bigint, clock: Clock): bigint {
  let ns = ticks;
  if (clock.multiplier !== 1n) ns *= clock.multiplier;
  if (clock.divisor !== 1n) ns /= clock.divisor;
  return clock.offsetNs === 0n ? ns : ns + clock.offsetNs;
}

/** The offset in a `gpupv-ring-offset=0x...` comment, read from the bytes without building a string. */
function parseRingOffset(bytes: Uint8Array, at: number, size: number): bigint | undefined {
  const prefix = RING_OFFSET_COMMENT_PREFIX.length;
  const digits = size - prefix;
  if (digits < 1 || digits > 16) return undefined;
  for (let i = 0; i < prefix; i++) if (bytes[at + i] !== RING_OFFSET_COMMENT_PREFIX.charCodeAt(i)) return undefined;
  // Two halves of at most 8 digits (32 bits) each stay exact as numbers.
  let high = 0;
  let low = 0;
  const split = at + size - Math.min(digits, 8);
  for (let i = at + prefix; i < at + size; i++) {
    const value = hexDigit(bytes[i]!);
    if (value < 0) return undefined;
    if (i < split) high = high * 16 + value;
    else low = low * 16 + value;
  }
  return high === 0 ? BigInt(low) : (BigInt(high) << 32n) | BigInt(low);
}

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}
