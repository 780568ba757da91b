import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import type { Kernel32 } from './namedMapping';
import { SharedMemoryError } from './sharedMemory';

// kernel32 through koffi, a maintained FFI package that ships prebuilt binaries (nothing is
// compiled when the extension is installed). Loaded on first use and only on Windows: on
// other systems koffi is never required, and asking for a named mapping says why not.

/** Returns koffi (or a stand-in for tests); by default Node's require, which the bundler leaves alone. */
export type ModuleLoader = (id: string) => unknown;

const nodeRequire: ModuleLoader = createRequire(__filename);
/** One binding per loader: koffi refuses to declare the same struct name twice. */
const bindings = new WeakMap<ModuleLoader, Kernel32>();

export function loadKernel32(platform: NodeJS.Platform = process.platform, loadModule: ModuleLoader = nodeRequire): Kernel32 {
  if (platform !== 'win32') {
    throw new SharedMemoryError(`named shared-memory mappings (Global\\pvgpu_shmem_*) exist only on Windows; on ${platform} a ring lives in a file-backed mapping: give its "path" (e.g. /dev/shm/pvgpu_shmem_vm1) instead of "mapping"`);
  }
  const known = bindings.get(loadModule);
  if (known) return known;
  let koffi: typeof Koffi;
  try {
    koffi = loadModule('koffi') as typeof Koffi;
  } catch (error) {
    throw new SharedMemoryError(`koffi, through which named mappings are read, could not be loaded (${error instanceof Error ? error.message : String(error)}): reinstall GPU-PV Dev Kit for this platform`);
  }
  const binding = bind(koffi);
  bindings.set(loadModule, binding);
  return binding;
}

function bind(koffi: typeof Koffi): Kernel32 {
  const lib = koffi.load('kernel32.dll');
  // Handles and addresses as uintptr_t: plain integers, so offsets can be added to a view's base.
  const memoryInfo = koffi.struct('MEMORY_BASIC_INFORMATION', {
    BaseAddress: 'uintptr_t',
    AllocationBase: 'uintptr_t',
    AllocationProtect: 'uint32_t',
    PartitionId: 'uint16_t',
    RegionSize: 'uintptr_t',
    State: 'uint32_t',
    Protect: 'uint32_t',
    Type: 'uint32_t',
  });
  const openFileMapping = lib.func('__stdcall', 'OpenFileMappingW', 'uintptr_t', ['uint32_t', 'int', 'str16']);
  const mapViewOfFile = lib.func('__stdcall', 'MapViewOfFile', 'uintptr_t', ['uintptr_t', 'uint32_t', 'uint32_t', 'uint32_t', 'uintptr_t']);
  const virtualQuery = lib.func('__stdcall', 'VirtualQuery', 'uintptr_t', ['uintptr_t', koffi.out(koffi.pointer(memoryInfo)), 'uintptr_t']);
  const unmapViewOfFile = lib.func('__stdcall', 'UnmapViewOfFile', 'int', ['uintptr_t']);
  const closeHandle = lib.func('__stdcall', 'CloseHandle', 'int', ['uintptr_t']);
  const getLastError = lib.func('__stdcall', 'GetLastError', 'uint32_t', []);
  const moveMemory = lib.func('__stdcall', 'RtlMoveMemory', 'void', ['void *', 'uintptr_t', 'uintptr_t']);
  const address = (value: unknown) => BigInt(value as number | bigint);
  return {
    OpenFileMappingW: (access, inherit, name) => address(openFileMapping(access, inherit ? 1 : 0, name)),
    MapViewOfFile: (mapping, access, high, low, bytes) => address(mapViewOfFile(mapping, access, high, low, bytes)),
    VirtualQuery: (at) => {
      const info: { RegionSize?: number | bigint } = {};
      return address(virtualQuery(at, info, koffi.sizeof(memoryInfo))) === 0n ? 0 : Number(info.RegionSize ?? 0);
    },
    UnmapViewOfFile: (at) => unmapViewOfFile(at) !== 0,
    CloseHandle: (handle) => closeHandle(handle) !== 0,
    GetLastError: () => getLastError() as number,
    RtlMoveMemory: (target, source) => void moveMemory(target, source, target.length),
  };
}
