import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../extension/cli/gpupv';
import { PcapngWriter, type PcapngPacketInput } from '../../../extension/protocol/capture/pcapngWriter';
import type { DecodedValue } from '../../../extension/protocol/decode/decoderCompiler';
import { readHeaderFile } from '../../../extension/protocol/localFiles';
import { loadProtocol, type LoadedProtocol } from '../../../extension/protocol/profile/loadProtocol';
import type { OpcodeInfo } from '../../../extension/protocol/profile/commandProfile';
import { CommandSynthesizer } from '../../../extension/protocol/simulate/commandSynthesizer';
import { openTraceFile } from '../../../extension/protocol/trace/openTrace';
import { overrunMarker } from '../../../extension/protocol/trace/traceEvents';
import type { TraceRow } from '../../../extension/protocol/trace/traceSource';
import { repoRoot } from '../../harness/paths';
import { seededRandom } from '../seededRandom';
import { demoSnapshot } from './demoSnapshot';

// `gpupv decode --format jsonl` writes its lines straight from the bytes; these tests hold
// it to what JSON.stringify makes of the decoded rows (the formatting it replaced, kept
// here as the reference), over commands of every opcode filled with random bytes.

const PROFILE = join(repoRoot, 'demo', 'gpupv.json');
const BASE = 1_700_000_000_123_456_789n;

/** The reference: a decoded row as JSON, u64 beyond 2^53 as decimal strings. */
function referenceLine(row: TraceRow): string {
  return JSON.stringify({
    seq: row.seq,
    offset: plain(row.offset),
    ...(row.time !== undefined ? { time: plain(row.time) } : {}),
    ...(row.kind === 'command' ? { opcode: row.opcode, opcodeName: row.opcodeName, size: row.size, fields: plainValue(row.decoded!.fields), labels: row.decoded!.labels } : { kind: row.kind, size: row.size }),
    ...(row.error ? { error: row.error } : {}),
    ...(row.recovered ? { recovered: true } : {}),
  });
}

function plain(value: number | bigint): number | string {
  return typeof value === 'bigint' ? (value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString()) : value;
}

function plainValue(value: DecodedValue): unknown {
  if (typeof value === 'bigint') return plain(value);
  if (Array.isArray(value)) return value.map(plainValue);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainValue(v)]));
  return value;
}

