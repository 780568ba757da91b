import * as vscode from 'vscode';

/** Captures and snapshots by extension; the viewer is their default editor. */
export const TRACE_FILES_GLOB = '**/*.{pcapng,ringsnap}';
const EXCLUDE = '**/node_modules/**';
/** Listed at first; "more…" raises it by as many again. */
const FIRST_CAP = 200;

/**
 * The captures and ring snapshots of the workspace, found when first asked for (the view's
 * group being expanded), never at activation: a large workspace is searched only if someone
 * looks. Once found, a file watcher keeps the list up to date.
 */
export class WorkspaceCaptures implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private found: vscode.Uri[] | undefined;
  private search: Promise<void> | undefined;
  private cap = FIRST_CAP;
  /** The search hit the cap: there may be more than are listed. */
  private truncated = false;
  private watcher: vscode.Disposable | undefined;

  /** Undefined until searched. */
  get list(): { readonly uris: readonly vscode.Uri[]; readonly more: boolean } | undefined {
    return this.found && { uris: this.found, more: this.truncated };
  }

  /** Searches the first time, and again after `showMore`; later calls share the search. */
  ensureFound(): Promise<void> {
    this.search ??= this.find();
    return this.search;
  }

  async showMore(): Promise<void> {
    this.cap += FIRST_CAP;
    this.search = this.find();
    await this.search;
  }

  /** Searches again, when searched before (a manual refresh); otherwise stays lazy. */
  async refresh(): Promise<void> {
    if (!this.search) return;
    this.search = this.find();
    await this.search;
  }

  dispose(): void {
    this.watcher?.dispose();
    this.changed.dispose();
  }

  private async find(): Promise<void> {
    const uris = await vscode.workspace.findFiles(TRACE_FILES_GLOB, EXCLUDE, this.cap + 1);
    this.truncated = uris.length > this.cap;
    this.found = sortByPath(uris.slice(0, this.cap));
    this.watch();
    this.changed.fire();
  }

  private watch(): void {
    if (this.watcher) return;
    const watcher = vscode.workspace.createFileSystemWatcher(TRACE_FILES_GLOB);
    const added = (uri: vscode.Uri) => {
      if (!this.found || isExcluded(uri) || this.found.some((u) => u.toString() === uri.toString())) return;
      if (this.found.length >= this.cap) this.truncated = true;
      else this.found = sortByPath([...this.found, uri]);
      this.changed.fire();
    };
    const removed = (uri: vscode.Uri) => {
      if (!this.found) return;
      const kept = this.found.filter((u) => u.toString() !== uri.toString());
      if (kept.length === this.found.length) return;
      this.found = kept;
      this.changed.fire();
    };
    this.watcher = vscode.Disposable.from(watcher, watcher.onDidCreate(added), watcher.onDidDelete(removed));
  }
}

function isExcluded(uri: vscode.Uri): boolean {
  return uri.path.split('/').includes('node_modules');
}

function sortByPath(uris: vscode.Uri[]): vscode.Uri[] {
  return uris.sort((a, b) => a.path.localeCompare(b.path));
}
