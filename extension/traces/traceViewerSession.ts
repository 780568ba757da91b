import * as vscode from 'vscode';
import type { Logger } from '../common/logger';
import { TraceAnalyses } from '../protocol/analysis/traceAnalyses';
import { describeLifetimeProblem } from '../protocol/analysis/resourceLifetimes';
import { commandAsCInitializer, commandAsJson } from '../protocol/decode/commandText';
import type { CommandFieldRef } from '../protocol/decode/commandFilterScope';
import { fieldTree, type FieldNode } from '../protocol/decode/fieldTree';
import type { SourceLocation } from '../protocol/diagnostics';
import type { CompiledFilter } from '../protocol/filter/compileFilter';
import { objectIdField } from '../protocol/profile/commandProfile';
import { CaptureTraceSource } from '../protocol/trace/captureSource';
import { LiveTraceSource } from '../protocol/trace/liveSource';
import { SnapshotTraceSource } from '../protocol/trace/snapshotSource';
import { timelineBuckets } from '../protocol/trace/timelineBuckets';
import type { TraceSource } from '../protocol/trace/traceSource';
import { TraceView } from '../protocol/trace/traceView';
import {
  encodeTimeline,
  isTraceViewerToHostMessage,
  type AnalysesView,
  type ColumnLayout,
  type DetailView,
  type HostToTraceViewerMessage,
  type LiveAction,
  type RevealTarget,
  type TraceInfo,
  type TraceViewerToHostMessage,
  type TreeNodeView,
  type ViewStatus,
} from '../../webviews/shared/traceViewerProtocol';
import { encodeRowPage } from '../../webviews/shared/rowPage';
import { afterPendingIo } from '../common/eventLoop';
import { RowPages } from './rowPages';
import type { TraceHandle } from './traceHandle';

// One viewer tab's conversation with its webview: pages of rows as asked for, the detail of
// the selected row, filters run a slice at a time (the match count growing on screen), find,
// go to seq, the timeline's buckets, analyses, and the live controls. Positions the webview
// asks for are positions in this tab's view (its filter and time range); the trace itself
// may be shared with other tabs.

/** Rows a filter looks at between two looks at the clock (a few milliseconds of work). */
const FILTER_SLICE_ROWS = 16_384;
/** Rows pushed with a status or a position: more than a screen shows. */
const PUSHED_ROWS = 128;
/** Status messages at most this often, a frame (the last one always goes). */
const STATUS_INTERVAL_MS = 16;
const LAYOUT_KEY = 'gpupv.traceViewer.layout';
const HISTORY_KEY = 'gpupv.traceViewer.filterHistory';
const HISTORY_LENGTH = 30;

export const DEFAULT_LAYOUT: ColumnLayout = {
  columns: [
    { id: 'seq', width: 80, visible: true },
    { id: 'time', width: 130, visible: true },
    { id: 'opcode', width: 210, visible: true },
    { id: 'size', width: 60, visible: true },
    { id: 'resource', width: 80, visible: true },
    { id: 'summary', width: 480, visible: true },
    { id: 'fence', width: 150, visible: true },
  ],
  timeMode: 'sinceStart',
};

export interface ViewerHost {
  readonly log: Logger;
  readonly workspaceState: vscode.Memento;
}

export class TraceViewerSession implements vscode.Disposable {
  private view: TraceView | undefined;
  private pages: RowPages | undefined;
  private analysesOf: TraceAnalyses | undefined;
  private filterText = '';
  private filterJob: { cancelled: boolean } | undefined;
  private findJob: { cancelled: boolean } | undefined;
  private sourceListener: { dispose(): void } | undefined;
  private statusTimer: ReturnType<typeof setTimeout> | undefined;
  private lastStatus = 0;
  private statusInFlight = false;
  /** Something changed while a status was in flight: another goes when it arrives. */
  private statusOwed = false;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** The page shows the newest rows of a live trace: each status brings them along. */
  private following = false;
  /** A new view (a trace opened, a filter started) whose first rows have not all gone out with a status yet. */
  private firstRowsOwed = false;
  /** Commands this tab's page was offered (banner actions): the only ones it may run. */
  private offered = new Set<string>(['gpupv.showLog']);
  /** The panel is gone: a status still in flight when it closed must not touch its webview. */
  private disposed = false;

  constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly trace: TraceHandle,
    private readonly host: ViewerHost,
    /** The live ring this tab shows, remembered by the page for a window reload. */
    private readonly live?: TraceInfo['live'],
  ) {
    this.subscriptions.push(
      panel.webview.onDidReceiveMessage((message: unknown) => this.onMessage(message)),
      trace.onDidChange(() => this.attach()),
      panel.onDidChangeViewState(() => {
        // A hidden webview drops messages: catch it up when it shows again.
        if (panel.visible) this.postStatus(true);
      }),
    );
    this.attach();
  }

  dispose(): void {
    this.disposed = true;
    this.cancelJobs();
    clearTimeout(this.statusTimer);
    this.sourceListener?.dispose();
    for (const s of this.subscriptions) s.dispose();
  }

  /** (Re)binds to the trace's current source: on open, and after the trace was decoded again. */
  private attach(): void {
    const source = this.trace.source;
    if (source !== this.view?.source) {
      this.cancelJobs();
      this.sourceListener?.dispose();
      this.view = source ? new TraceView(source) : undefined;
      // The page opens at the top: its first rows go with the first status that has any.
      this.firstRowsOwed = true;
      this.pages = source ? new RowPages(source) : undefined;
      this.analysesOf = source ? new TraceAnalyses(source) : undefined;
      this.sourceListener = source?.onDidChange(() => {
        this.keepFiltering();
        this.postStatus(false);
      });
      if (source && this.filterText) this.applyFilter(this.filterText);
      this.postInit();
    }
    this.postStatus(true);
  }

  private onMessage(message: unknown): void {
    if (!isTraceViewerToHostMessage(message)) {
      this.host.log.warn('The Ring Trace Viewer sent a message the extension does not know; ignored.');
      return;
    }
    try {
      this.handle(message);
    } catch (error) {
      this.host.log.error(`Ring Trace Viewer: ${message.type} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }

  private handle(message: TraceViewerToHostMessage): void {
    const view = this.view;
    switch (message.type) {
      case 'ready':
        // Sent on every (re)load of the page, including after it was hidden.
        this.postInit();
        this.postStatus(true);
        return;
      case 'getRows': {
        // A page asked for an older generation answers empty: the page drops it and asks again.
        const page = view && this.pages && message.generation === view.generation ? this.pages.page(view, message.from, message.count) : encodeRowPage([]);
        this.post({ type: 'rows', requestId: message.requestId, generation: view?.generation ?? 0, page });
        return;
      }
      case 'getDetails':
        this.post({ type: 'details', requestId: message.requestId, details: message.seqs.flatMap((seq) => this.detail(seq) ?? []) });
        return;
      case 'checkFilter':
        this.checkFilter(message.requestId, message.text);
        return;
      case 'applyFilter':
        this.applyFilter(message.text);
        return;
      case 'cancelFilter':
        if (this.filterJob) this.filterJob.cancelled = true;
        return;
      case 'find':
        this.find(message.requestId, message.text, message.from, message.backwards);
        return;
      case 'gotoSeq':
        this.gotoSeq(message.requestId, message.seq);
        return;
      case 'gotoTime': {
        const index = this.trace.source?.index;
        if (index?.timesOrdered) this.gotoSeq(message.requestId, index.firstSeq + index.rowAtTime(message.time));
        else this.post({ type: 'position', requestId: message.requestId, position: undefined, message: 'This trace’s rows are not in time order' });
        return;
      }
      case 'getTimeline': {
        const source = this.trace.source;
        if (!source) return;
        const buckets = timelineBuckets(source.index, message.from, message.to, message.buckets);
        this.post({ type: 'timeline', requestId: message.requestId, from: buckets.from, to: buckets.to, buckets: encodeTimeline(buckets) });
        return;
      }
      case 'setRange':
        this.setRange(message.range);
        return;
      case 'getAnalyses':
        this.post({ type: 'analyses', requestId: message.requestId, analyses: this.analyses() });
        return;
      case 'reveal':
        void this.reveal(message.target);
        return;
      case 'copy':
        void this.copy(message.seq, message.format);
        return;
      case 'live':
        void this.liveAction(message.action);
        return;
      case 'saveLayout':
        void this.host.workspaceState.update(LAYOUT_KEY, message.layout);
        return;
      case 'runCommand':
        if (this.offered.has(message.command)) void vscode.commands.executeCommand(message.command, this.commandArgument(message.command));
        else this.host.log.warn(`The Ring Trace Viewer asked for ${message.command}, which it was not offered; ignored.`);
        return;
    }
  }

  private commandArgument(command: string): unknown {
    return command === 'gpupv.showLog' ? undefined : { name: this.trace.name, path: this.trace.source?.name };
  }

  private postInit(): void {
    const source = this.trace.source;
    const info = source ? this.traceInfo(source) : this.emptyInfo();
    this.post({ type: 'init', info });
  }

  private emptyInfo(): TraceInfo {
    return { name: this.trace.name, kind: this.live ? 'live' : 'capture', opcodes: [], hasFences: false, vocabulary: { fields: [], opcodes: [], symbols: [] }, layout: this.layout(), history: this.history(), ...(this.live ? { live: this.live } : {}) };
  }

  private traceInfo(source: TraceSource): TraceInfo {
    const { protocol } = source;
    const groups = this.analysesOf!.groups;
    const opcodes = [...protocol.command.opcodes.values()].map((o) => ({ value: Number(o.value), name: o.shortName, fullName: o.name, group: groups.nameOf(groups.indexOf(Number(o.value))) }));
    const symbols = [...protocol.analysis.constants.keys(), ...protocol.analysis.enums.flatMap((e) => [...e.values.keys()])];
    const objectId = objectIdField(protocol.command);
    const base = source.index.baseTime;
    return {
      name: this.trace.name,
      kind: source.kind,
      opcodes,
      ...(base !== undefined ? { baseTimeNs: base.toString() } : {}),
      hasFences: protocol.fence !== undefined,
      ...(objectId ? { resourceField: objectId.path } : {}),
      vocabulary: { fields: source.filterScope.fieldPaths(), opcodes: opcodes.map((o) => o.name), symbols: [...new Set(symbols)].slice(0, 20_000) },
      ...(source instanceof SnapshotTraceSource && source.snapshot ? { snapshot: snapshotHeader(source) } : {}),
      layout: this.layout(),
      history: this.history(),
      ...(this.live ? { live: this.live } : {}),
    };
  }

  private layout(): ColumnLayout {
    return this.host.workspaceState.get<ColumnLayout>(LAYOUT_KEY) ?? DEFAULT_LAYOUT;
  }

  private history(): string[] {
    return this.host.workspaceState.get<string[]>(HISTORY_KEY) ?? [];
  }

  /**
   * Status goes out at most every STATUS_INTERVAL_MS (`now`: at once), and never while the
   * last one is still on its way: the next follows the moment the page has it. Paced by the
   * round trip, a busy link gets fewer, fresher statuses instead of a queue of stale ones.
   */
  private postStatus(now: boolean): void {
    if (this.statusInFlight) {
      this.statusOwed = true;
      return;
    }
    const wait = STATUS_INTERVAL_MS - (performance.now() - this.lastStatus);
    if (!now && wait > 0) {
      this.statusTimer ??= setTimeout(() => {
        this.statusTimer = undefined;
        this.postStatus(true);
      }, wait);
      return;
    }
    clearTimeout(this.statusTimer);
    this.statusTimer = undefined;
    this.lastStatus = performance.now();
    this.statusInFlight = true;
    const delivered = () => {
      this.statusInFlight = false;
      if (!this.statusOwed) return;
      this.statusOwed = false;
      this.postStatus(false);
    };
    this.post({ type: 'status', status: this.status() }).then(delivered, delivered);
  }

  /**
   * Rows that go with a status, since asking for them would cost the page a round trip: a page
   * following a live ring would always show rows that old; a new view's first rows.
   */
  private pushedRows(view: TraceView, live: boolean): Pick<ViewStatus, 'rows'> {
    if (!this.pages) return {};
    if (live && this.following) return { rows: this.pages.page(view, Math.max(0, view.count - PUSHED_ROWS), PUSHED_ROWS) };
    if (!this.firstRowsOwed || view.count === 0) return {};
    if (view.count >= PUSHED_ROWS || view.upToDate) this.firstRowsOwed = false;
    return { rows: this.pages.page(view, 0, PUSHED_ROWS) };
  }

  private status(): ViewStatus {
    const source = this.trace.source;
    const view = this.view;
    const banners = this.trace.banners();
    this.offered = new Set(['gpupv.showLog', ...banners.flatMap((b) => (b.actions ?? []).map((a) => a.command))]);
    if (!source || !view) return { count: 0, total: 0, generation: 0, lastTime: 0, banners };
    const index = source.index;
    const progress = view.progress;
    const live = source instanceof LiveTraceSource ? source.status : undefined;
    return {
      count: view.count,
      total: index.count,
      generation: view.generation,
      ...(source instanceof CaptureTraceSource && !source.complete ? { indexing: source.progress } : {}),
      ...(view.filtered ? { filter: { text: this.filterText, scanned: progress.scanned, total: progress.total, matched: view.count, done: view.upToDate && !this.filterJob } } : {}),
      ...(this.range ? { range: this.range } : {}),
      lastTime: index.count > 0 ? index.times[index.count - 1]! : 0,
      ...this.pushedRows(view, live !== undefined),
      ...(live
        ? {
            live: {
              state: live.state,
              ...(live.producer !== undefined ? { producer: live.producer.toString() } : {}),
              ...(live.consumer !== undefined ? { consumer: live.consumer.toString() } : {}),
              occupancy: live.occupancy,
              ...(live.ringSize !== undefined ? { ringSize: live.ringSize } : {}),
              rate: live.rate,
              lostBytes: live.lostBytes.toString(),
              ...(live.recording ? { recording: live.recording } : {}),
            },
          }
        : {}),
      banners,
    };
  }

  private compile(text: string): CompiledFilter<CommandFieldRef> | { errors: { message: string; start: number; end: number }[] } | undefined {
    const source = this.trace.source;
    if (!source || text.trim() === '') return undefined;
    const compiled = source.compileFilter(text);
    return Array.isArray(compiled) ? { errors: compiled } : compiled;
  }

  private checkFilter(requestId: number, text: string): void {
    const compiled = this.compile(text);
    const errors = compiled && 'errors' in compiled ? compiled.errors : [];
    const warnings = compiled && 'matches' in compiled ? compiled.warnings : [];
    this.post({ type: 'filterChecked', requestId, text, errors, warnings });
  }

  private applyFilter(text: string): void {
    const view = this.view;
    if (!view) return;
    if (this.filterJob) this.filterJob.cancelled = true;
    this.filterJob = undefined;
    const compiled = this.compile(text);
    if (compiled && 'errors' in compiled) return; // the bar shows the errors; the view keeps its filter
    this.filterText = compiled ? text.trim() : '';
    view.setFilter(compiled);
    if (compiled) {
      this.remember(this.filterText);
      this.firstRowsOwed = true;
      this.runFilter(view);
    }
    this.postStatus(true);
  }

  private runFilter(view: TraceView): void {
    const job = { cancelled: false };
    this.filterJob = job;
    const started = performance.now();
    const step = () => {
      if (job.cancelled || view !== this.view) return;
      const deadline = performance.now() + 12;
      const hadRows = view.count > 0;
      while (!view.upToDate && performance.now() < deadline) {
        view.advance(FILTER_SLICE_ROWS);
        // The first matches go out at once: they are what the user waits to see.
        if (!hadRows && view.count > 0) break;
      }
      if (!hadRows && view.count > 0 && !view.upToDate) {
        this.postStatus(true);
        afterPendingIo(step);
        return;
      }
      if (view.upToDate) {
        this.filterJob = undefined;
        this.host.log.info(`Filter "${this.filterText}": ${view.count.toLocaleString('en')} of ${view.progress.total.toLocaleString('en')} rows in ${(performance.now() - started).toFixed(0)} ms`);
        this.postStatus(true);
        return;
      }
      this.postStatus(false);
      afterPendingIo(step);
    };
    step();
  }

  private remember(text: string): void {
    const history = [text, ...this.history().filter((h) => h !== text)].slice(0, HISTORY_LENGTH);
    void this.host.workspaceState.update(HISTORY_KEY, history);
  }

  /** A live trace grows: the filter goes on with the new rows. */
  private keepFiltering(): void {
    const view = this.view;
    if (view?.filtered && !view.upToDate && !this.filterJob) this.runFilter(view);
  }

  private range: { from: number; to: number } | undefined;

  private setRange(range: { from: number; to: number } | undefined): void {
    const source = this.trace.source;
    const view = this.view;
    if (!source || !view) return;
    this.range = range;
    const index = source.index;
    view.setRange(range && index.timesOrdered ? { from: index.firstSeq + index.rowAtTime(range.from), to: index.firstSeq + index.rowAtTime(range.to + 1) } : undefined);
    this.firstRowsOwed = true;
    if (view.filtered) this.runFilter(view);
    this.postStatus(true);
  }

  private find(requestId: number, text: string, from: number, backwards: boolean): void {
    const view = this.view;
    const source = this.trace.source;
    const compiled = this.compile(text);
    if (!view || !source || !compiled || 'errors' in compiled) {
      this.post({ type: 'position', requestId, position: undefined, message: compiled && 'errors' in compiled ? compiled.errors[0]!.message : undefined });
      return;
    }
    if (this.findJob) this.findJob.cancelled = true;
    const job = { cancelled: false };
    this.findJob = job;
    let position = backwards ? from - 1 : from + 1;
    const chunk = 65_536;
    const step = () => {
      if (job.cancelled || view !== this.view) return;
      const deadline = performance.now() + 12;
      while (performance.now() < deadline) {
        const count = view.count;
        if (position < 0 || position >= count) {
          this.findJob = undefined;
          this.post({ type: 'position', requestId, position: undefined, message: `No ${backwards ? 'earlier' : 'later'} row matches ${text}` });
          return;
        }
        const found = this.findIn(view, source, compiled, position, backwards ? Math.max(0, position - chunk + 1) : Math.min(count, position + chunk), backwards);
        if (found !== undefined) {
          this.findJob = undefined;
          this.postPosition(requestId, view, found);
          return;
        }
        position = backwards ? position - chunk : position + chunk;
      }
      afterPendingIo(step);
    };
    step();
  }

  /** The first match at positions [from, to) going forward, or the last one in [to, from] going back. */
  private findIn(view: TraceView, source: TraceSource, filter: CompiledFilter<CommandFieldRef>, from: number, to: number, backwards: boolean): number | undefined {
    const [low, high] = backwards ? [to, from + 1] : [from, to];
    let found: number | undefined;
    for (let position = low; position < high; ) {
      // Consecutive seqs are matched as one span.
      const seq = view.seqAt(position)!;
      let run = 1;
      while (position + run < high && view.seqAt(position + run) === seq + run) run++;
      source.matchRows(filter, seq, seq + run, (matched) => {
        found = position + (matched - seq);
        return backwards; // going back, the last match of the chunk is the one
      });
      if (found !== undefined && !backwards) return found;
      position += run;
    }
    return found;
  }

  private gotoSeq(requestId: number, seq: number): void {
    const view = this.view;
    if (!view) return;
    const position = view.positionOf(seq);
    const shown = view.seqAt(position);
    if (shown === seq) this.postPosition(requestId, view, position);
    else if (shown !== undefined) this.postPosition(requestId, view, position, `seq ${seq} is not in this view (filtered, out of the time range or no longer held); showing seq ${shown}, the next row that is`);
    else this.post({ type: 'position', requestId, position: undefined, message: `There is no row at or after seq ${seq} in this view` });
  }

  /** A row found: its position, with the rows around it and its detail, so the page needs no second round trip. */
  private postPosition(requestId: number, view: TraceView, position: number, message?: string): void {
    const seq = view.seqAt(position);
    const detail = seq !== undefined ? this.detail(seq) : undefined;
    const rows = this.pages?.page(view, Math.max(0, position - PUSHED_ROWS / 2), PUSHED_ROWS);
    this.post({ type: 'position', requestId, position, ...(seq !== undefined ? { seq } : {}), ...(message ? { message } : {}), ...(rows ? { rows } : {}), ...(detail ? { detail } : {}) });
  }

  private detail(seq: number): DetailView | undefined {
    const source = this.trace.source;
    const row = source?.decodeRow(seq);
    if (!source || !row) return undefined;
    const bytes = row.bytes.slice().buffer;
    if (row.kind !== 'command' || !row.decoded) return { seq, title: row.kind === 'overrun' ? 'Overrun' : 'Unreadable record', size: row.size, error: row.error, tree: [], bytes };
    const info = source.protocol.command.opcodes.get(BigInt(row.opcode));
    const tree = fieldTree(source.protocol.analysis.layoutEngine, source.protocol.command, row.decoded, row.size);
    return {
      seq,
      title: `${row.opcodeName}${row.recovered ? ' (recovered before the consumer)' : ''}`,
      ...(info?.payload ? { struct: info.payload.name } : {}),
      size: row.size,
      ...(row.error ? { error: row.error } : {}),
      tree: tree.map(treeView),
      bytes,
    };
  }

  /** Every analysis of the trace, brought up to date with what arrived since the last time. */
  private analyses(): AnalysesView {
    const source = this.trace.source;
    const analyses = this.analysesOf;
    if (!source || !analyses) return { opcodes: [] };
    analyses.update();
    const report = analyses.report();
    const { fences, lifetimes } = report;
    const name = (opcode: number) => source.opcodeName(opcode);
    return {
      opcodes: report.opcodes.map((o) => ({ opcode: o.opcode, name: o.name, group: o.group, count: o.count, bytes: o.bytes })),
      ...(source.protocol.fence
        ? {
            fences: {
              completed: fences.completed,
              pending: fences.unfinished.count,
              ...(fences.latencyMs ? { overall: fences.latencyMs } : {}),
              groups: fences.groups.map((g) => ({ group: g.group, commands: g.commands, ...(g.latencyMs ? { latency: g.latencyMs } : {}) })),
              slowest: fences.slowest.slice(0, 20).map((f) => ({ seq: f.seq, value: f.value.toString(), latencyMs: f.latencyMs })),
            },
          }
        : {}),
      ...(lifetimes
        ? {
            resources: lifetimes.problems.slice(0, 500).map((p) => ({ kind: p.resourceKind, problem: p.kind, id: String(p.id), seqs: p.rows.map((r) => r.seq), message: describeLifetimeProblem(p, name) })),
            ...(lifetimes.notes.length ? { resourcesNote: lifetimes.notes.join(' ') } : {}),
          }
        : { resourcesNote: 'The profile names no resource kinds (protocol.resources) and none could be read off the header.' }),
    };
  }

  private async reveal(target: RevealTarget): Promise<void> {
    const location = this.locate(target);
    if (!location) {
      void vscode.window.showInformationMessage('The header does not declare that here (a header field of a command without a struct, or a built-in type).');
      return;
    }
    const position = new vscode.Position(location.line - 1, location.column - 1);
    await vscode.window.showTextDocument(vscode.Uri.file(location.file), { viewColumn: vscode.ViewColumn.Beside, selection: new vscode.Range(position, position) });
  }

  private locate(target: RevealTarget): SourceLocation | undefined {
    const source = this.trace.source;
    const row = source?.decodeRow(target.seq);
    if (!source || row?.kind !== 'command') return undefined;
    const { command, analysis } = source.protocol;
    const info = command.opcodes.get(BigInt(row.opcode));
    if (target.kind === 'opcode') return info ? (analysis.constantLocations.get(info.name) ?? analysis.enums.find((e) => e.values.has(info.name))?.location) : undefined;
    const record = info?.payload ?? command.header;
    if (target.kind === 'struct') return record.location;
    const normalised = target.path.replace(/\[\d+\]/g, '[0]');
    const inHeader = normalised.startsWith(`${command.headerMember}.`) && !info?.payload ? normalised.slice(command.headerMember.length + 1) : normalised;
    const leaf = record.fields.find((f) => f.path === inHeader || f.path.startsWith(`${inHeader}.`) || f.path.startsWith(`${inHeader}[`));
    return leaf?.location;
  }

  private async copy(seq: number, format: 'json' | 'c'): Promise<void> {
    const source = this.trace.source;
    const row = source?.decodeRow(seq);
    if (!source || row?.kind !== 'command' || !row.decoded) return;
    const info = source.protocol.command.opcodes.get(BigInt(row.opcode));
    const struct = info?.payload ?? source.protocol.command.header;
    const text = format === 'json' ? commandAsJson({ seq, opcode: row.opcodeName, size: row.size, fields: row.decoded.fields }) : commandAsCInitializer(struct.name, fieldTree(source.protocol.analysis.layoutEngine, source.protocol.command, row.decoded, row.size));
    await vscode.env.clipboard.writeText(text);
    void vscode.window.setStatusBarMessage(`Copied seq ${seq} as ${format === 'json' ? 'JSON' : 'a C initializer'}`, 3000);
  }

  private async liveAction(action: LiveAction): Promise<void> {
    const source = this.trace.source;
    if (!(source instanceof LiveTraceSource)) return;
    switch (action) {
      case 'pause':
        source.pause();
        break;
      case 'resume':
        source.resume();
        break;
      case 'stop':
        source.stop('stopped');
        break;
      case 'stopRecording': {
        const path = source.stopRecording();
        if (path) void vscode.window.showInformationMessage(`Recording saved to ${path}`, 'Open').then((choice) => choice && vscode.commands.executeCommand('vscode.open', vscode.Uri.file(path)));
        break;
      }
      case 'record': {
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
        const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
        const uri = await vscode.window.showSaveDialog({ title: 'Record the live ring to', filters: { 'pcapng captures': ['pcapng'] }, ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `ring-${stamp}.pcapng`) } : {}) });
        if (!uri) return;
        try {
          source.startRecording(uri.fsPath);
        } catch (error) {
          void vscode.window.showErrorMessage(`Cannot record to ${uri.fsPath}: ${error instanceof Error ? error.message : String(error)}`);
        }
        break;
      }
      case 'follow':
        this.following = true;
        break;
      case 'unfollow':
        this.following = false;
        break;
    }
    this.postStatus(true);
  }

  private cancelJobs(): void {
    if (this.filterJob) this.filterJob.cancelled = true;
    if (this.findJob) this.findJob.cancelled = true;
    this.filterJob = undefined;
    this.findJob = undefined;
  }

  /** Resolves once the page has the message (or it could not be delivered). */
  private post(message: HostToTraceViewerMessage): Thenable<boolean> {
    if (this.disposed) return Promise.resolve(false);
    return this.panel.webview.postMessage(message);
  }
}

function snapshotHeader(source: SnapshotTraceSource): NonNullable<TraceInfo['snapshot']> {
  const snapshot = source.snapshot!;
  const fields: { path: string; value: string; label?: string }[] = [];
  const walk = (value: unknown, path: string) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) walk(inner, path ? `${path}.${key}` : key);
    } else if (Array.isArray(value)) fields.push({ path, value: `[${value.length}]` });
    else {
      const label = snapshot.control.labels[path];
      fields.push({ path, value: String(value), ...(label ? { label } : {}) });
    }
  };
  walk(snapshot.control.fields, '');
  return {
    controlName: snapshot.control.name,
    fields: fields.slice(0, 200),
    producer: snapshot.producer.toString(),
    consumer: snapshot.consumer.toString(),
    ringSize: snapshot.ringSize,
    pending: snapshot.pending,
    recovered: snapshot.recovered,
    ...(snapshot.completedFence !== undefined ? { completedFence: snapshot.completedFence.toString() } : {}),
  };
}

function treeView(node: FieldNode): TreeNodeView {
  const { location, children, ...rest } = node;
  return { ...rest, ...(children ? { children: children.map(treeView) } : {}), ...(location ? { declared: true } : {}) };
}
