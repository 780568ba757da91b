// The messages between the extension host and the Ring Trace Viewer. Both bundles import
// this file, so a change to a message is a compile error on both sides. Rows travel as
// binary pages (rowPage.ts); everything else is small. What the webview sends is untrusted
// input: `isTraceViewerToHostMessage` checks every field before the host acts on it.

import { WEBVIEW_RUNNABLE_COMMANDS, type WebviewRunnableCommand } from './protocol';

export interface OpcodeEntry {
  readonly value: number;
  /** The short name the table shows (`DRAW_INDEXED`). */
  readonly name: string;
  /** The header's name (`PVGPU_CMD_DRAW_INDEXED`). */
  readonly fullName: string;
  /** The family it belongs to, for colouring and the per-group analyses. */
  readonly group: string;
}

export interface Banner {
  readonly level: 'error' | 'warning' | 'info';
  readonly message: string;
  /** Host commands offered with it (an allowlist, like every command a webview may run). */
  readonly actions?: readonly { readonly label: string; readonly command: WebviewRunnableCommand }[];
}

export interface SnapshotHeader {
  readonly controlName: string;
  readonly fields: readonly { readonly path: string; readonly value: string; readonly label?: string }[];
  readonly producer: string;
  readonly consumer: string;
  readonly ringSize: number;
  readonly pending: number;
  readonly recovered: number;
  readonly completedFence?: string;
}

export type ColumnId = 'seq' | 'time' | 'opcode' | 'size' | 'resource' | 'summary' | 'fence';
export type TimeMode = 'absolute' | 'sinceStart' | 'delta';

export interface ColumnLayout {
  readonly columns: readonly { readonly id: ColumnId; readonly width: number; readonly visible: boolean }[];
  readonly timeMode: TimeMode;
}

export interface TraceInfo {
  readonly name: string;
  readonly kind: 'capture' | 'snapshot' | 'live';
  readonly opcodes: readonly OpcodeEntry[];
  /** Nanoseconds since the epoch of the first row, as decimal text; undefined for traces without time. */
  readonly baseTimeNs?: string;
  readonly hasFences: boolean;
  /** The header field the resource column shows (`resource_id`); undefined when the header has none. */
  readonly resourceField?: string;
  /** What the filter bar completes: field paths, opcode names, the header's constants. */
  readonly vocabulary: { readonly fields: readonly string[]; readonly opcodes: readonly string[]; readonly symbols: readonly string[] };
  readonly snapshot?: SnapshotHeader;
  readonly layout: ColumnLayout;
  /** Filters used in this workspace, newest first. */
  readonly history: readonly string[];
  /** A live ring: what the page keeps in its state so a window reload attaches to it again. */
  readonly live?: { readonly name: string; readonly location: { readonly path: string } | { readonly mapping: string }; readonly configPath: string };
}

export interface LiveStatusView {
  readonly state: 'following' | 'paused' | 'ended';
  readonly producer?: string;
  readonly consumer?: string;
  readonly occupancy: number;
  readonly ringSize?: number;
  readonly rate: number;
  readonly lostBytes: string;
  readonly recording?: { readonly path: string; readonly bytes: number; readonly commands: number };
}

export interface ViewStatus {
  /** Rows the table has (after the filter and the time range). */
  readonly count: number;
  /** Rows the trace holds. */
  readonly total: number;
  /** Changes when positions stop meaning the rows they meant: cached pages must go. */
  readonly generation: number;
  /** The file is still being indexed: bytes read of total. */
  readonly indexing?: { readonly read: number; readonly total: number };
  readonly filter?: { readonly text: string; readonly scanned: number; readonly total: number; readonly matched: number; readonly done: boolean };
  /** The time range the view is restricted to, nanoseconds after the first row. */
  readonly range?: { readonly from: number; readonly to: number };
  /** Nanoseconds after the first row of the last row held: the timeline's extent. */
  readonly lastTime: number;
  readonly live?: LiveStatusView;
  /**
   * Rows the page is about to ask for, sent before it can (a row page, rowPage.ts): the newest
   * of a live trace it follows, the first matches of a filter that has just started.
   */
  readonly rows?: ArrayBuffer;
  readonly banners: readonly Banner[];
}

export interface DetailView {
  readonly seq: number;
  readonly title: string;
  /** The struct the command decodes with, for "go to definition". */
  readonly struct?: string;
  readonly size: number;
  readonly error?: string;
  readonly tree: readonly TreeNodeView[];
  /** The record's bytes. */
  readonly bytes: ArrayBuffer;
}

