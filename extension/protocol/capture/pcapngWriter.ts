// Streams command-ring captures as pcapng (draft-ietf-opsawg-pcapng) so Wireshark and
// tshark open them: one Section Header Block, one Interface Description Block, then one
// Enhanced Packet Block per captured ring record. Little-endian, nanosecond timestamps.
//
// Option encoding. Our two pieces of metadata travel as opt_comment strings with a reserved
// prefix, not as custom options (codes 2988/2989/19372/19373):
//   - the interface's `gpupv-profile-sha256=<64 hex digits>` (the protocol profile the
//     records were captured with), and
//   - each packet's `gpupv-ring-offset=0x<hex>` (where the record sat in the ring).
// A custom option must start with a Private Enterprise Number assigned by IANA to whoever
// defines it; we have none, and borrowing another organisation's number would collide with
// their options. Wireshark also only shows custom options through a plugin registered for the
// number, while comments are shown, filterable (`frame.comment contains "ring-offset=0x40"`)
// and kept by editcap and mergecap. The price is about 12 bytes per packet more than a custom
// option would take (28 instead of 16 for a typical offset), small next to a command record.
// A user comment that would read back as a ring offset is refused, so a capture round-trips.

/** LINKTYPE_USER0..LINKTYPE_USER15: the link types reserved for private use. */
export const LINKTYPE_USER0 = 147;
export const LINKTYPE_USER15 = 162;

/** The reader refuses bigger blocks, so the writer never produces one. */
export const MAX_BLOCK_LENGTH = 64 * 1024 * 1024;

export const PROFILE_HASH_COMMENT_PREFIX = 'gpupv-profile-sha256=';
export const RING_OFFSET_COMMENT_PREFIX = 'gpupv-ring-offset=0x';
/** What the reader takes for a ring offset: exactly the prefix and 1 to 16 hex digits. */
export const RING_OFFSET_COMMENT = /^gpupv-ring-offset=0x[0-9a-fA-F]{1,16}$/;

export const BLOCK_TYPE = {
  sectionHeader: 0x0a0d0d0a,
  interfaceDescription: 1,
  obsoletePacket: 2,
  simplePacket: 3,
  enhancedPacket: 6,
} as const;

export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export const OPTION = {
  endOfOptions: 0,
  comment: 1,
  shbHardware: 2,
  shbOs: 3,
  shbUserApplication: 4,
  ifName: 2,
  ifDescription: 3,
  ifTsresol: 9,
  ifTsoffset: 14,
  packetFlags: 2,
} as const;

const NANOSECOND_TSRESOL = 9;
const MAX_OPTION_LENGTH = 0xffff;
const MAX_U64 = (1n << 64n) - 1n;
/** Bytes of an EPB without packet data or options: header, fixed fields, trailing length. */
const EPB_FIXED = 32;
/** Each flush hands the sink a fresh region of at most this much (more for a huge block). */
const CHUNK_SIZE = 1024 * 1024;

export interface PcapngWriterOptions {
  /** LINKTYPE_USER0 (147, the default) to LINKTYPE_USER15 (162). */
  readonly linkType?: number;
  /** if_name of the single interface, e.g. the VM and ring it was captured from. */
  readonly interfaceName?: string;
  /** if_description. */
  readonly description?: string;
  /** SHA-256 of the protocol profile, 64 hex digits; stored as an IDB comment. */
  readonly profileHash?: string;
  /** shb_userappl: the application that wrote the capture. */
  readonly application?: string;
  /** shb_hardware. */
  readonly hardware?: string;
  /** IDB snap length; longer records are cut to it (original length kept). 0 (default): no limit. */
  readonly snapLength?: number;
}

