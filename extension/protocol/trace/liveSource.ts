import { closeSync, openSync, writeSync } from 'node:fs';
import { PcapngWriter } from '../capture/pcapngWriter';
import { RingSnooper } from '../live/ringSnooper';
import type { SharedMemory } from '../live/sharedMemory';
import type { LoadedProtocol } from '../profile/loadProtocol';
import { readUnsigned } from '../ring/recordFraming';
import { WindowRecordStore } from './recordStore';
import { fenceCompletedMarker, occupancyMarker, overrunMarker } from './traceEvents';
import { RowKind, TraceIndex } from './traceIndex';
import { TraceSource } from './traceSource';

// A live ring as a trace: a shared-memory mapping (a file-backed one such as `/dev/shm/...`
// or a QEMU memory-backend-file, or a Windows named mapping) snooped read-only every
// millisecond or so. New commands join the
// index as they are seen, with the time they were seen; the newest of them are kept in
// memory (a window: a ring followed for hours must not grow without bound), and everything
// can be recorded to a pcapng capture at the same time, in-band events included.

export interface LiveOptions {
  /** Milliseconds between two looks at the ring (default 1). */
  readonly intervalMs?: number;
  /** Rows kept for viewing; older ones are dropped (default 5 M; 0 keeps none, for recording only). */
  readonly keepRows?: number;
  /** Record bytes kept for viewing (default 256 MiB). */
  readonly keepBytes?: number;
}

export type LiveEvent =
  | { readonly kind: 'overrun'; readonly lostBytes: bigint }
  | { readonly kind: 'fence'; readonly value: bigint; readonly latencyMs: number }
  | { readonly kind: 'error'; readonly message: string }
  /** The session is over: the mapping went away, or `stop()` was called. */
  | { readonly kind: 'ended'; readonly reason: string | undefined };

export interface LiveStatus {
  readonly state: 'following' | 'paused' | 'ended';
  readonly producer: bigint | undefined;
  readonly consumer: bigint | undefined;
  /** Bytes between consumer and producer at the last look. */
  readonly occupancy: number;
  readonly ringSize: number | undefined;
  /** Commands per second over the last second. */
  readonly rate: number;
  readonly commands: number;
  readonly lostBytes: bigint;
  readonly recording?: { readonly path: string; readonly bytes: number; readonly commands: number };
}

/** Occupancy is sampled for the timeline at most this often (every poll would be a thousand a second). */
const OCCUPANCY_SAMPLE_NS = 5_000_000;

export class LiveTraceSource extends TraceSource {
  private readonly snooper: RingSnooper;
  private readonly window: WindowRecordStore;
  private readonly keepRows: number;
  private readonly intervalMs: number;
  private readonly positions: PositionColumn = new PositionColumn();
  private state: LiveStatus['state'] = 'following';
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pausedAt: bigint | undefined;
  private lastOccupancy = 0;
  private lastOccupancySample = Number.NEGATIVE_INFINITY;
  private commands = 0;
  private readonly rateWindow: { time: number; commands: number }[] = [];
  private recorder: Recorder | undefined;
  private readonly eventListeners = new Set<(event: LiveEvent) => void>();

  /** Takes `memory` over; throws SnoopError when it is no ring of this protocol (it is closed then). */
  constructor(memory: SharedMemory, protocol: LoadedProtocol, options: LiveOptions = {}) {
    const window = new WindowRecordStore(options.keepBytes ?? 256 * 1024 * 1024);
    super('live', memory.name, protocol, new TraceIndex(64 * 1024), window);
    this.window = window;
    this.keepRows = options.keepRows ?? 5_000_000;
    this.intervalMs = options.intervalMs ?? 1;
    this.snooper = new RingSnooper(memory, protocol);
  }

