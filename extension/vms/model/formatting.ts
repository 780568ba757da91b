// Text for the tree: sizes, durations, and user values made safe to show.

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** 8589934592 -> "8 GB", 536870912 -> "512 MB", as Hyper-V Manager writes memory. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes >= GIB) return `${trimZero(bytes / GIB)} GB`;
  if (bytes >= MIB) return `${trimZero(bytes / MIB)} MB`;
  if (bytes >= 1024) return `${trimZero(bytes / 1024)} KB`;
  return `${bytes} B`;
}

function trimZero(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1).replace(/\.0$/, '');
}

/** 7380 -> "2h 03m", 200000 -> "2d 7h", 59 -> "59s". */
export function formatUptime(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '0s';
  const s = Math.floor(seconds);
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3_600);
  const minutes = Math.floor((s % 3_600) / 60);
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m`;
  return `${s}s`;
}

/**
 * A user value on one line: VM and checkpoint names may hold any character, control
 * characters included. The data stays verbatim; only what is drawn changes.
 */
export function displayText(value: string): string {
  return value.replace(/\r\n|[\r\n]/g, '⏎').replace(/\p{Cc}/gu, '\ufffd');
}

/** A user value inside Markdown (tooltips): every character Markdown or HTML could act on is escaped. */
export function escapeMarkdown(value: string): string {
  return displayText(value).replace(/[\\`*_{}[\]()#+\-.!|<>&~"'$:]/g, (c) => `\\${c}`);
}
