import type { RecordFraming } from '../../../extension/protocol/ring/recordFraming';
import { walkRing } from '../../../extension/protocol/ring/ringWalker';
import { seededRandom as random } from '../seededRandom';

// The long fuzz run of the ring walker (the test suite runs a seeded 2,000 cases):
//   node out/test/unit/ring/ringWalkerFuzzLong.js [cases] [seed]
// Random and mutated rings, random pointers (monotonic and wrapped), stop and resync: every
// walk must end, yield records whose bytes are exactly their size, and never more items than
// the bytes between the pointers allow.

const FRAMING: RecordFraming = { headerSize: 16, opcode: { offset: 0, size: 4, byteOrder: 'little' }, size: { offset: 4, size: 4, byteOrder: 'little', includesHeader: true }, alignment: 1 };


function fuzzCase(next: () => number): { items: number; records: number; errors: number } {
  const ring = new Uint8Array(16 + Math.floor(next() * 2048));
  // Mostly plausible records with mutations, sometimes pure noise.
  if (next() < 0.7) {
    let at = 0;
    while (at + 16 <= ring.length) {
      const size = 16 + Math.floor(next() * 64);
      new DataView(ring.buffer).setUint32(at, Math.floor(next() * 8), true);
      new DataView(ring.buffer).setUint32(at + 4, next() < 0.05 ? Math.floor(next() * 0xffffffff) : size, true);
      at += size;
    }
    for (let m = 0; m < 1 + next() * 4; m++) ring[Math.floor(next() * ring.length)] = Math.floor(next() * 256);
  } else {
    for (let i = 0; i < ring.length; i++) ring[i] = Math.floor(next() * 256);
  }
  const wrapped = next() < 0.3;
  const from = wrapped ? BigInt(Math.floor(next() * ring.length)) : BigInt(Math.floor(next() * 1e9));
  const span = BigInt(Math.floor(next() * ring.length * 1.1));
  const to = wrapped ? (from + span) % BigInt(ring.length) : from + span;
  let items = 0;
  let records = 0;
  let errors = 0;
  for (const item of walkRing(ring, from, to, FRAMING, { pointers: wrapped ? 'wrapped' : 'monotonic', onError: next() < 0.5 ? 'stop' : 'resync', isKnownOpcode: (o) => Number(o) < 8 })) {
    items++;
    if ('record' in item) {
      records++;
      if (item.record.bytes.byteLength !== item.record.size) throw new Error('a record whose bytes are not its size');
    } else errors++;
    if (items > ring.length + 1) throw new Error(`${items} items from a ${ring.length}-byte ring: the walk does not end`);
  }
  return { items, records, errors };
}

if (require.main === module) {
  const cases = Number(process.argv[2] ?? 100_000);
  const next = random(Number(process.argv[3] ?? 0x5eed));
  const start = performance.now();
  const total = { items: 0, records: 0, errors: 0 };
  for (let i = 0; i < cases; i++) {
    const r = fuzzCase(next);
    total.items += r.items;
    total.records += r.records;
    total.errors += r.errors;
  }
  console.log(`ring walker fuzz: ${cases} cases, ${total.records} records, ${total.errors} error records, ${((performance.now() - start) / 1000).toFixed(1)} s, 0 failures`);
}

export { fuzzCase };
