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

export function processesMarkedWith(runId: string): ProcessInfo[] {
  const needle = `${RUN_MARKER_VARIABLE}=${runId}\0`;
  const found: ProcessInfo[] = [];
  for (const entry of safeReaddir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environment = readFileSync(`/proc/${pid}/environ`, 'latin1') + '\0';
      if (!environment.includes(needle)) continue;
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ').trim();
      // Zombies have an empty command line and hold no resources beyond their pid entry.
      if (commandLine) found.push({ pid, commandLine });
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return found;
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
