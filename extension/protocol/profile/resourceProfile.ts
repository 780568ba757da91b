import type { HeaderAnalysis, RecordInfo } from '../headerAnalysis';
import type { LeafField } from '../layout/flatten';
import { resolveTypedefs } from '../model/types';
import { isPlainInteger } from './inference/names';
import { suggest, type CommandProfile, type OpcodeInfo, type ProfileDiagnostic } from './commandProfile';

// The objects a protocol creates and destroys by id (`protocol.resources`): for each kind,
// which opcodes create and destroy one and which field carries its id there, and which
// fields of other commands name one. Resolved here against the header once, into the paths
// a command's fields are read by, so the lifetime analysis only reads numbers.
//
// A use is a field path as a decoded command has it: `src_resource_id`, `hdr.resource_id`
// (every command has the header), `rtv_ids[]` (each element), `rtv_ids[num_rtvs]` (the
// first num_rtvs elements), `buffers[num_buffers].resource_id` (a field of each element).

export interface ResourceKindConfig {
  readonly name: string;
  /** Opcode name (with or without its prefix) -> the field holding the id it creates. */
  readonly create: Readonly<Record<string, string>>;
  readonly destroy: Readonly<Record<string, string>>;
  readonly uses?: readonly string[];
}

export interface ResourcesConfig {
  /** Ids that mean "none" (`PVGPU_INVALID_ID`, or a number): never tracked. */
  readonly invalidIds?: readonly (string | number)[];
  readonly kinds: readonly ResourceKindConfig[];
}

export interface IdField {
  /** The field as gpupv.json names it. */
  readonly field: string;
  /** The full path of each id it holds: one for a scalar, one per element of an array. */
  readonly paths: readonly string[];
  /** The field saying how many of `paths` (the first ones) are in use. */
  readonly countPath?: string;
}

export interface ResourceKind {
  readonly name: string;
  /** Per opcode value, the id its commands create or destroy. */
  readonly creates: ReadonlyMap<bigint, IdField>;
  readonly destroys: ReadonlyMap<bigint, IdField>;
  /** Per opcode value, the fields naming an object of this kind (a create's or destroy's own id excluded). */
  readonly uses: ReadonlyMap<bigint, readonly IdField[]>;
}

export interface ResourceProfile {
  readonly kinds: readonly ResourceKind[];
  readonly invalidIds: readonly bigint[];
  /** Where the kinds come from: gpupv.json, or inferred from the header because gpupv.json has none. */
  readonly origin: 'gpupv.json' | 'header';
}

export function resolveResourceProfile(analysis: HeaderAnalysis, command: CommandProfile, config: ResourcesConfig, origin: ResourceProfile['origin']): { profile?: ResourceProfile; diagnostics: ProfileDiagnostic[] } {
  const diagnostics: ProfileDiagnostic[] = [];
  const error = (message: string, property: string) => diagnostics.push({ severity: 'error', message, property });
  const invalidIds: bigint[] = [];
  (config.invalidIds ?? []).forEach((entry, i) => {
    const value = typeof entry === 'number' ? BigInt(entry) : analysis.constants.get(entry);
    if (typeof value === 'bigint') invalidIds.push(value);
    else error(`no integer constant named "${entry}" in the header${suggest(String(entry), [...analysis.constants.keys()])}`, `protocol.resources.invalidIds[${i}]`);
  });
  const fields = new CommandFields(command);
  const kinds = config.kinds.map((kind, k) => resolveKind(kind, `protocol.resources.kinds[${k}]`, command, fields, error));
  if (diagnostics.length > 0) return { diagnostics };
  return { profile: { kinds, invalidIds, origin }, diagnostics };
}

function resolveKind(config: ResourceKindConfig, property: string, command: CommandProfile, fields: CommandFields, error: (message: string, property: string) => void): ResourceKind {
  const lifecycle = (role: 'create' | 'destroy') => {
    const map = new Map<bigint, IdField>();
    for (const [name, field] of Object.entries(config[role])) {
      const at = `${property}.${role}.${name}`;
      const opcode = findOpcode(command, name);
      if (!opcode) {
        error(`no opcode named "${name}"${suggest(name, [...command.opcodes.values()].map((o) => o.name))}`, at);
        continue;
      }
      const leaf = fields.leaf(opcode, field);
      const record = fields.recordOf(opcode).name;
      if (!leaf) {
        error(`${record} has no field "${field}"${suggestPath(field, fields.paths(opcode))}`, at);
        continue;
      }
      if (!isPlainInteger(leaf)) {
        error(`${record}.${field} must be a plain integer field (one id), not ${leaf.type}${leaf.count !== undefined ? ' array' : ''}`, at);
        continue;
      }
      map.set(opcode.value, { field, paths: [field] });
    }
    return map;
  };
  const creates = lifecycle('create');
  const destroys = lifecycle('destroy');
  const uses = new Map<bigint, IdField[]>();
  (config.uses ?? []).forEach((written, u) => {
    const at = `${property}.uses[${u}]`;
    const pattern = parseUse(written);
    if (!pattern) {
      error(`"${written}" is not a field path: write name, name[], name[count_field] or name[].field`, at);
      return;
    }
    let found = false;
    for (const opcode of command.opcodes.values()) {
      const slots = fields.slots(opcode, pattern, written);
      if (typeof slots === 'string') {
        error(slots, at);
        return;
      }
      if (!slots) continue;
      found = true;
      // The id a create or destroy is about is not a use of it.
      if (creates.get(opcode.value)?.field === written || destroys.get(opcode.value)?.field === written) continue;
      uses.set(opcode.value, [...(uses.get(opcode.value) ?? []), slots]);
    }
    if (!found) error(`no command has a field "${written}"${suggestPath(pattern.array, fields.allPaths())}`, at);
  });
  return { name: config.name, creates, destroys, uses };
}

