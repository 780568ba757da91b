import * as assert from 'node:assert/strict';
import { basename } from 'node:path';
import { PcapngError, PcapngReader, readPcapng, type PacketFrame, type PcapngContents, type PcapngErrorCode, type PcapngPacket } from '../../../extension/protocol/capture/pcapngReader';
import { BLOCK_TYPE, OPTION, PcapngWriter } from '../../../extension/protocol/capture/pcapngWriter';
import { seededRandom as random } from '../seededRandom';

// The pcapng fuzzing machinery and the long run.
//
//   node out/test/unit/capture/pcapngFuzzLong.js [cases] [first seed]
//
// runs 100,000 seeded cases (or `cases`) and prints a summary; pcapngFuzz.test.ts runs a
// few thousand of the same cases under mocha. Also here, because both suites build files
// by hand: an encoder for pcapng blocks in either byte order, including ones our writer
// never produces (big-endian, Simple and obsolete Packet Blocks, odd tsresol, bad fields).

// ---------------------------------------------------------------------------------------
// Hand-made pcapng blocks

export type RawOption = readonly [code: number, value: string | Uint8Array];

/** Little-endian or big-endian field writer for block bodies. */
export class FieldWriter {
  private readonly bytes: number[] = [];

  constructor(private readonly littleEndian: boolean) {}

  u8(value: number): this {
    this.bytes.push(value & 0xff);
    return this;
  }

  u16(value: number): this {
    const b = [value & 0xff, (value >>> 8) & 0xff];
    this.bytes.push(...(this.littleEndian ? b : b.reverse()));
    return this;
  }

