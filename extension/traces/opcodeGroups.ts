import type { CommandProfile } from '../protocol/profile/commandProfile';

// Opcode families as headers lay them out: values numbered in blocks of sixteen (resources
// 0x0001.., state objects 0x0010.., draws 0x0201..), each named after the word most of its
// opcodes share. The table colours opcodes by family.

export function opcodeGroups(command: CommandProfile): Map<bigint, string> {
  const blocks = new Map<bigint, string[]>();
  for (const opcode of command.opcodes.values()) {
    const key = opcode.value >> 4n;
    blocks.set(key, [...(blocks.get(key) ?? []), opcode.shortName]);
  }
  const groups = new Map<bigint, string>();
  for (const opcode of command.opcodes.values()) groups.set(opcode.value, commonWord(blocks.get(opcode.value >> 4n)!));
  return groups;
}

function commonWord(names: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const name of names) for (const word of new Set(name.split('_'))) counts.set(word, (counts.get(word) ?? 0) + 1);
  const [word] = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? [''];
  return word.toLowerCase();
}