/** `FieldNode` of extension/protocol/decode/fieldTree.ts, as the webview receives it. */
export interface TreeNodeView {
  readonly name: string;
  readonly path: string;
  readonly type: string;
  readonly offset: number;
  readonly size: number;
  readonly bitOffset?: number;
  readonly bitWidth?: number;
  readonly value?: string;
  readonly hex?: string;
  readonly label?: string;
  readonly children?: readonly TreeNodeView[];
  readonly omitted?: number;
  /** Declared in the header at this place: "go to definition" is offered. */
  readonly declared?: boolean;
}

export interface AnalysesView {
  readonly opcodes: readonly { readonly opcode: number; readonly name: string; readonly group: string; readonly count: number; readonly bytes: number }[];
  readonly fences?: {
    readonly completed: number;
    readonly pending: number;
    readonly overall?: Percentiles;
    readonly groups: readonly { readonly group: string; readonly commands: number; readonly latency?: Percentiles }[];
    readonly slowest: readonly { readonly seq: number; readonly value: string; readonly latencyMs: number }[];
  };
  readonly resources?: readonly { readonly kind: string; readonly problem: string; readonly id: string; readonly seqs: readonly number[]; readonly message: string }[];
  readonly resourcesNote?: string;
}

export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export type HostToTraceViewerMessage =
  | { readonly type: 'init'; readonly info: TraceInfo }
  | { readonly type: 'status'; readonly status: ViewStatus }
  | { readonly type: 'rows'; readonly requestId: number; readonly generation: number; readonly page: ArrayBuffer }
  /** The details asked for that the trace still holds (a live window drops old rows). */
  | { readonly type: 'details'; readonly requestId: number; readonly details: readonly DetailView[] }
  | { readonly type: 'filterChecked'; readonly requestId: number; readonly text: string; readonly errors: readonly FilterProblem[]; readonly warnings: readonly FilterProblem[] }
  /**
   * Where a row is in the view (go to seq, find, a click on the timeline): its position and seq,
   * with the rows around it and its detail, so the page shows it without asking again.
   */
  | { readonly type: 'position'; readonly requestId: number; readonly position: number | undefined; readonly seq?: number; readonly message?: string; readonly rows?: ArrayBuffer; readonly detail?: DetailView }
  | { readonly type: 'timeline'; readonly requestId: number; readonly from: number; readonly to: number; readonly buckets: ArrayBuffer }
  | { readonly type: 'analyses'; readonly requestId: number; readonly analyses: AnalysesView }
  /** The host asks the page to select a row (a jump from an analysis, a reveal). */
  | { readonly type: 'select'; readonly seq: number };

export interface FilterProblem {
  readonly message: string;
  readonly start: number;
  readonly end: number;
}

/** `follow`/`unfollow`: the page shows (or stops showing) the newest rows; the others act on the ring. */
export type LiveAction = 'follow' | 'unfollow' | 'pause' | 'resume' | 'record' | 'stopRecording' | 'stop';
export type CopyFormat = 'json' | 'c';
export type RevealTarget = { readonly kind: 'field'; readonly seq: number; readonly path: string } | { readonly kind: 'struct'; readonly seq: number } | { readonly kind: 'opcode'; readonly seq: number };

export type TraceViewerToHostMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'getRows'; readonly requestId: number; readonly generation: number; readonly from: number; readonly count: number }
  /** The selected row's detail, or those of the rows on screen, fetched before one is clicked. */
  | { readonly type: 'getDetails'; readonly requestId: number; readonly seqs: readonly number[] }
  | { readonly type: 'checkFilter'; readonly requestId: number; readonly text: string }
  | { readonly type: 'applyFilter'; readonly text: string }
  | { readonly type: 'cancelFilter' }
  | { readonly type: 'find'; readonly requestId: number; readonly text: string; readonly from: number; readonly backwards: boolean }
  | { readonly type: 'gotoSeq'; readonly requestId: number; readonly seq: number }
  /** The first row of the view at or after a time (nanoseconds after the first row): a click on the timeline. */
  | { readonly type: 'gotoTime'; readonly requestId: number; readonly time: number }
  | { readonly type: 'getTimeline'; readonly requestId: number; readonly from: number; readonly to: number; readonly buckets: number }
  | { readonly type: 'setRange'; readonly range: { readonly from: number; readonly to: number } | undefined }
  | { readonly type: 'getAnalyses'; readonly requestId: number }
  | { readonly type: 'reveal'; readonly target: RevealTarget }
  | { readonly type: 'copy'; readonly seq: number; readonly format: CopyFormat }
  | { readonly type: 'live'; readonly action: LiveAction }
  | { readonly type: 'saveLayout'; readonly layout: ColumnLayout }
  | { readonly type: 'runCommand'; readonly command: WebviewRunnableCommand };

