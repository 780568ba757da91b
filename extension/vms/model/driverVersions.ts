import type { HostDriver } from '../../hyperv/inventory';

// GPU-P guests run the host's user-mode driver from their HostDriverStore copy. When the
// host driver moves on (Windows Update does it silently) and the copy does not, the guest's
// adapter stops with Code 43: the complaint that dominates every GPU-P tool's tracker.

/** What the extension last learned about a guest's copy of the host driver. */
export interface GuestDriverRecord {
  /** DriverVer of the package found in (or copied into) the guest's HostDriverStore; null when it holds none. */
  readonly version: string | null;
  readonly package: string | null;
  /** When it was learned (ISO 8601) and how: a sync we ran, or a check inside the guest. */
  readonly checkedAt: string;
  readonly source: 'sync' | 'check';
  /** The guest's display adapter reported Code 43 at the check. */
  readonly code43?: boolean;
}

export type DriverState =
  | { readonly kind: 'unknown'; readonly reason: string }
  | { readonly kind: 'current'; readonly version: string }
  | {
      readonly kind: 'stale';
      /** null: the guest holds no copy of the host driver at all. */
      readonly guest: string | null;
      readonly host: string;
      readonly direction: 'older' | 'newer' | 'missing';
      readonly code43: boolean;
    };

/** Compares dotted versions numerically ("32.0.15.6094" > "32.0.15.5612"); non-numeric parts compare as text. */
export function compareDriverVersions(a: string, b: string): number {
  const left = a.trim().split('.');
  const right = b.trim().split('.');
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i] ?? '0';
    const y = right[i] ?? '0';
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    const order = Number.isNaN(nx) || Number.isNaN(ny) ? x.localeCompare(y) : nx - ny;
    if (order !== 0) return Math.sign(order);
  }
  return 0;
}

export function guestDriverState(host: HostDriver | null, guest: GuestDriverRecord | undefined): DriverState {
  if (!host) return { kind: 'unknown', reason: 'the host driver is only known for the local host' };
  if (!guest) return { kind: 'unknown', reason: 'not checked yet: run "Check Guest GPU Driver"' };
  if (guest.version === null) return { kind: 'stale', guest: null, host: host.version, direction: 'missing', code43: guest.code43 === true };
  const order = compareDriverVersions(guest.version, host.version);
  if (order === 0) return { kind: 'current', version: host.version };
  return { kind: 'stale', guest: guest.version, host: host.version, direction: order < 0 ? 'older' : 'newer', code43: guest.code43 === true };
}

/** One sentence for the tooltip and the warning. */
export function describeDriverState(state: DriverState): string {
  switch (state.kind) {
    case 'unknown':
      return `Guest driver copy: unknown (${state.reason}).`;
    case 'current':
      return `Guest driver copy matches the host (${state.version}).`;
    case 'stale': {
      const symptom = state.code43 ? ' Its display adapter reports Code 43.' : ' Expect Code 43 on its GPU partition.';
      const fix = ' Run "Sync Host GPU Driver into Guest".';
      if (state.guest === null) return `The guest holds no copy of the host driver ${state.host}.${symptom}${fix}`;
      const cause = state.direction === 'older' ? 'older than' : 'newer than';
      return `Guest driver copy ${state.guest} is ${cause} the host driver ${state.host}.${symptom}${fix}`;
    }
  }
}
