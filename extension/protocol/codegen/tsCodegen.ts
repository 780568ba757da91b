import { basename } from 'node:path';
import type { HeaderAnalysis } from '../headerAnalysis';
import type { RecordLayout } from '../layout/recordLayout';
import { resolveTypedefs, type CType, type RecordDecl } from '../model/types';
import type { CommandProfile } from '../profile/commandProfile';

// The header as TypeScript for tools on the host side (a test harness, a web viewer): an
// interface per record, and a codec per record that reads it from and writes it to a
// DataView at the header's offsets on the chosen ABI, in the header's byte order. Integers
// of 64 bits are bigint, so nothing is rounded; char arrays are bytes. With a profile, every
// command gets a `read`/`write` pair that checks and sets its opcode and size fields. The
// DataView is the caller's: a ring's wrap is the caller's to split. Pure.

export function tsCodecs(analysis: HeaderAnalysis, header: string, profile: CommandProfile | undefined): string {
  return new TsWriter(analysis).write(header, profile);
}

interface Accessor {
  readonly type: string;
  readonly read: (at: string) => string;
  readonly write: (at: string, value: string) => string;
}

class TsWriter {
  private readonly lines: string[] = [];
  private readonly names = new Map<RecordDecl, string>();
  private readonly written = new Set<RecordDecl>();

  constructor(private readonly analysis: HeaderAnalysis) {}

  write(header: string, profile: CommandProfile | undefined): string {
    const a = this.analysis;
    this.lines.push(`// Readers and writers for ${basename(header)} on ${a.abi}, written by \`gpupv codegen --lang ts\`. Offsets are the header's on that ABI.`, '');
    for (const [name, value] of a.constants) {
      if (typeof value !== 'bigint' || a.constantLocations.get(name)?.file === '<built-in>' || !/^[A-Za-z_$][\w$]*$/.test(name)) continue;
      this.lines.push(`export const ${name} = ${value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? String(value) : `${value}n`};`);
    }
    this.lines.push('');
    for (const record of a.records) if (!record.decl.nested) this.record(record.decl, record.name);
    if (profile) this.commands(profile);
    return `${this.lines.join('\n')}\n`;
  }

  private record(decl: RecordDecl, name: string): void {
    if (this.written.has(decl) || !/^[A-Za-z_$][\w$]*$/.test(name)) return;
    this.written.add(decl);
    this.names.set(decl, name);
    let layout: RecordLayout;
    try {
      layout = this.analysis.layoutEngine.layoutOf(decl);
    } catch {
      return;
    }
    if (layout.members.some((m) => m.member.bitWidth !== undefined)) {
      this.lines.push(`// ${name} has bit-fields: not written here.`, '');
      return;
    }
    for (const m of layout.members) {
      const inner = innerRecord(m.member.type);
      if (inner && !this.written.has(inner)) this.record(inner, inner.typedefNames[0] ?? inner.tag ?? `${name}_${m.member.name ?? 'anonymous'}`);
    }
    const union = decl.kind === 'union';
    const members = layout.members.map((m, index) => ({ name: m.member.name ?? `anonymous${index}`, offset: m.offset, accessor: this.accessor(m.member.type) }));
    if (members.some((m) => !m.accessor)) {
      this.lines.push(`// ${name} has a member of a type without a fixed size: not written here.`, '');
      return;
    }
    this.lines.push(`export interface ${name} {`);
    for (const m of members) this.lines.push(`  ${m.name}${union ? '?' : ''}: ${m.accessor!.type};`);
    this.lines.push('}', `export const ${name} = {`, `  size: ${layout.size},`, `  read(view: DataView, at: number): ${name} {`, '    return {');
    for (const m of members) this.lines.push(`      ${m.name}: ${m.accessor!.read(`at + ${m.offset}`)},`);
    this.lines.push('    };', '  },', `  write(view: DataView, at: number, value: ${name}): void {`);
    // A union writes the members the value has, first to last: the last one wins where they overlap, as in C.
    for (const m of members) {
      if (union) this.lines.push(`    if (value.${m.name} !== undefined) ${m.accessor!.write(`at + ${m.offset}`, `value.${m.name}`)};`);
      else this.lines.push(`    ${m.accessor!.write(`at + ${m.offset}`, `value.${m.name}`)};`);
    }
    this.lines.push('  },', '};', '');
  }

