import { basename, relative } from 'node:path';
import * as vscode from 'vscode';
import { readHeaderFile } from '../protocol/localFiles';
import type { Logger } from '../common/logger';
import type { AbiName } from '../protocol/abi';
import { AnalysisCache } from '../protocol/analysisCache';
import type { HeaderAnalysis } from '../protocol/headerAnalysis';
import { diffAbis } from '../protocol/report/abiDiff';
import type { HeaderResult } from './headerResults';
import type { FolderConfig, ProtocolConfigStore } from './protocolConfig';
import type { ConfigProblem } from '../protocol/config/protocolConfigParser';
import { pendingIo } from '../common/eventLoop';

// Analyses every header gpupv.json lists, for its ABI and the compared one, whenever the
// configuration changes or a file an analysis read is saved. Analyses are cached by the
// content of every file they read plus the options, so switching editors or saving an
// unrelated file costs nothing. A newer run cancels an older one, whose results are
// dropped. Files come from open editors first (their unsaved text), then from disk.

/** A configured header that could not be analysed, shown on gpupv.json at its entry. */
export interface HeaderEntryProblem {
  readonly config: FolderConfig;
  readonly problem: ConfigProblem;
}

type HeaderOutcome = { readonly kind: 'analysed'; readonly result: HeaderResult } | { readonly kind: 'failed'; readonly message: string } | { readonly kind: 'cancelled' };

/** Saves and configuration edits arriving within this window are analysed once. */
const DEBOUNCE_MS = 150;

