import { createHash } from 'node:crypto';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper, type Stats } from 'ssh2';
import type { Logger } from '../../common/logger';
import { formatBytes } from '../../vms/model/formatting';
import { formatSeconds } from '../pipeline/terminalTranscript';
import {
  checkStagedPaths,
  GuestTransportError,
  type CopiedFile,
  type CopyProgress,
  type DownloadedLog,
  type DownloadOptions,
  type DownloadResult,
  type GuestCall,
  type GuestRunOptions,
  type GuestRunResult,
  type GuestTransport,
  type LogRequest,
  type StagedFile,
  type UploadedFile,
  type UploadOptions,
  type UploadResult,
} from './guestTransport';
import { KILL_GRACE_MS, relayText, stopRemote } from './sshChannel';
import { plainCommandLine, type RemoteShell } from './sshCommandLine';
import { RunnerSession } from './sshRunnerSession';

// A guest reached over SSH (OpenSSH on Windows or anywhere else), through the ssh2 library:
// no ssh client has to be installed, and the credentials go from SecretStorage straight into
// the connection, never through a command line, a file or the log.
//
// - The host key is checked before any credential is sent: against the fingerprint the user
//   trusted before, or, on a first connection, handed back for the user to decide on.
// - Commands are plain words only (sshCommandLine.ts). Guest operations go to one fixed
//   command, the guest runner, which serves a connection's calls one after another and reads
//   their data from stdin (sshRunnerSession.ts).
// - Copies go over SFTP into a fresh folder, many writes in flight like `fastPut`, the SHA-256
//   taken from the very bytes sent and compared with the guest's copy afterwards.
// - A cancel sends the SSH "signal" request (TERM, then KILL), which OpenSSH delivers to the
//   session's process, then closes the channel (sshChannel.ts). Closing alone is not enough:
//   without a terminal OpenSSH lets the process run on. On POSIX the command line starts with
//   `exec`, so the session's process is the command and not the shell that started it.

export interface SshTarget {
  readonly host: string;
  /** Default 22. */
  readonly port?: number;
  readonly username: string;
  /**
   * The host key fingerprint the user trusted, as OpenSSH prints it (`SHA256:…`). Absent on a
   * first connection: it then fails with `hostKeyUnknown` carrying the key presented, for the
   * user to compare and trust.
   */
  readonly hostKeyFingerprint?: string;
  /** The shell the guest's sshd runs commands with (DefaultShell on Windows). */
  readonly shell: RemoteShell;
}

/** From SecretStorage; used for the handshake only and never logged. */
export interface SshCredentials {
  /** An OpenSSH, PEM or PPK private key. */
  readonly privateKey?: string | Buffer;
  readonly passphrase?: string;
  readonly password?: string;
}

/**
 * The fixed command that serves guest operations for a connection: Invoke-GpuPvGuest.ps1's
 * contract (one request a line on stdin, each answered up to GPUPV-RESULT-END on stdout, EOF
 * ends it, TERM and then KILL stop it where the server delivers signals). Windows' OpenSSH ends
 * the runner's whole process tree, which it keeps in one job object, when the channel goes.
 */
export interface SshGuestRunner {
  /** Plain words, e.g. `powershell.exe -NoProfile -NonInteractive -File C:\ProgramData\GpuPv\Invoke-GpuPvGuest.ps1`. */
  readonly command: readonly string[];
}

export interface SshConnectOptions {
  /** TCP connect plus handshake plus authentication. Default 15 s. */
  readonly connectTimeoutMs?: number;
  /** A keepalive this often; three unanswered end the connection as lost. Default 5 s. */
  readonly keepaliveIntervalMs?: number;
  readonly signal?: AbortSignal;
  readonly log?: Logger;
  /** Needed for `run()`. */
  readonly runner?: SshGuestRunner;
}

export interface SshExecOptions extends GuestRunOptions {
  /** Written to the command's stdin, which is then closed. */
  readonly stdin?: string | Buffer;
}

const DEFAULT_PORT = 22;
const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
const DEFAULT_KEEPALIVE_MS = 5_000;
const KEEPALIVE_COUNT_MAX = 3;
// 4 MiB in flight in requests of 128 KiB: on loopback a third faster than fastPut's 64 x 32 KiB
// (fewer packets for ssh2 to frame), and under OpenSSH's 255 KiB limit, so none is split.
const SFTP_CHUNK = 128 * 1024;
const SFTP_REQUESTS_IN_FLIGHT = 32;
const LOCAL_READ_BLOCK = 1024 * 1024;
const PROGRESS_INTERVAL_MS = 100;
// SFTP status codes (draft-ietf-secsh-filexfer-02), as ssh2 puts them on its errors.
const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;

