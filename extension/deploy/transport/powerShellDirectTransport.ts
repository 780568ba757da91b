import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Logger } from '../../common/logger';
import { actionableMessage, isHyperVError } from '../../hyperv/hyperVError';
import type { GuestLogNote, GuestOutcomeResult, GuestSendProgress, ModuleFunction, ModuleFunctions } from '../../hyperv/moduleCommand';
import { PowerShellSession } from '../../hyperv/powerShellSession';
import { formatBytes } from '../../vms/model/formatting';
import { callGuest, GuestCallError } from '../guest/guestCall';
import { formatSeconds } from '../pipeline/terminalTranscript';
import {
  checkStagedPaths,
  GuestTransportError,
  isGuestTransportError,
  type CopiedFile,
  type DownloadOptions,
  type DownloadResult,
  type GuestCall,
  type GuestHashCheck,
  type GuestRunOptions,
  type GuestRunResult,
  type GuestTransport,
  type LogRequest,
  type StagedFile,
  type UploadOptions,
  type UploadResult,
} from './guestTransport';

// A Hyper-V VM on this host reached over PowerShell Direct (VMBus: no network, no guest
// configuration beyond an account), through GpuPv.psm1's guest functions in a PowerShell
// process of its own, so a long test never holds up the Virtual Machines view's calls.
//
// - Every call opens its own PowerShell Direct session and closes it, so the transport
//   outlives a guest that restarts between two steps.
// - A guest operation is GpuPvGuestDirect.ps1 with GpuPvGuest.psm1's text, the operation and
//   its parameters as data. The module runs it as a remote job and appends what the guest
//   writes to a file here, which is read as it grows: a test's output streams while it runs.
// - A cancel or a time limit creates the call's cancel file. The module then has the guest
//   stop the run's work (Stop-GpuPvGuestWork kills its tests' process trees) before it stops
//   the job, and the call ends once the guest has.
// - Copies go with Copy-Item -ToSession into a fresh folder, and the guest module hashes every
//   copy in one call (Test-GpuPvStagedFiles) against the bytes staged here.
// - How a call ended in the guest (the VM is off, does not answer, went away) comes back as
//   data from the module, never by reading localized error texts.

export interface PowerShellDirectTarget {
  readonly vmId: string;
  /** For messages; the VM is always found by its id. */
  readonly vmName: string;
}

/** From SecretStorage; it reaches PowerShell inside the base64 parameters only, and the log redacts it. */
export interface PowerShellDirectCredentials {
  readonly user: string;
  readonly password: string;
}

export interface PowerShellDirectOptions {
  /** The PowerShell that runs GpuPv.psm1 (the user's setting). */
  readonly executable: string;
  /** GpuPv.psm1, with GpuPvPlatform/ beside it. */
  readonly modulePath: string;
  /** The folder holding GpuPvGuestDirect.ps1 and GpuPvGuest.psm1. */
  readonly guestScripts: string;
  readonly log: Logger;
  /** The PowerShell process's environment; the extension host's by default. */
  readonly env?: NodeJS.ProcessEnv;
  /** Starting PowerShell and the first session into the guest. Default 60 s. */
  readonly connectTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 60_000;
/** A call that moves no test along (a copy's bookkeeping, a log listing) still gets this long. */
const CALL_TIMEOUT_MS = 10 * 60_000;
// After a stop is asked for: the guest may let an install finish first (60 s, as the module
// asks Stop-GpuPvGuestWork), then ends the job; past this the PowerShell process is ended.
const STOP_GRACE_MS = 90_000;
const POLL_INTERVAL_MS = 100;
// GpuPvGuest.psm1 keeps each run in <SystemRoot>\Temp\GpuPv\<runId>\package.
const RUN_PACKAGE_FOLDER = /^.*[\\/]Temp[\\/]GpuPv[\\/]([A-Za-z0-9][A-Za-z0-9._-]{0,79})[\\/]package[\\/](.+)$/i;

/** Starts the transport's PowerShell and checks that the guest answers with these credentials. */
export async function connectPowerShellDirect(target: PowerShellDirectTarget, credentials: PowerShellDirectCredentials, options: PowerShellDirectOptions): Promise<PowerShellDirectTransport> {
  const label = `VM "${target.vmName}" (PowerShell Direct)`;
  if (options.signal?.aborted) throw new GuestTransportError('cancelled', `Connecting to ${label} was cancelled.`);
  const session = new PowerShellSession({
    executable: options.executable,
    modulePath: options.modulePath,
    timeoutMs: CALL_TIMEOUT_MS,
    hostLabel: label,
    log: options.log,
    ...(options.env ? { env: options.env } : {}),
  });
  const workFolder = await mkdtemp(path.join(tmpdir(), 'gpupv-direct-'));
  const transport = new PowerShellDirectTransport(session, target, credentials, label, options.guestScripts, workFolder);
  try {
    await transport.connect(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, options.signal);
  } catch (error) {
    await transport.close();
    throw error;
  }
  return transport;
}

type StopReason = 'cancelled' | 'timeout' | 'closing';

export class PowerShellDirectTransport implements GuestTransport {
  private closing = false;
  /** Calls still running, each asked to stop, and waited for, before the process is ended. */
  private readonly running = new Set<{ readonly stopper: Stopper; readonly ended: Promise<unknown> }>();
  private readonly passwordB64: string;

