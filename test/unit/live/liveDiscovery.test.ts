import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverRings, liveSources, sharedMemoryFolder } from '../../../extension/protocol/live/liveDiscovery';
import { openSharedMemory } from '../../../extension/protocol/live/openSharedMemory';
import { describeGlance, formatRate, RingGlancer, type RingGlance } from '../../../extension/protocol/live/ringStatus';
import { readHeaderFile } from '../../../extension/protocol/localFiles';
import { loadProtocol, type LoadedProtocol } from '../../../extension/protocol/profile/loadProtocol';
import { writeRecord } from '../../../extension/protocol/ring/ringWriter';
import { RingSimulator } from '../../../extension/protocol/simulate/ringSimulator';
import { repoRoot } from '../../harness/paths';
import { commandBytes } from '../trace/commandBytes';

// The live sources of a workspace: discovery in a shared-memory folder (a temp folder stands
// in for /dev/shm) and a glance at each ring: pointers, occupancy and rate.

const PVGPU_MAGIC = 0x50564750;
const RING_OFFSET = 0x1000;

/** A demo-protocol mapping written by hand: PvgpuControlRegion with magic, geometry and pointers, then the ring. */
function writeRing(file: string, options: { ringSize?: number; producer?: bigint; consumer?: bigint; records?: Uint8Array[]; magic?: number }): void {
  const ringSize = options.ringSize ?? 65536;
  const image = new Uint8Array(RING_OFFSET + ringSize);
  const view = new DataView(image.buffer);
  view.setUint32(0, options.magic ?? PVGPU_MAGIC, true);
  view.setUint32(0x10, RING_OFFSET, true);
  view.setUint32(0x14, ringSize, true);
  let position = options.consumer ?? 0n;
  for (const record of options.records ?? []) position = writeRecord(image.subarray(RING_OFFSET), position, record);
  view.setBigUint64(0x20, options.producer ?? position, true);
  view.setBigUint64(0x60, options.consumer ?? 0n, true);
  writeFileSync(file, image);
}

