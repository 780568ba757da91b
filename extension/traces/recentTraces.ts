import * as vscode from 'vscode';

const KEY = 'gpupv.recentTraces';
const MAX_ENTRIES = 10;

/**
 * The traces opened in the Ring Trace Viewer, most recent first. Kept in global state (per
 * machine, across workspaces), so a capture opened from Downloads is still a click away in
 * the next window. The viewer calls `add` each time it opens a file.
 */
export class RecentTraces implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly state: vscode.Memento) {}

  list(): vscode.Uri[] {
    return (this.state.get<string[]>(KEY) ?? []).map((text) => vscode.Uri.parse(text, true));
  }

  /** Puts `uri` first; an entry already there moves up rather than appearing twice. */
  async add(uri: vscode.Uri): Promise<void> {
    const text = uri.toString();
    await this.save([text, ...this.entries().filter((e) => e !== text)].slice(0, MAX_ENTRIES));
  }

  async remove(uri: vscode.Uri): Promise<void> {
    const text = uri.toString();
    await this.save(this.entries().filter((e) => e !== text));
  }

  async clear(): Promise<void> {
    await this.save([]);
  }

  dispose(): void {
    this.changed.dispose();
  }

  private entries(): string[] {
    return this.state.get<string[]>(KEY) ?? [];
  }

  private async save(entries: string[]): Promise<void> {
    await this.state.update(KEY, entries);
    this.changed.fire();
  }
}