  /** @internal Made by connectPowerShellDirect. */
  constructor(
    private readonly session: PowerShellSession,
    private readonly vm: PowerShellDirectTarget,
    private readonly credentials: PowerShellDirectCredentials,
    readonly target: string,
    private readonly guestScripts: string,
    private readonly workFolder: string,
  ) {
    this.passwordB64 = Buffer.from(credentials.password, 'utf8').toString('base64');
  }

  /** @internal */
  async connect(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    const reply = await this.call('Test-GpuPvGuestSession', this.sessionParams(), 'connecting', { timeoutMs, ...(signal ? { signal } : {}) });
    if (reply.outcome !== 'connected') throw this.outcomeFailure(reply, 'connecting');
  }

  async run(call: GuestCall, options: GuestRunOptions = {}): Promise<GuestRunResult> {
    const shown = call.operation;
    this.throwIfUnusable(options.signal, `Running ${shown}`);
    const started = performance.now();
    const files = this.callFiles();
    await writeFile(files.live, '');
    const tail = new FileTail(files.live, (text) => options.onStdout?.(text));
    const stopper = new Stopper(files.cancel, options.signal);
    const timer = options.timeoutMs ? setTimeout(() => void stopper.stop('timeout'), options.timeoutMs) : undefined;
    let reply;
    try {
      reply = await this.tracked(
        stopper,
        this.call(
          'Invoke-GpuPvGuestOperation',
          { ...this.sessionParams(), guestScripts: this.guestScripts, operation: call.operation, paramsJson: JSON.stringify(call.parameters), liveFile: files.live, cancelFile: files.cancel },
          `running ${shown}`,
          // Without a limit of its own the call waits as long as the operation runs; a stop that the guest does not honour ends the process.
          { timeoutMs: options.timeoutMs ? options.timeoutMs + STOP_GRACE_MS : 0, signal: stopper.kill },
        ),
      );
    } catch (error) {
      if (stopper.reason && isGuestTransportError(error, 'cancelled')) {
        throw this.stopped(stopper.reason, shown, options.timeoutMs, [`The guest did not confirm that it stopped: check ${this.target} for ${shown} work left running.`]);
      }
      throw error;
    } finally {
      clearTimeout(timer);
      stopper.dispose();
      await tail.finish();
      await Promise.all([rm(files.live, { force: true }), rm(files.cancel, { force: true })]);
    }
    for (const line of reply.errors ?? []) options.onStderr?.(`${line}\n`);
    if (stopper.reason) throw this.stopped(stopper.reason, shown, options.timeoutMs, reply.guestCondition ?? []);
    if (reply.outcome !== 'completed') throw this.outcomeFailure(reply, `running ${shown}`);
    return { exitCode: 0, signal: null, durationMs: performance.now() - started };
  }

