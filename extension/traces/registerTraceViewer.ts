import * as vscode from 'vscode';
import { Commands, WebviewTypes } from '../common/contributions';
import type { Logger } from '../common/logger';
import { createProfile } from './createProfile';
import { isLiveRingEntry, LiveTracePanels } from './liveTracePanels';
import { TraceEditorProvider } from './traceEditorProvider';

// The Ring Trace Viewer's wiring: the custom editor of captures and snapshots, the live
// ring panels, and the commands their pages and banners run.

export function registerTraceViewer(context: vscode.ExtensionContext, log: Logger): vscode.Disposable {
  const editors = new TraceEditorProvider(context.extensionUri, log, context.workspaceState);
  const livePanels = new LiveTracePanels(context.extensionUri, log, context.workspaceState);
  return vscode.Disposable.from(
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
    vscode.commands.registerCommand(Commands.openTraceViewer, async () => {
      const [uri] = (await vscode.window.showOpenDialog({ title: 'Open a ring trace', canSelectMany: false, filters: { 'Ring traces': ['pcapng', 'ringsnap'], 'Any file (a ring snapshot)': ['*'] } })) ?? [];
      if (uri) await vscode.commands.executeCommand('vscode.openWith', uri, WebviewTypes.traceViewer);
    }),
    vscode.commands.registerCommand(Commands.attachLiveRing, async (entry: unknown) => {
      const path = isLiveRingEntry(entry) ? entry.path : await vscode.window.showInputBox({ title: 'Attach to a live ring', prompt: 'The shared-memory file the ring is in (/dev/shm/..., a QEMU memory-backend-file)', placeHolder: '/dev/shm/pvgpu_shmem_vm1' });
      if (path) await livePanels.show(isLiveRingEntry(entry) ? entry : { name: path.split('/').pop() ?? path, path });
    }),
  );
}
