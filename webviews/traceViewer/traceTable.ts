import { h } from '../shared/dom';
import { RowKindCode, type PageRow } from '../shared/rowPage';
import type { ColumnId, ColumnLayout, TimeMode } from '../shared/traceViewerProtocol';
import { formatFence, formatOpcode, formatTime } from './format';
import { PAGE_ROWS, type RowCache } from './rowCache';
import { Scrollbar } from './scrollbar';

// The packet list: a table of millions of rows that only ever holds the rows on screen.
// Its position is a fractional row index; the rows layer is moved by a transform, the rows
// in it are a small pool whose cells are rewritten only when the row they show changes.
// Rows come from the RowCache, fetched ahead of the direction the user scrolls in.

const ROW_HEIGHT = 22;
const HEADER_HEIGHT = 24;
/** Rows drawn beyond the viewport, so a fast wheel never shows an empty strip. */
const OVERDRAW = 4;

export const COLUMN_TITLES: Record<ColumnId, string> = {
  seq: 'Seq',
  time: 'Time',
  opcode: 'Opcode',
  size: 'Size',
  resource: 'Resource',
  summary: 'Fields',
  fence: 'Fence',
};

export interface TableOptions {
  readonly opcodeNames: ReadonlyMap<number, string>;
  /** Colour class per opcode (its family). */
  readonly opcodeColours: ReadonlyMap<number, string>;
  readonly baseTimeNs: bigint | undefined;
  readonly resourceField: string | undefined;
}

export interface TableEvents {
  /** The selection moved (a click, a key). */
  selected(position: number): void;
  /** The rows on screen changed: [first, last]. */
  scrolled(first: number, last: number): void;
  /** The user moved the table away from the end (a live trace stops following). */
  leftTheEnd(): void;
  /** The user changed the columns (width, order, visibility). */
  layoutChanged(layout: ColumnLayout): void;
  /** A right-click on a row. */
  menu(position: number, event: MouseEvent): void;
}

interface PooledRow {
  readonly element: HTMLElement;
  readonly cells: Map<ColumnId, HTMLElement>;
  /** What it shows: the row (identity), the time mode. */
  shown: PageRow | undefined;
  shownPosition: number;
  shownMode: TimeMode | undefined;
}

export class TraceTable {
  readonly element: HTMLElement;
  private readonly header: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly layer: HTMLElement;
  private readonly inner: HTMLElement;
  private readonly scrollbar: Scrollbar;
  private pool: PooledRow[] = [];
  private count = 0;
  private top = 0;
  private selectedPosition: number | undefined;
  private layout: ColumnLayout;
  private frame = 0;
  private lastDirection = 1;

  constructor(
    private readonly cache: RowCache,
    private options: TableOptions,
    layout: ColumnLayout,
    private readonly events: TableEvents,
  ) {
    this.layout = layout;
    this.header = h('div', { class: 'table-header', role: 'row' });
    this.layer = h('div', { class: 'rows-layer', role: 'rowgroup' });
    this.viewport = h('div', { class: 'table-rows' }, this.layer);
    this.inner = h('div', { class: 'table-inner' }, this.header, this.viewport);
    const scroller = h('div', { class: 'table-scroller' }, this.inner);
    this.scrollbar = new Scrollbar((top) => this.scrollTo(top, true));
    this.element = h('div', { class: 'trace-table', tabindex: '0', role: 'grid', 'aria-label': 'Commands', 'data-testid': 'trace-table' }, scroller, this.scrollbar.element);
    this.viewport.addEventListener('wheel', (event) => this.onWheel(event), { passive: false });
    this.viewport.addEventListener('mousedown', (event) => this.onRowClick(event));
    this.viewport.addEventListener('contextmenu', (event) => {
      const position = this.positionAt(event);
      if (position === undefined) return;
      event.preventDefault();
      this.select(position);
      this.events.menu(position, event);
    });
    this.element.addEventListener('keydown', (event) => this.onKey(event));
    new ResizeObserver(() => this.relayout()).observe(this.viewport);
    this.drawHeader();
  }

  get visibleRows(): number {
    return Math.max(1, Math.floor(this.viewport.clientHeight / ROW_HEIGHT));
  }

  get selection(): number | undefined {
    return this.selectedPosition;
  }

  get firstVisible(): number {
    return Math.floor(this.top);
  }

  /** The last row is on screen: a live trace keeps it there. A method, so a check before and after a move reads it twice. */
  isAtEnd(): boolean {
    return this.top >= this.maxTop() - 0.5;
  }

  setOptions(options: TableOptions): void {
    this.options = options;
    this.invalidate();
  }

  setLayout(layout: ColumnLayout): void {
    this.layout = layout;
    this.drawHeader();
    this.buildPool();
    this.invalidate();
  }

