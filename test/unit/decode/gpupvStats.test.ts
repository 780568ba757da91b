import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapngWriter } from '../../../extension/protocol/capture/pcapngWriter';
import { fenceCompletedMarker, overrunMarker } from '../../../extension/protocol/trace/traceEvents';
import { repoRoot } from '../../harness/paths';
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
      const stats = JSON.parse(out) as { commands: number; opcodes: { name: string; count: number; bytes: number }[]; fences: { completed: number; pending: number; latencyMs: Record<string, number> }; overruns: { count: number; lostBytes: string } };
      assert.equal(stats.commands, 20);
      assert.deepEqual(stats.opcodes.map((o) => [o.name, o.count, o.bytes]).sort(), [['DRAW', 10, 280], ['FENCE', 10, 240]]);
      assert.deepEqual(stats.fences, { completed: 10, pending: 0, latencyMs: { p50: 5, p90: 9, p99: 10, max: 10 } });
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
});
