// What the Deploy and Test steps need from a guest, whichever way it is reached: PowerShell
// Direct to a Hyper-V VM on this host, or SSH to any machine running OpenSSH. The steps run
// guest operations, copy a staged package into a fresh folder and bring logs back; they never
// see which transport does it, so a failure reads the same way (a typed failure and a message
// that names the guest) and a cancel means the same thing: the work in the guest stops and
// nothing half-copied is left to be installed. Pure: no `vscode`.

/**
 * A guest operation and its data. The transport runs one fixed command in the guest (the
 * guest module's runner) and hands it the parameters as data, so no name, path or test
 * selection ever becomes code in the guest's shell.
 */
export interface GuestCall {
  /** The operation the guest side runs, e.g. `Install-GpuPvDriverPackage`. */
  readonly operation: string;
  /** JSON-serialisable values; they reach the guest as a JSON document. */
  readonly parameters: Readonly<Record<string, unknown>>;
}

export interface GuestRunOptions {
  readonly onStdout?: (text: string) => void;
  readonly onStderr?: (text: string) => void;
  /** Aborting stops the operation in the guest; the call rejects with `cancelled` once it has. */
  readonly signal?: AbortSignal;
  /** 0 or absent: no limit. Past it the operation is stopped and the call rejects with `timeout`. */
  readonly timeoutMs?: number;
}

export interface GuestRunResult {
  /** null when the guest process was ended by a signal. */
  readonly exitCode: number | null;
  /** The signal that ended it, as Node names signals (`SIGTERM`); null when it exited. */
  readonly signal: string | null;
  readonly durationMs: number;
}

/** One file of a staged package and where it goes under the fresh folder. */
export interface StagedFile {
  readonly localPath: string;
  /** Relative to the folder the package is copied into; `/`-separated, no `..`. */
  readonly relativePath: string;
  /**
   * The SHA-256 (hex) recorded when the package was staged. When given, the bytes read for the
   * copy must match it, so a file changed after signing is never sent.
   */
  readonly sha256?: string;
}

/**
 * Refuses a package whose relative paths would leave the fresh folder, are not names the guest's
 * file system takes (Windows: none of `<>"|?*` or control characters), or name one file twice
 * (in any letter case, on Windows).
 */
