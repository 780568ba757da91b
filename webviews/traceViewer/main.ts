import '@vscode-elements/elements/dist/vscode-split-layout/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-context-menu/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import { codicon, h } from '../shared/dom';
import { pageRoot } from '../shared/page';
import { decodeRowPage, type PageRow } from '../shared/rowPage';
import type { ColumnLayout, DetailView, LiveAction, TimeMode, TraceInfo, ViewStatus } from '../shared/traceViewerProtocol';
import { AnalysesPane } from './analysesPane';
import { DetailCache } from './detailCache';
import { DetailPane } from './detailPane';
import { FilterBar } from './filterBar';
import { bytes, count } from './format';
import { onPush, request, send, vscode } from './hostConnection';
import { updateState } from './pageState';
import { RowCache } from './rowCache';
import { Timeline } from './timeline';
import { COLUMN_TITLES, TraceTable } from './traceTable';

// The Ring Trace Viewer page: toolbar (filter, find, go to, time format, columns, live
// controls), banners, the snapshot's control region, the timeline, the table, and beside it
// the selected command's detail or the analyses. The page holds only what is on screen; the
// extension host holds the trace.

const GROUP_COLOURS = ['group-blue', 'group-green', 'group-orange', 'group-purple', 'group-yellow', 'group-red', 'group-grey'];

let info: TraceInfo | undefined;
let status: ViewStatus | undefined;
let follow = vscode.getState()?.follow ?? true;
let restored = false;
/** A filter or time range the user just set: its first rows show from the top, unless the selection stays in it. */
let toTopOnNextView = false;

function changeView(message: { readonly type: 'applyFilter'; readonly text: string } | { readonly type: 'setRange'; readonly range: { readonly from: number; readonly to: number } | undefined }): void {
  toTopOnNextView = true;
  send(message);
}

const cache = new RowCache(() => {
  table.invalidate();
  showAwaitedDetail();
});
const details = new DetailCache();
const filterBar = new FilterBar(
  (text) => {
    updateState(vscode, { filter: text });
    changeView({ type: 'applyFilter', text });
  },
  () => send({ type: 'cancelFilter' }),
);
const detail = new DetailPane({
  reveal: (target) => send({ type: 'reveal', target }),
  copy: (seq, format) => send({ type: 'copy', seq, format }),
});
const analyses = new AnalysesPane(
  (seq) => void selectSeq(seq),
  () => void loadAnalyses(),
);
const timeline = new Timeline({
  rangeSelected: (range) => changeView({ type: 'setRange', range }),
  timeClicked: (time) =>
    void request({ type: 'gotoTime', time }).then((reply) => {
      showFound(reply);
      showMessage(reply.message);
    }),
});
const table = new TraceTable(cache, { opcodeNames: new Map(), opcodeColours: new Map(), baseTimeNs: undefined, resourceField: undefined }, defaultLayout(), {
  selected: (position) => {
    userSelections++;
    const row = cache.row(position);
    awaitedDetail = row ? undefined : position;
    if (row) showDetail(row.seq);
  },
  scrolled: (first, last) => {
    const top = cache.row(first);
    if (top) updateState(vscode, { topSeq: top.seq });
    const bottom = cache.row(last);
    if (top && bottom && !Number.isNaN(top.time)) timeline.markVisible(top.time, bottom.time);
    prefetchDetails(first, last);
  },
  leftTheEnd: () => setFollow(false),
  layoutChanged: (layout) => send({ type: 'saveLayout', layout }),
  menu: (position, event) => showRowMenu(position, event),
});

function defaultLayout(): ColumnLayout {
  return { columns: (['seq', 'time', 'opcode', 'size', 'resource', 'summary', 'fence'] as const).map((id) => ({ id, width: id === 'summary' ? 480 : 100, visible: true })), timeMode: 'sinceStart' };
}

// ── Layout ───────────────────────────────────────────────────────────────────────────