// ── Checks of what the webview sends ────────────────────────────────────────────────

const MAX_TEXT = 4096;
/** Details in one request: a screen of rows. */
export const MAX_DETAILS = 128;
const COLUMN_IDS: readonly ColumnId[] = ['seq', 'time', 'opcode', 'size', 'resource', 'summary', 'fence'];
const LIVE_ACTIONS: readonly LiveAction[] = ['follow', 'unfollow', 'pause', 'resume', 'record', 'stopRecording', 'stop'];

type Fields = Record<string, unknown>;

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_TEXT;
const isRange = (v: unknown): boolean => typeof v === 'object' && v !== null && isTime((v as Fields).from) && isTime((v as Fields).to) && ((v as Fields).from as number) <= ((v as Fields).to as number);

function isLayout(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const { columns, timeMode } = v as Fields;
  if (timeMode !== 'absolute' && timeMode !== 'sinceStart' && timeMode !== 'delta') return false;
  if (!Array.isArray(columns) || columns.length > COLUMN_IDS.length) return false;
  return columns.every((c: unknown) => {
    const { id, width, visible } = (c ?? {}) as Fields;
    return COLUMN_IDS.includes(id as ColumnId) && typeof width === 'number' && width >= 24 && width <= 4000 && typeof visible === 'boolean';
  });
}

function isRevealTarget(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const { kind, seq, path } = v as Fields;
  if (!isCount(seq)) return false;
  return kind === 'struct' || kind === 'opcode' || (kind === 'field' && isText(path));
}

export function isTraceViewerToHostMessage(message: unknown): message is TraceViewerToHostMessage {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as Fields;
  switch (m.type) {
    case 'ready':
    case 'cancelFilter':
      return true;
    case 'getRows':
      return isCount(m.requestId) && isCount(m.generation) && isCount(m.from) && isCount(m.count);
    case 'getDetails':
      return isCount(m.requestId) && Array.isArray(m.seqs) && m.seqs.length <= MAX_DETAILS && m.seqs.every(isCount);
    case 'checkFilter':
      return isCount(m.requestId) && isText(m.text);
    case 'applyFilter':
      return isText(m.text);
    case 'find':
      return isCount(m.requestId) && isText(m.text) && isCount(m.from) && typeof m.backwards === 'boolean';
    case 'gotoSeq':
      return isCount(m.requestId) && isCount(m.seq);
    case 'gotoTime':
      return isCount(m.requestId) && isTime(m.time);
    case 'getTimeline':
      return isCount(m.requestId) && isTime(m.from) && isTime(m.to) && m.from <= m.to && isCount(m.buckets) && m.buckets <= 8192;
    case 'setRange':
      return m.range === undefined || isRange(m.range);
    case 'getAnalyses':
      return isCount(m.requestId);
    case 'reveal':
      return isRevealTarget(m.target);
    case 'copy':
      return isCount(m.seq) && (m.format === 'json' || m.format === 'c');
    case 'live':
      return LIVE_ACTIONS.includes(m.action as LiveAction);
    case 'saveLayout':
      return isLayout(m.layout);
    case 'runCommand':
      return (WEBVIEW_RUNNABLE_COMMANDS as readonly unknown[]).includes(m.command);
    default:
      return false;
  }
}

export function isHostToTraceViewerMessage(message: unknown): message is HostToTraceViewerMessage {
  return typeof message === 'object' && message !== null && typeof (message as Fields).type === 'string';
}

/** The timeline's buckets as one buffer: four Float64 columns of `count` each. */
export function encodeTimeline(columns: { commands: Float64Array; occupancy: Float64Array; fenceLatency: Float64Array; overruns: Float64Array }): ArrayBuffer {
  const count = columns.commands.length;
  const buffer = new Float64Array(count * 4);
  buffer.set(columns.commands, 0);
  buffer.set(columns.occupancy, count);
  buffer.set(columns.fenceLatency, count * 2);
  buffer.set(columns.overruns, count * 3);
  return buffer.buffer;
}

export function decodeTimeline(buffer: ArrayBuffer): { commands: Float64Array; occupancy: Float64Array; fenceLatency: Float64Array; overruns: Float64Array } {
  const all = new Float64Array(buffer);
  const count = all.length / 4;
  return { commands: all.subarray(0, count), occupancy: all.subarray(count, count * 2), fenceLatency: all.subarray(count * 2, count * 3), overruns: all.subarray(count * 3) };
}