export interface PcapngPacketInput {
  /** Nanoseconds since the Unix epoch, 0 to 2^64 - 1. */
  readonly timestampNs: bigint;
  /** The raw bytes of one ring record. */
  readonly data: Uint8Array;
  /** Where the record started in the ring, 0 to 2^64 - 1. */
  readonly ringOffset?: bigint | number;
  readonly comment?: string;
  /** epb_flags (32 bits; bits 0-1 direction, see the pcapng spec). */
  readonly flags?: number;
}

/**
 * Writes one capture (one section, one interface, nanosecond timestamps) to `sink` in chunks. Each chunk handed to the sink is a region the
 * writer never touches again, so the sink may keep it (e.g. queue it on a stream) without
 * copying. Bytes are buffered until about 1 MiB is pending, `flush()` or `close()`.
 */
export class PcapngWriter {
  private buffer = new Uint8Array(CHUNK_SIZE);
  private view = new DataView(this.buffer.buffer);
  /** Start of the bytes not yet handed to the sink. */
  private pendingStart = 0;
  private used = 0;
  private flushedBytes = 0;
  private packets = 0;
  private closed = false;
  private readonly snapLength: number;
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly sink: (chunk: Uint8Array) => void,
    options: PcapngWriterOptions = {},
  ) {
    const linkType = options.linkType ?? LINKTYPE_USER0;
    if (!Number.isInteger(linkType) || linkType < LINKTYPE_USER0 || linkType > LINKTYPE_USER15) {
      throw new RangeError(`link type ${linkType} is not one of LINKTYPE_USER0..USER15 (${LINKTYPE_USER0}..${LINKTYPE_USER15})`);
    }
    this.snapLength = options.snapLength ?? 0;
    if (!Number.isInteger(this.snapLength) || this.snapLength < 0 || this.snapLength > 0xffffffff) {
      throw new RangeError(`snap length ${this.snapLength} is not a 32-bit unsigned integer`);
    }
    const profileHash = options.profileHash;
    if (profileHash !== undefined && !/^[0-9a-fA-F]{64}$/.test(profileHash)) {
      throw new RangeError(`profile hash "${profileHash}" is not a SHA-256 in hex (64 hex digits)`);
    }
    this.writeSectionHeader(options.hardware, options.application);
    this.writeInterfaceDescription(linkType, options.interfaceName, options.description, profileHash?.toLowerCase());
  }

  /** Packets written so far. */
  get packetCount(): number {
    return this.packets;
  }

  /** Bytes of the capture so far, including those not yet handed to the sink. */
  get bytesWritten(): number {
    return this.flushedBytes + this.used - this.pendingStart;
  }

  writePacket(packet: PcapngPacketInput): void {
    this.assertOpen();
    const { timestampNs, data, ringOffset, comment, flags } = packet;
    if (typeof timestampNs !== 'bigint' || timestampNs < 0n || timestampNs > MAX_U64) {
      throw new RangeError(`timestamp ${String(timestampNs)} ns is not a bigint from 0 to 2^64 - 1`);
    }
    const offsetHex = ringOffset === undefined ? undefined : ringOffsetHex(ringOffset);
    if (flags !== undefined && (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff)) {
      throw new RangeError(`packet flags ${flags} are not a 32-bit unsigned integer`);
    }
    if (comment !== undefined) checkComment(comment);
    const captured = this.snapLength !== 0 && data.length > this.snapLength ? this.snapLength : data.length;
    const paddedData = pad4(captured);
    const optionBound =
      (flags === undefined ? 0 : 8) +
      (offsetHex === undefined ? 0 : 4 + pad4(RING_OFFSET_COMMENT_PREFIX.length + offsetHex.length)) +
      (comment === undefined ? 0 : 4 + pad4(comment.length * 3)) +
      4;
    if (EPB_FIXED + paddedData + optionBound > MAX_BLOCK_LENGTH) {
      throw new RangeError(`a ${data.length}-byte packet makes a block over the ${MAX_BLOCK_LENGTH}-byte limit readers accept`);
    }
    this.reserve(EPB_FIXED + paddedData + optionBound);
    const start = this.used;
    try {
      this.writeEnhancedPacket(timestampNs, data, captured, offsetHex, comment, flags);
    } catch (error) {
      // Only a comment whose UTF-8 outgrows an option gets here; drop the half-written block.
      this.used = start;
      throw error;
    }
    this.packets++;
    if (this.used - this.pendingStart >= CHUNK_SIZE) this.flush();
  }

  /** Hands every pending byte to the sink. */
  flush(): void {
    if (this.used === this.pendingStart) return;
    const chunk = this.buffer.subarray(this.pendingStart, this.used);
    this.flushedBytes += chunk.length;
    this.pendingStart = this.used;
    this.sink(chunk);
  }

  /** Flushes; later writes throw. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }

  private writeEnhancedPacket(timestampNs: bigint, data: Uint8Array, captured: number, offsetHex?: string, comment?: string, flags?: number): void {
    const start = this.used;
    const view = this.view;
    view.setUint32(start, BLOCK_TYPE.enhancedPacket, true);
    view.setUint32(start + 8, 0, true);
    view.setUint32(start + 12, Number(timestampNs >> 32n), true);
    view.setUint32(start + 16, Number(timestampNs & 0xffffffffn), true);
    view.setUint32(start + 20, captured, true);
    view.setUint32(start + 24, data.length, true);
    this.buffer.set(captured === data.length ? data : data.subarray(0, captured), start + 28);
    this.used = start + 28;
    this.zeroPad(captured);

    let options = false;
    if (flags !== undefined) {
      view.setUint32(this.used, OPTION.packetFlags | (4 << 16), true);
      view.setUint32(this.used + 4, flags, true);
      this.used += 8;
      options = true;
    }
    if (offsetHex !== undefined) {
      this.writeAsciiOption(OPTION.comment, RING_OFFSET_COMMENT_PREFIX, offsetHex);
      options = true;
    }
    if (comment !== undefined) {
      this.writeStringOption(OPTION.comment, comment);
      options = true;
    }
    if (options) this.writeEndOfOptions();
    this.finishBlock(start);
  }

  private writeSectionHeader(hardware: string | undefined, application: string | undefined): void {
    const strings = [hardware, application].filter((s) => s !== undefined);
    strings.forEach(checkOptionString);
    this.reserve(28 + strings.reduce((sum, s) => sum + 4 + pad4(s.length * 3), 0) + 4);
    const start = this.used;
    this.view.setUint32(start, BLOCK_TYPE.sectionHeader, true);
    this.view.setUint32(start + 8, BYTE_ORDER_MAGIC, true);
    this.view.setUint16(start + 12, 1, true);
    this.view.setUint16(start + 14, 0, true);
    // Section length -1: not known while streaming.
    this.view.setBigInt64(start + 16, -1n, true);
    this.used = start + 24;
    if (hardware !== undefined) this.writeStringOption(OPTION.shbHardware, hardware);
    if (application !== undefined) this.writeStringOption(OPTION.shbUserApplication, application);
    if (strings.length) this.writeEndOfOptions();
    this.finishBlock(start);
  }

  private writeInterfaceDescription(linkType: number, name?: string, description?: string, profileHash?: string): void {
    const strings = [name, description].filter((s) => s !== undefined);
    strings.forEach(checkOptionString);
    const profileComment = profileHash === undefined ? undefined : PROFILE_HASH_COMMENT_PREFIX + profileHash;
    this.reserve(16 + strings.reduce((sum, s) => sum + 4 + pad4(s.length * 3), 0) + 8 + 4 + pad4(profileComment?.length ?? 0) + 4 + 4);
    const start = this.used;
    this.view.setUint32(start, BLOCK_TYPE.interfaceDescription, true);
    this.view.setUint16(start + 8, linkType, true);
    this.view.setUint16(start + 10, 0, true);
    this.view.setUint32(start + 12, this.snapLength, true);
    this.used = start + 16;
    if (name !== undefined) this.writeStringOption(OPTION.ifName, name);
    if (description !== undefined) this.writeStringOption(OPTION.ifDescription, description);
    this.view.setUint32(this.used, OPTION.ifTsresol | (1 << 16), true);
    this.view.setUint32(this.used + 4, NANOSECOND_TSRESOL, true);
    this.used += 8;
    if (profileComment !== undefined) this.writeAsciiOption(OPTION.comment, profileComment, '');
    this.writeEndOfOptions();
    this.finishBlock(start);
  }

  /** Makes room for `bytes` contiguous bytes; a block is always written into one buffer. */
  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buffer.length) return;
    this.flush();
    this.buffer = new Uint8Array(Math.max(CHUNK_SIZE, bytes));
    this.view = new DataView(this.buffer.buffer);
    this.pendingStart = 0;
    this.used = 0;
  }

  /** An option whose value is `head + tail`, both ASCII, without building the string. */
  private writeAsciiOption(code: number, head: string, tail: string): void {
    const at = this.used + 4;
    const buffer = this.buffer;
    for (let i = 0; i < head.length; i++) buffer[at + i] = head.charCodeAt(i);
    for (let i = 0; i < tail.length; i++) buffer[at + head.length + i] = tail.charCodeAt(i);
    this.finishOption(code, head.length + tail.length);
  }

  private writeStringOption(code: number, value: string): void {
    const at = this.used + 4;
    const { written } = this.encoder.encodeInto(value, this.buffer.subarray(at, at + value.length * 3));
    if (written > MAX_OPTION_LENGTH) {
      throw new RangeError(`a string option of ${written} bytes is over the pcapng limit of ${MAX_OPTION_LENGTH}`);
    }
    this.finishOption(code, written);
  }

  private finishOption(code: number, length: number): void {
    this.view.setUint16(this.used, code, true);
    this.view.setUint16(this.used + 2, length, true);
    this.used += 4;
    this.zeroPad(length);
  }

  private writeEndOfOptions(): void {
    this.view.setUint32(this.used, 0, true);
    this.used += 4;
  }

  /** Moves past `length` bytes just written and zeroes their padding to 32 bits. */
  private zeroPad(length: number): void {
    const end = this.used + length;
    const padded = this.used + pad4(length);
    this.buffer.fill(0, end, padded);
    this.used = padded;
  }

  /** Writes the trailing length and patches the leading one. */
  private finishBlock(start: number): void {
    const length = this.used + 4 - start;
    this.view.setUint32(start + 4, length, true);
    this.view.setUint32(this.used, length, true);
    this.used += 4;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the pcapng writer is closed');
  }
}

function pad4(length: number): number {
  return (length + 3) & ~3;
}

function ringOffsetHex(offset: bigint | number): string {
  const valid = typeof offset === 'bigint' ? offset >= 0n && offset <= MAX_U64 : Number.isSafeInteger(offset) && offset >= 0;
  if (!valid) throw new RangeError(`ring offset ${String(offset)} is not an unsigned 64-bit integer`);
  return offset.toString(16);
}

function checkOptionString(value: string): void {
  // UTF-8 never takes fewer bytes than UTF-16 code units, so this catches the hopeless cases
  // before any buffer is reserved for them; encodeInto catches the rest.
  if (value.length > MAX_OPTION_LENGTH) {
    throw new RangeError(`a string option of ${value.length} characters is over the pcapng limit of ${MAX_OPTION_LENGTH} bytes`);
  }
}

function checkComment(comment: string): void {
  checkOptionString(comment);
  if (comment.startsWith(RING_OFFSET_COMMENT_PREFIX) && RING_OFFSET_COMMENT.test(comment)) {
    throw new RangeError(`comment "${comment}" would read back as a ring offset; pass it as ringOffset`);
  }
}
