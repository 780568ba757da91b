import { basename, resolve } from 'node:path';
import { locationName, type SharedMemoryLocation } from '../live/sharedMemory';
import type { JsonValue } from './jsonc';

// gpupv.json's `live` section: the shared-memory rings the Ring Traces view follows, each a
// file-backed mapping (`path`, relative to the workspace folder or absolute: /dev/shm/...,
// a QEMU memory-backend-file) or a Windows named mapping (`mapping`: Global\pvgpu_shmem_vm1),
// and whether rings found on the machine are listed too. Checked by shape here; whether a
// ring exists and is this protocol's is learnt when it is read. Pure: no `vscode` import.

export interface LiveRingConfig {
  /** What the view calls it: `name` as written, else the file's name or the mapping's. */
  readonly name: string;
  readonly location: SharedMemoryLocation;
  /** Where `path` or `mapping` was written, so later checks can point at it. */
  readonly offset: number;
  readonly length: number;
}

export interface LiveConfig {
  readonly rings: readonly LiveRingConfig[];
  /** List matching rings found on the machine (files in /dev/shm on Linux) besides the configured ones. */
  readonly discover: boolean;
}

interface LiveProblems {
  error(message: string, at: { offset: number; length: number }): void;
  warning(message: string, at: { offset: number; length: number }): void;
}

/**
 * A Windows object name: an optional namespace (`Global\`, `Local\`, `Session\1\`) and a name
 * without further backslashes (OpenFileMappingW refuses those).
 */
const MAPPING_NAME = /^(?:(?:Global|Local|Session\\\d+)\\)?[^\\]+$/;

export function readLiveSection(value: JsonValue, problems: LiveProblems): LiveConfig | undefined {
  if (value.kind !== 'object') {
    problems.error('"live" must be an object: { "rings": [{ "name": "Win11 guest", "path": "/dev/shm/pvgpu_shmem_vm1" }], "discover": true }', value);
    return undefined;
  }
  let rings: LiveRingConfig[] = [];
  let discover = true;
  for (const { key, keySpan, value: item } of value.properties) {
    if (key === 'rings') rings = readRings(item, problems);
    else if (key === 'discover') {
      if (item.kind === 'boolean') discover = item.value;
      else problems.error('"live.discover" must be true or false', item);
    } else problems.warning(`"live.${key}" is not a known setting (ignored); known: rings, discover`, keySpan);
  }
  return { rings, discover };
}

function readRings(value: JsonValue, problems: LiveProblems): LiveRingConfig[] {
  if (value.kind !== 'array') {
    problems.error('"live.rings" must be an array of rings: { "path": "/dev/shm/..." } or { "mapping": "Global\\\\..." }', value);
    return [];
  }
  const rings: LiveRingConfig[] = [];
  for (const [index, item] of value.items.entries()) {
    const ring = readRing(`live.rings[${index}]`, item, problems);
    if (!ring) continue;
    const where = locationName(ring.location);
    if (rings.some((r) => locationName(r.location) === where)) problems.warning(`"${where}" is listed twice in "live.rings"`, ring);
    else rings.push(ring);
  }
  return rings;
}

function readRing(property: string, value: JsonValue, problems: LiveProblems): LiveRingConfig | undefined {
  if (value.kind !== 'object') {
    problems.error(`"${property}" must be an object: { "name": "Win11 guest", "path": "/dev/shm/pvgpu_shmem_vm1" }`, value);
    return undefined;
  }
  let name: string | undefined;
  let location: { location: SharedMemoryLocation; at: { offset: number; length: number } } | undefined;
  let ok = true;
  for (const { key, keySpan, value: item } of value.properties) {
    if (key === 'name') {
      if (item.kind === 'string' && item.value.trim() !== '') name = item.value;
      else {
        problems.error(`"${property}.name" must be a non-empty string`, item);
        ok = false;
      }
    } else if (key === 'path' || key === 'mapping') {
      if (location) {
        problems.error(`"${property}" gives both "path" and "mapping": a ring is either a file-backed mapping or a Windows named mapping`, keySpan);
        ok = false;
      } else if (item.kind !== 'string' || item.value.trim() === '') {
        problems.error(`"${property}.${key}" must be a non-empty string`, item);
        ok = false;
      } else if (key === 'mapping' && !MAPPING_NAME.test(item.value)) {
        problems.error(`"${property}.mapping" is not a Windows object name: a name without backslashes, optionally after "Global\\\\" or "Local\\\\" (in JSON, "Global\\\\pvgpu_shmem_vm1")`, item);
        ok = false;
      } else {
        location = { location: key === 'path' ? { path: item.value } : { mapping: item.value }, at: item };
      }
    } else problems.warning(`"${property}.${key}" is not a known setting (ignored); known: name, path, mapping`, keySpan);
  }
  if (!location) {
    if (ok) problems.error(`"${property}" needs "path" (a file-backed mapping such as /dev/shm/pvgpu_shmem_vm1) or "mapping" (a Windows named mapping such as Global\\\\pvgpu_shmem_vm1)`, value);
    return undefined;
  }
  if (!ok) return undefined;
  const shown = 'path' in location.location ? basename(location.location.path) : location.location.mapping;
  return { name: name ?? shown, location: location.location, offset: location.at.offset, length: location.at.length };
}

/** The rings with every path made absolute against the workspace folder. */
export function resolveLiveConfig(config: LiveConfig, folderPath: string): LiveConfig {
  return {
    discover: config.discover,
    rings: config.rings.map((ring) => ('path' in ring.location ? { ...ring, location: { path: resolve(folderPath, ring.location.path) } } : ring)),
  };
}
