// The producer side of a ring, as a guest driver writes it: records back to back from a
// pointer, wrapping at the end with no marker. The simulator and the tests write with it.

/** Writes `record` at byte counter `position` (monotonic) of `ring`; returns the next position. */
export function writeRecord(ring: Uint8Array, position: bigint, record: Uint8Array, alignment = 1): bigint {
  const size = ring.byteLength;
  if (record.byteLength > size) throw new RangeError(`a ${record.byteLength}-byte record does not fit a ${size}-byte ring`);
  const offset = Number(position % BigInt(size));
  const first = Math.min(record.byteLength, size - offset);
  ring.set(record.subarray(0, first), offset);
  if (first < record.byteLength) ring.set(record.subarray(first), 0);
  const padded = alignment <= 1 ? record.byteLength : Math.ceil(record.byteLength / alignment) * alignment;
  return position + BigInt(padded);
}
