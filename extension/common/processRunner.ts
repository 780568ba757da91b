import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import type { Logger } from './logger';

// The one way the extension runs an external program (build tools, signing tools, ssh helpers):
// an argv array and never a shell string, so no path, VM or test name can become a command;
// output streamed as it comes and only its tail kept; a timeout or a cancellation ends the
// whole process tree, not just the process we started (MSBuild and test runners start their
// own); and failures as typed errors that say what to do. The exit code is the caller's to
// judge: 259 from pnputil or 1 from a test runner are answers, not crashes.

export type ProcessFailure = 'notFound' | 'failedToStart' | 'exitCode' | 'timeout' | 'cancelled';

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Aborting ends the process tree and rejects with a `cancelled` ProcessError. */
  readonly signal?: AbortSignal;
  /** 0 or absent: no limit. Past it the tree is ended and the call rejects with `timeout`. */
  readonly timeoutMs?: number;
  /** Written to the process's stdin, which is then closed; absent: stdin is closed at once. */
  readonly input?: string | Buffer;
  /** Each chunk of output as it arrives (UTF-8, split anywhere but never inside a character). */
  readonly onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
  /** How much of each stream the result keeps: the last bytes. Default 1 MiB. */
  readonly keepBytes?: number;
  /** Where the command line and stderr go (debug level). */
  readonly log?: Logger;
}

export interface RunResult {
  readonly command: string;
  readonly args: readonly string[];
  /** null when a signal ended it. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last `keepBytes` of each stream. */
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

export class ProcessError extends Error {
  constructor(
    readonly failure: ProcessFailure,
    message: string,
    readonly result?: RunResult,
  ) {
    super(message);
    this.name = 'ProcessError';
  }
}

export function isProcessError(error: unknown, failure?: ProcessFailure): error is ProcessError {
  return error instanceof ProcessError && (failure === undefined || error.failure === failure);
}

/** Once a tree was told to stop, how long it may take before it is killed outright. */
const STOP_GRACE_MS = 2_000;
const DEFAULT_KEEP = 1 << 20;

/** Runs `command` with `args` and resolves once it exits, whatever its exit code. */
export async function runProcess(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const shown = describeCommand(command, args);
  options.log?.debug(`run: ${shown}`);
  options.signal?.throwIfAborted();
  const started = performance.now();
  let child: ChildProcessWithoutNullStreams;
  try {
    child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group on POSIX, so the whole tree can be signalled at once.
      detached: process.platform !== 'win32',
      windowsHide: true,
      shell: false,
    });
  } catch (error) {
    // Thrown rather than emitted: an argument list past the OS's limit (E2BIG), a NUL in an argument.
    throw new ProcessError('failedToStart', `${command} could not start: ${error instanceof Error ? error.message : String(error)}.`);
  }
  const stdout = new Tail(options.keepBytes ?? DEFAULT_KEEP);
  const stderr = new Tail(options.keepBytes ?? DEFAULT_KEEP);
  const relay = (tail: Tail, stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    const text = tail.push(chunk);
    if (text) options.onOutput?.(text, stream);
  };
  child.stdout.on('data', relay(stdout, 'stdout'));
  child.stderr.on('data', relay(stderr, 'stderr'));
  // A process that exits without reading its input must not fail the run with EPIPE.
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.input);

  let stopped: 'timeout' | 'cancelled' | undefined;
  const stop = (why: 'timeout' | 'cancelled') => {
    if (stopped) return;
    stopped = why;
    void stopTree(child);
  };
  const onAbort = () => stop('cancelled');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = options.timeoutMs ? setTimeout(() => stop('timeout'), options.timeoutMs) : undefined;
  try {
    const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | { error: NodeJS.ErrnoException }>((resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) => resolve({ error }));
      // 'close', not 'exit': the streams are drained by then.
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    if ('error' in outcome) {
      const { error } = outcome;
      if (error.code === 'ENOENT') throw new ProcessError('notFound', `${command} was not found: install it or put its folder on PATH.`);
      throw new ProcessError('failedToStart', `${command} could not start: ${error.message}.`);
    }
    const result: RunResult = {
      command,
      args,
      exitCode: outcome.code,
      signal: outcome.signal,
      stdout: stdout.text(),
      stderr: stderr.text(),
      durationMs: performance.now() - started,
    };
    if (result.stderr) options.log?.debug(`${command} stderr: ${result.stderr.slice(-4_000)}`);
    if (stopped === 'timeout') throw new ProcessError('timeout', `${shown} did not finish within ${formatSeconds(options.timeoutMs!)}; it and the processes it started were stopped.`, result);
    if (stopped === 'cancelled') throw new ProcessError('cancelled', `${shown} was cancelled; it and the processes it started were stopped.`, result);
    return result;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** The result, or a ProcessError naming the exit code and the last of stderr when it is not one of `ok`. */
export function expectExitCode(result: RunResult, ok: readonly number[] = [0]): RunResult {
  if (result.exitCode !== null && ok.includes(result.exitCode)) return result;
  const ending = result.exitCode === null ? `was ended by ${result.signal}` : `exited with code ${result.exitCode}`;
  const last = lastLines(result.stderr || result.stdout, 5);
  throw new ProcessError('exitCode', `${describeCommand(result.command, result.args)} ${ending}${last ? `:\n${last}` : '.'}`, result);
}

/** Starts a program the user works with (a VM console) and leaves it running on its own. */
export function launchDetached(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { detached: true, stdio: 'ignore', windowsHide: false, shell: false });
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new ProcessError('notFound', `${command} was not found.`) : new ProcessError('failedToStart', `${command} could not start: ${error.message}.`)),
    );
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

/**
 * The command line as a person would type it, for echoing in a terminal or a log (never to
 * be run: arguments travel as an array). Arguments with spaces or quotes are quoted.
 */
export function describeCommand(command: string, args: readonly string[]): string {
  return [command, ...args].map((part) => (part === '' || /[\s"'$`|&;<>()]/.test(part) ? `"${part.replace(/"/g, '\\"')}"` : part)).join(' ');
}

/** Ends the process and everything it started: the group on POSIX, taskkill /T on Windows. */
async function stopTree(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit').then(() => true);
  if (process.platform === 'win32') {
    // taskkill is the only way to reach the children; /F because console programs ignore the polite form.
    spawn('taskkill', ['/PID', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).once('error', () => child.kill());
    return;
  }
  signalGroup(pid, 'SIGTERM');
  const grace = new Promise<false>((resolve) => setTimeout(() => resolve(false), STOP_GRACE_MS).unref());
  if (!(await Promise.race([exited, grace]))) signalGroup(pid, 'SIGKILL');
  // The leader may be gone while the group lives on: make sure of the rest too.
  else signalGroup(pid, 'SIGKILL');
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** The last `limit` bytes of a stream, decoded as UTF-8 without splitting a character. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly limit: number) {}

  /** Keeps the chunk and returns its text for streaming. */
  push(chunk: Buffer): string {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0]!.length >= this.limit && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
    return this.decoder.decode(chunk, { stream: true });
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
  }
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split(/\r?\n/).slice(-count).join('\n');
}

function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
