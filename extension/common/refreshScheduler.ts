import type * as vscode from 'vscode';

/**
 * When a polled view reads its data again (the Virtual Machines view its Hyper-V hosts, the
 * Ring Traces view its live rings). Polls only while the view is visible (a hidden view
 * costs nothing), debounces automatic refreshes, never delays a manual one, and never runs
 * two refreshes at once: a request during a refresh runs once more right after it, and the
 * next poll is timed from the end of the last refresh, so a slow source cannot pile calls up.
 */
export class RefreshScheduler implements vscode.Disposable {
  private visible = false;
  private running: Promise<void> | undefined;
  private queuedManual: Promise<void> | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    private readonly refresh: (reason: 'manual' | 'automatic') => Promise<void>,
    private intervalMs: number,
    private readonly debounceMs = 300,
  ) {}

  /** Whether a poll is armed: false while the view is hidden (what the tests check, instead of waiting). */
  get pollScheduled(): boolean {
    return this.pollTimer !== undefined;
  }

  setInterval(intervalMs: number): void {
    this.intervalMs = intervalMs;
    this.schedulePoll();
  }

  /** Becoming visible refreshes at once (what is shown may be old) and starts polling. */
  setVisible(visible: boolean): void {
    if (this.visible === visible) return;
    this.visible = visible;
    if (visible) this.requestAutomatic();
    else this.cancelTimers();
  }

  /** Settings changes, activation, the view appearing: coalesced within the debounce window. */
  requestAutomatic(): void {
    if (this.disposed || this.debounceTimer) return;
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      // A refresh in flight already brings what this one would.
      if (!this.running) void this.start('automatic');
    }, this.debounceMs);
  }

  /**
   * The Refresh button and actions: now, or right after the refresh in flight (whose
   * answer may predate the action). Requests made during one refresh share the next.
   */
  requestManual(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    if (!this.running) return this.start('manual');
    this.queuedManual ??= this.running.then(() => {
      this.queuedManual = undefined;
      return this.start('manual');
    });
    return this.queuedManual;
  }

  private start(reason: 'manual' | 'automatic'): Promise<void> {
    if (this.disposed) return Promise.resolve();
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    const work = this.refresh(reason)
      .catch(() => undefined)
      .finally(() => {
        this.running = undefined;
        this.schedulePoll();
      });
    this.running = work;
    return work;
  }

  private schedulePoll(): void {
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    if (this.disposed || !this.visible || this.intervalMs <= 0 || this.running || this.queuedManual) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      if (!this.running) void this.start('automatic');
    }, this.intervalMs);
  }

  private cancelTimers(): void {
    clearTimeout(this.pollTimer);
    clearTimeout(this.debounceTimer);
    this.pollTimer = undefined;
    this.debounceTimer = undefined;
  }

  dispose(): void {
    this.disposed = true;
    this.cancelTimers();
  }
}
