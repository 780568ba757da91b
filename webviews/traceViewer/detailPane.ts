import { codicon, h } from '../shared/dom';
import type { CopyFormat, DetailView, RevealTarget, TreeNodeView } from '../shared/traceViewerProtocol';

// The selected command: its field tree (nested structs, unions, arrays; enum and flag
// labels; decimal and hex) above the hex dump of its bytes. Pointing at a field lights up
// its bytes; pointing at a byte lights up the field it belongs to. Go to definition opens
// the header at the member's declaration; the command can be copied as JSON or as C.

const BYTES_PER_LINE = 16;

export interface DetailEvents {
  reveal(target: RevealTarget): void;
  copy(seq: number, format: CopyFormat): void;
}

interface NodeElement {
  readonly node: TreeNodeView;
  readonly element: HTMLElement;
}

export class DetailPane {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly tree: HTMLElement;
  private readonly hex: HTMLElement;
  private byteElements: HTMLElement[] = [];
  /** Leaves first: a byte belongs to the deepest node that covers it. */
  private nodes: NodeElement[] = [];
  private detail: DetailView | undefined;
  private pinned: NodeElement | undefined;

  constructor(private readonly events: DetailEvents) {
    this.title = h('div', { class: 'detail-title' });
    this.tree = h('div', { class: 'detail-tree', role: 'tree', 'data-testid': 'detail-tree' });
    this.hex = h('div', { class: 'detail-hex', 'data-testid': 'detail-hex' });
    this.element = h('div', { class: 'detail-pane' }, this.title, this.tree, this.hex);
    this.showEmpty('Select a row to see its fields and bytes.');
  }

  show(detail: DetailView | undefined): void {
    this.detail = detail;
    this.pinned = undefined;
    if (!detail) { this.showEmpty('That row is no longer held (a live window dropped it).'); return; }
    const actions: HTMLElement[] = [];
    if (detail.struct) actions.push(this.action('go-to-file', `Go to the definition of ${detail.struct}`, () => this.events.reveal({ kind: 'struct', seq: detail.seq })));
    if (detail.tree.length) {
      actions.push(this.action('json', 'Copy as JSON', () => this.events.copy(detail.seq, 'json')));
      actions.push(this.action('symbol-structure', 'Copy as a C designated initializer', () => this.events.copy(detail.seq, 'c')));
    }
    const opcode = h('span', { class: 'detail-opcode', title: 'Go to the opcode\u2019s definition' }, detail.title);
    if (detail.tree.length) opcode.addEventListener('click', () => this.events.reveal({ kind: 'opcode', seq: detail.seq }));
    this.title.replaceChildren(
      h('span', { class: 'detail-seq' }, `#${detail.seq}`),
      opcode,
      h('span', { class: 'detail-meta' }, `${detail.struct ?? ''} \u00b7 ${detail.size} bytes`),
      h('span', { class: 'detail-actions' }, ...actions),
    );
    this.nodes = [];
    const roots = detail.tree.map((node) => this.nodeElement(node, 0));
    this.tree.replaceChildren(...(detail.error ? [h('div', { class: 'detail-error' }, codicon('warning'), detail.error)] : []), ...roots);
    this.nodes.reverse();
    this.drawHex(new Uint8Array(detail.bytes));
  }

  private showEmpty(text: string): void {
    this.title.replaceChildren();
    this.tree.replaceChildren(h('p', { class: 'detail-empty' }, text));
    this.hex.replaceChildren();
    this.byteElements = [];
    this.nodes = [];
  }

  private action(icon: string, title: string, run: () => void): HTMLElement {
    const button = h('button', { type: 'button', class: 'icon-button', title, 'aria-label': title }, codicon(icon));
    button.addEventListener('click', run);
    return button;
  }

