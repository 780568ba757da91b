import { ABIS, type AbiName } from '../abi';
import type { HeaderAnalysis, RecordInfo } from '../headerAnalysis';
import type { LeafField } from '../layout/flatten';
import { resolveTypedefs } from '../model/types';

// Where the guest's and the host's view of a record part ways, and why: the first leaf
// field whose offset, size or bits differ, explained by the cause a developer must fix.

export interface RecordDifference {
  readonly record: string;
  readonly file: string;
  readonly line: number;
  readonly sizes: readonly [number, number];
  readonly aligns: readonly [number, number];
  /** The first field that differs, if any field does (else only size or alignment differ). */
  readonly field?: string;
  readonly reason: string;
}

export function diffAbis(a: HeaderAnalysis, b: HeaderAnalysis): RecordDifference[] {
  const other = new Map(b.records.map((r) => [r.name, r]));
  const differences: RecordDifference[] = [];
  for (const left of a.records) {
    const right = other.get(left.name);
    if (!right) continue;
    const difference = compareRecords(left, right, a.abi, b.abi);
    if (difference) differences.push(difference);
  }
  return differences;
}

function compareRecords(left: RecordInfo, right: RecordInfo, abiA: AbiName, abiB: AbiName): RecordDifference | undefined {
  const base = { record: left.name, file: left.location.file, line: left.location.line, sizes: [left.size, right.size] as const, aligns: [left.align, right.align] as const };
  const rightFields = new Map(right.fields.map((f) => [f.path, f]));
  for (const field of left.fields) {
    const counterpart = rightFields.get(field.path);
    if (!counterpart) return { ...base, field: field.path, reason: `\`${field.path}\` exists on ${abiA} only (a conditional in the header)` };
    if (sameField(field, counterpart)) continue;
    return { ...base, field: field.path, reason: explain(field, counterpart, left, right, abiA, abiB) };
  }
  const extra = right.fields.find((f) => !left.fields.some((g) => g.path === f.path));
  if (extra) return { ...base, field: extra.path, reason: `\`${extra.path}\` exists on ${abiB} only (a conditional in the header)` };
  if (left.size !== right.size) return { ...base, reason: `tail padding differs: ${left.size} bytes on ${abiA}, ${right.size} on ${abiB} (alignment ${left.align} vs ${right.align})` };
  if (left.align !== right.align) return { ...base, reason: `alignment differs: ${left.align} on ${abiA}, ${right.align} on ${abiB}` };
  return undefined;
}

function sameField(a: LeafField, b: LeafField): boolean {
  return a.offset === b.offset && a.size === b.size && a.bitOffset === b.bitOffset && a.bitWidth === b.bitWidth && a.count === b.count;
}

function explain(a: LeafField, b: LeafField, left: RecordInfo, right: RecordInfo, abiA: AbiName, abiB: AbiName): string {
  const declaration = `\`${a.type} ${a.path}\``;
  const elementA = a.count ? a.size / a.count : a.size;
  const elementB = b.count ? b.size / b.count : b.size;
  if (elementA !== elementB) return `${declaration}: ${elementA} bytes on ${abiA}, ${elementB} on ${abiB}${typeHint(a)}`;
  if (a.size !== b.size) return `${declaration}: ${a.size} bytes on ${abiA}, ${b.size} on ${abiB}`;
  const mixedFamilies = ABIS[abiA].family !== ABIS[abiB].family;
  const bitFieldRule = mixedFamilies ? ': MSVC starts a new storage unit when the declared type\u2019s size changes and ignores `:0` after a plain member, GCC packs bit-fields across types' : '';
  if (a.bitWidth !== undefined || b.bitWidth !== undefined) {
    return `bit-field ${declaration} is at bit ${a.bitOffset ?? a.offset * 8} on ${abiA}, bit ${b.bitOffset ?? b.offset * 8} on ${abiB}${bitFieldRule}`;
  }
  const where = `${declaration} is at offset ${a.offset} on ${abiA}, ${b.offset} on ${abiB}`;
  const earlier = left.fields.slice(0, left.fields.indexOf(a));
  const resized = earlier.find((f) => right.fields.find((g) => g.path === f.path)?.size !== f.size);
  if (resized) return `${where}: \`${resized.path}\` before it is ${resized.size} bytes on ${abiA}, ${right.fields.find((g) => g.path === resized.path)?.size ?? '?'} on ${abiB}`;
  const members = left.decl.members ?? [];
  if (members.some((m) => m.bitWidth !== undefined)) return `${where}: the bit-fields before it are allocated differently${bitFieldRule}`;
  return `${where}: alignment differs (\`#pragma pack\` caps \`aligned\` attributes on GCC but not \`__declspec(align)\` on MSVC)`;
}

function typeHint(field: LeafField): string {
  const resolved = resolveTypedefs(field.resolved);
  if (resolved.kind === 'integer' && /\blong\b/.test(resolved.name) && !resolved.name.includes('long long')) return ' (long is 4 bytes on Windows, 8 on Linux: use uint32_t or uint64_t)';
  if (resolved.kind === 'integer' && resolved.name === 'wchar_t') return ' (wchar_t is 2 bytes on Windows, 4 on Linux: use uint16_t)';
  if (resolved.kind === 'enum') return ' (an enum is 4 bytes on MSVC; GCC makes it 8 when a value needs more than 32 bits)';
  if (resolved.kind === 'float' && resolved.name === 'long double') return ' (long double is 8 bytes on MSVC, 16 on Linux)';
  return '';
}
