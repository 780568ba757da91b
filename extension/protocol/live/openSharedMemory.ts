import { FileMapping } from './fileMapping';
import { loadKernel32 } from './kernel32Binding';
import { NamedMapping, type Kernel32, type NamedMappingOptions } from './namedMapping';
import type { SharedMemory, SharedMemoryLocation } from './sharedMemory';

export interface SharedMemoryOptions extends NamedMappingOptions {
  /** The kernel32 binding for named mappings (default: koffi's, loaded on first use). */
  readonly kernel32?: () => Kernel32;
}

/**
 * Opens a ring's shared memory read-only, whichever kind its location names. Throws
 * SharedMemoryError with the reason and the next step. kernel32 is asked for only for a
 * named mapping, so koffi is loaded only then (and only on Windows).
 */
export function openSharedMemory(location: SharedMemoryLocation, options: SharedMemoryOptions = {}): SharedMemory {
  if ('path' in location) return FileMapping.open(location.path);
  return NamedMapping.open(location.mapping, (options.kernel32 ?? loadKernel32)(), options);
}
