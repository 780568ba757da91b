import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileMapping } from '../../../extension/protocol/live/fileMapping';
import { loadKernel32 } from '../../../extension/protocol/live/kernel32Binding';
import { NamedMapping, windowsErrorMessage } from '../../../extension/protocol/live/namedMapping';
import { openSharedMemory } from '../../../extension/protocol/live/openSharedMemory';
import { SnoopError } from '../../../extension/protocol/live/ringSnooper';
import { SharedMemoryError } from '../../../extension/protocol/live/sharedMemory';
import { readHeaderFile } from '../../../extension/protocol/localFiles';
import { loadProtocol, type LoadedProtocol } from '../../../extension/protocol/profile/loadProtocol';
import { RingSimulator } from '../../../extension/protocol/simulate/ringSimulator';
import { openLiveRing } from '../../../extension/protocol/trace/openTrace';
import { FakeKernel32 } from '../../fakes/kernel32/fakeKernel32';
import { repoRoot } from '../../harness/paths';

// The one interface the snooper reads mappings through: a file-backed mapping (what Linux
// and QEMU use, exercised for real) and a Windows named mapping, exercised over a fake
// kernel32 shaped like the real one.

const NAME = 'Global\\pvgpu_shmem_vm1';

function pattern(size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 7 + 3) & 0xff);
}

describe('shared memory: file-backed mappings', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gpupv-shm-'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads at offsets, zero past the end, and follows the file\u2019s size', () => {
    const file = join(dir, 'ring.shm');
    const bytes = pattern(8192);
    writeFileSync(file, bytes);
    const memory = openSharedMemory({ path: file });
    assert.equal(memory.name, file);
    assert.equal(memory.size(), 8192);
    const target = new Uint8Array(16);
    memory.read(target, 4096);
    assert.deepEqual(target, bytes.subarray(4096, 4112));
    memory.read(target, 8184);
    assert.deepEqual([...target], [...bytes.subarray(8184), 0, 0, 0, 0, 0, 0, 0, 0]);
    writeFileSync(file, new Uint8Array(100));
    assert.equal(memory.size(), 100, 'a truncated mapping reads as its new size');
    memory.close();
    assert.equal(memory.size(), 0);
  });

  it('says why a path cannot be read: missing, a folder, a FIFO (without blocking on it)', () => {
    assert.throws(() => FileMapping.open(join(dir, 'absent')), (e: unknown) => e instanceof SharedMemoryError && e.message.includes('absent: cannot open it for reading (ENOENT'));
    assert.throws(() => FileMapping.open(dir), (e: unknown) => e instanceof SharedMemoryError && e.message.includes('is not a file: a ring lives in a regular file'));
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    assert.throws(() => FileMapping.open(fifo), /is not a file/);
  });
});

