import { fieldMeanings } from '../../decode/fieldMeaning';
import type { HeaderAnalysis, RecordInfo } from '../../headerAnalysis';
import type { LeafField } from '../../layout/flatten';
import { resolveTypedefs } from '../../model/types';
import type { CommandProfile, OpcodeInfo } from '../commandProfile';
import { opcodeWords, OpcodeGroups, singular } from '../opcodeGroups';
import type { ResourceKindConfig, ResourcesConfig } from '../resourceProfile';
import { commentText, commonWordPrefix, isPlainInteger, listSome, words, type Confidence, type Explain } from './names';

// `protocol.resources` read off the header. Opcodes named with a create verb (CREATE, ALLOC,
// OPEN...) are paired with those named with a destroy verb (DESTROY, FREE, UNREF, CLOSE...)
// by the object their names give: the same object (CREATE_SHADER, DESTROY_SHADER), a
// destroy of what the create's object ends in (CREATE_RENDER_TARGET_VIEW, DESTROY_VIEW), or
// else the one destroy of the create's opcode family (CREATE_SAMPLER, DESTROY_STATE_OBJECT),
// all the stronger when a kind field of the destroy lists the creates' objects. The id each
// one carries is its field named like that object's id; uses are the fields of any command
// named like an id of the kind (its object words, their initials such as rtv for
// RENDER_TARGET_VIEW, or the types a create's kind field lists, such as BUFFER), arrays
// with the field counting their ids when there is one.

const CREATE_VERBS = new Set(['create', 'alloc', 'allocate', 'new', 'open']);
const DESTROY_VERBS = new Set(['destroy', 'free', 'release', 'delete', 'unref', 'dealloc', 'deallocate', 'close']);
const ID_WORDS = new Set(['id', 'ids', 'handle', 'handles']);
const INVALID_WORDS = new Set(['invalid', 'null', 'none', 'no', 'nil']);
const COUNT_WORDS = new Set(['num', 'n', 'count', 'nr']);

interface Lifecycle {
  readonly opcode: OpcodeInfo;
  /** What the name says is created or destroyed: `render target view` of CREATE_RENDER_TARGET_VIEW, `resource` of RESOURCE_UNREF. */
  readonly object: readonly string[];
}

interface Pairing {
  readonly create: Lifecycle;
  readonly destroy: Lifecycle;
  readonly why: string;
  readonly confidence: Confidence;
}

interface KindDraft {
  readonly creates: Lifecycle[];
  readonly destroys: Lifecycle[];
  readonly pairings: Pairing[];
}

