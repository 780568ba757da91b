import { closeSync, openSync, readSync } from 'node:fs';
import type { LoadedProtocol } from '../profile/loadProtocol';
import { CaptureTraceSource } from './captureSource';
import { LiveTraceSource, type LiveOptions } from './liveSource';
import { SnapshotTraceSource } from './snapshotSource';

// The front door to traces: a file is a pcapng capture when it starts with a Section Header
// Block, and a ring snapshot otherwise; a live ring is a shared-memory mapping.

const PCAPNG_MAGIC = [0x0a, 0x0d, 0x0d, 0x0a];

export type TraceFileSource = CaptureTraceSource | SnapshotTraceSource;

/** Opens a capture (not yet indexed: call `indexNext`/`indexAll`) or a snapshot (read whole). Throws when the file cannot be opened. */
export function openTraceFile(path: string, protocol: LoadedProtocol): TraceFileSource {
  return isPcapngFile(path) ? new CaptureTraceSource(path, protocol) : SnapshotTraceSource.open(path, protocol);
}

/** Attaches to a live ring (not yet polling: call `start` or `poll`). Throws SnoopError when the mapping cannot be read. */
export function openLiveRing(path: string, protocol: LoadedProtocol, options?: LiveOptions): LiveTraceSource {
  return new LiveTraceSource(path, protocol, options);
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
