import type { LoadedProtocol } from '../profile/loadProtocol';
import { readUnsigned } from '../ring/recordFraming';
import { readGeometry, type RingGeometry } from '../ring/ringGeometry';
import { magicMismatch } from '../ring/ringMagic';

/** A command of a poll: `pending[at, at + size)`, at `position` in the ring's byte stream (`ringOffset` in the ring). */
export type CommandSink = (pending: Uint8Array, at: number, size: number, position: number, ringOffset: number, timeNs: bigint, opcode: number) => void;
import type { SharedMemory } from './sharedMemory';

// Watches a live ring in shared memory (a file-backed mapping or a Windows named one),
// read-only: every poll reads the control region, then the bytes the producer added since
// the last poll, and reports each new command with the time it was seen. Fences are timed
// from when their command was seen to when the host's completed-fence value reached them.
// A producer that moved more than the ring holds since the last poll has overwritten
// commands nobody saw: that is reported as an overrun with the bytes lost, and reading
// resumes at the consumer. A control region whose magic is not the profile's is no ring of
// this protocol: the snooper refuses it, and stops if it changes while followed.

export type SnoopEvent =
  | { readonly kind: 'command'; readonly timeNs: bigint; readonly position: bigint; readonly ringOffset: number; readonly opcode: number | bigint; readonly bytes: Uint8Array }
  | { readonly kind: 'overrun'; readonly timeNs: bigint; readonly lostBytes: bigint }
  | { readonly kind: 'fence'; readonly value: bigint; readonly seenNs: bigint; readonly completedNs: bigint }
  | { readonly kind: 'occupancy'; readonly timeNs: bigint; readonly bytes: number }
  | { readonly kind: 'error'; readonly timeNs: bigint; readonly message: string };

export class SnoopError extends Error {}

export class RingSnooper {
  private readonly control: Uint8Array;
  private geometry: RingGeometry | undefined;
  private lastSeen: bigint | undefined;
  private readonly fencesSeen: { value: bigint; seenNs: bigint }[] = [];
  private readonly clockOffset = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  private buffer = new Uint8Array(0);
  private isClosed = false;
  /** The pointers at the last look. */
  lastProducer: bigint | undefined;
  lastConsumer: bigint | undefined;

  private readonly fenceOpcode: number | undefined;

  /**
   * Takes `memory` over (closing it when done, or at once when it is no ring of this protocol).
   * Throws SnoopError for a profile without a ring, a mapping smaller than the control region,
   * or a control region whose magic is not the profile's.
   */
  constructor(
    private readonly memory: SharedMemory,
    private readonly protocol: LoadedProtocol,
  ) {
    this.fenceOpcode = protocol.fence ? Number(protocol.fence.opcode.value) : undefined;
    const ring = protocol.ring;
    this.control = new Uint8Array(ring?.control.size ?? 0);
    const refusal = !ring ? 'the profile has no "protocol.ring" section: gpupv cannot find the ring in the mapping' : this.notThisRing();
    if (refusal) {
      memory.close();
      throw new SnoopError(refusal);
    }
  }

  /** Why the mapping, as it is now, cannot be this protocol's ring. */
  private notThisRing(): string | undefined {
    const size = this.memory.size();
    if (size < this.control.length) return `${this.memory.name} is ${size} bytes, smaller than the control region ${this.protocol.ring!.control.name} (${this.control.length} bytes): is it the ring's shared memory?`;
    this.memory.read(this.control, 0);
    const mismatch = magicMismatch(this.protocol.ring!, this.control);
    return mismatch && `${this.memory.name}: ${mismatch}`;
  }

  /** The mapping was closed: by `close()`, or because it shrank or went away. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** The ring's size in bytes, once the control region has been read. */
  get ringSize(): number | undefined {
    return this.geometry?.ringSize;
  }

  /** Nanoseconds since the epoch, from the monotonic clock. */
  now(): bigint {
    return process.hrtime.bigint() + this.clockOffset;
  }

  /** One look at the ring: the events since the previous poll. Never throws on a bad mapping; reports it. */
  poll(): SnoopEvent[] {
    const commands: SnoopEvent[] = [];
    const others = this.pollCommands((pending, at, size, position, ringOffset, timeNs, opcode) => {
      commands.push({ kind: 'command', timeNs, position: BigInt(position), ringOffset, opcode, bytes: pending.slice(at, at + size) });
    });
    // Commands first, in ring order; then what the poll saw of fences and occupancy.
    const occupancy = others.filter((e) => e.kind === 'occupancy');
    return [...occupancy, ...others.filter((e) => e.kind === 'overrun' || e.kind === 'error'), ...commands, ...others.filter((e) => e.kind === 'fence')];
  }