const banners = h('div', { class: 'banners', 'data-testid': 'banners' });
const snapshotPanel = h('div', { class: 'snapshot-panel', 'data-testid': 'snapshot' });
const liveBar = h('div', { class: 'live-bar', 'data-testid': 'live-bar' });
const statusLine = h('div', { class: 'status-line', 'data-testid': 'status-line' });
const message = h('div', { class: 'transient-message', role: 'status' });
/** A small box floating over the table (find, go to): one input, focused when shown; hiding gives the table the keys back. */
class FloatBox {
  readonly element: HTMLElement;
  constructor(
    kind: 'find' | 'goto',
    readonly input: HTMLInputElement,
    icon: string,
    ...buttons: HTMLElement[]
  ) {
    this.element = h('div', { class: `float-box ${kind}-box` }, codicon(icon), input, ...buttons, iconButton('close', 'Close (Escape)', () => this.hide()));
    this.element.hidden = true;
  }
  show(): void {
    this.element.hidden = false;
    this.input.focus();
    this.input.select();
  }
  hide(): void {
    this.element.hidden = true;
    table.element.focus();
  }
}
const findBox = new FloatBox(
  'find',
  h('input', { type: 'text', class: 'find-input', placeholder: 'Find (filter language)', spellcheck: 'false', 'aria-label': 'Find', 'data-testid': 'find-input' }),
  'search',
  iconButton('arrow-up', 'Previous match (Shift+Enter)', () => void find(true)),
  iconButton('arrow-down', 'Next match (Enter)', () => void find(false)),
);
const gotoBox = new FloatBox('goto', h('input', { type: 'text', class: 'goto-input', placeholder: 'Go to seq', inputmode: 'numeric', 'aria-label': 'Go to seq', 'data-testid': 'goto-input' }), 'list-ordered');

const timeMode = h('select', { class: 'time-mode', title: 'How the time column counts', 'aria-label': 'Time format', 'data-testid': 'time-mode' }, h('option', { value: 'sinceStart' }, 'Since start'), h('option', { value: 'absolute' }, 'Wall clock'), h('option', { value: 'delta' }, 'Since previous'));
timeMode.addEventListener('change', () => setLayout({ ...table.columns, timeMode: timeMode.value as TimeMode }));
const columnsMenu = h('div', { class: 'float-box columns-menu' });
columnsMenu.hidden = true;
const toolbar = h(
  'div',
  { class: 'toolbar' },
  filterBar.element,
  iconButton('search', 'Find (Ctrl+F)', () => findBox.show()),
  iconButton('list-ordered', 'Go to seq (Ctrl+G)', () => gotoBox.show()),
  timeMode,
  iconButton('list-selection', 'Columns', () => toggleColumnsMenu()),
  iconButton('graph-line', 'Show or hide the timeline', () => toggleTimeline()),
);
const sideTabs = h(
  'vscode-tabs',
  { class: 'side-tabs' },
  h('vscode-tab-header', { slot: 'header' }, 'Detail'),
  h('vscode-tab-panel', {}, detail.element),
  h('vscode-tab-header', { slot: 'header' }, 'Analyses'),
  h('vscode-tab-panel', {}, analyses.element),
);
sideTabs.addEventListener('vsc-tabs-select', (event) => {
  const index = (event as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
  updateState(vscode, { sideTab: index === 1 ? 'analyses' : 'detail' });
  if (index === 1) void loadAnalyses();
});
const tableArea = h('div', { class: 'table-area', slot: 'start' }, table.element, findBox.element, gotoBox.element, columnsMenu, message);
const split = h('vscode-split-layout', { class: 'main-split', split: 'vertical', 'initial-handle-position': '62%' }, tableArea, h('div', { class: 'side', slot: 'end' }, sideTabs));
const rowMenu = h('vscode-context-menu', { class: 'row-menu' });
pageRoot().replaceChildren(h('div', { class: 'viewer' }, toolbar, liveBar, banners, snapshotPanel, timeline.element, split, statusLine), rowMenu);
timeline.element.hidden = vscode.getState()?.timelineOpen === false;

function iconButton(icon: string, title: string, run: () => void): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'icon-button', title, 'aria-label': title }, codicon(icon));
  button.addEventListener('click', run);
  return button;
}

// ── Messages from the host ───────────────────────────────────────────────────────────

onPush((pushed) => {
  switch (pushed.type) {
    case 'init':
      showInfo(pushed.info);
      break;
    case 'status':
      showStatus(pushed.status);
      break;
    case 'select':
      void selectSeq(pushed.seq);
      break;
  }
});

