import type { RingProfile } from '../profile/ringProfile';
import { readUnsigned, writeUnsigned, type IntegerField } from './recordFraming';

// Where the ring sits in a shared-memory file, read from (or, when creating it, written
// to) the control region the profile names.

export interface RingGeometry {
  readonly ringOffset: number;
  readonly ringSize: number;
}

/** The geometry a new mapping gets: the profile's numbers, else the ring on the page after the control region. */
export function chooseGeometry(ring: RingProfile, requestedRingSize: number): RingGeometry {
  const ringOffset = typeof ring.ringOffset === 'number' ? ring.ringOffset : Math.ceil(ring.control.size / 4096) * 4096;
  const ringSize = typeof ring.ringSize === 'number' ? ring.ringSize : requestedRingSize;
  return { ringOffset, ringSize };
}

/** A fresh control region for that geometry: magic, offset and size fields set, pointers zero. */
export function initialControlRegion(ring: RingProfile, geometry: RingGeometry): Uint8Array {
  const control = new Uint8Array(ring.control.size);
  if (ring.magic) writeUnsigned(control, 0, ring.magic.field, ring.magic.value);
  if (typeof ring.ringOffset !== 'number') writeUnsigned(control, 0, ring.ringOffset, geometry.ringOffset);
  if (typeof ring.ringSize !== 'number') writeUnsigned(control, 0, ring.ringSize, geometry.ringSize);
  return control;
}

export function readGeometry(ring: RingProfile, control: Uint8Array): RingGeometry {
  const value = (field: IntegerField | number) => (typeof field === 'number' ? field : Number(readUnsigned(control, 0, field)));
  return { ringOffset: value(ring.ringOffset), ringSize: value(ring.ringSize) };
}
