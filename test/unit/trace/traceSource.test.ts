import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPcapng } from '../../../extension/protocol/capture/pcapngReader';
import { PcapngWriter, type PcapngPacketInput } from '../../../extension/protocol/capture/pcapngWriter';
import { readHeaderFile } from '../../../extension/protocol/localFiles';
import { loadProtocol, type LoadedProtocol } from '../../../extension/protocol/profile/loadProtocol';
import { writeRecord } from '../../../extension/protocol/ring/ringWriter';
import { CaptureTraceSource } from '../../../extension/protocol/trace/captureSource';
import { openTraceFile } from '../../../extension/protocol/trace/openTrace';
import { SnapshotTraceSource } from '../../../extension/protocol/trace/snapshotSource';
import { fenceCompletedMarker, occupancyMarker, overrunMarker } from '../../../extension/protocol/trace/traceEvents';
import { repoRoot } from '../../harness/paths';
import { commandBytes as command } from './commandBytes';

const PROFILE = join(repoRoot, 'demo', 'gpupv.json');
const BASE = 1_700_000_000_123_456_789n;

function writeCapture(file: string, packets: readonly PcapngPacketInput[]): Buffer {
  const chunks: Uint8Array[] = [];
  const writer = new PcapngWriter((c) => chunks.push(c.slice()));
  for (const p of packets) writer.writePacket(p);
  writer.close();
  const bytes = Buffer.concat(chunks);
  writeFileSync(file, bytes);
  return bytes;
}

