import { basename, posix } from 'node:path';
import * as vscode from 'vscode';
import { Commands, WebviewTypes } from '../common/contributions';
import type { RingStatus } from '../protocol/live/ringStatus';
import { describeGlance } from '../protocol/live/ringStatus';
import { locationName } from '../protocol/live/sharedMemory';
import { rowKey, type LiveSourceRow, type LiveSourcesModel, type LiveSourcesState } from './liveSourcesModel';
import type { RecentTraces } from './recentTraces';
import type { WorkspaceCaptures } from './workspaceCaptures';

export type TraceGroup = 'captures' | 'recent' | 'live';

export type TraceTreeNode =
  | { readonly kind: 'group'; readonly group: TraceGroup }
  | { readonly kind: 'capture'; readonly uri: vscode.Uri }
  | { readonly kind: 'moreCaptures' }
  | { readonly kind: 'recent'; readonly uri: vscode.Uri; readonly missing: boolean }
  | { readonly kind: 'live'; readonly row: LiveSourceRow }
  /** A row that says why a group is empty, with the step that fills it. */
  | { readonly kind: 'message'; readonly group: TraceGroup; readonly label: string; readonly tooltip: string; readonly command?: vscode.Command };

const URI_LIST = 'text/uri-list';

/**
 * The Ring Traces tree: Captures in Workspace (searched when first expanded), Recent (what
 * the viewer opened), Live Sources (rings gpupv.json names or discovery finds). Captures and
 * recent traces open with `vscode.open` (the viewer is their default editor); a live source
 * runs the attach command. Files dropped on the view open in the viewer; rows can be dragged
 * into the editor area.
 */
