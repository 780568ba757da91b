import type { RingProfile } from '../profile/ringProfile';
import { readUnsigned, type IntegerField, type RecordFraming } from './recordFraming';
import { alignUp, walkRing, type RingItem, type RingRecord } from './ringWalker';

// A raw image of the shared memory, starting at the control region, as a developer dumps
// it after a hang: the commands still pending between consumer and producer, and the
// already consumed ones before the consumer that can still be trusted, i.e. a chain of
// valid records that ends exactly at the consumer.

export interface RingSnapshot {
  readonly producer: bigint;
  readonly consumer: bigint;
  readonly ringOffset: number;
  readonly ringSize: number;
  /** Pending commands (and error records), consumer to producer. */
  readonly pending: readonly RingItem[];
  /** Older commands recovered before the consumer, oldest first. */
  readonly recovered: readonly RingRecord[];
  readonly completedFence?: number | bigint;
}

export class SnapshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotError';
  }
}

export function readRingSnapshot(image: Uint8Array, ring: RingProfile, framing: RecordFraming, isKnownOpcode: (opcode: number | bigint) => boolean): RingSnapshot {
  if (image.byteLength < ring.control.size) {
    throw new SnapshotError(`the image is ${image.byteLength} bytes, smaller than the control region ${ring.control.name} (${ring.control.size} bytes)`);
  }
  const read = (field: IntegerField | number) => (typeof field === 'number' ? field : readUnsigned(image, 0, field));
  const producer = BigInt(read(ring.producer));
  const consumer = BigInt(read(ring.consumer));
  const ringOffset = Number(read(ring.ringOffset));
  const ringSize = Number(read(ring.ringSize));
  if (!Number.isSafeInteger(ringOffset) || !Number.isSafeInteger(ringSize) || ringSize <= 0 || ringOffset < ring.control.size) {
    throw new SnapshotError(`the control region gives an impossible ring: offset ${ringOffset}, size ${ringSize} (the control region itself is ${ring.control.size} bytes)`);
  }
  if (ringOffset + ringSize > image.byteLength) {
    throw new SnapshotError(`the ring (offset ${ringOffset}, size ${ringSize}) runs past the end of the ${image.byteLength}-byte image: is the dump truncated?`);
  }
  const bytes = image.subarray(ringOffset, ringOffset + ringSize);
  const options = { pointers: ring.pointers, onError: 'resync' as const, isKnownOpcode };
  const pending = [...walkRing(bytes, consumer, producer, framing, options)];
  const recovered = ring.pointers === 'monotonic' ? recoverHistory(bytes, consumer, producer, framing, isKnownOpcode) : [];
  const completedFence = ring.completedFence ? readUnsigned(image, 0, ring.completedFence) : undefined;
  return { producer, consumer, ringOffset, ringSize, pending, recovered, ...(completedFence !== undefined ? { completedFence } : {}) };
}

/**
 * The longest chain of valid records that ends exactly at the consumer. Bytes older than
 * `producer - ringSize` have been overwritten, so the search starts there. One backward
 * pass: a position reaches the consumer if the record there is valid and the position
 * after it reaches the consumer.
 */
function recoverHistory(ring: Uint8Array, consumer: bigint, producer: bigint, framing: RecordFraming, isKnownOpcode: (opcode: number | bigint) => boolean): RingRecord[] {
  const ringSize = ring.byteLength;
  const span = Number(BigInt(ringSize) - (producer - consumer));
  if (!framing.size || span <= framing.headerSize || consumer < BigInt(framing.headerSize)) return [];
  const window = Math.min(span, Number(consumer));
  const reaches = new Uint8Array(window + 1); // index i: position consumer - window + i
  reaches[window] = 1;
  const header = new Uint8Array(framing.headerSize);
  const step = Math.max(1, framing.alignment);
  let earliest = -1;
  for (let i = window - 1; i >= 0; i--) {
    if ((window - i) % step !== 0) continue;
    const position = consumer - BigInt(window - i);
    const size = validSize(ring, position, framing, header, isKnownOpcode);
    if (size === undefined) continue;
    const next = i + alignUp(size, framing.alignment);
    if (next <= window && reaches[next] === 1) {
      reaches[i] = 1;
      earliest = i;
    }
  }
  if (earliest < 0) return [];
  const from = consumer - BigInt(window - earliest);
  const history: RingRecord[] = [];
  for (const item of walkRing(ring, from, consumer, framing, { pointers: 'monotonic', onError: 'stop' })) {
    if ('record' in item) history.push(item.record);
  }
  return history;
}

function validSize(ring: Uint8Array, position: bigint, framing: RecordFraming, header: Uint8Array, isKnownOpcode: (opcode: number | bigint) => boolean): number | undefined {
  const offset = Number(position % BigInt(ring.byteLength));
  const view = offset + framing.headerSize <= ring.byteLength ? ring.subarray(offset, offset + framing.headerSize) : wrapCopy(ring, offset, header);
  if (!isKnownOpcode(readUnsigned(view, 0, framing.opcode))) return undefined;
  const raw = readUnsigned(view, 0, framing.size!);
  if (typeof raw === 'bigint') return undefined;
  const size = raw + (framing.size!.includesHeader ? 0 : framing.headerSize);
  return size >= framing.headerSize && size <= ring.byteLength ? size : undefined;
}

function wrapCopy(ring: Uint8Array, offset: number, target: Uint8Array): Uint8Array {
  const first = Math.min(target.byteLength, ring.byteLength - offset);
  target.set(ring.subarray(offset, offset + first));
  target.set(ring.subarray(0, target.byteLength - first), first);
  return target;
}
