// Bit-field positions from clang's `-Xclang -fdump-record-layouts`, the one way to see where
// a compiler that cannot run here (an MSVC or AArch64 target) puts them: the probe file that
// makes clang dump the records we ask about, the dump's parser, and the walk along a field
// path through the parsed dumps. A dump looks like:
//
//   *** Dumping AST Record Layout
//            0 | struct PvgpuCmdDraw
//            0 |   Hdr hdr
//            4 |     uint32_t size
//       28:0-2 |   unsigned int a
//          1:- |   int
//           | [sizeof=44, align=4]
//
// Left of the bar: the byte offset from the start of the outermost record, and for a
// bit-field `:first-last`, its bits counted from that byte (they may run past 7); `:-` is a
// zero-width bit-field. Right of it, two spaces per nesting level, then type and name. Nested
// records are expanded in place; arrays are not (their element type gets a dump of its own).
import { includeHeader, SourceBuilder, type BitFieldCheck, type GeneratedSource } from './layoutChecks';

/** One `.`-separated step of a field path: `viewports[0]` is name "viewports", indexes [0]. */
export interface PathSegment {
  text: string;
  name: string;
  indexes: number[];
}

export function splitFieldPath(path: string): PathSegment[] {
  return path.split('.').map((text) => {
    const name = text.replace(/\[.*$/, '');
    const indexes = [...text.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1]));
    return { text, name, indexes };
  });
}

/** Paths of the array elements of record type a leaf path passes through: `a[0].b[1].c` → `a[0]`, `a[0].b[1]`. */
export function recordElementPrefixes(path: string): string[] {
  const segments = splitFieldPath(path);
  const prefixes: string[] = [];
  segments.slice(0, -1).forEach((segment, index) => {
    if (segment.indexes.length > 0) {
      prefixes.push(segments.slice(0, index + 1).map((s) => s.text).join('.'));
    }
  });
  return prefixes;
}

/**
 * Wraps each record, and each array element of record type a bit-field path passes through,
 * in a uniquely named struct whose size is then taken: clang's -fdump-record-layouts prints
 * a record when it lays it out, and the wrapper's name says which record a dump belongs to
 * (a typedef name never appears in the dump's title). Element dumps are needed because the
 * dump does not expand arrays. Returns the wrapper name for each `recordIndex:elementPrefix`.
 */
export function recordProbeSource(headerPath: string, bitFields: readonly BitFieldCheck[]): { source: GeneratedSource; probeNames: Map<string, string> } {
  const source = new SourceBuilder();
  source.add(includeHeader(headerPath));
  const probeNames = new Map<string, string>();
  for (const check of bitFields) {
    for (const prefix of ['', ...recordElementPrefixes(check.field.path)]) {
      const key = probeKey(check.recordIndex, prefix);
      if (probeNames.has(key)) continue;
      const name = `gpupv_probe_${probeNames.size + 1}`;
      probeNames.set(key, name);
      const memberType = prefix === '' ? check.recordName : `__typeof__(((${check.recordName} *)0)->${prefix})`;
      source.add(`struct ${name} { ${memberType} probe; };`, check.id);
      source.add(`typedef char ${name}_laid_out[sizeof(struct ${name})];`, check.id);
    }
  }
  return { source: source.build(), probeNames };
}

export function probeKey(recordIndex: number, elementPrefix: string): string {
  return `${recordIndex}:${elementPrefix}`;
}

export interface DumpMember {
  /** Empty for anonymous struct/union members and unnamed bit-fields. */
  name: string;
  type: string;
  byteOffset: number;
  /** Bit range relative to byteOffset, for bit-fields; zero-width ones have last < first. */
  bits?: { first: number; last: number };
  children: DumpMember[];
}

export interface DumpedRecord {
  type: string;
  size: number;
  align: number;
  members: DumpMember[];
}

