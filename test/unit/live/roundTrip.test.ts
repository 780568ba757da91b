import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readHeaderFile } from '../../../extension/cli/nodeFiles';
import { readPcapng } from '../../../extension/protocol/capture/pcapngReader';
import { PcapngWriter } from '../../../extension/protocol/capture/pcapngWriter';
import { RingSnooper } from '../../../extension/protocol/live/ringSnooper';
import { loadProtocol } from '../../../extension/protocol/profile/loadProtocol';
import { CommandStream } from '../../../extension/protocol/simulate/commandStream';
import { CommandSynthesizer } from '../../../extension/protocol/simulate/commandSynthesizer';
import { fenceTarget, RingSimulator } from '../../../extension/protocol/simulate/ringSimulator';
import { repoRoot } from '../../harness/paths';
import { gpupv } from '../protocol/runGpupv';

const PROFILE = join(repoRoot, 'demo', 'gpupv.json');
const FENCE = { opcode: 'PVGPU_CMD_FENCE', valueField: 'fence_value' };

describe('live ring: simulator -> snoop -> pcapng -> decode', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gpupv-live-'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('decodes exactly the commands the simulator wrote, records straddling the wrap included', async function () {
    this.timeout(30_000);
    const protocol = await loadProtocol(PROFILE, readHeaderFile);
    const fence = fenceTarget(protocol, FENCE)!;
    const shm = join(dir, 'ring.shm');
    const simulator = new RingSimulator({ file: shm, protocol, fence, rate: 20_000, pattern: 'stress', ringSize: 256 * 1024, seed: 7, fenceLatencyMs: 1 });
    const snooper = new RingSnooper(shm, protocol, { opcode: fence.opcode.value, valueOffset: fence.value.offset, valueSize: fence.value.size });
    const chunks: Uint8Array[] = [];
    const writer = new PcapngWriter((chunk) => chunks.push(chunk.slice()));
    const seen = { commands: 0, overruns: 0, straddling: 0, fences: 0, errors: [] as string[] };
    const record = () => {
      for (const event of snooper.poll()) {
        if (event.kind === 'command') {
          writer.writePacket({ timestampNs: event.timeNs, data: event.bytes, ringOffset: event.ringOffset });
          seen.commands++;
          if (event.ringOffset + event.bytes.length > simulator.geometry.ringSize) seen.straddling++;
        } else if (event.kind === 'overrun') seen.overruns++;
        else if (event.kind === 'fence') seen.fences++;
        else if (event.kind === 'error') seen.errors.push(event.message);
      }
    };
    const state = { running: true };
    const snooping = (async () => {
      while (state.running) {
        record();
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      record();
    })();
    const stats = await simulator.run(1500);
    state.running = false;
    await snooping;
    snooper.close();
    writer.close();
    const capture = join(dir, 'live.pcapng');
    writeFileSync(capture, Buffer.concat(chunks));

    assert.deepEqual(seen.errors, []);
    assert.equal(seen.overruns, 0);
    assert.equal(seen.commands, stats.commands);
    assert.ok(seen.straddling > 0, 'no command straddled the end of the ring');
    assert.ok(seen.fences > 0 && seen.fences <= stats.fences, `fences timed: ${seen.fences}`);

    // The same seed builds the same stream: that is what the simulator wrote.
    const expected = new CommandStream(new CommandSynthesizer(protocol.analysis.layoutEngine, protocol.command, 7), protocol.command, 'stress', fence);
    const { code, out, err } = await gpupv('decode', capture, '--profile', PROFILE, '--format', 'jsonl');
    assert.equal(code, 0, err);
    const decoded = out.split('\n').map((line) => JSON.parse(line) as { opcode: number; size: number; fields: Record<string, unknown> });
    assert.equal(decoded.length, stats.commands);
    const packets = readPcapng(readFileSync(capture)).packets;
    for (let i = 0; i < decoded.length; i++) {
      const command = expected.next();
      const line = decoded[i]!;
      assert.ok(Buffer.compare(packets[i]!.data, command.bytes) === 0, `command ${i}: the captured bytes differ from what the simulator wrote`);
      assert.deepEqual([line.opcode, line.size], [Number(command.opcode.value), command.bytes.length], `command ${i}`);
      if (command.fenceValue !== undefined) assert.equal(line.fields.fence_value, Number(command.fenceValue), `fence value of command ${i}`);
    }
  });

  it('reports a mapping that disappears while snooping, and stops', async () => {
    const protocol = await loadProtocol(PROFILE, readHeaderFile);
    const shm = join(dir, 'gone.shm');
    const simulator = new RingSimulator({ file: shm, protocol, rate: 1000, pattern: 'frames', ringSize: 65536 });
    await simulator.run(20);
    const snooper = new RingSnooper(shm, protocol);
    assert.ok(snooper.poll().some((e) => e.kind === 'occupancy'));
    writeFileSync(shm, new Uint8Array(100)); // truncated under the snooper
    const events = snooper.poll();
    assert.equal(events.length, 1);
    assert.match(events[0]!.kind === 'error' ? events[0]!.message : '', /smaller than the control region: the mapping shrank or went away/);
    assert.deepEqual(snooper.poll(), [], 'a closed snooper reports nothing more');
  });
});