function showInfo(next: TraceInfo): void {
  info = next;
  // A new description is a new decoding (the header changed): details held describe the old one.
  details.clear();
  if (next.live) updateState(vscode, { live: next.live });
  const groups = [...new Set(next.opcodes.map((o) => o.group))];
  table.setOptions({
    opcodeNames: new Map(next.opcodes.map((o) => [o.value, o.name])),
    opcodeColours: new Map(next.opcodes.map((o) => [o.value, GROUP_COLOURS[groups.indexOf(o.group) % GROUP_COLOURS.length]!])),
    baseTimeNs: next.baseTimeNs === undefined ? undefined : BigInt(next.baseTimeNs),
    resourceField: next.resourceField,
  });
  const saved = vscode.getState();
  setLayout({ ...next.layout, timeMode: saved?.timeMode ?? next.layout.timeMode }, false);
  filterBar.setVocabulary(next.vocabulary, next.history);
  if (!restored && saved?.filter && saved.filter !== filterBar.text) {
    filterBar.setText(saved.filter);
    send({ type: 'applyFilter', text: saved.filter });
  }
  drawSnapshot();
  if (next.kind !== 'live') follow = false;
  // The host starts each page unfollowed; a live page that follows says so.
  else if (follow) send({ type: 'live', action: 'follow' });
  document.title = next.name;
}

function showStatus(next: ViewStatus): void {
  const previous = status;
  status = next;
  const generationChanged = previous?.generation !== next.generation;
  // Positions mean other rows in a new view: the selected row is kept by its seq.
  const selectedSeq = generationChanged && table.selection !== undefined ? cache.row(table.selection)?.seq : undefined;
  cache.reset(next.generation, next.count);
  if (next.rows) cache.push(decodeRowPage(next.rows));
  if (generationChanged) {
    table.select(undefined, false);
    awaitedDetail = undefined;
  }
  if (generationChanged && toTopOnNextView) {
    toTopOnNextView = false;
    table.scrollTo(0);
  }
  table.setCount(next.count, follow && next.live?.state === 'following');
  // Drawn now, not at the next frame: a click in between would land on a row of the old view.
  if (generationChanged) table.redraw();
  if (!restored && next.count > 0) restore();
  else if (generationChanged && previous && !follow) keepSelection(selectedSeq ?? vscode.getState()?.selectedSeq);
  filterBar.showProgress(next.filter);
  drawBanners(next);
  drawLiveBar(next);
  drawStatusLine(next);
  if (!timeline.element.hidden && info?.baseTimeNs !== undefined) timeline.setExtent(next.lastTime, next.range);
}

/** After a reload: the row that was at the top, and the selection, come back. */
function restore(): void {
  restored = true;
  const saved = vscode.getState();
  if (saved?.sideTab === 'analyses') sideTabs.setAttribute('selected-index', '1');
  if (follow && info?.kind === 'live') return;
  if (saved?.topSeq !== undefined) void request({ type: 'gotoSeq', seq: saved.topSeq }).then((reply) => reply.position !== undefined && table.scrollTo(reply.position));
  keepSelection(saved?.selectedSeq);
}

/** A new filter or range: the selected row stays selected if the view still has it. */
function keepSelection(seq: number | undefined): void {
  if (seq !== undefined) void selectSeq(seq, 'quietly');
}

/**
 * Clicks and keys on the table, counted: a row looked up for the selection is not selected
 * when the user has picked another one while the host was answering.
 */
let userSelections = 0;
/** The position selected before its row had arrived: its detail shows when the row does. */
let awaitedDetail: number | undefined;

function showAwaitedDetail(): void {
  if (awaitedDetail === undefined || table.selection !== awaitedDetail) return;
  const row = cache.row(awaitedDetail);
  if (!row) return;
  awaitedDetail = undefined;
  showDetail(row.seq);
}

/**
 * Selects the row of `seq`; when the view does not have it, the next row that it has (and
 * says so), or, `quietly`, nothing.
 */