  private nodeElement(node: TreeNodeView, depth: number): HTMLElement {
    const hasChildren = (node.children?.length ?? 0) > 0;
    const toggle = h('span', { class: `tree-toggle codicon ${hasChildren ? 'codicon-chevron-down' : ''}` });
    const value = node.value !== undefined ? h('span', { class: 'tree-value' }, node.value) : h('span', {});
    const parts: HTMLElement[] = [toggle, h('span', { class: 'tree-name' }, node.name), value];
    if (node.label) parts.push(h('span', { class: 'tree-label' }, node.label));
    if (node.hex && node.hex !== node.value) parts.push(h('span', { class: 'tree-hex' }, node.hex));
    parts.push(h('span', { class: 'tree-type' }, node.type), h('span', { class: 'tree-offset' }, node.bitWidth !== undefined ? `bits ${node.bitOffset}+${node.bitWidth}` : `@${node.offset} +${node.size}`));
    if (node.declared && this.detail) {
      const seq = this.detail.seq;
      const path = node.path;
      if (path) parts.push(this.action('go-to-file', 'Go to definition', () => this.events.reveal({ kind: 'field', seq, path })));
    }
    const line = h('div', { class: 'tree-line', role: 'treeitem', 'data-path': node.path }, ...parts);
    line.style.paddingLeft = `${depth * 14 + 4}px`;
    const item: NodeElement = { node, element: line };
    this.nodes.push(item);
    line.addEventListener('mouseenter', () => this.highlight(item, false));
    line.addEventListener('mouseleave', () => this.highlight(this.pinned, false));
    line.addEventListener('click', () => this.highlight(item, true));
    if (!hasChildren) return line;
    const children = h('div', { class: 'tree-children', role: 'group' }, ...node.children!.map((child) => this.nodeElement(child, depth + 1)));
    if (node.omitted) children.append(h('div', { class: 'tree-more' }, `\u2026 ${node.omitted} more elements`));
    toggle.addEventListener('click', (event) => {
      event.stopPropagation();
      const collapsed = children.hidden;
      children.hidden = !collapsed;
      toggle.classList.toggle('codicon-chevron-down', collapsed);
      toggle.classList.toggle('codicon-chevron-right', !collapsed);
    });
    return h('div', { class: 'tree-branch' }, line, children);
  }

  private drawHex(bytes: Uint8Array): void {
    this.byteElements = [];
    const lines: HTMLElement[] = [];
    for (let line = 0; line < bytes.length; line += BYTES_PER_LINE) {
      const cells: HTMLElement[] = [];
      let ascii = '';
      for (let i = line; i < Math.min(bytes.length, line + BYTES_PER_LINE); i++) {
        const byte = bytes[i]!;
        const cell = h('span', { class: 'hex-byte', 'data-offset': String(i) }, byte.toString(16).padStart(2, '0'));
        cell.addEventListener('mouseenter', () => this.highlight(this.nodeAt(i), false));
        cell.addEventListener('mouseleave', () => this.highlight(this.pinned, false));
        cell.addEventListener('click', () => this.highlight(this.nodeAt(i), true));
        this.byteElements.push(cell);
        cells.push(cell);
        ascii += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.';
      }
      lines.push(h('div', { class: 'hex-line' }, h('span', { class: 'hex-offset' }, line.toString(16).padStart(4, '0')), h('span', { class: 'hex-bytes' }, ...cells), h('span', { class: 'hex-ascii' }, ascii)));
    }
    this.hex.replaceChildren(...lines);
  }

  /** The deepest field that holds byte `offset`. */
  private nodeAt(offset: number): NodeElement | undefined {
    return this.nodes.find(({ node }) => {
      const [start, end] = byteRange(node);
      return offset >= start && offset < end && (node.children?.length ?? 0) === 0;
    });
  }

  /** Lights `item` and its bytes; a click pins it until another is pointed at. */
  private highlight(item: NodeElement | undefined, pin: boolean): void {
    if (pin) this.pinned = item;
    for (const { element } of this.nodes) element.classList.remove('highlighted');
    for (const byte of this.byteElements) byte.classList.remove('highlighted');
    if (!item) return;
    item.element.classList.add('highlighted');
    const [start, end] = byteRange(item.node);
    for (let i = start; i < Math.min(end, this.byteElements.length); i++) this.byteElements[i]!.classList.add('highlighted');
    if (pin) {
      item.element.scrollIntoView({ block: 'nearest' });
      this.byteElements[start]?.scrollIntoView({ block: 'nearest' });
    }
  }
}

/** The bytes a field occupies: a bit-field the bytes its bits fall in. */
function byteRange(node: TreeNodeView): [number, number] {
  if (node.bitWidth !== undefined && node.bitOffset !== undefined) return [Math.floor(node.bitOffset / 8), Math.ceil((node.bitOffset + node.bitWidth) / 8)];
  return [node.offset, node.offset + node.size];
}
