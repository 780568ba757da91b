import type { GuestTransport } from '../transport/guestTransport';

// One call of GpuPvGuest.psm1 in the guest, whichever transport carries it: the operation and
// its parameters go out as data, and what comes back is read as the module's contract says —
// live lines (`GPUPV-LIVE {"stream":..,"text":..}`, a test's output as it runs) and then one
// result document, which over SSH sits between GPUPV-RESULT-BEGIN and GPUPV-RESULT-END so a
// banner or a stray line of the guest's shell cannot be taken for it. Pure: no `vscode`.

export const LIVE_PREFIX = 'GPUPV-LIVE ';
export const RESULT_BEGIN = 'GPUPV-RESULT-BEGIN';
export const RESULT_END = 'GPUPV-RESULT-END';

/** The error codes GpuPvGuest.psm1 answers with. */
export type GuestErrorCode =
  | 'InvalidParameter'
  | 'AccessDenied'
  | 'ToolMissing'
  | 'ToolFailed'
  | 'NotFound'
  | 'SecureBootOn'
  | 'CertificateMismatch'
  | 'HashMismatch'
  | 'NotVerified'
  | 'InstallFailed'
  | 'RemoveFailed'
  | 'Cancelled'
  | 'Failed';

export class GuestCallError extends Error {
  constructor(
    readonly code: GuestErrorCode | 'Protocol',
    message: string,
    /** What to do about it, in the guest module's words. */
    readonly action?: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'GuestCallError';
  }
}

export interface GuestCallOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  /** A live line: a test's stdout or stderr as it runs. */
  readonly onLive?: (stream: 'stdout' | 'stderr', text: string) => void;
}

/** Runs `operation` in the guest and resolves with its result, or rejects with a GuestCallError. */
export async function callGuest<T>(transport: GuestTransport, operation: string, parameters: Readonly<Record<string, unknown>>, options: GuestCallOptions = {}): Promise<T> {
  const reader = new GuestOutputReader(options.onLive);
  const run = await transport.run(
    { operation, parameters },
    {
      onStdout: (text) => reader.push(text),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    },
  );
  const document = reader.finish();
  if (document === undefined) {
    throw new GuestCallError('Protocol', `${operation} in ${transport.target} ended (exit code ${run.exitCode ?? run.signal}) without a result: the guest's PowerShell may have failed to start.`, 'Check that PowerShell runs in the guest (powershell.exe -NoProfile) and see the GPU-PV log for its output.');
  }
  return readResult(operation, document) as T;
}

/** Parses the result document of a call. */
function readResult(operation: string, document: string): unknown {
  let reply: unknown;
  try {
    reply = JSON.parse(document);
  } catch {
    throw new GuestCallError('Protocol', `${operation} answered something that is not JSON: ${document.slice(0, 200)}`);
  }
  if (typeof reply !== 'object' || reply === null || typeof (reply as { ok?: unknown }).ok !== 'boolean') {
    throw new GuestCallError('Protocol', `${operation} answered a document without "ok": ${document.slice(0, 200)}`);
  }
  const { ok, result, error } = reply as { ok: boolean; result?: unknown; error?: { code?: unknown; message?: unknown; action?: unknown; details?: unknown } };
  if (ok) return result;
  const code = typeof error?.code === 'string' ? (error.code as GuestErrorCode) : 'Failed';
  const message = typeof error?.message === 'string' ? error.message : `${operation} failed in the guest.`;
  const action = typeof error?.action === 'string' ? error.action : undefined;
  const details = typeof error?.details === 'object' && error.details !== null ? (error.details as Record<string, unknown>) : undefined;
  throw new GuestCallError(code, message, action, details);
}

/**
 * Splits the guest's stdout into live lines and the result document, chunk by chunk: a line
 * may arrive in pieces. Without markers (PowerShell Direct), the last line that is not a live
 * line is the result.
 */
export class GuestOutputReader {
  private partial = '';
  private inResult = false;
  private marked: string[] | undefined;
  private lastPlain: string | undefined;

  constructor(private readonly onLive?: (stream: 'stdout' | 'stderr', text: string) => void) {}

  push(text: string): void {
    const lines = (this.partial + text).split(/\r?\n/);
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  finish(): string | undefined {
    if (this.partial) this.line(this.partial);
    this.partial = '';
    if (this.marked) return this.marked.join('\n');
    return this.lastPlain;
  }

  private line(line: string): void {
    if (this.inResult) {
      if (line === RESULT_END) this.inResult = false;
      else this.marked!.push(line);
      return;
    }
    if (line === RESULT_BEGIN) {
      this.inResult = true;
      this.marked = [];
      return;
    }
    if (line.startsWith(LIVE_PREFIX)) {
      try {
        const live = JSON.parse(line.slice(LIVE_PREFIX.length)) as { stream?: unknown; text?: unknown };
        if (typeof live.text === 'string') this.onLive?.(live.stream === 'stderr' ? 'stderr' : 'stdout', live.text);
      } catch {
        // A cut live line loses only that line of a test's output.
      }
      return;
    }
    if (line.trim()) this.lastPlain = line;
  }
}
