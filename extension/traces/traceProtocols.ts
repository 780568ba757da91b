import * as vscode from 'vscode';
import type { Logger } from '../common/logger';
import type { FolderConfig } from '../headers/protocolConfig';
import { readHeaderFile } from '../protocol/localFiles';
import { loadProtocol, ProtocolLoadError, type LoadedProtocol } from '../protocol/profile/loadProtocol';

export type ProtocolOutcome = { readonly kind: 'loaded'; readonly protocol: LoadedProtocol } | { readonly kind: 'failed'; readonly problems: readonly string[] };

/**
 * Each folder's gpupv.json loaded for decoding (header analysed, command, fence and ring
 * profiles resolved), once per text of the file: loading runs the header through the engine,
 * which is too slow to repeat at every poll. A saved header the analysis read loads it anew.
 */
export class TraceProtocols implements vscode.Disposable {
  private readonly loaded = new Map<string, { text: string; outcome: Promise<ProtocolOutcome> }>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly log: Logger) {
    this.subscription = vscode.workspace.onDidSaveTextDocument((document) => {
      for (const [key, entry] of this.loaded) {
        void entry.outcome.then((outcome) => {
          if (outcome.kind === 'loaded' && outcome.protocol.analysis.files.includes(document.uri.fsPath)) this.loaded.delete(key);
        });
      }
    });
  }

  forFolder(config: FolderConfig): Promise<ProtocolOutcome> {
    const key = config.uri.toString();
    const cached = this.loaded.get(key);
    if (cached?.text === config.text) return cached.outcome;
    const outcome = this.load(config);
    this.loaded.set(key, { text: config.text, outcome });
    return outcome;
  }

  dispose(): void {
    this.subscription.dispose();
  }

  private async load(config: FolderConfig): Promise<ProtocolOutcome> {
    try {
      const protocol = await loadProtocol(config.uri.fsPath, readHeaderFile);
      this.log.info(`${config.uri.fsPath}: protocol loaded for traces${protocol.ring ? '' : ' (no protocol.ring: live rings cannot be read)'}`);
      return { kind: 'loaded', protocol };
    } catch (error) {
      const problems = error instanceof ProtocolLoadError ? error.problems : [error instanceof Error ? error.message : String(error)];
      for (const problem of problems) this.log.warn(`Ring traces: ${problem}`);
      return { kind: 'failed', problems };
    }
  }
}
