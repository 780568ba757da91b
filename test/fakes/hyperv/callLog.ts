import { appendFileSync, readFileSync } from 'node:fs';
import { redactedJson } from '../../../extension/hyperv/moduleCommand';

// One JSON line per command the stand-in received, written before it runs (so a hang or a
// crash is still on record). Extension-host and UI tests read it back with readCallLog.

export interface CallLogEntry {
  readonly time: string;
  readonly pid: number;
  /** The exact text received, except that a call carrying a password shows '«redacted»' for its base64. */
  readonly command: string;
  /** The module function, 'Import-Module', or null for anything else. */
  readonly function: string | null;
  /** The decoded parameters with secrets redacted; { name } for Import-Module; null if none. */
  readonly params: Record<string, unknown> | null;
}


/** The log file: GPUPV_FAKE_HYPERV_LOG, else beside the state file. */
export function callLogPath(env: NodeJS.ProcessEnv): string | undefined {
  if (env.GPUPV_FAKE_HYPERV_LOG) return env.GPUPV_FAKE_HYPERV_LOG;
  return env.GPUPV_FAKE_HYPERV_STATE ? `${env.GPUPV_FAKE_HYPERV_STATE}.calls.jsonl` : undefined;
}

/** The same redaction the extension's own log applies. */
export { holdsSecret, REDACTED } from '../../../extension/hyperv/moduleCommand';

export function redactSecrets(params: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(redactedJson(params)) as Record<string, unknown>;
}

/** Appends synchronously: the process may hang or exit right after. */
export function appendCallLog(file: string | undefined, entry: CallLogEntry): void {
  if (file === undefined) return;
  try {
    appendFileSync(file, JSON.stringify(entry) + '\n', 'utf8');
  } catch {
    // A log that cannot be written must not change what the caller sees.
  }
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
