import { resolve } from 'node:path';
import { ABI_NAMES, DEFAULT_ABI, isAbiName, type AbiName } from '../abi';
import type { CommandProfileConfig } from '../profile/commandProfile';
import type { ResourcesConfig } from '../profile/resourceProfile';
import type { RingProfileConfig } from '../profile/ringProfile';
import { readCommandSection, readFenceSection, readResourcesSection, readRingSection, type FenceConfig } from './decoderConfigParser';
import { readDriverSection, type DriverConfig } from './driverConfigParser';
import { parseJsonc, type JsonProperty, type JsonValue } from './jsonc';
import { readLiveSection, type LiveConfig } from './liveConfigParser';

// gpupv.json, the workspace's protocol configuration: read, checked by hand and resolved
// against its workspace folder. A bad entry becomes a problem at the offending property
// and is left out; nothing here throws on user input. Pure: no `vscode` import.

export const CONFIG_FILE_NAME = 'gpupv.json';

/** A string from the file and where it was written, so later checks can point at it. */
export interface ConfigEntry {
  readonly value: string;
  readonly offset: number;
  readonly length: number;
}

export interface ProtocolConfig {
  /** As written: relative to the workspace folder (or absolute). */
  readonly headers: readonly ConfigEntry[];
  readonly includeDirs: readonly ConfigEntry[];
  /** `null` in the file (defined without a value, as `-DNAME`) is undefined here. */
  readonly defines: Readonly<Record<string, string | undefined>>;
  readonly abi: AbiName;
  /** The other side's ABI (usually the host's); undefined when nothing is compared. */
  readonly compareAbi: AbiName | undefined;
  /** Rust files that mirror a header (the host backend's structs), checked against it. */
  readonly mirrors: readonly MirrorConfig[];
  /** The trace decoder's sections; undefined when absent or unusable (a problem says why). */
  readonly command?: CommandProfileConfig;
  readonly fence?: FenceConfig;
  readonly ring?: RingProfileConfig;
  readonly resources?: ResourcesConfig;
}

export interface MirrorConfig {
  readonly path: ConfigEntry;
  /** The header it mirrors, as `headers` lists it; undefined: the first of `headers`. */
  readonly header: string | undefined;
  /** The ABI to compare on; undefined: `compareAbi` (the host's), else `abi`. */
  readonly abi: AbiName | undefined;
}

export interface ConfigProblem {
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly offset: number;
  readonly length: number;
}

export interface ParsedConfig {
  /** Undefined when the file has no usable `protocol` section. */
  readonly protocol: ProtocolConfig | undefined;
  /** The shared-memory rings to follow; undefined when the file has no usable `live` section. */
  readonly live: LiveConfig | undefined;
  /** What Deploy and Test builds, signs, deploys and tests; undefined when the file has no usable `driver` section. */
  readonly driver: DriverConfig | undefined;
  readonly problems: readonly ConfigProblem[];
}

interface Span {
  readonly offset: number;
  readonly length: number;
}

class Problems {
  readonly items: ConfigProblem[] = [];

  constructor(readonly text: string) {}

  error(message: string, at: Span): void {
    this.items.push({ severity: 'error', message, offset: at.offset, length: at.length });
  }

  warning(message: string, at: Span): void {
    this.items.push({ severity: 'warning', message, offset: at.offset, length: at.length });
  }
}

interface ProtocolDraft {
  headers: ConfigEntry[];
  includeDirs: ConfigEntry[];
  defines: Map<string, string | undefined>;
  abi: AbiName;
  compareAbi: AbiName | undefined;
  mirrors: MirrorConfig[];
  command?: CommandProfileConfig;
  fence?: FenceConfig;
  ring?: RingProfileConfig;
  resources?: ResourcesConfig;
}

type ProtocolPropertyReader = (value: JsonValue, draft: ProtocolDraft, problems: Problems) => void;

/**
 * Every property `protocol` may hold. This table and `protocol.properties` in
 * gpupv.schema.json are the one place new sections go (the trace decoder's `command`,
 * `fence` and `ring`); anything not listed is reported as unknown.
 */
const PROTOCOL_PROPERTIES = new Map<string, ProtocolPropertyReader>([
  ['headers', (value, draft, problems) => (draft.headers = readPathList('headers', value, problems))],
  ['includeDirs', (value, draft, problems) => (draft.includeDirs = readPathList('includeDirs', value, problems))],
  ['defines', (value, draft, problems) => (draft.defines = readDefines(value, problems))],
  ['abi', (value, draft, problems) => (draft.abi = readAbi('abi', value, problems) ?? DEFAULT_ABI)],
  ['compareAbi', (value, draft, problems) => (draft.compareAbi = value.kind === 'null' ? undefined : readAbi('compareAbi', value, problems))],
  ['mirrors', (value, draft, problems) => (draft.mirrors = readMirrors(value, problems))],
  ['command', (value, draft, problems) => (draft.command = readCommandSection(value, problems))],
  ['fence', (value, draft, problems) => (draft.fence = readFenceSection(value, problems))],
  ['ring', (value, draft, problems) => (draft.ring = readRingSection(value, problems))],
  ['resources', (value, draft, problems) => (draft.resources = readResourcesSection(value, problems))],
]);