export function inferResources(analysis: HeaderAnalysis, command: CommandProfile, explain: Explain): ResourcesConfig | undefined {
  const typeLists = (record: RecordInfo | undefined) => typeListsOf(analysis, command, record);
  const opcodes = [...command.opcodes.values()].sort((a, b) => (a.value < b.value ? -1 : 1));
  const creates = opcodes.map((o) => lifecycleOf(o, CREATE_VERBS)).filter((l) => l !== undefined);
  const destroys = opcodes.map((o) => lifecycleOf(o, DESTROY_VERBS)).filter((l) => l !== undefined);
  const groups = new OpcodeGroups(command);
  const pairings: Pairing[] = [];
  const unpaired: Lifecycle[] = [];
  for (const create of creates) {
    const found = pair(create, destroys, groups, typeLists);
    if (found.length === 0) unpaired.push(create);
    pairings.push(...found);
  }
  if (unpaired.length > 0) {
    explain('protocol.resources', `${listSome(unpaired.map((c) => c.opcode.shortName))}: no destroy opcode pairs with ${unpaired.length === 1 ? 'it' : 'them'}, so ${unpaired.length === 1 ? 'its' : 'their'} ids are not tracked`, 'likely');
  }
  const drafts = kindsOf(pairings);
  const fields = new LeafIndex(command, opcodes);
  const kinds: ResourceKindConfig[] = [];
  const vocabularies: Map<string, string>[] = [];
  for (const draft of drafts) {
    const property = `protocol.resources.kinds[${kinds.length}]`;
    const kindName = nameOf(draft, kinds);
    const create = idFields(draft.creates, property, 'create', command, explain);
    const destroy = idFields(draft.destroys, property, 'destroy', command, explain);
    if (Object.keys(create).length === 0 || Object.keys(destroy).length === 0) {
      explain(property, `${kindName}: not inferred, the ids ${Object.keys(create).length === 0 ? 'created' : 'destroyed'} could not be told from the fields`, 'likely');
      continue;
    }
    const reasons = [...new Set(draft.pairings.map((p) => p.why))];
    explain(property, `${kindName} — created by ${listSome(draft.creates.map((c) => c.opcode.shortName))}, destroyed by ${listSome(draft.destroys.map((d) => d.opcode.shortName))}: ${reasons.join('; ')}`, weakest(draft.pairings.map((p) => p.confidence)));
    kinds.push({ name: kindName, create, destroy });
    vocabularies.push(vocabularyOf(draft, typeLists));
  }
  if (kinds.length === 0) {
    explain('protocol.resources', `not inferred: no opcodes named like a create (${[...CREATE_VERBS].join('/')}) and a destroy (${[...DESTROY_VERBS].join('/')}) of the same object`, 'likely');
    return undefined;
  }
  removeShared(vocabularies);

  kinds.forEach((kind, k) => {
    const uses = inferUses(kind, vocabularies[k]!, fields, `protocol.resources.kinds[${k}]`, explain);
    if (uses.length > 0) kinds[k] = { ...kind, uses };
  });
  return { invalidIds: invalidIds(analysis, explain), kinds };
}

/** `CREATE_RENDER_TARGET_VIEW` -> render target view; `RESOURCE_CREATE_2D` -> resource (what comes after the verb qualifies it). */
function lifecycleOf(opcode: OpcodeInfo, verbs: ReadonlySet<string>): Lifecycle | undefined {
  const nameWords = opcodeWords(opcode);
  const at = nameWords.findIndex((w) => verbs.has(w));
  if (at < 0) return undefined;
  const object = at === 0 ? nameWords.slice(1) : nameWords.slice(0, at);
  return object.length > 0 ? { opcode, object } : undefined;
}

function pair(create: Lifecycle, destroys: readonly Lifecycle[], groups: OpcodeGroups, typeLists: (record: RecordInfo | undefined) => TypeList[]): Pairing[] {
  const object = create.object.join(' ');
  const same = destroys.filter((d) => d.object.join(' ') === object);
  if (same.length > 0) return same.map((destroy) => ({ create, destroy, why: `the same object (${object})`, confidence: 'sure' }));
  const endings = destroys.filter((d) => d.object.length < create.object.length && create.object.slice(-d.object.length).join(' ') === d.object.join(' '));
  const longest = Math.max(0, ...endings.map((d) => d.object.length));
  const ending = endings.filter((d) => d.object.length === longest);
  if (ending.length > 0) return ending.map((destroy) => ({ create, destroy, why: `each a ${destroy.object.join(' ')} (${destroy.opcode.shortName}'s object)`, confidence: 'sure' }));
  const family = groups.indexOf(Number(create.opcode.value));
  const inFamily = destroys.filter((d) => groups.indexOf(Number(d.opcode.value)) === family);
  if (inFamily.length !== 1) return [];
  const destroy = inFamily[0]!;
  const group = groups.groups[family]!;
  const listed = typeLists(destroy.opcode.payload).find((list) => list.types.some((type) => type.every((w) => create.object.includes(w))));
  const range = `0x${group.first.toString(16)}–0x${group.last.toString(16)}`;
  const why = listed ? `${destroy.opcode.shortName} is the one destroy of their opcode family (${range}) and its ${listed.field} lists them` : `${destroy.opcode.shortName} is the one destroy of their opcode family (${range})`;
  return [{ create, destroy, why, confidence: listed ? 'likely' : 'guess' }];
}