  /**
   * The fast form of `poll` for high rates: each new command goes to `sink` as a place in
   * `pending`, the poll's linear copy of the new bytes (valid until the next poll: copy what is
   * kept), so nothing is allocated per command; only the other events are returned.
   */
  pollCommands(sink: CommandSink): SnoopEvent[] {
    const timeNs = this.now();
    const ring = this.protocol.ring!;
    const events: SnoopEvent[] = [];
    if (this.isClosed) return events;
    const size = this.memory.size();
    if (size < this.control.length) return [this.fail(timeNs, `${this.memory.name} is ${size} bytes now, smaller than the control region: the mapping shrank or went away`)];
    this.memory.read(this.control, 0);
    const mismatch = magicMismatch(ring, this.control);
    if (mismatch) return [this.fail(timeNs, `${this.memory.name}: ${mismatch}`)];
    const geometry = (this.geometry ??= readGeometry(ring, this.control));
    if (geometry.ringOffset + geometry.ringSize > size) return [this.fail(timeNs, `${this.memory.name} is ${size} bytes, but the ring ends at byte ${geometry.ringOffset + geometry.ringSize}: the mapping shrank`)];
    const producer = BigInt(readUnsigned(this.control, 0, ring.producer));
    const consumer = BigInt(readUnsigned(this.control, 0, ring.consumer));
    this.lastProducer = producer;
    this.lastConsumer = consumer;
    events.push({ kind: 'occupancy', timeNs, bytes: Number(producer - consumer) });
    this.lastSeen ??= consumer;
    let from = this.lastSeen;
    if (producer - from > BigInt(geometry.ringSize) || producer < from) {
      // Everything between what we saw last and the consumer is skipped: it may be overwritten.
      events.push({ kind: 'overrun', timeNs, lostBytes: consumer > from ? consumer - from : 0n });
      from = consumer;
    }
    if (producer > from) {
      const bytes = this.readRing(geometry, from, producer);
      // The producer may have lapped what was just read; re-read its pointer to find out.
      this.memory.read(this.control, 0);
      const producerAfter = BigInt(readUnsigned(this.control, 0, ring.producer));
      if (producerAfter - from > BigInt(geometry.ringSize)) {
        events.push({ kind: 'overrun', timeNs, lostBytes: producerAfter - from - BigInt(geometry.ringSize) });
        this.lastSeen = BigInt(readUnsigned(this.control, 0, ring.consumer));
        return events;
      }
      const problem = this.scan(bytes, Number(from), geometry.ringSize, timeNs, sink);
      if (problem) events.push({ kind: 'error', timeNs, message: problem });
      this.lastSeen = producer;
    }
    if (ring.completedFence) {
      const completed = BigInt(readUnsigned(this.control, 0, ring.completedFence));
      while (this.fencesSeen.length > 0 && this.fencesSeen[0]!.value <= completed) {
        const fence = this.fencesSeen.shift()!;
        events.push({ kind: 'fence', value: fence.value, seenNs: fence.seenNs, completedNs: timeNs });
      }
    }
    return events;
  }

  /**
   * Forgets what the producer wrote while nobody looked (a capture the user paused): the next
   * poll starts at the producer. Returns the bytes skipped.
   */
  skipToProducer(): bigint {
    if (this.isClosed || this.memory.size() < this.control.length) return 0n;
    this.memory.read(this.control, 0);
    const producer = BigInt(readUnsigned(this.control, 0, this.protocol.ring!.producer));
    const skipped = this.lastSeen === undefined ? 0n : producer - this.lastSeen;
    this.lastSeen = producer;
    return skipped > 0n ? skipped : 0n;
  }

  /** Walks the linear copy of the new bytes; returns why it had to stop early, if it did. */
  private scan(bytes: Uint8Array, from: number, ringSize: number, timeNs: bigint, sink: CommandSink): string | undefined {
    const framing = this.protocol.command.framing;
    const sizeField = framing.size;
    if (!sizeField) return 'records of this protocol have no size field, so a live ring cannot be walked';
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const fast = sizeField.size === 4 && sizeField.byteOrder === 'little' && framing.opcode.size === 4 && framing.opcode.byteOrder === 'little';
    for (let at = 0; at < bytes.length; ) {
      const remaining = bytes.length - at;
      if (remaining < framing.headerSize) return `at ring position ${from + at}: ${remaining} bytes before the producer, fewer than a command header`;
      const raw = fast ? view.getUint32(at + sizeField.offset, true) : Number(readUnsigned(bytes, at, sizeField));
      const size = raw + (sizeField.includesHeader ? 0 : framing.headerSize);
      if (size < framing.headerSize || size > remaining) return `at ring position ${from + at}: size ${size} is impossible with ${remaining} bytes before the producer`;
      const opcode = fast ? view.getUint32(at + framing.opcode.offset, true) : Number(readUnsigned(bytes, at, framing.opcode));
      sink(bytes, at, size, from + at, (from + at) % ringSize, timeNs, opcode);
      if (opcode === this.fenceOpcode && size >= this.protocol.fence!.value.offset + this.protocol.fence!.value.size) {
        this.fencesSeen.push({ value: BigInt(readUnsigned(bytes, at, this.protocol.fence!.value)), seenNs: timeNs });
      }
      at += framing.alignment <= 1 ? size : Math.ceil(size / framing.alignment) * framing.alignment;
    }
    return undefined;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.memory.close();
  }

  /** The pending bytes [from, to) as one buffer, unwrapped; a view the next poll reuses. */
  private readRing(geometry: RingGeometry, from: bigint, to: bigint): Uint8Array {
    const length = Number(to - from);
    if (this.buffer.length < length) this.buffer = new Uint8Array(Math.max(length, this.buffer.length * 2));
    const view = this.buffer.subarray(0, length);
    const offset = Number(from % BigInt(geometry.ringSize));
    const first = Math.min(length, geometry.ringSize - offset);
    this.memory.read(view.subarray(0, first), geometry.ringOffset + offset);
    if (first < length) this.memory.read(view.subarray(first), geometry.ringOffset);
    return view;
  }

  private fail(timeNs: bigint, message: string): SnoopEvent {
    this.close();
    return { kind: 'error', timeNs, message };
  }
}
