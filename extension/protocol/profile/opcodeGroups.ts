import type { CommandProfile, OpcodeInfo } from './commandProfile';

// Opcode families as the header lays them out: protocols number their opcodes in blocks
// (resources at 0x0001, state objects at 0x0010, draws at 0x0201...), so a run of values
// that jumps to a new block of 16 across a gap starts a new group. Each group is named by
// the word its names share most that the other groups share least ("resource" for
// CREATE_RESOURCE, MAP_RESOURCE, COPY_RESOURCE...; "draw"; "set"). A protocol numbered
// without gaps would be one group; then its opcodes are grouped by their first word
// (CREATE, SET, DRAW) instead. Fence latency per group and the opcode table read these.

export interface OpcodeGroup {
  readonly name: string;
  /** The smallest and largest opcode value in the group. */
  readonly first: bigint;
  readonly last: bigint;
  readonly opcodes: readonly OpcodeInfo[];
}

/** A single block of more opcodes than this is split by first word rather than kept whole. */
const MAX_UNSPLIT = 8;
const BLOCK = 16n;

export class OpcodeGroups {
  readonly groups: readonly OpcodeGroup[];
  private readonly byValue = new Map<number, number>();

  constructor(command: CommandProfile) {
    const opcodes = [...command.opcodes.values()].sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    let runs = valueBlocks(opcodes);
    if (runs.length === 1 && opcodes.length > MAX_UNSPLIT) runs = byFirstWord(opcodes);
    this.groups = nameGroups(runs);
    this.groups.forEach((group, i) => group.opcodes.forEach((o) => this.byValue.set(Number(o.value), i)));
  }

  /** The group of an opcode value; `groups.length` (the "other" group) for a value the profile does not know. */
  indexOf(opcode: number): number {
    return this.byValue.get(opcode) ?? this.groups.length;
  }

  /** The group's name, "other" for opcodes the profile does not know. */
  nameOf(index: number): string {
    return this.groups[index]?.name ?? OTHER_GROUP;
  }
}

export const OTHER_GROUP = 'other';

function valueBlocks(opcodes: readonly OpcodeInfo[]): OpcodeInfo[][] {
  const runs: OpcodeInfo[][] = [];
  let previous: bigint | undefined;
  for (const opcode of opcodes) {
    const startsBlock = previous === undefined || (opcode.value / BLOCK !== previous / BLOCK && opcode.value - previous > 1n);
    if (startsBlock) runs.push([opcode]);
    else runs.at(-1)!.push(opcode);
    previous = opcode.value;
  }
  return runs;
}

function byFirstWord(opcodes: readonly OpcodeInfo[]): OpcodeInfo[][] {
  const runs = new Map<string, OpcodeInfo[]>();
  for (const opcode of opcodes) {
    const word = opcodeWords(opcode)[0] ?? '';
    runs.set(word, [...(runs.get(word) ?? []), opcode]);
  }
  return [...runs.values()];
}

function nameGroups(runs: readonly OpcodeInfo[][]): OpcodeGroup[] {
  const groupsWithWord = new Map<string, Set<number>>();
  runs.forEach((run, i) => {
    for (const opcode of run) for (const word of opcodeWords(opcode)) groupsWithWord.set(word, (groupsWithWord.get(word) ?? new Set()).add(i));
  });
  const taken = new Set<string>();
  return runs.map((run) => {
    let name = run.length === 1 ? run[0]!.shortName.toLowerCase() : bestWord(run, (word) => groupsWithWord.get(word)!.size);
    if (taken.has(name)) name = `${name} 0x${run[0]!.value.toString(16)}`;
    taken.add(name);
    // Runs keep the opcodes in value order, whichever way they were split.
    return { name, first: run[0]!.value, last: run.at(-1)!.value, opcodes: run };
  });
}

/** The word in most of the run's names per group it appears in; ties go to the word in more names. */
function bestWord(run: readonly OpcodeInfo[], groupsWith: (word: string) => number): string {
  const names = new Map<string, number>();
  for (const opcode of run) for (const word of new Set(opcodeWords(opcode))) names.set(word, (names.get(word) ?? 0) + 1);
  let best = '';
  let bestScore = -1;
  for (const [word, count] of names) {
    const score = count / groupsWith(word);
    if (score > bestScore || (score === bestScore && count > names.get(best)!)) {
      best = word;
      bestScore = score;
    }
  }
  return best;
}

/**
 * `SET_SHADER_RESOURCES` -> set, shader, resource: plurals folded so SAMPLER and SAMPLERS
 * count as one word, and a leading CMD (`VIRTIO_GPU_CMD_CTX_CREATE` in an enum that also
 * holds responses) dropped.
 */
export function opcodeWords(opcode: OpcodeInfo): string[] {
  const words = opcode.shortName.toLowerCase().split('_').filter(Boolean).map(singular);
  return words.length > 1 && (words[0] === 'cmd' || words[0] === 'command') ? words.slice(1) : words;
}

/** `views` -> view, `rtvs` -> rtv; `access`, `status` and short words stay. */
export function singular(word: string): string {
  return word.length > 3 && word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us') ? word.slice(0, -1) : word;
}