/** The fingerprint OpenSSH shows for a public key blob: `SHA256:` and unpadded base64. */
function sshFingerprint(publicKeyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicKeyBlob).digest('base64').replace(/=+$/, '')}`;
}

function sameFingerprint(a: string, b: string): boolean {
  const normal = (text: string) => text.trim().replace(/^SHA256:/i, '').replace(/=+$/, '');
  return normal(a) === normal(b);
}

/** Connects, checks the host key and authenticates; rejects with a GuestTransportError saying which of these failed. */
export function connectSsh(target: SshTarget, credentials: SshCredentials, options: SshConnectOptions = {}): Promise<SshTransport> {
  const port = target.port ?? DEFAULT_PORT;
  const where = `${target.username}@${target.host}:${port}`;
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (options.signal?.aborted) return Promise.reject(new GuestTransportError('cancelled', `Connecting to ${where} was cancelled.`));
  const client = new Client();
  let presentedKey: string | undefined;
  const config: ConnectConfig = {
    host: target.host,
    port,
    username: target.username,
    readyTimeout: timeoutMs,
    keepaliveInterval: options.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_MS,
    keepaliveCountMax: KEEPALIVE_COUNT_MAX,
    tryKeyboard: false,
    ...(credentials.privateKey !== undefined ? { privateKey: credentials.privateKey } : {}),
    ...(credentials.passphrase !== undefined ? { passphrase: credentials.passphrase } : {}),
    ...(credentials.password !== undefined ? { password: credentials.password } : {}),
    // Runs before authentication, so no credential ever reaches a host that is not trusted.
    hostVerifier: (key: Buffer) => {
      presentedKey = sshFingerprint(key);
      return target.hostKeyFingerprint !== undefined && sameFingerprint(presentedKey, target.hostKeyFingerprint);
    },
  };
  options.log?.debug(`ssh: connecting to ${where}`);
  return new Promise<SshTransport>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: SshTransport | GuestTransportError) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      client.removeListener('error', onError);
      client.removeListener('close', onClose);
      if (outcome instanceof SshTransport) {
        resolve(outcome);
      } else {
        // ssh2 may still report the torn-down socket; nobody listens for it any more.
        client.on('error', () => undefined);
        client.destroy();
        reject(outcome);
      }
    };
    const onAbort = () => settle(new GuestTransportError('cancelled', `Connecting to ${where} was cancelled.`));
    const onError = (error: Error & { code?: string; level?: string }) => settle(connectFailure(error, where, target, presentedKey, timeoutMs));
    const onClose = () => settle(new GuestTransportError('connectionLost', `${where} closed the connection before the SSH handshake finished.`));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    client.on('error', onError);
    client.on('close', onClose);
    client.once('ready', () => settle(new SshTransport(client, target, `${where} (SSH)`, options.runner, options.log)));
    try {
      client.connect(config);
    } catch (error) {
      // ssh2 parses the key before it connects and throws what it cannot read; its message never holds the key.
      const reason = error instanceof Error ? error.message.replace(/^Cannot parse privateKey: /, '') : String(error);
      settle(
        new GuestTransportError(
          'badCredentials',
          `The private key stored for ${where} could not be used: ${reason}. ${/passphrase/i.test(reason) ? 'Enter its passphrase' : 'Store the key again (an OpenSSH, PEM or PuTTY key)'} and retry.`,
        ),
      );
    }
  });
}

function connectFailure(error: Error & { code?: string; level?: string }, where: string, target: SshTarget, presentedKey: string | undefined, timeoutMs: number): GuestTransportError {
  const address = `${target.host}:${target.port ?? DEFAULT_PORT}`;
  if (presentedKey !== undefined && /verification failed/i.test(error.message)) {
    if (target.hostKeyFingerprint === undefined) {
      return new GuestTransportError(
        'hostKeyUnknown',
        `${address} is not a trusted SSH host yet. It presents the host key ${presentedKey}; compare it with the guest's own (ssh-keygen -lf on its host key's .pub file) before trusting it.`,
        presentedKey,
      );
    }
    return new GuestTransportError(
      'hostKeyChanged',
      `The SSH host key of ${address} has changed: it now presents ${presentedKey}, but ${target.hostKeyFingerprint} is the key trusted for it. Nothing was sent. A reinstalled guest, or one reverted to a checkpoint from before its keys were made, does this; so does someone intercepting the connection. Trust the new key only if you know why it changed.`,
      presentedKey,
    );
  }
  switch (error.code) {
    case 'ECONNREFUSED':
      return new GuestTransportError('refused', `The connection to ${address} was refused: no SSH server listens there. Check the address and port, and that the OpenSSH server runs in the guest.`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
      return new GuestTransportError('unreachable', `${address} cannot be reached from here (${error.code}): check that the guest is running and on a network this machine can reach.`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new GuestTransportError('unreachable', `The guest's name ${target.host} does not resolve: check the spelling, or use its IP address.`);
    case 'ETIMEDOUT':
      return timedOut(address, timeoutMs);
    case 'ECONNRESET':
      return new GuestTransportError('connectionLost', `${address} reset the connection during the SSH handshake: its SSH server may be starting or refusing this client.`);
  }
  if (error.level === 'client-timeout') return timedOut(address, timeoutMs);
  if (error.level === 'client-authentication') {
    return new GuestTransportError(
      'authFailed',
      `${where} did not accept the credentials: check the user name and the key or password stored for this guest, and that its public key is in the user's authorized_keys (administrators_authorized_keys for an administrator on Windows).`,
    );
  }
  return new GuestTransportError('connectionLost', `The SSH connection to ${address} failed: ${error.message}.`);
}

