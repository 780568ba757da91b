import type { RecordInfo } from '../headerAnalysis';
import type { MemberLayout } from '../layout/recordLayout';
import { typeSpelling } from '../model/types';

// Layouts as pahole prints them: each member with its offset and size, holes and tail
// padding called out, because holes are what a protocol author wants to see.

export function paholeText(record: RecordInfo): string {
  const title = record.name.startsWith(`${record.kind} `) ? record.name : `${record.kind} ${record.name}`;
  const lines: string[] = [`${title} {`];
  let end = 0;
  let holes = 0;
  let holeBytes = 0;
  const members = record.layout.members;
  for (const m of members) {
    const start = m.offset;
    if (record.kind === 'struct' && start > end && m.member.bitWidth === undefined) {
      lines.push(`\t/* XXX ${start - end} byte${start - end === 1 ? '' : 's'} hole, try to pack */`);
      holes++;
      holeBytes += start - end;
    }
    lines.push(memberLine(m));
    end = record.kind === 'union' ? Math.max(end, m.offset + m.size) : Math.max(end, m.member.bitWidth !== undefined ? Math.ceil((m.bitOffset! + m.bitWidth!) / 8) : m.offset + m.size);
  }
  const padding = record.size - end;
  lines.push('');
  lines.push(`\t/* size: ${record.size}, align: ${record.align}, members: ${members.length}${holes ? `, holes: ${holes}, sum holes: ${holeBytes}` : ''} */`);
  if (padding > 0) lines.push(`\t/* padding: ${padding} */`);
  lines.push(`};  /* ${record.location.file}:${record.location.line} */`);
  return lines.join('\n');
}

function memberLine(m: MemberLayout): string {
  const type = typeSpelling(m.member.type);
  const { base, suffix } = splitArray(type);
  const name = (m.member.name ?? '') + suffix + (m.member.bitWidth !== undefined ? `:${m.member.bitWidth}` : '');
  const declaration = `\t${base.padEnd(30)} ${name};`;
  const position = m.member.bitWidth !== undefined ? `${m.offset}:${String(m.bitOffset! - m.offset * 8).padStart(2)}` : String(m.offset);
  return `${declaration.padEnd(56)} /* ${position.padStart(6)} ${String(m.size).padStart(5)} */`;
}

/** `uint32_t[4][2]` -> base `uint32_t`, suffix `[4][2]`, so the member reads like C. */
function splitArray(type: string): { base: string; suffix: string } {
  const at = type.search(/(\[\d*\])+$/);
  return at < 0 ? { base: type, suffix: '' } : { base: type.slice(0, at), suffix: type.slice(at) };
}
