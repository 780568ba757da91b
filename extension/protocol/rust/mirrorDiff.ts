import { formatLocation, type SourceLocation } from '../diagnostics';
import type { EnumInfo, HeaderAnalysis, RecordInfo } from '../headerAnalysis';
import type { LeafField } from '../layout/flatten';
import type { RustLayouts, RustRecordLayout } from './rustLayout';
import type { RustEnum, RustSource, RustType } from './rustSource';

// Whether a host's hand-written Rust mirror still matches the guest's C header on one ABI:
// every struct, field, enum and constant of one side found on the other and compared by
// layout and value. Mirrors rarely keep the C names exactly, so names are matched in steps,
// each saying how it matched: the same name; the same ignoring case and underscores; the
// same once a prefix that one side uses throughout is dropped (`PvgpuCmdDraw` and `CmdDraw`);
// and, for fields, a different name at the same offset and size. What matches nothing is
// listed, never dropped. Pure.

export type MirrorItemKind = 'struct' | 'field' | 'enum' | 'variant' | 'constant';

export interface MirrorMatch {
  readonly kind: MirrorItemKind;
  readonly header: string;
  readonly rust: string;
  /** How the two names were paired. */
  readonly how: string;
}

export interface MirrorDifference {
  readonly kind: MirrorItemKind;
  /** The header's name of the item (the record for a field), if the header has it. */
  readonly header?: string;
  readonly rust?: string;
  /** The field path, for a field. */
  readonly field?: string;
  readonly message: string;
  readonly headerLocation?: SourceLocation;
  readonly rustLocation?: SourceLocation;
}

export interface MirrorReport {
  readonly matches: readonly MirrorMatch[];
  readonly differences: readonly MirrorDifference[];
}

/** Lowercase without underscores: `PVGPU_CMD_DRAW`, `PvgpuCmdDraw` and `pvgpu_cmd_draw` agree. */
function normalized(name: string): string {
  return name.replace(/^(struct|union|enum) /, '').replaceAll('_', '').toLowerCase();
}

/**
 * Pairs names of the header with names of the mirror in the steps above; `extraNames` gives
 * other names a header item goes by (a struct's tag and typedefs).
 */
class NameMatcher<H, R> {
  readonly pairs: { header: H; rust: R; headerName: string; how: string }[] = [];
  headerOnly: H[];
  rustOnly: R[];

  constructor(header: readonly H[], headerNames: (item: H) => readonly string[], rust: readonly R[], rustName: (item: R) => string, noun: string | undefined) {
    const unmatchedHeader = new Set(header);
    const unmatchedRust = new Set(rust);
    const take = (h: H, r: R, headerName: string, how: string) => {
      this.pairs.push({ header: h, rust: r, headerName, how });
      unmatchedHeader.delete(h);
      unmatchedRust.delete(r);
    };
    const step = (key: (name: string) => string, how: (headerName: string, rustName: string) => string) => {
      const byKey = new Map<string, { item: H; name: string }>();
      for (const h of unmatchedHeader) for (const name of headerNames(h)) if (!byKey.has(key(name))) byKey.set(key(name), { item: h, name });
      for (const r of [...unmatchedRust]) {
        const found = byKey.get(key(rustName(r)));
        if (found && unmatchedHeader.has(found.item)) take(found.item, r, found.name, how(found.name, rustName(r)));
      }
    };
    step((name) => name.replace(/^(struct|union|enum) /, ''), () => 'the same name');
    step(normalized, () => 'the same name ignoring case and underscores');
    this.headerOnly = [...unmatchedHeader];
    this.rustOnly = [...unmatchedRust];
    // A prefix one side uses throughout (not for fields, whose names are short): the leftover most pairs share.
    if (noun === undefined) return;
    const leftovers = new Map<string, number>();
    const leftoverOf = (headerName: string, rustName: string): { side: 'header' | 'rust'; prefix: string } | undefined => {
      const h = normalized(headerName);
      const r = normalized(rustName);
      if (h.length > r.length && h.endsWith(r) && r.length > 0) return { side: 'header', prefix: h.slice(0, h.length - r.length) };
      if (r.length > h.length && r.endsWith(h) && h.length > 0) return { side: 'rust', prefix: r.slice(0, r.length - h.length) };
      return undefined;
    };
    for (const h of unmatchedHeader) {
      for (const name of headerNames(h)) {
        for (const r of unmatchedRust) {
          const leftover = leftoverOf(name, rustName(r));
          if (leftover) leftovers.set(`${leftover.side}:${leftover.prefix}`, (leftovers.get(`${leftover.side}:${leftover.prefix}`) ?? 0) + 1);
        }
      }
    }
    const [best] = [...leftovers].sort((a, b) => b[1] - a[1]);
    if (best) {
      const [side, prefix] = best[0].split(':') as ['header' | 'rust', string];
      for (const r of [...unmatchedRust]) {
        for (const h of [...unmatchedHeader]) {
          const name = headerNames(h).find((n) => {
            const leftover = leftoverOf(n, rustName(r));
            return leftover?.side === side && leftover.prefix === prefix;
          });
          if (name === undefined) continue;
          const longer = side === 'header' ? name : rustName(r);
          take(h, r, name, `the ${side === 'header' ? 'header' : 'Rust'} name without the prefix \`${originalPrefix(longer, prefix.length)}\` that ${noun}s on the ${side === 'header' ? 'header' : 'Rust'} side have`);
          break;
        }
      }
    }
    this.headerOnly = [...unmatchedHeader];
    this.rustOnly = [...unmatchedRust];
  }
}

