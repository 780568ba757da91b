import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeHeader } from '../../../extension/protocol/headerAnalysis';
import { resolveCommandProfile } from '../../../extension/protocol/profile/commandProfile';
import { resolveRingProfile } from '../../../extension/protocol/profile/ringProfile';
import { readRingSnapshot, SnapshotError } from '../../../extension/protocol/ring/ringSnapshot';
import { writeRecord } from '../../../extension/protocol/ring/ringWriter';
import { repoRoot } from '../../harness/paths';

const RING_OFFSET = 0x1000;

async function sampleProfiles() {
  const analysis = await analyzeHeader(join(repoRoot, 'demo', 'include', 'pvgpu_protocol.h'), { abi: 'msvc-x64', readFile: (p) => readFileSync(p, 'utf8') });
  const command = resolveCommandProfile(analysis, { header: 'PvgpuCommandHeader', opcodeField: 'type', sizeField: 'size', opcodes: { macroPrefix: 'PVGPU_CMD_' }, payloads: { structPrefix: 'PvgpuCmd' } }).profile!;
  const { profile: ring, diagnostics } = resolveRingProfile(analysis, {
    control: 'PvgpuControlRegion',
    producerField: 'producer_ptr',
    consumerField: 'consumer_ptr',
    ringOffsetField: 'ring_offset',
    ringSizeField: 'ring_size',
    completedFenceField: 'host_fence_completed',
  });
  assert.ok(ring, diagnostics.map((d) => d.message).join('\n'));
  return { command, ring, opcodes: [...command.opcodes.values()].filter((o) => o.payload) };
}

describe('ring snapshots', () => {
  it('decodes pending commands and recovers the consumed history that leads exactly to the consumer', async () => {
    const { command, ring, opcodes } = await sampleProfiles();
    const ringSize = 4096;
    const image = new Uint8Array(RING_OFFSET + ringSize);
    const view = new DataView(image.buffer);
    const field = (name: string) => ring.control.fields.find((f) => f.path === name)!.offset;
    view.setUint32(field('ring_offset'), RING_OFFSET, true);
    view.setUint32(field('ring_size'), ringSize, true);
    const bytesOf = (index: number) => {
      const opcode = opcodes[index % opcodes.length]!;
      const record = new Uint8Array(opcode.payload!.size).fill(0xa5);
      new DataView(record.buffer).setUint32(0, Number(opcode.value), true);
      new DataView(record.buffer).setUint32(4, record.length, true);
      return record;
    };
    // Fill the ring several times over so old history is overwritten, ending with records that straddle the wrap.
    const ringBytes = image.subarray(RING_OFFSET);
    const written: { start: bigint; bytes: Uint8Array }[] = [];
    let position = 1_000_000n;
    for (let i = 0; position < 1_000_000n + 3n * BigInt(ringSize); i++) {
      const bytes = bytesOf(i);
      written.push({ start: position, bytes });
      position = writeRecord(ringBytes, position, bytes);
    }
    const producer = position;
    const consumer = written[written.length - 5]!.start; // five commands still pending
    view.setBigUint64(field('producer_ptr'), producer, true);
    view.setBigUint64(field('consumer_ptr'), consumer, true);
    view.setBigUint64(field('host_fence_completed'), 41n, true);

    const known = (o: number | bigint) => command.opcodes.has(BigInt(o));
    const snapshot = readRingSnapshot(image, ring, command.framing, known);
    const pending = snapshot.pending.flatMap((i) => ('record' in i ? [i.record] : []));
    assert.deepEqual(pending.map((r) => r.bytes), written.slice(-5).map((w) => w.bytes));
    assert.equal(snapshot.completedFence, 41);
    // History: everything still intact in the ring before the consumer, oldest first.
    assert.ok(snapshot.recovered.length > 10, `recovered only ${snapshot.recovered.length}`);
    const expected = written.filter((w) => w.start >= producer - BigInt(ringSize) && w.start < consumer);
    assert.deepEqual(snapshot.recovered.map((r) => r.position), expected.map((w) => w.start));
    assert.ok(snapshot.recovered.every((r, i) => Buffer.compare(r.bytes, expected[i]!.bytes) === 0));
  });

  it('says what is wrong with a truncated image or an impossible control region', async () => {
    const { command, ring } = await sampleProfiles();
    const known = () => true;
    assert.throws(() => readRingSnapshot(new Uint8Array(100), ring, command.framing, known), (e: unknown) => e instanceof SnapshotError && e.message.includes('smaller than the control region PvgpuControlRegion (4096 bytes)'));
    const image = new Uint8Array(8192);
    const view = new DataView(image.buffer);
    view.setUint32(ring.control.fields.find((f) => f.path === 'ring_offset')!.offset, RING_OFFSET, true);
    view.setUint32(ring.control.fields.find((f) => f.path === 'ring_size')!.offset, 1 << 20, true);
    assert.throws(() => readRingSnapshot(image, ring, command.framing, known), /runs past the end of the 8192-byte image: is the dump truncated\?/);
  });
});
