import * as vscode from 'vscode';
import { WebviewTypes } from '../common/contributions';
import type { Logger } from '../common/logger';
import type { SourceLocation } from '../protocol/diagnostics';
import { createBundledWebviewPanel } from '../webview/bundledWebviewPanel';
import {
  isStructLayoutToHostMessage,
  type HostToStructLayoutMessage,
  type StructLayoutState,
} from '../../webviews/shared/protocol';
import { samePath, type HeaderAnalysisService } from './headerAnalysisService';
import { structLayoutTableFor, type StructLayoutTarget } from './showStructLayout';

/**
 * The Struct Layout table: one panel, pointed at another record rather than duplicated.
 * It follows the analysis: saving the header redraws the table of the record it shows.
 */
export class StructLayoutPanel {
  private static current: StructLayoutPanel | undefined;

  private state: StructLayoutState = {};
  private locations: readonly (SourceLocation | undefined)[] = [];
  private readonly panel: vscode.WebviewPanel;
  private readonly subscriptions: vscode.Disposable[] = [];

  static show(
    extensionUri: vscode.Uri,
    log: Logger,
    service: HeaderAnalysisService,
    target: StructLayoutTarget,
    pickAnother: () => void,
  ): void {
    const panel = (StructLayoutPanel.current ??= new StructLayoutPanel(extensionUri, log, service, pickAnother));
    panel.showTarget(target);
  }

  private target: StructLayoutTarget | undefined;

  private constructor(
    extensionUri: vscode.Uri,
    private readonly log: Logger,
    private readonly service: HeaderAnalysisService,
    private readonly pickAnother: () => void,
  ) {
    // The whole editor width: with a compared ABI the table has two sets of columns. A
    // click on a field then opens the header beside it.
    this.panel = createBundledWebviewPanel(extensionUri, WebviewTypes.structLayout, 'Struct Layout', 'structLayout');
    const webview = this.panel.webview;
    this.subscriptions.push(
      webview.onDidReceiveMessage((message: unknown) => this.onMessage(message)),
      service.onDidChange(() => this.refresh()),
    );
    this.panel.onDidDispose(() => {
      StructLayoutPanel.current = undefined;
      for (const s of this.subscriptions) s.dispose();
    });
  }

  private showTarget(target: StructLayoutTarget): void {
    this.target = target;
    this.refresh();
    this.panel.reveal(undefined, false);
  }

  private refresh(): void {
    if (!this.target) return;
    const table = structLayoutTableFor(this.service, this.target);
    this.panel.title = `Layout: ${this.target.record}`;
    this.locations = table?.locations ?? [];
    this.state = table
      ? { view: table.view }
      : { notice: `${this.target.record} is no longer declared in the analysed headers. Choose another struct.` };
    this.post({ type: 'showLayout', state: this.state });
  }

  private onMessage(message: unknown): void {
    if (!isStructLayoutToHostMessage(message)) {
      this.log.warn('Struct Layout sent a message the extension does not know; ignored.');
      return;
    }
    switch (message.type) {
      case 'ready':
        // Sent on every (re)load of the page, including after it was hidden.
        this.post({ type: 'showLayout', state: this.state });
        break;
      case 'pickRecord':
        this.pickAnother();
        break;
      case 'revealRow':
        this.reveal(this.locations[message.row]).catch((error: unknown) => {
          this.log.error(`Could not open the declaration: ${error instanceof Error ? error.message : String(error)}`);
        });
        break;
      case 'runCommand':
        void vscode.commands.executeCommand(message.command);
        break;
    }
  }

  private async reveal(location: SourceLocation | undefined): Promise<void> {
    if (!location) return;
    const uri = vscode.Uri.file(location.file);
    const position = new vscode.Position(location.line - 1, location.column - 1);
    const visible = vscode.window.visibleTextEditors.find((e) => samePath(e.document.uri.fsPath, location.file));
    await vscode.window.showTextDocument(uri, {
      viewColumn: visible?.viewColumn ?? vscode.ViewColumn.Beside,
      selection: new vscode.Range(position, position),
    });
  }

  private post(message: HostToStructLayoutMessage): void {
    void this.panel.webview.postMessage(message);
  }
}