  async upload(files: readonly StagedFile[], remoteDir: string, options: UploadOptions = {}): Promise<UploadResult> {
    const { signal } = options;
    checkStagedPaths(files, true);
    const expected = new Map<string, string>();
    const hashCheck = options.hashCheck ?? this.stagedFilesCheck(remoteDir, expected);
    this.throwIfUnusable(signal, 'Copying the package');
    const started = performance.now();
    const staged = await Promise.all(files.map((file) => hashLocal(file)));
    for (const file of staged) expected.set(file.relativePath, file.sha256);
    const totalBytes = staged.reduce((sum, file) => sum + file.bytes, 0);
    const callFiles = this.callFiles();
    const stopper = new Stopper(callFiles.cancel, signal);
    const progress = new ProgressFile(callFiles.progress, (state) => {
      const file = staged.find((entry) => entry.relativePath === state.relativePath);
      if (file) options.onProgress?.({ phase: 'copy', relativePath: file.relativePath, fileBytesDone: file.bytes, fileBytes: file.bytes, totalBytesDone: state.bytesDone, totalBytes });
    });
    let sent;
    try {
      sent = await this.tracked(
        stopper,
        this.call(
          'Send-GpuPvGuestFiles',
          { ...this.sessionParams(), remoteDir, files: staged.map(({ localPath, relativePath }) => ({ localPath, relativePath })), progressFile: callFiles.progress, cancelFile: callFiles.cancel },
          'copying the package',
          { signal: stopper.kill },
        ),
      );
    } finally {
      stopper.dispose();
      await progress.finish();
      await Promise.all([rm(callFiles.progress, { force: true }), rm(callFiles.cancel, { force: true })]);
    }
    if (sent.outcome === 'exists') {
      throw new GuestTransportError('remoteFolderExists', `${remoteDir} already exists in ${this.target}: each copy goes into a new folder, so that files of an earlier run are never mixed in. Remove it, or run again to use a new folder.`);
    }
    if (sent.outcome !== 'copied') {
      const left = sent.removed === true ? ` What was copied into ${remoteDir} was removed.` : sent.removed === false ? partialCopyNote(remoteDir) : '';
      const failure = sent.outcome === 'cancelled' ? new GuestTransportError('cancelled', `Copying the package to ${this.target} was cancelled.`) : this.outcomeFailure(sent, 'copying the package');
      throw new GuestTransportError(failure.failure, `${failure.message}${left}`);
    }
    const guestDir = sent.remoteDir ?? remoteDir;
    const copied: (CopiedFile & { sentSha256: string })[] = (sent.files ?? []).map((file, index) => ({ relativePath: file.relativePath, remotePath: file.remotePath, bytes: file.bytes, sentSha256: staged[index]!.sha256 }));
    try {
      options.onProgress?.({ phase: 'verify', relativePath: copied[0]?.relativePath ?? '', fileBytesDone: 0, fileBytes: copied[0]?.bytes ?? 0, totalBytesDone: 0, totalBytes });
      const found = await hashCheck(copied, signal);
      if (signal?.aborted) throw new GuestTransportError('cancelled', `Copying the package to ${this.target} was cancelled.`);
      const wrong = copied.filter((file, index) => found[index]?.toLowerCase() !== file.sentSha256);
      if (wrong.length) {
        throw new GuestTransportError(
          'verifyFailed',
          `The copy in ${this.target} differs from what was sent: ${wrong.map((file) => `${file.relativePath} (SHA-256 ${found[copied.indexOf(file)] ?? 'not reported'}, sent ${file.sentSha256})`).join('; ')}.`,
        );
      }
      const last = copied[copied.length - 1];
      if (last) options.onProgress?.({ phase: 'verify', relativePath: last.relativePath, fileBytesDone: last.bytes, fileBytes: last.bytes, totalBytesDone: totalBytes, totalBytes });
    } catch (error) {
      const failure =
        signal?.aborted ? new GuestTransportError('cancelled', `Copying the package to ${this.target} was cancelled.`) : error instanceof GuestTransportError ? error : this.failure(error, 'checking the copies');
      const removed = await this.removeFolder(guestDir);
      throw new GuestTransportError(failure.failure, `${failure.message}${removed ? ` What was copied into ${remoteDir} was removed.` : partialCopyNote(remoteDir)}`);
    }
    return {
      remoteDir,
      files: copied.map(({ sentSha256, ...file }) => ({ ...file, sha256: sentSha256 })),
      bytes: totalBytes,
      durationMs: performance.now() - started,
    };
  }

