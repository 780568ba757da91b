import type { HeaderAnalysis, RecordInfo } from '../../headerAnalysis';
import type { LeafField } from '../../layout/flatten';
import type { RingProfileConfig } from '../ringProfile';
import { bestNamedField, commentText, hasWord, isPlainInteger, listSome, words, type Explain } from './names';

// The ring's control region: a struct (not a command) with a producer-like and a
// consumer-like 32- or 64-bit field. Strong names (producer, wptr) beat weak ones (head,
// write), which beat nothing. Its magic: a field named like magic or signature, whose value
// its comment names (`/* PVGPU_MAGIC */`) or a `*_MAGIC` macro gives.

const PRODUCER_WORDS = ['producer', 'prod', 'wptr', 'head', 'write', 'writer'];
const CONSUMER_WORDS = ['consumer', 'cons', 'rptr', 'tail', 'read', 'reader'];
/** Words that make a field something other than a ring pointer (`stencil_read_mask`, `guest_fence_request`). */
const NOT_POINTER = new Set(['fence', 'mask', 'flags']);
const STRONG = 3;

interface ControlCandidate {
  readonly record: RecordInfo;
  readonly producer: LeafField;
  readonly consumer: LeafField;
  readonly strength: number;
}

export function inferRing(analysis: HeaderAnalysis, commandStructs: ReadonlySet<RecordInfo>, explain: Explain): RingProfileConfig | undefined {
  const control = analysis.records
    .filter((r) => !commandStructs.has(r))
    .map(controlCandidate)
    .filter((c) => c !== undefined)
    .sort((a, b) => b.strength - a.strength)[0];
  if (!control) {
    explain('protocol.ring', `not inferred: no struct outside the commands has both a producer-like (${PRODUCER_WORDS.join('/')}) and a consumer-like (${CONSUMER_WORDS.join('/')}) 32- or 64-bit field; add protocol.ring by hand if the control region is in another header`, 'likely');
    return undefined;
  }
  const { record, producer, consumer } = control;
  const strong = control.strength >= 2 * STRONG;
  explain('protocol.ring.control', `${record.name} — ${producer.path} and ${consumer.path} are named like producer and consumer pointers`, strong ? 'sure' : 'likely');
  const fields = record.fields.filter((f) => isPlainInteger(f, [4, 8]));
  const ringOffset = ringField(fields, ['offset', 'base', 'start']);
  const ringSize = ringField(fields, ['size', 'bytes', 'length', 'len']);
  for (const [found, property, name] of [[ringOffset, 'ringOffset', 'OFFSET'], [ringSize, 'ringSize', 'SIZE']] as const) {
    if (found) explain(`protocol.ring.${property}Field`, `${found.path} — named like the ring's ${name.toLowerCase()}`, 'sure');
    else explain(`protocol.ring.${property}`, `not inferred: ${record.name} has no field named like ring_${name.toLowerCase()}${macroHint(analysis, name, property)}`, 'sure');
  }
  const completed = fields.find((f) => hasWord(f.path, new Set(['fence'])) && hasWord(f.path, new Set(['completed', 'complete', 'done', 'retired', 'signaled', 'host'])));
  if (completed) explain('protocol.ring.completedFenceField', `${completed.path} — named like the last fence the host completed`, 'likely');
  const magic = inferMagic(analysis, record, fields, explain);
  return {
    control: record.name,
    producerField: producer.path,
    consumerField: consumer.path,
    ...(ringOffset ? { ringOffsetField: ringOffset.path } : {}),
    ...(ringSize ? { ringSizeField: ringSize.path } : {}),
    pointers: pointerMode(producer, consumer, explain),
    ...(completed ? { completedFenceField: completed.path } : {}),
    ...(magic ? { magicField: magic.field.path, magic: magic.value } : {}),
  };
}

const MAGIC_WORDS = new Set(['magic', 'signature', 'sig']);

