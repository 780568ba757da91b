import { OPCODE_GROUP, type FieldRef, type FilterRecord, type FilterScope, type FilterSymbol, type FilterValue } from '../filter/filterApi';
import { SymbolTable } from '../filter/symbolTable';
import type { HeaderAnalysis, RecordInfo } from '../headerAnalysis';
import { resolveTypedefs } from '../model/types';
import type { CommandProfile } from '../profile/commandProfile';
import { BUILTIN_ENUMS } from './builtinEnums';
import { lookup, type DecodedCommand } from './commandDecoder';

// The decoder's side of the filter language: which field paths exist (in any command's
// struct), what the header's constants are called, and how to read a field from one
// decoded command.

export interface DecodedFieldRef extends FieldRef {
  /** The full path in the decoded object (`hdr.resource_id` for a filter's `resource_id`). */
  readonly path: string;
}

export interface DecodedRecordContext {
  readonly seq: number;
  readonly offset: number | bigint;
  readonly time: number | bigint;
  readonly recovered: boolean;
}

export class DecodedFilterScope implements FilterScope<DecodedFieldRef> {
  private readonly leaves = new Map<string, DecodedFieldRef>();
  private readonly table: SymbolTable;
  private readonly opcodeSymbols: FilterSymbol[];

  private readonly headerMember: string;

  constructor(analysis: HeaderAnalysis, profile: CommandProfile) {
    this.headerMember = profile.headerMember;
    const records: RecordInfo[] = [profile.header, ...new Set([...profile.opcodes.values()].flatMap((o) => (o.payload ? [o.payload] : [])))];
    for (const record of records) {
      // The header's own fields live under its member name in every decoded command.
      const prefix = record === profile.header ? `${profile.headerMember}.` : '';
      for (const leaf of record.fields) {
        const field = { ...leaf, path: prefix + leaf.path };
        if (this.leaves.has(field.path)) continue;
        const type = resolveTypedefs(field.resolved);
        const kind = field.count !== undefined && type.kind === 'integer' && type.isChar ? 'bytes' : type.kind === 'float' ? 'float' : type.kind === 'integer' && type.isBool ? 'bool' : 'int';
        const group = type.kind === 'enum' ? (type.decl.displayName ?? undefined) : undefined;
        this.leaves.set(field.path, { path: field.path, kind, ...(type.kind === 'integer' ? { signed: type.signed, bits: type.size * 8 } : {}), ...(group ? { group } : {}) });
      }
    }
    this.opcodeSymbols = [...profile.opcodes.values()].map((o) => ({ name: o.shortName, value: o.value, group: OPCODE_GROUP }));
    const constants: FilterSymbol[] = [...analysis.constants].flatMap(([name, value]) => (typeof value === 'bigint' ? [{ name, value }] : []));
    const enumerators: FilterSymbol[] = [
      ...analysis.enums.flatMap((e) => [...e.values].map(([name, value]) => ({ name, value, group: e.name }))),
      ...BUILTIN_ENUMS.flatMap((e) => e.values.map(([name, value]) => ({ name, value, group: e.name }))),
    ];
    this.table = new SymbolTable([...this.opcodeSymbols, ...[...profile.opcodes.values()].map((o) => ({ name: o.name, value: o.value, group: OPCODE_GROUP })), ...enumerators, ...constants]);
  }

  field(path: string): DecodedFieldRef | undefined {
    const exact = this.leaves.get(path) ?? this.leaves.get(path.replace(/\[\d+\]/g, '[0]'));
    if (exact) return path === exact.path ? exact : { ...exact, path };
    // A bare name is first the command header's field (`resource_id` -> `hdr.resource_id`),
    // which every command has, else the one nested field it ends.
    const inHeader = this.leaves.get(`${this.headerMember}.${path}`);
    if (inHeader) return inHeader;
    const endings = [...this.leaves.values()].filter((f) => f.path.endsWith(`.${path}`));
    return endings.length === 1 ? { ...endings[0]!, path: endings[0]!.path } : undefined;
  }

  symbols(name: string): readonly FilterSymbol[] {
    return this.table.lookup(name);
  }

  opcodes(): readonly FilterSymbol[] {
    return this.opcodeSymbols;
  }

  names(): Iterable<string> {
    return [...this.leaves.keys(), ...this.table.names()];
  }
}

/** One decoded command as a filter reads it. */
export function filterRecord(command: DecodedCommand, context: DecodedRecordContext): FilterRecord<DecodedFieldRef> {
  return {
    get: (field: DecodedFieldRef): FilterValue => {
      const value = lookup(command.fields, field.path);
      if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return value;
      if (Array.isArray(value) && field.kind === 'bytes') return Uint8Array.from(value.map((v) => Number(v)));
      return undefined;
    },
    opcode: command.opcode,
    size: command.size,
    offset: context.offset,
    seq: context.seq,
    time: context.time,
    error: command.error !== undefined,
    recovered: context.recovered,
  };
}
