import { CommandDecoder } from '../decode/commandDecoder';
import type { DecodedObject } from '../decode/decoderCompiler';
import type { LoadedProtocol } from '../profile/loadProtocol';
import { readUnsigned } from '../ring/recordFraming';
import { readGeometry } from '../ring/ringGeometry';
import { magicMismatch } from '../ring/ringMagic';
import { readRingSnapshot, SnapshotError } from '../ring/ringSnapshot';
import { FileRecordStore, MemoryRecordStore } from './recordStore';
import { RECOVERED_FLAG, RowKind, TraceIndex } from './traceIndex';
import { TraceSource } from './traceSource';

// A raw image of the shared memory, dumped after a hang, as a trace: the commands the host
// had not consumed yet (consumer to producer), after the older ones recovered from before
// the consumer, with the control region decoded. Only the control region and the ring are
// read, never the rest of the mapping (a resource heap can be hundreds of megabytes).

/** A ring larger than this is not a ring a driver made; refuse it rather than exhaust memory. */
const MAX_RING_BYTES = 512 * 1024 * 1024;

export interface SnapshotInfo {
  readonly producer: bigint;
  readonly consumer: bigint;
  readonly ringOffset: number;
  readonly ringSize: number;
  readonly completedFence?: bigint;
  /** The control region's struct, every field decoded, with labels where the header gives meanings. */
  readonly control: { readonly name: string; readonly fields: DecodedObject; readonly labels: Readonly<Record<string, string>> };
  readonly pending: number;
  readonly recovered: number;
}

export class SnapshotTraceSource extends TraceSource {
  private constructor(
    path: string,
    protocol: LoadedProtocol,
    index: TraceIndex,
    records: Uint8Array,
    private readonly positions: readonly bigint[],
    /** Undefined when the image could not be read as a ring (then `problem` says why). */
    readonly snapshot: SnapshotInfo | undefined,
    problem: string | undefined,
  ) {
    super('snapshot', path, protocol, index, new MemoryRecordStore(records));
    this.problem = problem;
    this.complete = true;
  }

  /** Reads the snapshot at `path`; a file that is no snapshot gives an empty trace whose `problem` says why. */
  static open(path: string, protocol: LoadedProtocol): SnapshotTraceSource {
    const file = new FileRecordStore(path);
    const index = new TraceIndex();
    const positions: bigint[] = [];
    try {
      const image = readImage(file, protocol);
      const ring = protocol.ring!;
      const parsed = readRingSnapshot(image, ring, protocol.command.framing, (opcode) => protocol.command.opcodes.has(BigInt(opcode)));
      const length = parsed.recovered.reduce((n, r) => n + r.size, 0) + parsed.pending.reduce((n, item) => n + ('record' in item ? item.record.size : 0), 0);
      const records = new Uint8Array(length);
      let at = 0;
      const fence = protocol.fence;
      const push = (bytes: Uint8Array, position: bigint, opcode: number | bigint, flags: number) => {
        records.set(bytes, at);
        const seq = index.pushCommand(at, bytes.length, Number(opcode), 0, flags);
        positions.push(position);
        at += bytes.length;
        if (BigInt(opcode) === fence?.opcode.value && bytes.length >= fence.value.offset + fence.value.size) index.addFence(seq, BigInt(readUnsigned(bytes, 0, fence.value)));
      };
      for (const r of parsed.recovered) push(r.bytes, r.position, r.opcode, RECOVERED_FLAG);
      for (const item of parsed.pending) {
        if ('record' in item) push(item.record.bytes, item.record.position, item.record.opcode, 0);
        else {
          index.pushNote(RowKind.error, at, 0, 0, `at ring position ${item.error.position}: ${item.error.reason}`);
          positions.push(item.error.position);
        }
      }
      const completedFence = parsed.completedFence === undefined ? undefined : BigInt(parsed.completedFence);
      // The host reported these fences done; when, the image cannot say.
      if (completedFence !== undefined) index.completeFences(completedFence, Number.NaN);
      const control = new CommandDecoder(protocol.analysis, protocol.command).decodeStruct(ring.control, image);
      const snapshot: SnapshotInfo = {
        producer: parsed.producer,
        consumer: parsed.consumer,
        ringOffset: parsed.ringOffset,
        ringSize: parsed.ringSize,
        ...(completedFence !== undefined ? { completedFence } : {}),
        control: { name: ring.control.name, fields: control.fields, labels: control.labels },
        pending: parsed.pending.length,
        recovered: parsed.recovered.length,
      };
      return new SnapshotTraceSource(path, protocol, index, records, positions, snapshot, undefined);
    } catch (error) {
      if (!(error instanceof SnapshotError)) throw error;
      return new SnapshotTraceSource(path, protocol, new TraceIndex(1), new Uint8Array(0), [], undefined, `${path}: ${error.message}`);
    } finally {
      file.close();
    }
  }

  ringOffsetOf(seq: number): number | bigint {
    const position = this.positions[seq - this.index.firstSeq];
    if (position === undefined) return seq;
    return position <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(position) : position;
  }
}

/** The control region and the ring, read from the file; SnapshotError when the image cannot hold them. */
function readImage(file: FileRecordStore, protocol: LoadedProtocol): Uint8Array {
  const ring = protocol.ring;
  if (!ring) throw new SnapshotError('this is not a pcapng capture, and gpupv.json has no "protocol.ring" section to read it as a ring snapshot');
  const size = file.size;
  if (size < ring.control.size) throw new SnapshotError(`the image is ${size} bytes, smaller than the control region ${ring.control.name} (${ring.control.size} bytes)`);
  const control = file.read(0, ring.control.size).slice();
  const notThisProtocol = magicMismatch(ring, control);
  if (notThisProtocol) throw new SnapshotError(notThisProtocol);
  const geometry = readGeometry(ring, control);
  if (!Number.isSafeInteger(geometry.ringSize) || geometry.ringSize > MAX_RING_BYTES) {
    throw new SnapshotError(`the control region gives a ring of ${geometry.ringSize} bytes, more than the ${MAX_RING_BYTES / 2 ** 20} MiB a driver's ring can plausibly be: is this a ring snapshot?`);
  }
  const length = Math.min(size, geometry.ringOffset + geometry.ringSize);
  if (!Number.isSafeInteger(length) || length < 0) throw new SnapshotError(`the control region gives an impossible ring at offset ${geometry.ringOffset}`);
  return file.read(0, length).slice();
}
