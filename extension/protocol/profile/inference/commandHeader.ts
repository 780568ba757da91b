import type { HeaderAnalysis, RecordInfo } from '../../headerAnalysis';
import type { LeafField } from '../../layout/flatten';
import { resolveTypedefs } from '../../model/types';
import { bestNamedField, commentText, compareScores, isPlainInteger, plural, words, type Confidence, type Explain } from './names';

// The command header is the struct every command struct starts with, so the header tells
// on itself: count, for each struct, how many others embed it as their first member.

export interface CommandFraming {
  readonly header: RecordInfo;
  /** The structs that start with the header: the payload candidates. */
  readonly embedders: readonly RecordInfo[];
  readonly opcodeField: LeafField;
  readonly sizeField?: LeafField;
  readonly sizeIncludesHeader: boolean;
}

const OPCODE_WORDS = ['opcode', 'op', 'cmd', 'command', 'type', 'kind', 'id'];
const CONVENTIONAL_OPCODE_WORDS = new Set(['opcode', 'op', 'cmd', 'command', 'type']);
const SIZE_WORDS = ['size', 'length', 'len', 'bytes', 'dwords', 'dword', 'nbytes'];
const DWORD_WORDS = new Set(['dwords', 'dword', 'dw', 'ndw']);
const PAYLOAD_ONLY_WORDS = new Set(['payload', 'data', 'body', 'extra', 'args']);

export function inferCommandFraming(analysis: HeaderAnalysis, explain: Explain): CommandFraming | undefined {
  const ranked = rankHeaders(analysis);
  const usable = ranked.find((c) => opcodeFieldOf(c.record) !== undefined);
  if (!usable) {
    const top = ranked[0];
    const why = top ? `${top.record.name} is embedded first by ${top.embedders.length} structs but has no integer field named like ${OPCODE_WORDS.join('/')}` : 'no struct is embedded as the first member of another';
    explain('protocol.command', `not inferred: ${why}; write protocol.command by hand`, 'sure');
    return undefined;
  }
  const { record: header, embedders } = usable;
  explain('protocol.command.header', `${header.name} — ${headerEvidence(usable, ranked)}`, headerConfidence(usable, ranked));

  const opcodeField = opcodeFieldOf(header)!;
  explain('protocol.command.opcodeField', `${opcodeField.path} — ${describe(opcodeField)} named like an opcode${commentNote(opcodeField)}`, opcodeConfidence(opcodeField));

  const sizeField = bestNamedField(integerFields(header).filter((f) => f !== opcodeField), SIZE_WORDS);
  if (!sizeField) {
    explain('protocol.command.sizeField', `none — no field of ${header.name} is named like ${SIZE_WORDS.join('/')}, so each record's length must come from its framing (a virtio buffer, a capture packet)`, 'likely');
    return { header, embedders, opcodeField, sizeIncludesHeader: true };
  }
  explainSize(sizeField, explain);
  const sizeIncludesHeader = !payloadOnly(sizeField);
  const includes = /includ(es|ing) (the |this )?header/i.test(commentText(sizeField));
  explain(
    'protocol.command.sizeIncludesHeader',
    sizeIncludesHeader ? `true — ${includes ? 'the comment says the size includes the header' : `nothing in "${sizeField.path}" says payload only`}` : `false — "${sizeField.path}" reads as the payload's size only`,
    includes ? 'sure' : sizeIncludesHeader ? 'likely' : 'guess',
  );
  return { header, embedders, opcodeField, sizeField, sizeIncludesHeader };
}

interface HeaderCandidate {
  readonly record: RecordInfo;
  readonly embedders: RecordInfo[];
  readonly headerName: boolean;
  readonly headerSize: boolean;
}

