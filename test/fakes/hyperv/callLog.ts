import { readFileSync } from 'node:fs';

// The stand-in modules log each module call once, when it first reaches them, and each
// import of GpuPv.psm1 (modules/GpuPvStandIn): one JSON line, written before the call goes on,
// so a hang or a crash is still on record. Tests read it back here.

export interface CallLogEntry {
  readonly time: string;
  readonly pid: number;
  /** The command line PowerShell received; a call carrying a password shows '«redacted»' for its base64. */
  readonly command: string;
  /** The module function, or 'Import-Module'. */
  readonly function: string;
  /** The decoded parameters with secrets redacted; { name } for Import-Module; null if they did not decode. */
  readonly params: Record<string, unknown> | null;
}

/** Every entry so far; [] when nothing was logged yet. */
export function readCallLog(file: string): CallLogEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CallLogEntry);
}