  /** Starts looking at the ring every `intervalMs`. */
  start(): void {
    if (this.timer || this.state === 'ended') return;
    const tick = () => {
      this.timer = undefined;
      if (this.state !== 'following') return;
      this.poll();
      // The poll may have ended the session (the mapping went away).
      if (this.isFollowing()) this.timer = setTimeout(tick, this.intervalMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  onEvent(listener: (event: LiveEvent) => void): { dispose(): void } {
    this.eventListeners.add(listener);
    return { dispose: () => this.eventListeners.delete(listener) };
  }

  get status(): LiveStatus {
    const recorder = this.recorder;
    return {
      state: this.state,
      producer: this.snooper.lastProducer,
      consumer: this.snooper.lastConsumer,
      occupancy: this.lastOccupancy,
      ringSize: this.snooper.ringSize,
      rate: this.rate(),
      commands: this.commands,
      lostBytes: this.lostBytes,
      ...(recorder ? { recording: { path: recorder.path, bytes: recorder.writer.bytesWritten, commands: recorder.commands } } : {}),
    };
  }

  /** Stops capturing; commands the producer writes meanwhile are skipped (and said so) on resume. */
  pause(): void {
    if (this.state !== 'following') return;
    this.poll();
    this.state = 'paused';
    this.pausedAt = this.snooper.now();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.changed();
  }

  resume(): void {
    if (this.state !== 'paused') return;
    const skipped = this.snooper.skipToProducer();
    const now = this.snooper.now();
    const seconds = Number(now - (this.pausedAt ?? now)) / 1e9;
    this.index.pushNote(RowKind.overrun, this.window.append(new Uint8Array(0)), 0, this.index.relativeTime(now), `capture paused for ${seconds.toFixed(1)} s: ${skipped} bytes written meanwhile were not captured`);
    this.positions.push(0);
    this.state = 'following';
    this.changed();
    this.start();
  }

  /** Records everything seen from now on to a pcapng capture at `path`, until `stopRecording()`. */
  startRecording(path: string): void {
    this.stopRecording();
    const fd = openSync(path, 'w');
    const writer = new PcapngWriter((chunk) => writeSync(fd, chunk), { interfaceName: this.name, description: 'GPU-PV command ring', application: 'GPU-PV Dev Kit', profileHash: this.protocol.profileHash });
    this.recorder = { path, fd, writer, commands: 0 };
    this.changed();
  }

  /** Closes the recording (it stays on disk); returns its path. */
  stopRecording(): string | undefined {
    const recorder = this.recorder;
    if (!recorder) return undefined;
    this.recorder = undefined;
    try {
      recorder.writer.close();
    } finally {
      closeSync(recorder.fd);
    }
    this.changed();
    return recorder.path;
  }

  /** Ends the session: the recording is closed and kept, the mapping is let go. */
  stop(reason?: string): void {
    if (this.state === 'ended') return;
    if (this.state === 'following') this.poll();
    this.end(reason);
  }

  override close(): void {
    this.stop();
    super.close();
  }

  ringOffsetOf(seq: number): number | bigint {
    const position = this.positions.at(seq - this.index.firstSeq);
    const ringSize = this.snooper.ringSize;
    return position === undefined || !ringSize ? seq : position % ringSize;
  }

  /** One look at the ring; public so tests and the CLI can drive it without timers. */
  poll(): void {
    if (this.state === 'ended') return;
    const index = this.index;
    const recorder = this.recorder;
    const fence = this.protocol.fence;
    const fenceOpcode = fence ? Number(fence.opcode.value) : -1;
    let time = 0;
    let seenNs = -1n;
    let seen = 0;
    // The poll's new bytes go into the window in one copy, the first time a command of it comes.
    let copied: Uint8Array | undefined;
    let base = 0;
    const events = this.snooper.pollCommands((pending, at, size, position, _ringOffset, timeNs, opcode) => {
      if (pending !== copied) {
        copied = pending;
        base = this.window.append(pending);
      }
      if (timeNs !== seenNs) {
        seenNs = timeNs;
        time = index.relativeTime(timeNs);
      }
      const seq = index.pushCommand(base + at, size, opcode, time);
      this.positions.push(position);
      if (opcode === fenceOpcode && size >= fence!.value.offset + fence!.value.size) index.addFence(seq, BigInt(readUnsigned(pending, at, fence!.value)));
      if (recorder) {
        recorder.writer.writePacket({ timestampNs: timeNs, data: pending.subarray(at, at + size), ringOffset: position });
        recorder.commands++;
      }
      seen++;
    });
    this.commands += seen;
    for (const event of events) {
      if (event.kind === 'occupancy') {
        const at = index.relativeTime(event.timeNs);
        this.lastOccupancy = event.bytes;
        if (at - this.lastOccupancySample >= OCCUPANCY_SAMPLE_NS) {
          this.lastOccupancySample = at;
          index.addOccupancy(at, event.bytes);
          recorder?.writer.writePacket({ timestampNs: event.timeNs, data: EMPTY, comment: occupancyMarker(event.bytes) });
        }
      } else if (event.kind === 'overrun') {
        this.lostBytes += event.lostBytes;
        index.pushNote(RowKind.overrun, this.window.append(EMPTY), 0, index.relativeTime(event.timeNs), `overrun: ${event.lostBytes} bytes the producer overwrote before they were read are lost`);
        this.positions.push(0);
        recorder?.writer.writePacket({ timestampNs: event.timeNs, data: EMPTY, comment: overrunMarker(event.lostBytes) });
        this.emit({ kind: 'overrun', lostBytes: event.lostBytes });
      } else if (event.kind === 'fence') {
        index.completeFences(event.value, index.relativeTime(event.completedNs));
        recorder?.writer.writePacket({ timestampNs: event.completedNs, data: EMPTY, comment: fenceCompletedMarker(event.value) });
        this.emit({ kind: 'fence', value: event.value, latencyMs: Number(event.completedNs - event.seenNs) / 1e6 });
      } else if (event.kind === 'error') {
        this.emit({ kind: 'error', message: event.message });
        if (this.snooper.closed) {
          this.end(event.message);
          return;
        }
      }
    }
    this.countRate(seen);
    this.keepWindow();
    if (seen > 0 || events.length > 1) this.changed();
  }

  private isFollowing(): boolean {
    return this.state === 'following';
  }

  private end(reason: string | undefined): void {
    this.state = 'ended';
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stopRecording();
    this.snooper.close();
    this.problem = reason;
    this.complete = true;
    this.emit({ kind: 'ended', reason });
    this.changed();
  }

  private emit(event: LiveEvent): void {
    for (const listener of [...this.eventListeners]) listener(event);
  }

  /** Drops the oldest rows once the window holds more than it may. */
  private keepWindow(): void {
    const index = this.index;
    if (index.count <= this.keepRows && this.window.heldBytes <= this.window.limitBytes) return;
    // Drop a quarter at a time, so dropping (which moves the arrays) happens rarely.
    const keep = Math.floor(Math.min(this.keepRows, index.count) * 0.75);
    let first = index.count - keep;
    while (first < index.count && index.offsets[index.count - 1]! - index.offsets[first]! > this.window.limitBytes * 0.75) first++;
    this.positions.dropFront(first);
    index.dropBefore(index.firstSeq + first);
    this.window.releaseBefore(index.count > 0 ? index.offsets[0]! : Number.POSITIVE_INFINITY);
  }

  private countRate(seen: number): void {
    const now = performance.now();
    this.rateWindow.push({ time: now, commands: seen });
    while (this.rateWindow.length > 1 && now - this.rateWindow[0]!.time > 1000) this.rateWindow.shift();
  }

  private rate(): number {
    const window = this.rateWindow;
    if (window.length < 2) return 0;
    const span = window.at(-1)!.time - window[0]!.time;
    const commands = window.slice(1).reduce((n, w) => n + w.commands, 0);
    return span > 0 ? (commands * 1000) / span : 0;
  }
}

const EMPTY = new Uint8Array(0);

interface Recorder {
  readonly path: string;
  readonly fd: number;
  readonly writer: PcapngWriter;
  commands: number;
}

/** Ring positions of the rows held, dropped from the front with them. */
class PositionColumn {
  private values = new Float64Array(64 * 1024);
  private count = 0;

  push(position: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = position;
  }

  at(row: number): number | undefined {
    return row >= 0 && row < this.count ? this.values[row] : undefined;
  }

  dropFront(rows: number): void {
    this.values.copyWithin(0, rows, this.count);
    this.count = Math.max(0, this.count - rows);
  }
}