/** The path that ends in the name written (`hdr.resource_id` for `resource_id`), else the closest one. */
function suggestPath(wanted: string, paths: readonly string[]): string {
  const ending = paths.filter((p) => p.endsWith(`.${wanted}`));
  return ending.length === 1 ? ` (did you mean "${ending[0]!}"?)` : suggest(wanted, paths);
}

export function findOpcode(command: CommandProfile, name: string): OpcodeInfo | undefined {
  for (const opcode of command.opcodes.values()) if (opcode.name === name || opcode.shortName === name) return opcode;
  return undefined;
}

interface UsePattern {
  /** The scalar field, or the array (`rtv_ids`, `buffers`). */
  readonly array: string;
  readonly element: boolean;
  /** After the element (`.resource_id` of `buffers[].resource_id`). */
  readonly rest: string;
  readonly count?: string;
}

function parseUse(written: string): UsePattern | undefined {
  const match = /^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?:\[([A-Za-z_][\w.]*)?\]((?:\.[A-Za-z_]\w*)*))?$/.exec(written);
  if (!match) return undefined;
  const [, array, count, rest] = match;
  const element = written.includes('[');
  return { array: array!, element, rest: rest ?? '', ...(count ? { count } : {}) };
}

/** An array of scalars is one leaf the size of the whole array; an array of structs has element-sized leaves. */
function isIntegerElement(leaf: LeafField): boolean {
  const kind = resolveTypedefs(leaf.resolved).kind;
  const size = leaf.dimensions ? leaf.size / leaf.count! : leaf.size;
  return (kind === 'integer' || kind === 'enum') && leaf.bitWidth === undefined && [1, 2, 4, 8].includes(size);
}

/** The leaf fields of each opcode's commands, with the paths a decoded command gives them. */
class CommandFields {
  private readonly byRecord = new Map<RecordInfo, Map<string, LeafField>>();

  constructor(private readonly command: CommandProfile) {}

  recordOf(opcode: OpcodeInfo): RecordInfo {
    return opcode.payload ?? this.command.header;
  }

  leaf(opcode: OpcodeInfo, path: string): LeafField | undefined {
    return this.leaves(opcode).get(path);
  }

  paths(opcode: OpcodeInfo): string[] {
    return [...this.leaves(opcode).keys()];
  }

  allPaths(): string[] {
    return [...new Set([...this.command.opcodes.values()].flatMap((o) => this.paths(o)))];
  }

  /** Where `pattern` puts ids in this opcode's commands; undefined when they lack it, a message when it cannot be read. */
  slots(opcode: OpcodeInfo, pattern: UsePattern, written: string): IdField | string | undefined {
    const record = this.recordOf(opcode);
    if (!pattern.element) {
      const leaf = this.leaf(opcode, pattern.array);
      if (!leaf) return undefined;
      if (!isPlainInteger(leaf)) return `${record.name}.${pattern.array} holds ${leaf.count !== undefined ? `an array: write ${pattern.array}[]` : `a ${leaf.type}, not an id`}`;
      return { field: written, paths: [pattern.array] };
    }
    // An array of scalars is one leaf; an array of structs has its fields at element 0.
    const leaf = this.leaf(opcode, pattern.rest ? `${pattern.array}[0]${pattern.rest}` : pattern.array);
    if (!leaf) return undefined;
    const length = leaf.count ?? 0;
    if ((leaf.dimensions?.length ?? 1) !== 1 || length === 0 || !isIntegerElement(leaf)) {
      return `${record.name}.${pattern.array} must be a fixed-length array of integer ids${pattern.rest ? ` (or of structs with an integer ${pattern.rest.slice(1)})` : ''}`;
    }
    if (pattern.count) {
      const count = this.leaf(opcode, pattern.count);
      if (!count || !isPlainInteger(count)) return `${record.name} has ${pattern.array} but no integer field "${pattern.count}" saying how many are in use`;
    }
    const paths = Array.from({ length }, (_, i) => `${pattern.array}[${i}]${pattern.rest}`);
    return { field: written, paths, ...(pattern.count ? { countPath: pattern.count } : {}) };
  }

  private leaves(opcode: OpcodeInfo): Map<string, LeafField> {
    const record = this.recordOf(opcode);
    let leaves = this.byRecord.get(record);
    if (!leaves) {
      // A command without a payload struct is its header, whose fields a decoded command puts under the header's member name.
      const prefix = record === this.command.header ? `${this.command.headerMember}.` : '';
      leaves = new Map(record.fields.map((f) => [prefix + f.path, f]));
      this.byRecord.set(record, leaves);
    }
    return leaves;
  }
}
