import type { CommandProfileConfig } from '../profile/commandProfile';
import type { ResourceKindConfig, ResourcesConfig } from '../profile/resourceProfile';
import type { RingProfileConfig } from '../profile/ringProfile';
import type { JsonValue } from './jsonc';

// The trace decoder's sections of gpupv.json: `protocol.command`, `protocol.fence`,
// `protocol.ring` and `protocol.resources`. Checked by shape here (names that must exist in the header are checked
// later, against the header, by the profile resolvers). Pure: no `vscode` import.

export interface FenceConfig {
  readonly opcode: string;
  readonly valueField: string;
}

export interface SectionProblems {
  error(message: string, at: { offset: number; length: number }): void;
}

type Kind = 'string' | 'boolean' | 'integer' | 'integerOrName' | 'object' | 'array' | 'pointers';

interface PropertySpec {
  readonly kind: Kind;
  readonly required?: boolean;
}

const COMMAND: Readonly<Record<string, PropertySpec>> = {
  header: { kind: 'string', required: true },
  opcodeField: { kind: 'string', required: true },
  sizeField: { kind: 'string' },
  sizeIncludesHeader: { kind: 'boolean' },
  recordAlignment: { kind: 'integer' },
  opcodes: { kind: 'object', required: true },
  payloads: { kind: 'object' },
  meanings: { kind: 'object' },
};

const FENCE: Readonly<Record<string, PropertySpec>> = {
  opcode: { kind: 'string', required: true },
  valueField: { kind: 'string', required: true },
};

const RING: Readonly<Record<string, PropertySpec>> = {
  control: { kind: 'string', required: true },
  producerField: { kind: 'string', required: true },
  consumerField: { kind: 'string', required: true },
  ringOffsetField: { kind: 'string' },
  ringOffset: { kind: 'integer' },
  ringSizeField: { kind: 'string' },
  ringSize: { kind: 'integer' },
  pointers: { kind: 'pointers' },
  completedFenceField: { kind: 'string' },
  magicField: { kind: 'string' },
  magic: { kind: 'integerOrName' },
};

const RESOURCES: Readonly<Record<string, PropertySpec>> = {
  invalidIds: { kind: 'array' },
  kinds: { kind: 'array', required: true },
};

const RESOURCE_KIND: Readonly<Record<string, PropertySpec>> = {
  name: { kind: 'string', required: true },
  create: { kind: 'object', required: true },
  destroy: { kind: 'object', required: true },
  uses: { kind: 'array' },
};

export function readCommandSection(value: JsonValue, problems: SectionProblems): CommandProfileConfig | undefined {
  const read = readSection('command', value, COMMAND, problems);
  if (!read) return undefined;
  const opcodes = readOpcodes(read.opcodes as JsonValue, problems);
  const payloads = read.payloads === undefined ? undefined : readPayloads(read.payloads as JsonValue, problems);
  const meanings = read.meanings === undefined ? undefined : readStringMap('protocol.command.meanings', read.meanings as JsonValue, problems);
  if (!opcodes) return undefined;
  return { ...(read as unknown as CommandProfileConfig), opcodes, ...(payloads ? { payloads } : {}), ...(meanings ? { meanings } : {}) };
}

export function readFenceSection(value: JsonValue, problems: SectionProblems): FenceConfig | undefined {
  return readSection('fence', value, FENCE, problems) as FenceConfig | undefined;
}

export function readRingSection(value: JsonValue, problems: SectionProblems): RingProfileConfig | undefined {
  const ring = readSection('ring', value, RING, problems) as RingProfileConfig | undefined;
  if (!ring || value.kind !== 'object') return ring;
  for (const [field, number] of [['ringOffsetField', 'ringOffset'], ['ringSizeField', 'ringSize']] as const) {
    if ((ring[field] === undefined) === (ring[number] === undefined)) {
      problems.error(`"protocol.ring" needs exactly one of "${field}" (a field of the control region) and "${number}" (a number)`, value);
      return undefined;
    }
  }
  if ((ring.magicField === undefined) !== (ring.magic === undefined)) {
    const [given, missing] = ring.magic === undefined ? ['magicField', 'magic'] : ['magic', 'magicField'];
    const at = value.properties.find((p) => p.key === given)!;
    problems.error(`"protocol.ring.${given}" needs "protocol.ring.${missing}" beside it: the control region's magic field and the value it holds`, at.keySpan);
    return undefined;
  }
  return ring;
}

