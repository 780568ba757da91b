import { ERROR_ACCESS_DENIED, ERROR_FILE_NOT_FOUND, ERROR_INVALID_NAME, FILE_MAP_READ, type Kernel32 } from '../../../extension/protocol/live/namedMapping';

// kernel32 as a pagefile-backed named mapping behaves, for machines without Windows: the
// host backend creates a named section and holds a handle to it; OpenFileMappingW finds it by
// name while any handle is open; a view keeps the memory (not the name) alive; GetLastError
// reports the last failure. Memory is a Buffer the test writes into, as the guest would.

interface Section {
  readonly memory: Uint8Array;
  handles: number;
  denied: boolean;
}

export class FakeKernel32 implements Kernel32 {
  private readonly names = new Map<string, Section>();
  private readonly handles = new Map<bigint, Section>();
  private readonly views = new Map<bigint, Section>();
  private nextHandle = 0x100n;
  private nextView = 0x7ff0_0000_0000n;
  private lastError = 0;
  /** Every call made, by function name, for tests that count them. */
  readonly calls: string[] = [];

  /** The host backend's CreateFileMappingW: a section of `size` bytes under `name`, with one handle held. */
  createMapping(name: string, size: number): Uint8Array {
    const section: Section = { memory: new Uint8Array(size), handles: 1, denied: false };
    this.names.set(name, section);
    return section.memory;
  }

  /** The backend closes its handle (the VM stopped): the name goes once no handle is left. */
  closeHostHandle(name: string): void {
    const section = this.names.get(name);
    if (section) this.release(section);
  }

  /** The section's security admits no one but its creator from now on. */
  deny(name: string): void {
    this.names.get(name)!.denied = true;
  }

  get openHandles(): number {
    return this.handles.size;
  }

  get mappedViews(): number {
    return this.views.size;
  }

  OpenFileMappingW(desiredAccess: number, _inheritHandle: boolean, name: string): bigint {
    this.calls.push('OpenFileMappingW');
    if (desiredAccess !== FILE_MAP_READ) throw new Error(`read-only access expected, got ${desiredAccess}`);
    if (/\\.*\\/.test(name.replace(/^Session\\\d+\\/, ''))) return this.fail(ERROR_INVALID_NAME);
    const section = this.names.get(name);
    if (!section) return this.fail(ERROR_FILE_NOT_FOUND);
    if (section.denied) return this.fail(ERROR_ACCESS_DENIED);
    section.handles++;
    const handle = this.nextHandle++;
    this.handles.set(handle, section);
    return handle;
  }

  MapViewOfFile(mapping: bigint, _desiredAccess: number, offsetHigh: number, offsetLow: number, bytes: number): bigint {
    this.calls.push('MapViewOfFile');
    const section = this.handles.get(mapping);
    if (!section) return this.fail(6);
    if (offsetHigh !== 0 || offsetLow !== 0 || bytes !== 0) throw new Error('the whole section is mapped');
    const view = this.nextView;
    this.nextView += 0x1000_0000n;
    this.views.set(view, section);
    return view;
  }

  VirtualQuery(address: bigint): number {
    this.calls.push('VirtualQuery');
    const section = this.views.get(address);
    if (!section) {
      this.lastError = 87; // ERROR_INVALID_PARAMETER
      return 0;
    }
    return section.memory.length;
  }

  UnmapViewOfFile(address: bigint): boolean {
    this.calls.push('UnmapViewOfFile');
    return this.views.delete(address);
  }

  CloseHandle(handle: bigint): boolean {
    this.calls.push('CloseHandle');
    const section = this.handles.get(handle);
    if (!section) return false;
    this.handles.delete(handle);
    this.release(section);
    return true;
  }

  GetLastError(): number {
    return this.lastError;
  }

  RtlMoveMemory(target: Uint8Array, source: bigint): void {
    for (const [base, section] of this.views) {
      const offset = source - base;
      if (offset >= 0n && offset + BigInt(target.length) <= BigInt(section.memory.length)) {
        target.set(section.memory.subarray(Number(offset), Number(offset) + target.length));
        return;
      }
    }
    throw new Error(`access violation reading ${target.length} bytes at 0x${source.toString(16)}`);
  }

  private release(section: Section): void {
    section.handles--;
    if (section.handles > 0) return;
    for (const [name, s] of this.names) if (s === section) this.names.delete(name);
  }

  private fail(code: number): bigint {
    this.lastError = code;
    return 0n;
  }
}
