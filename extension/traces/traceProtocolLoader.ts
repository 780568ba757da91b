import { access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { CONFIG_FILE_NAME } from '../protocol/config/protocolConfigParser';
import { readHeaderFile } from '../protocol/localFiles';
import { loadProtocol, ProtocolLoadError, type LoadedProtocol } from '../protocol/profile/loadProtocol';

// The decoding profile a trace is read with: the gpupv.json of the trace's workspace folder,
// else the nearest one above the file. Watched with everything it names (the header and its
// includes), so an edited header re-decodes open traces, or says what no longer fits.

export type ProtocolState =
  | { readonly kind: 'loaded'; readonly protocol: LoadedProtocol }
  /** No gpupv.json with a `protocol.command` section: the viewer offers to make one. */
  | { readonly kind: 'missing'; readonly configPath: string | undefined; readonly reason: string }
  /** gpupv.json is there but cannot decode (a profile error, a header that no longer fits). */
  | { readonly kind: 'broken'; readonly configPath: string; readonly problems: readonly string[] };

/** Where the gpupv.json for a trace at `file` is, if there is one. */
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

/** The first workspace folder's gpupv.json: what a live ring (a file outside the workspace) is decoded with. */
export async function workspaceConfig(): Promise<string | undefined> {
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const path = join(folder.uri.fsPath, CONFIG_FILE_NAME);
    if (folder.uri.scheme === 'file' && (await exists(path))) return path;
  }
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

export async function loadTraceProtocol(configPath: string | undefined): Promise<ProtocolState> {
  if (!configPath) return { kind: 'missing', configPath: undefined, reason: `no ${CONFIG_FILE_NAME} in the workspace folder or above the trace` };
  try {
    return { kind: 'loaded', protocol: await loadProtocol(configPath, readHeaderFile) };
  } catch (error) {
    if (!(error instanceof ProtocolLoadError)) throw error;
    const noCommand = error.problems.some((p) => p.includes('"protocol.command" is needed') || p.includes('no "protocol" section'));
    return noCommand ? { kind: 'missing', configPath, reason: error.problems.join('\n') } : { kind: 'broken', configPath, problems: error.problems };
  }
}

/**
 * Calls `changed` (debounced) when gpupv.json or a file the loaded header read changes.
 * Returns what stops watching.
 */
export function watchProtocol(configPath: string | undefined, protocol: LoadedProtocol | undefined, changed: () => void): vscode.Disposable {
  const files = new Set([...(configPath ? [configPath] : []), ...(protocol?.analysis.files ?? [])]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fire = () => {
    clearTimeout(timer);
    timer = setTimeout(changed, 300);
  };
  const watchers = [...files].map((file) => {
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dirname(file)), file.slice(dirname(file).length + 1)));
    return vscode.Disposable.from(watcher, watcher.onDidChange(fire), watcher.onDidCreate(fire), watcher.onDidDelete(fire));
  });
  return vscode.Disposable.from(...watchers, { dispose: () => clearTimeout(timer) });
}
