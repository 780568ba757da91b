import * as vscode from 'vscode';

// The pseudoterminal a `gpupv` task runs in. It only carries text and the user's stop: the
// run itself is the caller's. Ctrl+C, the task's Terminate and closing the terminal all
// abort the run, which ends the step in progress and its process tree, local or in the guest.

export type TerminalRun = (write: (text: string) => void, signal: AbortSignal) => Promise<number>;

export class DeployTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  private readonly abort = new AbortController();
  private finished = false;

  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;

  constructor(private readonly run: TerminalRun) {}

  open(): void {
    void this.run((text) => this.writeEmitter.fire(text), this.abort.signal)
      .catch((error: unknown) => {
        this.writeEmitter.fire(`\r\n\u001b[1;31mDeploy and Test stopped: ${error instanceof Error ? error.message : String(error)}\u001b[0m\r\n`);
        return 1;
      })
      .then((exitCode) => {
        this.finished = true;
        this.closeEmitter.fire(exitCode);
        this.writeEmitter.dispose();
        this.closeEmitter.dispose();
      });
  }

  handleInput(data: string): void {
    if (data === '\u0003' && !this.abort.signal.aborted && !this.finished) {
      this.writeEmitter.fire('^C\r\n\u001b[33mCancelling: ending the current step…\u001b[0m\r\n');
      this.abort.abort();
    }
  }

  close(): void {
    this.abort.abort();
  }
}
