import { basename } from 'node:path';
import type { HeaderAnalysis } from '../headerAnalysis';
import type { RecordLayout } from '../layout/recordLayout';
import { resolveTypedefs, type CType, type EnumDecl, type RecordDecl } from '../model/types';

// The header as Rust for the host side: `#[repr(C)]` structs and unions with the header's
// names, its integer macros as `const`s, its enums as `#[repr(uN)]` enums with a checked
// conversion from the wire integer, and for every record compile-time assertions of its
// size, alignment and field offsets on the chosen ABI, so rustc refuses a mirror that has
// drifted. Fields keep the header's integer types even where the header means an enum:
// a Rust enum read from shared memory with a value it does not list is undefined behaviour,
// so the enum is what `TryFrom` gives, never what the guest wrote. Pure.

const RUST_KEYWORDS = new Set(
  'as async await break const continue crate dyn else enum extern false fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait true type unsafe use where while abstract become box do final macro override priv typeof unsized virtual yield try gen'.split(' '),
);

/** A Rust identifier for a C name: raw when it is a Rust keyword. */
export function rustIdentifier(name: string): string {
  return RUST_KEYWORDS.has(name) && name !== 'self' && name !== 'Self' && name !== 'crate' && name !== 'super' ? `r#${name}` : name;
}

export function rustMirror(analysis: HeaderAnalysis, header: string): string {
  return new RustWriter(analysis).write(header);
}

class RustWriter {
  private readonly lines: string[] = [];
  /** Names given to records nested without a name of their own: `PvgpuControlRegion` member `display` -> `PvgpuControlRegionDisplay`. */
  private readonly nestedNames = new Map<RecordDecl, string>();
  private readonly written = new Set<RecordDecl>();

  constructor(private readonly analysis: HeaderAnalysis) {}

  write(header: string): string {
    const a = this.analysis;
    this.lines.push(
      `//! The layout of ${basename(header)} on ${a.abi}, written by \`gpupv codegen --lang rust\`.`,
      '//! Every record is checked at compile time against the header\u2019s layout: `cargo build` fails when they part ways.',
      '#![allow(non_camel_case_types, non_snake_case, non_upper_case_globals, dead_code, clippy::all)]',
      '',
    );
    this.constants();
    for (const e of a.enums) this.enumeration(e.decl, e.name);
    for (const record of a.records) if (!record.decl.nested) this.record(record.decl, record.name);
    return `${this.lines.join('\n')}\n`;
  }

  private constants(): void {
    const a = this.analysis;
    const written: string[] = [];
    for (const [name, value] of a.constants) {
      if (typeof value !== 'bigint' || a.constantLocations.get(name)?.file === '<built-in>') continue;
      const type = a.constantTypes.get(name);
      written.push(`pub const ${rustIdentifier(name)}: ${type ? `${type.unsigned ? 'u' : 'i'}${type.bits}` : integerTypeFor(value)} = ${literal(value)};`);
    }
    if (written.length) this.lines.push(...written, '');
  }

  private enumeration(decl: EnumDecl, name: string): void {
    const constants = decl.constants ?? [];
    if (constants.length === 0 || !/^[A-Za-z_]\w*$/.test(name)) return;
    const storage = this.analysis.layoutEngine.enumType(decl);
    const repr = `${storage.signed ? 'i' : 'u'}${storage.size * 8}`;
    const prefix = commonPrefix(constants.map((c) => c.name));
    const variants = new Map<bigint, string>();
    this.lines.push(`/// ${name} as the header defines it; read it from the wire with \`${name}::try_from(raw)\`.`, `#[repr(${repr})]`, '#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]', `pub enum ${name} {`);
    for (const c of constants) {
      // C lets two constants share a value; a Rust enum does not, so the later ones are consts.
      if (variants.has(c.value)) continue;
      const variant = variantName(c.name.slice(prefix.length) || c.name);
      variants.set(c.value, variant);
      this.lines.push(`    ${variant} = ${literal(c.value)},`);
    }
    this.lines.push('}', '', `impl TryFrom<${repr}> for ${name} {`, `    type Error = ${repr};`, `    fn try_from(raw: ${repr}) -> Result<Self, ${repr}> {`, '        match raw {');
    for (const [value, variant] of variants) this.lines.push(`            ${literal(value)} => Ok(Self::${variant}),`);
    this.lines.push('            other => Err(other),', '        }', '    }', '}', '');
  }

