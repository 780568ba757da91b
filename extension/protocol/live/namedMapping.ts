import { SharedMemoryError, type SharedMemory } from './sharedMemory';

// A Windows named file mapping, as the pvgpu host backend creates it: pagefile-backed, named
// `Global\pvgpu_shmem_*`, with no file behind it. Opened with OpenFileMappingW(FILE_MAP_READ),
// mapped whole with MapViewOfFile, its size learnt with VirtualQuery; then the handle is
// closed at once. The view keeps the memory alive, but only open handles keep the *name*:
// once the backend lets the mapping go, the name stops resolving, and that is how a mapping
// that went away is noticed (its bytes would otherwise stay readable, frozen, forever).
//
// The kernel32 calls come in through `Kernel32`, so everything here runs and is tested on any
// machine against a fake; the real binding (koffi) is in kernel32Binding.ts.

export const FILE_MAP_READ = 0x0004;

export const ERROR_FILE_NOT_FOUND = 2;
export const ERROR_ACCESS_DENIED = 5;
export const ERROR_NOT_ENOUGH_MEMORY = 8;
export const ERROR_INVALID_NAME = 123;
export const ERROR_NO_SYSTEM_RESOURCES = 1450;

/**
 * The kernel32 functions a named mapping needs, as Win32 declares them, with handles and
 * addresses as bigint (0n is NULL) and VirtualQuery reduced to the RegionSize it reports.
 */
export interface Kernel32 {
  OpenFileMappingW(desiredAccess: number, inheritHandle: boolean, name: string): bigint;
  MapViewOfFile(mapping: bigint, desiredAccess: number, offsetHigh: number, offsetLow: number, bytes: number): bigint;
  /** MEMORY_BASIC_INFORMATION.RegionSize of the region at `address`; 0 when the call fails. */
  VirtualQuery(address: bigint): number;
  UnmapViewOfFile(address: bigint): boolean;
  CloseHandle(handle: bigint): boolean;
  GetLastError(): number;
  /** Copies `target.length` bytes from `source` into `target` (RtlMoveMemory). */
  RtlMoveMemory(target: Uint8Array, source: bigint): void;
}

export interface NamedMappingOptions {
  /** How often, at most, to check that the name still resolves (default 1000 ms; 0: at every size()). */
  readonly livenessCheckMs?: number;
  /** Milliseconds, for the liveness check (default performance.now). */
  readonly now?: () => number;
}

export class NamedMapping implements SharedMemory {
  private view: bigint;
  private lastCheck: number;
  private gone = false;

  private constructor(
    readonly name: string,
    private readonly kernel32: Kernel32,
    view: bigint,
    private readonly viewSize: number,
    private readonly livenessCheckMs: number,
    private readonly now: () => number,
  ) {
    this.view = view;
    this.lastCheck = now();
  }

  /** Maps `name` read-only; SharedMemoryError with what to do when Windows refuses. */
  static open(name: string, kernel32: Kernel32, options: NamedMappingOptions = {}): NamedMapping {
    const handle = kernel32.OpenFileMappingW(FILE_MAP_READ, false, name);
    if (handle === 0n) throw new SharedMemoryError(windowsErrorMessage(name, 'OpenFileMappingW', kernel32.GetLastError()));
    try {
      const view = kernel32.MapViewOfFile(handle, FILE_MAP_READ, 0, 0, 0);
      if (view === 0n) throw new SharedMemoryError(windowsErrorMessage(name, 'MapViewOfFile', kernel32.GetLastError()));
      const size = kernel32.VirtualQuery(view);
      if (size <= 0) {
        const code = kernel32.GetLastError();
        kernel32.UnmapViewOfFile(view);
        throw new SharedMemoryError(windowsErrorMessage(name, 'VirtualQuery', code));
      }
      return new NamedMapping(name, kernel32, view, size, options.livenessCheckMs ?? 1000, options.now ?? (() => performance.now()));
    } finally {
      kernel32.CloseHandle(handle);
    }
  }

  size(): number {
    if (this.view === 0n || this.gone) return 0;
    const now = this.now();
    if (now - this.lastCheck >= this.livenessCheckMs) {
      this.lastCheck = now;
      const handle = this.kernel32.OpenFileMappingW(FILE_MAP_READ, false, this.name);
      if (handle !== 0n) this.kernel32.CloseHandle(handle);
      // Only "no such name" means it went away; a refusal now (rights changed) leaves the view readable.
      else if (this.kernel32.GetLastError() === ERROR_FILE_NOT_FOUND) this.gone = true;
    }
    return this.gone ? 0 : this.viewSize;
  }

  read(target: Uint8Array, offset: number): void {
    const available = this.view === 0n ? 0 : Math.max(0, Math.min(target.length, this.viewSize - offset));
    if (available > 0) this.kernel32.RtlMoveMemory(target.subarray(0, available), this.view + BigInt(offset));
    target.fill(0, available);
  }

  close(): void {
    if (this.view === 0n) return;
    this.kernel32.UnmapViewOfFile(this.view);
    this.view = 0n;
  }
}

/** What a failed call means for someone attaching to `name`, and what to do about it. */
export function windowsErrorMessage(name: string, call: string, code: number): string {
  const global = name.startsWith('Global\\');
  switch (code) {
    case ERROR_FILE_NOT_FOUND:
      return `no shared memory named "${name}" exists: is the VM running with its pvgpu host backend started?` + (global ? '' : ' A backend running as a service creates its mapping under "Global\\"; try "Global\\' + name.replace(/^Local\\/, '') + '"');
    case ERROR_ACCESS_DENIED:
      return `Windows denied read access to "${name}" (${call}, error 5).` + (global ? ' Mappings under "Global\\" made by a service or another account admit only administrators: run VS Code as administrator (elevated), or have the backend grant your account read access. (Creating "Global\\" names needs SeCreateGlobalPrivilege, which services and administrators hold.)' : ' The account that created it did not grant yours access: run VS Code as that account or elevated.');
    case ERROR_INVALID_NAME:
      return `"${name}" is not a valid object name: a name without backslashes, optionally after "Global\\" or "Local\\"`;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_NO_SYSTEM_RESOURCES:
      return `"${name}" could not be mapped into VS Code's address space (${call}, error ${code}): close other large views or traces and try again`;
    default:
      return `"${name}": ${call} failed with Windows error ${code}`;
  }
}
