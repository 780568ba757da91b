import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import { PowerShell } from 'node-powershell';
import type { Logger } from '../common/logger';
import { findExecutable } from './executableLookup';
import { HyperVError } from './hyperVError';
import {
  buildModuleCall,
  buildModuleImport,
  describeCall,
  MODULE_READY,
  parseModuleReply,
  type ModuleFunction,
  type ModuleFunctions,
} from './moduleCommand';

export interface PowerShellSessionOptions {
  /** A command name looked up on PATH (`pwsh`, `powershell.exe`) or a path. */
  readonly executable: string;
  /**
   * GpuPv.psm1, imported once per process. Its folder also holds GpuPvPlatform/, which the
   * module imports by name: the folder is appended to PSModulePath, so a module of that name
   * earlier on the path (the development stand-in's) takes its place.
   */
  readonly modulePath: string;
  /** Per call, from when it starts running (not from when it was queued). */
  readonly timeoutMs: number;
  /** How logs and errors name the host this session serves. */
  readonly hostLabel: string;
  readonly log: Logger;
  /** The process's environment; the extension host's by default. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface CallOptions {
  /** Overrides the session's timeout for one call; 0 waits as long as it takes. */
  readonly timeoutMs?: number;
  /** Aborting stops the process (the call's work stops with it) and rejects with Cancelled. */
  readonly signal?: AbortSignal;
  /** Polls log at trace level, so the log stays readable at the default level. */
  readonly quiet?: boolean;
}

/** The parts of node-powershell's instance that its typings keep private and we must reach. */
interface ShellInternals {
  readonly process: ChildProcess;
  readonly exitPromise: Promise<void>;
}

/** One PowerShell process, started and checked. */
interface LiveShell {
  readonly shell: PowerShell;
  readonly child: ChildProcess;
}

/**
 * One persistent PowerShell process for one Hyper-V host, calls one at a time.
 *
 * node-powershell does the framing; this class adds what it lacks for an extension host
 * that must never go down with it: the executable is found before anything is spawned, a
 * process that fails to spawn is never disposed (its dispose() would signal our own
 * process), a call that times out or is cancelled takes the process with it (node-powershell
 * would leave the command running and time out every later call), a process that dies is
 * replaced on the next call, and its unbounded call history is emptied after every call.
 */
export class PowerShellSession {
  private live: Promise<LiveShell> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(private readonly options: PowerShellSessionOptions) {}

  /** Queues a call of one module function and resolves with its result. */
  call<F extends ModuleFunction>(
    fn: F,
    params: ModuleFunctions[F]['params'],
    options: CallOptions = {},
  ): Promise<ModuleFunctions[F]['result']> {
    const run = () => this.run(fn, params, options);
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.stopProcess();
  }

  private async run<F extends ModuleFunction>(
    fn: F,
    params: ModuleFunctions[F]['params'],
    options: CallOptions,
  ): Promise<ModuleFunctions[F]['result']> {
    const { log, hostLabel } = this.options;
    const shown = describeCall(fn, params);
    const started = performance.now();
    const logAt = options.quiet ? log.trace.bind(log) : log.info.bind(log);
    logAt(`[${hostLabel}] → ${shown}`);
    try {
      if (this.disposed) throw new HyperVError('Cancelled', 'The Hyper-V session was closed.', hostLabel);
      options.signal?.throwIfAborted();
      const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
      const stdout = await this.invoke(buildModuleCall(fn, params), timeoutMs, options.signal, fn);
      const reply = parseModuleReply<ModuleFunctions[F]['result']>(stdout);
      if (!reply) throw new HyperVError('BadReply', `"${truncate(stdout, 200)}"`, hostLabel);
      if (!reply.ok) throw new HyperVError(reply.error.code, reply.error.message, hostLabel);
      logAt(`[${hostLabel}] ← ${fn} ok in ${elapsed(started)}`);
      return reply.result;
    } catch (error) {
      const failure =
        error instanceof HyperVError ? error : new HyperVError('PowerShellError', errorText(error), hostLabel);
      log.warn(`[${hostLabel}] ← ${fn} failed in ${elapsed(started)}: ${failure.code}: ${failure.message}`);
      throw failure;
    }
  }

