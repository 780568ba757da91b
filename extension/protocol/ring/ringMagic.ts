import type { RingProfile } from '../profile/ringProfile';
import { readUnsigned } from './recordFraming';

// Whether a control region is this protocol's: its magic field holds the value the profile
// names. Discovery, the live snooper and snapshots all ask, and all say the same thing
// when the answer is no.

/**
 * Why `control` (the first bytes of a mapping) is not a ring of this protocol, or undefined
 * when its magic matches (or the profile names no magic, so nothing can be told).
 */
export function magicMismatch(ring: RingProfile, control: Uint8Array): string | undefined {
  const magic = ring.magic;
  if (!magic || control.byteLength < magic.field.offset + magic.field.size) return undefined;
  const found = BigInt(readUnsigned(control, 0, magic.field));
  if (found === magic.value) return undefined;
  return `${magic.fieldName} is ${fieldHex(found, magic.field.size)}, not ${magic.shown}: this is not a ring of this protocol (or the host has not initialised it yet)`;
}

/** `0x50564750`: every digit of a field of `bytes` bytes, so 0x00000000 reads as a 4-byte zero. */
export function fieldHex(value: bigint, bytes: number): string {
  if (value < 0n) return String(value); // an enum constant no unsigned field can hold
  return `0x${value.toString(16).toUpperCase().padStart(bytes * 2, '0')}`;
}
