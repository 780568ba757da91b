import type { HeaderAnalysis, RecordInfo } from '../headerAnalysis';
import { fieldMeanings, type Meaning } from '../decode/fieldMeaning';
import type { LayoutEngine } from '../layout/recordLayout';
import { resolveTypedefs, type CType, type RecordDecl } from '../model/types';
import type { CommandProfile, OpcodeInfo } from '../profile/commandProfile';
import type { FenceProfile } from '../profile/fenceProfile';

// A ring command written out in C from the header: the opcode's payload struct as a
// designated initializer, every field in the header's order under the header's names, the
// opcode and size fields set from the profile (`sizeof`, less the header when the size
// excludes it, plus the trailing data of a flexible array), the fence value of the fence
// command named, and every other field a placeholder (an enum's or flag set's names offered
// as choices). Produced as VS Code snippet text, whose placeholders' defaults make it C
// that compiles. Pure.

export interface CommandInitializer {
  /** The struct the command is written as. */
  readonly struct: string;
  /** VS Code snippet syntax (`${1:0}`); its defaults alone are C that compiles. */
  readonly snippet: string;
}

/** `text` with the characters a snippet gives meaning to escaped. */
function literal(text: string): string {
  return text.replace(/[$}\\]/g, (c) => `\\${c}`);
}

export function commandInitializer(analysis: HeaderAnalysis, profile: CommandProfile, fence: FenceProfile | undefined, opcode: OpcodeInfo): CommandInitializer {
  return new InitializerWriter(analysis, profile, fence, opcode).write();
}

class InitializerWriter {
  private stop = 1;
  private readonly lines: string[] = [];
  private readonly record: RecordInfo;
  private readonly meanings: Map<string, Meaning>;
  private readonly engine: LayoutEngine;
  /** The names the header defines: macros and enum constants. */
  private readonly defined: Set<string>;

  constructor(
    analysis: HeaderAnalysis,
    private readonly profile: CommandProfile,
    private readonly fence: FenceProfile | undefined,
    private readonly opcode: OpcodeInfo,
  ) {
    this.record = opcode.payload ?? profile.header;
    this.meanings = fieldMeanings(analysis, this.record, profile.meanings);
    this.engine = analysis.layoutEngine;
    this.defined = new Set([...analysis.constants.keys(), ...analysis.enums.flatMap((e) => [...e.values.keys()])]);
  }

  write(): CommandInitializer {
    const name = this.record.name;
    this.lines.push(`${literal(name)} \${${this.stop++}:cmd} = {`);
    this.members(this.record.decl, '', this.opcode.payload === undefined, 1);
    this.lines.push('};');
    return { struct: name, snippet: `${this.lines.join('\n')}\n$0` };
  }

