import { readdirSync, readFileSync } from 'node:fs';

// Every process a test run starts inherits RUN_MARKER_VARIABLE=<run id> in its environment
// (code-server, its extension hosts, Chromium and its renderers). Reading /proc for that
// marker finds survivors even after they were re-parented to init, which a parent-pid walk
// would miss.

export const RUN_MARKER_VARIABLE = 'GPUPV_TEST_RUN';

export interface ProcessInfo {
  readonly pid: number;
  readonly commandLine: string;
}

export interface ProcessEntry extends ProcessInfo {
  readonly uid: number;
  /** /proc/<pid>/environ: NUL-separated NAME=value, ending in a NUL. */
  readonly environment: string;
}

/** The machine's live processes but this one (zombies left out: they hold nothing but their pid). */
export function liveProcesses(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const name of safeReaddir('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (/^State:\s+Z/m.test(status)) continue;
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      const environment = `${readFileSync(`/proc/${pid}/environ`, 'latin1')}\0`;
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      entries.push({ pid, uid, environment, commandLine });
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return entries;
}

export function processesMarkedWith(runId: string): ProcessInfo[] {
  const needle = `${RUN_MARKER_VARIABLE}=${runId}\0`;
  return liveProcesses().filter((entry) => entry.environment.includes(needle));
}

/** The live processes whose command line holds `text`: what a stopped test must leave none of. */
export function processesRunning(text: string): ProcessInfo[] {
  return liveProcesses().filter((entry) => entry.commandLine.includes(text));
}

/** Polls until no marked process is left or the grace period ends; returns the survivors. */
export async function waitForNoProcessesMarkedWith(runId: string, graceMs: number): Promise<ProcessInfo[]> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const left = processesMarkedWith(runId);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function killProcesses(processes: readonly ProcessInfo[]): void {
  for (const { pid } of processes) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/**
 * Kills every marked process and waits, synchronously, until they are gone. Synchronous on
 * purpose: it runs in signal handlers, where an async wait would let the test still running
 * start new processes in the meantime. Returns whatever survived the grace period.
 */
export function killAllMarkedSync(runId: string, graceMs: number): ProcessInfo[] {
  const deadline = Date.now() + graceMs;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const left = processesMarkedWith(runId);
    if (left.length === 0 || Date.now() >= deadline) return left;
    killProcesses(left);
    Atomics.wait(sleeper, 0, 0, 50);
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
