import * as assert from 'node:assert/strict';
import type { RecordFraming } from '../../../extension/protocol/ring/recordFraming';
import { walkRing, type RingItem } from '../../../extension/protocol/ring/ringWalker';
import { writeRecord } from '../../../extension/protocol/ring/ringWriter';
import { seededRandom as random } from '../seededRandom';

// A 16-byte header of four little-endian u32: type, size (including the header), resource, flags.
const FRAMING: RecordFraming = {
  headerSize: 16,
  opcode: { offset: 0, size: 4, byteOrder: 'little' },
  size: { offset: 4, size: 4, byteOrder: 'little', includesHeader: true },
  alignment: 1,
};

function command(opcode: number, size: number, fill: number): Uint8Array {
  const bytes = new Uint8Array(size).fill(fill);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, opcode, true);
  view.setUint32(4, size, true);
  return bytes;
}


function records(items: RingItem[]) {
  return items.flatMap((i) => ('record' in i ? [i.record] : []));
}

function errors(items: RingItem[]) {
  return items.flatMap((i) => ('error' in i ? [i.error.reason] : []));
}

describe('ring walker', () => {
  it('reads back exactly what a writer put in, at random ring positions, records straddling the wrap (property)', () => {
    const next = random(42);
    let straddled = 0;
    for (let trial = 0; trial < 300; trial++) {
      const ring = new Uint8Array(256 + Math.floor(next() * 2048));
      const start = BigInt(Math.floor(next() * 1e12));
      const written: Uint8Array[] = [];
      let position = start;
      for (let used = 0; ; ) {
        const size = 16 + Math.floor(next() * 90);
        if (used + size > ring.byteLength) break;
        const record = command(1 + Math.floor(next() * 50), size, Math.floor(next() * 256));
        position = writeRecord(ring, position, record);
        written.push(record);
        used += size;
      }
      const items = [...walkRing(ring, start, position, FRAMING, { pointers: 'monotonic', onError: 'stop' })];
      assert.deepEqual(errors(items), [], `trial ${trial}`);
      const read = records(items);
      assert.equal(read.length, written.length, `trial ${trial}`);
      read.forEach((r, i) => assert.deepEqual(r.bytes, written[i], `trial ${trial} record ${i}`));
      straddled += read.filter((r) => r.straddles).length;
    }
    assert.ok(straddled > 100, `only ${straddled} records straddled the wrap`);
  });

  it('honours wrapped offsets and record alignment', () => {
    const ring = new Uint8Array(128);
    let position = 100n;
    const framing = { ...FRAMING, alignment: 8 };
    const a = command(7, 20, 1);
    const b = command(8, 30, 2);
    position = writeRecord(ring, position, a, 8);
    position = writeRecord(ring, position, b, 8);
    const items = [...walkRing(ring, 100n, position % 128n, framing, { pointers: 'wrapped', onError: 'stop' })];
    assert.deepEqual(records(items).map((r) => [r.opcode, r.size, r.ringOffset, r.straddles]), [[7, 20, 100, false], [8, 30, 124, true]]);
  });

  it('turns every impossible size into an error record with the reason, and never reads out of bounds', () => {
    const cases: [string, (ring: Uint8Array) => bigint, RegExp][] = [
      ['size zero', (ring) => { ring.set(command(1, 16, 0)); new DataView(ring.buffer).setUint32(4, 0, true); return 64n; }, /size field is 0/],
      ['smaller than the header', (ring) => { ring.set(command(1, 16, 0)); new DataView(ring.buffer).setUint32(4, 8, true); return 64n; }, /smaller than the command header/],
      ['larger than the ring', (ring) => { ring.set(command(1, 16, 0)); new DataView(ring.buffer).setUint32(4, 4096, true); return 64n; }, /larger than the ring/],
      ['past the producer', (ring) => { ring.set(command(1, 48, 0)); return 32n; }, /runs past the producer/],
      ['a partial header', (ring) => { ring.set(command(1, 16, 0)); return 24n; }, /8 bytes before the producer/],
    ];
    for (const [name, setup, reason] of cases) {
      const ring = new Uint8Array(256);
      const to = setup(ring);
      const items = [...walkRing(ring, 0n, to, FRAMING, { pointers: 'monotonic', onError: 'stop' })];
      assert.match(errors(items).at(-1) ?? '', reason, name);
    }
    const overrun = [...walkRing(new Uint8Array(64), 0n, 65n, FRAMING, { pointers: 'monotonic', onError: 'stop' })];
    assert.match(errors(overrun)[0]!, /overrun/);
  });

  it('resyncs after garbage when asked to, and finds the records after it', () => {
    const ring = new Uint8Array(512);
    let position = writeRecord(ring, 0n, command(3, 24, 0));
    ring.fill(0xee, 24, 40); // 16 bytes of garbage
    position = writeRecord(ring, 40n, command(4, 32, 0));
    position = writeRecord(ring, position, command(5, 16, 0));
    const items = [...walkRing(ring, 0n, position, FRAMING, { pointers: 'monotonic', onError: 'resync', isKnownOpcode: (o) => Number(o) < 10 })];
    assert.deepEqual(records(items).map((r) => r.opcode), [3, 4, 5]);
    assert.equal(errors(items).length, 1);
  });

  it('ends on random garbage in bounded steps (fuzz)', () => {
    const next = random(7);
    for (let trial = 0; trial < 2000; trial++) {
      const ring = new Uint8Array(32 + Math.floor(next() * 512));
      for (let i = 0; i < ring.length; i++) ring[i] = next() < 0.7 ? Math.floor(next() * 64) : Math.floor(next() * 256);
      const from = BigInt(Math.floor(next() * 1000));
      const to = from + BigInt(Math.floor(next() * ring.length * 1.2));
      let count = 0;
      for (const item of walkRing(ring, from, to, FRAMING, { pointers: 'monotonic', onError: next() < 0.5 ? 'stop' : 'resync' })) {
        count++;
        if ('record' in item) assert.ok(item.record.bytes.byteLength === item.record.size);
      }
      assert.ok(count <= ring.length, `trial ${trial}: ${count} items from ${ring.length} bytes`);
    }
  });
});