/** Structs embedded first by others, most embedded first; then header-like names, then 8 to 32 bytes. */
function rankHeaders(analysis: HeaderAnalysis): HeaderCandidate[] {
  const byDecl = new Map(analysis.records.map((r) => [r.decl, r]));
  const embedders = new Map<RecordInfo, RecordInfo[]>();
  for (const record of analysis.records) {
    const first = record.layout.members[0];
    if (first?.offset !== 0 || first.member.bitWidth !== undefined) continue;
    const type = resolveTypedefs(first.member.type);
    const embedded = type.kind === 'record' ? byDecl.get(type.decl) : undefined;
    if (embedded && embedded !== record) embedders.set(embedded, [...(embedders.get(embedded) ?? []), record]);
  }
  const candidates = [...embedders].map(([record, list]) => ({
    record,
    embedders: list,
    headerName: /header|hdr/i.test(record.name),
    headerSize: record.size >= 8 && record.size <= 32,
  }));
  const score = (c: HeaderCandidate) => [c.embedders.length, Number(c.headerName), Number(c.headerSize)];
  return candidates.sort((a, b) => compareScores(score(b), score(a)));
}

function headerEvidence(chosen: HeaderCandidate, ranked: readonly HeaderCandidate[]): string {
  const embedded = `embedded first by ${plural(chosen.embedders.length, 'struct')}`;
  const top = ranked[0]!;
  if (top !== chosen) return `${embedded}; ${top.record.name} starts more (${top.embedders.length}) but has no opcode-like field`;
  const rival = ranked[1];
  if (!rival) return embedded;
  if (rival.embedders.length < chosen.embedders.length) return `${embedded}; next is ${rival.record.name} with ${rival.embedders.length}`;
  return `${embedded}, as many as ${rival.record.name}, but ${chosen.headerName && !rival.headerName ? 'named like a header' : `${chosen.record.size} bytes`}`;
}

function headerConfidence(chosen: HeaderCandidate, ranked: readonly HeaderCandidate[]): Confidence {
  const rival = ranked.find((c) => c !== chosen);
  const count = chosen.embedders.length;
  if (count >= 3 && (!rival || rival.embedders.length * 2 <= count)) return 'sure';
  return count >= 2 && (!rival || rival.embedders.length < count) ? 'likely' : 'guess';
}

function integerFields(record: RecordInfo): LeafField[] {
  return record.fields.filter((f) => isPlainInteger(f));
}

/** A field whose comment calls it the opcode wins; then the best opcode-like name. */
function opcodeFieldOf(record: RecordInfo): LeafField | undefined {
  const fields = integerFields(record);
  return fields.find((f) => /\bopcode\b/i.test(commentText(f))) ?? bestNamedField(fields, OPCODE_WORDS);
}

/** `type`, `opcode` or a comment saying so are conventional; `kind` less so; `msg_id` is a stretch. */
function opcodeConfidence(field: LeafField): Confidence {
  const fieldWords = words(field.path);
  if (/opcode|command/i.test(commentText(field)) || (fieldWords.length === 1 && CONVENTIONAL_OPCODE_WORDS.has(fieldWords[0]!))) return 'sure';
  return fieldWords.some((w) => w !== 'id' && OPCODE_WORDS.includes(w)) ? 'likely' : 'guess';
}

function explainSize(field: LeafField, explain: Explain): void {
  const dwords = words(field.path).some((w) => DWORD_WORDS.has(w)) || /dword|32-bit words|4-byte units/i.test(commentText(field));
  if (dwords) {
    explain('protocol.command.sizeField', `${field.path} — warning: it counts dwords, but the decoder reads sizes in bytes and has no dword support yet, so records will be framed wrongly${commentNote(field)}`, 'guess');
    return;
  }
  const sure = /\bbytes?\b|\bsize\b/i.test(commentText(field)) && !payloadOnly(field);
  explain('protocol.command.sizeField', `${field.path} — ${describe(field)} named like a size${commentNote(field)}`, sure ? 'sure' : 'likely');
}

function payloadOnly(field: LeafField): boolean {
  return words(field.path).some((w) => PAYLOAD_ONLY_WORDS.has(w)) || /payload only|exclud(es|ing) (the |this )?header|not including (the |this )?header/i.test(commentText(field));
}

function describe(field: LeafField): string {
  return `a ${field.size}-byte integer at offset ${field.offset}`;
}

function commentNote(field: LeafField): string {
  const text = commentText(field);
  return text ? `; its comment: "${text}"` : '';
}
