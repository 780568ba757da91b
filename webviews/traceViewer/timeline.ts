import uPlot from 'uplot';
import { h } from '../shared/dom';
import { decodeTimeline } from '../shared/traceViewerProtocol';
import { request } from './hostConnection';
import { bytes, milliseconds, tickTimes } from './format';

// The tracks above the table, Perfetto-style: commands per interval, ring occupancy, fence
// latency (seen to completed) and overruns, drawn by uPlot from buckets the extension host
// works out for exactly the range and width shown (two pixels a bucket), so any zoom of ten
// million commands draws a few hundred points. Drag across a track to restrict the table to
// that time range (and zoom in), Ctrl+wheel to zoom and Shift+wheel to pan, click to jump to
// the row at that time, double-click to see the whole trace again. The rows the table shows
// are marked as a band.

export interface TimelineEvents {
  /** A time range was brushed (nanoseconds after the first row); undefined: the whole trace. */
  rangeSelected(range: { from: number; to: number } | undefined): void;
  /** A point was clicked: show the row at or after `time`. */
  timeClicked(time: number): void;
}

interface Track {
  readonly key: 'commands' | 'occupancy' | 'fenceLatency' | 'overruns';
  readonly label: string;
  readonly colour: string;
  readonly bars: boolean;
  readonly format: (value: number) => string;
}

const TRACKS: readonly Track[] = [
  { key: 'commands', label: 'Commands', colour: '--vscode-charts-blue', bars: true, format: (v) => v.toFixed(0) },
  { key: 'occupancy', label: 'Ring bytes used', colour: '--vscode-charts-green', bars: false, format: (v) => bytes(Math.round(v)) },
  { key: 'fenceLatency', label: 'Fence latency', colour: '--vscode-charts-orange', bars: false, format: (v) => milliseconds(v) },
  { key: 'overruns', label: 'Overruns', colour: '--vscode-charts-red', bars: true, format: (v) => v.toFixed(0) },
];

const TRACK_HEIGHT = 56;
/** How often the tracks of a growing trace are drawn again. */
const GROWN_REDRAW_MS = 250;
/** The narrowest range Ctrl+wheel zooms to: a microsecond. */
const MIN_SPAN_NS = 1000;

