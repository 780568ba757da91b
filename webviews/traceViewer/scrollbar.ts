import { h } from '../shared/dom';

// The table's own vertical scrollbar. A native one cannot span ten million rows: browsers
// cap an element's height near 33.5 M px (Chrome), which is 1.5 M rows of 22 px. This one
// maps the handle's position straight to a row position, whatever the row count, and moves
// nothing but its handle (by transform) while dragged.

const MIN_HANDLE = 24;

export class Scrollbar {
  readonly element: HTMLElement;
  private readonly handle: HTMLElement;
  private top = 0;
  private visible = 0;
  private count = 0;
  private drag: { offset: number } | undefined;

  constructor(private readonly onScroll: (top: number) => void) {
    this.handle = h('div', { class: 'scrollbar-handle', role: 'scrollbar', 'aria-orientation': 'vertical' });
    this.element = h('div', { class: 'scrollbar' }, this.handle);
    this.element.addEventListener('mousedown', (event) => this.onTrackDown(event));
    this.handle.addEventListener('mousedown', (event) => this.onHandleDown(event));
  }

  /** Shows `visible` rows from `top` of `count`. */
  update(top: number, visible: number, count: number): void {
    this.top = top;
    this.visible = visible;
    this.count = count;
    const { height, handle, travel } = this.geometry();
    const scrollable = count > visible;
    this.element.classList.toggle('inactive', !scrollable);
    if (!scrollable) return;
    const y = (top / (count - visible)) * travel;
    this.handle.style.height = `${handle}px`;
    this.handle.style.transform = `translateY(${Math.max(0, Math.min(height - handle, y))}px)`;
    this.handle.setAttribute('aria-valuenow', String(Math.round(top)));
    this.handle.setAttribute('aria-valuemax', String(count));
  }

  private geometry(): { height: number; handle: number; travel: number } {
    const height = this.element.clientHeight;
    const handle = Math.min(height, Math.max(MIN_HANDLE, (height * this.visible) / Math.max(1, this.count)));
    return { height, handle, travel: Math.max(1, height - handle) };
  }

  /** The row position the handle's top at `y` (pixels from the track's top) stands for. */
  private topAt(y: number): number {
    const { travel } = this.geometry();
    return Math.max(0, Math.min(1, y / travel)) * Math.max(0, this.count - this.visible);
  }

  private onHandleDown(event: MouseEvent): void {
    event.preventDefault();
    event.stopPropagation();
    const rect = this.handle.getBoundingClientRect();
    this.startDrag(event.clientY - rect.top);
  }

  /** A click on the track jumps there, with the handle centred on the pointer, and drags on. */
  private onTrackDown(event: MouseEvent): void {
    event.preventDefault();
    const { handle } = this.geometry();
    const offset = handle / 2;
    this.onScroll(this.topAt(event.clientY - this.element.getBoundingClientRect().top - offset));
    this.startDrag(offset);
  }

  private startDrag(offset: number): void {
    this.drag = { offset };
    this.element.classList.add('dragging');
    const move = (event: MouseEvent) => {
      if (!this.drag) return;
      if (!event.buttons) { up(); return; }
      this.onScroll(this.topAt(event.clientY - this.element.getBoundingClientRect().top - this.drag.offset));
    };
    const up = () => {
      this.drag = undefined;
      this.element.classList.remove('dragging');
      document.removeEventListener('mousemove', move);
      document.removeEventListener('mouseup', up);
    };
    document.addEventListener('mousemove', move);
    document.addEventListener('mouseup', up);
  }

  get position(): number {
    return this.top;
  }
}