const DUMP_TITLE = '*** Dumping AST Record Layout';
const MEMBER_LINE = /^\s*(\d+)(?::(?:(\d+)-(\d+)|(-)))? \| (.*)$/;
const SIZE_LINE = /^\s*\| \[sizeof=(\d+),.*?\balign=(\d+)/;

export function parseRecordDump(text: string): DumpedRecord[] {
  return text
    .split(DUMP_TITLE)
    .slice(1)
    .map((block) => parseOneRecord(block))
    .filter((record): record is DumpedRecord => record !== undefined);
}

function parseOneRecord(block: string): DumpedRecord | undefined {
  let root: DumpMember | undefined;
  let sizeAndAlign: { size: number; align: number } | undefined;
  // parents[d] is the member that lines at nesting depth d + 1 belong to.
  const parents: DumpMember[] = [];
  for (const line of block.split('\n')) {
    const sizeMatch = SIZE_LINE.exec(line);
    if (sizeMatch && !sizeAndAlign) sizeAndAlign = { size: Number(sizeMatch[1]), align: Number(sizeMatch[2]) };
    const match = MEMBER_LINE.exec(line);
    if (!match) continue;
    const [, offset, first, last, zeroWidth, rest] = match;
    const body = rest ?? '';
    const depth = Math.floor((body.length - body.trimStart().length) / 2);
    const bits = zeroWidth ? { first: 0, last: -1 } : bitRange(first, last);
    if (depth === 0) {
      // The title line has no member name: its whole text is the record's type.
      root = { name: '', type: body.trim(), byteOffset: Number(offset), children: [] };
      parents.length = 0;
      parents.push(root);
      continue;
    }
    const member = describedMember(body.trimStart(), Number(offset), bits);
    parents[depth - 1]?.children.push(member);
    parents.length = depth;
    parents.push(member);
  }
  if (!root || !sizeAndAlign) return undefined;
  return { type: root.type, ...sizeAndAlign, members: root.children };
}

function bitRange(first: string | undefined, last: string | undefined): DumpMember['bits'] {
  return first === undefined || last === undefined ? undefined : { first: Number(first), last: Number(last) };
}

/** Clang prints `type name`, and `type ` with a trailing space when there is no name. */
function describedMember(text: string, byteOffset: number, bits: DumpMember['bits']): DumpMember {
  const lastSpace = text.lastIndexOf(' ');
  const member: DumpMember = {
    name: lastSpace < 0 ? '' : text.slice(lastSpace + 1),
    type: lastSpace < 0 ? text : text.slice(0, lastSpace),
    byteOffset,
    children: [],
  };
  if (bits) member.bits = bits;
  return member;
}

/** The dimensions of an array type as clang prints it: `struct Vp[2][3]` → [2, 3]. */
export function arrayDimensions(type: string): number[] {
  const suffix = /((?:\[\d*\])+)$/.exec(type)?.[1] ?? '';
  return [...suffix.matchAll(/\[(\d*)\]/g)].map((match) => Number(match[1] ?? 0));
}

/** Finds a member by name as C would, looking through anonymous struct/union members. */
export function findMember(members: readonly DumpMember[], name: string): DumpMember | undefined {
  for (const member of members) {
    if (member.name === name) return member;
    if (member.name === '' && member.children.length > 0) {
      const found = findMember(member.children, name);
      if (found) return found;
    }
  }
  return undefined;
}

export type BitFieldPlacement = { bitOffset: number; bitWidth: number } | { problem: string };

/**
 * Where a bit-field leaf lies, in bits from the start of its record. `probeFor(prefix)` gives
 * the dump of a wrapper struct whose only member is the record (prefix '') or the array
 * element at `prefix` (e.g. `viewports[0]`); see recordProbeSource in layoutChecks.ts.
 */
export function locateBitField(path: string, probeFor: (elementPrefix: string) => DumpedRecord | undefined): BitFieldPlacement {
  let scope = probedMembers(probeFor(''));
  let baseBits = 0;
  const walked: string[] = [];
  const segments = splitFieldPath(path);
  for (const [index, segment] of segments.entries()) {
    if (!scope) return { problem: `clang printed no layout for ${walked.join('.') || 'the record'}` };
    walked.push(segment.text);
    const member = findMember(scope, segment.name);
    if (!member) return { problem: `clang's layout has no member ${walked.join('.')}` };
    if (index === segments.length - 1) return placement(member, baseBits);
    if (segment.indexes.length === 0) {
      // A nested record: its members follow in the same dump, offsets already absolute.
      scope = member.children;
      continue;
    }
    const element = probeFor(walked.join('.'));
    const elementIndex = linearIndex(segment.indexes, arrayDimensions(member.type));
    baseBits += (member.byteOffset + elementIndex * (element?.size ?? 0)) * 8;
    scope = probedMembers(element);
  }
  return { problem: `empty field path "${path}"` };
}

/** The members of the record a probe wraps (the probe's single member is that record). */
function probedMembers(probe: DumpedRecord | undefined): DumpMember[] | undefined {
  return probe?.members[0]?.children;
}

function placement(member: DumpMember, baseBits: number): BitFieldPlacement {
  if (!member.bits) return { problem: 'clang does not lay it out as a bit-field' };
  return { bitOffset: baseBits + member.byteOffset * 8 + member.bits.first, bitWidth: member.bits.last - member.bits.first + 1 };
}

/** Row-major position of `a[i][j]` among all elements; dimensions clang left blank count as 1. */
function linearIndex(indexes: readonly number[], dimensions: readonly number[]): number {
  return indexes.reduce((sum, index, position) => sum * (dimensions[position] ?? 1) + index, 0);
}
