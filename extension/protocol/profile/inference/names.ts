import type { LeafField } from '../../layout/flatten';
import { resolveTypedefs } from '../../model/types';

// Naming conventions are most of the evidence a header gives about its own protocol:
// these helpers read names word by word, whatever the case style.

export type Confidence = 'sure' | 'likely' | 'guess';

export interface Explanation {
  /** The gpupv.json property the guess is for, e.g. `protocol.command.header`. */
  readonly property: string;
  /** What was chosen and the evidence, one line. */
  readonly message: string;
  readonly confidence: Confidence;
}

export type Explain = (property: string, message: string, confidence: Confidence) => void;

/** `producer_ptr` -> producer, ptr; `PvgpuCmdCreateDSState` -> pvgpu, cmd, create, ds, state. */
export function words(name: string): string[] {
  return name
    .replace(/^(struct|union|enum)\s+/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

export function hasWord(name: string, wanted: ReadonlySet<string>): boolean {
  return words(name).some((w) => wanted.has(w));
}

/** The longest prefix all names share that ends where each of them starts a new word. */
export function commonWordPrefix(names: readonly string[]): string {
  let prefix = names[0] ?? '';
  for (const name of names) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  while (prefix.length > 0 && !names.every((name) => startsWord(name, prefix.length))) prefix = prefix.slice(0, -1);
  return prefix;
}

function startsWord(name: string, at: number): boolean {
  if (at >= name.length) return false;
  const before = name[at - 1]!;
  return /[_\s]/.test(before) || (/[a-z0-9]/.test(before) && /[A-Z]/.test(name[at]!));
}

/** A plain integer leaf a profile can point at: no bit-field, no array, 1 to 8 bytes. */
export function isPlainInteger(field: LeafField, sizes: readonly number[] = [1, 2, 4, 8]): boolean {
  const kind = resolveTypedefs(field.resolved).kind;
  return (kind === 'integer' || kind === 'enum') && field.bitWidth === undefined && field.count === undefined && sizes.includes(field.size);
}

/** The first field whose name has a word of the highest-ranked keyword; a name that is just the keyword wins ties. */
export function bestNamedField(fields: readonly LeafField[], keywords: readonly string[]): LeafField | undefined {
  let best: { field: LeafField; rank: number } | undefined;
  for (const field of fields) {
    const fieldWords = words(field.path);
    const index = keywords.findIndex((k) => fieldWords.includes(k));
    if (index < 0) continue;
    const rank = index * 2 + (fieldWords.length === 1 ? 0 : 1);
    if (!best || rank < best.rank) best = { field, rank };
  }
  return best?.field;
}

/** A member's trailing comment without its delimiters. */
export function commentText(field: LeafField): string {
  return (field.comment ?? '').replace(/^\/\*+|\*+\/$|^\/\/+/g, '').trim();
}

/** Orders scores compared element by element, the first element weighing most. */
export function compareScores(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** `a, b, c and 4 more` */
export function listSome(names: readonly string[], max = 6): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