export class HeaderAnalysisService implements vscode.Disposable {
  private readonly cache = new AnalysisCache(64);
  private readonly changed = new vscode.EventEmitter<void>();
  private results: readonly HeaderResult[] = [];
  private entryProblems: readonly HeaderEntryProblem[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private cancellation: vscode.CancellationTokenSource | undefined;
  private waiters: (() => void)[] = [];
  private configLoaded = false;

  /** Fires when a run has finished with fresh results. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly store: ProtocolConfigStore,
    private readonly log: Logger,
  ) {
    void store.whenLoaded().then(() => {
      this.configLoaded = true;
      this.schedule('start-up', 0);
    });
  }

  get all(): readonly HeaderResult[] {
    return this.results;
  }

  get headerEntryProblems(): readonly HeaderEntryProblem[] {
    return this.entryProblems;
  }

  /** The results whose analysis read `file`, with the file as the analysis spells it. */
  resultsFor(file: string): { result: HeaderResult; file: string }[] {
    const found: { result: HeaderResult; file: string }[] = [];
    for (const result of this.results) {
      const spelled = result.analysis.files.find((f) => samePath(f, file));
      if (spelled !== undefined) found.push({ result, file: spelled });
    }
    return found;
  }

  /** Whether saving `file` can change a result: an analysis read it, or gpupv.json lists it. */
  dependsOn(file: string): boolean {
    return (
      this.results.some((r) => r.analysis.files.some((f) => samePath(f, file))) ||
      this.store.all.some((c) => c.protocol?.headers.some((h) => samePath(h.path, file)))
    );
  }

  /** Resolves when the configuration is read and no analysis is waiting or running. */
  ready(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Analyses again after a short pause; calls within the pause are coalesced. */
  schedule(reason: string, delayMs = DEBOUNCE_MS): void {
    if (!this.configLoaded) return; // the first run follows loading anyway
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(reason), delayMs);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.cancellation?.cancel();
    this.changed.dispose();
    this.releaseWaiters();
  }

  private get busy(): boolean {
    return !this.configLoaded || this.timer !== undefined || this.running !== undefined;
  }

  private async run(reason: string): Promise<void> {
    this.timer = undefined;
    this.cancellation?.cancel();
    const source = new vscode.CancellationTokenSource();
    this.cancellation = source;
    const run = this.analyseAll(source.token, reason);
    this.running = run;
    try {
      await run;
    } catch (error) {
      this.log.error(`Analysing the protocol headers failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    } finally {
      if (this.running === run) this.running = undefined;
      source.dispose();
      if (!this.busy) this.releaseWaiters();
    }
  }

  private releaseWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private async analyseAll(token: vscode.CancellationToken, reason: string): Promise<void> {
    const configs = this.store.all.filter((c) => c.protocol && c.protocol.headers.length > 0);
    if (configs.length === 0 && this.results.length === 0 && this.entryProblems.length === 0) return;
    this.log.debug(`Analysing protocol headers (${reason})`);
    const results: HeaderResult[] = [];
    const entryProblems: HeaderEntryProblem[] = [];
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'GPU-PV: analysing headers' }, async (progress) => {
      for (const config of configs) {
        for (const header of config.protocol!.headers) {
          if (token.isCancellationRequested) return;
          progress.report({ message: basename(header.path) });
          const outcome = await this.analyseHeader(config, header.path, token);
          if (outcome.kind === 'cancelled') return;
          if (outcome.kind === 'failed') {
            entryProblems.push({ config, problem: { severity: 'error', message: outcome.message, offset: header.entry.offset, length: header.entry.length } });
            this.log.error(`${config.uri.fsPath}: ${outcome.message}`);
          } else {
            results.push(outcome.result);
          }
        }
      }
    });
    if (token.isCancellationRequested) {
      this.log.debug(`Dropped the results of a stale analysis run (${reason}); a newer one is under way`);
      return;
    }
    this.results = results;
    this.entryProblems = entryProblems;
    this.changed.fire();
  }

  private async analyseHeader(config: FolderConfig, header: string, token: vscode.CancellationToken): Promise<HeaderOutcome> {
    const protocol = config.protocol!;
    const folder = config.folder.uri.fsPath;
    const shown = relative(folder, header) || header;
    // A function, not the property: the check is repeated after each await on purpose.
    const cancelled = (): boolean => token.isCancellationRequested;
    try {
      if (this.readFile(header) === undefined) {
        return { kind: 'failed', message: `${shown} does not exist (paths in "protocol.headers" are relative to ${folder})` };
      }
      const analysis = await this.analyse(header, shown, protocol.abi, config);
      if (cancelled()) return { kind: 'cancelled' };
      if (!protocol.compareAbi) return { kind: 'analysed', result: { header, folder, analysis, compare: undefined } };
      const compared = await this.analyse(header, shown, protocol.compareAbi, config);
      if (cancelled()) return { kind: 'cancelled' };
      const differences = new Map(diffAbis(analysis, compared).map((d) => [d.record, d]));
      return { kind: 'analysed', result: { header, folder, analysis, compare: { analysis: compared, differences } } };
    } catch (error) {
      return { kind: 'failed', message: `${shown} could not be analysed: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  private async analyse(header: string, shown: string, abi: AbiName, config: FolderConfig): Promise<HeaderAnalysis> {
    const { includeDirs, defines } = config.protocol!;
    const started = performance.now();
    const { analysis, hit } = await this.cache.analyze(header, { abi, includeDirs, defines, readFile: this.readFile });
    const ms = Math.round(performance.now() - started);
    const errors = analysis.diagnostics.filter((d) => d.severity === 'error').length;
    const summary = `${shown} for ${abi} in ${ms} ms: ${analysis.records.length} records, ${analysis.files.length} files, ${errors} errors`;
    if (hit) this.log.debug(`Analysis of ${summary} (unchanged, from the cache)`);
    else this.log.info(`Analysed ${summary}`);
    // The engine works synchronously; let the extension host breathe between analyses.
    await pendingIo();
    return analysis;
  }

  /** The engine's `readFile`: an open editor's text (saved or not) first, else the disk. */
  private readonly readFile = (path: string): string | undefined => {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && samePath(d.uri.fsPath, path));
    return open ? open.getText() : readHeaderFile(path);
  };
}

/** Windows paths differ in case between VS Code (`c:\`) and Node (`C:\`). */
export function samePath(a: string, b: string): boolean {
  return process.platform === 'win32' ? a.toLowerCase() === b.toLowerCase() : a === b;
}
