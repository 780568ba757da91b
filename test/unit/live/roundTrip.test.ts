import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readHeaderFile } from '../../../extension/protocol/localFiles';
import { readPcapng } from '../../../extension/protocol/capture/pcapngReader';
import { PcapngWriter } from '../../../extension/protocol/capture/pcapngWriter';
import { FileMapping } from '../../../extension/protocol/live/fileMapping';
import { RingSnooper } from '../../../extension/protocol/live/ringSnooper';
import { loadProtocol } from '../../../extension/protocol/profile/loadProtocol';
import { CommandStream } from '../../../extension/protocol/simulate/commandStream';
import { CommandSynthesizer } from '../../../extension/protocol/simulate/commandSynthesizer';
import { RingSimulator } from '../../../extension/protocol/simulate/ringSimulator';
import { openLiveRing } from '../../../extension/protocol/trace/openTrace';
import { repoRoot } from '../../harness/paths';
import { gpupv } from '../protocol/runGpupv';

const PROFILE = join(repoRoot, 'demo', 'gpupv.json');

describe('live ring: simulator -> snoop -> pcapng -> decode', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gpupv-live-'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('decodes exactly the commands the simulator wrote, records straddling the wrap included', async function () {
    this.timeout(30_000);
    const protocol = await loadProtocol(PROFILE, readHeaderFile);
    const fence = protocol.fence!;
    const shm = join(dir, 'ring.shm');
    const simulator = new RingSimulator({ file: shm, protocol, rate: 20_000, pattern: 'stress', ringSize: 256 * 1024, seed: 7, fenceLatencyMs: 1 });
    const snooper = new RingSnooper(FileMapping.open(shm), protocol);
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
    const snooper = new RingSnooper(FileMapping.open(shm), protocol);
    assert.ok(snooper.poll().some((e) => e.kind === 'occupancy'));
    writeFileSync(shm, new Uint8Array(100)); // truncated under the snooper
    const events = snooper.poll();
    assert.equal(events.length, 1);
    assert.match(events[0]!.kind === 'error' ? events[0]!.message : '', /smaller than the control region: the mapping shrank or went away/);
    assert.deepEqual(snooper.poll(), [], 'a closed snooper reports nothing more');
  });
});

describe('live ring as a trace source', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gpupv-live-source-'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('follows the ring, records it, pauses, and ends with a message when the mapping goes away', async function () {
    this.timeout(30_000);
    const protocol = await loadProtocol(PROFILE, readHeaderFile);
    const shm = join(dir, 'ring.shm');
    const simulator = new RingSimulator({ file: shm, protocol, rate: 20_000, pattern: 'stress', ringSize: 256 * 1024, seed: 11, fenceLatencyMs: 1 });
    const live = openLiveRing({ path: shm }, protocol, { intervalMs: 1 });
    const recording = join(dir, 'recorded.pcapng');
    live.startRecording(recording);
    const events: string[] = [];
    live.onEvent((e) => events.push(e.kind));
    live.start();
    const stats = await simulator.run(800);
    // Let the source see the last commands and fence completions.
    await new Promise((resolve) => setTimeout(resolve, 50));
    live.pause();
    assert.equal(live.status.state, 'paused');
    assert.equal(live.index.count, stats.commands, 'every command the simulator wrote is a row');
    assert.equal(live.index.overrunCount, 0);
    const expected = new CommandStream(new CommandSynthesizer(protocol.analysis.layoutEngine, protocol.command, 11), protocol.command, 'stress', protocol.fence);
    const rows = live.decodeRows(0, live.index.count);
    rows.forEach((row, i) => assert.equal(Buffer.compare(row.bytes, expected.next().bytes), 0, `row ${i}`));
    assert.ok(live.index.completedFences > 0, 'no fence completed');
    assert.ok(events.includes('fence'));
    live.resume();
    const afterPause = live.index.count;
    assert.match(live.decodeRow(afterPause - 1)!.error ?? '', /capture paused for \d+\.\d s/);
    writeFileSync(shm, new Uint8Array(100)); // the VM went away
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(live.status.state, 'ended');
    assert.match(live.problem ?? '', /the mapping shrank or went away/);
    assert.ok(events.includes('ended'));
    // The recording was closed and kept: it decodes to the same commands.
    const { code, out, err } = await gpupv('decode', recording, '--profile', PROFILE, '--format', 'jsonl');
    assert.equal(code, 0, err);
    assert.equal(out.split('\n').filter((l) => l.includes('"opcode"')).length, stats.commands);
    live.close();
  });

  it('keeps only the newest rows once the window is full, with the seqs going on', async () => {
    const protocol = await loadProtocol(PROFILE, readHeaderFile);
    const shm = join(dir, 'window.shm');
    const simulator = new RingSimulator({ file: shm, protocol, rate: 20_000, pattern: 'frames', ringSize: 1 << 20 });
    const live = openLiveRing({ path: shm }, protocol, { keepRows: 1000 });
    live.start();
    const stats = await simulator.run(500);
    await new Promise((resolve) => setTimeout(resolve, 30));
    live.stop();
    assert.ok(live.index.count <= 1000 && live.index.count > 0, `${live.index.count} rows held`);
    assert.equal(live.index.endSeq, stats.commands);
    assert.equal(live.statistics().commands, stats.commands, 'counts cover the dropped rows too');
    const last = live.decodeRow(live.index.endSeq - 1)!;
    assert.equal(last.seq, stats.commands - 1);
    live.close();
  });
});