async function selectSeq(seq: number, how: 'say' | 'quietly' = 'say'): Promise<void> {
  const asked = userSelections;
  const reply = await request({ type: 'gotoSeq', seq });
  if (asked !== userSelections) return;
  const exact = reply.message === undefined;
  if (how === 'say') showMessage(reply.message);
  if (how === 'quietly' && !exact) return;
  showFound(reply);
}

/** A row the host found: selected, its neighbours and its detail drawn from what the reply brought. */
function showFound(reply: { readonly position: number | undefined; readonly seq?: number; readonly rows?: ArrayBuffer; readonly detail?: DetailView }): void {
  if (reply.position === undefined) return;
  if (reply.rows) cache.push(decodeRowPage(reply.rows));
  if (reply.detail) details.add(reply.detail);
  setFollow(false);
  table.select(reply.position, false);
  if (reply.seq !== undefined) showDetail(reply.seq);
}

let detailRequest = 0;
function showDetail(seq: number): void {
  updateState(vscode, { selectedSeq: seq });
  const mine = ++detailRequest;
  const held = details.get(seq);
  if (held) detail.show(held);
  else void details.fetch(seq).then((fetched) => mine === detailRequest && detail.show(fetched));
}

/** Once the table has stopped moving, the details of the rows on screen are fetched: a click on one then shows at once. */
let prefetchTimer: ReturnType<typeof setTimeout> | undefined;
function prefetchDetails(first: number, last: number): void {
  clearTimeout(prefetchTimer);
  // A followed live ring moves on before anyone could click.
  if (follow && status?.live?.state === 'following') return;
  prefetchTimer = setTimeout(() => {
    const seqs: number[] = [];
    for (let position = first; position <= last; position++) {
      const row = cache.row(position);
      if (row) seqs.push(row.seq);
    }
    details.prefetch(seqs);
  }, 150);
}

async function loadAnalyses(): Promise<void> {
  const reply = await request({ type: 'getAnalyses' });
  analyses.show(reply.analyses);
}

// ── Find, go to, columns, follow ─────────────────────────────────────────────────────

async function find(backwards: boolean): Promise<void> {
  const text = findBox.input.value.trim();
  if (!text) return;
  const from = table.selection ?? (backwards ? (status?.count ?? 0) : -1);
  const reply = await request({ type: 'find', text, from, backwards });
  showFound(reply);
  showMessage(reply.message);
}

findBox.input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter') void find(event.shiftKey);
  if (event.key === 'Escape') findBox.hide();
});

gotoBox.input.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') gotoBox.hide();
  if (event.key !== 'Enter') return;
  const seq = Number(gotoBox.input.value.replace(/[_,\s]/g, ''));
  if (!Number.isSafeInteger(seq) || seq < 0) { showMessage('A seq is a whole number: the row number the Seq column shows'); return; }
  gotoBox.hide();
  void selectSeq(seq);
});

function setLayout(layout: ColumnLayout, save = true): void {
  table.setLayout(layout);
  timeMode.value = layout.timeMode;
  updateState(vscode, { timeMode: layout.timeMode });
  if (save) send({ type: 'saveLayout', layout });
}

function toggleColumnsMenu(): void {
  columnsMenu.hidden = !columnsMenu.hidden;
  if (columnsMenu.hidden) return;
  const layout = table.columns;
  columnsMenu.replaceChildren(
    h('div', { class: 'menu-title' }, 'Columns'),
    ...layout.columns.map((column) => {
      const box = h('vscode-checkbox', { label: COLUMN_TITLES[column.id], ...(column.visible ? { checked: '' } : {}) });
      box.addEventListener('change', () => setLayout({ ...table.columns, columns: table.columns.columns.map((c) => (c.id === column.id ? { ...c, visible: !c.visible } : c)) }));
      return box;
    }),
  );
}

function toggleTimeline(): void {
  timeline.element.hidden = !timeline.element.hidden;
  updateState(vscode, { timelineOpen: !timeline.element.hidden });
  if (!timeline.element.hidden && status) timeline.setExtent(status.lastTime, status.range);
}

function setFollow(on: boolean): void {
  if (follow === on) return;
  follow = on;
  updateState(vscode, { follow: on });
  if (info?.kind === 'live') send({ type: 'live', action: on ? 'follow' : 'unfollow' });
  if (status) drawLiveBar(status);
  if (on && status) table.setCount(status.count, true);
}

