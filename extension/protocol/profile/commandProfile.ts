import type { HeaderAnalysis, RecordInfo } from '../headerAnalysis';
import type { LeafField } from '../layout/flatten';
import { resolveTypedefs } from '../model/types';
import { meaningOfAnnotation } from '../decode/fieldMeaning';
import type { IntegerField, RecordFraming } from '../ring/recordFraming';

// Ties a protocol header to the ring it describes: which struct every command starts with,
// which of its fields say "what" and "how long", which opcode values exist and which
// payload struct each one uses. What cannot be resolved exactly is reported, with the
// gpupv.json property to fix, instead of guessed silently.

export interface CommandProfileConfig {
  readonly header: string;
  readonly opcodeField: string;
  /** Omitted when each record's length comes from framing (a virtio buffer, a capture packet). */
  readonly sizeField?: string;
  readonly sizeIncludesHeader?: boolean;
  readonly opcodes: { readonly macroPrefix: string } | { readonly enum: string };
  readonly payloads?: { readonly structPrefix?: string; readonly map?: Readonly<Record<string, string>> };
  readonly recordAlignment?: number;
  /** Field meanings the header does not give: field path (or name) -> `EnumName`, `PREFIX_* flags`, `DXGI_FORMAT`. */
  readonly meanings?: Readonly<Record<string, string>>;
}

export interface ProfileDiagnostic {
  readonly severity: 'error' | 'warning' | 'info';
  readonly message: string;
  /** The gpupv.json property it is about, e.g. `protocol.command.opcodeField`. */
  readonly property: string;
}

export type PayloadMatch = 'map' | 'convention' | 'near' | 'none';

export interface OpcodeInfo {
  readonly value: bigint;
  /** The macro or enum constant name, e.g. `PVGPU_CMD_DRAW_INDEXED`. */
  readonly name: string;
  /** The name without the family prefix, e.g. `DRAW_INDEXED`. */
  readonly shortName: string;
  readonly payload: RecordInfo | undefined;
  readonly match: PayloadMatch;
}

export interface CommandProfile {
  readonly header: RecordInfo;
  readonly framing: RecordFraming;
  readonly opcodes: ReadonlyMap<bigint, OpcodeInfo>;
  /** The opcode family's prefix, stripped for short names (`PVGPU_CMD_`). */
  readonly opcodePrefix: string;
  /**
   * The name payload structs give the embedded header (`hdr`), so header fields have one
   * path in every command (`hdr.size`), whether or not its opcode has a payload struct.
   */
  readonly headerMember: string;
  /** The profile's field meanings, as configured. */
  readonly meanings: Readonly<Record<string, string>>;
}

export function resolveCommandProfile(analysis: HeaderAnalysis, config: CommandProfileConfig): { profile?: CommandProfile; diagnostics: ProfileDiagnostic[] } {
  const diagnostics: ProfileDiagnostic[] = [];
  const report = (severity: ProfileDiagnostic['severity'], message: string, property: string) => diagnostics.push({ severity, message, property });
  const header = findRecord(analysis, config.header);
  if (!header) {
    report('error', `no struct or union named "${config.header}" in the protocol header${suggest(config.header, analysis.records.map((r) => r.name))}`, 'protocol.command.header');
    return { diagnostics };
  }
  const opcode = integerField(header, config.opcodeField, 'protocol.command.opcodeField', report);
  const size = config.sizeField === undefined ? undefined : integerField(header, config.sizeField, 'protocol.command.sizeField', report);
  if (!opcode || (config.sizeField !== undefined && !size)) return { diagnostics };

  const alignment = config.recordAlignment ?? 1;
  if (!Number.isInteger(alignment) || alignment < 1 || alignment > 4096 || (alignment & (alignment - 1)) !== 0) {
    report('error', `recordAlignment must be a power of two from 1 to 4096, not ${alignment}`, 'protocol.command.recordAlignment');
    return { diagnostics };
  }
  const framing: RecordFraming = {
    headerSize: header.size,
    opcode,
    ...(size ? { size: { ...size, includesHeader: config.sizeIncludesHeader ?? true } } : {}),
    alignment,
  };

  const family = opcodeFamily(analysis, config, report);
  const candidates = family.constants.map(({ name, value }) => {
    const shortName = name.startsWith(family.prefix) ? name.slice(family.prefix.length) : name;
    return { name, value, shortName, ...payloadFor(analysis, config, name, shortName, header) };
  });
  const excluded = flagFamilies(candidates);
  for (const [subPrefix, names] of excluded) {
    report('info', `${family.prefix}${subPrefix}* (${names.join(', ')}) look like flags, not opcodes: no payload struct matches any of them; excluded`, 'protocol.command.opcodes');
  }
  const opcodes = new Map<bigint, OpcodeInfo>();
  // Opcodes with a payload first, so a flag or mask that shares a value never names an opcode.
  const ordered = candidates.filter((c) => !excluded.has(subFamily(c.shortName))).sort((a, b) => Number(b.match !== 'none') - Number(a.match !== 'none'));
  for (const c of ordered) {
    const existing = opcodes.get(c.value);
    if (existing) {
      report('warning', `${c.name} has the same value (${c.value}) as ${existing.name}; ${existing.name} is used`, 'protocol.command.opcodes');
      continue;
    }
    for (const note of c.notes) report(note.severity, note.message, note.property);
    opcodes.set(c.value, { value: c.value, name: c.name, shortName: c.shortName, payload: c.payload, match: c.match });
  }
  if (opcodes.size === 0) report('error', 'no opcode values found: check protocol.command.opcodes', 'protocol.command.opcodes');
  for (const [path, annotation] of Object.entries(config.meanings ?? {})) {
    if (!meaningOfAnnotation(analysis, annotation)) report('error', `"${annotation}" names no enum, macro family or built-in table (try an enum name, "PREFIX_* flags" or DXGI_FORMAT)`, `protocol.command.meanings.${path}`);
  }
  return { profile: { header, framing, opcodes, opcodePrefix: family.prefix, headerMember: embeddedHeaderName(header, opcodes), meanings: config.meanings ?? {} }, diagnostics };
}