function timedOut(address: string, timeoutMs: number): GuestTransportError {
  return new GuestTransportError(
    'timeout',
    `${address} did not complete an SSH handshake within ${formatSeconds(timeoutMs)}: the guest may be off or still starting, or a firewall drops the connection.`,
  );
}

export class SshTransport implements GuestTransport {
  private sftpSession: Promise<SFTPWrapper> | undefined;
  private lost: GuestTransportError | undefined;
  private lastError: Error | undefined;
  private closing = false;
  private readonly closed: Promise<void>;
  private readonly whenLost: Promise<never>;
  /** Commands still running, each stopped in the guest before the connection is closed. */
  private readonly running = new Set<() => Promise<void>>();
  private runnerSession: RunnerSession | undefined;
  /** The last call given to the runner; the next waits for it. */
  private runnerTurn: Promise<unknown> = Promise.resolve();

  /** @internal Made by connectSsh. */
  constructor(
    private readonly client: Client,
    private readonly ssh: SshTarget,
    readonly target: string,
    private readonly runner: SshGuestRunner | undefined,
    private readonly log: Logger | undefined,
  ) {
    this.closed = new Promise((resolve) => client.once('close', () => resolve()));
    this.whenLost = this.closed.then(() => Promise.reject(this.lost!));
    // Only ever raced against requests; a loss while none waits is no one's error.
    void this.whenLost.catch(() => undefined);
    client.on('error', (error) => {
      this.lastError = error;
      log?.debug(`ssh ${target}: ${error.message}`);
    });
    client.once('close', () => {
      this.lost = this.lostWhile(undefined);
    });
  }

  /** Runs plain words as a command in the guest; the exit code is the caller's to judge. */
  async exec(words: readonly string[], options: SshExecOptions = {}): Promise<GuestRunResult> {
    const shown = words[0]!;
    this.throwIfUnusable(options.signal, `Running ${shown}`);
    const started = performance.now();
    const channel = await this.openCommand(words, `starting ${shown}`);
    const closed = new Promise<void>((resolve) => channel.once('close', () => resolve()));
    let exit: { code: number | null; signal: string | null } | undefined;
    channel.once('exit', (code: number | null, signal?: string) => {
      exit = { code: typeof code === 'number' ? code : null, signal: signal ?? null };
    });
    channel.on('error', (error: Error) => this.log?.debug(`ssh ${this.target}: ${shown}: ${error.message}`));
    relayText(channel, options.onStdout);
    relayText(channel.stderr, options.onStderr);
    if (options.stdin !== undefined) channel.end(options.stdin);
    else channel.end();

    let stopped: 'cancelled' | 'timeout' | 'closing' | undefined;
    let givenUp!: () => void;
    const abandoned = new Promise<void>((resolve) => (givenUp = resolve));
    const ended = Promise.race([closed, abandoned]);
    const stop = (why: 'cancelled' | 'timeout' | 'closing') => {
      if (!stopped) {
        stopped = why;
        void stopRemote(channel, closed, givenUp);
      }
      return ended;
    };
    const onAbort = () => void stop('cancelled');
    const onClose = () => stop('closing');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    this.running.add(onClose);
    const timer = options.timeoutMs ? setTimeout(() => void stop('timeout'), options.timeoutMs) : undefined;
    try {
      await ended;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      this.running.delete(onClose);
    }
    const durationMs = performance.now() - started;
    const unconfirmed = stopped && !exit ? ` The guest did not confirm that it ended: check ${this.target} for a ${shown} process left running.` : '';
    if (stopped === 'cancelled') throw new GuestTransportError('cancelled', `${shown} in ${this.target} was cancelled and stopped.${unconfirmed}`);
    if (stopped === 'timeout') throw new GuestTransportError('timeout', `${shown} in ${this.target} did not finish within ${formatSeconds(options.timeoutMs!)} and was stopped.${unconfirmed}`);
    if (stopped === 'closing') throw new GuestTransportError('connectionLost', `The SSH connection to ${this.target} was closed while running ${shown}, which was stopped.${unconfirmed}`);
    if (!exit && this.lost) throw this.lostWhile(`running ${shown}`);
    if (!exit) throw new GuestTransportError('connectionLost', `${shown} in ${this.target} ended without an exit status: the SSH server closed its channel.`);
    return { exitCode: exit.code, signal: exit.signal, durationMs };
  }

