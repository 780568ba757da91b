import { codicon, h } from '../shared/dom';
import type { FilterProblem } from '../shared/traceViewerProtocol';
import { request } from './hostConnection';

// The display filter: the engine's filter language, checked by the extension host as you
// type (the bad token is underlined with wavy red and its message shown), completed from the
// header (field paths, opcode names, enum and flag constants), with the workspace's history
// under the arrow keys. Enter applies it; the view then fills as the host finds matches.

/** Names the language itself knows, whatever the header. */
const PSEUDO_FIELDS = ['opcode', 'name', 'size', 'offset', 'seq', 'time', 'error', 'recovered', 'in', 'not', 'true', 'false'];
const MAX_SUGGESTIONS = 40;

export interface Vocabulary {
  readonly fields: readonly string[];
  readonly opcodes: readonly string[];
  readonly symbols: readonly string[];
}

export class FilterBar {
  readonly element: HTMLElement;
  readonly input: HTMLInputElement;
  private readonly overlay: HTMLElement;
  private readonly message: HTMLElement;
  private readonly suggestions: HTMLElement;
  private readonly progress: HTMLElement;
  private readonly progressFill: HTMLElement;
  private readonly cancel: HTMLButtonElement;
  private vocabulary: Vocabulary = { fields: [], opcodes: [], symbols: [] };
  private history: string[] = [];
  private historyIndex = -1;
  private checkTimer: ReturnType<typeof setTimeout> | undefined;
  private problems: readonly FilterProblem[] = [];
  private shown: { items: string[]; active: number; from: number; to: number } | undefined;

  constructor(
    private readonly apply: (text: string) => void,
    private readonly cancelFilter: () => void,
  ) {
    this.input = h('input', { class: 'filter-input', type: 'text', spellcheck: 'false', placeholder: 'Filter, e.g. opcode == DRAW_INDEXED && index_count > 1000', 'aria-label': 'Display filter', 'data-testid': 'filter-input' });
    this.overlay = h('div', { class: 'filter-overlay', 'aria-hidden': 'true' });
    this.message = h('div', { class: 'filter-message', role: 'alert', 'data-testid': 'filter-message' });
    this.suggestions = h('div', { class: 'filter-suggestions', role: 'listbox' });
    this.progressFill = h('div', { class: 'filter-progress-fill' });
    this.progress = h('div', { class: 'filter-progress', 'data-testid': 'filter-progress' }, this.progressFill);
    this.cancel = h('button', { type: 'button', class: 'icon-button', title: 'Stop filtering', 'aria-label': 'Stop filtering' }, codicon('close'));
    this.cancel.hidden = true;
    // Empty, their borders would still draw under the box.
    this.message.hidden = true;
    this.suggestions.hidden = true;
    this.cancel.addEventListener('click', () => this.cancelFilter());
    const field = h('div', { class: 'filter-field' }, this.overlay, this.input, this.suggestions);
    this.element = h('div', { class: 'filter-bar' }, codicon('filter'), field, this.cancel, this.message, this.progress);
    this.input.addEventListener('input', () => this.onInput());
    this.input.addEventListener('keydown', (event) => this.onKey(event));
    this.input.addEventListener('blur', () => setTimeout(() => this.hideSuggestions(), 150));
    this.input.addEventListener('scroll', () => this.syncOverlay());
  }

  setVocabulary(vocabulary: Vocabulary, history: readonly string[]): void {
    this.vocabulary = vocabulary;
    this.history = [...history];
  }

  get text(): string {
    return this.input.value;
  }

  setText(text: string): void {
    this.input.value = text;
    this.onInput();
  }

  /** Shows how far the host has got with the applied filter. */
  showProgress(filter: { scanned: number; total: number; matched: number; done: boolean } | undefined): void {
    const running = filter !== undefined && !filter.done;
    this.cancel.hidden = !running;
    this.progress.classList.toggle('running', running);
    this.progressFill.style.width = filter && filter.total > 0 ? `${(100 * filter.scanned) / filter.total}%` : '0';
  }

  private onInput(): void {
    this.historyIndex = -1;
    this.problems = [];
    this.element.classList.remove('invalid');
    this.render();
    this.suggest();
    clearTimeout(this.checkTimer);
    const text = this.input.value;
    this.checkTimer = setTimeout(() => {
      void request({ type: 'checkFilter', text }).then((reply) => {
        if (reply.text !== this.input.value) return;
        this.problems = reply.errors.length ? reply.errors : reply.warnings;
        this.element.classList.toggle('invalid', reply.errors.length > 0);
        this.render();
      });
    }, 120);
  }

