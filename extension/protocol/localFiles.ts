import { readFileSync, statSync } from 'node:fs';
import { HeaderError } from './diagnostics';

/** Largest single file the engine reads; real protocol headers are far below this. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** `readFile` for the engine on the local disk: undefined when missing, an error when absurdly large. */
export function readHeaderFile(path: string): string | undefined {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return undefined;
    size = stat.size;
  } catch {
    return undefined;
  }
  if (size > MAX_FILE_BYTES) {
    throw new HeaderError(`${path} is ${Math.round(size / 1048576)} MiB; headers over ${MAX_FILE_BYTES / 1048576} MiB are not read`, { file: path, line: 1, column: 1 });
  }
  return readFileSync(path, 'utf8');
}
