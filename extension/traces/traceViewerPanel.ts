import * as vscode from 'vscode';
import { WebviewTypes } from '../common/contributions';
import type { Logger } from '../common/logger';
import { createBundledWebviewPanel } from '../webview/bundledWebviewPanel';
import {
  isTraceViewerToHostMessage,
  type HostToTraceViewerMessage,
  type TraceViewerState,
} from '../../webviews/shared/protocol';

/** The Ring Trace Viewer: one panel, revealed again rather than duplicated. */
export class TraceViewerPanel {
  private static current: TraceViewerPanel | undefined;

  private readonly state: TraceViewerState = {};

  static show(extensionUri: vscode.Uri, log: Logger): void {
    if (TraceViewerPanel.current) {
      TraceViewerPanel.current.panel.reveal();
      return;
    }
    TraceViewerPanel.current = new TraceViewerPanel(extensionUri, log);
  }

  private readonly panel: vscode.WebviewPanel;

  private constructor(extensionUri: vscode.Uri, private readonly log: Logger) {
    this.panel = createBundledWebviewPanel(extensionUri, WebviewTypes.traceViewer, 'Ring Trace Viewer', 'traceViewer');
    const webview = this.panel.webview;
    webview.onDidReceiveMessage((message: unknown) => this.onMessage(message));
    this.panel.onDidDispose(() => {
      TraceViewerPanel.current = undefined;
    });
  }

  private onMessage(message: unknown): void {
    if (!isTraceViewerToHostMessage(message)) {
      this.log.warn('Ring Trace Viewer sent a message the extension does not know; ignored.');
      return;
    }
    switch (message.type) {
      case 'ready':
        // Sent on every (re)load of the page, including after it was hidden: the webview
        // may have missed earlier posts, so the whole state goes again.
        this.post({ type: 'showState', state: this.state });
        break;
      case 'runCommand':
        void vscode.commands.executeCommand(message.command);
        break;
    }
  }

  private post(message: HostToTraceViewerMessage): void {
    void this.panel.webview.postMessage(message);
  }
}
