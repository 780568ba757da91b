import type { AbiName } from '../protocol/abi';
import type { SourceLocation } from '../protocol/diagnostics';
import type { RecordInfo } from '../protocol/headerAnalysis';
import type { LeafField } from '../protocol/layout/flatten';
import type { LayoutEngine, RecordLayout } from '../protocol/layout/recordLayout';
import { resolveTypedefs } from '../protocol/model/types';
import type { RecordDifference } from '../protocol/report/abiDiff';
import type { StructLayoutPlacement, StructLayoutRow, StructLayoutView } from '../../webviews/shared/protocol';

// The Struct Layout table: every leaf field with its offset, size and bits on the
// configured ABI and, beside it, on the compared one; holes and tail padding as rows of
// their own, because they are what a protocol author looks for. Pure: no `vscode` import.

/** One side of the comparison. */
export interface LaidOutRecord {
  readonly abi: AbiName;
  readonly record: RecordInfo;
  readonly engine: LayoutEngine;
}

export interface StructLayoutTable {
  readonly view: StructLayoutView;
  /** Parallel to `view.rows`: where each field is declared (undefined for holes and padding). */
  readonly locations: readonly (SourceLocation | undefined)[];
}

/** A table longer than this is not read by anyone; the rest is counted, not sent. */
const MAX_TABLE_ROWS = 2_000;

export function buildStructLayoutTable(
  primary: LaidOutRecord,
  compare: LaidOutRecord | undefined,
  difference: RecordDifference | undefined,
  source: string,
): StructLayoutTable {
  const { record } = primary;
  const rows: StructLayoutRow[] = [];
  const locations: (SourceLocation | undefined)[] = [];
  const push = (row: StructLayoutRow, location?: SourceLocation): void => {
    rows.push(row);
    locations.push(location);
  };

  const compareFields = new Map(compare?.record.fields.map((f) => [f.path, f]));
  const compareOnlyAfter = compare ? fieldsMissingFrom(record.fields, compare.record.fields) : new Map<string, LeafField[]>();
  const gaps = uncoveredBits(record.layout, primary.engine, record.size * 8);
  let nextGap = 0;

  for (const extra of compareOnlyAfter.get('') ?? []) push(compareOnlyRow(extra), extra.location);
  for (const field of record.fields) {
    const start = startBit(field);
    while (nextGap < gaps.length && gaps[nextGap]![1] <= start) push(gapRow(gaps[nextGap++]!, record.size * 8));
    const counterpart = compareFields.get(field.path);
    const here = placementOf(field);
    const there = counterpart ? placementOf(counterpart) : undefined;
    push(
      {
        kind: 'field',
        name: field.path,
        type: typeText(field),
        ...(field.comment ? { comment: commentText(field.comment) } : {}),
        primary: here,
        ...(there ? { compare: there } : {}),
        differs: compare !== undefined && (!there || !samePlacement(here, there)),
      },
      field.location,
    );
    for (const extra of compareOnlyAfter.get(field.path) ?? []) push(compareOnlyRow(extra), extra.location);
  }
  while (nextGap < gaps.length) push(gapRow(gaps[nextGap++]!, record.size * 8));

  const omittedRows = Math.max(0, rows.length - MAX_TABLE_ROWS);
  return {
    view: {
      name: record.name,
      kind: record.kind,
      source,
      abi: primary.abi,
      size: record.size,
      align: record.align,
      ...(compare
        ? { compare: { abi: compare.abi, size: compare.record.size, align: compare.record.align, ...(difference ? { difference: difference.reason } : {}) } }
        : {}),
      rows: rows.slice(0, MAX_TABLE_ROWS),
      omittedRows,
    },
    locations: locations.slice(0, MAX_TABLE_ROWS),
  };
}

function compareOnlyRow(field: LeafField): StructLayoutRow {
  return { kind: 'field', name: field.path, type: typeText(field), compare: placementOf(field), differs: true };
}