  /** The members of `decl` at `depth`; `path` is their dotted prefix in the command (as field paths spell it); `inHeader`: `decl` is the command header. */
  private members(decl: RecordDecl, path: string, inHeader: boolean, depth: number): void {
    const members = this.engine.layoutOf(decl).members;
    // One member of a union is initialized: the first, which a reader of the C sees first too.
    const shown = decl.kind === 'union' ? members.slice(0, 1) : members;
    for (const m of shown) {
      const member = m.member;
      if (member.bitWidth !== undefined && member.name === undefined) continue;
      const indent = '    '.repeat(depth);
      if (member.name === undefined) {
        // An anonymous struct or union: C11 designates its members as if they were ours.
        const inner = resolveTypedefs(member.type);
        if (inner.kind === 'record') this.members(inner.decl, path, false, depth);
        continue;
      }
      const fieldPath = `${path}${member.name}`;
      const designator = `${indent}.${member.name} = `;
      const inner = resolveTypedefs(member.type);
      // The embedded command header, or the header itself for an opcode without a payload.
      const isHeader = this.opcode.payload !== undefined && depth === 1 && member.name === this.profile.headerMember;
      if (inner.kind === 'record' && inner.decl.complete) {
        this.lines.push(`${designator}{`);
        this.members(inner.decl, `${fieldPath}.`, isHeader, depth + 1);
        this.lines.push(`${indent}},`);
        continue;
      }
      const framing = inHeader ? this.framingValue(m.offset) : undefined;
      if (framing !== undefined) {
        this.lines.push(`${designator}${framing},`);
        continue;
      }
      if (inner.kind === 'array') {
        // A flexible array member takes no initializer: its bytes follow the struct (see the size).
        if (inner.length === undefined || inner.length === 0) continue;
        // `T x[A][B]` takes one brace per dimension around its first element.
        let element = resolveTypedefs(inner.element);
        let braces = 1;
        while (element.kind === 'array') {
          element = resolveTypedefs(element.element);
          braces++;
        }
        if (braces > 1) this.lines.push(`${designator}${'{ '.repeat(braces)}${this.placeholder(element, fieldPath)}${' }'.repeat(braces)},`);
        else if (element.kind === 'integer' && element.isChar) this.lines.push(`${designator}\${${this.stop++}:""},`);
        else if (element.kind === 'record' && element.decl.complete) {
          this.lines.push(`${designator}{ {`);
          this.members(element.decl, `${fieldPath}[0].`, false, depth + 1);
          this.lines.push(`${indent}} },`);
        } else this.lines.push(`${designator}{ ${this.placeholder(element, fieldPath)} },`);
        continue;
      }
      this.lines.push(`${designator}${this.placeholder(member.type, fieldPath)},`);
    }
  }

  /** The opcode or size field, by its offset in the header; undefined for the header's other fields. */
  private framingValue(offsetInHeader: number): string | undefined {
    const framing = this.profile.framing;
    if (offsetInHeader === framing.opcode.offset) return literal(this.opcode.name);
    if (offsetInHeader === framing.size?.offset) {
      const struct = literal(this.record.name);
      const header = framing.size.includesHeader ? '' : ` - sizeof(${literal(this.profile.header.name)})`;
      const trailing = hasFlexibleArray(this.record.decl) ? ` + \${${this.stop++}:0 /* bytes that follow */}` : '';
      return `sizeof(${struct})${header}${trailing}`;
    }
    return undefined;
  }

  private placeholder(type: CType, fieldPath: string): string {
    const resolved = resolveTypedefs(type);
    if (this.opcode.value === this.fence?.opcode.value && this.isFenceValue(fieldPath)) return `\${${this.stop++}:fence_value}`;
    const meaning = this.meanings.get(fieldPath);
    // Names are offered only where the header defines them (D3D11 and DXGI names the engine knows may not be in scope).
    if (meaning?.kind === 'enum' && meaning.names.size > 0 && meaning.names.size <= 64 && [...meaning.names.values()].every((n) => this.defined.has(n))) {
      return `\${${this.stop++}|${[...meaning.names.values()].map((n) => n.replace(/[|,$}\\]/g, (c) => `\\${c}`)).join(',')}|}`;
    }
    if (meaning?.kind === 'enum' && meaning.names.size > 0) return `\${${this.stop++}:0 /* ${literal([...meaning.names.values()].slice(0, 6).join(', '))}${meaning.names.size > 6 ? ', \u2026' : ''} */}`;
    if (meaning?.kind === 'flags' && meaning.bits.length > 0) return `\${${this.stop++}:0 /* ${literal(meaning.bits.map(([, n]) => n).join(' | '))} */}`;
    if (resolved.kind === 'float') return `\${${this.stop++}:0.0f}`;
    if (resolved.kind === 'pointer') return `\${${this.stop++}:NULL}`;
    return `\${${this.stop++}:0}`;
  }

  private isFenceValue(fieldPath: string): boolean {
    const field = this.record.fields.find((f) => f.path === fieldPath);
    return field?.offset === this.fence!.value.offset && field.size === this.fence!.value.size;
  }
}

function hasFlexibleArray(decl: RecordDecl): boolean {
  const last = decl.members?.at(-1);
  if (!last) return false;
  const type = resolveTypedefs(last.type);
  return type.kind === 'array' && (type.length === undefined || type.length === 0);
}
