import type { RingProfile } from '../profile/ringProfile';
import { readUnsigned, type RecordFraming } from '../ring/recordFraming';
import { readGeometry } from '../ring/ringGeometry';
import { magicMismatch } from '../ring/ringMagic';
import { pendingBytes, walkRing } from '../ring/ringWalker';
import { locationName, type SharedMemory, type SharedMemoryLocation } from './sharedMemory';

// A glance at a live ring for a list of rings: producer, consumer, how full it is and how
// fast the producer moves. One glance reads the control region and, to learn how large
// records are, a few record headers at a record boundary (never the whole ring); the rate
// comes from two glances, as bytes/s, and as commands/s once record sizes have been seen.

export interface RingGlance {
  readonly producer: bigint;
  readonly consumer: bigint;
  readonly ringSize: number;
  /** Bytes between consumer and producer; undefined when the pointers are impossible (then `problem` says why). */
  readonly occupancy: number | undefined;
  readonly problem?: string;
  /** From the producer's movement since the previous glance; undefined at the first. */
  readonly rate?: RingRate;
}

export interface RingRate {
  readonly perSecond: number;
  /** Commands when the average record size is known, else bytes. */
  readonly unit: 'commands' | 'bytes';
  /** How the number was found, in words. */
  readonly basis: string;
}

export type RingStatus = { readonly kind: 'readable'; readonly glance: RingGlance } | { readonly kind: 'unreadable'; readonly reason: string };

/** Headers read at most per glance to learn record sizes. */
const SAMPLE_RECORDS = 256;
const SAMPLE_BYTES = 16 * 1024;

interface Previous {
  readonly producer: bigint;
  readonly timeMs: number;
}

/** Glances at rings over time, remembering per ring what the rate and record sizes need. */
export class RingGlancer {
  private readonly previous = new Map<string, Previous>();
  private readonly recordSizes = new Map<string, { records: number; bytes: number }>();