  /** The text again in the overlay, with the bad ranges marked: the input itself cannot be styled in parts. */
  private render(): void {
    const text = this.input.value;
    const marks = [...this.problems].sort((a, b) => a.start - b.start);
    const parts: Node[] = [];
    let at = 0;
    for (const mark of marks) {
      const start = Math.max(at, Math.min(mark.start, text.length));
      // A problem at the very end (a missing operand) underlines a space after the text.
      const end = Math.max(start + 1, Math.min(mark.end, text.length + 1));
      parts.push(document.createTextNode(text.slice(at, start)));
      parts.push(h('span', { class: this.element.classList.contains('invalid') ? 'squiggle error' : 'squiggle warning' }, text.slice(start, end) || ' '));
      at = end;
    }
    parts.push(document.createTextNode(text.slice(at)));
    this.overlay.replaceChildren(...parts);
    this.message.textContent = marks.map((m) => m.message).join('\n');
    this.message.hidden = marks.length === 0;
    this.syncOverlay();
  }

  private syncOverlay(): void {
    this.overlay.scrollLeft = this.input.scrollLeft;
  }

  /** Completions for the word the cursor is in. */
  private suggest(): void {
    const text = this.input.value;
    const cursor = this.input.selectionStart ?? text.length;
    const before = /[A-Za-z_][\w.[\]]*$/.exec(text.slice(0, cursor));
    if (!before) { this.hideSuggestions(); return; }
    const word = before[0];
    const from = cursor - word.length;
    const to = cursor + (/^[\w.[\]]*/.exec(text.slice(cursor))?.[0].length ?? 0);
    const lower = word.toLowerCase();
    const all = [...PSEUDO_FIELDS, ...this.vocabulary.fields, ...this.vocabulary.opcodes, ...this.vocabulary.symbols];
    const starts = all.filter((n) => n.toLowerCase().startsWith(lower));
    // Field paths also by their last name (`index_count` finds `draw.index_count`), constants by a tail.
    const inside = all.filter((n) => !n.toLowerCase().startsWith(lower) && (n.toLowerCase().includes(`.${lower}`) || n.toLowerCase().includes(`_${lower}`)));
    const items = [...new Set([...starts, ...inside])].filter((n) => n !== word).slice(0, MAX_SUGGESTIONS);
    if (items.length === 0) { this.hideSuggestions(); return; }
    this.shown = { items, active: 0, from, to };
    this.drawSuggestions();
  }

  private drawSuggestions(): void {
    const shown = this.shown!;
    this.suggestions.replaceChildren(
      ...shown.items.map((item, i) => {
        const option = h('div', { class: `suggestion${i === shown.active ? ' active' : ''}`, role: 'option' }, item);
        option.addEventListener('mousedown', (event) => {
          event.preventDefault();
          this.accept(item);
        });
        return option;
      }),
    );
    this.suggestions.hidden = false;
    this.suggestions.children[shown.active]?.scrollIntoView({ block: 'nearest' });
  }

  private hideSuggestions(): void {
    this.shown = undefined;
    this.suggestions.hidden = true;
  }

  private accept(item: string): void {
    const shown = this.shown;
    if (!shown) return;
    const text = this.input.value;
    this.input.value = text.slice(0, shown.from) + item + text.slice(shown.to);
    const cursor = shown.from + item.length;
    this.input.setSelectionRange(cursor, cursor);
    this.hideSuggestions();
    this.onInput();
    this.hideSuggestions();
  }

  private onKey(event: KeyboardEvent): void {
    const shown = this.shown;
    if (shown && (event.key === 'ArrowDown' || event.key === 'ArrowUp')) {
      event.preventDefault();
      shown.active = (shown.active + (event.key === 'ArrowDown' ? 1 : shown.items.length - 1)) % shown.items.length;
      this.drawSuggestions();
      return;
    }
    if (shown && (event.key === 'Tab' || (event.key === 'Enter' && !event.ctrlKey))) {
      event.preventDefault();
      this.accept(shown.items[shown.active]!);
      return;
    }
    if (event.key === 'Escape') {
      if (shown) this.hideSuggestions();
      else this.input.blur();
      event.preventDefault();
      return;
    }
    if (!shown && (event.key === 'ArrowUp' || event.key === 'ArrowDown') && this.history.length) {
      event.preventDefault();
      this.historyIndex = Math.max(-1, Math.min(this.history.length - 1, this.historyIndex + (event.key === 'ArrowUp' ? 1 : -1)));
      const index = this.historyIndex;
      this.input.value = index < 0 ? '' : this.history[index]!;
      this.problems = [];
      this.render();
      this.historyIndex = index;
      return;
    }
    if (event.key === 'Enter') {
      // The host refuses a filter with errors (and the check underlines them), so Enter
      // need not wait for a check still on its way.
      event.preventDefault();
      const text = this.input.value.trim();
      if (text && !this.history.includes(text)) this.history.unshift(text);
      this.apply(text);
    }
  }
}
