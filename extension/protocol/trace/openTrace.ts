import { closeSync, openSync, readSync } from 'node:fs';
import { openSharedMemory, type SharedMemoryOptions } from '../live/openSharedMemory';
import { SnoopError } from '../live/ringSnooper';
import { SharedMemoryError, type SharedMemory, type SharedMemoryLocation } from '../live/sharedMemory';
import type { LoadedProtocol } from '../profile/loadProtocol';
import { CaptureTraceSource } from './captureSource';
import { LiveTraceSource, type LiveOptions } from './liveSource';
import { SnapshotTraceSource } from './snapshotSource';

// The front door to traces: a file is a pcapng capture when it starts with a Section Header
// Block, and a ring snapshot otherwise; a live ring is a shared-memory mapping, named by the
// path of a file-backed mapping or by the name of a Windows named mapping.

const PCAPNG_MAGIC = [0x0a, 0x0d, 0x0d, 0x0a];

export type TraceFileSource = CaptureTraceSource | SnapshotTraceSource;

/** Opens a capture (not yet indexed: call `indexNext`/`indexAll`) or a snapshot (read whole). Throws when the file cannot be opened. */
export function openTraceFile(path: string, protocol: LoadedProtocol): TraceFileSource {
  return isPcapngFile(path) ? new CaptureTraceSource(path, protocol) : SnapshotTraceSource.open(path, protocol);
}

/**
 * Attaches to a live ring (not yet polling: call `start` or `poll`). Throws SnoopError when the
 * mapping cannot be opened (the message says why and what to do) or is no ring of this protocol.
 */
export function openLiveRing(location: SharedMemoryLocation, protocol: LoadedProtocol, options?: LiveOptions & { readonly sharedMemory?: SharedMemoryOptions }): LiveTraceSource {
  let memory: SharedMemory;
  try {
    memory = openSharedMemory(location, options?.sharedMemory);
  } catch (error) {
    if (error instanceof SharedMemoryError) throw new SnoopError(error.message);
    throw error;
  }
  return new LiveTraceSource(memory, protocol, options);
}

export function isPcapngFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(4);
    return readSync(fd, head, 0, 4, 0) === 4 && PCAPNG_MAGIC.every((b, i) => head[i] === b);
  } finally {
    closeSync(fd);
  }
}