export function checkStagedPaths(files: readonly StagedFile[], windowsGuest: boolean): void {
  const seen = new Set<string>();
  for (const { relativePath } of files) {
    // eslint-disable-next-line no-control-regex -- control characters are what Windows file names may not hold
    const bad = relativePath.split('/').some((part) => part === '' || part === '.' || part === '..' || /[\0\\:]/.test(part) || (windowsGuest && /[<>"|?*\x01-\x1f]/.test(part)));
    if (bad) throw new GuestTransportError('unsafeArgument', `${JSON.stringify(relativePath)} cannot be a file's place in the package folder: use a relative path of plain names separated by "/".`);
    const key = windowsGuest ? relativePath.toLowerCase() : relativePath;
    if (seen.has(key)) throw new GuestTransportError('unsafeArgument', `The package lists ${relativePath} twice.`);
    seen.add(key);
  }
}

export interface CopyProgress {
  /** `copy` while bytes are sent, `verify` while the guest's copies are hashed. */
  readonly phase: 'copy' | 'verify';
  readonly relativePath: string;
  readonly fileBytesDone: number;
  readonly fileBytes: number;
  readonly totalBytesDone: number;
  readonly totalBytes: number;
}

/** A file as copied into the guest, before its hash there is read. */
export interface CopiedFile {
  readonly relativePath: string;
  /** The guest's path, in the form the transport uses for it. */
  readonly remotePath: string;
  readonly bytes: number;
}

/**
 * Reads the SHA-256 (hex) of each copied file in the guest, in order. Pluggable because the best
 * way depends on the guest: reading the copy back works everywhere; a Windows guest can hash all
 * files in one call of the guest module.
 */
export type GuestHashCheck = (files: readonly CopiedFile[], signal?: AbortSignal) => Promise<readonly string[]>;

export interface UploadOptions {
  readonly signal?: AbortSignal;
  /** Called as bytes go out, at most every 100 ms per phase, and when each file is done. */
  readonly onProgress?: (progress: CopyProgress) => void;
  /** How the guest's copies are hashed; absent: the transport's own way. */
  readonly hashCheck?: GuestHashCheck;
}

export interface UploadedFile extends CopiedFile {
  /** The hash the guest's copy was found to have; equal to the bytes sent. */
  readonly sha256: string;
}

export interface UploadResult {
  readonly remoteDir: string;
  readonly files: readonly UploadedFile[];
  readonly bytes: number;
  readonly durationMs: number;
}

/** A log to bring back: a path, or a folder and a `*`/`?` pattern in its last part. */
export interface LogRequest {
  readonly remotePath: string;
  /** Files larger than this are not brought back whole. */
  readonly maxBytes: number;
  /** What to do with a larger file: keep its last `maxBytes` (text logs grow at the end), or skip it (a dump cut short is useless). */
  readonly whenLarger: 'keepTail' | 'skip';
}

export interface DownloadedLog {
  readonly remotePath: string;
  readonly localPath: string;
  /** The file's size in the guest. */
  readonly remoteBytes: number;
  /** What was written here: less than `remoteBytes` when only the tail was kept. */
  readonly bytes: number;
  readonly truncated: boolean;
}

export interface DownloadResult {
  readonly files: readonly DownloadedLog[];
  /** One sentence each for the summary: a log that was missing, cut to its tail, or skipped. */
  readonly notes: readonly string[];
}

export interface DownloadOptions {
  readonly signal?: AbortSignal;
}

export interface GuestTransport {
  /** How messages name the guest, e.g. `tester@10.0.0.7:22 (SSH)`. */
  readonly target: string;
  /** Runs one guest operation with its output streamed; the exit code is the caller's to judge. */
  run(call: GuestCall, options?: GuestRunOptions): Promise<GuestRunResult>;
  /**
   * Copies the files into `remoteDir`, which must not exist yet (a fresh folder per run), and
   * checks each copy's hash in the guest. Resolves only when every file arrived intact; on a
   * failure or a cancel it rejects and removes what it created when the guest can still be reached.
   */
  upload(files: readonly StagedFile[], remoteDir: string, options?: UploadOptions): Promise<UploadResult>;
  /** Brings logs back into `localDir`; missing or oversized logs become notes, not failures. */
  download(requests: readonly LogRequest[], localDir: string, options?: DownloadOptions): Promise<DownloadResult>;
  /** Ends the connection; operations still running reject with `connectionLost`. */
  close(): Promise<void>;
}

export type GuestTransportFailure =
  /** Nothing listens at the address (TCP reset). */
  | 'refused'
  /** No route to the guest or its name does not resolve. */
  | 'unreachable'
  /** The guest did not answer in time, or an operation ran past its time limit. */
  | 'timeout'
  /** The guest rejected the user name and key or password. */
  | 'authFailed'
  /** The key or password given could not be used (an unreadable key, a missing passphrase). */
  | 'badCredentials'
  /** The guest's host key is not known yet: the user must decide whether to trust it. */
  | 'hostKeyUnknown'
  /** The guest presented a different host key than the one trusted before. */
  | 'hostKeyChanged'
  /** The connection dropped while a step used it. */
  | 'connectionLost'
  | 'cancelled'
  /** The fresh folder for a copy already exists. */
  | 'remoteFolderExists'
  /** A copy's hash in the guest differs from the bytes sent, or a staged file changed. */
  | 'verifyFailed'
  /** A value that would have become part of a guest command line is not a plain word. */
  | 'unsafeArgument'
  /** The guest refused a file operation (permissions, a full disk, a bad path). */
  | 'remoteError';

export class GuestTransportError extends Error {
  constructor(
    readonly failure: GuestTransportFailure,
    message: string,
    /** For `hostKeyUnknown` and `hostKeyChanged`: the SHA-256 fingerprint the guest presented. */
    readonly presentedHostKey?: string,
  ) {
    super(message);
    this.name = 'GuestTransportError';
  }
}

export function isGuestTransportError(error: unknown, failure?: GuestTransportFailure): error is GuestTransportError {
  return error instanceof GuestTransportError && (failure === undefined || error.failure === failure);
}
