import * as vscode from 'vscode';
import { RefreshScheduler } from '../common/refreshScheduler';
import { Commands, Views, WebviewTypes } from '../common/contributions';
import type { Logger } from '../common/logger';
import type { ProtocolConfigStore } from '../headers/protocolConfig';
import { LiveSourcesModel, targetOf, type LiveSourceRow, type LiveTraceTarget } from './liveSourcesModel';
import { RecentTraces } from './recentTraces';
import { RingTracesTree, type TraceTreeNode } from './ringTracesTree';
import type { TraceProtocols } from './traceProtocols';
import { WorkspaceCaptures } from './workspaceCaptures';

export type { LiveTraceTarget } from './liveSourcesModel';

/** Opens the live viewer on a ring; the Ring Trace Viewer provides it. */
export type AttachLive = (target: LiveTraceTarget) => unknown;

/** What the viewer and the extension-host tests reach. */
export interface RingTracesApi {
  readonly recent: RecentTraces;
  readonly captures: WorkspaceCaptures;
  readonly live: LiveSourcesModel;
  readonly protocols: TraceProtocols;
  readonly tree: RingTracesTree;
  readonly treeView: vscode.TreeView<TraceTreeNode>;
  readonly scheduler: RefreshScheduler;
}

/** Live sources are looked at about once a second while the view is visible. */
const LIVE_POLL_MS = 1000;

/**
 * The "Ring Traces" view: captures in the workspace, recently opened traces and live rings,
 * with the commands that open them (GPU-PV: Open Ring Trace…, Open as Ring Snapshot, Attach
 * Live Viewer). Live rings are read only while the view is visible.
 */
export function registerRingTracesView(context: vscode.ExtensionContext, log: Logger, store: ProtocolConfigStore, protocols: TraceProtocols, attach: AttachLive): { disposable: vscode.Disposable; api: RingTracesApi } {
  const recent = new RecentTraces(context.globalState);
  const captures = new WorkspaceCaptures();
  const live = new LiveSourcesModel(store, protocols);
  const scheduler = new RefreshScheduler(() => live.refresh(), LIVE_POLL_MS);
  const tree = new RingTracesTree(captures, recent, live, () => scheduler.requestManual());
  const treeView = vscode.window.createTreeView(Views.ringTraces, { treeDataProvider: tree, dragAndDropController: tree, showCollapseAll: true, canSelectMany: true });
  const showTrustMessage = () => {
    treeView.message = vscode.workspace.isTrusted ? undefined : 'This workspace is not trusted: its traces are listed, but the rings its gpupv.json names are not read.';
  };

  const disposables: { dispose(): unknown }[] = [
    recent,
    captures,
    live,
    scheduler,
    tree,
    treeView,
    treeView.onDidChangeVisibility((event) => scheduler.setVisible(event.visible)),
    // A hidden view reads nothing: becoming visible refreshes anyway.
    store.onDidChange(() => {
      if (treeView.visible) scheduler.requestAutomatic();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      showTrustMessage();
      if (treeView.visible) scheduler.requestAutomatic();
    }),
    vscode.commands.registerCommand(Commands.tracesRefresh, async () => {
      await Promise.all([scheduler.requestManual(), captures.refresh()]);
    }),
    vscode.commands.registerCommand(Commands.tracesOpenTrace, openTrace),
    vscode.commands.registerCommand(Commands.tracesOpenAsSnapshot, openAsSnapshot),
    vscode.commands.registerCommand(Commands.tracesShowMoreCaptures, () => captures.showMore()),
    vscode.commands.registerCommand(Commands.tracesRemoveRecent, async (node?: TraceTreeNode) => {
      if (node?.kind === 'recent') await recent.remove(node.uri);
    }),
    vscode.commands.registerCommand(Commands.tracesAttachLive, async (node?: TraceTreeNode) => {
      const row = node?.kind === 'live' ? node.row : await pickLiveSource(live);
      if (!row) return;
      if (row.status.kind === 'notRead') {
        void vscode.window.showWarningMessage(`${row.source.name} is named by the gpupv.json of an untrusted workspace, so it is not read. Trust the workspace to attach to it.`, 'Manage Workspace Trust').then((choice) => {
          if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
        });
        return;
      }
      log.info(`Attaching the live viewer to ${row.source.name} (${row.source.id})`);
      await attach(targetOf(row));
    }),
  ];
  showTrustMessage();
  scheduler.setVisible(treeView.visible);
  return { disposable: vscode.Disposable.from(...disposables), api: { recent, captures, live, protocols, tree, treeView, scheduler } };
}

async function openTrace(): Promise<void> {
  const picked = await vscode.window.showOpenDialog({
    title: 'Open Ring Trace',
    openLabel: 'Open',
    canSelectMany: false,
    filters: { 'Ring traces (pcapng captures, ring snapshots)': ['pcapng', 'ringsnap'], 'Any file (a shared-memory dump read as a snapshot)': ['*'] },
  });
  if (picked?.[0]) await vscode.commands.executeCommand('vscode.openWith', picked[0], WebviewTypes.traceViewer);
}

/** Any file, from the Explorer or this view, in the viewer: a dump of the shared memory under any name is a snapshot. */
async function openAsSnapshot(argument?: vscode.Uri | TraceTreeNode): Promise<void> {
  const uri = argument instanceof vscode.Uri ? argument : argument && uriOf(argument);
  if (uri) await vscode.commands.executeCommand('vscode.openWith', uri, WebviewTypes.traceViewer);
  else await openTrace();
}

function uriOf(node: TraceTreeNode): vscode.Uri | undefined {
  if (node.kind === 'capture' || node.kind === 'recent') return node.uri;
  if (node.kind === 'live' && 'path' in node.row.source.location) return vscode.Uri.file(node.row.source.location.path);
  return undefined;
}

async function pickLiveSource(live: LiveSourcesModel): Promise<LiveSourceRow | undefined> {
  await live.refresh();
  const rows = live.rows.filter((r) => r.status.kind === 'readable');
  if (rows.length === 0) {
    void vscode.window.showInformationMessage('No live ring can be read now: the Ring Traces view says why under Live Sources.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    rows.map((row) => ({ label: row.source.name, description: row.source.id, row })),
    { title: 'Attach Live Viewer', placeHolder: 'The ring to follow' },
  );
  return picked?.row;
}