export class Timeline {
  readonly element: HTMLElement;
  private plots: uPlot[] = [];
  private extent = { from: 0, to: 1 };
  /** What is shown: the whole extent, or a brushed range. */
  private shown: { from: number; to: number } | undefined;
  private band: { from: number; to: number } | undefined;
  private pending = false;
  private again = false;
  private readonly body: HTMLElement;
  private wheelRest: ReturnType<typeof setTimeout> | undefined;
  private growTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly events: TimelineEvents) {
    this.body = h('div', { class: 'timeline-tracks' });
    this.element = h('div', { class: 'timeline', 'data-testid': 'timeline' }, this.body);
    new ResizeObserver(() => this.resize()).observe(this.element);
    this.element.addEventListener('dblclick', () => this.events.rangeSelected(undefined));
    this.element.addEventListener('wheel', (event) => this.onWheel(event), { passive: false });
  }

  /** The trace runs from 0 to `lastTime` ns; the table is restricted to `range` (if any). */
  setExtent(lastTime: number, range: { from: number; to: number } | undefined): void {
    const grown = lastTime !== this.extent.to;
    const moved = range?.from !== this.shown?.from || range?.to !== this.shown?.to;
    this.extent = { from: 0, to: Math.max(1, lastTime) };
    this.shown = range;
    if (moved) this.refresh();
    // A live trace grows with every status: redrawn a few times a second, which is plenty for
    // a chart and leaves the frames to the table.
    else if (grown) {
      this.growTimer ??= setTimeout(() => {
        this.growTimer = undefined;
        this.refresh();
      }, GROWN_REDRAW_MS);
    }
  }

  /** The table shows rows from `from` to `to` ns: marked as a band. */
  markVisible(from: number, to: number): void {
    if (this.band?.from === from && this.band.to === to) return;
    this.band = { from, to };
    for (const plot of this.plots) plot.redraw(false, false);
  }

  /** Asks the host for buckets of the shown range; one request at a time, the latest wins. */
  refresh(): void {
    if (this.pending) {
      this.again = true;
      return;
    }
    const { from, to } = this.shown ?? this.extent;
    const width = Math.max(100, this.element.clientWidth - 60);
    this.pending = true;
    void request({ type: 'getTimeline', from, to, buckets: Math.floor(width / 2) }).then((reply) => {
      this.pending = false;
      this.draw(reply.from, reply.to, decodeTimeline(reply.buckets));
      if (this.again) {
        this.again = false;
        this.refresh();
      }
    });
  }

  private draw(from: number, to: number, columns: ReturnType<typeof decodeTimeline>): void {
    const count = columns.commands.length;
    const step = (to - from) / count;
    const xs = Float64Array.from({ length: count }, (_, i) => (from + (i + 0.5) * step) / 1e9);
    if (this.plots.length === 0) this.create();
    TRACKS.forEach((track, i) => {
      const values = Array.from(columns[track.key], (v) => (Number.isNaN(v) ? null : v));
      this.plots[i]!.setData([Array.from(xs), values]);
    });
  }

  private create(): void {
    const style = getComputedStyle(document.body);
    const colour = (name: string) => style.getPropertyValue(name).trim() || '#888';
    const foreground = colour('--vscode-descriptionForeground');
    const width = Math.max(100, this.element.clientWidth);
    this.plots = TRACKS.map((track, i) => {
      const container = h('div', { class: 'timeline-track', 'data-track': track.key }, h('span', { class: 'timeline-label' }, track.label));
      this.body.append(container);
      const stroke = colour(track.colour);
      const options: uPlot.Options = {
        width,
        height: TRACK_HEIGHT,
        legend: { show: false },
        scales: { x: { time: false } },
        axes: [
          { show: i === TRACKS.length - 1, stroke: foreground, size: 22, space: 72, values: (_u, ticks) => tickTimes(ticks), grid: { show: false } },
          { show: true, stroke: foreground, size: 52, values: (_u, ticks) => ticks.map(track.format), grid: { stroke: colour('--vscode-editorWidget-border'), width: 0.5 }, ticks: { show: false } },
        ],
        // Occupancy and latency are samples: join them across the buckets that have none.
        series: [{}, { stroke, fill: `${stroke}55`, width: 1, spanGaps: !track.bars, points: { show: false }, ...(track.bars && uPlot.paths.bars ? { paths: uPlot.paths.bars({ size: [1, Infinity] }) } : {}) }],
        cursor: { sync: { key: 'gpupv-timeline' }, drag: { x: true, y: false, setScale: false }, points: { show: false } },
        hooks: {
          setSelect: [(plot) => this.onSelect(plot)],
          draw: [(plot) => this.drawBand(plot)],
        },
      };
      return new uPlot(options, [[], []], container);
    });
  }

  /**
   * Ctrl+wheel zooms about the pointer, Shift+wheel (or a sideways swipe) pans; the tracks move
   * in the same frame on the buckets they have, and once the wheel rests the range goes to the
   * table and finer buckets are fetched. A plain wheel is left to scroll the page.
   */
  private onWheel(event: WheelEvent): void {
    const plot = this.plots[0];
    const sideways = Math.abs(event.deltaX) > Math.abs(event.deltaY);
    if (!plot || (!event.ctrlKey && !event.shiftKey && !sideways)) return;
    event.preventDefault();
    const { from, to } = this.shown ?? this.extent;
    const span = to - from;
    const whole = this.extent.to - this.extent.from;
    const box = plot.over.getBoundingClientRect();
    const at = Math.min(1, Math.max(0, (event.clientX - box.left) / Math.max(1, box.width)));
    let next: { from: number; to: number };
    if (event.ctrlKey) {
      const width = Math.min(whole, Math.max(MIN_SPAN_NS, span * Math.exp(event.deltaY * 0.002)));
      const pivot = from + at * span;
      next = { from: pivot - at * width, to: pivot - at * width + width };
    } else {
      const shift = ((sideways ? event.deltaX : event.deltaY) / Math.max(1, box.width)) * span;
      next = { from: from + shift, to: to + shift };
    }
    // Kept inside the trace, its width unchanged.
    const width = next.to - next.from;
    next.from = Math.max(this.extent.from, Math.min(next.from, this.extent.to - width));
    next.to = next.from + width;
    this.shown = width >= whole ? undefined : next;
    const shown = this.shown ?? this.extent;
    for (const p of this.plots) p.setScale('x', { min: shown.from / 1e9, max: shown.to / 1e9 });
    clearTimeout(this.wheelRest);
    this.wheelRest = setTimeout(() => {
      this.events.rangeSelected(this.shown);
      this.refresh();
    }, 120);
  }

  private onSelect(plot: uPlot): void {
    const { left, width } = plot.select;
    const from = plot.posToVal(left, 'x') * 1e9;
    if (width < 3) this.events.timeClicked(Math.max(0, from));
    else this.events.rangeSelected({ from: Math.max(0, from), to: plot.posToVal(left + width, 'x') * 1e9 });
    plot.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
  }

  private drawBand(plot: uPlot): void {
    const band = this.band;
    if (!band) return;
    const context = plot.ctx;
    const left = plot.valToPos(band.from / 1e9, 'x', true);
    const right = plot.valToPos(band.to / 1e9, 'x', true);
    context.save();
    context.fillStyle = getComputedStyle(document.body).getPropertyValue('--vscode-editor-selectionBackground').trim() || 'rgba(128,128,255,0.25)';
    context.globalAlpha = 0.45;
    context.fillRect(left, plot.bbox.top, Math.max(2, right - left), plot.bbox.height);
    context.restore();
  }

  private resize(): void {
    const width = Math.max(100, this.element.clientWidth);
    for (const plot of this.plots) plot.setSize({ width, height: TRACK_HEIGHT });
    this.refresh();
  }
}
