// The producer side of a ring, as a guest driver writes it: records back to back from a
// pointer, wrapping at the end with no marker. The simulator (into a shared-memory file)
// and the tests (into memory) write with it.

/** Where the ring's bytes are: memory, or the ring region of a shared-memory file. */
export interface RingTarget {
  readonly size: number;
  /** Writes `bytes` at `ringOffset`; never called across the end of the ring. */
  write(ringOffset: number, bytes: Uint8Array): void;
}

/**
 * Writes `record` (one record, or several back to back) at byte counter `position`
 * (monotonic) of `ring`, splitting it where it straddles the end; returns the next position.
 */
export function writeRecord(ring: RingTarget | Uint8Array, position: bigint, record: Uint8Array, alignment = 1): bigint {
  const target = ring instanceof Uint8Array ? memoryTarget(ring) : ring;
  const size = target.size;
  if (record.byteLength > size) throw new RangeError(`a ${record.byteLength}-byte record does not fit a ${size}-byte ring`);
  const offset = Number(position % BigInt(size));
  const first = Math.min(record.byteLength, size - offset);
  target.write(offset, record.subarray(0, first));
  if (first < record.byteLength) target.write(0, record.subarray(first));
  const padded = alignment <= 1 ? record.byteLength : Math.ceil(record.byteLength / alignment) * alignment;
  return position + BigInt(padded);
}

function memoryTarget(ring: Uint8Array): RingTarget {
  return { size: ring.byteLength, write: (offset, bytes) => ring.set(bytes, offset) };
}