describe('live sources', () => {
  let dir: string;
  let protocol: LoadedProtocol;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gpupv-shm-dir-'));
    protocol = await loadProtocol(join(repoRoot, 'demo', 'gpupv.json'), readHeaderFile);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('discovery', () => {
    it('finds the files whose control region holds the magic, and skips everything else without reading past it', () => {
      new RingSimulator({ file: join(dir, 'pvgpu_shmem_vm1'), protocol, rate: 1, pattern: 'frames', ringSize: 65536 });
      writeRing(join(dir, 'pvgpu_shmem_vm2'), {});
      writeRing(join(dir, 'other_protocol'), { magic: 0x46464952 });
      writeFileSync(join(dir, 'small'), new Uint8Array(100));
      // Magic right, but the ring it claims does not fit the file: not a usable ring.
      writeFileSync(join(dir, 'truncated'), new Uint8Array([0x50, 0x47, 0x56, 0x50, ...new Uint8Array(4092)]));
      symlinkSync(join(dir, 'pvgpu_shmem_vm1'), join(dir, 'link_to_ring'));
      mkdirSync(join(dir, 'folder'));
      execFileSync('mkfifo', [join(dir, 'fifo')]);
      const result = discoverRings(dir, protocol.ring!);
      assert.equal(result.skipped, undefined);
      assert.deepEqual(result.sources, [
        { id: join(dir, 'pvgpu_shmem_vm1'), name: 'pvgpu_shmem_vm1', location: { path: join(dir, 'pvgpu_shmem_vm1') }, origin: 'discovered' },
        { id: join(dir, 'pvgpu_shmem_vm2'), name: 'pvgpu_shmem_vm2', location: { path: join(dir, 'pvgpu_shmem_vm2') }, origin: 'discovered' },
      ]);
    });

    it('says why it looked for nothing: no magic in the profile, a folder that cannot be listed', () => {
      assert.deepEqual(discoverRings(dir, { ...protocol.ring!, magic: undefined }), { sources: [], skipped: 'protocol.ring has no magicField and magic, so a ring cannot be told from any other file' });
      assert.match(discoverRings(join(dir, 'absent'), protocol.ring!).skipped ?? '', /absent cannot be listed \(ENOENT/);
    });

    it('lists the configured rings first and each discovered one not configured already', () => {
      const configured = { name: 'Win11 guest', location: { path: '/dev/shm/a' }, offset: 0, length: 1 };
      const named = { name: 'Host', location: { mapping: 'Global\\pvgpu_shmem_vm2' }, offset: 0, length: 1 };
      const sources = liveSources({ rings: [configured, named], discover: true }, [
        { id: '/dev/shm/a', name: 'a', location: { path: '/dev/shm/a' }, origin: 'discovered' },
        { id: '/dev/shm/b', name: 'b', location: { path: '/dev/shm/b' }, origin: 'discovered' },
      ]);
      assert.deepEqual(sources.map((s) => [s.id, s.name, s.origin]), [
        ['/dev/shm/a', 'Win11 guest', 'configured'],
        ['Global\\pvgpu_shmem_vm2', 'Host', 'configured'],
        ['/dev/shm/b', 'b', 'discovered'],
      ]);
    });

    it('looks in /dev/shm on Linux only', () => {
      assert.equal(sharedMemoryFolder('linux'), '/dev/shm');
      assert.equal(sharedMemoryFolder('win32'), undefined);
      assert.equal(sharedMemoryFolder('darwin'), undefined);
    });
  });

  describe('a glance at a ring', () => {
    let clock: number;
    let glancer: RingGlancer;

    beforeEach(() => {
      clock = 0;
      glancer = new RingGlancer(protocol.ring!, protocol.command.framing, (location) => openSharedMemory(location), () => clock);
    });

    it('reads producer, consumer and occupancy, then the rate in commands from the record sizes seen', () => {
      const file = join(dir, 'ring');
      const draw = () => commandBytes(0x201, 40);
      const ringSize = 1 << 20;
      writeRing(file, { ringSize, consumer: 1000n, records: Array.from({ length: 10 }, draw) });
      const first = glancer.glance({ path: file });
      assert.ok(first.kind === 'readable');
      assert.deepEqual(first.glance, { producer: 1400n, consumer: 1000n, ringSize, occupancy: 400 });
      assert.equal(describeGlance(first.glance), 'P 1,400 · C 1,000 · <1% full');
      // The producer writes 2,000 records of 40 bytes in half a second: 4,000 commands/s.
      writeRing(file, { ringSize, consumer: 1000n, records: Array.from({ length: 2010 }, draw) });
      clock = 500;
      const second = glancer.glance({ path: file });
      assert.ok(second.kind === 'readable');
      assert.equal(second.glance.occupancy, 80_400);
      assert.deepEqual(second.glance.rate && [Math.round(second.glance.rate.perSecond), second.glance.rate.unit], [4000, 'commands']);
      assert.match(second.glance.rate!.basis, /^the producer's movement \(160\.0 kB\/s over 0\.5 s\) divided by the average record size seen, 40\.0 bytes over \d+ records$/);
      assert.equal(describeGlance(second.glance), 'P 81,400 · C 1,000 · 8% full · 4.0 k cmd/s');
    });

    it('gives bytes/s, and says so, while no record could be read', () => {
      const file = join(dir, 'garbage');
      writeRing(file, { producer: 0n });
      glancer.glance({ path: file });
      writeRing(file, { producer: 3000n }); // zeros in the ring: no record can be walked
      clock = 1000;
      const status = glancer.glance({ path: file });
      assert.ok(status.kind === 'readable' && status.glance.rate);
      assert.deepEqual([status.glance.rate.perSecond, status.glance.rate.unit], [3000, 'bytes']);
      assert.match(status.glance.rate.basis, /no record has been seen yet to tell bytes from commands/);
      assert.equal(describeGlance(status.glance), 'P 3,000 · C 0 · 5% full · 3.0 kB/s');
    });

    it('shows an overrun instead of an occupancy, and says why a ring cannot be read', () => {
      const file = join(dir, 'overrun');
      writeRing(file, { producer: 200_000n, consumer: 0n });
      const overrun = glancer.glance({ path: file });
      assert.ok(overrun.kind === 'readable');
      assert.equal(describeGlance(overrun.glance), 'P 200,000 · C 0 · overrun');
      assert.match(overrun.glance.problem ?? '', /more than the ring holds/);

      writeRing(join(dir, 'wrong'), { magic: 0 });
      assert.deepEqual(glancer.glance({ path: join(dir, 'wrong') }), { kind: 'unreadable', reason: 'PvgpuControlRegion.magic is 0x00000000, not PVGPU_MAGIC (0x50564750): this is not a ring of this protocol (or the host has not initialised it yet)' });
      const missing = glancer.glance({ path: join(dir, 'absent') });
      assert.ok(missing.kind === 'unreadable' && missing.reason.includes('absent: cannot open it for reading'));
    });

    it('formats rates the way a list of rings shows them', () => {
      assert.deepEqual(
        [formatRate(1_234_567, 'commands'), formatRate(850.4, 'commands'), formatRate(12_345, 'commands'), formatRate(4_500_000, 'bytes'), formatRate(12, 'bytes')],
        ['1.2 M cmd/s', '850 cmd/s', '12.3 k cmd/s', '4.5 MB/s', '12 B/s'],
      );
      const glance: RingGlance = { producer: 1_234_560n, consumer: 1_234_000n, ringSize: 16384, occupancy: 560, rate: { perSecond: 1_200_000, unit: 'commands', basis: '' } };
      assert.equal(describeGlance(glance), 'P 1,234,560 · C 1,234,000 · 3% full · 1.2 M cmd/s');
    });
  });
});
