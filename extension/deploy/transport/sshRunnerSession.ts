import type { ClientChannel } from 'ssh2';
import type { Logger } from '../../common/logger';
import { RESULT_END } from '../guest/guestCall';
import { formatSeconds } from '../pipeline/terminalTranscript';
import { GuestTransportError, type GuestCall, type GuestRunOptions, type GuestRunResult } from './guestTransport';
import { KILL_GRACE_MS, relayText, stopRemote } from './sshChannel';

// The guest runner (Invoke-GpuPvGuest.ps1) as one long-lived command of an SSH connection: one
// PowerShell in the guest serves the connection's calls one after another, so a run pays for
// starting PowerShell and importing the module once instead of once per call (a second or
// more each time on a real guest).
//
// - A call is one line on the runner's stdin: the operation (a plain word of ours), a space and
//   its parameters as JSON with every non-ASCII character escaped, so the guest's console code
//   page cannot change them. Data never becomes part of a command line.
// - The call ends with the runner's GPUPV-RESULT-END line; everything up to it is the call's
//   stdout, read by guestCall.ts as before.
// - A cancel or a timeout stops the whole runner (TERM, KILL, then the channel closed), as
//   stopping a one-call process did; the next call starts a new runner. So does a runner that
//   died. Pure: no `vscode`.

const OPERATION = /^[A-Za-z][A-Za-z0-9-]*$/;

interface PendingCall {
  readonly operation: string;
  readonly options: GuestRunOptions;
  readonly started: number;
  readonly settle: (outcome: GuestRunResult | GuestTransportError) => void;
}

/** JSON of the parameters on one line of ASCII: `\uXXXX` is an exact equivalent inside JSON strings. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export class RunnerSession {
  /** Resolves when the runner's channel has closed, or when stopping it was given up. */
  readonly ended: Promise<void>;
  private current: PendingCall | undefined;
  private partial = '';
  private exit: { code: number | null; signal: string | null } | undefined;
  private stopped: 'cancelled' | 'timeout' | 'closing' | undefined;
  private stopping: Promise<void> | undefined;
  private over = false;
  private markEnded!: () => void;
  private readonly closed: Promise<void>;

  /**
   * @param channel the runner's channel, just opened
   * @param lostWhile the connection's loss as an error for `doing`, when it was lost
   */
  constructor(
    private readonly channel: ClientChannel,
    private readonly target: string,
    private readonly lostWhile: (doing: string) => GuestTransportError | undefined,
    private readonly log: Logger | undefined,
  ) {
    this.ended = new Promise<void>((resolve) => (this.markEnded = resolve));
    channel.once('exit', (code: number | null, signal?: string) => {
      this.exit = { code: typeof code === 'number' ? code : null, signal: signal ?? null };
    });
    channel.on('error', (error: Error) => log?.debug(`ssh ${target}: guest runner: ${error.message}`));
    relayText(channel, (text) => this.readStdout(text));
    relayText(channel.stderr, (text) => {
      const onStderr = this.current?.options.onStderr;
      if (onStderr) onStderr(text);
      else log?.debug(`ssh ${target}: guest runner stderr: ${text.trimEnd()}`);
    });
    this.closed = new Promise<void>((resolve) =>
      channel.once('close', () => {
        this.finish(true);
        resolve();
      }),
    );
  }

  /** False once the runner has ended or is being stopped: the next call needs a new one. */
  get usable(): boolean {
    return !this.over && !this.stopped;
  }

  /** Runs one call; the runner serves one at a time, which the transport's queue ensures. */
  call(call: GuestCall, options: GuestRunOptions = {}): Promise<GuestRunResult> {
    if (!OPERATION.test(call.operation)) {
      return Promise.reject(new GuestTransportError('unsafeArgument', `${JSON.stringify(call.operation)} is not the name of a guest operation.`));
    }
    if (this.current || !this.usable) return Promise.reject(new Error(`The guest runner of ${this.target} is not free for ${call.operation}.`));
    const request = `${call.operation} ${asciiJson(call.parameters)}\n`;
    return new Promise<GuestRunResult>((resolve, reject) => {
      const onAbort = () => void this.stop('cancelled');
      const timer = options.timeoutMs ? setTimeout(() => void this.stop('timeout'), options.timeoutMs) : undefined;
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.current = {
        operation: call.operation,
        options,
        started: performance.now(),
        settle: (outcome) => {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          this.current = undefined;
          if (outcome instanceof Error) reject(outcome);
          else resolve(outcome);
        },
      };
      this.channel.write(request);
    });
  }

  /** Ends the runner: when idle by closing its stdin, which it exits on; otherwise, or if it lingers, by stopping it. */
  async close(): Promise<void> {
    if (this.over) return;
    if (!this.current && !this.stopped) {
      this.channel.end();
      const lingering = await Promise.race([this.ended.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), KILL_GRACE_MS).unref())]);
      if (!lingering) return;
    }
    await this.stop('closing');
  }

  private stop(why: 'cancelled' | 'timeout' | 'closing'): Promise<void> {
    if (!this.stopping) {
      this.stopped = why;
      this.stopping = stopRemote(this.channel, this.closed, () => this.finish(false));
    }
    return this.stopping;
  }

  private readStdout(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.readLine(line.replace(/\r$/, ''));
  }

  private readLine(line: string): void {
    const call = this.current;
    if (!call) {
      if (line.trim()) this.log?.debug(`ssh ${this.target}: guest runner, between calls: ${line}`);
      return;
    }
    call.options.onStdout?.(`${line}\n`);
    if (line === RESULT_END) call.settle({ exitCode: 0, signal: null, durationMs: performance.now() - call.started });
  }

  /** The runner is gone (`confirmed`), or stopping it was given up: the call still waiting learns why. */
  private finish(confirmed: boolean): void {
    if (this.over) return;
    this.over = true;
    if (this.partial) this.readLine(this.partial);
    this.partial = '';
    this.markEnded();
    const call = this.current;
    if (!call) return;
    const { operation } = call;
    const unconfirmed = confirmed ? '' : ` The guest did not confirm that it ended: check ${this.target} for a PowerShell process left running.`;
    const durationMs = performance.now() - call.started;
    switch (this.stopped) {
      case 'cancelled':
        call.settle(new GuestTransportError('cancelled', `${operation} in ${this.target} was cancelled and stopped.${unconfirmed}`));
        return;
      case 'timeout':
        call.settle(new GuestTransportError('timeout', `${operation} in ${this.target} did not finish within ${formatSeconds(call.options.timeoutMs!)} and was stopped.${unconfirmed}`));
        return;
      case 'closing':
        call.settle(new GuestTransportError('connectionLost', `The SSH connection to ${this.target} was closed while running ${operation}, which was stopped.${unconfirmed}`));
        return;
      case undefined:
    }
    const lost = this.lostWhile(`running ${operation}`);
    if (lost) call.settle(lost);
    // The runner ended in the middle of the call: its exit code, and no result, tell the caller what happened.
    else if (this.exit) call.settle({ exitCode: this.exit.code, signal: this.exit.signal, durationMs });
    else call.settle(new GuestTransportError('connectionLost', `${operation} in ${this.target} ended without an exit status: the SSH server closed the guest runner's channel.`));
  }
}