  private record(decl: RecordDecl, name: string): void {
    if (this.written.has(decl)) return;
    this.written.add(decl);
    const engine = this.analysis.layoutEngine;
    let layout: RecordLayout;
    try {
      layout = engine.layoutOf(decl);
    } catch {
      return; // the header's diagnostics say why
    }
    if (layout.members.some((m) => m.member.bitWidth !== undefined)) {
      this.lines.push(`// ${name} has bit-fields, which Rust does not have: mirror it by hand (its storage units are integers).`, '');
      return;
    }
    // Records used inside this one come first, named if the header left them unnamed.
    for (const m of layout.members) {
      const inner = recordInside(m.member.type);
      if (inner && !this.written.has(inner)) this.record(inner, this.recordName(inner, name, m.member.name ?? 'anonymous'));
    }
    const hints = ['C'];
    // `packed(N)` with N at least every field's alignment changes nothing, as `#pragma pack` does not.
    if (decl.packedAttribute) hints.push('packed');
    else if (decl.pack !== undefined) hints.push(`packed(${decl.pack})`);
    if (decl.alignAttribute !== undefined) hints.push(`align(${decl.alignAttribute})`);
    this.lines.push(`#[repr(${hints.join(', ')})]`, '#[derive(Clone, Copy)]', `pub ${decl.kind} ${name} {`);
    const offsets: [string, number][] = [];
    let anonymous = 0;
    for (const m of layout.members) {
      const field = m.member.name ?? `anonymous${anonymous++}`;
      const comment = m.member.comment ? ` // ${m.member.comment.replace(/^\/\*\s*|\s*\*\/$/g, '').replace(/^\/\/\s*/, '')}` : '';
      this.lines.push(`    pub ${rustIdentifier(field)}: ${this.typeOf(m.member.type, name, field)},${comment}`);
      offsets.push([rustIdentifier(field), m.offset]);
    }
    this.lines.push('}', `const _: () = assert!(core::mem::size_of::<${name}>() == ${layout.size});`, `const _: () = assert!(core::mem::align_of::<${name}>() == ${layout.align});`);
    for (const [field, offset] of offsets) this.lines.push(`const _: () = assert!(core::mem::offset_of!(${name}, ${field}) == ${offset});`);
    this.lines.push('');
  }

  private recordName(decl: RecordDecl, outer: string, member: string): string {
    const known = decl.typedefNames[0] ?? decl.tag ?? this.nestedNames.get(decl);
    if (known) return known;
    const name = `${outer}${member.replace(/(^|_)(\w)/g, (_, __, c: string) => c.toUpperCase())}`;
    this.nestedNames.set(decl, name);
    return name;
  }

  private typeOf(type: CType, outer: string, member: string): string {
    const resolved = resolveTypedefs(type);
    switch (resolved.kind) {
      case 'integer':
        if (resolved.isBool) return 'bool';
        return `${resolved.signed ? 'i' : 'u'}${resolved.size * 8}`;
      case 'float':
        return resolved.size === 4 ? 'f32' : resolved.size === 8 ? 'f64' : `[u8; ${resolved.size}]`;
      case 'pointer':
        return '*mut core::ffi::c_void';
      case 'array':
        return `[${this.typeOf(resolved.element, outer, member)}; ${resolved.length ?? 0}]`;
      case 'record':
        return this.recordName(resolved.decl, outer, member);
      case 'enum': {
        const storage = this.analysis.layoutEngine.enumType(resolved.decl);
        return `${storage.signed ? 'i' : 'u'}${storage.size * 8}`;
      }
      case 'void':
      case 'function':
        return '()';
    }
  }
}

function recordInside(type: CType): RecordDecl | undefined {
  let t = resolveTypedefs(type);
  while (t.kind === 'array') t = resolveTypedefs(t.element);
  return t.kind === 'record' ? t.decl : undefined;
}

function integerTypeFor(value: bigint): string {
  if (value >= 0n) return value <= 0xffffffffn ? 'u32' : 'u64';
  return value >= -0x80000000n ? 'i32' : 'i64';
}

function literal(value: bigint): string {
  return value > 9n ? `0x${value.toString(16).toUpperCase()}` : String(value);
}

/** The prefix every name shares, cut back to an underscore: `PVGPU_TOPOLOGY_`. */
function commonPrefix(names: readonly string[]): string {
  if (names.length < 2) return '';
  let prefix = names[0]!;
  for (const name of names) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  const cut = prefix.lastIndexOf('_');
  return cut < 0 ? '' : prefix.slice(0, cut + 1);
}

/** `TEXTURE2D` -> `Texture2d`, `DEVICE_LOST` -> `DeviceLost`; a leading digit gets a `V`. */
function variantName(rest: string): string {
  const camel = rest
    .toLowerCase()
    .split('_')
    .filter((w) => w)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
  return /^\d/.test(camel) ? `V${camel}` : camel || 'Zero';
}
