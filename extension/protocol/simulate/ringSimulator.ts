import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import type { LoadedProtocol } from '../profile/loadProtocol';
import { writeUnsigned, type IntegerField } from '../ring/recordFraming';
import { writeRecord, type RingTarget } from '../ring/ringWriter';
import { CommandStream, type StreamPattern } from './commandStream';
import { CommandSynthesizer } from './commandSynthesizer';
import { chooseGeometry, initialControlRegion, type RingGeometry } from '../ring/ringGeometry';

// Plays guest driver and host backend at once on a shared-memory file: writes a command
// stream into the ring at a given rate (waiting when the ring is full, as a driver must),
// consumes it a little later, and completes each fence after a latency. Any protocol with
// a command and ring profile will do (with fences when the profile has a fence command);
// this is what the demo, the tests and the benchmarks drive.

export interface SimulatorOptions {
  readonly file: string;
  readonly protocol: LoadedProtocol;
  /** Commands per second. */
  readonly rate: number;
  readonly pattern: StreamPattern;
  readonly ringSize?: number;
  readonly consumerLagMs?: number;
  readonly fenceLatencyMs?: number;
  readonly seed?: number;
  /** Keep the time each batch was published (for latency benchmarks). */
  readonly recordPublishTimes?: boolean;
}

/** A batch the producer pointer published: where the pointer stood after it, how many commands had been written, when (epoch ms). */
export interface PublishedBatch {
  readonly producer: bigint;
  readonly commands: number;
  readonly atMs: number;
}

export interface SimulatorStats {
  commands: number;
  bytes: number;
  fences: number;
  /** Times the producer waited for the consumer to free space. */
  fullStalls: number;
}

/** One published batch: the host consumes batches whole, as a backend reads up to the producer. */
interface Pending {
  readonly end: bigint;
  readonly at: number;
  readonly fences: readonly bigint[];
}

export class RingSimulator {
  readonly stats: SimulatorStats = { commands: 0, bytes: 0, fences: 0, fullStalls: 0 };
  readonly geometry: RingGeometry;
  private readonly fd: number;
  private readonly stream: CommandStream;
  private producer = 0n;
  private consumer = 0n;
  private pending: Pending[] = [];
  private pendingHead = 0;
  /** When each batch was published; kept only when asked (benchmarks). */
  readonly publishLog: PublishedBatch[] | undefined;
  private readonly fencesToComplete: { value: bigint; at: number }[] = [];
  private readonly producerField: IntegerField;
  private readonly consumerField: IntegerField;
  private readonly scratch = new Uint8Array(8);
  private readonly ring: RingTarget;
  private held: ReturnType<CommandStream['next']> | undefined;

  constructor(private readonly options: SimulatorOptions) {
    const ring = options.protocol.ring;
    if (!ring) throw new Error('the profile has no "protocol.ring" section, so there is no ring to simulate');
    this.geometry = chooseGeometry(ring, options.ringSize ?? 1 << 20);
    this.producerField = ring.producer;
    this.consumerField = ring.consumer;
    const synthesizer = new CommandSynthesizer(options.protocol.analysis.layoutEngine, options.protocol.command, options.seed ?? 1);
    this.stream = new CommandStream(synthesizer, options.protocol.command, options.pattern, options.protocol.fence);
    if (options.recordPublishTimes) this.publishLog = [];
    this.fd = openSync(options.file, 'w+');
    ftruncateSync(this.fd, this.geometry.ringOffset + this.geometry.ringSize);
    const control = initialControlRegion(ring, this.geometry);
    writeSync(this.fd, control, 0, control.length, 0);
    const { ringOffset, ringSize } = this.geometry;
    this.ring = { size: ringSize, write: (offset, bytes) => writeSync(this.fd, bytes, 0, bytes.length, ringOffset + offset) };
  }

  /** Runs for `durationMs` (or until `signal` aborts), then closes the file. */
  async run(durationMs: number, signal?: AbortSignal): Promise<SimulatorStats> {
    const start = performance.now();
    try {
      while (!signal?.aborted) {
        const now = performance.now();
        if (now - start >= durationMs) break;
        this.produce(Math.floor(((now - start) / 1000) * this.options.rate) - this.stats.commands);
        this.consume(now);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      // Let the host side finish: everything consumed, every fence completed.
      this.consume(Number.POSITIVE_INFINITY);
      return this.stats;
    } finally {
      closeSync(this.fd);
    }
  }

  private produce(count: number): void {
    const { ringSize } = this.geometry;
    const batch: Uint8Array[] = [];
    const fences: bigint[] = [];
    let batchBytes = 0;
    const usedBefore = Number(this.producer - this.consumer);
    for (let i = 0; i < count; i++) {
      const command = this.held ?? this.stream.next();
      if (usedBefore + batchBytes + command.bytes.length > ringSize) {
        // A real driver waits for space: the same command goes first on the next tick.
        this.held = command;
        this.stats.fullStalls++;
        break;
      }
      this.held = undefined;
      batch.push(command.bytes);
      batchBytes += command.bytes.length;
      this.stats.commands++;
      this.stats.bytes += command.bytes.length;
      if (command.fenceValue !== undefined) {
        fences.push(command.fenceValue);
        this.stats.fences++;
      }
    }
    if (batchBytes === 0) return;
    const data = new Uint8Array(batchBytes);
    let at = 0;
    for (const bytes of batch) {
      data.set(bytes, at);
      at += bytes.length;
    }
    this.producer = writeRecord(this.ring, this.producer, data);
    // Publish after the data, as a driver does (the snooper reads the pointer first).
    this.writePointer(this.producerField, this.producer);
    const now = performance.now();
    this.publishLog?.push({ producer: this.producer, commands: this.stats.commands, atMs: performance.timeOrigin + now });
    this.pending.push({ end: this.producer, at: now, fences });
  }

  private consume(now: number): void {
    const lag = this.options.consumerLagMs ?? 1;
    let moved = false;
    while (this.pendingHead < this.pending.length && this.pending[this.pendingHead]!.at <= now - lag) {
      const done = this.pending[this.pendingHead++]!;
      this.consumer = done.end;
      moved = true;
      const completeAt = (Number.isFinite(now) ? now : performance.now()) + (this.options.fenceLatencyMs ?? 2);
      for (const value of done.fences) this.fencesToComplete.push({ value, at: completeAt });
    }
    if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
    if (moved) this.writePointer(this.consumerField, this.consumer);
    const completedField = this.options.protocol.ring?.completedFence;
    let completed: bigint | undefined;
    let taken = 0;
    while (taken < this.fencesToComplete.length && (this.fencesToComplete[taken]!.at <= now || !Number.isFinite(now))) completed = this.fencesToComplete[taken++]!.value;
    if (taken) this.fencesToComplete.splice(0, taken);
    if (completed !== undefined && completedField) this.writePointer(completedField, completed);
  }

  private writePointer(field: IntegerField, value: bigint): void {
    writeUnsigned(this.scratch, 0, { ...field, offset: 0 }, value);
    writeSync(this.fd, this.scratch, 0, field.size, field.offset);
  }
}