  async download(requests: readonly LogRequest[], localDir: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    const { signal } = options;
    this.throwIfUnusable(signal, 'Bringing back the logs');
    await mkdir(localDir, { recursive: true });
    const callFiles = this.callFiles();
    const stopper = new Stopper(callFiles.cancel, signal);
    let received;
    try {
      received = await this.tracked(
        stopper,
        this.call(
          'Receive-GpuPvGuestLogs',
          { ...this.sessionParams(), requests: requests.map(({ remotePath, maxBytes, whenLarger }) => ({ remotePath, maxBytes, whenLarger })), localDir, cancelFile: callFiles.cancel },
          'bringing back the logs',
          { signal: stopper.kill },
        ),
      );
    } finally {
      stopper.dispose();
      await rm(callFiles.cancel, { force: true });
    }
    if (received.outcome === 'cancelled') throw new GuestTransportError('cancelled', `Bringing back the logs from ${this.target} was cancelled.`);
    if (received.outcome !== 'received') throw this.outcomeFailure(received, 'bringing back the logs');
    return {
      files: (received.files ?? []).map((file) => ({ ...file })),
      notes: (received.notes ?? []).map((note) => this.noteText(note)),
    };
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const running = [...this.running];
    for (const { stopper } of running) void stopper.stop('closing');
    await Promise.allSettled(running.map(({ ended }) => ended));
    await this.session.dispose();
    await rm(this.workFolder, { recursive: true, force: true });
  }

  /** Test-GpuPvStagedFiles over every copy at once: the guest module's own check, whose record the install step requires. */
  private stagedFilesCheck(remoteDir: string, expected: ReadonlyMap<string, string>): GuestHashCheck {
    const place = RUN_PACKAGE_FOLDER.exec(remoteDir);
    if (!place) {
      throw new GuestTransportError(
        'unsafeArgument',
        `${remoteDir} is not inside a run's package folder in ${this.target}: over PowerShell Direct the guest module checks each copy, so copies go into a folder inside the package folder New-GpuPvStagingFolder made.`,
      );
    }
    const [, runId, inside] = place as unknown as [string, string, string];
    const prefix = inside.replace(/[\\/]+/g, '/').replace(/\/$/, '');
    return async (files, signal) => {
      const parameters = { runId, files: files.map((file) => ({ path: `${prefix}/${file.relativePath}`, sha256: expected.get(file.relativePath) ?? '' })) };
      let checked: { path: string; actual: string | null }[];
      try {
        checked = (await callGuest<{ files: { path: string; actual: string | null }[] }>(this, 'Test-GpuPvStagedFiles', parameters, signal ? { signal } : {})).files;
      } catch (error) {
        if (!(error instanceof GuestCallError) || error.code !== 'HashMismatch') throw error;
        checked = (error.details?.files ?? []) as { path: string; actual: string | null }[];
      }
      return files.map((_, index) => checked[index]?.actual ?? 'missing in the guest');
    };
  }

  /** Keeps a call in `running` until it ends, so close() can stop it and wait for it. */
  private async tracked<T>(stopper: Stopper, call: Promise<T>): Promise<T> {
    const entry = { stopper, ended: call.catch(() => undefined) };
    this.running.add(entry);
    try {
      return await call;
    } finally {
      this.running.delete(entry);
    }
  }

  private async removeFolder(remoteDir: string): Promise<boolean> {
    try {
      return (await this.call('Remove-GpuPvGuestFolder', { ...this.sessionParams(), remoteDir }, `removing ${remoteDir}`)).outcome === 'removed';
    } catch {
      return false;
    }
  }

