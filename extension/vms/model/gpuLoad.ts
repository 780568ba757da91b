import type { GpuLoad, VirtualMachine } from '../../hyperv/inventory';
import { formatBytes } from './formatting';

// GPU load as the tree shows it: a VM's busiest engine in its description, every engine type
// with a bar and the recent history as a sparkline in its tooltip, and on a GPU's row the sum
// of the VMs that hold a partition of it (the noisy neighbour shows at a glance).

/** How many refreshes the sparkline remembers: a minute and a half at the default 5 s. */
export const GPU_LOAD_HISTORY = 18;

/** Engine types named as Task Manager names them; other types (Compute_0, Security…) keep the counters' name, spaced. */
const ENGINE_LABELS: Readonly<Record<string, string>> = {
  '3D': '3D',
  Copy: 'Copy',
  VideoDecode: 'Video decode',
  VideoEncode: 'Video encode',
  VideoProcessing: 'Video processing',
};
/** The engine types every tooltip lists, in this order, even when a VM has not used them yet. */
const MAIN_ENGINES = ['3D', 'Copy', 'VideoDecode', 'VideoEncode'];

export function engineLabel(type: string): string {
  return ENGINE_LABELS[type] ?? type.replace(/_/g, ' ');
}

/** The VM's busiest engine (what Task Manager's GPU column shows), or undefined before two samples. */
export function busiestEngine(load: GpuLoad): { type: string; percent: number } | undefined {
  let best: { type: string; percent: number } | undefined;
  for (const engine of load.engines) {
    if (engine.percent === null || !Number.isFinite(engine.percent)) continue;
    if (!best || engine.percent > best.percent) best = { type: engine.type, percent: engine.percent };
  }
  return best;
}

/** "GPU 62% 3D" for a row's description; "GPU …" while the first sample has no rate yet. */
export function gpuLoadSummary(load: GpuLoad): string {
  const busiest = busiestEngine(load);
  if (busiest) return `GPU ${formatLoadPercent(busiest.percent)} ${engineLabel(busiest.type)}`;
  return load.sampled ? 'GPU 0%' : 'GPU …';
}

export function formatLoadPercent(percent: number): string {
  return `${Math.round(Math.min(100, Math.max(0, percent)))}%`;
}

const BAR_CELLS = 10;

/** "██████▎░░░" for 63%: a bar a tooltip can draw in any font. */
export function loadBar(percent: number): string {
  const eighths = Math.round((Math.min(100, Math.max(0, percent)) / 100) * BAR_CELLS * 8);
  const full = Math.floor(eighths / 8);
  const partial = eighths % 8;
  const partials = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
  return '█'.repeat(full) + partials[partial]! + '░'.repeat(BAR_CELLS - full - (partial ? 1 : 0));
}

const SPARKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** "▁▂▅▇█▇" for the recent percentages, on a fixed 0–100 scale so two VMs compare. */
export function sparkline(percents: readonly number[]): string {
  return percents.map((p) => SPARKS[Math.min(SPARKS.length - 1, Math.floor((Math.min(100, Math.max(0, p)) / 100) * SPARKS.length))]!).join('');
}

/** Tooltip lines of a VM's GPU use: one per engine type with its bar, memory, and the history. */
export function gpuLoadLines(load: GpuLoad, history: readonly number[]): string[] {
  if (!load.sampled) {
    return [`GPU load: measuring (a rate needs two samples; the next refresh has it) · dedicated ${formatBytes(load.dedicatedBytes)}, shared ${formatBytes(load.sharedBytes)}`];
  }
  const byType = new Map(load.engines.map((engine) => [engine.type, engine.percent]));
  const types = [...MAIN_ENGINES, ...load.engines.map((e) => e.type).filter((t) => !MAIN_ENGINES.includes(t))];
  // Other engine types (video processing, compute, security) only when they are busy.
  const rows = types
    .filter((type) => MAIN_ENGINES.includes(type) || (byType.get(type) ?? 0) > 0)
    .map((type) => {
      const percent = byType.get(type);
      return percent === undefined || percent === null
        ? `\`${'░'.repeat(BAR_CELLS)}\` ${engineLabel(type)}: not used`
        : `\`${loadBar(percent)}\` ${engineLabel(type)} ${formatLoadPercent(percent)}`;
    });
  return [
    `GPU load since the last refresh (its worker process's GPU counters):`,
    rows.join('  \n'),
    `GPU memory: dedicated ${formatBytes(load.dedicatedBytes)}, shared ${formatBytes(load.sharedBytes)}`,
    ...(history.length > 1 ? [`Busiest engine, last ${history.length} refreshes: \`${sparkline(history)}\``] : []),
  ];
}

/** What the VMs holding partitions of one GPU use together, per engine type and in memory. */
export interface GpuLoadTotal {
  readonly vms: number;
  readonly engines: ReadonlyMap<string, number>;
  readonly dedicatedBytes: number;
  readonly sharedBytes: number;
}

/** Sums the sampled loads of `vms`; undefined when none of them has a rate yet. */
export function sumGpuLoads(vms: readonly VirtualMachine[]): GpuLoadTotal | undefined {
  const engines = new Map<string, number>();
  let counted = 0;
  let dedicatedBytes = 0;
  let sharedBytes = 0;
  for (const vm of vms) {
    const load = vm.gpuLoad;
    if (!load?.sampled) continue;
    counted++;
    dedicatedBytes += load.dedicatedBytes;
    sharedBytes += load.sharedBytes;
    for (const engine of load.engines) {
      if (engine.percent === null) continue;
      // VMs share the GPU's engines, so their percentages of one engine add up to at most 100.
      engines.set(engine.type, Math.min(100, (engines.get(engine.type) ?? 0) + engine.percent));
    }
  }
  return counted ? { vms: counted, engines, dedicatedBytes, sharedBytes } : undefined;
}

/** "VMs: 3D 83%, Video encode 40%" for a GPU row's description: the two busiest engine types. */
export function gpuLoadTotalSummary(total: GpuLoadTotal): string {
  const top = [...total.engines.entries()].sort((a, b) => b[1] - a[1]).slice(0, 2);
  return `VMs: ${top.map(([type, percent]) => `${engineLabel(type)} ${formatLoadPercent(percent)}`).join(', ')}`;
}

/** The recent busiest-engine percentages of each VM, one per refresh that brought a rate. */
export class GpuLoadHistory {
  private readonly series = new Map<string, number[]>();

  /** Adds one refresh of a host; VMs without a load there (stopped, gone) are forgotten. */
  record(hostKey: string, vms: readonly VirtualMachine[]): void {
    const seen = new Set<string>();
    for (const vm of vms) {
      const busiest = vm.gpuLoad ? busiestEngine(vm.gpuLoad) : undefined;
      if (!busiest) continue;
      const key = `${hostKey}/${vm.id}`;
      seen.add(key);
      const series = this.series.get(key) ?? [];
      series.push(busiest.percent);
      if (series.length > GPU_LOAD_HISTORY) series.splice(0, series.length - GPU_LOAD_HISTORY);
      this.series.set(key, series);
    }
    for (const key of this.series.keys()) {
      if (key.startsWith(`${hostKey}/`) && !seen.has(key)) this.series.delete(key);
    }
  }

  of(hostKey: string, vmId: string): readonly number[] {
    return this.series.get(`${hostKey}/${vmId}`) ?? [];
  }
}