interface TypeList {
  readonly field: string;
  /** Each constant's words after the enum's shared prefix: [[blend], [depth, stencil], [input, layout]]. */
  readonly types: readonly (readonly string[])[];
}

/** The payload's own fields named like a type or kind (`resource_type`, `object_kind`, not the header's opcode) whose values an enum names. */
function typeListsOf(analysis: HeaderAnalysis, command: CommandProfile, record: RecordInfo | undefined): TypeList[] {
  if (!record) return [];
  const lists: TypeList[] = [];
  for (const [path, meaning] of fieldMeanings(analysis, record)) {
    const last = words(path).at(-1);
    if (meaning.kind !== 'enum' || (last !== 'type' && last !== 'kind') || path.startsWith(`${command.headerMember}.`)) continue;
    const names = [...meaning.names.values()];
    const prefix = commonWordPrefix(names);
    lists.push({ field: path, types: names.map((n) => n.slice(prefix.length).toLowerCase().split('_').filter(Boolean).map(singular)) });
  }
  return lists;
}

/** Pairings sharing a create or a destroy are one kind: DESTROY_STATE_OBJECT gathers every CREATE_*_STATE. */
function kindsOf(pairings: readonly Pairing[]): KindDraft[] {
  const kinds: KindDraft[] = [];
  for (const pairing of pairings) {
    const joined = kinds.filter((k) => k.creates.includes(pairing.create) || k.destroys.includes(pairing.destroy));
    const kind: KindDraft = joined[0] ?? { creates: [], destroys: [], pairings: [] };
    if (joined.length === 0) kinds.push(kind);
    for (const other of joined.slice(1)) {
      kind.creates.push(...other.creates);
      kind.destroys.push(...other.destroys);
      kind.pairings.push(...other.pairings);
      kinds.splice(kinds.indexOf(other), 1);
    }
    if (!kind.creates.includes(pairing.create)) kind.creates.push(pairing.create);
    if (!kind.destroys.includes(pairing.destroy)) kind.destroys.push(pairing.destroy);
    kind.pairings.push(pairing);
  }
  return kinds;
}

/** What the destroys say they destroy, the shortest: `view`, `state object`, `resource`. */
function nameOf(draft: KindDraft, named: readonly ResourceKindConfig[]): string {
  const name = draft.destroys.map((d) => d.object.join(' ')).sort((a, b) => a.length - b.length)[0]!;
  return named.some((k) => k.name === name) ? `${name} ${named.length + 1}` : name;
}

const last = (path: string) => path.slice(path.lastIndexOf('.') + 1).replace(/\[\d*\]/g, '');

/** `src_resource_id` -> src, resource; `rtv_ids` -> rtv; undefined when the field is not named like an id. */
function idStem(path: string): string[] | undefined {
  const nameWords = words(last(path)).map(singular);
  return nameWords.length > 1 && ID_WORDS.has(nameWords.at(-1)!) ? nameWords.slice(0, -1) : undefined;
}

/** Each opcode's field holding the id it creates or destroys: the one named like its object's id. */
function idFields(lifecycles: readonly Lifecycle[], property: string, role: 'create' | 'destroy', command: CommandProfile, explain: Explain): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const { opcode, object } of lifecycles) {
    const record = opcode.payload ?? command.header;
    const prefix = record === command.header ? `${command.headerMember}.` : '';
    const candidates = record.fields.filter((f) => isPlainInteger(f) && idStem(f.path)).map((f) => ({ path: prefix + f.path, stem: idStem(f.path)! }));
    const score = (stem: readonly string[]) => (stem.at(-1) === object.at(-1) ? 2 : stem.some((w) => object.includes(w)) ? 1 : 0);
    const best = Math.max(0, ...candidates.map((c) => score(c.stem)));
    const named = candidates.filter((c) => best > 0 && score(c.stem) === best);
    const inPayload = candidates.filter((c) => !c.path.startsWith(`${command.headerMember}.`));
    const at = `${property}.${role}.${opcode.name}`;
    if (named.length === 1) {
      ids[opcode.name] = named[0]!.path;
      explain(at, `${named[0]!.path} — named like the id of the ${object.join(' ')} it ${role}s`, best === 2 ? 'sure' : 'likely');
    } else if (inPayload.length === 1) {
      ids[opcode.name] = inPayload[0]!.path;
      explain(at, `${inPayload[0]!.path} — the only field of ${record.name} named like an id`, 'guess');
    } else {
      explain(at, `not inferred: ${candidates.length === 0 ? `${record.name} has no field named like an id` : `${listSome(candidates.map((c) => c.path))} could each be it`}; name it here`, 'likely');
    }
  }
  return ids;
}