  get columns(): ColumnLayout {
    return this.layout;
  }

  /** The view has `count` rows now; a table that showed the end keeps showing it when `follow`. */
  setCount(count: number, follow: boolean): void {
    this.count = count;
    if (this.selectedPosition !== undefined && this.selectedPosition >= count) this.selectedPosition = undefined;
    if (follow) this.top = this.maxTop();
    else this.top = Math.min(this.top, this.maxTop());
    this.schedule();
  }

  /** Forget what the rows show (new pages arrived, or they mean other rows now). */
  invalidate(): void {
    for (const row of this.pool) row.shown = undefined;
    this.schedule();
  }

  scrollTo(top: number, byUser = false): void {
    const clamped = Math.max(0, Math.min(this.maxTop(), top));
    if (clamped !== this.top) this.lastDirection = clamped > this.top ? 1 : -1;
    const wasAtEnd = this.isAtEnd();
    this.top = clamped;
    if (byUser && wasAtEnd && !this.isAtEnd()) this.events.leftTheEnd();
    this.schedule();
  }

  /** Brings `position` into view: centred when it is far away, else just inside. */
  reveal(position: number): void {
    const visible = this.visibleRows;
    if (position < this.top) this.scrollTo(position - (this.top - position > visible ? Math.floor(visible / 2) : 0));
    else if (position >= this.top + visible) this.scrollTo(position - visible + 1 + (position - this.top > 2 * visible ? Math.floor(visible / 2) : 0));
  }

  select(position: number | undefined, announce = true): void {
    if (position === undefined || this.count === 0) {
      this.selectedPosition = undefined;
      this.invalidate();
      return;
    }
    const clamped = Math.max(0, Math.min(this.count - 1, position));
    this.selectedPosition = clamped;
    this.reveal(clamped);
    this.invalidate();
    if (announce) this.events.selected(clamped);
  }

  /** Draws now rather than at the next frame. */
  redraw(): void {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.render();
  }

