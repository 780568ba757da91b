import { readUnsigned, type RecordFraming } from './recordFraming';

// Walks the records of a shared-memory command ring between two pointers. Records are
// written back to back and may straddle the end of the ring; those are copied into one
// buffer, every other record is a view. Every length is checked before it is used, so a
// corrupt ring yields an error record with the reason, never an out-of-bounds read or a
// loop that does not end.

export type PointerMode = 'monotonic' | 'wrapped';

export interface RingRecord {
  /** The pointer value (byte counter or ring offset) where the record starts. */
  readonly position: bigint;
  /** Byte offset inside the ring. */
  readonly ringOffset: number;
  readonly size: number;
  readonly opcode: number | bigint;
  /** The record's bytes: a view into the ring, or a copy when it straddles the end. */
  readonly bytes: Uint8Array;
  readonly straddles: boolean;
}

export interface RingError {
  readonly position: bigint;
  readonly ringOffset: number;
  readonly reason: string;
  /** Bytes from here to the end pointer that could not be decoded. */
  readonly skipped: number;
}

export type RingItem = { readonly record: RingRecord } | { readonly error: RingError };

export interface WalkOptions {
  readonly pointers: PointerMode;
  /** After an error: stop, or look for the next plausible record and go on. */
  readonly onError: 'stop' | 'resync';
  /** For resync: whether an opcode is one the profile knows. */
  readonly isKnownOpcode?: (opcode: number | bigint) => boolean;
}

export function* walkRing(ring: Uint8Array, from: bigint, to: bigint, framing: RecordFraming, options: WalkOptions): Generator<RingItem> {
  const ringSize = ring.byteLength;
  const span = pendingBytes(from, to, ringSize, options.pointers);
  if (typeof span === 'string') {
    yield { error: { position: from, ringOffset: offsetOf(from, ringSize), reason: span, skipped: 0 } };
    return;
  }
  const header = new Uint8Array(framing.headerSize);
  let done = 0n;
  while (done < span) {
    const position = advance(from, done, ringSize, options.pointers);
    const ringOffset = offsetOf(position, ringSize);
    const remaining = span - done;
    const problem = checkRecord(ring, ringOffset, remaining, framing, header);
    if (typeof problem === 'string') {
      yield { error: { position, ringOffset, reason: problem, skipped: Number(remaining) } };
      if (options.onError === 'stop') return;
      const next = resync(ring, ringOffset, remaining, framing, header, options.isKnownOpcode);
      if (next === undefined) return;
      done += BigInt(next);
      continue;
    }
    const { size, opcode } = problem;
    const straddles = ringOffset + size > ringSize;
    const bytes = straddles ? copyAcross(ring, ringOffset, size) : ring.subarray(ringOffset, ringOffset + size);
    yield { record: { position, ringOffset, size, opcode, bytes, straddles } };
    done += BigInt(alignUp(size, framing.alignment));
  }
}

/** Bytes between the pointers, or why the pointers themselves are impossible. */
export function pendingBytes(from: bigint, to: bigint, ringSize: number, mode: PointerMode): bigint | string {
  const size = BigInt(ringSize);
  if (ringSize <= 0) return 'the ring has no size';
  if (mode === 'monotonic') {
    if (to < from) return `producer (${to}) is behind consumer (${from})`;
    if (to - from > size) return `producer is ${to - from} bytes ahead of consumer, more than the ring holds (${ringSize}): overrun`;
    return to - from;
  }
  if (from < 0n || from >= size || to < 0n || to >= size) return `pointer out of range: consumer ${from}, producer ${to}, ring size ${ringSize}`;
  return (to - from + size) % size;
}

function advance(from: bigint, by: bigint, ringSize: number, mode: PointerMode): bigint {
  return mode === 'monotonic' ? from + by : (from + by) % BigInt(ringSize);
}

function offsetOf(position: bigint, ringSize: number): number {
  return Number(((position % BigInt(ringSize)) + BigInt(ringSize)) % BigInt(ringSize));
}

/** The record's size and opcode, or why there is no valid record here. */
function checkRecord(ring: Uint8Array, ringOffset: number, remaining: bigint, framing: RecordFraming, header: Uint8Array): { size: number; opcode: number | bigint } | string {
  if (remaining < BigInt(framing.headerSize)) return `${remaining} bytes before the producer, fewer than a command header (${framing.headerSize})`;
  const headerBytes = ringOffset + framing.headerSize <= ring.byteLength ? ring.subarray(ringOffset, ringOffset + framing.headerSize) : copyInto(ring, ringOffset, header);
  const opcode = readUnsigned(headerBytes, 0, framing.opcode);
  if (!framing.size) return 'records of this protocol have no size field; their length must come from the capture';
  const raw = readUnsigned(headerBytes, 0, framing.size);
  const size = Number(raw) + (framing.size.includesHeader ? 0 : framing.headerSize);
  if (typeof raw === 'bigint' || !Number.isSafeInteger(size)) return `size field ${raw} is not a plausible size`;
  if (size === 0) return 'size field is 0';
  if (size < framing.headerSize) return `size ${size} is smaller than the command header (${framing.headerSize})`;
  if (size > ring.byteLength) return `size ${size} is larger than the ring (${ring.byteLength})`;
  if (BigInt(size) > remaining) return `size ${size} runs past the producer (${remaining} bytes left)`;
  return { size, opcode };
}

/** The distance to the next position where a plausible record starts, if any before the producer. */
function resync(ring: Uint8Array, ringOffset: number, remaining: bigint, framing: RecordFraming, header: Uint8Array, isKnown?: (opcode: number | bigint) => boolean): number | undefined {
  const step = Math.max(1, framing.alignment);
  const limit = Number(remaining < BigInt(ring.byteLength) ? remaining : BigInt(ring.byteLength));
  for (let skip = step; skip < limit; skip += step) {
    const offset = (ringOffset + skip) % ring.byteLength;
    const found = checkRecord(ring, offset, remaining - BigInt(skip), framing, header);
    if (typeof found !== 'string' && (!isKnown || isKnown(found.opcode))) return skip;
  }
  return undefined;
}

function copyAcross(ring: Uint8Array, ringOffset: number, size: number): Uint8Array {
  return copyInto(ring, ringOffset, new Uint8Array(size));
}

/** Fills `target` from the ring starting at `ringOffset`, wrapping at the end. */
function copyInto(ring: Uint8Array, ringOffset: number, target: Uint8Array): Uint8Array {
  const first = Math.min(target.byteLength, ring.byteLength - ringOffset);
  target.set(ring.subarray(ringOffset, ringOffset + first), 0);
  if (first < target.byteLength) target.set(ring.subarray(0, target.byteLength - first), first);
  return target;
}

export function alignUp(value: number, alignment: number): number {
  return alignment <= 1 ? value : Math.ceil(value / alignment) * alignment;
}