  /** Runs one command on the live process, replacing the process if it times out, is cancelled or dies. */
  private async invoke(command: string, timeoutMs: number, signal: AbortSignal | undefined, what: string): Promise<string> {
    const { shell, child } = await this.ensureProcess();
    const invocation = shell.invoke(command);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const interrupted = new Promise<HyperVError>((resolve) => {
      if (timeoutMs > 0) {
        timer = setTimeout(
          () => resolve(new HyperVError('Timeout', `${Math.round(timeoutMs / 1000)} s (${what})`, this.options.hostLabel)),
          timeoutMs,
        );
      }
      onAbort = () => resolve(new HyperVError('Cancelled', 'Cancelled.', this.options.hostLabel));
      signal?.addEventListener('abort', onAbort, { once: true });
      // Cancelled while the process was still starting: the event has fired already.
      if (signal?.aborted) onAbort();
    });
    try {
      const outcome = await Promise.race([
        invocation.then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        ),
        interrupted.then((stop) => ({ stop })),
      ]);
      if ('stop' in outcome) {
        // The command keeps running inside PowerShell; only stopping the process ends it.
        invocation.catch(() => undefined);
        await this.stopProcess();
        throw outcome.stop;
      }
      if ('error' in outcome) {
        if (hasExited(child)) {
          this.live = undefined;
          throw new HyperVError('PowerShellCrashed', exitDescription(child), this.options.hostLabel);
        }
        throw new HyperVError('PowerShellError', truncate(errorText(outcome.error), 2000), this.options.hostLabel);
      }
      if (hasExited(child)) {
        // node-powershell settles with empty output when the process exits cleanly mid-call.
        this.live = undefined;
        throw new HyperVError('PowerShellCrashed', exitDescription(child), this.options.hostLabel);
      }
      return outcome.result.raw;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      // node-powershell keeps every command and its output forever; polling would grow it without bound.
      shell.history.length = 0;
    }
  }

  private ensureProcess(): Promise<LiveShell> {
    if (this.live) {
      const current = this.live;
      return current.then((live) => {
        if (!hasExited(live.child)) return live;
        this.live = undefined;
        return this.ensureProcess();
      });
    }
    const starting = this.startProcess();
    this.live = starting;
    starting.catch(() => {
      if (this.live === starting) this.live = undefined;
    });
    return starting;
  }

  private async startProcess(): Promise<LiveShell> {
    const { executable, hostLabel, log } = this.options;
    const env = this.options.env ?? process.env;
    const resolved = await findExecutable(executable, env);
    if (!resolved) {
      throw new HyperVError('PowerShellNotFound', `PowerShell "${executable}" was not found.`, hostLabel);
    }
    const shell = constructWithoutOverride(() =>
      new PowerShell({
        executable: resolved,
        // No profile (it could print or prompt), never a prompt (it would wait on our stdin),
        // and our unsigned module must load whatever the machine's execution policy says.
        executableOptions: { '-NoProfile': true, '-NonInteractive': true, '-ExecutionPolicy': 'Bypass' },
        spawnOptions: { env: withModuleFolder(env, path.dirname(this.options.modulePath)), windowsHide: true },
      }),
    );
    const internals = shell as unknown as ShellInternals;
    // A process that dies while idle rejects this with nobody listening; that must not
    // become an unhandled rejection in the extension host.
    internals.exitPromise.catch(() => undefined);
    const child = internals.process;
    const spawned = await spawnOutcome(child);
    if (spawned) {
      // Never dispose(): with no pid it would signal this very process.
      throw new HyperVError('PowerShellNotFound', `PowerShell "${resolved}" could not start: ${spawned.message}.`, hostLabel);
    }
    log.info(`[${hostLabel}] PowerShell started: ${resolved} (pid ${child.pid})`);
    const live = { shell, child };
    try {
      const ready = await shell.invoke(buildModuleImport(this.options.modulePath));
      if (!ready.raw.includes(MODULE_READY)) {
        throw new HyperVError('ModuleLoadFailed', `unexpected answer "${truncate(ready.raw, 200)}".`, hostLabel);
      }
    } catch (error) {
      await stopShell(live);
      if (error instanceof HyperVError) throw error;
      if (hasExited(child)) throw new HyperVError('PowerShellCrashed', exitDescription(child), hostLabel);
      throw new HyperVError('ModuleLoadFailed', truncate(errorText(error), 1000), hostLabel);
    } finally {
      shell.history.length = 0;
    }
    return live;
  }

  private async stopProcess(): Promise<void> {
    const current = this.live;
    this.live = undefined;
    if (!current) return;
    try {
      await stopShell(await current);
    } catch {
      // It never started, so there is nothing to stop.
    }
  }
}

async function stopShell({ shell, child }: LiveShell): Promise<void> {
  if (child.pid === undefined || hasExited(child)) return;
  const exited = once(child, 'exit').then(() => undefined);
  await shell.dispose().catch(() => undefined);
  // PowerShell may ignore SIGTERM while a cmdlet blocks; it must not outlive the session.
  const grace = new Promise<'grace-over'>((resolve) => setTimeout(() => resolve('grace-over'), 3_000).unref());
  if ((await Promise.race([exited, grace])) === 'grace-over') child.kill('SIGKILL');
}

/** The environment with `folder` last on PSModulePath (PowerShell adds its own folders itself). */
function withModuleFolder(env: NodeJS.ProcessEnv, folder: string): NodeJS.ProcessEnv {
  const key = Object.keys(env).find((k) => k.toLowerCase() === 'psmodulepath') ?? 'PSModulePath';
  const current = env[key];
  return { ...env, [key]: current ? `${current}${path.delimiter}${folder}` : folder };
}

/**
 * NODE_POWERSHELL in the environment overrides any executable node-powershell is given;
 * the user's setting must win, so the variable is hidden for the (synchronous) constructor.
 */
function constructWithoutOverride<T>(construct: () => T): T {
  const override = process.env.NODE_POWERSHELL;
  if (override === undefined) return construct();
  delete process.env.NODE_POWERSHELL;
  try {
    return construct();
  } finally {
    process.env.NODE_POWERSHELL = override;
  }
}

/** Resolves with the spawn error, or undefined once the process runs (events.once would reject instead). */
function spawnOutcome(child: ChildProcess): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const onSpawn = () => {
      child.off('error', onError);
      resolve(undefined);
    };
    const onError = (error: Error) => {
      child.off('spawn', onSpawn);
      resolve(error);
    };
    child.once('spawn', onSpawn);
    child.once('error', onError);
  });
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function exitDescription(child: ChildProcess): string {
  return child.signalCode ? `killed by ${child.signalCode}` : `exit code ${child.exitCode ?? 'unknown'}`;
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.trim() || 'no message';
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function elapsed(started: number): string {
  return `${Math.round(performance.now() - started)} ms`;
}
