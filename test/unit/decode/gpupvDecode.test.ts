import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapngWriter } from '../../../extension/protocol/capture/pcapngWriter';
import { analyzeHeader } from '../../../extension/protocol/headerAnalysis';
import { resolveCommandProfile, type OpcodeInfo } from '../../../extension/protocol/profile/commandProfile';
import { repoRoot } from '../../harness/paths';
import { gpupv } from '../protocol/runGpupv';
import { demoSnapshot } from './demoSnapshot';

const PROFILE = join(repoRoot, 'demo', 'gpupv.json');

interface Written {
  opcode: OpcodeInfo;
  bytes: Uint8Array;
  time: bigint;
  offset: number;
}

/** Commands of the sample protocol with recognisable field values. */
async function sampleCommands(count: number): Promise<Written[]> {
  const analysis = await analyzeHeader(join(repoRoot, 'demo', 'include', 'pvgpu_protocol.h'), { abi: 'msvc-x64', readFile: (p) => readFileSync(p, 'utf8') });
  const { profile } = resolveCommandProfile(analysis, { header: 'PvgpuCommandHeader', opcodeField: 'type', sizeField: 'size', opcodes: { macroPrefix: 'PVGPU_CMD_' }, payloads: { structPrefix: 'PvgpuCmd' } });
  const draw = [...profile!.opcodes.values()].find((o) => o.shortName === 'DRAW_INDEXED')!;
  const fence = [...profile!.opcodes.values()].find((o) => o.shortName === 'FENCE')!;
  const commands: Written[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const opcode = i % 3 === 2 ? fence : draw;
    const bytes = new Uint8Array(opcode.payload!.size);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, Number(opcode.value), true);
    view.setUint32(4, bytes.length, true);
    view.setUint32(8, 3 + (i % 2), true); // resource_id
    view.setUint32(12, i % 4 === 0 ? 1 : 0, true); // flags: SYNC on every 4th
    const field = (name: string) => opcode.payload!.fields.find((f) => f.path === name)!.offset;
    if (opcode === draw) view.setUint32(field('index_count'), 500 * i, true);
    else view.setBigUint64(field('fence_value'), 0xffff_ffff_ffff_0000n + BigInt(i), true);
    commands.push({ opcode, bytes, time: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_123n, offset });
    offset += bytes.length;
  }
  return commands;
}

describe('gpupv decode', () => {
  let dir: string;
  let capture: string;
  let written: Written[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gpupv-decode-'));
    capture = join(dir, 'trace.pcapng');
    written = await sampleCommands(30);
    const chunks: Uint8Array[] = [];
    const writer = new PcapngWriter((chunk) => chunks.push(chunk.slice()), { interfaceName: 'demo/ring0' });
    for (const w of written) writer.writePacket({ timestampNs: w.time, data: w.bytes, ringOffset: w.offset });
    writer.close();
    writeFileSync(capture, Buffer.concat(chunks));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('decodes every command of a capture as JSON lines, exactly as written', async () => {
    const { code, out, err } = await gpupv('decode', capture, '--profile', PROFILE, '--format', 'jsonl');
    assert.equal(code, 0, err);
    const lines = out.split('\n').map((l) => JSON.parse(l) as { seq: number; offset: number; time: string; opcodeName: string; size: number; fields: Record<string, unknown>; labels: Record<string, string> });
    assert.equal(lines.length, written.length);
    lines.forEach((line, i) => {
      const w = written[i]!;
      assert.deepEqual([line.seq, line.offset, line.time, line.opcodeName, line.size], [i, w.offset, w.time.toString(), w.opcode.shortName, w.bytes.length]);
      if (w.opcode.shortName === 'DRAW_INDEXED') assert.equal(line.fields.index_count, 500 * i);
      else assert.equal(line.fields.fence_value, (0xffff_ffff_ffff_0000n + BigInt(i)).toString(), 'u64 above 2^53 as a decimal string');
    });
    assert.equal(lines[0]!.labels['hdr.flags'], 'PVGPU_CMD_FLAG_SYNC');
  });

  it('filters with the filter language and limits the output', async () => {
    const draws = await gpupv('decode', capture, '--profile', PROFILE, '--format', 'jsonl', '--filter', 'opcode == DRAW_INDEXED && index_count > 5000 && resource_id in (3)');
    assert.equal(draws.code, 0, draws.err);
    const seqs = draws.out.split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq);
    assert.deepEqual(seqs, written.map((w, i) => ({ w, i })).filter(({ w, i }) => w.opcode.shortName === 'DRAW_INDEXED' && 500 * i > 5000 && i % 2 === 0).map(({ i }) => i));
    const limited = await gpupv('decode', capture, '--profile', PROFILE, '--format', 'csv', '--limit', '3');
    assert.equal(limited.out.split('\n').length, 4);
    assert.match(limited.out.split('\n')[0]!, /^seq,offset,time,opcode,opcodeName,size,error,recovered,fields$/);
    const bad = await gpupv('decode', capture, '--profile', PROFILE, '--filter', 'index_cnt > 5');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /index_cnt[\s\S]*\n {2}\^{9}/);
  });

  it('reports a truncated capture after printing what it could read, with exit status 2', async () => {
    const truncated = join(dir, 'truncated.pcapng');
    const full = readFileSync(capture);
    writeFileSync(truncated, full.subarray(0, full.length - 50));
    const { code, out, err } = await gpupv('decode', truncated, '--profile', PROFILE, '--format', 'jsonl');
    assert.equal(code, 2);
    assert.equal(out.split('\n').length, written.length - 1);
    assert.match(err, /truncated\.pcapng: block \d+ at byte \d+/);
  });

  it('says what is wrong with the profile, naming the file and property', async () => {
    const profile = join(dir, 'gpupv.json');
    writeFileSync(profile, JSON.stringify({ protocol: { headers: [join(repoRoot, 'demo', 'include', 'pvgpu_protocol.h')], command: { header: 'PvgpuCommandHeader', opcodeField: 'kind', opcodes: { macroPrefix: 'PVGPU_CMD_' } } } }));
    const { code, err } = await gpupv('decode', capture, '--profile', profile);
    assert.equal(code, 2);
    assert.equal(err, `${profile}: protocol.command.opcodeField: PvgpuCommandHeader has no field "kind"`);
  });
});

describe('gpupv decode: ring snapshots', () => {
  it('prints the pending commands and marks the recovered history', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpupv-snapshot-'));
    try {
      const commands = await sampleCommands(40);
      // Four commands pending.
      const { image, starts } = demoSnapshot(commands.map((c) => c.bytes), { ringSize: 2048, firstPosition: 5000n, consumerAt: 36 });
      const file = join(dir, 'hang.bin');
      writeFileSync(file, image);
      const { code, out, err } = await gpupv('decode', file, '--profile', PROFILE, '--format', 'jsonl');
      assert.equal(code, 0, err);
      const lines = out.split('\n').map((l) => JSON.parse(l) as { offset: number; opcodeName: string; recovered?: boolean });
      const pending = lines.filter((l) => !l.recovered);
      assert.deepEqual(pending.map((l) => l.offset), starts.slice(36).map(Number));
      const recovered = lines.filter((l) => l.recovered);
      assert.ok(recovered.length > 5, `only ${recovered.length} recovered`);
      assert.deepEqual(recovered.map((l) => l.offset), starts.slice(36 - recovered.length, 36).map(Number));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