/** The section's plain values by its spec; `object` properties come back as JSON for their own readers. */
function readSection(name: string, value: JsonValue, spec: Readonly<Record<string, PropertySpec>>, problems: SectionProblems): Record<string, unknown> | undefined {
  if (value.kind !== 'object') {
    problems.error(`"protocol.${name}" must be an object`, value);
    return undefined;
  }
  const result: Record<string, unknown> = {};
  let ok = true;
  for (const { key, keySpan, value: item } of value.properties) {
    const property = spec[key];
    if (!property) {
      problems.error(`"protocol.${name}.${key}" is not a known setting; known: ${Object.keys(spec).join(', ')}`, keySpan);
      ok = false;
      continue;
    }
    const read = readValue(property.kind, item);
    if (read === undefined) {
      problems.error(`"protocol.${name}.${key}" must be ${describeKind(property.kind)}`, item);
      ok = false;
    } else {
      result[key] = read;
    }
  }
  for (const [key, property] of Object.entries(spec)) {
    if (property.required && !value.properties.some((p) => p.key === key)) {
      problems.error(`"protocol.${name}" needs "${key}"`, value);
      ok = false;
    }
  }
  return ok ? result : undefined;
}

function readValue(kind: Kind, value: JsonValue): unknown {
  switch (kind) {
    case 'string':
      return value.kind === 'string' && value.value.trim() !== '' ? value.value : undefined;
    case 'boolean':
      return value.kind === 'boolean' ? value.value : undefined;
    case 'integer':
      return value.kind === 'number' && Number.isSafeInteger(value.value) && value.value >= 0 ? value.value : undefined;
    case 'integerOrName':
      // A magic above 2^53 cannot be a JSON number; it can be written as "0x..." text.
      if (value.kind === 'number') return Number.isSafeInteger(value.value) && value.value >= 0 ? value.value : undefined;
      return value.kind === 'string' && /^(?:[A-Za-z_]\w*|0[xX][0-9a-fA-F]+|\d+)$/.test(value.value) ? value.value : undefined;
    case 'pointers':
      return value.kind === 'string' && (value.value === 'monotonic' || value.value === 'wrapped') ? value.value : undefined;
    case 'object':
      return value.kind === 'object' ? value : undefined;
    case 'array':
      return value.kind === 'array' ? value : undefined;
  }
}

function describeKind(kind: Kind): string {
  return {
    string: 'a non-empty string',
    boolean: 'true or false',
    integer: 'a whole number of 0 or more',
    integerOrName: 'a whole number of 0 or more ("0x50564750" as text for values above 2^53), or the name of a macro or enum constant of the header such as "PVGPU_MAGIC"',
    pointers: '"monotonic" or "wrapped"',
    object: 'an object',
    array: 'an array',
  }[kind];
}

function readOpcodes(value: JsonValue, problems: SectionProblems): CommandProfileConfig['opcodes'] | undefined {
  if (value.kind === 'object' && value.properties.length === 1) {
    const [only] = value.properties;
    if (only?.value.kind === 'string' && only.value.value.trim() !== '') {
      if (only.key === 'macroPrefix') return { macroPrefix: only.value.value };
      if (only.key === 'enum') return { enum: only.value.value };
    }
  }
  problems.error('"protocol.command.opcodes" must be { "macroPrefix": "MY_CMD_" } or { "enum": "my_cmd_type" }', value);
  return undefined;
}

function readStringMap(name: string, value: JsonValue, problems: SectionProblems): Record<string, string> {
  const map: Record<string, string> = {};
  if (value.kind !== 'object') return map;
  for (const entry of value.properties) {
    if (entry.value.kind === 'string' && entry.value.value.trim() !== '') map[entry.key] = entry.value.value;
    else problems.error(`"${name}.${entry.key}" must be a string`, entry.value);
  }
  return map;
}