  /**
   * One guest operation, served by the connection's guest runner (sshRunnerSession.ts), which
   * is started on the first call and again after it was stopped or died. Calls take turns:
   * the runner serves one at a time.
   */
  run(call: GuestCall, options: GuestRunOptions = {}): Promise<GuestRunResult> {
    const { runner } = this;
    if (!runner) return Promise.reject(new Error(`No guest runner is configured for ${this.target}.`));
    const turn = this.runnerTurn.then(async () => {
      this.throwIfUnusable(options.signal, call.operation);
      return (await this.servingRunner(runner, call.operation)).call(call, options);
    });
    this.runnerTurn = turn.catch(() => undefined);
    return turn;
  }

  private async servingRunner(runner: SshGuestRunner, operation: string): Promise<RunnerSession> {
    if (this.runnerSession?.usable) return this.runnerSession;
    const channel = await this.openCommand(runner.command, `starting the guest runner for ${operation}`);
    const session = new RunnerSession(channel, this.target, (doing) => (this.lost ? this.lostWhile(doing) : undefined), this.log);
    const stop = () => session.close();
    this.running.add(stop);
    void session.ended.then(() => this.running.delete(stop));
    this.runnerSession = session;
    return session;
  }

  /** Opens a channel running plain words; on POSIX the words replace the shell (`exec`), so signals reach the command. */
  private async openCommand(words: readonly string[], doing: string): Promise<ClientChannel> {
    // `exec` is ours and constant.
    const commandLine = `${this.ssh.shell === 'posix' ? 'exec ' : ''}${plainCommandLine(words, this.ssh.shell)}`;
    this.log?.debug(`ssh ${this.target}: exec ${commandLine}`);
    const opening = new Promise<ClientChannel>((resolve, reject) => {
      this.client.exec(commandLine, (error, opened) => (error ? reject(this.failure(error, doing)) : resolve(opened)));
    });
    return Promise.race([opening, this.whenLost]).catch((error: unknown) => {
      throw this.failure(error, doing);
    });
  }

  async upload(files: readonly StagedFile[], remoteDir: string, options: UploadOptions = {}): Promise<UploadResult> {
    const { signal } = options;
    checkStagedPaths(files, this.ssh.shell !== 'posix');
    this.throwIfUnusable(signal, 'Copying the package');
    const started = performance.now();
    const sftp = await this.sftp();
    // What this copy made, in order, so that a failure removes exactly that and nothing else.
    const created: { path: string; kind: 'file' | 'folder' }[] = [];
    const sizes = await Promise.all(files.map((file) => localSize(file.localPath)));
    const totalBytes = sizes.reduce((sum, size) => sum + size, 0);
    let doing = `creating ${remoteDir}`;
    try {
      await this.makeFreshFolder(sftp, remoteDir, created);
      const copied: (CopiedFile & { sentSha256: string })[] = [];
      const progress = new ProgressThrottle('copy', totalBytes, options.onProgress);
      for (const file of files) {
        const remotePath = `${remoteDir}/${file.relativePath}`;
        await this.makeSubfolders(sftp, remoteDir, file.relativePath, created);
        doing = `copying ${file.relativePath}`;
        const sent = await this.sendFile(sftp, file, remotePath, created, progress, signal);
        if (file.sha256 !== undefined && file.sha256.toLowerCase() !== sent.sha256) {
          throw new GuestTransportError('verifyFailed', `${file.localPath} changed after the package was staged (its SHA-256 is no longer ${file.sha256}): build and sign the package again.`);
        }
        copied.push({ relativePath: file.relativePath, remotePath, bytes: sent.bytes, sentSha256: sent.sha256 });
      }
      doing = 'checking the copies';
      const hashCheck = options.hashCheck ?? ((list, abort) => this.readBackHashes(list, abort, options.onProgress));
      const found = await hashCheck(copied, signal);
      const wrong = copied.filter((file, index) => found[index]?.toLowerCase() !== file.sentSha256);
      if (wrong.length) {
        throw new GuestTransportError(
          'verifyFailed',
          `The copy in ${this.target} differs from what was sent: ${wrong.map((file) => `${file.relativePath} (SHA-256 ${found[copied.indexOf(file)] ?? 'not reported'}, sent ${file.sentSha256})`).join('; ')}.`,
        );
      }
      return {
        remoteDir,
        files: copied.map(({ sentSha256, ...file }): UploadedFile => ({ ...file, sha256: sentSha256 })),
        bytes: totalBytes,
        durationMs: performance.now() - started,
      };
    } catch (error) {
      const failure = signal?.aborted ? new GuestTransportError('cancelled', `Copying the package to ${this.target} was cancelled.`) : this.failure(error, doing);
      const removed = await this.removeCreated(sftp, created);
      const left = created.length === 0 ? '' : removed ? ` What was copied into ${remoteDir} was removed.` : ` ${remoteDir} in the guest may hold a partial copy: it is not installed, and the next run copies into a new folder.`;
      throw new GuestTransportError(failure.failure, `${failure.message}${left}`, failure.presentedHostKey);
    }
  }

