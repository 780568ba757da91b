import { closeSync, constants, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { LiveConfig } from '../config/liveConfigParser';
import type { RingProfile } from '../profile/ringProfile';
import { readGeometry } from '../ring/ringGeometry';
import { magicMismatch } from '../ring/ringMagic';
import { locationName, type SharedMemoryLocation } from './sharedMemory';

// The live rings of a workspace: those gpupv.json names in `live.rings`, then (unless
// `live.discover` is false) the files of a shared-memory folder, /dev/shm on Linux, whose
// control region holds the profile's magic. Discovery reads only each file's control
// region, never follows a symbolic link, never opens anything but a regular file, and
// skips what it cannot read.

export interface LiveSource {
  /** Stable across looks: the path or the mapping's name. */
  readonly id: string;
  readonly name: string;
  readonly location: SharedMemoryLocation;
  readonly origin: 'configured' | 'discovered';
}

export interface DiscoveryResult {
  readonly sources: readonly LiveSource[];
  /** Why nothing was looked for, when nothing was. */
  readonly skipped?: string;
}

/** Where file-backed shared memory lives on this system, if it has such a folder. */
export function sharedMemoryFolder(platform: NodeJS.Platform = process.platform): string | undefined {
  return platform === 'linux' ? '/dev/shm' : undefined;
}

/** Entries of the folder looked at, at most: /dev/shm of a busy desktop holds browsers' segments too. */
const MAX_ENTRIES = 1000;

/** The files in `folder` whose control region is a ring of this protocol, by name. */
export function discoverRings(folder: string, ring: RingProfile): DiscoveryResult {
  if (!ring.magic) return { sources: [], skipped: 'protocol.ring has no magicField and magic, so a ring cannot be told from any other file' };
  let entries;
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch (error) {
    return { sources: [], skipped: `${folder} cannot be listed (${error instanceof Error ? error.message : String(error)})` };
  }
  const control = new Uint8Array(ring.control.size);
  const sources: LiveSource[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name)).slice(0, MAX_ENTRIES)) {
    // A Dirent describes the entry itself: a symbolic link is not a file here, so it is never followed.
    if (!entry.isFile()) continue;
    const path = join(folder, entry.name);
    if (isRingOfThisProtocol(path, ring, control)) sources.push({ id: path, name: entry.name, location: { path }, origin: 'discovered' });
  }
  return { sources };
}

function isRingOfThisProtocol(path: string, ring: RingProfile, control: Uint8Array): boolean {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch {
    return false; // another user's segment, or gone since it was listed
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size < control.length) return false;
    if (readSync(fd, control, 0, control.length, 0) !== control.length || magicMismatch(ring, control) !== undefined) return false;
    const { ringOffset, ringSize } = readGeometry(ring, control);
    return ringSize > 0 && ringOffset >= control.length && ringOffset + ringSize <= stat.size;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/** The configured rings, then the discovered ones not configured already. */
export function liveSources(config: LiveConfig | undefined, discovered: readonly LiveSource[]): LiveSource[] {
  const configured: LiveSource[] = (config?.rings ?? []).map((ring) => ({ id: locationName(ring.location), name: ring.name, location: ring.location, origin: 'configured' }));
  const known = new Set(configured.map((s) => s.id));
  return [...configured, ...discovered.filter((s) => !known.has(s.id))];
}
