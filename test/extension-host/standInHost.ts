import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Logger } from '../../extension/common/logger';
import { readCallLog, type CallLogEntry } from '../fakes/hyperv/callLog';
import type { StateDocument } from '../fakes/hyperv/stateDocument';
import { repoRoot } from '../harness/paths';

// The Hyper-V stand-in as the extension-host tests use it: a state file of their own, the
// call log beside it, and the executable node-powershell starts.

export const STAND_IN = path.join(repoRoot, 'test', 'fakes', 'hyperv', 'pwsh-standin');
export const MODULE_PATH = path.join(repoRoot, 'extension', 'hyperv', 'GpuPv.psm1');
export const DEMO_HOST = path.join(repoRoot, 'test', 'fakes', 'hyperv', 'demoHost.json');

export class StandInHost {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'gpupv-standin-'));
  readonly stateFile = path.join(this.dir, 'state.json');
  readonly logFile = `${this.stateFile}.calls.jsonl`;

  constructor(doc: StateDocument = demoHost()) {
    this.write(doc);
  }

  /** The environment a stand-in process needs to find this state. */
  get env(): NodeJS.ProcessEnv {
    return { ...process.env, GPUPV_FAKE_HYPERV_STATE: this.stateFile, GPUPV_FAKE_HYPERV_LOG: this.logFile };
  }

  read(): StateDocument {
    return JSON.parse(readFileSync(this.stateFile, 'utf8')) as StateDocument;
  }

  write(doc: StateDocument): void {
    writeFileSync(this.stateFile, JSON.stringify(doc, null, 2));
  }

  edit(change: (doc: StateDocument) => void): void {
    const doc = this.read();
    change(doc);
    this.write(doc);
  }

  calls(): CallLogEntry[] {
    return readCallLog(this.logFile);
  }

  /** Module calls only, without the per-process Import-Module. */
  moduleCalls(fn?: string): CallLogEntry[] {
    return this.calls().filter((c) => c.function !== 'Import-Module' && (fn === undefined || c.function === fn));
  }

  /** An executable that exists but cannot be spawned: its interpreter does not exist. */
  brokenExecutable(): string {
    const file = path.join(this.dir, 'pwsh-broken');
    writeFileSync(file, '#!/nonexistent/interpreter\n');
    chmodSync(file, 0o755);
    return file;
  }
}

export function demoHost(): StateDocument {
  return JSON.parse(readFileSync(DEMO_HOST, 'utf8')) as StateDocument;
}

/** A Logger that keeps every line, to assert what reaches the log. */
export class RecordingLogger implements Logger {
  readonly lines: string[] = [];
  trace = (message: string) => void this.lines.push(`trace ${message}`);
  debug = (message: string) => void this.lines.push(`debug ${message}`);
  info = (message: string) => void this.lines.push(`info ${message}`);
  warn = (message: string) => void this.lines.push(`warn ${message}`);
  error = (message: string | Error) => void this.lines.push(`error ${String(message)}`);
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
