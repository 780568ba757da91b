import * as vscode from 'vscode';
import { Commands, WebviewTypes } from '../common/contributions';
import type { Logger } from '../common/logger';
import { createProfile } from './createProfile';
import { isLiveRingEntry, LiveTracePanels } from './liveTracePanels';
import { TraceEditorProvider } from './traceEditorProvider';
import type { TraceProtocols } from './traceProtocols';

// The Ring Trace Viewer's wiring: the custom editor of captures and snapshots, the live
// ring panels, and the commands their pages and banners run.

export interface TraceViewer {
  readonly disposable: vscode.Disposable;
  readonly editors: TraceEditorProvider;
  readonly livePanels: LiveTracePanels;
  /** A trace file was opened in the viewer. */
  readonly onDidOpen: vscode.Event<vscode.Uri>;
}

export function registerTraceViewer(context: vscode.ExtensionContext, log: Logger, protocols: TraceProtocols): TraceViewer {
  const editors = new TraceEditorProvider(context.extensionUri, log, context.workspaceState, protocols);
  const livePanels = new LiveTracePanels(context.extensionUri, log, context.workspaceState, protocols);
  const disposable = vscode.Disposable.from(
    vscode.window.registerCustomEditorProvider(WebviewTypes.traceViewer, editors, { supportsMultipleEditorsPerDocument: true }),
    livePanels,
    vscode.commands.registerCommand(Commands.createProfile, async () => {
      const document = editors.active;
      if (await createProfile(log, document?.uri)) await document?.reload();
    }),
    vscode.commands.registerCommand(Commands.reopenTraceAsText, async () => {
      const document = editors.active;
      if (document) await vscode.commands.executeCommand('vscode.openWith', document.uri, 'default');
    }),
    vscode.commands.registerCommand(Commands.showLivePanel, (entry: unknown) => {
      if (isLiveRingEntry(entry)) livePanels.reveal(entry);
    }),
  );
  return { disposable, editors, livePanels, onDidOpen: editors.onDidOpen };
}