  async download(requests: readonly LogRequest[], localDir: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    const { signal } = options;
    this.throwIfUnusable(signal, 'Bringing back the logs');
    await mkdir(localDir, { recursive: true });
    const sftp = await this.sftp();
    const files: DownloadedLog[] = [];
    const notes: string[] = [];
    const usedNames = new Set<string>();
    for (const request of requests) {
      const matches = await this.findLogs(sftp, request.remotePath, notes);
      if (matches.length === 0) {
        notes.push(`${request.remotePath} was not found in ${this.target}.`);
        continue;
      }
      for (const match of matches) {
        const keep = Math.min(match.size, request.maxBytes);
        if (match.size > request.maxBytes && request.whenLarger === 'skip') {
          notes.push(`${match.remotePath} is ${formatBytes(match.size)}, more than the ${formatBytes(request.maxBytes)} allowed for it, and was not brought back.`);
          continue;
        }
        const localPath = path.join(localDir, uniqueLocalName(path.posix.basename(match.remotePath), usedNames));
        try {
          await this.fetchTail(sftp, match.remotePath, match.size - keep, match.size, localPath, signal);
        } catch (error) {
          // Half a log would read as the whole one.
          await rm(localPath, { force: true });
          throw signal?.aborted ? new GuestTransportError('cancelled', `Bringing back the logs from ${this.target} was cancelled.`) : this.failure(error, `bringing back ${match.remotePath}`);
        }
        const truncated = keep < match.size;
        if (truncated) {
          notes.push(`${match.remotePath} is ${formatBytes(match.size)}, more than the ${formatBytes(request.maxBytes)} allowed for it: only its last ${formatBytes(keep)} were brought back.`);
        }
        files.push({ remotePath: match.remotePath, localPath, remoteBytes: match.size, bytes: keep, truncated });
      }
    }
    return { files, notes };
  }

  async close(): Promise<void> {
    if (this.lost) return;
    this.closing = true;
    // OpenSSH lets a command without a terminal run on after its client has gone.
    await Promise.all([...this.running].map((stop) => stop()));
    this.client.end();
    const slow = new Promise<'slow'>((resolve) => setTimeout(() => resolve('slow'), KILL_GRACE_MS).unref());
    if ((await Promise.race([this.closed, slow])) === 'slow') this.client.destroy();
    await this.closed;
  }

  /** Reads each copy back over SFTP and hashes it here: needs nothing of the guest but its SFTP server. */
  private async readBackHashes(files: readonly CopiedFile[], signal: AbortSignal | undefined, onProgress: UploadOptions['onProgress']): Promise<string[]> {
    const sftp = await this.sftp();
    const progress = new ProgressThrottle('verify', files.reduce((sum, file) => sum + file.bytes, 0), onProgress);
    const hashes: string[] = [];
    for (const file of files) {
      const hash = createHash('sha256');
      let done = 0;
      await this.readRemote(sftp, file.remotePath, 0, file.bytes, signal, (chunk) => {
        hash.update(chunk);
        done += chunk.length;
        progress.report(file.relativePath, done, file.bytes, chunk.length);
      });
      progress.fileDone(file.relativePath, done, file.bytes);
      hashes.push(hash.digest('hex'));
    }
    return hashes;
  }

