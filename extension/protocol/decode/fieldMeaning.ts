import type { HeaderAnalysis, RecordInfo } from '../headerAnalysis';
import type { LeafField } from '../layout/flatten';
import { resolveTypedefs } from '../model/types';
import { builtinEnum } from './builtinEnums';

// What a field's number means: what the profile says (`protocol.command.meanings`), else
// its enum type, else the enum type or macro family its trailing comment names
// (`/* PvgpuResourceType */`, `/* MY_BIND_* flags */`, `/* DXGI_FORMAT */`).

export type Meaning = { readonly kind: 'enum'; readonly names: ReadonlyMap<bigint, string> } | { readonly kind: 'flags'; readonly bits: readonly (readonly [bigint, string])[] };

/**
 * The meaning of each leaf field of a record that has one, by field path. `overrides` are
 * the profile's: field path (or its last name) -> an annotation as a comment would give it.
 */
export function fieldMeanings(analysis: HeaderAnalysis, record: RecordInfo, overrides: Readonly<Record<string, string>> = {}): Map<string, Meaning> {
  const meanings = new Map<string, Meaning>();
  for (const field of record.fields) {
    const override = overrides[field.path] ?? overrides[field.path.slice(field.path.lastIndexOf('.') + 1)];
    const meaning = override !== undefined ? meaningOfAnnotation(analysis, override) : meaningOf(analysis, field);
    if (meaning) meanings.set(field.path, meaning);
  }
  return meanings;
}

function meaningOf(analysis: HeaderAnalysis, field: LeafField): Meaning | undefined {
  const type = resolveTypedefs(field.resolved);
  if (type.kind === 'enum' && type.decl.constants) return enumMeaning(type.decl.constants.map((c) => [c.value, c.name]));
  const comment = field.comment?.replace(/^\/\*+|\*+\/$|^\/\/+/g, '').trim();
  return comment ? meaningOfAnnotation(analysis, comment) : undefined;
}

/** `PvgpuResourceType`, `MY_BIND_* flags`, `DXGI_FORMAT`: an enum, a macro family, or a built-in table. */
export function meaningOfAnnotation(analysis: HeaderAnalysis, annotation: string): Meaning | undefined {
  const comment = annotation.trim();
  const family = /\b([A-Z][A-Z0-9_]*_)\*\s*(flags?|bits?)?/.exec(comment);
  if (family) {
    const prefix = family[1]!;
    const constants = [...analysis.constants].filter((entry): entry is [string, bigint] => entry[0].startsWith(prefix) && typeof entry[1] === 'bigint');
    if (constants.length === 0) return undefined;
    const isFlags = family[2] !== undefined || constants.every(([, v]) => v > 0n && (v & (v - 1n)) === 0n);
    return isFlags ? { kind: 'flags', bits: withoutMasks(constants.filter(([, v]) => v !== 0n)).map(([n, v]) => [v, n] as const) } : enumMeaning(constants.map(([n, v]) => [v, n]));
  }
  const named = /^([A-Za-z_]\w*)\b/.exec(comment)?.[1];
  if (!named) return undefined;
  const enumeration = analysis.enums.find((e) => e.name === named || e.decl.tag === named || e.decl.typedefNames.includes(named));
  if (enumeration) return enumMeaning([...enumeration.values].map(([n, v]) => [v, n]));
  // The Windows SDK enums headers cite without declaring them (DXGI_FORMAT, D3D11_*).
  const builtin = builtinEnum(named);
  if (!builtin) return undefined;
  return builtin.kind === 'flags' ? { kind: 'flags', bits: builtin.values.map(([n, v]) => [v, n] as const) } : enumMeaning(builtin.values.map(([n, v]) => [v, n]));
}

/**
 * A family's flags without its masks: a constant of several bits that the others make up
 * (`FLAG_MASK = FLAG_A | FLAG_B`) names no flag of its own, and would be shown as set
 * whenever they all are.
 */
function withoutMasks(constants: readonly (readonly [string, bigint])[]): (readonly [string, bigint])[] {
  return constants.filter(([, value]) => {
    if ((value & (value - 1n)) === 0n) return true;
    const covered = constants.reduce((bits, [, other]) => (other !== value && (other & value) === other ? bits | other : bits), 0n);
    return covered !== value;
  });
}

function enumMeaning(pairs: readonly (readonly [bigint, string])[]): Meaning {
  const names = new Map<bigint, string>();
  for (const [value, name] of pairs) if (!names.has(value)) names.set(value, name);
  return { kind: 'enum', names };
}

/** `PVGPU_BIND_VERTEX_BUFFER|PVGPU_BIND_SHADER_RESOURCE`, `RESOURCE_TEXTURE2D`, or undefined when unknown. */
export function describeValue(meaning: Meaning, value: bigint): string | undefined {
  if (meaning.kind === 'enum') return meaning.names.get(value);
  const names: string[] = [];
  let rest = value;
  for (const [bit, name] of meaning.bits) {
    if ((value & bit) === bit) {
      names.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0n) names.push(`0x${rest.toString(16)}`);
  return names.length ? names.join('|') : value === 0n ? '0' : undefined;
}