/** Every row of the trace through the reference formatting. */
function referenceOutput(file: string, protocol: LoadedProtocol): string {
  const source = openTraceFile(file, protocol);
  const lines: string[] = [];
  try {
    if ('indexNext' in source) while (source.indexNext());
    source.visitRows(0, source.index.endSeq, (seq, row, view, at, size) => void lines.push(referenceLine(source.rowAt(seq, row, view, at, size))));
  } finally {
    source.close();
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** Runs `gpupv decode`, the bulk output collected as bytes, the way it reaches standard output. */
async function decode(...args: string[]): Promise<{ code: number; out: string; err: string; chunks: number }> {
  const chunks: Uint8Array[] = [];
  const err: string[] = [];
  // Slow to drain now and then, as a pipe is: the output must wait, not reorder.
  let writes = 0;
  const sink = {
    write: (chunk: Uint8Array) => chunks.push(chunk.slice()) > 0 && ++writes % 3 !== 0,
    drained: () => new Promise<void>((resolve) => setTimeout(resolve, 1)),
  };
  const code = await main(['decode', ...args], () => assert.fail('decode prints through its sink'), (s) => err.push(s), sink);
  return { code, out: Buffer.concat(chunks).toString('utf8'), err: err.join('\n'), chunks: chunks.length };
}

function writeCapture(file: string, packets: readonly PcapngPacketInput[]): void {
  const chunks: Uint8Array[] = [];
  const writer = new PcapngWriter((c) => chunks.push(c.slice()));
  for (const p of packets) writer.writePacket(p);
  writer.close();
  writeFileSync(file, Buffer.concat(chunks));
}

describe('gpupv decode: JSON lines and fields written from the bytes', () => {
  let dir: string;
  let protocol: LoadedProtocol;
  let opcodes: OpcodeInfo[];
  let varied: string;

  /** Commands of every opcode, their payloads random bytes (any float bit pattern, u64 beyond 2^53, char arrays of anything). */
  function variedPackets(count: number, seed: number): PcapngPacketInput[] {
    const random = seededRandom(seed);
    const synthesizer = new CommandSynthesizer(protocol.analysis.layoutEngine, protocol.command, seed);
    const headerSize = protocol.command.header.size;
    const packets: PcapngPacketInput[] = [];
    let time = BASE;
    for (let i = 0; i < count; i++) {
      time += BigInt(Math.floor(random() * 5000));
      const opcode = opcodes[i % opcodes.length]!;
      const built = synthesizer.build(opcode).bytes;
      // Some commands run on past their struct (a flexible array's elements), some stop short of it.
      const extra = i % 7 === 0 ? 4 * Math.floor(random() * 6) : 0;
      const size = i % 23 === 5 ? Math.max(headerSize, built.length - 4) : built.length + extra;
      const bytes = new Uint8Array(size);
      bytes.set(built.subarray(0, Math.min(size, headerSize)));
      for (let k = headerSize; k < size; k++) bytes[k] = Math.floor(random() * 256);
      const view = new DataView(bytes.buffer);
      if (i % 11 === 3) view.setUint32(12, 0xffffffff, true); // every flag, and bits no flag names
      if (i % 31 === 7) view.setUint32(0, 0x7777, true); // an opcode the profile does not know
      view.setUint32(4, size, true);
      const floats = opcode.payload?.fields.filter((f) => f.resolved.kind === 'float') ?? [];
      const special = [NaN, Infinity, -Infinity, -0, 5e-45, 3.4e38, 0.1];
      for (const [k, f] of floats.entries()) if (k < special.length && f.offset + 4 <= size && i % 5 === 1) view.setFloat32(f.offset, special[(k + i) % special.length]!, true);
      packets.push({ timestampNs: time, data: bytes, ...(i % 3 === 0 ? { ringOffset: i % 9 === 0 ? 2n ** 60n + BigInt(i) : i * 64 } : {}) });
      if (i % 97 === 50) packets.push({ timestampNs: time, data: new Uint8Array(0), comment: overrunMarker(BigInt(4096 + i)) });
      if (i % 89 === 40) packets.push({ timestampNs: time, data: new Uint8Array(6) }); // shorter than a header: an error row
      if (i % 101 === 60) packets.push({ timestampNs: time, data: new Uint8Array(0), comment: 'a note, not an event' });
    }
    return packets;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gpupv-output-'));
    protocol = await loadProtocol(PROFILE, readHeaderFile);
    opcodes = [...protocol.command.opcodes.values()];
    varied = join(dir, 'varied.pcapng');
    writeCapture(varied, variedPackets(3000, 11));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes each row exactly as JSON.stringify writes the decoded row: every opcode, random bytes, NaN and infinities, u64 beyond 2^53, char arrays, short and unknown commands, error and overrun rows', async () => {
    const expected = referenceOutput(varied, protocol);
    // The capture has what it is meant to have.
    for (const needle of [':null', '"kind":"overrun"', '"kind":"error"', 'unknown opcode 0x7777', 'bytes, but', '"fence_value":"', '"offset":"1152921504606846', '"semantic_name":[', '"labels":{"hdr.type"']) {
      assert.ok(expected.includes(needle), `the varied capture should have ${needle}`);
    }
    const { code, out, err } = await decode(varied, '--profile', PROFILE, '--format', 'jsonl');
    assert.equal(code, 1, err);
    assert.match(err, /commands shown could not be decoded whole/);
    const got = out.split('\n');
    const want = expected.split('\n');
    const first = want.findIndex((line, i) => line !== got[i]);
    assert.equal(first, -1, `line ${first} differs:\n  got  ${got[first]}\n  want ${want[first]}`);
    assert.equal(out, expected);
  });

  it('writes a large capture in chunks of whole lines that join up to the same text', async () => {
    const file = join(dir, 'large.pcapng');
    writeCapture(file, variedPackets(30_000, 12));
    const { out, chunks } = await decode(file, '--profile', PROFILE, '--format', 'jsonl');
    assert.ok(chunks > 3, `only ${chunks} chunks`);
    assert.equal(out, referenceOutput(file, protocol));
  });

  it('writes snapshots, the recovered rows and the ring errors among them, as the reference does', async () => {
    const ringSize = 4096;
    const packets = variedPackets(200, 13).filter((p) => p.data.length >= 16 && p.data.length <= 512);
    const { image, ring, starts } = demoSnapshot(
      packets.map((p) => p.data),
      { ringSize, firstPosition: 2n ** 40n, consumerAt: packets.length - 4 },
    );
    // The last pending command claims a size of 0: an error row, then nothing more can be framed.
    const last = Number(starts.at(-1)! % BigInt(ringSize));
    ring.fill(0, last, last + 8);
    const file = join(dir, 'hang.bin');
    writeFileSync(file, image);
    const expected = referenceOutput(file, protocol);
    assert.match(expected, /"recovered":true/);
    assert.match(expected, /"kind":"error"/);
    const { out } = await decode(file, '--profile', PROFILE, '--format', 'jsonl');
    assert.equal(out, expected);
  });

  it('keeps --filter and --limit: the lines of the matching rows, no more than asked', async () => {
    const all = referenceOutput(varied, protocol).split('\n').slice(0, -1);
    const draws = all.filter((line) => (JSON.parse(line) as { opcodeName?: string }).opcodeName === 'DRAW_INDEXED');
    const filtered = await decode(varied, '--profile', PROFILE, '--format', 'jsonl', '--filter', 'opcode == DRAW_INDEXED');
    assert.equal(filtered.out, draws.map((l) => `${l}\n`).join(''));
    const limited = await decode(varied, '--profile', PROFILE, '--format', 'jsonl', '--filter', 'opcode == DRAW_INDEXED', '--limit', '7');
    assert.equal(limited.out, draws.slice(0, 7).map((l) => `${l}\n`).join(''));
    const none = await decode(varied, '--profile', PROFILE, '--format', 'jsonl', '--limit', '0');
    assert.equal(none.out, '');
  });

  it('prints --fields tab-separated in the order given: pseudo-fields, header fields bare or by path, array elements, char arrays as text; empty where a row has no such value', async () => {
    const file = join(dir, 'fields.pcapng');
    const synthesizer = new CommandSynthesizer(protocol.analysis.layoutEngine, protocol.command, 1);
    const byName = (name: string) => opcodes.find((o) => o.shortName === name)!;
    const offsetOf = (opcode: OpcodeInfo, path: string) => opcode.payload!.fields.find((f) => f.path === path)!.offset;
    const draw = synthesizer.build(byName('DRAW_INDEXED'), (_b, v) => {
      v.setUint32(offsetOf(byName('DRAW_INDEXED'), 'index_count'), 36, true);
      v.setInt32(offsetOf(byName('DRAW_INDEXED'), 'base_vertex'), -5, true);
    }).bytes;
    const viewports = synthesizer.build(byName('SET_VIEWPORTS'), (_b, v) => v.setFloat32(offsetOf(byName('SET_VIEWPORTS'), 'viewports[0].x') + 24, 0.1, true)).bytes;
    const fence = synthesizer.build(byName('FENCE'), (_b, v) => v.setBigUint64(offsetOf(byName('FENCE'), 'fence_value'), 2n ** 63n + 1n, true)).bytes;
    const layoutOp = byName('CREATE_INPUT_LAYOUT');
    const layout = synthesizer.build(layoutOp, (b) => b.set(Buffer.from('TEX\tCOORD\0junk'), offsetOf(layoutOp, 'elements[0].semantic_name'))).bytes;
    writeCapture(file, [
      { timestampNs: BASE, data: draw, ringOffset: 2n ** 60n },
      { timestampNs: BASE + 10n, data: viewports },
      { timestampNs: BASE + 20n, data: fence },
      { timestampNs: BASE + 30n, data: new Uint8Array(0), comment: overrunMarker(100n) },
      { timestampNs: BASE + 40n, data: layout },
    ]);
    const { code, out, err } = await decode(file, '--profile', PROFILE, '--fields', 'seq,time,offset,name,opcode,size,hdr.type,resource_id,index_count,base_vertex,viewports[1].x,fence_value,elements[0].semantic_name,error,recovered');
    assert.equal(code, 1, err);
    const rows = out.split('\n').slice(0, -1).map((line) => line.split('\t'));
    assert.ok(rows.every((r) => r.length === 15));
    const resource = (bytes: Uint8Array) => String(new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true));
    assert.deepEqual(rows[0], ['0', String(BASE), String(2n ** 60n), 'DRAW_INDEXED', String(byName('DRAW_INDEXED').value), String(draw.length), String(byName('DRAW_INDEXED').value), resource(draw), '36', '-5', '', '', '', '', '0']);
    assert.equal(rows[1]![10], '0.10000000149011612', 'a float32 as JavaScript prints the double it widens to');
    assert.equal(rows[2]![11], String(2n ** 63n + 1n), 'u64 exactly');
    assert.deepEqual(rows[3]!.slice(3, 12), ['', '', '0', '', '', '', '', '', '']);
    assert.match(rows[3]![13]!, /overrun: 100 bytes/);
    assert.equal(rows[4]![12], 'TEX\\tCOORD', 'text up to the NUL, the tab escaped');
  });

  it('refuses a --fields name no command has, with the name the filter language would suggest', async () => {
    const typo = await decode(varied, '--profile', PROFILE, '--fields', 'seq,index_cont');
    assert.equal(typo.code, 2);
    assert.match(typo.err, /--fields: no command has a field "index_cont" — did you mean "index_count"\?/);
    const notName = await decode(varied, '--profile', PROFILE, '--fields', 'seq,size+1');
    assert.match(notName.err, /"size\+1" is not a field name/);
    const both = await decode(varied, '--profile', PROFILE, '--fields', 'seq', '--format', 'csv');
    assert.match(both.err, /--fields prints its own format/);
  });

  it('prints --fields of the rows a filter keeps, up to --limit', async () => {
    const { out } = await decode(varied, '--profile', PROFILE, '--fields', 'seq,name', '--filter', 'name == "FENCE"', '--limit', '3');
    const fences = referenceOutput(varied, protocol)
      .split('\n')
      .slice(0, -1)
      .map((l) => JSON.parse(l) as { seq: number; opcodeName?: string })
      .filter((r) => r.opcodeName === 'FENCE')
      .slice(0, 3);
    assert.equal(out, fences.map((r) => `${r.seq}\tFENCE\n`).join(''));
  });
});