let messageTimer: ReturnType<typeof setTimeout> | undefined;
function showMessage(text: string | undefined): void {
  message.textContent = text ?? '';
  message.hidden = !text;
  clearTimeout(messageTimer);
  if (text) messageTimer = setTimeout(() => (message.hidden = true), 6000);
}

function showRowMenu(position: number, event: MouseEvent): void {
  const row = cache.row(position);
  if (!row) return;
  const menu = rowMenu as HTMLElement & { data: { label: string; value: string; separator?: boolean }[]; show: boolean };
  menu.data = [
    { label: 'Copy as JSON', value: 'json' },
    { label: 'Copy as C Initializer', value: 'c' },
    { label: '', value: '', separator: true },
    { label: 'Go to Opcode Definition', value: 'opcode' },
    { label: 'Go to Struct Definition', value: 'struct' },
    { label: '', value: '', separator: true },
    { label: 'Filter on This Opcode', value: 'filter' },
  ];
  menu.style.left = `${event.clientX}px`;
  menu.style.top = `${event.clientY}px`;
  menu.show = true;
  rowMenuTarget = row;
}

let rowMenuTarget: PageRow | undefined;
rowMenu.addEventListener('vsc-context-menu-select', (event) => {
  const row = rowMenuTarget;
  if (!row) return;
  const value = (event as CustomEvent<{ value: string }>).detail.value;
  if (value === 'json' || value === 'c') send({ type: 'copy', seq: row.seq, format: value });
  else if (value === 'opcode' || value === 'struct') send({ type: 'reveal', target: { kind: value, seq: row.seq } });
  else if (value === 'filter') {
    const name = info?.opcodes.find((o) => o.value === row.opcode)?.name;
    if (!name) return;
    filterBar.setText(`opcode == ${name}`);
    updateState(vscode, { filter: `opcode == ${name}` });
    changeView({ type: 'applyFilter', text: `opcode == ${name}` });
  }
});

// ── Drawing the rest ─────────────────────────────────────────────────────────────────

function drawBanners(next: ViewStatus): void {
  banners.replaceChildren(
    ...next.banners.map((banner) =>
      h(
        'div',
        { class: `banner banner-${banner.level}`, role: banner.level === 'error' ? 'alert' : 'status' },
        codicon(banner.level === 'error' ? 'error' : banner.level === 'warning' ? 'warning' : 'info'),
        h('span', { class: 'banner-text' }, banner.message),
        ...(banner.actions ?? []).map((action) => {
          const button = h('button', { type: 'button', class: 'secondary' }, action.label);
          button.addEventListener('click', () => send({ type: 'runCommand', command: action.command }));
          return button;
        }),
      ),
    ),
  );
}

function drawSnapshot(): void {
  const snapshot = info?.snapshot;
  snapshotPanel.hidden = !snapshot;
  if (!snapshot) return;
  const pending = BigInt(snapshot.producer) - BigInt(snapshot.consumer);
  snapshotPanel.replaceChildren(
    h(
      'div',
      { class: 'snapshot-summary' },
      h('strong', {}, snapshot.controlName),
      ` producer ${snapshot.producer} \u00b7 consumer ${snapshot.consumer} \u00b7 ${pending} bytes pending of ${snapshot.ringSize} \u00b7 ${snapshot.pending} pending commands \u00b7 ${snapshot.recovered} recovered from before the consumer`,
      ...(snapshot.completedFence !== undefined ? [` \u00b7 host completed fence ${snapshot.completedFence}`] : []),
    ),
    h('div', { class: 'snapshot-fields' }, ...snapshot.fields.map((f) => h('span', { class: 'snapshot-field' }, h('span', { class: 'tree-name' }, f.path), ' ', h('span', { class: 'tree-value' }, f.value), ...(f.label ? [' ', h('span', { class: 'tree-label' }, f.label)] : [])))),
  );
}

