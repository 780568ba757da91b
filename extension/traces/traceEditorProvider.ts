import * as vscode from 'vscode';
import type { Logger } from '../common/logger';
import { serveBundledWebview } from '../webview/bundledWebviewPanel';
import { TraceDocument } from './traceDocument';
import type { TraceProtocols } from './traceProtocols';
import { TraceViewerSession } from './traceViewerSession';

// The Ring Trace Viewer as the editor of captures (`*.pcapng`) and ring snapshots
// (`*.ringsnap`, or any file opened with it): read-only, several side by side, each tab its
// own filter and scroll position over a document shared by the tabs of one file.

export class TraceEditorProvider implements vscode.CustomReadonlyEditorProvider<TraceDocument> {
  private readonly sessions = new Map<vscode.WebviewPanel, { document: TraceDocument; session: TraceViewerSession }>();
  private readonly openedEmitter = new vscode.EventEmitter<vscode.Uri>();
  /** A trace file was opened: the Ring Traces view lists it under Recent. */
  readonly onDidOpen = this.openedEmitter.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: Logger,
    private readonly workspaceState: vscode.Memento,
    private readonly protocols: TraceProtocols,
  ) {}

  /** Every trace open in a tab (the extension-host tests read them). */
  get documents(): TraceDocument[] {
    return [...new Set([...this.sessions.values()].map((s) => s.document))];
  }

  /** The document of the trace tab the user looks at, if one is active. */
  get active(): TraceDocument | undefined {
    for (const [panel, { document }] of this.sessions) if (panel.active) return document;
    return undefined;
  }

  async openCustomDocument(uri: vscode.Uri): Promise<TraceDocument> {
    const document = await TraceDocument.open(uri, this.log, this.protocols);
    this.openedEmitter.fire(uri);
    return document;
  }

  resolveCustomEditor(document: TraceDocument, panel: vscode.WebviewPanel): void {
    serveBundledWebview(panel, this.extensionUri, document.name, 'traceViewer');
    const session = new TraceViewerSession(panel, document, { log: this.log, workspaceState: this.workspaceState });
    this.sessions.set(panel, { document, session });
    panel.onDidDispose(() => {
      session.dispose();
      this.sessions.delete(panel);
    });
  }
}