function readPayloads(value: JsonValue, problems: SectionProblems): CommandProfileConfig['payloads'] | undefined {
  if (value.kind !== 'object') {
    problems.error('"protocol.command.payloads" must be an object: { "structPrefix": "MyCmd", "map": { "MY_CMD_X": "MyCmdX" } }', value);
    return undefined;
  }
  let structPrefix: string | undefined;
  const map: Record<string, string> = {};
  for (const { key, keySpan, value: item } of value.properties) {
    if (key === 'structPrefix' && item.kind === 'string') structPrefix = item.value;
    else if (key === 'map' && item.kind === 'object') {
      for (const entry of item.properties) {
        if (entry.value.kind === 'string' && entry.value.value.trim() !== '') map[entry.key] = entry.value.value;
        else problems.error(`"protocol.command.payloads.map.${entry.key}" must name a struct`, entry.value);
      }
    } else problems.error(`"protocol.command.payloads.${key}" is not a known setting (structPrefix: a string, map: an object)`, keySpan);
  }
  return { ...(structPrefix !== undefined ? { structPrefix } : {}), ...(Object.keys(map).length ? { map } : {}) };
}

/** `protocol.resources`; a kind with a mistake is left out (and said so), the others kept. */
export function readResourcesSection(value: JsonValue, problems: SectionProblems): ResourcesConfig | undefined {
  const read = readSection('resources', value, RESOURCES, problems);
  if (!read) return undefined;
  const invalidIds: (string | number)[] = [];
  for (const item of (read.invalidIds as JsonValue & { kind: 'array' } | undefined)?.items ?? []) {
    if (item.kind === 'string' && item.value.trim() !== '') invalidIds.push(item.value);
    else if (item.kind === 'number' && Number.isSafeInteger(item.value) && item.value >= 0) invalidIds.push(item.value);
    else problems.error('each entry of "protocol.resources.invalidIds" must be a constant of the header (PVGPU_INVALID_ID) or a whole number', item);
  }
  const kinds: ResourceKindConfig[] = [];
  (read.kinds as JsonValue & { kind: 'array' }).items.forEach((item, i) => {
    const kind = readResourceKind(`protocol.resources.kinds[${i}]`, item, problems);
    if (!kind) return;
    const name = item.kind === 'object' ? item.properties.find((p) => p.key === 'name')!.value : item;
    if (kinds.some((k) => k.name === kind.name)) problems.error(`"protocol.resources.kinds[${i}].name": "${kind.name}" names another kind already`, name);
    else kinds.push(kind);
  });
  return { ...(read.invalidIds ? { invalidIds } : {}), kinds };
}

function readResourceKind(name: string, value: JsonValue, problems: SectionProblems): ResourceKindConfig | undefined {
  const read = readSection(name.slice('protocol.'.length), value, RESOURCE_KIND, problems);
  if (!read) return undefined;
  let ok = true;
  const lifecycle = (role: 'create' | 'destroy') => {
    const map = readStringMap(`${name}.${role}`, read[role] as JsonValue, problems);
    if (Object.keys(map).length === 0) {
      problems.error(`"${name}.${role}" must map at least one opcode to the field holding the id: { "MY_CMD_${role.toUpperCase()}_X": "x_id" }`, read[role] as JsonValue);
      ok = false;
    }
    return map;
  };
  const create = lifecycle('create');
  const destroy = lifecycle('destroy');
  const uses: string[] = [];
  for (const item of (read.uses as JsonValue & { kind: 'array' } | undefined)?.items ?? []) {
    if (item.kind === 'string' && item.value.trim() !== '') uses.push(item.value);
    else {
      problems.error(`each entry of "${name}.uses" must be a field path (src_resource_id, rtv_ids[num_rtvs], buffers[].resource_id)`, item);
      ok = false;
    }
  }
  return ok ? { name: read.name as string, create, destroy, ...(read.uses ? { uses } : {}) } : undefined;
}
