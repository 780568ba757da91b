import {
  isHostToStructLayoutMessage,
  type StructLayoutPlacement,
  type StructLayoutRow,
  type StructLayoutState,
  type StructLayoutToHostMessage,
  type StructLayoutView,
} from '../shared/protocol';
import { codicon, h } from '../shared/dom';
import { pageRoot, stateRenderer } from '../shared/page';
import { vscodeApi } from '../shared/vscodeApi';

const vscode = vscodeApi<StructLayoutState, StructLayoutToHostMessage>();
const render = stateRenderer<StructLayoutState>(pageRoot(), (state) => (state.view ? layout(state.view) : emptyState(state.notice)));

function emptyState(notice: string | undefined): HTMLElement {
  return h(
    'section',
    { class: 'empty-state' },
    h('div', { class: 'empty-icon' }, codicon('symbol-structure')),
    h('h1', {}, 'No struct selected'),
    h('p', {}, notice ?? 'Choose a struct or union of your protocol header to see each field\u2019s offset and size, the holes between them and the padding at the end.'),
    h('div', { class: 'actions' }, pickButton('Choose a Struct\u2026')),
  );
}

function pickButton(label: string): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'secondary' }, codicon('list-selection'), label);
  button.addEventListener('click', () => vscode.postMessage({ type: 'pickRecord' }));
  return button;
}

function layout(view: StructLayoutView): HTMLElement {
  const showBits = view.rows.some((r) => r.primary?.bitWidth !== undefined || r.compare?.bitWidth !== undefined);
  return h(
    'section',
    { class: 'layout' },
    h(
      'header',
      { class: 'layout-header' },
      h(
        'div',
        {},
        h('h1', {}, h('span', { class: 'kind' }, view.kind), ' ', view.name),
        h('p', { class: 'meta' }, `${view.source} \u00b7 ${sizeText(view.size, view.align)} on ${view.abi}`),
      ),
      h('div', { class: 'actions' }, pickButton('Other Struct\u2026')),
    ),
    ...(view.compare ? [comparisonBanner(view)] : []),
    h('table', { class: 'fields' }, tableHead(view, showBits), tableBody(view, showBits)),
    h(
      'p',
      { class: 'legend' },
      'Offsets and sizes in bytes (hex beside). ',
      ...(showBits ? ['Bits: first bit within the storage unit at the offset, and the width. '] : []),
      'Holes and padding are bytes no field uses. Click a field to go to its declaration.',
    ),
  );
}

function comparisonBanner(view: StructLayoutView): HTMLElement {
  const compare = view.compare!;
  const differs = compare.difference !== undefined;
  return h(
    'div',
    { class: `banner ${differs ? 'differs' : 'same'}`, role: 'status' },
    codicon(differs ? 'warning' : 'pass'),
    h(
      'span',
      {},
      differs
        ? `Laid out differently on ${compare.abi} (${sizeText(compare.size, compare.align)}): ${compare.difference ?? ''}`
        : `Same layout on ${compare.abi}: ${sizeText(compare.size, compare.align)}, every field at the same offset.`,
    ),
  );
}

function tableHead(view: StructLayoutView, showBits: boolean): HTMLElement {
  const perAbi = showBits ? ['Offset', 'Size', 'Bits'] : ['Offset', 'Size'];
  const abiGroup = (abi: string, extra: string): HTMLElement => h('th', { colspan: String(perAbi.length), class: `abi ${extra}`, scope: 'colgroup' }, abi);
  const columns = (extra: string): HTMLElement[] => perAbi.map((c) => h('th', { class: `num ${extra}`, scope: 'col' }, c));
  return h(
    'thead',
    {},
    h(
      'tr',
      {},
      h('th', { rowspan: '2', scope: 'col' }, 'Field'),
      h('th', { rowspan: '2', scope: 'col' }, 'Type'),
      abiGroup(view.abi, 'first'),
      ...(view.compare ? [abiGroup(view.compare.abi, 'compare first')] : []),
      h('th', { rowspan: '2', scope: 'col' }, 'Comment'),
    ),
    h('tr', {}, ...columns('').map(markFirst), ...(view.compare ? columns('compare').map(markFirst) : [])),
  );
}

