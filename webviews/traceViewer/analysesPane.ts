import { codicon, h } from '../shared/dom';
import type { AnalysesView, Percentiles } from '../shared/traceViewerProtocol';
import { bytes, count, milliseconds } from './format';

// What no packet viewer shows: per-opcode counts and bytes (sortable), fence latency overall
// and per opcode family with the slowest fences, and resource-lifetime problems (use after
// destroy, double destroy, never destroyed). Every seq is a link to its row.

type OpcodeRow = AnalysesView['opcodes'][number];
type SortKey = 'name' | 'group' | 'count' | 'bytes';

export class AnalysesPane {
  readonly element: HTMLElement;
  private analyses: AnalysesView | undefined;
  private sort: { key: SortKey; descending: boolean } = { key: 'count', descending: true };

  constructor(
    private readonly jump: (seq: number) => void,
    private readonly refresh: () => void,
  ) {
    this.element = h('div', { class: 'analyses-pane', 'data-testid': 'analyses' });
    this.element.append(h('p', { class: 'detail-empty' }, 'Analyses of the whole trace appear here.'));
  }

  show(analyses: AnalysesView): void {
    this.analyses = analyses;
    this.draw();
  }

  private draw(): void {
    const analyses = this.analyses;
    if (!analyses) return;
    const refresh = h('button', { type: 'button', class: 'secondary' }, codicon('refresh'), 'Refresh');
    refresh.addEventListener('click', () => this.refresh());
    this.element.replaceChildren(h('div', { class: 'analyses-actions' }, refresh), ...this.fences(analyses), ...this.resources(analyses), this.opcodes(analyses.opcodes));
  }

  private fences(analyses: AnalysesView): HTMLElement[] {
    const fences = analyses.fences;
    if (!fences) return [h('section', {}, h('h2', {}, 'Fences'), h('p', { class: 'detail-empty' }, 'The profile names no fence command (protocol.fence), so completions cannot be timed.'))];
    const slowest = fences.slowest.map((f) => h('li', {}, this.link(f.seq), ` fence ${f.value}: ${milliseconds(f.latencyMs)}`));
    return [
      h(
        'section',
        { 'data-testid': 'fence-analysis' },
        h('h2', {}, 'Fence latency'),
        h('p', {}, `${count(fences.completed)} completed, ${count(fences.pending)} not (yet). ${fences.overall ? percentiles(fences.overall) : ''}`),
        ...(fences.groups.length
          ? [h('table', { class: 'analyses-table' }, h('tr', {}, h('th', {}, 'Family'), h('th', {}, 'Commands'), h('th', {}, 'p50'), h('th', {}, 'p99'), h('th', {}, 'max')), ...fences.groups.map((g) => h('tr', {}, h('td', {}, g.group), h('td', {}, count(g.commands)), ...(g.latency ? [g.latency.p50, g.latency.p99, g.latency.max].map((v) => h('td', {}, milliseconds(v))) : [h('td', {}, '\u2014')]))))]
          : []),
        ...(slowest.length ? [h('h3', {}, 'Slowest fences'), h('ol', { class: 'analyses-list' }, ...slowest)] : []),
      ),
    ];
  }

  private resources(analyses: AnalysesView): HTMLElement[] {
    if (!analyses.resources) return analyses.resourcesNote ? [h('section', {}, h('h2', {}, 'Resource lifetimes'), h('p', { class: 'detail-empty' }, analyses.resourcesNote))] : [];
    const items = analyses.resources.map((p) => h('li', { class: `problem problem-${p.problem}` }, h('strong', {}, `${p.kind} ${p.id}`), ` ${p.message} `, ...p.seqs.flatMap((seq, i) => [...(i ? [', '] : []), this.link(seq)])));
    return [
      h(
        'section',
        { 'data-testid': 'resource-analysis' },
        h('h2', {}, `Resource lifetimes: ${analyses.resources.length === 0 ? 'no problems' : `${analyses.resources.length} problems`}`),
        ...(analyses.resourcesNote ? [h('p', { class: 'detail-empty' }, analyses.resourcesNote)] : []),
        h('ul', { class: 'analyses-list' }, ...items),
      ),
    ];
  }

  private opcodes(rows: readonly OpcodeRow[]): HTMLElement {
    const total = rows.reduce((n, r) => n + r.count, 0);
    const { key, descending } = this.sort;
    const sorted = [...rows].sort((a, b) => {
      const [x, y] = [a[key], b[key]];
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return descending ? -order : order;
    });
    const header = (label: string, sortKey: SortKey) => {
      const cell = h('th', { class: 'sortable', title: 'Sort' }, label, key === sortKey ? codicon(descending ? 'arrow-down' : 'arrow-up') : '');
      cell.addEventListener('click', () => {
        this.sort = { key: sortKey, descending: key === sortKey ? !descending : sortKey !== 'name' && sortKey !== 'group' };
        this.draw();
      });
      return cell;
    };
    return h(
      'section',
      { 'data-testid': 'opcode-table' },
      h('h2', {}, 'Commands by opcode'),
      h(
        'table',
        { class: 'analyses-table' },
        h('tr', {}, header('Opcode', 'name'), header('Family', 'group'), header('Count', 'count'), h('th', {}, 'Share'), header('Bytes', 'bytes')),
        ...sorted.map((r) => h('tr', {}, h('td', {}, r.name), h('td', {}, r.group), h('td', { class: 'number' }, count(r.count)), h('td', { class: 'number' }, `${total ? ((100 * r.count) / total).toFixed(1) : '0'}%`), h('td', { class: 'number' }, bytes(r.bytes)))),
      ),
    );
  }

  private link(seq: number): HTMLElement {
    const link = h('a', { href: '#', class: 'seq-link', title: 'Show this row' }, `#${seq}`);
    link.addEventListener('click', (event) => {
      event.preventDefault();
      this.jump(seq);
    });
    return link;
  }
}

function percentiles(p: Percentiles): string {
  return `p50 ${milliseconds(p.p50)}, p90 ${milliseconds(p.p90)}, p99 ${milliseconds(p.p99)}, max ${milliseconds(p.max)}.`;
}
