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

const MIN_BLOCK_LENGTH = 12;
const MIN_LENGTH_BY_TYPE = new Map<number, number>([
  [BLOCK_TYPE.sectionHeader, 28],
  [BLOCK_TYPE.interfaceDescription, 20],
  [BLOCK_TYPE.obsoletePacket, 32],
  [BLOCK_TYPE.simplePacket, 16],
  [BLOCK_TYPE.enhancedPacket, 32],
]);
const BYTE_ORDER_MAGIC_SWAPPED = 0x4d3c2b1a;
const DEFAULT_TSRESOL = 6;

/** How a section's interface turns its timestamp ticks into nanoseconds. */
interface Clock {
  readonly multiplier: bigint;
  readonly divisor: bigint;
  readonly offsetNs: bigint;
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
    if (this.failure) throw this.failure;
    try {
      for (;;) {
        const block = this.nextBlock();
        if (!block) return undefined;
        const packet = this.parseBlock(block.bytes, block.start, block.type, block.length);
        this.consume(block.length);
        this.blockIndex++;
        if (packet) return packet;
      }
    } catch (error) {
      if (error instanceof PcapngError) this.failure = error;
      throw error;
    }
  }

  /** Every packet available now; throws the PcapngError after the last good one. */
  *packets(): Generator<PcapngPacket, void, undefined> {
    for (let packet = this.next(); packet; packet = this.next()) yield packet;
  }

  /** Locates the next complete, well-framed block, or undefined when it has not all arrived. */
  private nextBlock(): { bytes: Uint8Array; start: number; type: number; length: number } | undefined {
    if (this.available === 0) {
      if (this.ended && this.sections.length === 0) throw this.error('TRUNCATED', 'the file is empty (a pcapng file starts with a Section Header Block)');
      return undefined;
    }
    // An SHB's byte order comes from its magic, 8 bytes in, so 12 bytes of header are looked at.
    const header = this.contiguous(Math.min(this.available, 12));
    let at = this.head;
    if (this.available < 4) {
      this.failIfEnded('its header');
      return undefined;
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
        return undefined;
      }
      const magic = readU32(header, at + 8, true);
      if (magic !== BYTE_ORDER_MAGIC && magic !== BYTE_ORDER_MAGIC_SWAPPED) {
        throw this.error('BAD_MAGIC', `Section Header Block byte-order magic is 0x${hex32(magic)}, not 0x1a2b3c4d in either byte order`);
      }
      littleEndian = magic === BYTE_ORDER_MAGIC;
    } else if (this.available < 8) {
      this.failIfEnded('its 8-byte header');
      return undefined;
    }
    const length = readU32(header, at + 4, littleEndian);
    const minimum = MIN_LENGTH_BY_TYPE.get(type) ?? MIN_BLOCK_LENGTH;
    if (length % 4 !== 0) throw this.error('LENGTH_NOT_MULTIPLE_OF_4', `block length ${length} is not a multiple of 4`);
    if (length < minimum) throw this.error('LENGTH_TOO_SMALL', `block length ${length} is less than ${minimum}, the minimum for its type (${blockName(type)})`);
    if (length > MAX_BLOCK_LENGTH) throw this.error('LENGTH_TOO_LARGE', `block length ${length} is over the ${MAX_BLOCK_LENGTH}-byte limit for one block`);
    if (this.available < length) {
      this.failIfEnded(`the ${length}-byte ${blockName(type)} (a cut-off capture, or a corrupt length)`);
      return undefined;
    }

    const bytes = this.contiguous(length);
    at = this.head;
    const trailing = readU32(bytes, at + length - 4, littleEndian);
    if (trailing !== length) {
      throw this.error('TRAILING_LENGTH_MISMATCH', `trailing length ${trailing} does not match leading length ${length} (the trailing copy is at byte ${this.position + length - 4})`);
    }
    if (isSectionHeader) this.littleEndian = littleEndian;
    return { bytes, start: at, type, length };
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

  private parseBlock(bytes: Uint8Array, start: number, type: number, length: number): PcapngPacket | undefined {
    switch (type) {
      case BLOCK_TYPE.sectionHeader:
        this.readSectionHeader(bytes, start, length);
        return undefined;
      case BLOCK_TYPE.interfaceDescription:
        this.readInterfaceDescription(bytes, start, length);
        return undefined;
      case BLOCK_TYPE.enhancedPacket:
      case BLOCK_TYPE.obsoletePacket:
        return this.readPacket(bytes, start, length, type === BLOCK_TYPE.enhancedPacket);
      case BLOCK_TYPE.simplePacket:
        return this.readSimplePacket(bytes, start, length);
      default:
        return undefined;
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
  private readPacket(bytes: Uint8Array, start: number, length: number, enhanced: boolean): PcapngPacket {
    const le = this.littleEndian;
    const localId = enhanced ? readU32(bytes, start + 8, le) : readU16(bytes, start + 8, le);
    const interfaceId = this.interfaceFor(localId);
    const high = readU32(bytes, start + 12, le);
    const low = readU32(bytes, start + 16, le);
    const captured = readU32(bytes, start + 20, le);
    const originalLength = readU32(bytes, start + 24, le);
    const room = length - 32;
    if (captured > room) {
      throw this.error('CAPTURED_LENGTH_EXCEEDS_BLOCK', `captured length ${captured} does not fit in the block's ${room} bytes of packet data`);
    }
    const dataStart = start + 28;
    let ringOffset: bigint | undefined;
    let comment: string | undefined;
    let flags: number | undefined;
    this.readOptions(bytes, dataStart + pad4(captured), start + length - 4, (code, at, size) => {
      if (code === OPTION.comment) {
        const offset = ringOffset === undefined ? parseRingOffset(bytes, at, size) : undefined;
        if (offset !== undefined) ringOffset = offset;
        else {
          const text = this.text(bytes, at, size);
          comment = comment === undefined ? text : `${comment}\n${text}`;
        }
      } else if (code === OPTION.packetFlags) {
        if (size !== 4) throw this.error('BAD_OPTION', `packet flags option is ${size} bytes long, not 4`);
        flags = readU32(bytes, at, le);
      }
    });
    const clock = this.clocks[interfaceId]!;
    return {
      index: this.packetIndex++,
      interfaceId,
      timestampNs: toNanoseconds(ticksOf(high, low), clock),
      data: this.packetData(bytes, dataStart, captured),
      originalLength,
      ringOffset,
      comment,
      flags,
    };
  }

  private readSimplePacket(bytes: Uint8Array, start: number, length: number): PcapngPacket {
    const interfaceId = this.interfaceFor(0);
    const originalLength = readU32(bytes, start + 8, this.littleEndian);
    const snapLength = this.interfaces[interfaceId]!.snapLength;
    const captured = snapLength === 0 ? originalLength : Math.min(originalLength, snapLength);
    const room = length - 16;
    if (captured > room) {
      throw this.error('CAPTURED_LENGTH_EXCEEDS_BLOCK', `captured length ${captured} (original length ${originalLength}, snap length ${snapLength}) does not fit in the block's ${room} bytes of packet data`);
    }
    return {
      index: this.packetIndex++,
      interfaceId,
      timestampNs: 0n,
      data: this.packetData(bytes, start + 12, captured),
      originalLength,
      ringOffset: undefined,
      comment: undefined,
      flags: undefined,
    };
  }

  private interfaceFor(localId: number): number {
    const count = this.interfaces.length - this.sectionInterfaceBase;
    if (localId >= count) {
      throw this.error('UNKNOWN_INTERFACE', `packet on interface ${localId}, but section ${this.sections.length - 1} describes ${count} interface${count === 1 ? '' : 's'}`);
    }
    return this.sectionInterfaceBase + localId;
  }

  private packetData(bytes: Uint8Array, at: number, length: number): Uint8Array {
    return this.copyData ? bytes.slice(at, at + length) : bytes.subarray(at, at + length);
  }

  /** Calls `visit` for each option in [from, to) up to opt_endofopt. */
  private readOptions(bytes: Uint8Array, from: number, to: number, visit: (code: number, at: number, size: number) => void): void {
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
      visit(code, at + 4, size);
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
  return { multiplier: 1_000_000_000n / common, divisor: ticksPerSecond / common, offsetNs: offsetSeconds * 1_000_000_000n };
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