/** The first `letters` letters and digits of `name` with the underscores among them: the prefix as written. */
function originalPrefix(name: string, letters: number): string {
  const bare = name.replace(/^(struct|union|enum) /, '');
  let count = 0;
  let end = 0;
  while (end < bare.length && count < letters) {
    if (bare[end] !== '_') count++;
    end++;
  }
  while (bare[end] === '_') end++;
  return bare.slice(0, end);
}

/** Compares `rust` (read and laid out on the analysis's ABI) with the header `analysis`. */
export function diffRustMirror(analysis: HeaderAnalysis, rust: RustSource, layouts: RustLayouts): MirrorReport {
  const matches: MirrorMatch[] = [];
  const differences: MirrorDifference[] = [];
  const abi = analysis.abi;

  // Structs and unions. Records nested without a name of their own are compared as the fields of the record holding them.
  const headerRecords = analysis.records.filter((r) => !r.decl.nested);
  const records = new NameMatcher(headerRecords, recordNames, rust.records, (r) => r.name, 'struct');
  for (const { header, rust: record, headerName, how } of records.pairs) {
    matches.push({ kind: 'struct', header: headerName, rust: record.name, how });
    const layout = layouts.records.get(record.name);
    if (!record.repr.c && !record.repr.transparent) {
      differences.push({ kind: 'struct', header: header.name, rust: record.name, message: `${record.name} has no #[repr(C)]: Rust may reorder and pad its fields as it likes, so it cannot mirror ${header.name}`, headerLocation: header.location, rustLocation: record.location });
    }
    if (layout) compareRecord(header, layout, abi, matches, differences);
  }
  for (const header of records.headerOnly) differences.push({ kind: 'struct', header: header.name, message: `${header.name} (${header.size} bytes) is in the header only`, headerLocation: header.location });
  // A struct used only inside others mirrors a record the header nests without a name (`struct { ... } display;`): it is compared through them.
  const usedInside = new Set(rust.records.flatMap((r) => r.fields.map((f) => innermostName(f.type))));
  for (const record of records.rustOnly.filter((r) => !usedInside.has(r.name))) differences.push({ kind: 'struct', rust: record.name, message: `${record.kind} ${record.name} is in Rust only`, rustLocation: record.location });

  // Enums, then constants: C macros and the enum constants no mirrored enum took.
  const enums = new NameMatcher(analysis.enums, enumNames, rust.enums, (e) => e.name, 'enum');
  const mirroredEnumConstants = new Set<string>();
  for (const { header, rust: enumeration, headerName, how } of enums.pairs) {
    matches.push({ kind: 'enum', header: headerName, rust: enumeration.name, how });
    compareEnum(header, enumeration, layouts, matches, differences, mirroredEnumConstants);
  }
  const headerConstants: { name: string; value: bigint; location: SourceLocation | undefined }[] = [];
  for (const [name, value] of analysis.constants) if (typeof value === 'bigint') headerConstants.push({ name, value, location: analysis.constantLocations.get(name) });
  for (const e of enums.headerOnly) {
    for (const c of e.decl.constants ?? []) headerConstants.push({ name: c.name, value: c.value, location: c.location });
  }
  for (const e of enums.pairs) for (const c of e.header.decl.constants ?? []) if (!mirroredEnumConstants.has(c.name)) headerConstants.push({ name: c.name, value: c.value, location: c.location });
  const rustConstants = rust.consts.filter((c) => layouts.constants.has(c.name));
  const constants = new NameMatcher(headerConstants, (c) => [c.name], rustConstants, (c) => c.name, 'constant');
  for (const { header, rust: constant, how } of constants.pairs) {
    matches.push({ kind: 'constant', header: header.name, rust: constant.name, how });
    const value = layouts.constants.get(constant.name)!;
    if (value !== header.value) {
      differences.push({ kind: 'constant', header: header.name, rust: constant.name, message: `${constant.name} is ${shown(value)} in Rust, ${shown(header.value)} in the header (${header.name})`, ...(header.location ? { headerLocation: header.location } : {}), rustLocation: constant.location });
    }
  }
  for (const header of constants.headerOnly) differences.push({ kind: 'constant', header: header.name, message: `${header.name} (${shown(header.value)}) is in the header only`, ...(header.location ? { headerLocation: header.location } : {}) });
  for (const constant of constants.rustOnly) differences.push({ kind: 'constant', rust: constant.name, message: `const ${constant.name} is in Rust only`, rustLocation: constant.location });
  for (const e of enums.headerOnly) differences.push({ kind: 'enum', header: e.name, message: `enum ${e.name} is in the header only`, headerLocation: e.location });
  for (const e of enums.rustOnly) differences.push({ kind: 'enum', rust: e.name, message: `enum ${e.name} is in Rust only`, rustLocation: e.location });
  return { matches, differences };
}