  /** One module call, its failures as GuestTransportErrors that name the guest. */
  private async call<F extends ModuleFunction>(fn: F, params: ModuleFunctions[F]['params'], doing: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ModuleFunctions[F]['result']> {
    try {
      return await this.session.call(fn, params, options);
    } catch (error) {
      throw this.failure(error, doing);
    }
  }

  private failure(error: unknown, doing: string): GuestTransportError {
    if (error instanceof GuestTransportError) return error;
    if (this.closing && isHyperVError(error, 'Cancelled', 'PowerShellCrashed')) return new GuestTransportError('connectionLost', `The PowerShell Direct connection to ${this.target} was closed while ${doing}.`);
    if (!isHyperVError(error)) return new GuestTransportError('remoteError', `${doing} failed in ${this.target}: ${error instanceof Error ? error.message : String(error)}.`);
    switch (error.code) {
      case 'CredentialRejected':
        return new GuestTransportError('authFailed', `${this.target} did not accept the credentials of ${this.credentials.user}: check the user name and password stored for this VM; the account must be an administrator of the guest.`);
      case 'VmNotFound':
        return new GuestTransportError('unreachable', `${this.target}: no virtual machine with the id ${this.vm.vmId} exists on this host any more. Choose the VM again in the driver section of gpupv.json.`);
      case 'Cancelled':
        return new GuestTransportError('cancelled', `${doing} in ${this.target} was cancelled.`);
      case 'Timeout':
        return new GuestTransportError('timeout', `${this.target} did not answer within ${error.message} while ${doing}: the guest may still be starting, or PowerShell Direct hangs in it.`);
      case 'AccessDenied':
      case 'HyperVModuleMissing':
      case 'PowerShellNotFound':
      case 'ModuleLoadFailed':
        return new GuestTransportError('unreachable', `${this.target} cannot be reached: ${actionableMessage(error)}`);
      case 'PowerShellCrashed':
        return new GuestTransportError('connectionLost', `The PowerShell process that reaches ${this.target} ended while ${doing}: ${actionableMessage(error)}`);
      default:
        return new GuestTransportError('remoteError', `${doing} failed in ${this.target}: ${error.message}`);
    }
  }

  /** How a call that did not finish ended in the guest, as a GuestTransportError. */
  private outcomeFailure(reply: GuestOutcomeResult, doing: string): GuestTransportError {
    const detail = reply.message ? ` (${reply.message.replace(/\.$/, '')})` : '';
    switch (reply.outcome) {
      case 'notRunning':
        return new GuestTransportError('unreachable', `${this.target} is not running (its state is ${reply.vmState}): start it, or wait until it has started, and run again.`);
      case 'unreachable':
        return new GuestTransportError('unreachable', `PowerShell Direct does not answer in ${this.target}${detail}: Windows in the VM may still be starting, or it is not Windows 10 / Server 2016 or later. Wait until the guest has started and run again.`);
      case 'lost':
        return new GuestTransportError('connectionLost', `The PowerShell Direct session to ${this.target} was lost while ${doing}; the VM is now ${reply.vmState}${detail}: it may have stopped, restarted or been reverted.`);
      case 'cancelled':
        return new GuestTransportError('cancelled', `${doing} in ${this.target} was cancelled.`);
      default:
        return new GuestTransportError('remoteError', `${doing} failed in ${this.target}${detail}.`);
    }
  }

  private stopped(reason: StopReason, shown: string, timeoutMs: number | undefined, condition: readonly string[]): GuestTransportError {
    const guest = condition.length ? ` ${condition.join(' ')}` : '';
    if (reason === 'timeout') return new GuestTransportError('timeout', `${shown} in ${this.target} did not finish within ${formatSeconds(timeoutMs ?? 0)} and was stopped.${guest}`);
    if (reason === 'closing') return new GuestTransportError('connectionLost', `The PowerShell Direct connection to ${this.target} was closed while running ${shown}, which was stopped.${guest}`);
    return new GuestTransportError('cancelled', `${shown} in ${this.target} was cancelled and stopped.${guest}`);
  }

  private noteText(note: GuestLogNote): string {
    const allowed = `more than the ${formatBytes(note.maxBytes)} allowed for it`;
    switch (note.kind) {
      case 'missing':
        return `${note.remotePath} was not found in ${this.target}.`;
      case 'notFile':
        return `${note.remotePath} in ${this.target} is not a file and was not brought back.`;
      case 'skipped':
        return `${note.remotePath} is ${formatBytes(note.bytes)}, ${allowed}, and was not brought back.`;
      case 'truncated':
        return `${note.remotePath} is ${formatBytes(note.bytes)}, ${allowed}: only its last ${formatBytes(note.maxBytes)} were brought back.`;
    }
  }

  private sessionParams() {
    return { vmId: this.vm.vmId, vmName: this.vm.vmName, credentialUser: this.credentials.user, credentialPasswordB64: this.passwordB64 };
  }

  private callFiles() {
    const id = randomBytes(8).toString('hex');
    return {
      live: path.join(this.workFolder, `live-${id}.txt`),
      cancel: path.join(this.workFolder, `cancel-${id}`),
      progress: path.join(this.workFolder, `progress-${id}.json`),
    };
  }

  private throwIfUnusable(signal: AbortSignal | undefined, what: string): void {
    if (signal?.aborted) throw new GuestTransportError('cancelled', `${what} in ${this.target} was cancelled.`);
    if (this.closing) throw new GuestTransportError('connectionLost', `The PowerShell Direct connection to ${this.target} was closed.`);
  }
}

function partialCopyNote(remoteDir: string): string {
  return ` ${remoteDir} in the guest may hold a partial copy: it is not installed, and the next run copies into a new folder.`;
}

/**
 * Asks a module call to stop by creating its cancel file; if the call has not ended after
 * STOP_GRACE_MS, `kill` aborts it, which ends the PowerShell process and the work with it.
 */
class Stopper {
  reason: StopReason | undefined;
  private readonly killer = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly onAbort = () => void this.stop('cancelled');