/** The settings `protocol` holds, in the order the schema lists them. */
export const PROTOCOL_SETTINGS: readonly string[] = [...PROTOCOL_PROPERTIES.keys()];

export function parseProtocolConfig(text: string): ParsedConfig {
  const problems = new Problems(text);
  const parsed = parseJsonc(text);
  if (parsed.error) {
    problems.error(`${CONFIG_FILE_NAME} is not valid JSON: ${parsed.error.message}`, parsed.error);
    return { protocol: undefined, live: undefined, driver: undefined, problems: problems.items };
  }
  const root = parsed.value;
  if (root.kind !== 'object') {
    problems.error(`${CONFIG_FILE_NAME} must hold an object: { "protocol": { "headers": ["include/protocol.h"] } }`, root);
    return { protocol: undefined, live: undefined, driver: undefined, problems: problems.items };
  }
  let protocol: ProtocolConfig | undefined;
  let live: LiveConfig | undefined;
  let driver: DriverConfig | undefined;
  for (const property of root.properties) {
    if (property.key === 'protocol') protocol = readProtocol(property, problems);
    else if (property.key === 'live') live = readLiveSection(property.value, problems);
    else if (property.key === 'driver') driver = readDriverSection(property.value, problems);
    else if (property.key === '$schema') {
      if (property.value.kind !== 'string') problems.warning('"$schema" must be a string (the URL or path of a JSON schema)', property.value);
    } else problems.warning(`unknown property "${property.key}" (ignored); ${CONFIG_FILE_NAME} holds "protocol", "live", "driver" and "$schema"`, property.keySpan);
  }
  if (!root.properties.some((p) => p.key === 'protocol')) {
    problems.warning('no "protocol" section, so no header is analysed: add "protocol": { "headers": ["include/protocol.h"] }', { offset: root.offset, length: 1 });
  }
  return { protocol, live, driver, problems: problems.items };
}

function readProtocol(property: JsonProperty, problems: Problems): ProtocolConfig | undefined {
  const value = property.value;
  if (value.kind !== 'object') {
    problems.error('"protocol" must be an object: { "headers": ["include/protocol.h"], "abi": "msvc-x64" }', value);
    return undefined;
  }
  const draft: ProtocolDraft = { headers: [], includeDirs: [], defines: new Map(), abi: DEFAULT_ABI, compareAbi: undefined, mirrors: [] };
  for (const { key, keySpan, value: item } of value.properties) {
    const read = PROTOCOL_PROPERTIES.get(key);
    if (read) read(item, draft, problems);
    else problems.warning(`"protocol.${key}" is not a known setting (ignored); known: ${[...PROTOCOL_PROPERTIES.keys()].join(', ')}`, keySpan);
  }
  if (draft.headers.length === 0 && !problems.items.some((p) => p.severity === 'error')) {
    problems.warning('"protocol.headers" lists no header, so nothing is analysed', property.keySpan);
  }
  const compare = value.properties.find((p) => p.key === 'compareAbi');
  if (compare && draft.compareAbi === draft.abi) {
    problems.warning(`"protocol.compareAbi" is the same ABI as "protocol.abi" (${draft.abi}), so nothing is compared`, compare.value);
    draft.compareAbi = undefined;
  }
  for (const mirror of draft.mirrors) {
    if (mirror.header !== undefined && !draft.headers.some((h) => h.value === mirror.header)) {
      problems.warning(`"${mirror.header}" is not one of "protocol.headers", so ${mirror.path.value} is not checked: name one of them`, mirror.path);
    }
  }
  return {
    headers: draft.headers,
    includeDirs: draft.includeDirs,
    defines: Object.fromEntries(draft.defines),
    abi: draft.abi,
    compareAbi: draft.compareAbi,
    mirrors: draft.mirrors.filter((m) => m.header === undefined || draft.headers.some((h) => h.value === m.header)),
    ...(draft.command ? { command: draft.command } : {}),
    ...(draft.fence ? { fence: draft.fence } : {}),
    ...(draft.ring ? { ring: draft.ring } : {}),
    ...(draft.resources ? { resources: draft.resources } : {}),
  };
}

function readPathList(name: string, value: JsonValue, problems: Problems): ConfigEntry[] {
  if (value.kind !== 'array') {
    problems.error(`"protocol.${name}" must be an array of paths relative to the workspace folder`, value);
    return [];
  }
  const entries: ConfigEntry[] = [];
  for (const item of value.items) {
    if (item.kind !== 'string' || item.value.trim() === '') {
      problems.error(`each entry of "protocol.${name}" must be a path (a non-empty string)`, item);
    } else if (entries.some((e) => e.value === item.value)) {
      problems.warning(`"${item.value}" is listed twice in "protocol.${name}"`, item);
    } else {
      entries.push({ value: item.value, offset: item.offset, length: item.length });
    }
  }
  return entries;
}

