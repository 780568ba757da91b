import * as vscode from 'vscode';
import type { Logger } from '../common/logger';
import { CaptureTraceSource } from '../protocol/trace/captureSource';
import { openTraceFile, type TraceFileSource } from '../protocol/trace/openTrace';
import type { Banner } from '../../webviews/shared/traceViewerProtocol';
import { sourceBanners, type TraceHandle } from './traceHandle';
import { configFor, type ProtocolState, type TraceProtocols } from './traceProtocols';

// A capture or ring snapshot opened in the viewer (the custom editor's document): the file
// decoded with the workspace's profile, indexed in the background a few megabytes per turn
// of the event loop, so the first rows show at once however big the file. When gpupv.json or
// the header changes, the trace is decoded again; if the new header no longer fits, the old
// decoding stays and a banner says why.

export class TraceDocument implements vscode.CustomDocument, TraceHandle {
  private current: TraceFileSource | undefined;
  private state: ProtocolState = { kind: 'missing', configPath: undefined, reason: 'not read yet' };
  private reloadProblem: string | undefined;
  private readonly watcher: vscode.Disposable;
  private indexing: AbortController | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  private configPath: string | undefined;

  private constructor(
    readonly uri: vscode.Uri,
    private readonly log: Logger,
    private readonly protocols: TraceProtocols,
  ) {
    this.watcher = protocols.onDidChange((configPath) => {
      if (configPath !== this.configPath) return;
      this.log.info(`${configPath} or its header changed: decoding ${uri.fsPath} again`);
      this.reload().catch((error: unknown) => this.log.error(`Could not decode ${uri.fsPath} again: ${String(error)}`));
    });
  }

  static async open(uri: vscode.Uri, log: Logger, protocols: TraceProtocols): Promise<TraceDocument> {
    const document = new TraceDocument(uri, log, protocols);
    await document.load();
    return document;
  }

  get name(): string {
    return this.uri.path.split('/').pop() ?? this.uri.path;
  }

  get source(): TraceFileSource | undefined {
    return this.current;
  }

  get protocol(): ProtocolState {
    return this.state;
  }

  banners(): Banner[] {
    const banners = sourceBanners(this.current, this.state);
    if (this.reloadProblem) banners.unshift({ level: 'warning', message: this.reloadProblem, actions: [{ label: 'Show Log', command: 'gpupv.showLog' }] });
    return banners;
  }

  /** Reads the profile and the trace again (gpupv.json or the header changed). */
  async reload(): Promise<void> {
    await this.load();
  }

  dispose(): void {
    this.indexing?.abort();
    this.watcher.dispose();
    this.current?.close();
    this.current = undefined;
    this.changed.dispose();
  }

  private async load(): Promise<void> {
    const path = this.uri.fsPath;
    this.configPath = await configFor(path);
    const state = await this.protocols.load(this.configPath);
    if (state.kind !== 'loaded') {
      if (this.current) {
        // Keep what decodes; say what no longer fits.
        this.reloadProblem = `The profile or header changed and no longer decodes this trace; it is still shown as decoded before the change. ${state.kind === 'broken' ? state.problems.join('\n') : state.reason}`;
        this.log.warn(this.reloadProblem);
      } else this.state = state;
      this.changed.fire();
      return;
    }
    this.state = state;
    this.reloadProblem = undefined;
    let source: TraceFileSource;
    try {
      source = openTraceFile(path, state.protocol);
    } catch (error) {
      this.state = { kind: 'broken', configPath: state.protocol.configPath, problems: [`${path}: cannot read it (${error instanceof Error ? error.message : String(error)})`] };
      this.changed.fire();
      return;
    }
    this.indexing?.abort();
    this.current?.close();
    this.current = source;
    this.log.info(`Opened ${path} as a ${source.kind} with ${state.protocol.configPath}`);
    if (source instanceof CaptureTraceSource) this.indexInBackground(source);
    this.changed.fire();
  }

  private indexInBackground(source: CaptureTraceSource): void {
    const controller = new AbortController();
    this.indexing = controller;
    const started = performance.now();
    source
      .indexAll(controller.signal)
      .then(() => {
        if (controller.signal.aborted) return;
        this.log.info(`Indexed ${this.uri.fsPath}: ${source.index.count.toLocaleString('en')} rows in ${(performance.now() - started).toFixed(0)} ms${source.problem ? `; ${source.problem}` : ''}`);
        this.changed.fire();
      })
      .catch((error: unknown) => this.log.error(`Indexing ${this.uri.fsPath} failed: ${error instanceof Error ? error.message : String(error)}`));
  }
}