  private accessor(type: CType): Accessor | undefined {
    const t = resolveTypedefs(type);
    switch (t.kind) {
      case 'integer': {
        const little = t.byteOrder === 'little';
        if (t.isBool) return { type: 'boolean', read: (at) => `view.getUint8(${at}) !== 0`, write: (at, v) => `view.setUint8(${at}, ${v} ? 1 : 0)` };
        if (t.size === 8) {
          const method = t.signed ? 'BigInt64' : 'BigUint64';
          return { type: 'bigint', read: (at) => `view.get${method}(${at}, ${little})`, write: (at, v) => `view.set${method}(${at}, ${v}, ${little})` };
        }
        if (t.size !== 1 && t.size !== 2 && t.size !== 4) return undefined;
        const method = `${t.signed ? 'Int' : 'Uint'}${t.size * 8}`;
        const order = t.size === 1 ? '' : `, ${little}`;
        return { type: 'number', read: (at) => `view.get${method}(${at}${order})`, write: (at, v) => `view.set${method}(${at}, ${v}${order})` };
      }
      case 'enum': {
        const storage = this.analysis.layoutEngine.enumType(t.decl);
        const method = `${storage.signed ? 'Int' : 'Uint'}${storage.size * 8}`;
        if (storage.size === 8) return { type: 'bigint', read: (at) => `view.get${storage.signed ? 'BigInt64' : 'BigUint64'}(${at}, true)`, write: (at, v) => `view.set${storage.signed ? 'BigInt64' : 'BigUint64'}(${at}, ${v}, true)` };
        return { type: 'number', read: (at) => `view.get${method}(${at}, true)`, write: (at, v) => `view.set${method}(${at}, ${v}, true)` };
      }
      case 'float':
        if (t.size !== 4 && t.size !== 8) return undefined;
        return { type: 'number', read: (at) => `view.getFloat${t.size * 8}(${at}, true)`, write: (at, v) => `view.setFloat${t.size * 8}(${at}, ${v}, true)` };
      case 'pointer':
        return { type: 'bigint', read: (at) => `view.getBigUint64(${at}, true)`, write: (at, v) => `view.setBigUint64(${at}, ${v}, true)` };
      case 'array': {
        // A flexible array member's bytes follow the struct: the caller reads them.
        if (t.length === undefined || t.length === 0) return { type: '[]', read: () => '[]', write: () => 'void 0' };
        const element = this.accessor(t.element);
        const size = this.analysis.layoutEngine.sizeOf(t.element);
        if (!element || size === undefined) return undefined;
        const length = t.length;
        return {
          type: `${element.type.includes(' ') ? `(${element.type})` : element.type}[]`,
          read: (at) => `Array.from({ length: ${length} }, (_, i) => ${element.read(`${at} + i * ${size}`)})`,
          write: (at, v) => `${v}.slice(0, ${length}).forEach((e, i) => ${element.write(`${at} + i * ${size}`, 'e')})`,
        };
      }
      case 'record': {
        const name = this.names.get(t.decl);
        if (!name) return undefined;
        return { type: name, read: (at) => `${name}.read(view, ${at})`, write: (at, v) => `${name}.write(view, ${at}, ${v})` };
      }
      default:
        return undefined;
    }
  }

  private commands(profile: CommandProfile): void {
    const header = profile.header;
    const opcodeField = header.fields.find((f) => f.offset === profile.framing.opcode.offset && f.size === profile.framing.opcode.size);
    const sizeField = profile.framing.size && header.fields.find((f) => f.offset === profile.framing.size!.offset && f.size === profile.framing.size!.size);
    // Set by spreading the header's fields: the opcode and size fields must be its own, not nested.
    if (!opcodeField || opcodeField.path.includes('.') || sizeField?.path.includes('.') || !this.names.has(header.decl)) return;
    const number = (value: bigint | number, size: number) => (size === 8 ? `${value}n` : String(value));
    this.lines.push('/** Every command by opcode: its struct\u2019s codec, whose `write` sets the opcode and size fields and `read` checks them. */');
    this.lines.push('export const COMMANDS = {');
    for (const opcode of profile.opcodes.values()) {
      const record = opcode.payload ?? header;
      const codec = this.names.get(record.decl);
      if (!codec) continue;
      const path = opcode.payload ? `${profile.headerMember}.` : '';
      const size = number(profile.framing.size?.includesHeader === false ? record.size - header.size : record.size, sizeField?.size ?? 4);
      const value = number(opcode.value, opcodeField.size);
      this.lines.push(
        `  ${opcode.shortName.replace(/\W/g, '_')}: {`,
        `    opcode: ${value},`,
        `    write(view: DataView, at: number, value: ${codec}): number {`,
        `      ${codec}.write(view, at, value);`,
        `      ${header.name}.write(view, at, { ...value${path ? `.${profile.headerMember}` : ''}, ${opcodeField.path}: ${value}${sizeField ? `, ${sizeField.path}: ${size}` : ''} });`,
        `      return ${record.size};`,
        '    },',
        `    /** The command at \`at\` if it is this opcode and long enough, else undefined. */`,
        `    read(view: DataView, at: number): ${codec} | undefined {`,
        `      const head = ${header.name}.read(view, at);`,
        `      if (head.${opcodeField.path} !== ${value}${sizeField ? ` || head.${sizeField.path} < ${size}` : ''} || at + ${record.size} > view.byteLength) return undefined;`,
        `      return ${codec}.read(view, at);`,
        '    },',
        '  },',
      );
    }
    this.lines.push('} as const;', '');
  }
}

function innerRecord(type: CType): RecordDecl | undefined {
  let t = resolveTypedefs(type);
  while (t.kind === 'array') t = resolveTypedefs(t.element);
  return t.kind === 'record' && t.decl.complete ? t.decl : undefined;
}
