import { closeSync, openSync, readSync } from 'node:fs';
import { PcapngError, PcapngReader, readPcapng } from '../capture/pcapngReader';
import type { LoadedProtocol } from '../profile/loadProtocol';
import { readUnsigned } from '../ring/recordFraming';
import { readRingSnapshot } from '../ring/ringSnapshot';
import { traceEventOf } from './traceEvents';

// A trace on disk, whatever its kind, as one sequence of command records: a pcapng capture
// (one packet per command) or a raw shared-memory snapshot (history recovered before the
// consumer, then the pending commands).

export interface TraceRecord {
  readonly seq: number;
  /** Ring position (snapshot) or the ring offset the capture recorded (else the packet index). */
  readonly offset: number | bigint;
  /** Nanoseconds since the epoch, for captures. */
  readonly time?: bigint;
  readonly opcode: number | bigint;
  readonly bytes: Uint8Array;
  readonly recovered?: boolean;
  /** The record could not be framed (a snapshot's error record). */
  readonly error?: string;
}

export interface TraceFile {
  readonly kind: 'pcapng' | 'snapshot';
  readonly records: readonly TraceRecord[];
  /** The file itself is damaged or inconsistent: what was read before the damage is in `records`. */
  readonly problem?: string;
}

const PCAPNG_MAGIC = [0x0a, 0x0d, 0x0d, 0x0a];
const CHUNK_BYTES = 1 << 20;

/**
 * Every command of a trace file, in order, to `visit` (return false to stop early). Captures
 * are streamed a megabyte at a time, so memory stays bounded whatever their size; a snapshot
 * is read whole (it is one shared-memory image). Returns the problem that ended reading, if any.
 */
export function visitTraceFile(path: string, protocol: LoadedProtocol, visit: (record: TraceRecord) => boolean, readWhole: () => Uint8Array): string | undefined {
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(4);
    const isCapture = readSync(fd, head, 0, 4, 0) === 4 && PCAPNG_MAGIC.every((b, i) => head[i] === b);
    if (!isCapture) {
      const trace = readTraceFile(readWhole(), protocol, path);
      for (const record of trace.records) if (!visit(record)) break;
      return trace.problem;
    }
    const reader = new PcapngReader();
    const framing = protocol.command.framing;
    const chunk = new Uint8Array(CHUNK_BYTES);
    let seq = 0;
    let position = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, CHUNK_BYTES, position);
      position += n;
      if (n > 0) reader.push(chunk.slice(0, n));
      else reader.end();
      for (const packet of reader.packets()) {
        if (traceEventOf(packet.data, packet.comment)) continue;
        if (!visit(captureRecord(seq++, packet, framing))) return undefined;
      }
      if (n === 0) return undefined;
    }
  } catch (error) {
    if (error instanceof PcapngError) return `${path}: ${error.message}`;
    throw error;
  } finally {
    closeSync(fd);
  }
}

function captureRecord(seq: number, packet: { data: Uint8Array; ringOffset?: bigint; index: number; timestampNs: bigint }, framing: LoadedProtocol['command']['framing']): TraceRecord {
  const short = packet.data.byteLength < framing.headerSize;
  return {
    seq,
    offset: packet.ringOffset ?? BigInt(packet.index),
    time: packet.timestampNs,
    opcode: short ? 0 : readUnsigned(packet.data, 0, framing.opcode),
    bytes: packet.data,
    ...(short ? { error: `${packet.data.byteLength} bytes, fewer than a command header (${framing.headerSize})` } : {}),
  };
}

export function readTraceFile(bytes: Uint8Array, protocol: LoadedProtocol, name: string): TraceFile {
  if (PCAPNG_MAGIC.every((b, i) => bytes[i] === b)) return readCapture(bytes, protocol, name);
  if (!protocol.ring) {
    return { kind: 'snapshot', records: [], problem: `${name} is not a pcapng capture, and gpupv.json has no "protocol.ring" section to read it as a ring snapshot` };
  }
  try {
    const framing = protocol.command.framing;
    const snapshot = readRingSnapshot(bytes, protocol.ring, framing, (opcode) => protocol.command.opcodes.has(BigInt(opcode)));
    const records: TraceRecord[] = [];
    for (const r of snapshot.recovered) records.push({ seq: records.length, offset: r.position, opcode: r.opcode, bytes: r.bytes, recovered: true });
    for (const item of snapshot.pending) {
      if ('record' in item) records.push({ seq: records.length, offset: item.record.position, opcode: item.record.opcode, bytes: item.record.bytes });
      else records.push({ seq: records.length, offset: item.error.position, opcode: 0, bytes: new Uint8Array(0), error: item.error.reason });
    }
    return { kind: 'snapshot', records };
  } catch (error) {
    return { kind: 'snapshot', records: [], problem: `${name}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function readCapture(bytes: Uint8Array, protocol: LoadedProtocol, name: string): TraceFile {
  const capture = readPcapng(bytes);
  const framing = protocol.command.framing;
  const commands = capture.packets.filter((packet) => traceEventOf(packet.data, packet.comment) === undefined);
  const records = commands.map((packet, seq) => captureRecord(seq, packet, framing));
  return { kind: 'pcapng', records, ...(capture.error ? { problem: `${name}: ${capture.error.message}` } : {}) };
}
