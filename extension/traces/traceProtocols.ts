import { access, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../common/logger';
import type { FolderConfig } from '../headers/protocolConfig';
import { CONFIG_FILE_NAME } from '../protocol/config/protocolConfigParser';
import { readHeaderFile } from '../protocol/localFiles';
import { loadProtocol, ProtocolLoadError, type LoadedProtocol } from '../protocol/profile/loadProtocol';

// The decoding profiles of the traces in view, each gpupv.json loaded once and again only
// when it, or a file its header read, changes: loading runs the header through the engine,
// too slow to repeat at every poll of the Ring Traces view. Open traces listen to
// `onDidChange` and decode again (or say what no longer fits).

export type ProtocolState =
  | { readonly kind: 'loaded'; readonly protocol: LoadedProtocol }
  /** No gpupv.json with a `protocol.command` section: the viewer offers to make one. */
  | { readonly kind: 'missing'; readonly configPath: string | undefined; readonly reason: string }
  /** gpupv.json is there but cannot decode (a profile error, a header that no longer fits). */
  | { readonly kind: 'broken'; readonly configPath: string; readonly problems: readonly string[] };

/** How long a new file watcher is given before the files are checked for an edit it may have missed. */
const WATCHER_SETTLE_MS = 1_500;

export class TraceProtocols implements vscode.Disposable {
  private readonly loaded = new Map<string, Promise<ProtocolState>>();
  /**
   * The files each gpupv.json's profile was read from, each watched from its first load until
   * disposal: a watcher made anew after every change would miss an edit made while it starts.
   */
  private readonly watched = new Map<string, Map<string, vscode.Disposable>>();
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires with the path of a gpupv.json whose profile may have changed (it, or its header, was edited). */
  readonly onDidChange = this.changed.event;
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private disposed = false;

  constructor(private readonly log: Logger) {}

  /** The profile of the gpupv.json at `configPath` (undefined: there is none). */
  load(configPath: string | undefined): Promise<ProtocolState> {
    if (!configPath) return Promise.resolve({ kind: 'missing', configPath: undefined, reason: `no ${CONFIG_FILE_NAME} in the workspace folder or above the trace` });
    const cached = this.loaded.get(configPath);
    if (cached) return cached;
    const read = this.read(configPath);
    const state = read.then((r) => r.state);
    this.loaded.set(configPath, state);
    void read.then(({ files, readAt }) => {
      this.watch(configPath, files);
      this.checkChangedSince(configPath, state, files, readAt);
    });
    return state;
  }

  /** A folder's profile as the Ring Traces view reads it: its gpupv.json as the config store last read it. */
  forFolder(config: FolderConfig): Promise<ProtocolState> {
    return this.load(config.uri.fsPath);
  }

  dispose(): void {
    this.disposed = true;
    for (const watchers of this.watched.values()) for (const watcher of watchers.values()) watcher.dispose();
    this.watched.clear();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.loaded.clear();
    this.changed.dispose();
  }

  /** The profile, and the files it was read from (a broken one's too: the fix is made in one of them). */
  private async read(configPath: string): Promise<{ state: ProtocolState; files: readonly string[]; readAt: number }> {
    const readAt = Date.now();
    try {
      const protocol = await loadProtocol(configPath, readHeaderFile);
      this.log.info(`${configPath}: decoding profile loaded${protocol.ring ? '' : ' (no protocol.ring: live rings and snapshots cannot be read)'}`);
      return { state: { kind: 'loaded', protocol }, files: protocol.analysis.files, readAt };
    } catch (error) {
      if (!(error instanceof ProtocolLoadError)) throw error;
      for (const problem of error.problems) this.log.warn(`Ring traces: ${problem}`);
      const noCommand = error.problems.some((p) => p.includes('"protocol.command" is needed') || p.includes('no "protocol" section'));
      const state: ProtocolState = noCommand ? { kind: 'missing', configPath, reason: error.problems.join('\n') } : { kind: 'broken', configPath, problems: error.problems };
      return { state, files: error.files, readAt };
    }
  }

  /** Forgets the profile when gpupv.json or a file its header read changes, then says so (debounced). */
  private watch(configPath: string, files: readonly string[]): void {
    let watchers = this.watched.get(configPath);
    if (!watchers) this.watched.set(configPath, (watchers = new Map<string, vscode.Disposable>()));
    for (const file of new Set([configPath, ...files])) {
      if (watchers.has(file)) continue;
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dirname(file)), file.slice(dirname(file).length + 1)));
      const fire = () => this.invalidate(configPath);
      watchers.set(file, vscode.Disposable.from(watcher, watcher.onDidChange(fire), watcher.onDidCreate(fire), watcher.onDidDelete(fire)));
    }
  }

  /**
   * A watcher reports changes only once VS Code has set it up, which takes a moment (longer on a
   * busy machine, and for files outside the workspace): an edit made while the profile was read
   * or the watcher started would go unseen. So once that moment has passed, each file's time
   * is compared with when the read began, unless the watcher has had the profile read again.
   */
  private checkChangedSince(configPath: string, state: Promise<ProtocolState>, files: readonly string[], readAt: number): void {
    const timer = setTimeout(() => {
      void (async () => {
        for (const file of new Set([configPath, ...files])) {
          // The watcher saw a change already and the profile was read again: that read is the one to check.
          if (this.loaded.get(configPath) !== state) return;
          // A missing file, or one stamped in the future, would be "changed" at every check: the watcher alone covers those.
          const changed = await stat(file).then(
            (info) => info.mtimeMs >= readAt && info.mtimeMs <= Date.now(),
            () => false,
          );
          if (this.disposed) return;
          if (changed) {
            this.invalidate(configPath);
            return;
          }
        }
      })();
    }, WATCHER_SETTLE_MS);
    timer.unref();
  }

  private invalidate(configPath: string): void {
    clearTimeout(this.timers.get(configPath));
    this.timers.set(
      configPath,
      setTimeout(() => {
        this.timers.delete(configPath);
        this.loaded.delete(configPath);
        this.changed.fire(configPath);
      }, 300),
    );
  }
}

/** Where the gpupv.json for a trace at `file` is: its workspace folder's, else the nearest above it. */
export async function configFor(file: string): Promise<string | undefined> {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
  const candidates = folder?.uri.scheme === 'file' ? [join(folder.uri.fsPath, CONFIG_FILE_NAME)] : [];
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    candidates.push(join(dir, CONFIG_FILE_NAME));
    if (dirname(dir) === dir) break;
  }
  for (const path of candidates) if (await exists(path)) return path;
  return undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