/** Fields of `theirs` that `ours` lacks, keyed by the path of the field they follow ('' = first). */
function fieldsMissingFrom(ours: readonly LeafField[], theirs: readonly LeafField[]): Map<string, LeafField[]> {
  const known = new Set(ours.map((f) => f.path));
  const missing = new Map<string, LeafField[]>();
  let after = '';
  for (const field of theirs) {
    if (known.has(field.path)) {
      after = field.path;
      continue;
    }
    missing.set(after, [...(missing.get(after) ?? []), field]);
  }
  return missing;
}

function placementOf(field: LeafField): StructLayoutPlacement {
  if (field.bitOffset === undefined || field.bitWidth === undefined) return { offset: field.offset, size: field.size };
  return { offset: field.offset, size: field.size, bitOffset: field.bitOffset - field.offset * 8, bitWidth: field.bitWidth };
}

function samePlacement(a: StructLayoutPlacement, b: StructLayoutPlacement): boolean {
  return a.offset === b.offset && a.size === b.size && a.bitOffset === b.bitOffset && a.bitWidth === b.bitWidth;
}

function startBit(field: LeafField): number {
  return field.bitOffset ?? field.offset * 8;
}

/** `/* DXGI_FORMAT *\/` or `// DXGI_FORMAT` -> `DXGI_FORMAT`: the table has its own column for it. */
function commentText(comment: string): string {
  return comment
    .replace(/^\s*(?:\/\*+!?<?|\/\/+[!/]?<?)\s*/, '')
    .replace(/\s*\*+\/\s*$/, '')
    .trim();
}

function typeText(field: LeafField): string {
  return field.dimensions?.length ? `${field.type}${field.dimensions.map((d) => `[${d || ''}]`).join('')}` : field.type;
}

/** A hole (or the tail padding) as a row; whole bytes when it is, bits otherwise. */
function gapRow([start, end]: readonly [number, number], recordBits: number): StructLayoutRow {
  const kind = end === recordBits ? 'padding' : 'hole';
  const wholeBytes = start % 8 === 0 && end % 8 === 0;
  const primary: StructLayoutPlacement = wholeBytes
    ? { offset: start / 8, size: (end - start) / 8 }
    : { offset: Math.floor(start / 8), size: 0, bitOffset: start % 8, bitWidth: end - start };
  return { kind, name: '', type: '', primary, differs: false };
}

/**
 * The bit ranges of [0, recordBits) no member occupies, in order. Members of nested records
 * are entered (a hole inside an embedded struct is a hole of the whole); an array of
 * records counts as one block; unnamed bit-fields are padding and cover nothing.
 */
function uncoveredBits(layout: RecordLayout, engine: LayoutEngine, recordBits: number): [number, number][] {
  const covered: [number, number][] = [];
  collectCoverage(layout, engine, 0, covered, 0);
  covered.sort((a, b) => a[0] - b[0]);
  const gaps: [number, number][] = [];
  let end = 0;
  for (const [from, to] of covered) {
    if (from > end) gaps.push([end, from]);
    end = Math.max(end, to);
  }
  if (end < recordBits) gaps.push([end, recordBits]);
  return gaps;
}

const MAX_NESTING = 64;

function collectCoverage(layout: RecordLayout, engine: LayoutEngine, baseBits: number, out: [number, number][], depth: number): void {
  for (const m of layout.members) {
    if (m.member.bitWidth !== undefined) {
      if (m.member.name !== undefined && m.bitOffset !== undefined) out.push([baseBits + m.bitOffset, baseBits + m.bitOffset + m.member.bitWidth]);
      continue;
    }
    const type = resolveTypedefs(m.member.type);
    if (type.kind === 'record' && type.decl.complete && depth < MAX_NESTING) {
      collectCoverage(engine.layoutOf(type.decl), engine, baseBits + m.offset * 8, out, depth + 1);
    } else {
      out.push([baseBits + m.offset * 8, baseBits + (m.offset + m.size) * 8]);
    }
  }
}