/** `["host/src/protocol.rs", { "path": "...", "header": "include/p.h", "abi": "sysv-x86_64" }]` */
function readMirrors(value: JsonValue, problems: Problems): MirrorConfig[] {
  if (value.kind !== 'array') {
    problems.error('"protocol.mirrors" must be an array of Rust files (paths), or of { "path", "header", "abi" }', value);
    return [];
  }
  const mirrors: MirrorConfig[] = [];
  for (const item of value.items) {
    if (item.kind === 'string' && item.value.trim() !== '') {
      mirrors.push({ path: { value: item.value, offset: item.offset, length: item.length }, header: undefined, abi: undefined });
      continue;
    }
    if (item.kind !== 'object') {
      problems.error('each entry of "protocol.mirrors" must be a path or { "path": "host/src/protocol.rs" }', item);
      continue;
    }
    const path = item.properties.find((p) => p.key === 'path')?.value;
    if (path?.kind !== 'string' || path.value.trim() === '') {
      problems.error('a "protocol.mirrors" entry needs "path": the Rust file, relative to the workspace folder', item);
      continue;
    }
    let header: string | undefined;
    let abi: AbiName | undefined;
    for (const { key, keySpan, value: setting } of item.properties) {
      if (key === 'path') continue;
      if (key === 'header') {
        if (setting.kind === 'string' && setting.value.trim() !== '') header = setting.value;
        else problems.error('"header" must be one of the paths in "protocol.headers"', setting);
      } else if (key === 'abi') abi = readAbi('mirrors[].abi', setting, problems);
      else problems.warning(`"${key}" is not a setting of a mirror (ignored); known: path, header, abi`, keySpan);
    }
    mirrors.push({ path: { value: path.value, offset: path.offset, length: path.length }, header, abi });
  }
  return mirrors;
}

function readDefines(value: JsonValue, problems: Problems): Map<string, string | undefined> {
  const defines = new Map<string, string | undefined>();
  if (value.kind !== 'object') {
    problems.error('"protocol.defines" must be an object of macro names and values: { "PVGPU_DEBUG": 1 }', value);
    return defines;
  }
  for (const { key, keySpan, value: item } of value.properties) {
    if (!/^[A-Za-z_]\w*$/.test(key)) {
      problems.error(`"${key}" is not a C macro name`, keySpan);
    } else if (item.kind === 'string') {
      defines.set(key, item.value);
    } else if (item.kind === 'number') {
      // The number as written, so 18446744073709551615 keeps every digit.
      defines.set(key, problems.text.slice(item.offset, item.offset + item.length));
    } else if (item.kind === 'null') {
      defines.set(key, undefined);
    } else {
      problems.error(`"protocol.defines.${key}" must be a string, a number, or null (defined as 1, like -D${key})`, item);
    }
  }
  return defines;
}

function readAbi(name: string, value: JsonValue, problems: Problems): AbiName | undefined {
  if (value.kind === 'string' && isAbiName(value.value)) return value.value;
  const shown = value.kind === 'string' ? `"${value.value}"` : `a ${value.kind}`;
  problems.error(`"protocol.${name}" is ${shown}, not an ABI; use one of ${ABI_NAMES.join(', ')}`, value);
  return undefined;
}

/** The configuration with every path made absolute against the workspace folder. */
export interface ResolvedProtocolConfig {
  readonly headers: readonly { readonly path: string; readonly entry: ConfigEntry }[];
  readonly includeDirs: readonly string[];
  readonly defines: Readonly<Record<string, string | undefined>>;
  readonly abi: AbiName;
  readonly compareAbi: AbiName | undefined;
  readonly mirrors: readonly { readonly path: string; readonly header: string; readonly abi: AbiName; readonly entry: ConfigEntry }[];
  /** How commands are framed and which fence, as written (the editor writes commands from them). */
  readonly command?: CommandProfileConfig;
  readonly fence?: FenceConfig;
}

export function resolveProtocolConfig(config: ProtocolConfig, folderPath: string): ResolvedProtocolConfig {
  return {
    headers: config.headers.map((entry) => ({ path: resolve(folderPath, entry.value), entry })),
    includeDirs: config.includeDirs.map((entry) => resolve(folderPath, entry.value)),
    defines: config.defines,
    abi: config.abi,
    compareAbi: config.compareAbi,
    mirrors: config.headers.length === 0 ? [] : config.mirrors.map((m) => ({
      path: resolve(folderPath, m.path.value),
      header: resolve(folderPath, m.header ?? config.headers[0]!.value),
      abi: m.abi ?? config.compareAbi ?? config.abi,
      entry: m.path,
    })),
    ...(config.command ? { command: config.command } : {}),
    ...(config.fence ? { fence: config.fence } : {}),
  };
}
