import type { SourceLocation } from '../diagnostics';
import { resolveTypedefs, typeSpelling, type CType, type MemberDecl } from '../model/types';
import type { LayoutEngine, RecordLayout } from './recordLayout';

// A record as a flat list of leaf members, the way a decoder and the JSON output see it:
// dotted paths through nested members, anonymous members transparent, arrays of records
// expanded at element 0 (`viewports[0].x`, with `count` on the leaf), arrays of scalars
// kept whole. Offsets are from the start of the outermost record.

export interface LeafField {
  readonly path: string;
  readonly offset: number;
  readonly size: number;
  /** The declared type as written (`uint32_t`, `PvgpuViewport`); for arrays, the element's. */
  readonly type: string;
  /** The type with typedefs followed (what a decoder reads). */
  readonly resolved: CType;
  readonly bitOffset?: number;
  readonly bitWidth?: number;
  /** Element count of the array this leaf is (or sits in the first element of). 0 for a flexible array. */
  readonly count?: number;
  /** Array dimensions, outermost first, when the leaf itself is an array. */
  readonly dimensions?: readonly number[];
  readonly location: SourceLocation;
  readonly comment?: string;
  /** The member declaration this leaf comes from. */
  readonly member: MemberDecl;
}

const MAX_LEAVES = 100_000;

export function flattenRecord(layout: RecordLayout, engine: LayoutEngine): LeafField[] {
  const leaves: LeafField[] = [];
  walk(layout, engine, '', 0, undefined, leaves);
  return leaves;
}

function walk(layout: RecordLayout, engine: LayoutEngine, prefix: string, base: number, count: number | undefined, leaves: LeafField[]): void {
  for (const m of layout.members) {
    if (leaves.length >= MAX_LEAVES) return;
    const member = m.member;
    if (member.bitWidth !== undefined) {
      if (member.name === undefined) continue; // unnamed bit-fields are padding
      leaves.push({
        path: prefix + member.name,
        offset: base + m.offset,
        size: m.size,
        type: typeSpelling(member.type),
        resolved: resolveTypedefs(member.type),
        bitOffset: base * 8 + m.bitOffset!,
        bitWidth: member.bitWidth,
        ...(count !== undefined ? { count } : {}),
        location: member.location,
        ...(member.comment ? { comment: member.comment } : {}),
        member,
      });
      continue;
    }
    const path = member.name === undefined ? prefix.replace(/\.$/, '') : prefix + member.name;
    const nextPrefix = member.name === undefined ? prefix : `${path}.`;
    const { element, dimensions } = arrayShape(member.type);
    const resolvedElement = resolveTypedefs(element);
    if (resolvedElement.kind === 'record' && resolvedElement.decl.complete) {
      const inner = engine.layoutOf(resolvedElement.decl);
      if (dimensions.length === 0) {
        walk(inner, engine, nextPrefix, base + m.offset, count, leaves);
      } else {
        const elements = dimensions.reduce((a, b) => a * b, 1);
        walk(inner, engine, `${path}${'[0]'.repeat(dimensions.length)}.`, base + m.offset, elements, leaves);
      }
      continue;
    }
    const elements = dimensions.length ? dimensions.reduce((a, b) => a * b, 1) : undefined;
    leaves.push({
      path,
      offset: base + m.offset,
      size: m.size,
      type: typeSpelling(element),
      resolved: resolvedElement,
      ...(elements !== undefined ? { count: elements, dimensions } : count !== undefined ? { count } : {}),
      location: member.location,
      ...(member.comment ? { comment: member.comment } : {}),
      member,
    });
  }
}

/** `T x[2][3]` -> element T, dimensions [2, 3]; a flexible array has dimension 0. */
function arrayShape(type: CType): { element: CType; dimensions: number[] } {
  const dimensions: number[] = [];
  let current = type;
  for (;;) {
    const resolved = resolveTypedefs(current);
    if (resolved.kind !== 'array') return { element: current, dimensions };
    dimensions.push(resolved.length ?? 0);
    current = resolved.element;
  }
}