/** The words a field's name may use for this kind's ids, each with why. */
function vocabularyOf(draft: KindDraft, typeLists: (record: RecordInfo | undefined) => TypeList[]): Map<string, string> {
  const vocabulary = new Map<string, string>();
  const add = (word: string, why: string) => {
    if (!vocabulary.has(word)) vocabulary.set(word, why);
  };
  for (const { opcode, object } of [...draft.creates, ...draft.destroys]) {
    add(object.at(-1)!, `what ${opcode.shortName} is about`);
    if (object.length > 1) add(object.map((w) => w[0]).join(''), `abbreviates ${object.join('_').toUpperCase()}`);
  }
  for (const { opcode } of [...draft.creates, ...draft.destroys]) {
    for (const list of typeLists(opcode.payload)) {
      for (const type of list.types) if (type.length > 0) add(type.at(-1)!, `one of the types ${opcode.shortName}'s ${list.field} lists`);
    }
  }
  return vocabulary;
}

/** A word two kinds could claim tells neither apart. */
function removeShared(vocabularies: readonly Map<string, string>[]): void {
  const claims = new Map<string, number>();
  for (const v of vocabularies) for (const word of v.keys()) claims.set(word, (claims.get(word) ?? 0) + 1);
  for (const v of vocabularies) for (const word of [...v.keys()]) if (claims.get(word)! > 1) v.delete(word);
}

interface UseCandidate {
  readonly pattern: string;
  readonly stem: readonly string[];
  readonly opcodes: OpcodeInfo[];
  readonly elements?: number;
  readonly count?: string;
  readonly comment: string;
}

function inferUses(kind: ResourceKindConfig, vocabulary: ReadonlyMap<string, string>, fields: LeafIndex, property: string, explain: Explain): string[] {
  const uses: string[] = [];
  for (const candidate of fields.idFields()) {
    const word = candidate.stem.at(-1)!;
    const why = vocabulary.get(word);
    if (!why) continue;
    const opcodes = candidate.opcodes.filter((o) => kind.create[o.name] !== candidate.pattern && kind.destroy[o.name] !== candidate.pattern);
    if (opcodes.length === 0) continue;
    const where = candidate.opcodes.length === fields.opcodeCount ? 'in every command (the header)' : `in ${listSome(opcodes.map((o) => o.shortName), 4)}`;
    const elements = candidate.elements === undefined ? '' : `; ${candidate.count ? `the first ${candidate.count} of its ${candidate.elements}` : `each of its ${candidate.elements}`} elements`;
    const comment = candidate.comment ? `; its comment: "${candidate.comment}"` : '';
    explain(`${property}.uses[${uses.length}]`, `${candidate.pattern} — ${where}: "${word}" ${why}${elements}${comment}`, candidate.stem.length === 1 && why.startsWith('what') ? 'sure' : 'likely');
    uses.push(candidate.pattern);
  }
  return uses;
}

/** Every field of every command named like an id, as a use pattern, with the opcodes whose commands have it. */
class LeafIndex {
  private candidates: UseCandidate[] | undefined;

  constructor(
    private readonly command: CommandProfile,
    private readonly opcodes: readonly OpcodeInfo[],
  ) {}

  get opcodeCount(): number {
    return this.opcodes.length;
  }