  private async sendFile(
    sftp: SFTPWrapper,
    file: StagedFile,
    remotePath: string,
    created: { path: string; kind: 'file' | 'folder' }[],
    progress: ProgressThrottle,
    signal: AbortSignal | undefined,
  ): Promise<{ sha256: string; bytes: number }> {
    let local: FileHandle;
    try {
      local = await open(file.localPath, 'r');
    } catch (error) {
      throw new GuestTransportError('verifyFailed', `The staged file ${file.localPath} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): stage the package again.`);
    }
    const hash = createHash('sha256');
    const inFlight = new Set<Promise<void>>();
    let writeError: Error | undefined;
    let handle: Buffer | undefined;
    try {
      const size = (await local.stat()).size;
      // Exclusive create: a file of the same name is never written over, even in a fresh folder.
      handle = await this.request<Buffer>((done) => sftp.open(remotePath, 'wx', done));
      created.push({ path: remotePath, kind: 'file' });
      const remote = handle;
      let position = 0;
      let sent = 0;
      while (position < size) {
        const block = Buffer.allocUnsafe(Math.min(LOCAL_READ_BLOCK, size - position));
        const { bytesRead } = await local.read(block, 0, block.length, position);
        if (bytesRead === 0) throw new GuestTransportError('verifyFailed', `${file.localPath} became shorter while it was copied: stage the package again.`);
        hash.update(block.subarray(0, bytesRead));
        for (let offset = 0; offset < bytesRead; offset += SFTP_CHUNK) {
          if (signal?.aborted) throw new GuestTransportError('cancelled', 'cancelled');
          if (writeError !== undefined) throw writeError;
          const length = Math.min(SFTP_CHUNK, bytesRead - offset);
          const write = this.request((done) => sftp.write(remote, block, offset, length, position + offset, done)).then(
            () => {
              sent += length;
              progress.report(file.relativePath, sent, size, length);
            },
            (error: unknown) => {
              writeError ??= error instanceof Error ? error : new Error(String(error));
            },
          );
          inFlight.add(write);
          void write.finally(() => inFlight.delete(write));
          while (inFlight.size >= SFTP_REQUESTS_IN_FLIGHT) await Promise.race(inFlight);
        }
        position += bytesRead;
      }
      await Promise.all(inFlight);
      if (writeError !== undefined) throw writeError;
      handle = undefined;
      await this.request((done) => sftp.close(remote, done));
      // Only now is the file whole in the guest: the last report says so.
      progress.fileDone(file.relativePath, sent, size);
      return { sha256: hash.digest('hex'), bytes: size };
    } finally {
      await Promise.allSettled(inFlight);
      const remote = handle;
      if (remote && !this.lost) await this.request((done) => sftp.close(remote, done)).catch(() => undefined);
      await local.close();
    }
  }

  /** Reads [start, end) of a remote file in order, many requests in flight, handing each piece to `consume`. */
  private async readRemote(sftp: SFTPWrapper, remotePath: string, start: number, end: number, signal: AbortSignal | undefined, consume: (chunk: Buffer) => void | Promise<void>): Promise<void> {
    const handle = await this.request<Buffer>((done) => sftp.open(remotePath, 'r', done));
    // Settled results, never rejections: a request that fails while an earlier one is awaited must not go unhandled.
    const pending: Promise<Buffer | { error: unknown }>[] = [];
    let next = start;
    const request = () => {
      const position = next;
      const length = Math.min(SFTP_CHUNK, end - position);
      next += length;
      pending.push(this.readFully(sftp, handle, position, length).catch((error: unknown) => ({ error })));
    };
    try {
      while (pending.length < SFTP_REQUESTS_IN_FLIGHT && next < end) request();
      while (pending.length) {
        const result = await pending.shift()!;
        if (!Buffer.isBuffer(result)) throw result.error;
        if (signal?.aborted) throw new GuestTransportError('cancelled', 'cancelled');
        await consume(result);
        if (next < end) request();
      }
    } finally {
      await Promise.allSettled(pending);
      if (!this.lost) await this.request((done) => sftp.close(handle, done)).catch(() => undefined);
    }
  }

  private async fetchTail(sftp: SFTPWrapper, remotePath: string, start: number, end: number, localPath: string, signal: AbortSignal | undefined): Promise<void> {
    const local = await open(localPath, 'w');
    try {
      let position = 0;
      await this.readRemote(sftp, remotePath, start, end, signal, async (chunk) => {
        await local.write(chunk, 0, chunk.length, position);
        position += chunk.length;
      });
    } finally {
      await local.close();
    }
  }