export class RingTracesTree implements vscode.TreeDataProvider<TraceTreeNode>, vscode.TreeDragAndDropController<TraceTreeNode>, vscode.Disposable {
  private readonly treeChanged = new vscode.EventEmitter<TraceTreeNode | undefined>();
  readonly onDidChangeTreeData = this.treeChanged.event;
  readonly dropMimeTypes = [URI_LIST];
  readonly dragMimeTypes = [URI_LIST];
  private readonly groups: Record<TraceGroup, TraceTreeNode> = { captures: { kind: 'group', group: 'captures' }, recent: { kind: 'group', group: 'recent' }, live: { kind: 'group', group: 'live' } };
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly captures: WorkspaceCaptures,
    private readonly recent: RecentTraces,
    private readonly live: LiveSourcesModel,
    private readonly loadLive: () => Promise<void>,
  ) {
    this.subscriptions = [
      captures.onDidChange(() => this.treeChanged.fire(this.groups.captures)),
      // Only the group that changed: refreshing the whole tree while the live group refreshes
      // (every second) made VS Code register a live row twice ("Element with id … is already registered").
      recent.onDidChange(() => this.treeChanged.fire((vscode.workspace.workspaceFolders ?? []).length > 0 ? this.groups.recent : undefined)),
      live.onDidChange(() => this.treeChanged.fire(this.groups.live)),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.treeChanged.fire(undefined)),
    ];
  }

  async getChildren(element?: TraceTreeNode): Promise<TraceTreeNode[]> {
    if (!element) return this.roots();
    if (element.kind !== 'group') return [];
    switch (element.group) {
      case 'captures':
        return this.captureRows();
      case 'recent':
        return this.recentRows();
      case 'live':
        if (!this.live.ready) await this.loadLive();
        return this.liveRows();
    }
  }

  getTreeItem(node: TraceTreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'group':
        return this.groupItem(node.group);
      case 'capture':
        return fileItem(node.uri, 'capture', captureIcon(node.uri));
      case 'moreCaptures': {
        const item = new vscode.TreeItem('more…');
        item.id = 'captures/more';
        item.description = 'list more captures';
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.contextValue = 'moreCaptures';
        item.command = { command: Commands.tracesShowMoreCaptures, title: 'Show More Captures' };
        return item;
      }
      case 'recent':
        return recentItem(node);
      case 'live':
        return liveItem(node);
      case 'message': {
        const item = new vscode.TreeItem(node.label);
        item.id = `${node.group}/message/${node.label}`;
        item.iconPath = new vscode.ThemeIcon('info');
        item.tooltip = markdown(node.tooltip);
        item.contextValue = 'message';
        if (node.command) item.command = node.command;
        return item;
      }
    }
  }

  handleDrag(source: readonly TraceTreeNode[], data: vscode.DataTransfer): void {
    const uris = source.flatMap((node) => (node.kind === 'capture' || (node.kind === 'recent' && !node.missing) ? [node.uri.toString()] : node.kind === 'live' && 'path' in node.row.source.location ? [vscode.Uri.file(node.row.source.location.path).toString()] : []));
    if (uris.length > 0) data.set(URI_LIST, new vscode.DataTransferItem(uris.join('\r\n')));
  }

  async handleDrop(_target: TraceTreeNode | undefined, data: vscode.DataTransfer): Promise<void> {
    const text = await data.get(URI_LIST)?.asString();
    for (const line of text?.split(/\r?\n/) ?? []) {
      if (line.trim() === '' || line.startsWith('#')) continue;
      await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.parse(line.trim(), true), WebviewTypes.traceViewer);
    }
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.treeChanged.dispose();
  }

  private roots(): TraceTreeNode[] {
    const hasFolder = (vscode.workspace.workspaceFolders ?? []).length > 0;
    // No folder: only Recent can hold anything; with nothing recent either, the welcome explains the view.
    if (!hasFolder) return this.recent.list().length > 0 ? [this.groups.recent] : [];
    return [this.groups.captures, this.groups.recent, this.groups.live];
  }

  private async captureRows(): Promise<TraceTreeNode[]> {
    await this.captures.ensureFound();
    const list = this.captures.list!;
    if (list.uris.length === 0) {
      return [{ kind: 'message', group: 'captures', label: 'No capture or snapshot in this workspace', tooltip: 'Captures (`.pcapng`) and ring snapshots (`.ringsnap`) anywhere in the workspace appear here, except under `node_modules`. **Open Ring Trace…** opens one from elsewhere.', command: { command: Commands.tracesOpenTrace, title: 'Open Ring Trace…' } }];
    }
    return [...list.uris.map((uri): TraceTreeNode => ({ kind: 'capture', uri })), ...(list.more ? [{ kind: 'moreCaptures' } as const] : [])];
  }

  private async recentRows(): Promise<TraceTreeNode[]> {
    const uris = this.recent.list();
    if (uris.length === 0) return [{ kind: 'message', group: 'recent', label: 'Traces you open appear here', tooltip: 'The last 10 captures and snapshots opened in the Ring Trace Viewer, most recent first, from any workspace.' }];
    const missing = await Promise.all(uris.map((uri) => vscode.workspace.fs.stat(uri).then(() => false, () => true)));
    return uris.map((uri, i) => ({ kind: 'recent', uri, missing: missing[i]! }));
  }

  private liveRows(): TraceTreeNode[] {
    const rows = this.live.rows.map((row): TraceTreeNode => ({ kind: 'live', row }));
    const untrusted = !vscode.workspace.isTrusted && this.live.rows.some((r) => r.status.kind === 'notRead');
    const trust: TraceTreeNode[] = untrusted ? [{ kind: 'message', group: 'live', label: 'Trust this workspace to read the rings its gpupv.json names', tooltip: 'In an untrusted workspace the rings `live.rings` names are listed, not read: a hostile `gpupv.json` could name any file.', command: { command: 'workbench.trust.manage', title: 'Manage Workspace Trust' } }] : [];
    return rows.length > 0 ? [...rows, ...trust] : [stateMessage(this.live.state)];
  }

  private groupItem(group: TraceGroup): vscode.TreeItem {
    const { label, icon } = { captures: { label: 'Captures in Workspace', icon: 'files' }, recent: { label: 'Recent', icon: 'history' }, live: { label: 'Live Sources', icon: 'broadcast' } }[group];
    // Captures stay collapsed so the workspace is searched only when someone opens the group.
    const item = new vscode.TreeItem(label, group === 'captures' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded);
    item.id = `group/${group}`;
    item.iconPath = new vscode.ThemeIcon(icon);
    item.contextValue = `group ${group}`;
    if (group === 'captures') {
      const list = this.captures.list;
      item.description = list ? `${list.uris.length}${list.more ? '+' : ''}` : undefined;
    } else if (group === 'live' && !vscode.workspace.isTrusted) {
      item.description = 'not read: untrusted workspace';
    } else if (group === 'live' && this.live.ready) {
      item.description = String(this.live.rows.length);
    }
    return item;
  }
}

function stateMessage(state: LiveSourcesState): TraceTreeNode {
  const openConfig = (uri: vscode.Uri): vscode.Command => ({ command: 'vscode.open', title: 'Open gpupv.json', arguments: [uri] });
  switch (state.kind) {
    case 'noConfig':
    case 'listed':
      return { kind: 'message', group: 'live', label: 'No gpupv.json in this workspace', tooltip: 'Live sources are read with your protocol: put a `gpupv.json` at the root of the workspace (`gpupv profile init include/protocol.h` proposes one) with a `protocol.ring` section, and name the rings in `live.rings`.' };
    case 'noRing':
      return { kind: 'message', group: 'live', label: 'gpupv.json has no protocol.ring', tooltip: 'Add `protocol.ring` (the control region struct and its producer and consumer fields) so rings can be found and read; `gpupv profile init` proposes it.', command: openConfig(state.configUri) };
    case 'protocolError':
      return { kind: 'message', group: 'live', label: 'gpupv.json cannot be used', tooltip: state.problem, command: openConfig(state.configUri) };
    case 'none':
      return { kind: 'message', group: 'live', label: 'No live ring', tooltip: `No ring is listed in \`live.rings\` of gpupv.json, and none was found: ${state.discovery}.`, command: openConfig(state.configUri) };
  }
}

