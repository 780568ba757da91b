import { readUnsigned, type RecordFraming } from '../ring/recordFraming';

// The fast pass over a trace: one walk that fills columnar typed arrays (where each
// command's bytes are, its size, opcode and time) and nothing else, so any page of rows
// anywhere in a trace of millions of commands is served straight from the arrays and only
// the rows on screen are ever fully decoded. 24 bytes per command, plus fence values.

export class TraceIndex {
  count = 0;
  /** Byte offset of each command's first byte in the source buffer (a ring position for ring images). */
  offsets: Float64Array;
  sizes: Uint32Array;
  /** Each command's opcode as an index into `opcodeValues` (protocols have far fewer than 65,536 opcodes). */
  opcodeIds: Uint16Array;
  readonly opcodeValues: number[] = [];
  private readonly opcodeIdOf = new Map<number, number>();
  /** Nanoseconds after `baseTime` (exact below 2^53 ns, about 104 days). */
  times: Float64Array;
  baseTime = 0n;
  /** Fence commands: their command index and fence value, in order. */
  fenceIndices = new Uint32Array(64);
  fenceValues = new BigUint64Array(64);
  fenceCount = 0;

  constructor(capacity = 1024) {
    this.offsets = new Float64Array(capacity);
    this.sizes = new Uint32Array(capacity);
    this.opcodeIds = new Uint16Array(capacity);
    this.times = new Float64Array(capacity);
  }

  opcodeAt(i: number): number {
    return this.opcodeValues[this.opcodeIds[i]!]!;
  }

  push(offset: number, size: number, opcode: number, time: number): number {
    if (this.count === this.offsets.length) this.grow();
    const i = this.count++;
    let id = this.opcodeIdOf.get(opcode);
    if (id === undefined) {
      id = this.opcodeValues.length;
      if (id > 0xffff) throw new RangeError('more than 65,536 distinct opcodes: this is not a command stream');
      this.opcodeValues.push(opcode);
      this.opcodeIdOf.set(opcode, id);
    }
    this.offsets[i] = offset;
    this.sizes[i] = size;
    this.opcodeIds[i] = id;
    this.times[i] = time;
    return i;
  }

  addFence(index: number, value: bigint): void {
    if (this.fenceCount === this.fenceIndices.length) {
      const indices = new Uint32Array(this.fenceCount * 2);
      indices.set(this.fenceIndices);
      const values = new BigUint64Array(this.fenceCount * 2);
      values.set(this.fenceValues);
      this.fenceIndices = indices;
      this.fenceValues = values;
    }
    this.fenceIndices[this.fenceCount] = index;
    this.fenceValues[this.fenceCount++] = value;
  }

  /** Bytes the index holds per command beyond the trace itself (after trim). */
  get bytesPerCommand(): number {
    const perCommand = 8 + 4 + 2 + 8;
    return perCommand + (this.fenceIndices.byteLength + this.fenceValues.byteLength) / Math.max(1, this.count);
  }

  /** Drops spare capacity once a trace is complete. */
  trim(): void {
    this.offsets = this.offsets.slice(0, this.count);
    this.sizes = this.sizes.slice(0, this.count);
    this.opcodeIds = this.opcodeIds.slice(0, this.count);
    this.times = this.times.slice(0, this.count);
    this.fenceIndices = this.fenceIndices.slice(0, this.fenceCount);
    this.fenceValues = this.fenceValues.slice(0, this.fenceCount);
  }

  private grow(): void {
    const capacity = this.offsets.length * 2;
    const grow = <T extends Float64Array | Uint32Array | Uint16Array>(from: T, make: (n: number) => T): T => {
      const to = make(capacity);
      to.set(from);
      return to;
    };
    this.offsets = grow(this.offsets, (n) => new Float64Array(n));
    this.sizes = grow(this.sizes, (n) => new Uint32Array(n));
    this.opcodeIds = grow(this.opcodeIds, (n) => new Uint16Array(n));
    this.times = grow(this.times, (n) => new Float64Array(n));
  }
}

export interface FenceField {
  readonly opcode: number;
  readonly offset: number;
}

