import * as vscode from 'vscode';
import { WebviewTypes } from '../common/contributions';
import type { Logger } from '../common/logger';
import { SnoopError } from '../protocol/live/ringSnooper';
import { locationName, type SharedMemoryLocation } from '../protocol/live/sharedMemory';
import { LiveTraceSource } from '../protocol/trace/liveSource';
import { openLiveRing } from '../protocol/trace/openTrace';
import { bundledWebviewOptions, serveBundledWebview } from '../webview/bundledWebviewPanel';
import type { Banner } from '../../webviews/shared/traceViewerProtocol';
import { sourceBanners, type TraceHandle } from './traceHandle';
import type { ProtocolState, TraceProtocols } from './traceProtocols';
import { TraceViewerSession } from './traceViewerSession';

// Live rings in the viewer: one panel per attached ring, polling it while the panel lives
// (the newest rows kept, older ones dropped), restored after a window reload by attaching to
// the same ring again. A status bar item shows the ring's rate, occupancy, lost bytes and
// the size of a recording in progress.

/** What identifies a live ring: what the Ring Traces view attaches to, what a restored panel remembers. */
export interface LiveRingEntry {
  readonly name: string;
  readonly location: SharedMemoryLocation;
  /** The gpupv.json whose profile decodes it. */
  readonly configPath: string;
}

export function isLiveRingEntry(value: unknown): value is LiveRingEntry {
  if (typeof value !== 'object' || value === null) return false;
  const { name, location, configPath } = value as Partial<Record<keyof LiveRingEntry, unknown>>;
  if (typeof name !== 'string' || typeof configPath !== 'string' || typeof location !== 'object' || location === null) return false;
  const where = location as Partial<Record<'path' | 'mapping', unknown>>;
  return typeof where.path === 'string' || typeof where.mapping === 'string';
}

class LiveTrace implements TraceHandle {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly listener: { dispose(): void } | undefined;

  constructor(
    readonly entry: LiveRingEntry,
    readonly protocol: ProtocolState,
    readonly source: LiveTraceSource | undefined,
    private readonly attachProblem: string | undefined,
  ) {
    // The session ends (the mapping went away): the banner must say so.
    this.listener = source?.onEvent((event) => event.kind === 'ended' && this.changed.fire());
  }

  get name(): string {
    return this.entry.name;
  }

  banners(): Banner[] {
    const banners = sourceBanners(this.source, this.protocol);
    if (this.attachProblem) banners.unshift({ level: 'error', message: this.attachProblem });
    return banners;
  }

  dispose(): void {
    this.listener?.dispose();
    this.source?.close();
    this.changed.dispose();
  }
}

export class LiveTracePanels implements vscode.Disposable {
  private readonly open = new Map<vscode.WebviewPanel, { trace: LiveTrace; session: TraceViewerSession }>();
  private readonly statusItem = vscode.window.createStatusBarItem('gpupv.liveRing', vscode.StatusBarAlignment.Left, 50);
  private readonly statusTimer: ReturnType<typeof setInterval>;
  private readonly serializer: vscode.Disposable;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: Logger,
    private readonly workspaceState: vscode.Memento,
    private readonly protocols: TraceProtocols,
  ) {
    this.statusItem.name = 'GPU-PV Live Ring';
    this.statusTimer = setInterval(() => this.showStatus(), 500);
    this.serializer = vscode.window.registerWebviewPanelSerializer(WebviewTypes.liveTrace, {
      deserializeWebviewPanel: async (panel, state: unknown) => {
        const entry = (state as { live?: unknown } | undefined)?.live;
        if (isLiveRingEntry(entry)) await this.show(entry, panel);
        else panel.dispose();
      },
    });
  }

  /** Attaches to `entry` in a new panel (or in `panel`, a restored one). */
  async show(entry: LiveRingEntry, panel?: vscode.WebviewPanel): Promise<void> {
    const trace = await this.attach(entry);
    const target = panel ?? vscode.window.createWebviewPanel(WebviewTypes.liveTrace, `Live: ${entry.name}`, vscode.ViewColumn.Active, bundledWebviewOptions(this.extensionUri));
    target.title = `Live: ${entry.name}`;
    serveBundledWebview(target, this.extensionUri, target.title, 'traceViewer');
    const session = new TraceViewerSession(target, trace, { log: this.log, workspaceState: this.workspaceState }, { name: entry.name, location: entry.location, configPath: entry.configPath });
    this.open.set(target, { trace, session });
    target.onDidDispose(() => {
      session.dispose();
      trace.dispose();
      this.open.delete(target);
      this.showStatus();
    });
    trace.source?.start();
  }

  dispose(): void {
    clearInterval(this.statusTimer);
    this.serializer.dispose();
    this.statusItem.dispose();
    for (const panel of [...this.open.keys()]) panel.dispose();
  }

  private async attach(entry: LiveRingEntry): Promise<LiveTrace> {
    const protocol = await this.protocols.load(entry.configPath);
    if (protocol.kind !== 'loaded') return new LiveTrace(entry, protocol, undefined, undefined);
    const where = locationName(entry.location);
    try {
      const source = openLiveRing(entry.location, protocol.protocol);
      this.log.info(`Attached to the live ring ${where} (${entry.name})`);
      return new LiveTrace(entry, protocol, source, undefined);
    } catch (error) {
      if (!(error instanceof SnoopError)) throw error;
      this.log.warn(error.message);
      return new LiveTrace(entry, protocol, undefined, `Cannot attach to ${where}: ${error.message}`);
    }
  }

  /** The ring of the active live panel (or the only one): rate, occupancy, loss, recording. */
  private showStatus(): void {
    const entries = [...this.open.entries()];
    const shown = entries.find(([panel]) => panel.active) ?? (entries.length === 1 ? entries[0] : undefined);
    const source = shown?.[1].trace.source;
    if (!shown || !source) {
      this.statusItem.hide();
      return;
    }
    const status = source.status;
    const percent = status.ringSize ? ` · ${((100 * status.occupancy) / status.ringSize).toFixed(0)}% full` : '';
    const recording = status.recording ? ` · $(record) ${megabytes(status.recording.bytes)}` : '';
    const state = status.state === 'following' ? '$(pulse)' : status.state === 'paused' ? '$(debug-pause)' : '$(debug-disconnect)';
    this.statusItem.text = `${state} ${rate(status.rate)}${percent} · ${status.lostBytes} B lost${recording}`;
    this.statusItem.tooltip = `Live ring ${locationName(shown[1].trace.entry.location)}: ${status.commands.toLocaleString('en')} commands seen${status.recording ? `, recording to ${status.recording.path}` : ''}`;
    this.statusItem.backgroundColor = status.lostBytes > 0n ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.statusItem.command = { title: 'Show the live ring', command: 'gpupv.traces.showLivePanel', arguments: [shown[1].trace.entry] };
    this.statusItem.show();
  }

  /** The live rings open in panels (the extension-host tests read them). */
  get traces(): readonly TraceHandle[] {
    return [...this.open.values()].map((o) => o.trace);
  }

  /** Brings the panel of `entry` to the front. */
  reveal(entry: LiveRingEntry): void {
    for (const [panel, { trace }] of this.open) if (locationName(trace.entry.location) === locationName(entry.location)) panel.reveal();
  }
}

function rate(perSecond: number): string {
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)} M/s` : perSecond >= 1e3 ? `${(perSecond / 1e3).toFixed(1)} k/s` : `${perSecond.toFixed(0)}/s`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