function fileItem(uri: vscode.Uri, contextValue: string, icon: vscode.ThemeIcon): vscode.TreeItem {
  const item = new vscode.TreeItem(basename(uri.path));
  item.id = `${contextValue}/${uri.toString()}`;
  item.resourceUri = uri;
  item.iconPath = icon;
  // The folder it is in, relative to the workspace (outside it: the whole path); the
  // workspace folder's name only when there are several.
  const folder = posix.dirname(vscode.workspace.asRelativePath(uri, (vscode.workspace.workspaceFolders?.length ?? 0) > 1));
  item.description = folder === '.' ? '' : folder;
  item.tooltip = uri.scheme === 'file' ? uri.fsPath : uri.toString();
  item.contextValue = contextValue;
  item.command = { command: 'vscode.open', title: 'Open', arguments: [uri] };
  return item;
}

function recentItem(node: Extract<TraceTreeNode, { kind: 'recent' }>): vscode.TreeItem {
  if (!node.missing) return fileItem(node.uri, 'recent', captureIcon(node.uri));
  const item = fileItem(node.uri, 'recent missing', new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')));
  item.description = 'missing';
  item.tooltip = `${item.tooltip as string}\nThe file is no longer there (moved or deleted).`;
  delete item.command;
  return item;
}

function captureIcon(uri: vscode.Uri): vscode.ThemeIcon {
  return new vscode.ThemeIcon(uri.path.endsWith('.pcapng') ? 'record' : 'file-binary');
}

function liveItem(node: Extract<TraceTreeNode, { kind: 'live' }>): vscode.TreeItem {
  const { row } = node;
  const { source, status } = row;
  const item = new vscode.TreeItem(source.name);
  item.id = `live/${rowKey(row)}`;
  const kind = 'path' in source.location ? 'file' : 'mapping';
  item.contextValue = `liveSource origin:${source.origin} location:${kind} state:${status.kind}`;
  item.description = liveDescription(status);
  item.iconPath = liveIcon(status);
  const where = `${kind === 'file' ? 'File-backed mapping' : 'Windows named mapping'} \`${locationName(source.location)}\`, ${source.origin === 'configured' ? 'named in gpupv.json' : 'found on this machine'}; decoded with ${vscode.workspace.asRelativePath(row.configUri, true)}.`;
  item.tooltip = markdown(`**${source.name}**\n\n${where}\n\n${liveDetails(status)}`);
  item.command = { command: Commands.tracesAttachLive, title: 'Attach Live Viewer', arguments: [node] };
  return item;
}

function liveDescription(status: LiveSourceRow['status']): string {
  switch (status.kind) {
    case 'readable':
      return describeGlance(status.glance);
    case 'unreadable':
      return 'cannot be read';
    case 'notRead':
      return 'not read: untrusted workspace';
  }
}

function liveDetails(status: LiveSourceRow['status']): string {
  if (status.kind === 'notRead') return 'This workspace is not trusted, so the rings its gpupv.json names are not read.';
  if (status.kind === 'unreadable') return `Cannot be read: ${status.reason}`;
  const { glance } = status;
  const lines = [`Producer ${glance.producer.toLocaleString('en-US')}, consumer ${glance.consumer.toLocaleString('en-US')}, ring of ${glance.ringSize.toLocaleString('en-US')} bytes.`];
  lines.push(glance.occupancy === undefined ? `The pointers are impossible: ${glance.problem ?? ''}.` : `${glance.occupancy.toLocaleString('en-US')} bytes pending (${((glance.occupancy * 100) / glance.ringSize).toFixed(1)}% of the ring).`);
  if (glance.rate) lines.push(`Rate from ${glance.rate.basis}.`);
  return lines.join('\n\n');
}

function liveIcon(status: RingStatus | { kind: 'notRead' }): vscode.ThemeIcon {
  if (status.kind === 'notRead') return new vscode.ThemeIcon('shield');
  if (status.kind === 'unreadable') return new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('list.errorForeground'));
  if (status.glance.occupancy === undefined) return new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
  const moving = (status.glance.rate?.perSecond ?? 0) > 0;
  return new vscode.ThemeIcon('pulse', moving ? new vscode.ThemeColor('charts.green') : undefined);
}

/** Tooltips quote names and messages from the workspace and the machine: never trusted, no HTML. */
function markdown(text: string): vscode.MarkdownString {
  const value = new vscode.MarkdownString(text, true);
  value.isTrusted = false;
  value.supportHtml = false;
  return value;
}