  /** The files a log request names: one path, or the files of a folder matching the pattern in its last part. */
  private async findLogs(sftp: SFTPWrapper, remotePath: string, notes: string[]): Promise<{ remotePath: string; size: number }[]> {
    const name = path.posix.basename(remotePath);
    if (!/[*?]/.test(name)) {
      const stats = await this.request<Stats>((done) => sftp.stat(remotePath, done)).catch((error: unknown) => {
        if (sftpStatus(error) === SFTP_NO_SUCH_FILE) return undefined;
        throw this.failure(error, `looking for ${remotePath}`);
      });
      if (!stats) return [];
      if (!stats.isFile()) {
        notes.push(`${remotePath} in ${this.target} is not a file and was not brought back.`);
        return [];
      }
      return [{ remotePath, size: stats.size }];
    }
    const folder = path.posix.dirname(remotePath);
    const entries = await this.request<{ filename: string; attrs: Stats }[]>((done) => sftp.readdir(folder, done)).catch((error: unknown) => {
      if (sftpStatus(error) === SFTP_NO_SUCH_FILE) return [];
      throw this.failure(error, `listing ${folder}`);
    });
    const pattern = globPattern(name, this.ssh.shell !== 'posix');
    const found: { remotePath: string; size: number }[] = [];
    for (const entry of entries) {
      if (!pattern.test(entry.filename) || !entry.attrs.isFile()) continue;
      // The names come from the guest: one that could leave the folder is not used.
      if (!isPlainFileName(entry.filename, this.ssh.shell)) {
        notes.push(`${folder} in ${this.target} lists a file named ${JSON.stringify(entry.filename)}, which cannot be a file name here; it was not brought back.`);
        continue;
      }
      found.push({ remotePath: `${folder}/${entry.filename}`, size: entry.attrs.size });
    }
    return found.sort((a, b) => a.remotePath.localeCompare(b.remotePath));
  }

  private async makeFreshFolder(sftp: SFTPWrapper, remoteDir: string, created: { path: string; kind: 'file' | 'folder' }[]): Promise<void> {
    const exists = (where: string) =>
      this.request<Stats>((done) => sftp.stat(where, done)).then(
        () => true,
        (error: unknown) => {
          if (sftpStatus(error) === SFTP_NO_SUCH_FILE) return false;
          throw error;
        },
      );
    const folderExists = () =>
      new GuestTransportError('remoteFolderExists', `${remoteDir} already exists in ${this.target}: each copy goes into a new folder, so that files of an earlier run are never mixed in. Remove it, or run again to use a new folder.`);
    if (await exists(remoteDir)) throw folderExists();
    // The folders above (a runs folder, say) are shared between runs: made when missing, never removed.
    for (const ancestor of ancestorsOf(remoteDir)) {
      if (await exists(ancestor)) continue;
      try {
        await this.request((done) => sftp.mkdir(ancestor, done));
      } catch (error) {
        // Another run may have made it in the meantime, which is as good.
        if (!(await exists(ancestor))) throw error;
      }
    }
    try {
      await this.request((done) => sftp.mkdir(remoteDir, done));
    } catch (error) {
      // SFTP says only "failure" when the folder appeared in the meantime.
      if (await exists(remoteDir)) throw folderExists();
      throw error;
    }
    created.push({ path: remoteDir, kind: 'folder' });
  }

  private async makeSubfolders(sftp: SFTPWrapper, remoteDir: string, relativePath: string, created: { path: string; kind: 'file' | 'folder' }[]): Promise<void> {
    const parts = relativePath.split('/').slice(0, -1);
    for (let depth = 1; depth <= parts.length; depth++) {
      const folder = `${remoteDir}/${parts.slice(0, depth).join('/')}`;
      if (created.some((entry) => entry.path === folder)) continue;
      await this.request((done) => sftp.mkdir(folder, done));
      created.push({ path: folder, kind: 'folder' });
    }
  }

  /** Removes what a failed copy made, newest first; false when something could not be removed. */
  private async removeCreated(sftp: SFTPWrapper, created: readonly { path: string; kind: 'file' | 'folder' }[]): Promise<boolean> {
    if (created.length === 0) return true;
    if (this.lost) return false;
    let all = true;
    for (const entry of [...created].reverse()) {
      try {
        await this.request((done) => (entry.kind === 'file' ? sftp.unlink(entry.path, done) : sftp.rmdir(entry.path, done)));
      } catch {
        all = false;
      }
    }
    return all;
  }

  /** An SFTP request that fails with the connection's loss at the latest: ssh2 answers queued requests of a dead connection never. */
  private request<T = void>(start: (done: (error: Error | null | undefined, value: T) => void) => void): Promise<T> {
    return Promise.race([sftpCall(start), this.whenLost]);
  }