function innermostName(type: RustType): string | undefined {
  let t = type;
  while (t.kind === 'array') t = t.element;
  return t.kind === 'path' ? t.name : undefined;
}

function recordNames(record: RecordInfo): string[] {
  return [...new Set([record.name, ...record.typedefNames, ...(record.tag ? [record.tag] : [])])];
}

function enumNames(e: EnumInfo): string[] {
  return [...new Set([e.name, ...e.decl.typedefNames, ...(e.decl.tag ? [e.decl.tag] : [])])];
}

function shown(value: bigint): string {
  return value >= 10n || value <= -10n ? `${value} (0x${(value < 0n ? -value : value).toString(16).toUpperCase()}${value < 0n ? ', negative' : ''})` : String(value);
}

function compareRecord(header: RecordInfo, rust: RustRecordLayout, abi: string, matches: MirrorMatch[], differences: MirrorDifference[]): void {
  const name = rust.record.name;
  const base = { kind: 'field' as const, header: header.name, rust: name };
  const fieldNames = (leaf: LeafField) => [leaf.path];
  const fields = new NameMatcher(header.fields, fieldNames, rust.fields, (f) => f.path, undefined);
  const pairs = fields.pairs.map((p) => ({ header: p.header, rust: p.rust, how: p.how }));
  const rustLeft = [...fields.rustOnly];
  // C's anonymous members have no name on the path; Rust, which has none, names them (`u`, `anonymous0`).
  const headerLeft: LeafField[] = [];
  for (const h of fields.headerOnly) {
    const wanted = h.path.split('.').map(normalized);
    const candidates = rustLeft.filter((r) => isNamedWithin(wanted, r.path.split('.').map(normalized)));
    if (candidates.length !== 1) {
      headerLeft.push(h);
      continue;
    }
    const r = candidates[0]!;
    rustLeft.splice(rustLeft.indexOf(r), 1);
    const extra = r.path.split('.').filter((segment) => !wanted.includes(normalized(segment)));
    pairs.push({ header: h, rust: r, how: `through the header’s anonymous member, named ${extra.map((e) => `\`${e}\``).join(', ')} in Rust` });
  }
  // A field renamed at the same place: the same offset and size on both sides.
  const headerOnly: LeafField[] = [];
  for (const h of headerLeft) {
    const at = rustLeft.findIndex((r) => r.offset === h.offset && r.size === h.size && r.count === h.count);
    if (at < 0) {
      headerOnly.push(h);
      continue;
    }
    const [r] = rustLeft.splice(at, 1);
    pairs.push({ header: h, rust: r!, how: `renamed: the same offset (${h.offset}) and size (${h.size})` });
  }
  let explained = false;
  const reported = new Set<LeafField>();
  for (const pair of pairs) {
    matches.push({ kind: 'field', header: `${header.name}.${pair.header.path}`, rust: `${name}.${pair.rust.path}`, how: pair.how });
    const h = pair.header;
    const r = pair.rust;
    if (reported.has(h)) continue;
    const location = { headerLocation: h.location, rustLocation: r.location };
    const hElement = h.count ? h.size / h.count : h.size;
    const rElement = r.count ? r.size / r.count : r.size;
    if (hElement !== rElement) {
      differences.push({ ...base, field: h.path, message: `${name}.${r.path} is \`${r.type}\` (${rElement} bytes) in Rust, \`${h.type}\` (${hElement} bytes) in the header; ${name} is ${rust.size} bytes, ${header.name} ${header.size}`, ...location });
      explained = true;
    } else if ((h.count ?? 1) !== (r.count ?? 1)) {
      differences.push({ ...base, field: h.path, message: `${name}.${r.path} has ${r.count ?? 1} elements in Rust, ${h.count ?? 1} in the header`, ...location });
      explained = true;
    } else if (h.offset !== r.offset) {
      // Two fields that traded places are one mistake, said once.
      const partner = pairs.find((p) => p !== pair && p.header.offset === r.offset && p.rust.offset === h.offset);
      if (partner) {
        reported.add(partner.header);
        differences.push({ ...base, field: h.path, message: `${name}.${r.path} and ${name}.${partner.rust.path} are in the other order than in the header: ${h.path} is at offset ${h.offset} there, ${r.offset} in Rust`, ...location });
      } else {
        differences.push({ ...base, field: h.path, message: `${name}.${r.path} is at offset ${r.offset} in Rust, ${h.offset} in the header`, ...location });
      }
      explained = true;
    } else if (kindOf(h) !== kindOf(r)) {
      differences.push({ ...base, field: h.path, message: `${name}.${r.path} is ${kindOf(r)} \`${r.type}\` in Rust, ${kindOf(h)} \`${h.type}\` in the header: the same bytes read differently`, ...location });
    }
  }
  for (const h of headerOnly) {
    differences.push({ ...base, field: h.path, message: `${header.name}.${h.path} (offset ${h.offset}, ${h.size} bytes) is in the header only: ${name} lacks it (${rust.size} bytes in Rust, ${header.size} in the header)`, headerLocation: h.location, rustLocation: rust.record.location });
    explained = true;
  }
  for (const r of rustLeft) {
    differences.push({ ...base, field: r.path, message: `${name}.${r.path} (offset ${r.offset}, ${r.size} bytes) is in Rust only`, rustLocation: r.location });
    explained = true;
  }
  // A size that a field difference above already explains is not a difference of its own.
  if (!explained && (header.size !== rust.size || header.align !== rust.align)) {
    const why = header.align !== rust.align ? 'the alignment differs (a packed or align repr on one side only)' : 'tail padding differs';
    differences.push({ kind: 'struct', header: header.name, rust: name, message: `${name} is ${rust.size} bytes (align ${rust.align}) in Rust, ${header.size} (align ${header.align}) in the header on ${abi}: ${why}`, headerLocation: header.location, rustLocation: rust.record.location });
  }
}