/** The first column of each ABI group gets a divider on its left. */
function markFirst(cell: HTMLElement, index: number): HTMLElement {
  if (index === 0) cell.classList.add('first');
  return cell;
}

function tableBody(view: StructLayoutView, showBits: boolean): HTMLElement {
  const body = h('tbody', {});
  view.rows.forEach((row, index) => body.append(rowElement(row, index, view, showBits)));
  if (view.omittedRows > 0) {
    const span = 3 + (showBits ? 3 : 2) * (view.compare ? 2 : 1);
    body.append(h('tr', { class: 'omitted' }, h('td', { colspan: String(span) }, `\u2026 ${view.omittedRows.toLocaleString()} more rows not shown`)));
  }
  return body;
}

function rowElement(row: StructLayoutRow, index: number, view: StructLayoutView, showBits: boolean): HTMLElement {
  const classes = [row.kind, ...(row.differs ? ['differs'] : [])].join(' ');
  const tr = h('tr', { class: classes });
  tr.append(h('td', { class: 'name' }, ...nameCell(row, index)), h('td', { class: 'type' }, typeText(row)));
  tr.append(...placementCells(row.primary, showBits, '', row.kind === 'field' && view.compare ? `not declared on ${view.abi}` : ''));
  if (view.compare) tr.append(...placementCells(row.kind === 'field' ? row.compare : undefined, showBits, 'compare', row.kind === 'field' ? `not declared on ${view.compare.abi}` : ''));
  tr.append(h('td', { class: 'comment', title: row.comment ?? '' }, row.comment ?? ''));
  return tr;
}

function nameCell(row: StructLayoutRow, index: number): Node[] {
  if (row.kind !== 'field') {
    return [codicon(row.kind === 'hole' ? 'circle-slash' : 'arrow-down'), h('span', {}, row.kind === 'hole' ? 'hole' : 'tail padding')];
  }
  const link = h('button', { type: 'button', class: 'link', title: 'Go to the declaration' }, row.name);
  link.addEventListener('click', () => vscode.postMessage({ type: 'revealRow', row: index }));
  return row.differs ? [codicon('warning'), link] : [link];
}

function typeText(row: StructLayoutRow): string {
  if (row.kind === 'field') return row.type;
  const p = row.primary;
  if (!p) return '';
  if (p.bitWidth !== undefined) return `${p.bitWidth} bit${p.bitWidth === 1 ? '' : 's'}`;
  return `${p.size} byte${p.size === 1 ? '' : 's'}`;
}

function placementCells(p: StructLayoutPlacement | undefined, showBits: boolean, extra: string, absentTitle: string): HTMLElement[] {
  const cell = (content: Node | string, first = false): HTMLElement => h('td', { class: `num ${extra}${first ? ' first' : ''}` }, content);
  if (!p) {
    const dash = h('td', { class: `num absent ${extra} first`, title: absentTitle }, absentTitle ? '\u2014' : '');
    return [dash, cell(''), ...(showBits ? [cell('')] : [])];
  }
  const bits = p.bitWidth !== undefined ? `${p.bitOffset ?? 0}:${p.bitWidth}` : '';
  return [cell(offsetContent(p.offset), true), cell(p.size === 0 && p.bitWidth !== undefined ? '' : String(p.size)), ...(showBits ? [cell(bits)] : [])];
}

function offsetContent(offset: number): Node {
  return h('span', {}, String(offset), h('span', { class: 'hex' }, `0x${offset.toString(16).toUpperCase()}`));
}

function sizeText(size: number, align: number): string {
  return `${size} byte${size === 1 ? '' : 's'}, align ${align}`;
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (isHostToStructLayoutMessage(event.data)) {
    vscode.setState(event.data.state);
    render(event.data.state);
  }
});

// Draw what we had before the page was reloaded at once, then ask the host for the truth.
render(vscode.getState() ?? {});
vscode.postMessage({ type: 'ready' });