  /** `signal`: the caller's cancel. */
  constructor(
    private readonly cancelFile: string,
    private readonly signal: AbortSignal | undefined,
  ) {
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  get kill(): AbortSignal {
    return this.killer.signal;
  }

  async stop(why: StopReason): Promise<void> {
    if (this.reason) return;
    this.reason = why;
    this.timer = setTimeout(() => this.killer.abort(), STOP_GRACE_MS);
    await writeFile(this.cancelFile, why).catch(() => this.killer.abort());
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

/** Hands on what is appended to a file while a call runs, every POLL_INTERVAL_MS and once more at the end. */
class FileTail {
  private offset = 0;
  private readonly decoder = new TextDecoder('utf-8');
  private reading: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    private readonly onText: (text: string) => void,
  ) {
    this.timer = setInterval(() => this.poll(), POLL_INTERVAL_MS);
  }

  async finish(): Promise<void> {
    clearInterval(this.timer);
    this.poll();
    await this.reading;
    const rest = this.decoder.decode();
    if (rest) this.onText(rest);
  }

  private poll(): void {
    this.reading = this.reading.then(() => this.read()).catch(() => undefined);
  }

  private async read(): Promise<void> {
    const handle = await open(this.file, 'r');
    try {
      const buffer = Buffer.allocUnsafe(64 * 1024);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
        if (bytesRead === 0) return;
        this.offset += bytesRead;
        const text = this.decoder.decode(buffer.subarray(0, bytesRead), { stream: true });
        if (text) this.onText(text);
      }
    } finally {
      await handle.close();
    }
  }
}

/** Reads the module's progress file while a copy runs and reports each change once. */
class ProgressFile {
  private last = '';
  private reading: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    private readonly onProgress: (progress: GuestSendProgress) => void,
  ) {
    this.timer = setInterval(() => this.poll(), POLL_INTERVAL_MS);
  }

  async finish(): Promise<void> {
    clearInterval(this.timer);
    this.poll();
    await this.reading;
  }

  private poll(): void {
    this.reading = this.reading.then(() => this.read()).catch(() => undefined);
  }

  private async read(): Promise<void> {
    const text = await readFile(this.file, 'utf8');
    if (text === this.last) return;
    this.last = text;
    this.onProgress(JSON.parse(text) as GuestSendProgress);
  }
}

/** The SHA-256 and size of a staged file, checked against the hash recorded when it was staged. */
async function hashLocal(file: StagedFile): Promise<StagedFile & { sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(file.localPath)) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
  } catch (error) {
    throw new GuestTransportError('verifyFailed', `The staged file ${file.localPath} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): stage the package again.`);
  }
  const sha256 = hash.digest('hex');
  if (file.sha256 !== undefined && file.sha256.toLowerCase() !== sha256) {
    throw new GuestTransportError('verifyFailed', `${file.localPath} changed after the package was staged (its SHA-256 is no longer ${file.sha256}): build and sign the package again.`);
  }
  return { ...file, sha256, bytes };
}