// The live bar is built once and updated in place: it changes several times a second, and a
// button replaced between mouse-down and mouse-up would swallow the click.
const liveControls = (() => {
  const stateIcon = codicon('pulse');
  const stateText = h('span', {});
  const state = h('span', { class: 'live-state' }, stateIcon, stateText);
  const following = h('span', { class: 'following' }, codicon('arrow-down'), 'Following');
  const button = (label: string, icon: string, act: LiveAction | 'follow') => {
    const element = h('button', { type: 'button', class: 'secondary', 'data-action': act }, codicon(icon), label);
    element.addEventListener('click', () => {
      if (act === 'follow') setFollow(true);
      else send({ type: 'live', action: act });
    });
    return element;
  };
  const followButton = button('Follow', 'arrow-down', 'follow');
  const pause = button('Pause', 'debug-pause', 'pause');
  const resume = button('Resume', 'debug-continue', 'resume');
  const record = button('Record\u2026', 'record', 'record');
  const stopRecording = button('Stop Recording', 'debug-stop', 'stopRecording');
  const detach = button('Detach', 'debug-disconnect', 'stop');
  const figures = h('span', { class: 'live-figures' });
  const fill = h('span', { class: 'occupancy-fill' });
  liveBar.replaceChildren(state, following, followButton, pause, resume, record, stopRecording, detach, figures, h('span', { class: 'occupancy-meter', title: 'Ring occupancy' }, fill));
  return { state, stateIcon, stateText, following, followButton, pause, resume, record, stopRecording, detach, figures, fill };
})();

function drawLiveBar(next: ViewStatus): void {
  const live = next.live;
  liveBar.hidden = !live;
  if (!live) return;
  const c = liveControls;
  const running = live.state !== 'ended';
  c.state.className = `live-state live-${live.state}`;
  c.stateIcon.className = `codicon codicon-${live.state === 'following' ? 'pulse' : live.state === 'paused' ? 'debug-pause' : 'debug-disconnect'}`;
  c.stateText.textContent = live.state === 'following' ? 'Live' : live.state === 'paused' ? 'Paused' : 'Ended';
  c.following.hidden = !running || !follow;
  c.followButton.hidden = !running || follow;
  c.pause.hidden = !running || live.state !== 'following';
  c.resume.hidden = !running || live.state === 'following';
  c.record.hidden = !running || !!live.recording;
  c.stopRecording.hidden = !running || !live.recording;
  c.detach.hidden = !running;
  const percent = live.ringSize ? (100 * live.occupancy) / live.ringSize : 0;
  c.figures.textContent = `${rate(live.rate)} \u00b7 ring ${percent.toFixed(0)}% full (${bytes(live.occupancy)}) \u00b7 ${live.lostBytes} bytes lost${live.recording ? ` \u00b7 recording ${bytes(live.recording.bytes)} to ${live.recording.path}` : ''}`;
  c.fill.style.width = `${Math.min(100, percent)}%`;
}

function rate(perSecond: number): string {
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)} M commands/s` : `${count(Math.round(perSecond))} commands/s`;
}

function drawStatusLine(next: ViewStatus): void {
  const parts = [`${count(next.count)} ${next.filter ? `of ${count(next.total)} ` : ''}rows`];
  if (next.filter) parts.push(next.filter.done ? `filter: ${count(next.filter.matched)} matches` : `filtering\u2026 ${count(next.filter.matched)} matches so far, ${next.filter.total ? Math.floor((100 * next.filter.scanned) / next.filter.total) : 0}% looked at`);
  if (next.range) parts.push('time range restricted (double-click the timeline to see all)');
  if (next.indexing) parts.push(`reading the file\u2026 ${Math.floor((100 * next.indexing.read) / Math.max(1, next.indexing.total))}%`);
  statusLine.textContent = parts.join(' \u00b7 ');
}

// ── Keys ─────────────────────────────────────────────────────────────────────────────

document.addEventListener('keydown', (event) => {
  const mod = event.ctrlKey || event.metaKey;
  if (mod && event.key.toLowerCase() === 'f') {
    event.preventDefault();
    findBox.show();
  } else if (mod && event.key.toLowerCase() === 'g') {
    event.preventDefault();
    gotoBox.show();
  } else if (mod && event.key.toLowerCase() === 'l') {
    event.preventDefault();
    filterBar.input.focus();
  } else if (event.key === 'Escape' && !columnsMenu.hidden) columnsMenu.hidden = true;
});

send({ type: 'ready' });
