import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapngWriter } from '../../../extension/protocol/capture/pcapngWriter';
import { readHeaderFile } from '../../../extension/protocol/localFiles';
import { loadProtocol } from '../../../extension/protocol/profile/loadProtocol';
import { fenceCompletedMarker, overrunMarker } from '../../../extension/protocol/trace/traceEvents';
import { repoRoot } from '../../harness/paths';
import { demoCommand } from '../../harness/demoCommands';
import { gpupv } from '../protocol/runGpupv';
import { commandBytes as command } from '../trace/commandBytes';

const PROFILE = join(repoRoot, 'demo', 'gpupv.json');

describe('gpupv stats', () => {
  it('counts commands per opcode and times every fence from submission to completion', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpupv-stats-'));
    try {
      const chunks: Uint8Array[] = [];
      const writer = new PcapngWriter((c) => chunks.push(c.slice()));
      const ms = 1_000_000n;
      // 10 fences (PVGPU_CMD_FENCE = 0x301), each completed (k + 1) ms after it was seen; draws between them.
      for (let k = 0; k < 10; k++) {
        const t = BigInt(k) * 100n * ms;
        writer.writePacket({ timestampNs: t, data: command(0x201, 28) });
        writer.writePacket({ timestampNs: t + 1n, data: command(0x301, 24, BigInt(k + 1)) });
        writer.writePacket({ timestampNs: t + 1n + BigInt(k + 1) * ms, data: new Uint8Array(0), comment: fenceCompletedMarker(BigInt(k + 1)) });
      }
      writer.writePacket({ timestampNs: 2000n * ms, data: new Uint8Array(0), comment: overrunMarker(4096n) });
      writer.close();
      const capture = join(dir, 'fences.pcapng');
      writeFileSync(capture, Buffer.concat(chunks));
      const { code, out } = await gpupv('stats', capture, '--profile', PROFILE, '--json');
      assert.equal(code, 1, 'an overrun in the capture makes the status 1');
      const stats = JSON.parse(out) as {
        commands: number;
        opcodes: { name: string; group: string; count: number; bytes: number; countShare: number }[];
        fences: { completed: number; pending: number; latencyMs: Record<string, number>; groups: { group: string; commands: number; latencyMs: Record<string, number> }[] };
        overruns: { count: number; lostBytes: string };
      };
      assert.equal(stats.commands, 20);
      assert.deepEqual(stats.opcodes.map((o) => [o.name, o.group, o.count, o.bytes, o.countShare]).sort(), [['DRAW', 'draw', 10, 280, 0.5], ['FENCE', 'fence', 10, 240, 0.5]]);
      const { completed, pending, latencyMs } = stats.fences;
      assert.deepEqual({ completed, pending, latencyMs }, { completed: 10, pending: 0, latencyMs: { p50: 5, p90: 9, p99: 10, max: 10 } });
      // Each draw waits for the fence right after it: 1 ns longer than the fence itself.
      assert.deepEqual(stats.fences.groups.map((g) => [g.group, g.commands, g.latencyMs.max]), [['draw', 10, 10.000001], ['fence', 10, 10]]);
      assert.deepEqual(stats.overruns, { count: 1, lostBytes: '4096' });
      // Fence completions are not rows; the overrun is one, after the last command.
      const decoded = await gpupv('decode', capture, '--profile', PROFILE, '--format', 'jsonl');
      const lines = decoded.out.split('\n').map((l) => JSON.parse(l) as { seq: number; kind?: string; error?: string });
      assert.equal(lines.length, 21);
      assert.deepEqual([lines[20]!.seq, lines[20]!.kind], [20, 'overrun']);
      assert.match(lines[20]!.error ?? '', /4096 bytes/);
      assert.equal(decoded.code, 1, 'lost commands make the status 1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints resource lifetime problems with their rows, and fails on them but not on objects left alive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpupv-stats-'));
    try {
      const protocol = await loadProtocol(PROFILE, readHeaderFile);
      const c = (name: string, fields?: Record<string, number>) => demoCommand(protocol, name, fields);
      const write = (name: string, commands: Uint8Array[]) => {
        const chunks: Uint8Array[] = [];
        const writer = new PcapngWriter((chunk) => chunks.push(chunk.slice()));
        commands.forEach((data, i) => writer.writePacket({ timestampNs: BigInt(i) * 1000n, data }));
        writer.close();
        const file = join(dir, name);
        writeFileSync(file, Buffer.concat(chunks));
        return file;
      };
      const leaky = write('leak.pcapng', [c('CREATE_SHADER', { shader_id: 4 }), c('SET_SHADER', { shader_id: 4 }), c('SET_SHADER', { shader_id: 9 })]);
      const left = await gpupv('stats', leaky, '--profile', PROFILE);
      assert.equal(left.code, 0, 'an object alive when the capture ends is listed, not a failure');
      assert.match(left.out, /^ {2}shader: 1 created, 0 destroyed, 2 uses, 1 alive, 1 of unknown origin; 1 never destroyed$/m);
      assert.match(left.out, /^ {4}shader 4 never destroyed: created at #0 \(CREATE_SHADER shader_id\)$/m);
      assert.match(left.out, /note: 1 id was used or destroyed with no create before it/);

      const broken = write('broken.pcapng', [c('CREATE_SHADER', { shader_id: 4 }), c('DESTROY_SHADER', { shader_id: 4 }), c('SET_SHADER', { shader_id: 4 }), c('DESTROY_SHADER', { shader_id: 4 })]);
      const text = await gpupv('stats', broken, '--profile', PROFILE);
      assert.equal(text.code, 1);
      assert.match(text.out, /^resources \(kinds from gpupv.json\):$/m);
      assert.match(text.out, /^ {4}shader 4 used after it was destroyed: destroyed at #1 \(DESTROY_SHADER shader_id\), used at #2 \(SET_SHADER shader_id\)$/m);
      assert.match(text.out, /^ {4}shader 4 destroyed twice: destroyed at #1 \(DESTROY_SHADER shader_id\), destroyed at #3 \(DESTROY_SHADER shader_id\)$/m);
      const json = await gpupv('stats', broken, '--profile', PROFILE, '--json');
      assert.equal(json.code, 1);
      const resources = (JSON.parse(json.out) as { resources: { origin: string; problemCount: number; problems: { kind: string; rows: { seq: number }[] }[] } }).resources;
      assert.equal(resources.origin, 'gpupv.json');
      assert.deepEqual(resources.problems.map((p) => [p.kind, p.rows.map((r) => r.seq)]), [['useAfterDestroy', [1, 2]], ['doubleDestroy', [1, 3]]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
