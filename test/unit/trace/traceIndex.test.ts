import * as assert from 'node:assert/strict';
import { readPcapng } from '../../../extension/protocol/capture/pcapngReader';
import { PcapngWriter } from '../../../extension/protocol/capture/pcapngWriter';
import type { RecordFraming } from '../../../extension/protocol/ring/recordFraming';
import { walkRing } from '../../../extension/protocol/ring/ringWalker';
import { writeRecord } from '../../../extension/protocol/ring/ringWriter';
import { indexCapture, indexRing } from '../../../extension/protocol/trace/traceIndex';
import { commandBytes as command } from './commandBytes';

const FRAMING: RecordFraming = { headerSize: 16, opcode: { offset: 0, size: 4, byteOrder: 'little' }, size: { offset: 4, size: 4, byteOrder: 'little', includesHeader: true }, alignment: 1 };


describe('trace index (the fast pass)', () => {
  const commands = Array.from({ length: 5000 }, (_, i) => (i % 50 === 49 ? command(0x301, 24, BigInt(i) + (1n << 60n)) : command(0x200 + (i % 7), 16 + ((i * 13) % 200))));

  it('indexes a capture exactly as the full reader reads it, with fence values and times', () => {
    const chunks: Uint8Array[] = [];
    const writer = new PcapngWriter((c) => chunks.push(c.slice()));
    commands.forEach((bytes, i) => writer.writePacket({ timestampNs: 1_700_000_000_123_456_789n + BigInt(i) * 333n, data: bytes, ringOffset: i }));
    writer.close();
    const capture = Buffer.concat(chunks);
    const index = indexCapture(capture, FRAMING, { opcode: 0x301, offset: 16 })!;
    index.trim();
    const packets = readPcapng(capture).packets;
    assert.equal(index.count, packets.length);
    assert.equal(index.baseTime, 1_700_000_000_123_456_789n);
    for (let i = 0; i < index.count; i++) {
      assert.equal(index.sizes[i], packets[i]!.data.length);
      assert.equal(index.opcodeAt(i), new DataView(packets[i]!.data.buffer, packets[i]!.data.byteOffset).getUint32(0, true));
      assert.equal(index.times[i], i * 333);
      assert.equal(capture.subarray(index.offsets[i], index.offsets[i]! + index.sizes[i]!).compare(packets[i]!.data), 0);
    }
    assert.equal(index.fenceCount, 100);
    assert.equal(index.fenceValues[0], 49n + (1n << 60n));
    assert.ok(index.bytesPerCommand <= 24, `${index.bytesPerCommand} bytes per command`);
  });

  it('indexes a ring image like the walker, across the wrap', () => {
    const ringSize = commands.reduce((n, c) => n + c.length, 0);
    const ring = new Uint8Array(ringSize);
    const from = 7n * BigInt(ringSize) + 12345n;
    let position = from;
    for (const c of commands) position = writeRecord(ring, position, c);
    const { index, error } = indexRing(ring, from, position, FRAMING);
    assert.equal(error, undefined);
    const walked = [...walkRing(ring, from, position, FRAMING, { pointers: 'monotonic', onError: 'stop' })].flatMap((i) => ('record' in i ? [i.record] : []));
    assert.equal(index.count, walked.length);
    walked.forEach((r, i) => assert.deepEqual([index.offsets[i], index.sizes[i], index.opcodeAt(i)], [r.ringOffset, r.size, r.opcode]));
  });

  it('stops at an impossible size with the reason instead of running on', () => {
    const ring = new Uint8Array(256);
    writeRecord(ring, 0n, command(1, 32));
    new DataView(ring.buffer).setUint32(32 + 4, 999, true);
    const { index, error } = indexRing(ring, 0n, 200n, FRAMING);
    assert.equal(index.count, 1);
    assert.match(error ?? '', /size 999 is impossible/);
  });
});
