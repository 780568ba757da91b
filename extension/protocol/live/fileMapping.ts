import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { SharedMemoryError, type SharedMemory } from './sharedMemory';

// A file-backed mapping (/dev/shm/..., a QEMU memory-backend-file) read by position through
// a file descriptor: the page cache is the shared memory, so a positional read sees what the
// guest wrote without mapping anything into this process.

export class FileMapping implements SharedMemory {
  private isClosed = false;

  private constructor(
    readonly name: string,
    private readonly fd: number,
  ) {}

  /** Opens `path` read-only; SharedMemoryError when it cannot be opened or is no regular file. */
  static open(path: string): FileMapping {
    let fd: number;
    try {
      // Non-blocking, so a FIFO named by mistake cannot hang the extension host on open
      // (Windows has no FIFOs in the file system, and no O_NONBLOCK).
      fd = openSync(path, process.platform === 'win32' ? constants.O_RDONLY : constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (error) {
      throw new SharedMemoryError(`${path}: cannot open it for reading (${error instanceof Error ? error.message : String(error)})`);
    }
    if (!fstatSync(fd).isFile()) {
      closeSync(fd);
      throw new SharedMemoryError(`${path} is not a file: a ring lives in a regular file (/dev/shm/..., a QEMU memory-backend-file), not a device, FIFO or folder`);
    }
    return new FileMapping(path, fd);
  }

  size(): number {
    if (this.isClosed) return 0;
    try {
      return fstatSync(this.fd).size;
    } catch {
      return 0;
    }
  }

  read(target: Uint8Array, offset: number): void {
    let done = 0;
    while (done < target.length) {
      const n = this.isClosed ? 0 : readSync(this.fd, target, done, target.length - done, offset + done);
      if (n === 0) {
        target.fill(0, done);
        return;
      }
      done += n;
    }
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    closeSync(this.fd);
  }
}