  private async readFully(sftp: SFTPWrapper, handle: Buffer, position: number, length: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const got = await this.request<number>((done) => sftp.read(handle, buffer, filled, length - filled, position + filled, (error, bytesRead) => done(error, bytesRead)));
      // End of file: the file is shorter than expected, which the caller's hash or size check shows.
      if (got === 0) break;
      filled += got;
    }
    return buffer.subarray(0, filled);
  }

  private sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= new Promise<SFTPWrapper>((resolve, reject) => {
      this.client.sftp((error, sftp) => {
        if (error) {
          this.sftpSession = undefined;
          reject(this.failure(error, 'starting SFTP'));
          return;
        }
        sftp.once('close', () => {
          this.sftpSession = undefined;
        });
        resolve(sftp);
      });
    });
    return this.sftpSession;
  }

  private lostWhile(doing: string | undefined): GuestTransportError {
    const during = doing ? ` while ${doing}` : '';
    if (this.closing) return new GuestTransportError('connectionLost', `The SSH connection to ${this.target} was closed${during}.`);
    const reason = this.lastError ? ` (${this.lastError.message})` : '';
    return new GuestTransportError('connectionLost', `The SSH connection to ${this.target} was lost${during}${reason}: the guest may have stopped, restarted or left the network.`);
  }

  private throwIfUnusable(signal: AbortSignal | undefined, what: string): void {
    if (signal?.aborted) throw new GuestTransportError('cancelled', `${what} in ${this.target} was cancelled.`);
    if (this.lost) throw this.lost;
  }

  /** A GuestTransportError for what went wrong while `doing`: the connection's loss, or what the guest said. */
  private failure(error: unknown, doing: string): GuestTransportError {
    if (error instanceof GuestTransportError && error !== this.lost) return error;
    const message = error instanceof Error ? error.message : String(error);
    // ssh2 fails the requests still waiting when the connection drops, sometimes before it reports the drop itself.
    if (this.lost || /No response from server|Not connected|Channel (?:is )?not open|Unable to exec|Channel closed/i.test(message)) return this.lostWhile(doing);
    const status = sftpStatus(error);
    if (status === SFTP_PERMISSION_DENIED) return new GuestTransportError('remoteError', `${this.target} denied ${doing}: the user has no permission there.`);
    if (status === SFTP_NO_SUCH_FILE) return new GuestTransportError('remoteError', `${doing} failed in ${this.target}: no such file or folder.`);
    return new GuestTransportError('remoteError', `${doing} failed in ${this.target}: ${message}.`);
  }
}

function sftpCall<T = void>(start: (done: (error: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value))));
}

function sftpStatus(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

async function localSize(localPath: string): Promise<number> {
  try {
    const handle = await open(localPath, 'r');
    try {
      return (await handle.stat()).size;
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new GuestTransportError('verifyFailed', `The staged file ${localPath} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): stage the package again.`);
  }
}


/** The folders above a remote folder, outermost first, without the root or a drive. */
function ancestorsOf(remoteDir: string): string[] {
  const ancestors: string[] = [];
  for (let folder = path.posix.dirname(remoteDir); folder !== path.posix.dirname(folder) && !/^\/?[A-Za-z]:\/?$/.test(folder) && folder !== '.'; folder = path.posix.dirname(folder)) {
    ancestors.unshift(folder);
  }
  return ancestors;
}

function globPattern(name: string, ignoreCase: boolean): RegExp {
  const source = name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  // `s`: a file name may hold a line break, and `*` matches it too.
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
}

/** A name that stays inside its folder: on Windows the backslash separates folders too. */
function isPlainFileName(name: string, shell: RemoteShell): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\0]/.test(name) && !(shell !== 'posix' && name.includes('\\'));
}

/** A local name for a guest's file: characters no host file system takes replaced, and unique in the folder. */
function uniqueLocalName(remoteName: string, used: Set<string>): string {
  // eslint-disable-next-line no-control-regex -- control characters are what file names on a Windows host may not hold
  const safe = remoteName.replace(/[<>:"|?*\\/\x00-\x1f]/g, '_').replace(/[. ]+$/, '_') || '_';
  let name = safe;
  for (let copy = 2; used.has(name.toLowerCase()); copy++) {
    const extension = path.extname(safe);
    name = `${safe.slice(0, safe.length - extension.length)}-${copy}${extension}`;
  }
  used.add(name.toLowerCase());
  return name;
}

/** Reports progress at most every PROGRESS_INTERVAL_MS, and always when a file is done. */
class ProgressThrottle {
  private totalDone = 0;
  private lastReport = 0;

  constructor(
    private readonly phase: CopyProgress['phase'],
    private readonly totalBytes: number,
    private readonly onProgress: ((progress: CopyProgress) => void) | undefined,
  ) {}

  report(relativePath: string, fileBytesDone: number, fileBytes: number, added: number): void {
    this.totalDone += added;
    const now = performance.now();
    if (now - this.lastReport < PROGRESS_INTERVAL_MS) return;
    this.lastReport = now;
    this.emit(relativePath, fileBytesDone, fileBytes);
  }

  fileDone(relativePath: string, fileBytesDone: number, fileBytes: number): void {
    this.emit(relativePath, fileBytesDone, fileBytes);
  }

  private emit(relativePath: string, fileBytesDone: number, fileBytes: number): void {
    this.onProgress?.({ phase: this.phase, relativePath, fileBytesDone, fileBytes, totalBytesDone: this.totalDone, totalBytes: this.totalBytes });
  }
}