/** The member name payload structs most often give the header they start with; `header` if none embeds it. */
function embeddedHeaderName(header: RecordInfo, opcodes: ReadonlyMap<bigint, OpcodeInfo>): string {
  const counts = new Map<string, number>();
  for (const { payload } of opcodes.values()) {
    const first = payload?.layout.members[0];
    const type = first ? resolveTypedefs(first.member.type) : undefined;
    if (first?.member.name && first.offset === 0 && type?.kind === 'record' && type.decl === header.decl) counts.set(first.member.name, (counts.get(first.member.name) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'header';
}

/**
 * The header field naming the object a command acts on (`resource_id`, `handle`, `ctx_id`):
 * the viewer's resource column, the simulator's varied id. Undefined when the header has none.
 */
export function objectIdField(profile: CommandProfile): LeafField | undefined {
  const { framing } = profile;
  return profile.header.fields.find((f) => /resource|handle|ctx|context/i.test(f.path) && f.size <= 4 && f.bitWidth === undefined && f.offset !== framing.opcode.offset && f.offset !== framing.size?.offset);
}

export function findRecord(analysis: HeaderAnalysis, name: string): RecordInfo | undefined {
  return analysis.records.find((r) => r.name === name || r.tag === name || r.typedefNames.includes(name) || r.name === `struct ${name}` || r.name === `union ${name}`);
}

function integerField(record: RecordInfo, path: string, property: string, report: (s: ProfileDiagnostic['severity'], m: string, p: string) => void): IntegerField | undefined {
  const field = record.fields.find((f) => f.path === path);
  if (!field) {
    report('error', `${record.name} has no field "${path}"${suggest(path, record.fields.map((f) => f.path))}`, property);
    return undefined;
  }
  const type = resolveTypedefs(field.resolved);
  const size = type.kind === 'integer' ? type.size : type.kind === 'enum' ? field.size : 0;
  if (field.bitWidth !== undefined || ![1, 2, 4, 8].includes(size) || field.count !== undefined) {
    report('error', `${record.name}.${path} must be a plain unsigned integer field, not ${field.type}${field.bitWidth !== undefined ? ` : ${field.bitWidth}` : ''}`, property);
    return undefined;
  }
  return { offset: field.offset, size, byteOrder: type.kind === 'integer' ? type.byteOrder : 'little' };
}

interface OpcodeFamily {
  readonly prefix: string;
  readonly constants: readonly { name: string; value: bigint }[];
}

function opcodeFamily(analysis: HeaderAnalysis, config: CommandProfileConfig, report: (s: ProfileDiagnostic['severity'], m: string, p: string) => void): OpcodeFamily {
  if ('enum' in config.opcodes) {
    const wanted = config.opcodes.enum;
    const found = analysis.enums.find((e) => e.name === wanted || e.decl.tag === wanted || e.decl.typedefNames.includes(wanted) || e.name === `enum ${wanted}`);
    if (!found) {
      report('error', `no enum named "${wanted}"${suggest(wanted, analysis.enums.map((e) => e.name))}`, 'protocol.command.opcodes.enum');
      return { prefix: '', constants: [] };
    }
    const constants = [...found.values].map(([name, value]) => ({ name, value }));
    return { prefix: commonPrefix(constants.map((c) => c.name)), constants };
  }
  const prefix = config.opcodes.macroPrefix;
  const constants: { name: string; value: bigint }[] = [];
  for (const [name, value] of analysis.constants) {
    if (name.startsWith(prefix) && typeof value === 'bigint') constants.push({ name, value });
  }
  return { prefix, constants };
}

/** `MY_CMD_DRAW_INDEXED` -> the struct the profile's map, the naming convention or a unique near match names. */
function payloadFor(analysis: HeaderAnalysis, config: CommandProfileConfig, name: string, shortName: string, header: RecordInfo): { payload: RecordInfo | undefined; match: PayloadMatch; notes: ProfileDiagnostic[] } {
  const property = `protocol.command.payloads.map.${name}`;
  const mapped = config.payloads?.map?.[name] ?? config.payloads?.map?.[shortName];
  if (mapped !== undefined) {
    const record = findRecord(analysis, mapped);
    const notes: ProfileDiagnostic[] = record ? [] : [{ severity: 'error', message: `protocol.command.payloads.map names "${mapped}" for ${name}, but there is no such struct`, property }];
    return { payload: record, match: record ? 'map' : 'none', notes };
  }
  const prefix = config.payloads?.structPrefix ?? '';
  const conventional = [prefix + pascalCase(shortName), prefix + shortName.toLowerCase()];
  const exact = conventional.map((n) => findRecord(analysis, n)).find((r) => r !== undefined);
  if (exact) return { payload: exact, match: 'convention', notes: [] };
  const wanted = normalise(shortName);
  const near = analysis.records.filter((r) => r !== header && r.name.startsWith(prefix) && nearlyEqual(normalise(r.name.slice(prefix.length)), wanted));
  if (near.length === 1) {
    return { payload: near[0], match: 'near', notes: [{ severity: 'info', message: `${name} decodes with ${near[0]!.name} (a near match of ${conventional[0]!}); confirm it in protocol.command.payloads.map`, property }] };
  }
  const choices = near.length > 1 ? ` (${near.map((c) => c.name).join(', ')} all come close)` : '';
  return { payload: undefined, match: 'none', notes: [{ severity: 'warning', message: `no payload struct for ${name}: expected ${conventional[0]!}${choices}; its commands show the header and raw bytes until protocol.command.payloads.map names one`, property }] };
}

/** `FLAG_SYNC` -> `FLAG_`: the word after the family prefix. */
function subFamily(shortName: string): string {
  const at = shortName.indexOf('_');
  return at < 0 ? shortName : shortName.slice(0, at + 1);
}

/**
 * Sub-families such as `PVGPU_CMD_FLAG_*` share the opcode prefix but are flags: two or
 * more names, none with a payload struct, while the family has opcodes that do have one.
 */
function flagFamilies(candidates: readonly { shortName: string; match: PayloadMatch }[]): Map<string, string[]> {
  const groups = new Map<string, { names: string[]; matched: boolean }>();
  for (const c of candidates) {
    const key = subFamily(c.shortName);
    const group = groups.get(key) ?? { names: [], matched: false };
    group.names.push(c.shortName);
    group.matched ||= c.match !== 'none';
    groups.set(key, group);
  }
  const anyMatched = candidates.some((c) => c.match !== 'none');
  const excluded = new Map<string, string[]>();
  for (const [key, group] of groups) if (anyMatched && !group.matched && group.names.length >= 2 && key.endsWith('_')) excluded.set(key, group.names);
  return excluded;
}

function pascalCase(shortName: string): string {
  return shortName
    .toLowerCase()
    .split('_')
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * Equal but for a plural `s`, a `state` suffix, or a leading `cmd` on either side:
 * SET_SAMPLERS ~ SetSamplerState, CMD_RESOURCE_CREATE_2D ~ resource_create_2d.
 */
function nearlyEqual(a: string, b: string): boolean {
  const variants = (name: string) => {
    const x = name.replace(/^(cmd|command)/, '');
    const base = x.replace(/state$/, '');
    return new Set([x, base, base.replace(/s$/, ''), x.replace(/s$/, '')]);
  };
  const left = variants(a);
  return [...variants(b)].some((v) => v.length > 0 && left.has(v));
}

function commonPrefix(names: readonly string[]): string {
  if (names.length < 2) return '';
  let prefix = names[0]!;
  for (const name of names) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix.slice(0, prefix.lastIndexOf('_') + 1);
}

/** ` (did you mean "x"?)` for the closest name by edit distance, when one is close. */
export function suggest(wanted: string, names: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(wanted.length / 3)) + 1;
  for (const name of names) {
    const distance = editDistance(wanted.toLowerCase(), name.toLowerCase());
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best ? ` (did you mean "${best}"?)` : '';
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 8) return Math.abs(a.length - b.length);
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

