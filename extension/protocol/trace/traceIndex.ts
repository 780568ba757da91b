// The fast pass over a trace: one walk that fills columnar typed arrays (where each row's
// bytes are, its size, opcode, time and kind) and nothing else, so any page of rows anywhere
// in a trace of millions of commands is served straight from the arrays and only the rows on
// screen are ever fully decoded. 22 bytes per row, plus fences and occupancy samples.
//
// Rows are numbered by `seq` from the start of the trace. A window that only keeps the newest
// rows (a live ring followed for hours, a capture streamed through `gpupv decode`) drops rows
// from the front; `firstSeq` is then the oldest row still held. Counts per opcode, errors,
// overruns and fence latencies cover the whole trace, dropped rows included.

export const RowKind = {
  /** A command record. */
  command: 0,
  /** Bytes that could not be framed as a command: the reason is in `noteOf`. */
  error: 1,
  /** Bytes the producer overwrote before anyone read them: `noteOf` says how many. */
  overrun: 2,
} as const;
export type RowKind = (typeof RowKind)[keyof typeof RowKind];

const SMALL_OPCODES = 4096;

/** A row's code: its opcode id in the low 13 bits, its kind in the next two, "recovered" in the top one. */
const ID_MASK = 0x1fff;
const KIND_SHIFT = 13;
/** The command was recovered from before a snapshot's consumer pointer (already consumed). */
export const RECOVERED_FLAG = 0x8000;

/** A fence command's value, when it was seen and when the host reported it complete. */
export interface FenceEntry {
  readonly seq: number;
  readonly value: bigint;
  readonly time: number;
  /** Nanoseconds after the trace's base time; NaN while not completed, or completed at an unknown time (snapshots). */
  readonly completedAt: number;
  readonly completed: boolean;
}

export class TraceIndex {
  /** Rows held: seq `firstSeq` to `firstSeq + count - 1`. */
  count = 0;
  firstSeq = 0;
  /** Where each row's bytes start in the trace's record store. */
  offsets: Float64Array;
  sizes: Uint32Array;
  /** Each row's code: its opcode as an index into `opcodeValues` (protocols have far fewer than 8,192), kind and flags. */
  codes: Uint16Array;
  readonly opcodeValues: number[] = [];
  /** Opcode ids by value: a table for the small values protocols use, a map beyond it. */
  private readonly smallOpcodeIds = new Int16Array(SMALL_OPCODES).fill(-1);
  private readonly opcodeIdOf = new Map<number, number>();
  /** Nanoseconds after `baseTime` (exact below 2^53 ns, about 104 days); 0 for traces without time. */
  times: Float64Array;
  /** Nanoseconds since the epoch of the first timed row. */
  baseTime: bigint | undefined;
  /** Times never go backwards, so a time range is found by binary search. */
  timesOrdered = true;
  /** The reason of error rows, the loss of overrun rows, by seq. */
  private readonly notes = new Map<number, string>();
  /** Per opcode id: commands and bytes. */
  opcodeCounts = new Float64Array(16);
  opcodeBytes = new Float64Array(16);
  errorCount = 0;
  overrunCount = 0;

  /** Fence commands in seq order, with their values, times and completion times. */
  fenceSeqs = new Float64Array(64);
  fenceValues = new BigUint64Array(64);
  /** When each fence was seen: its row's time, kept apart so a window may drop the row before the fence completes. */
  fenceTimes = new Float64Array(64);
  fenceCompletedAt = new Float64Array(64);
  fenceCount = 0;
  /** The first fence not yet completed. */
  private firstPendingFence = 0;
  /** Fences completed, over the whole trace. */
  completedFences = 0;
  /** Milliseconds from seen to completed of every fence completed at a known time. */
  private latencies = new Float32Array(64);
  latencyCount = 0;

  /** Ring occupancy samples (bytes between consumer and producer) over time. */
  occupancyTimes = new Float64Array(64);
  occupancyBytes = new Float64Array(64);
  occupancyCount = 0;

  constructor(capacity = 1024) {
    this.offsets = new Float64Array(capacity);
    this.sizes = new Uint32Array(capacity);
    this.codes = new Uint16Array(capacity);
    this.times = new Float64Array(capacity);
  }

  /** One past the newest seq. */
  get endSeq(): number {
    return this.firstSeq + this.count;
  }

  opcodeIdAt(row: number): number {
    return this.codes[row]! & ID_MASK;
  }

  opcodeAt(row: number): number {
    return this.opcodeValues[this.codes[row]! & ID_MASK]!;
  }

  kindAt(row: number): RowKind {
    return ((this.codes[row]! >> KIND_SHIFT) & 3) as RowKind;
  }

