import { OPCODE_GROUP, type FieldRef, type FilterRecord, type FilterScope, type FilterSymbol, type FilterValue } from '../filter/filterApi';
import { SymbolTable } from '../filter/symbolTable';
import type { HeaderAnalysis, RecordInfo } from '../headerAnalysis';
import { resolveTypedefs } from '../model/types';
import type { CommandProfile } from '../profile/commandProfile';
import { BUILTIN_ENUMS } from './builtinEnums';
import { fieldReader, type FieldReader } from './fieldReader';

// The commands' side of the filter language: which field paths exist (in any command's
// struct), what the header's constants are called, and how to read a field of one command
// straight from its bytes, so a filter runs over millions of commands without decoding them.
// A field reads as the decoder would show it: a command too short for its struct has only
// its header's fields, and an opcode without a struct has only those too.

export interface CommandFieldRef extends FieldRef {
  /** The full path in a decoded command (`hdr.resource_id` for a filter's `resource_id`). */
  readonly path: string;
  /** How to read it from a command of this opcode; undefined when such commands have no such field. */
  readerFor(opcode: number): FieldReader | undefined;
}

export class CommandFilterScope implements FilterScope<CommandFieldRef> {
  private readonly leaves = new Map<string, Omit<CommandFieldRef, 'readerFor' | 'path'> & { path: string }>();
  private readonly table: SymbolTable;
  private readonly opcodeSymbols: FilterSymbol[];
  private readonly headerMember: string;
  /** Per full path, per opcode: the reader (null: that opcode's commands lack the field). */
  private readonly readers = new Map<string, Map<number, FieldReader | null>>();

  constructor(
    private readonly analysis: HeaderAnalysis,
    private readonly profile: CommandProfile,
  ) {
    this.headerMember = profile.headerMember;
    const records: RecordInfo[] = [profile.header, ...new Set([...profile.opcodes.values()].flatMap((o) => (o.payload ? [o.payload] : [])))];
    for (const record of records) {
      // The header's own fields live under its member name in every decoded command.
      const prefix = record === profile.header ? `${profile.headerMember}.` : '';
      for (const leaf of record.fields) {
        const path = prefix + leaf.path;
        if (this.leaves.has(path)) continue;
        const type = resolveTypedefs(leaf.resolved);
        const kind = leaf.count !== undefined && type.kind === 'integer' && type.isChar ? 'bytes' : type.kind === 'float' ? 'float' : type.kind === 'integer' && type.isBool ? 'bool' : 'int';
        const group = type.kind === 'enum' ? (type.decl.displayName ?? undefined) : undefined;
        this.leaves.set(path, { path, kind, ...(type.kind === 'integer' ? { signed: type.signed, bits: type.size * 8 } : {}), ...(group ? { group } : {}) });
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

  field(path: string): CommandFieldRef | undefined {
    const exact = this.leaves.get(path) ?? this.leaves.get(path.replace(/\[\d+\]/g, '[0]'));
    if (exact) return this.ref({ ...exact, path });
    // An element of an array of scalars (`rtv_ids[3]`, `ranges[2][1]`): the leaf is the whole array.
    const element = /^(.*?)(?:\[\d+\])+$/.exec(path);
    const array = element ? this.leaves.get(element[1]!.replace(/\[\d+\]/g, '[0]')) : undefined;
    if (array && array.kind !== 'bytes') return this.ref({ ...array, path });
    // A bare name is first the command header's field (`resource_id` -> `hdr.resource_id`),
    // which every command has, else the one nested field it ends.
    const inHeader = this.leaves.get(`${this.headerMember}.${path}`);
    if (inHeader) return this.ref(inHeader);
    const endings = [...this.leaves.values()].filter((f) => f.path.endsWith(`.${path}`));
    return endings.length === 1 ? this.ref(endings[0]!) : undefined;
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

  /** Every field path a filter may name, for completion: full paths, header fields also bare. */
  fieldPaths(): string[] {
    return [...this.leaves.keys()];
  }

  /** Whether the decoder decodes a command of this opcode and size whole (else it is an error row). */
  decodable(opcode: number, size: number): boolean {
    const info = this.profile.opcodes.get(BigInt(opcode));
    return info !== undefined && size >= (info.payload ?? this.profile.header).size;
  }

  private ref(leaf: Omit<CommandFieldRef, 'readerFor'>): CommandFieldRef {
    let cache = this.readers.get(leaf.path);
    if (!cache) {
      cache = new Map();
      this.readers.set(leaf.path, cache);
    }
    const byOpcode = cache;
    return {
      ...leaf,
      readerFor: (opcode) => {
        let reader = byOpcode.get(opcode);
        if (reader === undefined) {
          reader = this.resolve(leaf.path, opcode) ?? null;
          byOpcode.set(opcode, reader);
        }
        return reader ?? undefined;
      },
    };
  }

  private resolve(path: string, opcode: number): FieldReader | undefined {
    const engine = this.analysis.layoutEngine;
    const header = this.profile.header;
    const headerPrefix = `${this.headerMember}.`;
    if (path.startsWith(headerPrefix)) {
      // Every command starts with the header: its fields read the same whatever the opcode.
      const read = fieldReader(engine, header.decl, path.slice(headerPrefix.length));
      return read && sized(read, header.size);
    }
    const payload = this.profile.opcodes.get(BigInt(opcode))?.payload;
    if (!payload) return undefined;
    const read = fieldReader(engine, payload.decl, path);
    return read && sized(read, payload.size);
  }
}

/** The decoder decodes nothing beyond the header of a command shorter than its struct. */
function sized(read: FieldReader, minimum: number): FieldReader {
  return (view, base, end) => (end - base >= minimum ? read(view, base, end) : undefined);
}

/** One command as a filter reads it, refilled for every command (nothing allocated per command). */
export class CommandFilterRecord implements FilterRecord<CommandFieldRef> {
  view = new DataView<ArrayBufferLike>(new ArrayBuffer(0));
  base = 0;
  end = 0;
  opcode = 0;
  size = 0;
  seq = 0;
  time: number | bigint = 0;
  error = false;
  recovered = false;

  /** Where the command sat in the ring; looked up only when a filter names `offset`. */
  constructor(private readonly offsetOf: (seq: number) => number | bigint) {}

  get offset(): number | bigint {
    return this.offsetOf(this.seq);
  }

  get(field: CommandFieldRef): FilterValue {
    return field.readerFor(this.opcode)?.(this.view, this.base, this.end);
  }
}
