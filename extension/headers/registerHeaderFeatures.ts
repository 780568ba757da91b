import { basename } from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../common/contributions';
import type { Logger } from '../common/logger';
import { HeaderAnalysisService } from './headerAnalysisService';
import { LayoutCodeLensProvider } from './layoutCodeLens';
import { LayoutDiagnostics } from './layoutDiagnostics';
import { LayoutHoverProvider } from './layoutHover';
import { RustMirrorDiagnostics } from './mirrorDiagnostics';
import { RingCommandCompletions } from './ringCommandCompletions';
import type { ProtocolConfigStore } from './protocolConfig';
import { isStructLayoutTarget, pickStructLayoutTarget } from './showStructLayout';
import { StructLayoutPanel } from './structLayoutPanel';

// The protocol header in the editor: gpupv.json says which headers; every struct gets a
// CodeLens with its size, every member a hover with its offset, the Problems view the
// engine's findings and the drifts of the Rust mirrors it names, completions write ring
// commands from the header, and "GPU-PV: Show Struct Layout" a table of the whole record.
// Everything only reads files, so it also runs in an untrusted workspace.

/** Headers open as C or C++ (VS Code opens `.h` as C++). */
const HEADER_DOCUMENTS: vscode.DocumentSelector = [
  { scheme: 'file', language: 'c' },
  { scheme: 'file', language: 'cpp' },
];

/** `store` is the workspace's gpupv.json, shared with the Ring Traces view; its owner disposes it. */
export function registerHeaderFeatures(context: vscode.ExtensionContext, log: Logger, store: ProtocolConfigStore): vscode.Disposable {
  const service = new HeaderAnalysisService(store, log);

  const showStructLayout = async (argument: unknown): Promise<void> => {
    const target = isStructLayoutTarget(argument) ? argument : await pickStructLayoutTarget(service);
    if (target) StructLayoutPanel.show(context.extensionUri, log, service, target, () => void showStructLayout(undefined));
  };

  return vscode.Disposable.from(
    service,
    new LayoutDiagnostics(store, service),
    new RustMirrorDiagnostics(store, service),
    vscode.languages.registerCodeLensProvider(HEADER_DOCUMENTS, new LayoutCodeLensProvider(service)),
    vscode.languages.registerHoverProvider(HEADER_DOCUMENTS, new LayoutHoverProvider(service)),
    vscode.languages.registerCompletionItemProvider(HEADER_DOCUMENTS, new RingCommandCompletions(store, service)),
    vscode.commands.registerCommand(Commands.showStructLayout, showStructLayout),
    store.onDidChange(() => service.schedule('gpupv.json changed')),
    vscode.workspace.onDidSaveTextDocument((document) => {
      if (document.uri.scheme === 'file' && service.dependsOn(document.uri.fsPath)) service.schedule(`${basename(document.uri.fsPath)} saved`);
    }),
  );
}
