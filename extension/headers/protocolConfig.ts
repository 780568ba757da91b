import * as vscode from 'vscode';
import type { Logger } from '../common/logger';
import { positionAt } from '../protocol/config/jsonc';
import type { DriverConfig } from '../protocol/config/driverConfigParser';
import { resolveLiveConfig, type LiveConfig } from '../protocol/config/liveConfigParser';
import {
  CONFIG_FILE_NAME,
  parseProtocolConfig,
  resolveProtocolConfig,
  type ConfigProblem,
  type ResolvedProtocolConfig,
} from '../protocol/config/protocolConfigParser';

// The gpupv.json of every workspace folder, read when the extension starts and again
// whenever one is created, changed or deleted. Reading never throws: a file that cannot be
// read or understood becomes problems (shown on the file) and an error in the log.

export interface FolderConfig {
  readonly folder: vscode.WorkspaceFolder;
  /** The gpupv.json itself. */
  readonly uri: vscode.Uri;
  /** Its text, to place problems by offset. */
  readonly text: string;
  /** Undefined when the file has no usable `protocol` section. */
  readonly protocol: ResolvedProtocolConfig | undefined;
  /** The `live` section with paths made absolute; undefined when the file has none. */
  readonly live: LiveConfig | undefined;
  /** What Deploy and Test does, paths as written (relative to the folder); undefined when the file has no `driver` section. */
  readonly driver: DriverConfig | undefined;
  readonly problems: readonly ConfigProblem[];
}

export class ProtocolConfigStore implements vscode.Disposable {
  private readonly configs = new Map<string, FolderConfig>();
  private readonly watchers = new Map<string, vscode.Disposable>();
  /** Per folder: the newest read started, so an older read that ends later is dropped. */
  private readonly reads = new Map<string, number>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscriptions: { dispose(): unknown }[] = [];
  private loaded: Promise<void>;

  /** Fires after any gpupv.json was read again. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly log: Logger) {
    this.subscriptions.push(
      this.changed,
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.loaded = this.watchFolders();
      }),
    );
    this.loaded = this.watchFolders();
  }

  /** Resolves once every folder's gpupv.json has been read the first time. */
  whenLoaded(): Promise<void> {
    return this.loaded;
  }

  get all(): readonly FolderConfig[] {
    return [...this.configs.values()];
  }

  dispose(): void {
    for (const watcher of this.watchers.values()) watcher.dispose();
    this.watchers.clear();
    for (const s of this.subscriptions) s.dispose();
  }

  private async watchFolders(): Promise<void> {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    const current = new Set(folders.map((f) => f.uri.toString()));
    for (const [key, watcher] of this.watchers) {
      if (current.has(key)) continue;
      watcher.dispose();
      this.watchers.delete(key);
      this.configs.delete(key);
    }
    const added = folders.filter((f) => !this.watchers.has(f.uri.toString()));
    for (const folder of added) {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, CONFIG_FILE_NAME));
      const reread = (): void => void this.read(folder).then(() => this.changed.fire());
      this.watchers.set(folder.uri.toString(), vscode.Disposable.from(watcher, watcher.onDidCreate(reread), watcher.onDidChange(reread), watcher.onDidDelete(reread)));
    }
    await Promise.all(added.map((f) => this.read(f)));
    this.changed.fire();
  }

  private async read(folder: vscode.WorkspaceFolder): Promise<void> {
    const key = folder.uri.toString();
    const ticket = (this.reads.get(key) ?? 0) + 1;
    this.reads.set(key, ticket);
    const uri = vscode.Uri.joinPath(folder.uri, CONFIG_FILE_NAME);
    const text = await this.readText(uri);
    if (this.reads.get(key) !== ticket) return;
    if (text === undefined) {
      if (this.configs.delete(key)) this.log.info(`${uri.fsPath} was removed: no protocol header is analysed in ${folder.name}`);
      return;
    }
    const parsed = parseProtocolConfig(text);
    const protocol = parsed.protocol && resolveProtocolConfig(parsed.protocol, folder.uri.fsPath);
    const live = parsed.live && resolveLiveConfig(parsed.live, folder.uri.fsPath);
    this.configs.set(key, { folder, uri, text, protocol, live, driver: parsed.driver, problems: parsed.problems });
    for (const problem of parsed.problems) {
      const { line, character } = positionAt(text, problem.offset);
      const message = `${uri.fsPath}:${line + 1}:${character + 1}: ${problem.message}`;
      if (problem.severity === 'error') this.log.error(message);
      else this.log.warn(message);
    }
    if (protocol) {
      this.log.info(
        `${uri.fsPath}: ${protocol.headers.length} header${protocol.headers.length === 1 ? '' : 's'}, ABI ${protocol.abi}` +
          (protocol.compareAbi ? `, compared with ${protocol.compareAbi}` : ''),
      );
    }
  }

  /** The file's text, or undefined when there is none; other failures are logged and read as none. */
  private async readText(uri: vscode.Uri): Promise<string | undefined> {
    try {
      return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch (error) {
      if (!(error instanceof vscode.FileSystemError && error.code === 'FileNotFound')) {
        this.log.error(`Could not read ${uri.fsPath}: ${error instanceof Error ? error.message : String(error)}`);
      }
      return undefined;
    }
  }
}