  constructor(
    private readonly ring: RingProfile,
    private readonly framing: RecordFraming,
    private readonly open: (location: SharedMemoryLocation) => SharedMemory,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Opens the mapping, looks, lets it go: a file re-created under the same path is seen at once. */
  glance(location: SharedMemoryLocation): RingStatus {
    const key = locationName(location);
    let memory: SharedMemory;
    try {
      memory = this.open(location);
    } catch (error) {
      this.forget(key);
      return { kind: 'unreadable', reason: error instanceof Error ? error.message : String(error) };
    }
    try {
      const status = this.read(key, memory);
      if (status.kind === 'unreadable') this.forget(key);
      return status;
    } finally {
      memory.close();
    }
  }

  /** Drops what is remembered of rings no longer listed. */
  keepOnly(locations: readonly SharedMemoryLocation[]): void {
    const kept = new Set(locations.map(locationName));
    for (const key of [...this.previous.keys(), ...this.recordSizes.keys()]) if (!kept.has(key)) this.forget(key);
  }

  private forget(key: string): void {
    this.previous.delete(key);
    this.recordSizes.delete(key);
  }

  private read(key: string, memory: SharedMemory): RingStatus {
    const ring = this.ring;
    const size = memory.size();
    if (size < ring.control.size) return { kind: 'unreadable', reason: `${memory.name} is ${size} bytes, smaller than the control region ${ring.control.name} (${ring.control.size} bytes)` };
    const control = new Uint8Array(ring.control.size);
    memory.read(control, 0);
    const mismatch = magicMismatch(ring, control);
    if (mismatch) return { kind: 'unreadable', reason: mismatch };
    const { ringOffset, ringSize } = readGeometry(ring, control);
    if (ringSize <= 0 || ringOffset < ring.control.size || ringOffset + ringSize > size) {
      return { kind: 'unreadable', reason: `the control region gives a ring of ${ringSize} bytes at offset ${ringOffset}, which does not fit the ${size}-byte mapping (is it initialised?)` };
    }
    const timeMs = this.now();
    const producer = BigInt(readUnsigned(control, 0, ring.producer));
    const consumer = BigInt(readUnsigned(control, 0, ring.consumer));
    const pending = pendingBytes(consumer, producer, ringSize, ring.pointers);
    const previous = this.previous.get(key);
    this.previous.set(key, { producer, timeMs });
    const moved = previous && this.movement(previous.producer, producer, ringSize);
    // Fresh records start where the producer was; pending ones at the consumer. Both are record boundaries.
    const sampleFrom = moved ? previous.producer : consumer;
    const sampleBytes = moved ? Number(moved) : typeof pending === 'bigint' ? Number(pending) : 0;
    if (sampleBytes > 0 && sampleBytes <= ringSize) this.sampleRecordSizes(key, memory, ringOffset, ringSize, sampleFrom, sampleBytes);
    const rate = previous && moved !== undefined && timeMs > previous.timeMs ? this.rate(key, Number(moved), timeMs - previous.timeMs) : undefined;
    return {
      kind: 'readable',
      glance: {
        producer,
        consumer,
        ringSize,
        occupancy: typeof pending === 'bigint' ? Number(pending) : undefined,
        ...(typeof pending === 'string' ? { problem: pending } : {}),
        ...(rate ? { rate } : {}),
      },
    };
  }

  /** Bytes the producer wrote between two glances; undefined when it went back (the ring was reset). */
  private movement(before: bigint, after: bigint, ringSize: number): bigint | undefined {
    if (this.ring.pointers === 'monotonic') return after >= before ? after - before : undefined;
    // Wrapped pointers cannot tell a lap; assume less than one.
    return (after - before + BigInt(ringSize)) % BigInt(ringSize);
  }

  private sampleRecordSizes(key: string, memory: SharedMemory, ringOffset: number, ringSize: number, from: bigint, span: number): void {
    if (!this.framing.size) return;
    const length = Math.min(span, SAMPLE_BYTES);
    const chunk = new Uint8Array(length);
    const start = Number(from % BigInt(ringSize));
    const first = Math.min(length, ringSize - start);
    memory.read(chunk.subarray(0, first), ringOffset + start);
    if (first < length) memory.read(chunk.subarray(first), ringOffset);
    // The chunk, unwrapped, walked as a ring of its own length: a record cut off at its end stops the walk.
    let records = 0;
    let bytes = 0;
    for (const item of walkRing(chunk, 0n, BigInt(length), this.framing, { pointers: 'monotonic', onError: 'stop' })) {
      if (!('record' in item) || records === SAMPLE_RECORDS) break;
      records++;
      bytes += item.record.size;
    }
    if (records === 0) return;
    const seen = this.recordSizes.get(key) ?? { records: 0, bytes: 0 };
    this.recordSizes.set(key, { records: seen.records + records, bytes: seen.bytes + bytes });
  }

  private rate(key: string, movedBytes: number, elapsedMs: number): RingRate {
    const bytesPerSecond = (movedBytes * 1000) / elapsedMs;
    const seen = this.recordSizes.get(key);
    if (!seen) return { perSecond: bytesPerSecond, unit: 'bytes', basis: `the producer's movement over ${(elapsedMs / 1000).toFixed(1)} s; no record has been seen yet to tell bytes from commands` };
    const average = seen.bytes / seen.records;
    return {
      perSecond: bytesPerSecond / average,
      unit: 'commands',
      basis: `the producer's movement (${formatRate(bytesPerSecond, 'bytes')} over ${(elapsedMs / 1000).toFixed(1)} s) divided by the average record size seen, ${average.toFixed(1)} bytes over ${seen.records} records`,
    };
  }
}

/** `P 1,234,560 · C 1,234,000 · 3% full · 1.2 M cmd/s`, the line a list of rings shows. */
export function describeGlance(glance: RingGlance): string {
  const parts = [`P ${glance.producer.toLocaleString('en-US')}`, `C ${glance.consumer.toLocaleString('en-US')}`];
  if (glance.occupancy === undefined) parts.push(glance.problem?.includes('overrun') ? 'overrun' : 'pointers impossible');
  else parts.push(`${percentFull(glance.occupancy, glance.ringSize)} full`);
  if (glance.rate) parts.push(formatRate(glance.rate.perSecond, glance.rate.unit));
  return parts.join(' · ');
}

function percentFull(occupancy: number, ringSize: number): string {
  const percent = (occupancy * 100) / ringSize;
  return occupancy > 0 && percent < 1 ? '<1%' : `${Math.round(percent)}%`;
}

/** `1.2 M cmd/s`, `850 cmd/s`, `4.5 MB/s`. */
export function formatRate(perSecond: number, unit: RingRate['unit']): string {
  const [value, prefix] = perSecond >= 1e9 ? [perSecond / 1e9, 'G'] : perSecond >= 1e6 ? [perSecond / 1e6, 'M'] : perSecond >= 1e3 ? [perSecond / 1e3, 'k'] : [perSecond, ''];
  const shown = prefix ? value.toFixed(1) : Math.round(value).toString();
  return unit === 'commands' ? `${shown}${prefix ? ` ${prefix}` : ''} cmd/s` : `${shown} ${prefix}B/s`;
}