  u32(value: number): this {
    const b = [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
    this.bytes.push(...(this.littleEndian ? b : b.reverse()));
    return this;
  }

  /** Two 32-bit words, high first, as pcapng stores timestamps. */
  timestamp(ticks: bigint): this {
    return this.u32(Number((ticks >> 32n) & 0xffffffffn)).u32(Number(ticks & 0xffffffffn));
  }

  /** A true 64-bit integer in the section's byte order (section length, if_tsoffset). */
  u64(value: bigint): this {
    const unsigned = BigInt.asUintN(64, value);
    const high = Number(unsigned >> 32n);
    const low = Number(unsigned & 0xffffffffn);
    return this.littleEndian ? this.u32(low).u32(high) : this.u32(high).u32(low);
  }

  raw(data: Uint8Array): this {
    for (const byte of data) this.bytes.push(byte);
    return this;
  }

  pad(): this {
    while (this.bytes.length % 4) this.bytes.push(0);
    return this;
  }

  options(list: readonly RawOption[]): this {
    for (const [code, value] of list) {
      const data = typeof value === 'string' ? new TextEncoder().encode(value) : value;
      this.u16(code).u16(data.length).raw(data).pad();
    }
    if (list.length) this.u32(0);
    return this;
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export function fields(littleEndian: boolean): FieldWriter {
  return new FieldWriter(littleEndian);
}

/** A block: type, total length, the body padded to 32 bits, the total length again. */
export function block(type: number, body: Uint8Array, littleEndian: boolean): Uint8Array {
  const padded = (body.length + 3) & ~3;
  return fields(littleEndian).u32(type).u32(12 + padded).raw(body).pad().u32(12 + padded).toBytes();
}

export function sectionHeader(littleEndian: boolean, options: readonly RawOption[] = [], version: readonly [number, number] = [1, 0]): Uint8Array {
  const body = fields(littleEndian).u32(0x1a2b3c4d).u16(version[0]).u16(version[1]).u64(-1n).options(options);
  return block(BLOCK_TYPE.sectionHeader, body.toBytes(), littleEndian);
}

export function interfaceDescription(littleEndian: boolean, linkType: number, snapLength: number, options: readonly RawOption[] = []): Uint8Array {
  const body = fields(littleEndian).u16(linkType).u16(0).u32(snapLength).options(options);
  return block(BLOCK_TYPE.interfaceDescription, body.toBytes(), littleEndian);
}

export function enhancedPacket(
  littleEndian: boolean,
  interfaceId: number,
  ticks: bigint,
  data: Uint8Array,
  options: readonly RawOption[] = [],
  originalLength = data.length,
): Uint8Array {
  const body = fields(littleEndian).u32(interfaceId).timestamp(ticks).u32(data.length).u32(originalLength).raw(data).pad().options(options);
  return block(BLOCK_TYPE.enhancedPacket, body.toBytes(), littleEndian);
}

export function obsoletePacket(littleEndian: boolean, interfaceId: number, ticks: bigint, data: Uint8Array, options: readonly RawOption[] = []): Uint8Array {
  const body = fields(littleEndian).u16(interfaceId).u16(0).timestamp(ticks).u32(data.length).u32(data.length).raw(data).pad().options(options);
  return block(BLOCK_TYPE.obsoletePacket, body.toBytes(), littleEndian);
}

export function simplePacket(littleEndian: boolean, data: Uint8Array, originalLength = data.length): Uint8Array {
  return block(BLOCK_TYPE.simplePacket, fields(littleEndian).u32(originalLength).raw(data).toBytes(), littleEndian);
}

/** Option values that are numbers in the section's byte order. */
export function u32Option(code: number, value: number, littleEndian: boolean): RawOption {
  return [code, fields(littleEndian).u32(value).toBytes()];
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Everything our writer produces for `packets`, as one buffer. */
export function writeCapture(packets: readonly Parameters<PcapngWriter['writePacket']>[0][], options?: ConstructorParameters<typeof PcapngWriter>[1]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const writer = new PcapngWriter((chunk) => chunks.push(chunk), options);
  for (const packet of packets) writer.writePacket(packet);
  writer.close();
  return concat(chunks);
}

// ---------------------------------------------------------------------------------------
// Reading both ways

export interface ReadOutcome extends PcapngContents {
  /** The largest number of bytes the chunked reader held at once. */
  readonly peakPendingBytes: number;
}

/** Reads `bytes` pushed in the chunks `nextChunkSize` picks, draining after each push. */
export function readInChunks(bytes: Uint8Array, nextChunkSize: () => number): ReadOutcome {
  const reader = new PcapngReader();
  const packets: PcapngPacket[] = [];
  let peakPendingBytes = 0;
  try {
    let at = 0;
    while (at < bytes.length) {
      const size = Math.max(1, Math.min(nextChunkSize(), bytes.length - at));
      // A copy, as a stream would deliver it: the reader must not rely on one buffer.
      reader.push(bytes.slice(at, at + size));
      at += size;
      peakPendingBytes = Math.max(peakPendingBytes, reader.pendingBytes);
      for (const packet of reader.packets()) packets.push(packet);
    }
    reader.end();
    for (const packet of reader.packets()) packets.push(packet);
  } catch (error) {
    if (!(error instanceof PcapngError)) throw error;
    return { sections: reader.sections, interfaces: reader.interfaces, packets, error, peakPendingBytes };
  }
  return { sections: reader.sections, interfaces: reader.interfaces, packets, peakPendingBytes };
}

/**
 * The fast path a trace index reads with (`scanFrames`), in chunks: packets as the frames it
 * hands out, comments decoded only for empty packets, ring offsets not at all.
 */
export function scanInChunks(bytes: Uint8Array, nextChunkSize: () => number): ReadOutcome {
  const reader = new PcapngReader();
  const packets: PcapngPacket[] = [];
  const collect = (frame: PacketFrame) =>
    packets.push({
      index: frame.index,
      interfaceId: frame.interfaceId,
      timestampNs: frame.timestampNs(),
      data: frame.bytes.slice(frame.dataStart, frame.dataStart + frame.capturedLength),
      originalLength: frame.originalLength,
      ringOffset: undefined,
      comment: frame.comment,
      flags: frame.flags,
    });
  try {
    for (let at = 0; at < bytes.length; ) {
      const size = Math.max(1, Math.min(nextChunkSize(), bytes.length - at));
      reader.push(bytes.slice(at, at + size));
      at += size;
      reader.scanFrames((frame) => {
        // Where the frame says its data is, in the file and in its view, the data is.
        const data = frame.bytes.subarray(frame.dataStart, frame.dataStart + frame.capturedLength);
        assert.deepEqual(bytes.subarray(frame.dataOffset, frame.dataOffset + frame.capturedLength), data, 'dataOffset');
        assert.deepEqual(new Uint8Array(frame.view.buffer, frame.viewStart, frame.capturedLength), data, 'view');
        collect(frame);
      });
    }
    reader.end();
    reader.scanFrames(collect);
  } catch (error) {
    if (!(error instanceof PcapngError)) throw error;
    return { sections: reader.sections, interfaces: reader.interfaces, packets, error, peakPendingBytes: 0 };
  }
  return { sections: reader.sections, interfaces: reader.interfaces, packets, peakPendingBytes: 0 };
}

/** What the fast path leaves out: ring offsets always, comments of packets with data. */
function asScanned(contents: PcapngContents): PcapngContents {
  return { ...contents, packets: contents.packets.map((p) => ({ ...p, ringOffset: undefined, comment: p.data.length === 0 ? p.comment : undefined })) };
}

/** Plain values of a packet, for comparisons that should not care about views and copies. */
export function packetValues(packet: PcapngPacket): Record<string, unknown> {
  return { ...packet, data: Array.from(packet.data) };
}

/** The two ways of reading must agree on everything, error included. */
export function assertSameOutcome(whole: PcapngContents, chunked: PcapngContents, context: string): void {
  assert.equal(chunked.packets.length, whole.packets.length, `${context}: packet count, whole buffer vs chunks`);
  whole.packets.forEach((packet, i) => assert.deepEqual(packetValues(chunked.packets[i]!), packetValues(packet), `${context}: packet ${i}`));
  assert.deepEqual(chunked.interfaces, whole.interfaces, `${context}: interfaces`);
  assert.deepEqual(chunked.sections, whole.sections, `${context}: sections`);
  assert.equal(chunked.error?.message, whole.error?.message, `${context}: error`);
  assert.equal(chunked.error?.code, whole.error?.code, `${context}: error code`);
  assert.equal(chunked.error?.offset, whole.error?.offset, `${context}: error offset`);
}

// ---------------------------------------------------------------------------------------
// Cases


export interface FuzzCase {
  readonly seed: number;
  /** How the input was made, for the failure message. */
  readonly recipe: string;
  readonly bytes: Uint8Array;
  /** For inputs left intact: how many packets they hold, all of which must be read. */
  readonly intactPackets?: number;
}

type Random = () => number;

function int(next: Random, below: number): number {
  return Math.floor(next() * below);
}

function pick<T>(next: Random, items: readonly T[]): T {
  return items[int(next, items.length)]!;
}

function randomBytes(next: Random, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = int(next, 256);
  return out;
}

function randomTicks(next: Random): bigint {
  return (BigInt(int(next, 2 ** 32)) << 32n) | BigInt(int(next, 2 ** 32));
}

interface Blocks {
  readonly blocks: Uint8Array[];
  readonly packets: number;
}

/** A capture from our writer, as one block per array entry. */
function writerBlocks(next: Random): Blocks {
  const blocks: Uint8Array[] = [];
  const writer = new PcapngWriter((chunk) => blocks.push(chunk), {
    linkType: 147 + int(next, 16),
    interfaceName: next() < 0.5 ? 'vm1/ring0' : undefined,
    profileHash: next() < 0.5 ? 'ab'.repeat(32) : undefined,
    application: next() < 0.5 ? 'fuzz' : undefined,
    snapLength: next() < 0.2 ? 1 + int(next, 64) : 0,
  });
  writer.flush();
  const count = int(next, 12);
  for (let i = 0; i < count; i++) {
    writer.writePacket({
      timestampNs: randomTicks(next),
      data: randomBytes(next, pick(next, [0, 1, 3, 8, 13, 64, 200])),
      ringOffset: next() < 0.5 ? int(next, 2 ** 32) : undefined,
      comment: next() < 0.2 ? pick(next, ['', 'x', 'draw ✓', 'gpupv-ring-offset=0xzz']) : undefined,
      flags: next() < 0.2 ? int(next, 4) : undefined,
    });
    // One block per flush, so splices can move whole blocks.
    writer.flush();
  }
  writer.close();
  // The first flush holds the SHB and the IDB together; split them.
  const first = blocks[0]!;
  const shbLength = new DataView(first.buffer, first.byteOffset).getUint32(4, true);
  return { blocks: [first.subarray(0, shbLength), first.subarray(shbLength), ...blocks.slice(1)], packets: count };
}

/** One or more hand-made sections in random byte orders with every kind of block. */
function handMadeBlocks(next: Random): Blocks {
  const blocks: Uint8Array[] = [];
  let packetCount = 0;
  const sections = 1 + int(next, 3);
  for (let s = 0; s < sections; s++) {
    const le = next() < 0.5;
    blocks.push(sectionHeader(le, next() < 0.5 ? [[OPTION.shbUserApplication, 'hand'], [OPTION.comment, 'section']] : []));
    const interfaces = 1 + int(next, 3);
    for (let i = 0; i < interfaces; i++) {
      const options: RawOption[] = [];
      if (next() < 0.7) options.push([OPTION.ifTsresol, Uint8Array.of(pick(next, [0, 3, 6, 9, 12, 0x80, 0x8a, 0x9e, 0xbf, 127, 0xff]))]);
      if (next() < 0.3) options.push([OPTION.ifTsoffset, fields(le).u64(BigInt(int(next, 2 ** 31)) - 2n ** 30n).toBytes()]);
      if (next() < 0.3) options.push([OPTION.ifName, `if${i}`]);
      blocks.push(interfaceDescription(le, 147 + int(next, 16), next() < 0.7 ? 0 : int(next, 300), options));
    }
    const packets = int(next, 10);
    for (let p = 0; p < packets; p++) {
      const data = randomBytes(next, int(next, 120));
      const kind = next();
      if (kind < 0.85) packetCount++;
      if (kind < 0.55) {
        const options: RawOption[] = next() < 0.4 ? [[OPTION.comment, `gpupv-ring-offset=0x${int(next, 2 ** 32).toString(16)}`]] : [];
        if (next() < 0.3) options.push(u32Option(OPTION.packetFlags, int(next, 2 ** 32), le));
        blocks.push(enhancedPacket(le, int(next, interfaces), randomTicks(next), data, options));
      } else if (kind < 0.7) blocks.push(obsoletePacket(le, int(next, interfaces), randomTicks(next), data));
      else if (kind < 0.85) blocks.push(simplePacket(le, data));
      else blocks.push(block(pick(next, [5, 0x80000001, 0xbad, 10]), randomBytes(next, int(next, 40)), le));
    }
  }
  return { blocks, packets: packetCount };
}

const LENGTH_EDITS: readonly ((length: number, next: Random) => number)[] = [
  () => 0,
  () => 4,
  () => 8,
  () => 12,
  (length) => length + 1,
  (length) => length - 1,
  (length) => length + 4,
  (length) => length - 4,
  (length) => length * 2,
  () => 0xffffffff,
  () => 64 * 1024 * 1024 + 4,
  () => 64 * 1024 * 1024,
  (_, next) => int(next, 2 ** 32),
];

/** Mutations on the block list: the structure-aware ones. */
function spliceBlocks(blocks: Uint8Array[], next: Random, other: () => Uint8Array[]): string {
  const at = int(next, blocks.length + 1);
  const from = int(next, blocks.length);
  switch (int(next, 4)) {
    case 0:
      blocks.splice(from, 1);
      return `removed block ${from}`;
    case 1:
      blocks.splice(at, 0, blocks[from]!);
      return `copied block ${from} to ${at}`;
    case 2: {
      const [moved] = blocks.splice(from, 1);
      blocks.splice(at, 0, moved!);
      return `moved block ${from} to ${at}`;
    }
    default: {
      const foreign = other();
      const taken = int(next, foreign.length);
      blocks.splice(at, 0, foreign[taken]!);
      return `inserted block ${taken} of another file at ${at}`;
    }
  }
}

/** Mutations on the flat bytes; `starts` are the block offsets before any of them. */
function mutateBytes(bytes: Uint8Array, starts: readonly number[], next: Random): { bytes: Uint8Array; recipe: string } {
  const choice = int(next, 4);
  if (choice === 0) {
    const flips = 1 + int(next, 8);
    for (let i = 0; i < flips; i++) bytes[int(next, bytes.length)]! ^= 1 << int(next, 8);
    return { bytes, recipe: `${flips} bit flips` };
  }
  if (choice === 1) {
    const length = int(next, bytes.length);
    return { bytes: bytes.subarray(0, length), recipe: `truncated to ${length}` };
  }
  if (choice === 2 && starts.length) {
    const blockStart = pick(next, starts);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (blockStart + 8 > bytes.length) return { bytes, recipe: 'no length to edit' };
    const little = next() < 0.5;
    const length = view.getUint32(blockStart + 4, little);
    const edited = pick(next, LENGTH_EDITS)(length, next) >>> 0;
    const trailing = next() < 0.3 && blockStart + length <= bytes.length && length >= 12;
    view.setUint32(trailing ? blockStart + length - 4 : blockStart + 4, edited, little);
    return { bytes, recipe: `${trailing ? 'trailing' : 'leading'} length of block at ${blockStart} set to ${edited}` };
  }
  const at = int(next, bytes.length);
  const junk = randomBytes(next, 1 + int(next, 16));
  bytes.set(junk.subarray(0, bytes.length - at), at);
  return { bytes, recipe: `${junk.length} random bytes at ${at}` };
}

/** The input of case `seed`: a capture (ours or hand-made), then one to three mutations. */
export function fuzzCase(seed: number): FuzzCase {
  const next = random(seed);
  const makeBlocks = (): Blocks => (next() < 0.5 ? writerBlocks(next) : handMadeBlocks(next));
  if (next() < 0.04) {
    // Pure noise, half of it behind a valid SHB so it gets past the magic.
    const noise = randomBytes(next, int(next, 512));
    const bytes = next() < 0.5 ? noise : concat([sectionHeader(next() < 0.5), noise]);
    return { seed, recipe: 'random bytes', bytes };
  }
  const made = makeBlocks();
  const blocks = made.blocks;
  let packets = made.packets;
  const recipe: string[] = [];
  if (next() < 0.3) {
    const more = makeBlocks();
    blocks.push(...more.blocks);
    packets += more.packets;
  }
  if (next() < 0.4) recipe.push(spliceBlocks(blocks, next, () => makeBlocks().blocks));
  const starts: number[] = [];
  let offset = 0;
  for (const b of blocks) {
    starts.push(offset);
    offset += b.length;
  }
  let bytes = concat(blocks);
  const mutations = next() < 0.1 ? 0 : 1 + int(next, 3);
  for (let i = 0; i < mutations && bytes.length; i++) {
    const mutated = mutateBytes(bytes, starts, next);
    bytes = mutated.bytes;
    recipe.push(mutated.recipe);
  }
  return recipe.length ? { seed, recipe: recipe.join(', '), bytes } : { seed, recipe: 'intact', bytes, intactPackets: packets };
}

export interface FuzzResult {
  readonly packets: number;
  readonly error?: PcapngErrorCode;
  readonly ms: number;
}

/** Smallest block that yields a packet: a Simple Packet Block with no data. */
const MIN_PACKET_BLOCK = 16;

/**
 * Reads the case whole and in random chunks and checks what must hold for any input:
 * only PcapngError, every way of reading agrees, no more packets than the bytes can hold; the time
 * each case took goes into the long run's report.
 */
export function runFuzzCase(fuzz: FuzzCase): FuzzResult {
  const context = `seed ${fuzz.seed} (${fuzz.recipe}, ${fuzz.bytes.length} bytes)`;
  const started = performance.now();
  let whole: PcapngContents;
  let chunked: ReadOutcome;
  let scanned: ReadOutcome;
  try {
    whole = readPcapng(fuzz.bytes);
    const next = random(fuzz.seed ^ 0x5a5a5a5a);
    chunked = readInChunks(fuzz.bytes, () => pick(next, [1, 3, 7, 64, 1000, 1 + int(next, 4096)]));
    scanned = scanInChunks(fuzz.bytes, () => pick(next, [1, 5, 100, 4096, fuzz.bytes.length]));
  } catch (error) {
    assert.fail(`${context}: threw something other than a PcapngError: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  const ms = performance.now() - started;
  assertSameOutcome(whole, chunked, context);
  assertSameOutcome(asScanned(whole), scanned, `${context}, scanned`);
  if (fuzz.intactPackets !== undefined) {
    assert.equal(whole.error, undefined, `${context}: an intact capture gave an error`);
    assert.equal(whole.packets.length, fuzz.intactPackets, `${context}: packets of an intact capture`);
  }
  assert.ok(whole.packets.length * MIN_PACKET_BLOCK <= fuzz.bytes.length, `${context}: ${whole.packets.length} packets from ${fuzz.bytes.length} bytes`);
  const dataBytes = whole.packets.reduce((sum, packet) => sum + packet.data.length, 0);
  assert.ok(dataBytes <= fuzz.bytes.length, `${context}: ${dataBytes} bytes of packet data from ${fuzz.bytes.length} bytes`);
  if (whole.error) {
    assert.ok(whole.error.offset >= 0 && whole.error.offset <= fuzz.bytes.length, `${context}: error offset ${whole.error.offset}`);
    assert.match(whole.error.message, /^block \d+ at byte \d+: /, `${context}: error message`);
  }
  assert.ok(chunked.peakPendingBytes <= fuzz.bytes.length, `${context}: held ${chunked.peakPendingBytes} bytes`);
  return { packets: whole.packets.length, error: whole.error?.code, ms };
}

// ---------------------------------------------------------------------------------------
// The long run

function main(): void {
  const cases = Number(process.argv[2] ?? 100_000);
  const firstSeed = Number(process.argv[3] ?? 1);
  const outcomes = new Map<string, number>();
  const failures: string[] = [];
  let packets = 0;
  let bytes = 0;
  let intact = 0;
  let slowest = 0;
  const started = performance.now();
  for (let seed = firstSeed; seed < firstSeed + cases; seed++) {
    const fuzz = fuzzCase(seed);
    bytes += fuzz.bytes.length;
    if (fuzz.intactPackets !== undefined) intact++;
    try {
      const result = runFuzzCase(fuzz);
      packets += result.packets;
      slowest = Math.max(slowest, result.ms);
      const outcome = result.error ?? 'read to the end';
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`pcapng fuzz: ${cases} cases (seeds ${firstSeed}..${firstSeed + cases - 1}), ${(bytes / 1e6).toFixed(1)} MB of input, ${packets} packets read, ${seconds.toFixed(1)} s, slowest case ${slowest.toFixed(1)} ms`);
  console.log(`  ${intact} intact captures among them, each read completely; outcomes:`);
  for (const [outcome, count] of [...outcomes].sort((a, b) => b[1] - a[1])) console.log(`  ${outcome.padEnd(30)} ${count}`);
  console.log(`  ${'FAILED'.padEnd(30)} ${failures.length}`);
  for (const failure of failures.slice(0, 10)) console.log(`    ${failure.split('\n')[0]!}`);
  process.exitCode = failures.length ? 1 : 0;
}

// Only when run as this script: other bundles include this module for its helpers.
if (require.main === module && basename(__filename) === 'pcapngFuzzLong.js') main();
