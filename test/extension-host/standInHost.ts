import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Logger } from '../../extension/common/logger';
import { readCallLog, type CallLogEntry } from '../fakes/hyperv/callLog';
import type { StateDocument } from '../fakes/hyperv/stateDocument';
import { linkStandInModules, powerShellExecutable, standInEnvironment } from '../harness/powerShellTools';
import { DEMO_HOST_STATE } from '../harness/simulatedHyperV';

// The simulated Hyper-V host as the extension-host tests use it: a state file of their own,
// the call log beside it, and real PowerShell that finds the stand-in modules first.

export { MODULE_PATH } from '../harness/powerShellTools';
/** Real PowerShell 7, which runs the real GpuPv.psm1. */
export const POWERSHELL = powerShellExecutable();

export interface StandInHostOptions {
  /** Stand-in modules left off PSModulePath: ['Hyper-V'] is a machine without the Hyper-V module. */
  readonly without?: readonly string[];
}

export class StandInHost {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'gpupv-standin-'));
  readonly stateFile = path.join(this.dir, 'state.json');
  readonly logFile = `${this.stateFile}.calls.jsonl`;
  private readonly modules: string;

  constructor(doc: StateDocument = demoHost(), options: StandInHostOptions = {}) {
    this.modules = linkStandInModules(path.join(this.dir, 'modules'), options.without);
    this.write(doc);
  }

  /** The environment a PowerShell process needs to find the stand-ins and this state. */
  get env(): NodeJS.ProcessEnv {
    // Only this host's modules: the server's own stand-in folder may be on the inherited path.
    return { ...process.env, ...standInEnvironment(this.stateFile, this.logFile, this.modules, {}) };
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
  return JSON.parse(readFileSync(DEMO_HOST_STATE, 'utf8')) as StateDocument;
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
