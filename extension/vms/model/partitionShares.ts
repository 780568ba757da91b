import type { GpuPartitionAdapter, PartitionValue, PartitionValueKey, PartitionValues } from '../../hyperv/inventory';

// GPU-P expresses each resource of a partition on a fixed scale: VRAM, decode and compute on
// 0..1e9, encode on the full UInt64 range. A "share" is a percentage of that scale, which is
// what users reason in (and what the community scripts set: min = max = optimal).

export const PARTITION_RESOURCES = ['Vram', 'Encode', 'Decode', 'Compute'] as const;
export type PartitionResource = (typeof PARTITION_RESOURCES)[number];
export const PARTITION_BOUNDS = ['min', 'max', 'optimal'] as const;
export type PartitionBound = (typeof PARTITION_BOUNDS)[number];

export const RESOURCE_LABELS: Record<PartitionResource, string> = {
  Vram: 'VRAM',
  Encode: 'Encode',
  Decode: 'Decode',
  Compute: 'Compute',
};

const SMALL_SCALE = 1_000_000_000n;
const ENCODE_SCALE = 2n ** 64n - 1n;

export function resourceScale(resource: PartitionResource): bigint {
  return resource === 'Encode' ? ENCODE_SCALE : SMALL_SCALE;
}

export function valueKey(bound: PartitionBound, resource: PartitionResource): PartitionValueKey {
  return `${bound}${resource}` as PartitionValueKey;
}

/** A value as an exact integer; undefined when Hyper-V did not report it or it is not an integer. */
export function exactValue(value: PartitionValue | undefined): bigint | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : undefined;
  return /^\d{1,20}$/.test(value.trim()) ? BigInt(value.trim()) : undefined;
}

/** Percentage of the resource's scale, to two decimals (exact integer arithmetic, encode included). */
export function sharePercent(value: PartitionValue | undefined, resource: PartitionResource): number | undefined {
  const exact = exactValue(value);
  if (exact === undefined) return undefined;
  const scale = resourceScale(resource);
  const clamped = exact > scale ? scale : exact;
  return Number((clamped * 10_000n + scale / 2n) / scale) / 100;
}

/** The value for a percentage: a number on the 1e9 scale, a decimal string for encode. */
export function valueForShare(percent: number, resource: PartitionResource): number | string {
  const hundredths = BigInt(Math.round(Math.min(100, Math.max(0, percent)) * 100));
  const value = (resourceScale(resource) * hundredths) / 10_000n;
  return resource === 'Encode' ? value.toString() : Number(value);
}

/** One share for every resource and bound, as "Set all to N %" applies it. */
export function uniformShare(percent: number): PartitionValues {
  const values: PartitionValues = {};
  for (const resource of PARTITION_RESOURCES) {
    for (const bound of PARTITION_BOUNDS) values[valueKey(bound, resource)] = valueForShare(percent, resource);
  }
  return values;
}

export function formatPercent(percent: number | undefined): string {
  if (percent === undefined) return '?';
  return `${Number.isInteger(percent) ? percent : percent.toFixed(percent < 10 ? 2 : 1).replace(/0+$/, '')}%`;
}

/** "50%" when min = max = optimal, else "25–50% (optimal 40%)". */
export function describeResourceShare(adapter: GpuPartitionAdapter, resource: PartitionResource): string {
  const [min, max, optimal] = PARTITION_BOUNDS.map((bound) => sharePercent(adapter[valueKey(bound, resource)], resource));
  if (min === max && max === optimal) return formatPercent(min);
  return `${formatPercent(min)}–${formatPercent(max)} (optimal ${formatPercent(optimal)})`;
}

/** The share of one resource bound, or undefined when the adapter's values are not uniform. */
export function uniformPercent(adapter: GpuPartitionAdapter): number | undefined {
  let common: number | undefined;
  for (const resource of PARTITION_RESOURCES) {
    for (const bound of PARTITION_BOUNDS) {
      const percent = sharePercent(adapter[valueKey(bound, resource)], resource);
      if (percent === undefined) return undefined;
      if (common === undefined) common = percent;
      else if (Math.abs(common - percent) > 0.01) return undefined;
    }
  }
  return common;
}

/** Why typed text is not a share (0–100, two decimals at most, an optional %), or undefined. */
export function percentError(input: string): string | undefined {
  const text = input.trim().replace(/%$/, '');
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(text) || Number(text) > 100) return 'A percentage from 0 to 100, with at most two decimals.';
  return undefined;
}

/** "25 50 40" -> [min, max, optimal] when each is a share and min <= optimal <= max. */
export function parseBounds(input: string): [number, number, number] | undefined {
  const parts = input.trim().split(/[\s,/]+/);
  if (parts.length !== 3 || parts.some((p) => percentError(p))) return undefined;
  const [min, max, optimal] = parts.map((p) => Number(p.replace(/%$/, ''))) as [number, number, number];
  return min <= optimal && optimal <= max ? [min, max, optimal] : undefined;
}