describe('shared memory: Windows named mappings over a fake kernel32', () => {
  it('maps the whole section read-only, learns its size from VirtualQuery and keeps no handle open', () => {
    const kernel32 = new FakeKernel32();
    const memory = kernel32.createMapping(NAME, 64 * 1024);
    memory.set(pattern(memory.length));
    const mapping = NamedMapping.open(NAME, kernel32);
    assert.equal(mapping.name, NAME);
    assert.equal(mapping.size(), 64 * 1024);
    assert.equal(kernel32.openHandles, 0, 'the handle is closed once the view is mapped');
    const target = new Uint8Array(32);
    mapping.read(target, 0x1000);
    assert.deepEqual(target, memory.subarray(0x1000, 0x1020));
    memory[0x1000] = 0xee; // the guest writes; the view sees it
    mapping.read(target, 0x1000);
    assert.equal(target[0], 0xee);
    mapping.read(target, 64 * 1024 - 8);
    assert.deepEqual([...target.subarray(8)], new Array<number>(24).fill(0), 'past the view reads as zero, never outside it');
    mapping.close();
    assert.equal(kernel32.mappedViews, 0);
    assert.equal(mapping.size(), 0);
  });

  it('notices the mapping going away: the name stops resolving once the backend closes its handle', () => {
    const kernel32 = new FakeKernel32();
    kernel32.createMapping(NAME, 8192);
    let now = 0;
    const mapping = NamedMapping.open(NAME, kernel32, { livenessCheckMs: 1000, now: () => now });
    kernel32.closeHostHandle(NAME);
    assert.equal(mapping.size(), 8192, 'not checked again before the interval');
    now = 1000;
    assert.equal(mapping.size(), 0);
    now = 5000;
    assert.equal(mapping.size(), 0, 'gone stays gone');
    mapping.close();
  });

  it('keeps reading when the name is refused later but still exists', () => {
    const kernel32 = new FakeKernel32();
    kernel32.createMapping(NAME, 8192);
    const mapping = NamedMapping.open(NAME, kernel32, { livenessCheckMs: 0 });
    kernel32.deny(NAME);
    assert.equal(mapping.size(), 8192);
    mapping.close();
  });

  it('turns Windows errors into what to do', () => {
    const kernel32 = new FakeKernel32();
    assert.throws(() => NamedMapping.open(NAME, kernel32), { message: 'no shared memory named "Global\\pvgpu_shmem_vm1" exists: is the VM running with its pvgpu host backend started?' });
    assert.throws(() => NamedMapping.open('pvgpu_shmem_vm1', kernel32), /A backend running as a service creates its mapping under "Global\\"; try "Global\\pvgpu_shmem_vm1"/);
    kernel32.createMapping(NAME, 4096);
    kernel32.deny(NAME);
    assert.throws(() => NamedMapping.open(NAME, kernel32), (e: unknown) => e instanceof SharedMemoryError && /denied read access to "Global\\pvgpu_shmem_vm1" \(OpenFileMappingW, error 5\)\. .*run VS Code as administrator \(elevated\).*SeCreateGlobalPrivilege/.test(e.message));
    assert.throws(() => NamedMapping.open('Global\\vm\\ring', kernel32), /"Global\\vm\\ring" is not a valid object name/);
    assert.match(windowsErrorMessage(NAME, 'MapViewOfFile', 1450), /could not be mapped into VS Code's address space \(MapViewOfFile, error 1450\)/);
    assert.equal(windowsErrorMessage(NAME, 'MapViewOfFile', 31), '"Global\\pvgpu_shmem_vm1": MapViewOfFile failed with Windows error 31');
    assert.equal(kernel32.openHandles, 0, 'failed opens leave no handle behind');
  });

  it('unmaps the view when VirtualQuery fails', () => {
    const kernel32 = new FakeKernel32();
    kernel32.createMapping(NAME, 4096);
    kernel32.VirtualQuery = () => 0;
    assert.throws(() => NamedMapping.open(NAME, kernel32), /VirtualQuery failed with Windows error 0/);
    assert.equal(kernel32.mappedViews, 0);
    assert.equal(kernel32.openHandles, 0);
  });
});

describe('shared memory: the kernel32 binding', () => {
  it('refuses named mappings off Windows, without loading koffi', () => {
    const loaded: string[] = [];
    assert.throws(
      () => loadKernel32('linux', (id) => loaded.push(id)),
      { message: 'named shared-memory mappings (Global\\pvgpu_shmem_*) exist only on Windows; on linux a ring lives in a file-backed mapping: give its "path" (e.g. /dev/shm/pvgpu_shmem_vm1) instead of "mapping"' },
    );
    assert.deepEqual(loaded, []);
    if (process.platform !== 'win32') {
      assert.throws(() => openSharedMemory({ mapping: NAME }), SharedMemoryError);
      assert.ok(!Object.keys(require.cache).some((file) => /[\\/]koffi[\\/]/.test(file)), 'koffi was loaded although nothing on this system can use it');
    }
  });

  it('says so when koffi cannot be loaded on Windows', () => {
    assert.throws(() => loadKernel32('win32', () => {
      throw new Error("Cannot find module 'koffi'");
    }), { message: "koffi, through which named mappings are read, could not be loaded (Cannot find module 'koffi'): reinstall GPU-PV Dev Kit for this platform" });
  });

  it('declares each kernel32 function with the Win32 signature and calls through it', () => {
    const declared: string[] = [];
    const results: Record<string, unknown> = { OpenFileMappingW: 0x44, MapViewOfFile: 0x7ff000000000n, VirtualQuery: 48, UnmapViewOfFile: 1, CloseHandle: 1, GetLastError: 5 };
    const received: Record<string, unknown[]> = {};
    const fakeKoffi = {
      load: (name: string) => {
        assert.equal(name, 'kernel32.dll');
        return {
          func: (convention: string, fn: string, result: unknown, args: unknown[]) => {
            declared.push(`${convention} ${fn}(${args.length})`);
            return (...values: unknown[]) => {
              received[fn] = values;
              if (fn === 'VirtualQuery') (values[1] as { RegionSize: number }).RegionSize = 65536;
              return result === 'void' ? undefined : results[fn];
            };
          },
        };
      },
      struct: () => ({}),
      out: (type: unknown) => type,
      pointer: (type: unknown) => type,
      sizeof: () => 48,
    };
    const kernel32 = loadKernel32('win32', () => fakeKoffi);
    assert.deepEqual(declared, ['__stdcall OpenFileMappingW(3)', '__stdcall MapViewOfFile(5)', '__stdcall VirtualQuery(3)', '__stdcall UnmapViewOfFile(1)', '__stdcall CloseHandle(1)', '__stdcall GetLastError(0)', '__stdcall RtlMoveMemory(3)']);
    assert.equal(kernel32.OpenFileMappingW(4, false, NAME), 0x44n);
    assert.deepEqual(received.OpenFileMappingW, [4, 0, NAME]);
    assert.equal(kernel32.VirtualQuery(0x7ff000000000n), 65536);
    const target = new Uint8Array(8);
    kernel32.RtlMoveMemory(target, 0x7ff000001000n);
    assert.deepEqual(received.RtlMoveMemory, [target, 0x7ff000001000n, 8]);
    assert.equal(kernel32.GetLastError(), 5);
  });
});

describe('shared memory: a live ring in a named mapping', () => {
  let dir: string;
  let protocol: LoadedProtocol;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gpupv-named-'));
    protocol = await loadProtocol(join(repoRoot, 'demo', 'gpupv.json'), readHeaderFile);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is followed like a file-backed one, and ends saying the mapping went away', async () => {
    // The simulator writes a file; the fake section is given its bytes, before and after.
    const file = join(dir, 'ring.shm');
    const simulator = new RingSimulator({ file, protocol, rate: 5000, pattern: 'frames', ringSize: 1 << 20 });
    const kernel32 = new FakeKernel32();
    const section = kernel32.createMapping(NAME, readFileSync(file).length);
    section.set(readFileSync(file));
    const live = openLiveRing({ mapping: NAME }, protocol, { sharedMemory: { kernel32: () => kernel32, livenessCheckMs: 0 } });
    assert.equal(live.name, NAME);
    live.poll();
    const stats = await simulator.run(50);
    section.set(readFileSync(file));
    live.poll();
    assert.equal(live.index.count, stats.commands);
    assert.ok(stats.commands > 0);
    kernel32.closeHostHandle(NAME);
    live.poll();
    assert.equal(live.status.state, 'ended');
    assert.match(live.problem ?? '', /^Global\\pvgpu_shmem_vm1 is 0 bytes now, smaller than the control region: the mapping shrank or went away$/);
    assert.equal(kernel32.mappedViews, 0, 'the view is unmapped when the session ends');
    live.close();
  });

  it('refuses a mapping whose magic is not the protocol\u2019s, saying what it found', () => {
    const kernel32 = new FakeKernel32();
    kernel32.createMapping(NAME, 0x2000).set([0x52, 0x49, 0x46, 0x46]);
    assert.throws(
      () => openLiveRing({ mapping: NAME }, protocol, { sharedMemory: { kernel32: () => kernel32 } }),
      (e: unknown) => e instanceof SnoopError && e.message === 'Global\\pvgpu_shmem_vm1: PvgpuControlRegion.magic is 0x46464952, not PVGPU_MAGIC (0x50564750): this is not a ring of this protocol (or the host has not initialised it yet)',
    );
    assert.equal(kernel32.mappedViews, 0, 'a refused mapping is let go');
    assert.throws(() => openLiveRing({ mapping: 'Global\\absent' }, protocol, { sharedMemory: { kernel32: () => kernel32 } }), (e: unknown) => e instanceof SnoopError && e.message.includes('no shared memory named "Global\\absent"'));
  });
});