/** `header` is `rust` with some of its inner segments left out, ending the same. */
function isNamedWithin(header: readonly string[], rust: readonly string[]): boolean {
  if (rust.length <= header.length || header[header.length - 1] !== rust[rust.length - 1]) return false;
  let at = 0;
  for (const segment of rust) if (segment === header[at]) at++;
  return at === header.length;
}

function kindOf(field: LeafField): string {
  const resolved = field.resolved;
  return resolved.kind === 'float' ? 'a float' : resolved.kind === 'pointer' ? 'a pointer' : 'an integer';
}

function compareEnum(header: EnumInfo, rust: RustEnum, layouts: RustLayouts, matches: MirrorMatch[], differences: MirrorDifference[], mirrored: Set<string>): void {
  const constants = header.decl.constants ?? [];
  // C enum constants carry the enum's name as a prefix (`PVGPU_RESOURCE_TYPE_BUFFER`); Rust variants do not (`Buffer`).
  const values = layouts.enumValues.get(rust.name) ?? new Map<string, bigint>();
  const variants = new NameMatcher(constants, (c) => [c.name], rust.variants, (v) => v.name, 'variant');
  for (const { header: constant, rust: variant, how } of variants.pairs) {
    mirrored.add(constant.name);
    matches.push({ kind: 'variant', header: constant.name, rust: `${rust.name}::${variant.name}`, how });
    const value = values.get(variant.name);
    if (value !== undefined && value !== constant.value) {
      differences.push({ kind: 'variant', header: constant.name, rust: `${rust.name}::${variant.name}`, message: `${rust.name}::${variant.name} is ${shown(value)} in Rust, ${shown(constant.value)} in the header (${constant.name})`, headerLocation: constant.location, rustLocation: variant.location });
    }
  }
  for (const constant of variants.headerOnly) {
    mirrored.add(constant.name);
    differences.push({ kind: 'variant', header: constant.name, message: `${constant.name} (${shown(constant.value)}) of ${header.name} has no variant in ${rust.name}`, headerLocation: constant.location, rustLocation: rust.location });
  }
  for (const variant of variants.rustOnly) differences.push({ kind: 'variant', rust: `${rust.name}::${variant.name}`, message: `${rust.name}::${variant.name} is in Rust only`, rustLocation: variant.location });
}

/** One line per difference, `rust-file:line:col: message (header file:line)`, as compilers print them. */
export function formatMirrorDifference(difference: MirrorDifference): string {
  const where = difference.rustLocation ?? difference.headerLocation;
  const also = difference.rustLocation && difference.headerLocation ? ` [header: ${formatLocation(difference.headerLocation)}]` : '';
  return `${where ? `${formatLocation(where)}: ` : ''}${difference.message}${also}`;
}
