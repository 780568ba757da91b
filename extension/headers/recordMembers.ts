import type { HeaderAnalysis, RecordInfo } from '../protocol/headerAnalysis';
import type { LayoutEngine, RecordLayout } from '../protocol/layout/recordLayout';
import { resolveTypedefs, typeSpelling, type CType, type MemberDecl, type RecordDecl } from '../protocol/model/types';

// Where each member a person can point at in a record's source sits: its own members,
// and those of the tagless structs and unions declared inside it (they have no record of
// their own, so hovering `width` in `struct { uint32_t width; } display;` needs them
// here). Tagged records declared inline are records themselves and are not entered.
// Pure: no `vscode` import.

export interface MemberPlacement {
  /** `display.width`; array members of tagless records are entered at element 0: `arms[0].x`. */
  readonly path: string;
  readonly member: MemberDecl;
  /** As declared, arrays included: `uint32_t[8]`. */
  readonly type: string;
  /** Bytes from the record start; for a bit-field, the start of its storage unit. */
  readonly offset: number;
  /** Bytes; for a bit-field, the size of its storage unit. */
  readonly size: number;
  /** Bit-fields only: bits from the record start. */
  readonly bitOffset?: number;
  readonly bitWidth?: number;
}

/** More members than any hand-written record has; a generated monster stops here. */
const MAX_PLACEMENTS = 20_000;

export function placeMembers(record: RecordInfo, engine: LayoutEngine): MemberPlacement[] {
  const placements: MemberPlacement[] = [];
  walk(record.layout, engine, '', 0, placements);
  return placements;
}

/**
 * The member declared at `file:line:column` (1-based, where its name starts), found in the
 * innermost record around it: the nearest record declared above it that holds it.
 */
export function memberAt(analysis: HeaderAnalysis, file: string, line: number, column: number): { record: RecordInfo; placement: MemberPlacement } | undefined {
  const candidates = analysis.records
    .filter((r) => r.location.file === file && r.location.line <= line)
    .sort((a, b) => b.location.line - a.location.line || b.location.column - a.location.column);
  for (const record of candidates) {
    const placement = placeMembers(record, analysis.layoutEngine).find(({ member: { location } }) => location.file === file && location.line === line && location.column === column);
    if (placement) return { record, placement };
  }
  return undefined;
}

function walk(layout: RecordLayout, engine: LayoutEngine, prefix: string, base: number, out: MemberPlacement[]): void {
  for (const m of layout.members) {
    if (out.length >= MAX_PLACEMENTS) return;
    const name = m.member.name;
    const path = name === undefined ? prefix.replace(/\.$/, '') : prefix + name;
    if (name !== undefined) {
      out.push({
        path,
        member: m.member,
        type: typeSpelling(m.member.type),
        offset: base + m.offset,
        size: m.size,
        ...(m.bitOffset !== undefined && m.bitWidth !== undefined ? { bitOffset: base * 8 + m.bitOffset, bitWidth: m.bitWidth } : {}),
      });
    }
    const inner = taglessRecord(m.member.type);
    if (inner && m.member.bitWidth === undefined) {
      const nextPrefix = name === undefined ? prefix : `${path}${'[0]'.repeat(inner.dimensions)}.`;
      walk(engine.layoutOf(inner.decl), engine, nextPrefix, base + m.offset, out);
    }
  }
}

/** The tagless struct or union a member is (or is an array of), if it is one. */
function taglessRecord(type: CType): { decl: RecordDecl; dimensions: number } | undefined {
  let dimensions = 0;
  let current = resolveTypedefs(type);
  while (current.kind === 'array') {
    dimensions++;
    current = resolveTypedefs(current.element);
  }
  return current.kind === 'record' && current.decl.nested && current.decl.complete ? { decl: current.decl, dimensions } : undefined;
}