  recoveredAt(row: number): boolean {
    return (this.codes[row]! & RECOVERED_FLAG) !== 0;
  }

  noteOf(seq: number): string | undefined {
    return this.notes.get(seq);
  }

  /** Nanoseconds since the epoch of a relative time (undefined for traces without time). */
  absoluteTime(time: number): bigint | undefined {
    return this.baseTime === undefined ? undefined : this.baseTime + BigInt(Math.round(time));
  }

  /** Converts a time since the epoch to the index's relative clock, fixing the base at the first one. */
  relativeTime(timeNs: bigint): number {
    this.baseTime ??= timeNs;
    return Number(timeNs - this.baseTime);
  }

  /** Appends a command row; returns its seq. */
  pushCommand(offset: number, size: number, opcode: number, time: number, flags = 0): number {
    const row = this.append(offset, size, opcode, time, flags);
    const id = this.codes[row]! & ID_MASK;
    this.opcodeCounts[id]!++;
    this.opcodeBytes[id]! += size;
    return this.firstSeq + row;
  }

  /** Appends an error or overrun row with what the user should read about it. */
  pushNote(kind: typeof RowKind.error | typeof RowKind.overrun, offset: number, size: number, time: number, note: string): number {
    const seq = this.firstSeq + this.append(offset, size, 0, time, kind << KIND_SHIFT);
    this.notes.set(seq, note);
    if (kind === RowKind.error) this.errorCount++;
    else this.overrunCount++;
    return seq;
  }

  /** A fence command at `seq` (a row already pushed) carrying `value`. */
  addFence(seq: number, value: bigint): void {
    if (this.fenceCount === this.fenceSeqs.length) {
      this.fenceSeqs = grown(this.fenceSeqs, this.fenceCount * 2);
      this.fenceValues = grown(this.fenceValues, this.fenceCount * 2);
      this.fenceTimes = grown(this.fenceTimes, this.fenceCount * 2);
      this.fenceCompletedAt = grown(this.fenceCompletedAt, this.fenceCount * 2);
    }
    this.fenceSeqs[this.fenceCount] = seq;
    this.fenceValues[this.fenceCount] = value;
    this.fenceTimes[this.fenceCount] = this.times[seq - this.firstSeq] ?? 0;
    this.fenceCompletedAt[this.fenceCount++] = Number.NaN;
  }

  /**
   * The host completed every fence up to `value` (its completed-fence field reached it) at
   * `time`; NaN when only the fact is known (a snapshot), not the time.
   */
  completeFences(value: bigint, time: number): void {
    while (this.firstPendingFence < this.fenceCount && this.fenceValues[this.firstPendingFence]! <= value) {
      const i = this.firstPendingFence++;
      this.fenceCompletedAt[i] = time;
      this.completedFences++;
      if (Number.isNaN(time)) continue;
      if (this.latencyCount === this.latencies.length) this.latencies = grown(this.latencies, this.latencyCount * 2);
      this.latencies[this.latencyCount++] = (time - this.fenceTimes[i]!) / 1e6;
    }
  }

  /** Fences [0, pendingFenceIndex) are completed; the rest are not (yet). */
  get pendingFenceIndex(): number {
    return this.firstPendingFence;
  }

  fenceAt(i: number): FenceEntry {
    return { seq: this.fenceSeqs[i]!, value: this.fenceValues[i]!, time: this.fenceTimes[i]!, completedAt: this.fenceCompletedAt[i]!, completed: i < this.firstPendingFence };
  }

  /** Fence latencies in milliseconds (seen to completed), over the whole trace, sorted. */
  sortedLatencies(): Float32Array {
    return this.latencies.slice(0, this.latencyCount).sort();
  }

  /** The index of the first fence at or after `seq` (fenceCount when none). */
  fenceAtOrAfter(seq: number): number {
    return lowerBound(this.fenceSeqs, this.fenceCount, seq);
  }

  addOccupancy(time: number, bytes: number): void {
    if (this.occupancyCount === this.occupancyTimes.length) {
      this.occupancyTimes = grown(this.occupancyTimes, this.occupancyCount * 2);
      this.occupancyBytes = grown(this.occupancyBytes, this.occupancyCount * 2);
    }
    this.occupancyTimes[this.occupancyCount] = time;
    this.occupancyBytes[this.occupancyCount++] = bytes;
  }

  /** The first row whose time is at least `time` (count when none); needs `timesOrdered`. */
  rowAtTime(time: number): number {
    return lowerBound(this.times, this.count, time);
  }

