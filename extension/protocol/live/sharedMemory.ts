// A mapping the snooper reads: a file-backed one (Linux /dev/shm, a QEMU memory-backend-file),
// read by position through a file descriptor, or a Windows named mapping (the pvgpu host
// backend's pagefile-backed `Global\pvgpu_shmem_*`), read through a mapped view. Everything
// above this interface (the snooper, discovery, the Ring Traces view) never asks which it is.

/** Where a ring lives: the path of a file-backed mapping, or the name of a Windows named mapping. */
export type SharedMemoryLocation = { readonly path: string } | { readonly mapping: string };

export interface SharedMemory {
  /** What the user calls it: the path, or the mapping's name. */
  readonly name: string;
  /** Bytes that can be read now; 0 once the mapping went away (or was closed). */
  size(): number;
  /** Fills `target` with the bytes at `offset`; bytes past the end read as zero. */
  read(target: Uint8Array, offset: number): void;
  close(): void;
}

/** A mapping that cannot be opened, with the reason and what to do about it. */
export class SharedMemoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SharedMemoryError';
  }
}

export function locationName(location: SharedMemoryLocation): string {
  return 'path' in location ? location.path : location.mapping;
}