  idFields(): readonly UseCandidate[] {
    if (this.candidates) return this.candidates;
    const byPattern = new Map<string, UseCandidate>();
    for (const opcode of this.opcodes) {
      const record = opcode.payload ?? this.command.header;
      const prefix = record === this.command.header ? `${this.command.headerMember}.` : '';
      for (const leaf of record.fields) {
        const use = usePattern(record, leaf);
        if (!use) continue;
        const pattern = prefix + use.pattern;
        const existing = byPattern.get(pattern);
        if (existing) existing.opcodes.push(opcode);
        else byPattern.set(pattern, { ...use, pattern, opcodes: [opcode] });
      }
    }
    this.candidates = [...byPattern.values()];
    return this.candidates;
  }
}

/** `src_resource_id`; `rtv_ids[num_rtvs]` for an array of ids; `buffers[num_buffers].resource_id` for an id in an array of structs. */
function usePattern(record: RecordInfo, leaf: LeafField): Omit<UseCandidate, 'opcodes'> | undefined {
  const stem = idStem(leaf.path);
  const kind = resolveTypedefs(leaf.resolved).kind;
  if (!stem || (kind !== 'integer' && kind !== 'enum') || leaf.bitWidth !== undefined) return undefined;
  const comment = commentText(leaf);
  if (leaf.count === undefined) return isPlainInteger(leaf) ? { pattern: leaf.path, stem, comment } : undefined;
  // One level of array only: ids in an array of structs, or an array of ids, not arrays of arrays.
  const inStructs = leaf.path.split('[0]');
  if (leaf.count === 0 || (leaf.dimensions && (leaf.dimensions.length > 1 || inStructs.length > 1)) || inStructs.length > 2) return undefined;
  const array = inStructs[0]!;
  const count = countFieldOf(record, array);
  return { pattern: `${array}[${count ?? ''}]${inStructs[1] ?? ''}`, stem, comment, elements: leaf.count, ...(count ? { count } : {}) };
}

/** `num_rtvs` for `rtv_ids`, `num_buffers` or `buffer_count` for `buffers`: beside the array, named like a count of it. */
function countFieldOf(record: RecordInfo, array: string): string | undefined {
  const arrayWords = words(last(array)).map(singular);
  const stem = ID_WORDS.has(arrayWords.at(-1)!) && arrayWords.length > 1 ? arrayWords.slice(0, -1) : arrayWords;
  const parent = array.includes('.') ? array.slice(0, array.lastIndexOf('.') + 1) : '';
  return record.fields.find((f) => {
    if (!isPlainInteger(f) || !f.path.startsWith(parent) || f.path.slice(parent.length).includes('.')) return false;
    const fieldWords = words(last(f.path)).map(singular);
    const rest = COUNT_WORDS.has(fieldWords[0]!) ? fieldWords.slice(1) : COUNT_WORDS.has(fieldWords.at(-1)!) ? fieldWords.slice(0, -1) : undefined;
    return rest?.join(' ') === stem.join(' ');
  })?.path;
}

function invalidIds(analysis: HeaderAnalysis, explain: Explain): (string | number)[] {
  const named = [...analysis.constants].filter(([name, value]) => typeof value === 'bigint' && words(name).some((w) => INVALID_WORDS.has(w)) && words(name).some((w) => ID_WORDS.has(singular(w))));
  if (named.length === 0) {
    explain('protocol.resources.invalidIds', '0 — no constant is named like an id meaning "none"; 0 is assumed to be one (most protocols never hand it out)', 'guess');
    return [0];
  }
  explain('protocol.resources.invalidIds', `${named.map(([name, value]) => `${name} (${String(value)})`).join(', ')} — named like an id meaning "none"; never tracked`, 'sure');
  return named.map(([name]) => name);
}

function weakest(confidences: readonly Confidence[]): Confidence {
  return confidences.includes('guess') ? 'guess' : confidences.includes('likely') ? 'likely' : 'sure';
}