/** The magic field and its value: a constant the field's comment names, a number in that comment, or the one `*_MAGIC` macro. */
function inferMagic(analysis: HeaderAnalysis, record: RecordInfo, fields: readonly LeafField[], explain: Explain): { field: LeafField; value: string | number } | undefined {
  const field = fields.find((f) => hasWord(f.path, MAGIC_WORDS));
  if (!field) {
    explain('protocol.ring.magic', `not inferred: ${record.name} has no 32- or 64-bit field named like magic or signature; without one, rings in /dev/shm cannot be recognised (configure them in "live.rings")`, 'likely');
    return undefined;
  }
  const comment = commentText(field);
  const named = comment.match(/[A-Za-z_]\w*/g)?.find((word) => typeof analysis.constants.get(word) === 'bigint');
  if (named) {
    explain('protocol.ring.magic', `${named} — ${record.name}.${field.path}'s comment names it`, 'sure');
    return { field, value: named };
  }
  const literal = /\b(0[xX][0-9a-fA-F]+|\d{4,})\b/.exec(comment)?.[1];
  if (literal) {
    explain('protocol.ring.magic', `${literal} — the number in ${record.name}.${field.path}'s comment`, 'likely');
    return { field, value: literal.toLowerCase().startsWith('0x') ? literal : Number(literal) };
  }
  const macros = [...analysis.constants].filter(([name, value]) => typeof value === 'bigint' && (name === 'MAGIC' || name.endsWith('_MAGIC'))).map(([name]) => name);
  if (macros.length === 1) {
    explain('protocol.ring.magic', `${macros[0]!} — the header's only *_MAGIC macro, for ${record.name}.${field.path} (its comment does not say)`, 'likely');
    return { field, value: macros[0]! };
  }
  const why = macros.length === 0 ? 'no *_MAGIC macro either' : `${listSome(macros)} are all *_MAGIC macros`;
  explain('protocol.ring.magic', `not inferred: ${record.name}.${field.path} is named like a magic, but its comment names no constant and ${why}; add "magicField": "${field.path}" and "magic"`, 'likely');
  return undefined;
}

function controlCandidate(record: RecordInfo): ControlCandidate | undefined {
  const fields = record.fields.filter((f) => isPlainInteger(f, [4, 8]) && !hasWord(f.path, NOT_POINTER));
  const producer = bestNamedField(fields, PRODUCER_WORDS);
  const consumer = bestNamedField(fields, CONSUMER_WORDS);
  if (!producer || !consumer) return undefined;
  const strength = (list: string[], field: LeafField) => (words(field.path).some((w) => list.slice(0, STRONG).includes(w)) ? STRONG : 1);
  return { record, producer, consumer, strength: strength(PRODUCER_WORDS, producer) + strength(CONSUMER_WORDS, consumer) };
}

/** `ring_offset`, `ringSize`: the word ring and one of `what`. */
function ringField(fields: readonly LeafField[], what: readonly string[]): LeafField | undefined {
  return fields.find((f) => hasWord(f.path, new Set(['ring'])) && hasWord(f.path, new Set(what)));
}

/** A `*RING_OFFSET` / `*RING_SIZE` macro is likely the fixed value. */
function macroHint(analysis: HeaderAnalysis, name: string, property: string): string {
  const macro = [...analysis.constants].find(([n, v]) => typeof v === 'bigint' && (n === `RING_${name}` || n.endsWith(`_RING_${name}`)));
  return macro ? `; ${macro[0]} = ${macro[1]} may be it: add "${property}": ${macro[1]}` : `; add "${property}" (a number) or "${property}Field"`;
}

function pointerMode(producer: LeafField, consumer: LeafField, explain: Explain): 'monotonic' | 'wrapped' {
  const comments = `${commentText(producer)} ${commentText(consumer)}`;
  if (/monoton|byte counter|never wrap/i.test(comments)) {
    explain('protocol.ring.pointers', 'monotonic — the pointers\u2019 comments say they only grow', 'sure');
    return 'monotonic';
  }
  if (producer.size === 8 && consumer.size === 8) {
    explain('protocol.ring.pointers', 'monotonic — 64-bit pointers are almost always free-running byte counters (position = pointer mod ring size)', 'likely');
    return 'monotonic';
  }
  explain('protocol.ring.pointers', `wrapped — ${producer.size * 8}-bit pointers and no comment saying "monotonic": assumed to wrap at the ring size; check whether they are counters`, 'guess');
  return 'wrapped';
}