  private maxTop(): number {
    return Math.max(0, this.count - this.visibleRows);
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private relayout(): void {
    this.buildPool();
    this.setCount(this.count, false);
  }

  private buildPool(): void {
    const wanted = Math.ceil(this.viewport.clientHeight / ROW_HEIGHT) + OVERDRAW;
    if (wanted === this.pool.length && this.pool[0]?.cells.size === this.visibleColumns().length) return;
    this.layer.replaceChildren();
    this.pool = Array.from({ length: wanted }, () => this.newRow());
    for (const row of this.pool) this.layer.append(row.element);
  }

  private visibleColumns(): ColumnLayout['columns'] {
    return this.layout.columns.filter((c) => c.visible && (c.id !== 'resource' || this.options.resourceField !== undefined));
  }

  private newRow(): PooledRow {
    const cells = new Map<ColumnId, HTMLElement>();
    const element = h('div', { class: 'row', role: 'row' });
    for (const column of this.visibleColumns()) {
      const cell = h('span', { class: `cell cell-${column.id}`, role: 'gridcell' });
      cell.style.width = `${column.width}px`;
      cells.set(column.id, cell);
      element.append(cell);
    }
    return { element, cells, shown: undefined, shownPosition: -1, shownMode: undefined };
  }

  private render(): void {
    const first = Math.floor(this.top);
    const fraction = this.top - first;
    this.layer.style.transform = `translateY(${-fraction * ROW_HEIGHT}px)`;
    const mode = this.layout.timeMode;
    for (let i = 0; i < this.pool.length; i++) {
      const pooled = this.pool[i]!;
      const position = first + i;
      if (position >= this.count) {
        pooled.element.classList.add('empty');
        pooled.shown = undefined;
        continue;
      }
      pooled.element.classList.remove('empty');
      const row = this.cache.row(position);
      pooled.element.classList.toggle('selected', position === this.selectedPosition);
      if (row && row === pooled.shown && position === pooled.shownPosition && mode === pooled.shownMode) continue;
      this.fill(pooled, position, row, mode);
    }
    const last = Math.min(this.count, first + this.visibleRows) - 1;
    // Fetch what is on screen, then a screen ahead in the direction of travel.
    this.cache.want(first, last + 1, this.lastDirection * Math.max(PAGE_ROWS, this.visibleRows * 2));
    this.scrollbar.update(this.top, this.visibleRows, this.count);
    this.inner.style.width = `${this.visibleColumns().reduce((w, c) => w + c.width, 0)}px`;
    this.events.scrolled(first, last);
  }

  private fill(pooled: PooledRow, position: number, row: PageRow | undefined, mode: TimeMode): void {
    pooled.shown = row;
    pooled.shownPosition = position;
    pooled.shownMode = mode;
    const element = pooled.element;
    element.dataset.position = String(position);
    element.classList.toggle('loading', !row);
    element.classList.toggle('error-row', row?.kind === RowKindCode.error || (row?.decodeError ?? false));
    element.classList.toggle('overrun-row', row?.kind === RowKindCode.overrun);
    element.classList.toggle('recovered-row', row?.recovered ?? false);
    for (const [id, cell] of pooled.cells) cell.textContent = row ? this.cellText(id, row, mode) : id === 'seq' ? '' : '\u2026';
    const opcode = pooled.cells.get('opcode');
    if (opcode) opcode.className = `cell cell-opcode ${row?.kind === RowKindCode.command ? (this.options.opcodeColours.get(row.opcode) ?? '') : ''}`;
    element.title = row?.recovered ? 'Recovered from before the consumer pointer: the host had already consumed it' : '';
  }

  private cellText(id: ColumnId, row: PageRow, mode: TimeMode): string {
    switch (id) {
      case 'seq':
        return String(row.seq);
      case 'time':
        return formatTime(row, mode, this.options.baseTimeNs);
      case 'opcode':
        return `${formatOpcode(row, this.options.opcodeNames)}${row.recovered ? ' \u21ba' : ''}`;
      case 'size':
        return String(row.size);
      case 'resource':
        return row.resource === undefined ? '' : String(row.resource);
      case 'summary':
        return row.summary;
      case 'fence':
        return row.kind === RowKindCode.command ? formatFence(row) : '';
    }
  }

  private drawHeader(): void {
    this.header.replaceChildren(
      ...this.visibleColumns().map((column) => {
        const title = column.id === 'resource' && this.options.resourceField ? this.options.resourceField : COLUMN_TITLES[column.id];
        const grip = h('span', { class: 'column-grip', title: 'Drag to resize' });
        const cell = h('span', { class: `header-cell cell-${column.id}`, role: 'columnheader' }, title, grip);
        cell.style.width = `${column.width}px`;
        grip.addEventListener('mousedown', (event) => this.resizeColumn(event, column.id));
        return cell;
      }),
    );
    this.header.style.height = `${HEADER_HEIGHT}px`;
  }

  private resizeColumn(event: MouseEvent, id: ColumnId): void {
    event.preventDefault();
    event.stopPropagation();
    const startX = event.clientX;
    const start = this.layout.columns.find((c) => c.id === id)!.width;
    const move = (e: MouseEvent) => {
      const width = Math.max(32, Math.min(2000, start + e.clientX - startX));
      this.layout = { ...this.layout, columns: this.layout.columns.map((c) => (c.id === id ? { ...c, width } : c)) };
      this.drawHeader();
      for (const row of this.pool) {
        const cell = row.cells.get(id);
        if (cell) cell.style.width = `${width}px`;
      }
      this.schedule();
    };
    const up = () => {
      document.removeEventListener('mousemove', move);
      document.removeEventListener('mouseup', up);
      this.events.layoutChanged(this.layout);
    };
    document.addEventListener('mousemove', move);
    document.addEventListener('mouseup', up);
  }

  private onWheel(event: WheelEvent): void {
    event.preventDefault();
    const rows = event.deltaMode === WheelEvent.DOM_DELTA_LINE ? event.deltaY : event.deltaMode === WheelEvent.DOM_DELTA_PAGE ? event.deltaY * this.visibleRows : event.deltaY / ROW_HEIGHT;
    this.scrollTo(this.top + rows, true);
  }

  private positionAt(event: MouseEvent): number | undefined {
    const target = (event.target as HTMLElement).closest<HTMLElement>('.row');
    const position = target?.dataset.position;
    return position === undefined || target!.classList.contains('empty') ? undefined : Number(position);
  }

  private onRowClick(event: MouseEvent): void {
    if (event.button !== 0) return;
    const position = this.positionAt(event);
    if (position !== undefined) this.select(position);
    this.element.focus();
  }

  private onKey(event: KeyboardEvent): void {
    const current = this.selectedPosition ?? Math.floor(this.top);
    const page = Math.max(1, this.visibleRows - 1);
    const moves: Record<string, number | undefined> = {
      ArrowDown: current + 1,
      ArrowUp: current - 1,
      PageDown: current + page,
      PageUp: current - page,
      Home: 0,
      End: this.count - 1,
    };
    const target = moves[event.key];
    if (target === undefined || event.altKey || event.metaKey || event.ctrlKey) return;
    event.preventDefault();
    const wasAtEnd = this.isAtEnd();
    this.select(target);
    if (wasAtEnd && !this.isAtEnd()) this.events.leftTheEnd();
  }
}