/**
 * Indexes a little-endian pcapng capture (the files `gpupv snoop` writes): Enhanced Packet
 * Blocks of interface 0 are commands. Returns undefined for anything else (big-endian,
 * several interfaces with other resolutions), which the full reader handles.
 */
export function indexCapture(bytes: Uint8Array, framing: RecordFraming, fence?: FenceField): TraceIndex | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 28 || view.getUint32(0, true) !== 0x0a0d0d0a || view.getUint32(8, true) !== 0x1a2b3c4d) return undefined;
  const index = new TraceIndex(Math.max(1024, Math.floor(bytes.byteLength / 64)));
  const opcodeField = framing.opcode;
  const fastOpcode = opcodeField.size === 4 && opcodeField.byteOrder === 'little';
  let at = 0;
  let baseHigh = -1;
  let baseLow = 0;
  while (at + 12 <= bytes.byteLength) {
    const type = view.getUint32(at, true);
    const length = view.getUint32(at + 4, true);
    if (length < 12 || at + length > bytes.byteLength || length % 4 !== 0) break;
    if (type === 6 && view.getUint32(at + 8, true) === 0) {
      const captured = view.getUint32(at + 20, true);
      const data = at + 28;
      if (captured >= framing.headerSize && data + captured <= at + length) {
        const high = view.getUint32(at + 12, true);
        const low = view.getUint32(at + 16, true);
        if (baseHigh < 0) {
          baseHigh = high;
          baseLow = low;
          index.baseTime = (BigInt(high) << 32n) | BigInt(low);
        }
        // Exact while the capture spans less than 2^53 ns (104 days).
        const time = (high - baseHigh) * 4294967296 + (low - baseLow);
        const opcode = fastOpcode ? view.getUint32(data + opcodeField.offset, true) : Number(readUnsigned(bytes, data, opcodeField));
        const i = index.push(data, captured, opcode, time);
        if (opcode === fence?.opcode && captured >= fence.offset + 8) index.addFence(i, view.getBigUint64(data + fence.offset, true));
      }
    }
    at += length;
  }
  return index;
}

/**
 * Indexes the records of a ring image between two positions (monotonic byte counters).
 * Records straddling the end of the ring keep their ring position as offset; the caller
 * copies them when it decodes one.
 */
export function indexRing(ring: Uint8Array, from: bigint, to: bigint, framing: RecordFraming): { index: TraceIndex; error?: string } {
  const size = framing.size;
  if (!size) return { index: new TraceIndex(1), error: 'records of this protocol have no size field' };
  const index = new TraceIndex(Math.max(1024, Math.floor(ring.byteLength / 64)));
  const ringSize = ring.byteLength;
  const view = new DataView(ring.buffer, ring.byteOffset, ring.byteLength);
  const header = new Uint8Array(framing.headerSize);
  const little = size.byteOrder === 'little';
  const fast = size.size === 4 && framing.opcode.size === 4 && framing.opcode.byteOrder === 'little' && little;
  let position = Number(from % BigInt(ringSize));
  let remaining = Number(to - from);
  while (remaining > 0) {
    let length: number;
    let opcode: number;
    if (fast && position + framing.headerSize <= ringSize) {
      length = view.getUint32(position + size.offset, true);
      opcode = view.getUint32(position + framing.opcode.offset, true);
    } else {
      for (let k = 0; k < framing.headerSize; k++) header[k] = ring[(position + k) % ringSize]!;
      length = Number(readUnsigned(header, 0, size));
      opcode = Number(readUnsigned(header, 0, framing.opcode));
    }
    if (!size.includesHeader) length += framing.headerSize;
    if (length < framing.headerSize || length > remaining || length > ringSize) {
      return { index, error: `at ring offset ${position}: size ${length} is impossible with ${remaining} bytes left` };
    }
    index.push(position, length, opcode, 0);
    const step = framing.alignment <= 1 ? length : Math.ceil(length / framing.alignment) * framing.alignment;
    position = (position + step) % ringSize;
    remaining -= step;
  }
  return { index };
}