describe('trace sources', () => {
  let dir: string;
  let protocol: LoadedProtocol;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gpupv-trace-'));
    protocol = await loadProtocol(PROFILE, readHeaderFile);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('a capture', () => {
    // Draws of many sizes, a fence (PVGPU_CMD_FENCE = 0x301) every 50th command.
    const commands = Array.from({ length: 5000 }, (_, i) => (i % 50 === 49 ? command(0x301, 24, BigInt(i) + (1n << 60n)) : command(0x201 + (i % 3), 16 + ((i * 13) % 200))));
    let file: string;
    let bytes: Buffer;

    before(() => {
      file = join(dir, 'capture.pcapng');
      bytes = writeCapture(
        file,
        commands.map((data, i) => ({ timestampNs: BASE + BigInt(i) * 333n, data, ringOffset: 0x40 * i })),
      );
    });

    for (const chunkBytes of [4 * 1024 * 1024, 997]) {
      it(`is indexed exactly as the pcapng reader reads it (${chunkBytes}-byte chunks)`, () => {
        const source = new CaptureTraceSource(file, protocol, chunkBytes);
        while (source.indexNext());
        assert.equal(source.problem, undefined);
        assert.equal(source.complete, true);
        const packets = readPcapng(bytes).packets;
        const index = source.index;
        assert.equal(index.count, packets.length);
        assert.equal(index.baseTime, BASE);
        const rows = source.decodeRows(0, index.count);
        rows.forEach((row, i) => {
          assert.equal(row.time, BASE + BigInt(i) * 333n);
          assert.equal(index.times[i], i * 333);
          assert.equal(Buffer.compare(row.bytes, packets[i]!.data), 0, `row ${i}`);
          assert.equal(row.opcode, new DataView(packets[i]!.data.buffer, packets[i]!.data.byteOffset).getUint32(0, true));
        });
        assert.equal(index.fenceCount, 100);
        assert.equal(index.fenceValues[0], 49n + (1n << 60n));
        assert.ok(index.bytesPerRow <= 24, `${index.bytesPerRow} bytes per row`);
        source.close();
      });
    }

    it('reads each row\u2019s ring offset back from its packet', () => {
      const source = new CaptureTraceSource(file, protocol);
      source.indexNext();
      // Numbers while exact, as a snapshot gives them.
      assert.deepEqual([0, 1, 4999].map((seq) => source.ringOffsetOf(seq)), [0, 0x40, 0x40 * 4999]);
      source.close();
    });

    it('drops rows from the front and still serves the newest, with statistics over the whole trace', () => {
      const source = new CaptureTraceSource(file, protocol, 4096);
      const seqs: number[] = [];
      while (source.indexNext()) {
        source.matchRows(undefined, source.index.firstSeq, source.index.endSeq, (seq) => void seqs.push(seq));
        source.index.dropBefore(source.index.endSeq);
      }
      assert.deepEqual(seqs, commands.map((_, i) => i));
      assert.ok(source.index.count < 100, `${source.index.count} rows still held`);
      const stats = source.statistics();
      assert.equal(stats.commands, 5000);
      assert.deepEqual(stats.opcodes.map((o) => o.name).sort(), ['DRAW', 'DRAW_INDEXED', 'DRAW_INSTANCED', 'FENCE']);
      source.close();
    });
  });

  it('turns in-band events into fence completions, overrun rows and occupancy samples; short packets into error rows', () => {
    const file = join(dir, 'events.pcapng');
    const ms = 1_000_000n;
    writeCapture(file, [
      { timestampNs: BASE, data: command(0x201, 28) },
      { timestampNs: BASE + 1n * ms, data: command(0x301, 24, 7n) },
      { timestampNs: BASE + 2n * ms, data: new Uint8Array(0), comment: occupancyMarker(4096) },
      { timestampNs: BASE + 4n * ms, data: new Uint8Array(0), comment: fenceCompletedMarker(7n) },
      { timestampNs: BASE + 5n * ms, data: new Uint8Array(0), comment: overrunMarker(512n) },
      { timestampNs: BASE + 6n * ms, data: new Uint8Array(8) },
      { timestampNs: BASE + 7n * ms, data: command(0x301, 24, 8n) },
    ]);
    const source = new CaptureTraceSource(file, protocol);
    while (source.indexNext());
    const rows = source.decodeRows(0, 10);
    assert.deepEqual(rows.map((r) => [r.seq, r.kind, r.opcodeName]), [
      [0, 'command', 'DRAW'],
      [1, 'command', 'FENCE'],
      [2, 'overrun', ''],
      [3, 'error', ''],
      [4, 'command', 'FENCE'],
    ]);
    assert.match(rows[2]!.error!, /512 bytes/);
    assert.match(rows[3]!.error!, /8 bytes, fewer than a command header \(16\)/);
    const index = source.index;
    assert.deepEqual([index.fenceAt(0).completed, index.fenceAt(0).completedAt, index.fenceAt(1).completed], [true, 4_000_000, false]);
    assert.deepEqual([index.occupancyCount, index.occupancyTimes[0], index.occupancyBytes[0]], [1, 2_000_000, 4096]);
    const stats = source.statistics();
    assert.deepEqual([stats.errors, stats.overruns.count, stats.overruns.lostBytes, stats.fences.completed, stats.fences.pending, stats.fences.latencyMs?.p50], [1, 1, 512n, 1, 1, 3]);
    source.close();
  });

  it('keeps every command before the damage of a truncated capture and says where it stopped', () => {
    const file = join(dir, 'cut.pcapng');
    const whole = writeCapture(file, Array.from({ length: 40 }, (_, i) => ({ timestampNs: BASE + BigInt(i), data: command(0x201, 64) })));
    writeFileSync(file, whole.subarray(0, whole.length - 30));
    const source = openTraceFile(file, protocol);
    assert.ok(source instanceof CaptureTraceSource);
    while (source.indexNext());
    assert.equal(source.index.count, 39);
    assert.match(source.problem ?? '', /cut\.pcapng: block 41 at byte \d+: the file ends \d+ bytes into the \d+-byte Enhanced Packet Block/);
    source.close();
  });

  it('runs a filter over rows straight from their bytes', () => {
    const file = join(dir, 'filter.pcapng');
    const packets = Array.from({ length: 300 }, (_, i) => {
      const data = command(0x202, 48);
      const view = new DataView(data.buffer);
      view.setUint32(8, i % 5, true); // resource_id
      view.setUint32(16, i, true); // index_count
      return { timestampNs: BASE + BigInt(i) * 1000n, data };
    });
    writeCapture(file, packets);
    const source = new CaptureTraceSource(file, protocol);
    while (source.indexNext());
    const filter = source.compileFilter('opcode == DRAW_INDEXED && index_count >= 100 && resource_id in (2, 3) && time < 250000');
    assert.ok(!Array.isArray(filter), JSON.stringify(filter));
    const matched: number[] = [];
    source.matchRows(filter, 0, 300, (seq) => void matched.push(seq));
    assert.deepEqual(matched, packets.map((_, i) => i).filter((i) => i >= 100 && i < 250 && (i % 5 === 2 || i % 5 === 3)));
    const errors = source.compileFilter('index_cnt > 3');
    assert.ok(Array.isArray(errors) && errors[0]!.message.includes('index_cnt'));
    source.close();
  });

  it('reads a ring snapshot: recovered history, then pending commands, the control region decoded', () => {
    const ringSize = 2048;
    const image = new Uint8Array(0x1000 + ringSize);
    const view = new DataView(image.buffer);
    view.setUint32(0, 0x50564750, true); // magic
    view.setUint32(0x10, 0x1000, true);
    view.setUint32(0x14, ringSize, true);
    const ring = image.subarray(0x1000);
    let position = 5000n;
    const starts: bigint[] = [];
    for (let i = 0; i < 60; i++) {
      starts.push(position);
      position = writeRecord(ring, position, i % 10 === 9 ? command(0x301, 24, BigInt(i)) : command(0x201, 28));
    }
    view.setBigUint64(0x20, position, true);
    view.setBigUint64(0x60, starts[55]!, true);
    view.setBigUint64(0xe0, 49n, true); // host_fence_completed
    const file = join(dir, 'hang.bin');
    writeFileSync(file, image);
    const source = openTraceFile(file, protocol);
    assert.ok(source instanceof SnapshotTraceSource);
    assert.equal(source.problem, undefined);
    const info = source.snapshot!;
    assert.deepEqual([info.producer, info.consumer, info.pending, info.ringSize], [position, starts[55], 5, ringSize]);
    assert.equal(info.control.fields.magic, 0x50564750);
    const rows = source.decodeRows(0, source.index.count);
    const pending = rows.filter((r) => !r.recovered);
    assert.deepEqual(pending.map((r) => BigInt(r.offset)), starts.slice(55));
    assert.ok(rows.filter((r) => r.recovered).length > 10);
    // Fences up to 49 are done (the control region says so), the one at 59 is not.
    const fences = Array.from({ length: source.index.fenceCount }, (_, i) => source.index.fenceAt(i));
    assert.deepEqual(fences.map((f) => [f.value, f.completed]).slice(-2), [[49n, true], [59n, false]]);
    source.close();
  });

  it('says why a file is no snapshot instead of failing', () => {
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'not a ring');
    const source = openTraceFile(file, protocol);
    assert.equal(source.index.count, 0);
    assert.match(source.problem ?? '', /notes\.txt: the image is 10 bytes, smaller than the control region PvgpuControlRegion \(4096 bytes\)/);
    source.close();
  });

  it('refuses an image whose magic is not the protocol\u2019s, naming the value expected and the one found', () => {
    const image = new Uint8Array(0x2000);
    new DataView(image.buffer).setUint32(0, 0x46464952, true); // "RIFF"
    const file = join(dir, 'sound.wav');
    writeFileSync(file, image);
    const source = openTraceFile(file, protocol);
    assert.equal(source.index.count, 0);
    assert.equal(source.problem, `${file}: PvgpuControlRegion.magic is 0x46464952, not PVGPU_MAGIC (0x50564750): this is not a ring of this protocol (or the host has not initialised it yet)`);
    source.close();
  });

  it('refuses a control region that claims an absurd ring', () => {
    const image = new Uint8Array(0x1000);
    new DataView(image.buffer).setUint32(0, 0x50564750, true); // magic
    new DataView(image.buffer).setUint32(0x14, 0xffff_ff00, true);
    const file = join(dir, 'huge.bin');
    writeFileSync(file, image);
    const source = openTraceFile(file, protocol);
    assert.match(source.problem ?? '', /more than the 512 MiB a driver's ring can plausibly be/);
    source.close();
  });
});