  /**
   * Forgets the rows before `seq` (a window that keeps only the newest rows). Fences and
   * occupancy samples before it go too.
   */
  dropBefore(seq: number): void {
    const drop = Math.min(this.count, seq - this.firstSeq);
    if (drop <= 0) return;
    for (let row = 0; row < drop; row++) if (this.kindAt(row) !== RowKind.command) this.notes.delete(this.firstSeq + row);
    const keep = this.count - drop;
    this.offsets.copyWithin(0, drop, this.count);
    this.sizes.copyWithin(0, drop, this.count);
    this.codes.copyWithin(0, drop, this.count);
    this.times.copyWithin(0, drop, this.count);
    this.count = keep;
    this.firstSeq += drop;
    // Fences still pending stay, so their completion can be timed when it comes.
    const fences = Math.min(this.fenceAtOrAfter(this.firstSeq), this.firstPendingFence);
    if (fences > 0) {
      this.fenceSeqs.copyWithin(0, fences, this.fenceCount);
      this.fenceTimes.copyWithin(0, fences, this.fenceCount);
      this.fenceCompletedAt.copyWithin(0, fences, this.fenceCount);
      this.fenceValues.copyWithin(0, fences, this.fenceCount);
      this.fenceCount -= fences;
      this.firstPendingFence -= fences;
    }
    if (this.count > 0 && this.occupancyCount > 0) {
      const first = this.times[0]!;
      let samples = 0;
      while (samples < this.occupancyCount && this.occupancyTimes[samples]! < first) samples++;
      this.occupancyTimes.copyWithin(0, samples, this.occupancyCount);
      this.occupancyBytes.copyWithin(0, samples, this.occupancyCount);
      this.occupancyCount -= samples;
    }
  }

  /** Bytes the index holds per row beyond the trace itself (after trim). */
  get bytesPerRow(): number {
    const perRow = 8 + 4 + 2 + 8;
    const fences = this.fenceSeqs.byteLength + this.fenceValues.byteLength + this.fenceTimes.byteLength + this.fenceCompletedAt.byteLength + this.latencies.byteLength;
    return perRow + fences / Math.max(1, this.count);
  }

  /** Drops spare capacity once a trace is complete. */
  trim(): void {
    this.offsets = this.offsets.slice(0, this.count);
    this.sizes = this.sizes.slice(0, this.count);
    this.codes = this.codes.slice(0, this.count);
    this.times = this.times.slice(0, this.count);
    this.fenceSeqs = this.fenceSeqs.slice(0, this.fenceCount);
    this.fenceValues = this.fenceValues.slice(0, this.fenceCount);
    this.fenceTimes = this.fenceTimes.slice(0, this.fenceCount);
    this.fenceCompletedAt = this.fenceCompletedAt.slice(0, this.fenceCount);
    this.latencies = this.latencies.slice(0, this.latencyCount);
  }

  /** `flags`: the kind (shifted) and RECOVERED_FLAG. */
  private append(offset: number, size: number, opcode: number, time: number, flags: number): number {
    if (this.count === this.offsets.length) this.grow();
    const row = this.count++;
    let id: number | undefined = opcode < SMALL_OPCODES && opcode >= 0 ? this.smallOpcodeIds[opcode]! : this.opcodeIdOf.get(opcode);
    if (id === undefined || id < 0) {
      id = this.opcodeValues.length;
      if (id > ID_MASK) throw new RangeError(`more than ${ID_MASK + 1} distinct opcodes: this is not a command stream`);
      this.opcodeValues.push(opcode);
      if (opcode < SMALL_OPCODES && opcode >= 0) this.smallOpcodeIds[opcode] = id;
      else this.opcodeIdOf.set(opcode, id);
      if (id >= this.opcodeCounts.length) {
        this.opcodeCounts = grown(this.opcodeCounts, this.opcodeCounts.length * 2);
        this.opcodeBytes = grown(this.opcodeBytes, this.opcodeBytes.length * 2);
      }
    }
    if (row > 0 && time < this.times[row - 1]!) this.timesOrdered = false;
    this.offsets[row] = offset;
    this.sizes[row] = size;
    this.codes[row] = id | flags;
    this.times[row] = time;
    return row;
  }

  private grow(): void {
    const capacity = this.offsets.length * 2;
    this.offsets = grown(this.offsets, capacity);
    this.sizes = grown(this.sizes, capacity);
    this.codes = grown(this.codes, capacity);
    this.times = grown(this.times, capacity);
  }
}

/** The first of `values[0..count)` (ascending) that is at least `value`; `count` when none is. */
function lowerBound(values: Float64Array, count: number, value: number): number {
  let low = 0;
  let high = count;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (values[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

type Growable = Float64Array | Float32Array | Uint32Array | Uint16Array | BigUint64Array;

function grown<T extends Growable>(from: T, capacity: number): T {
  const to = new (from.constructor as new (n: number) => T)(capacity);
  to.set(from as never);
  return to;
}
