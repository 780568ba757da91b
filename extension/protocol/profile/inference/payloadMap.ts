import type { RecordInfo } from '../../headerAnalysis';
import type { CommandProfile, OpcodeInfo } from '../commandProfile';
import { listSome, plural, words, type Explain } from './names';

// The payload map is where the naming convention runs out: near matches (a plural, a
// `State` suffix) go in so the user confirms them, and structs that start with the header
// but no opcode claimed are offered to the opcode whose name they abbreviate
// (`PvgpuCmdCreateDSState` for CREATE_DEPTH_STENCIL_STATE). What is left is listed.

export function inferPayloadMap(profile: CommandProfile, structPrefix: string, embedders: readonly RecordInfo[], explain: Explain): Record<string, string> {
  const opcodes = [...profile.opcodes.values()];
  const map: Record<string, string> = {};
  const near = opcodes.filter((o) => o.match === 'near');
  const convention = opcodes.filter((o) => o.match === 'convention').length;
  if (near.length > 0 && near.length <= convention) {
    for (const o of near) {
      map[o.name] = o.payload!.name;
      explain(`protocol.command.payloads.map.${o.name}`, `${o.payload!.name} — the only struct named close to ${o.shortName} (a plural or a State suffix apart); confirm it`, 'likely');
    }
  } else if (near.length > 0) {
    const example = near[0]!;
    explain('protocol.command.payloads', `${plural(near.length, 'opcode')} match their struct once a word such as CMD_ is dropped (${example.name} -> ${example.payload!.name}); the decoder does the same, so the map does not list them`, 'likely');
  }

  const claimed = new Set(opcodes.map((o) => o.payload));
  const orphans = embedders.filter((r) => !claimed.has(r));
  const missing = opcodes.filter((o) => o.match === 'none');
  const abbreviated = new Map(missing.map((o) => [o, orphans.filter((r) => abbreviates(structWords(r, structPrefix), opcodeWords(o)))]));
  const unresolved: string[] = [];
  for (const [opcode, candidates] of abbreviated) {
    const only = candidates.length === 1 ? candidates[0]! : undefined;
    const shared = only && [...abbreviated.values()].filter((c) => c.includes(only)).length > 1;
    if (!only || shared) {
      unresolved.push(opcode.name);
      continue;
    }
    map[opcode.name] = only.name;
    explain(`protocol.command.payloads.map.${opcode.name}`, `${only.name} — starts with ${profile.header.name}, no opcode claims it, and its name abbreviates ${opcode.shortName}; confirm it`, 'guess');
  }
  if (unresolved.length > 0) {
    const spare = orphans.filter((r) => !Object.values(map).includes(r.name)).map((r) => r.name);
    const hint = spare.length > 0 ? `; unclaimed structs that start with the header: ${listSome(spare)}` : '';
    explain('protocol.command.payloads.map', `no payload struct for ${plural(unresolved.length, 'opcode')}: ${listSome(unresolved)} — ${unresolved.length === 1 ? 'it decodes' : 'they decode'} as the header and raw bytes until the map names one${hint}`, 'sure');
  }
  return map;
}

const COMMAND_WORDS = new Set(['cmd', 'command']);

function structWords(record: RecordInfo, prefix: string): string[] {
  return dropCommandWord(words(record.name.startsWith(prefix) ? record.name.slice(prefix.length) : record.name));
}

function opcodeWords(opcode: OpcodeInfo): string[] {
  return dropCommandWord(opcode.shortName.toLowerCase().split('_').filter(Boolean));
}

function dropCommandWord(list: string[]): string[] {
  return list.length > 1 && COMMAND_WORDS.has(list[0]!) ? list.slice(1) : list;
}

/**
 * Each struct word is an opcode word (give or take a plural `s`) or the initials of two or
 * more of them, in order; one trailing opcode word may be missing (`ClearDepthStencil` for
 * CLEAR_DEPTH_STENCIL_VIEW, `CreateDSState` for CREATE_DEPTH_STENCIL_STATE).
 */
export function abbreviates(struct: readonly string[], opcode: readonly string[], i = 0, j = 0): boolean {
  if (i === struct.length) return i > 0 && j >= opcode.length - 1;
  const word = struct[i]!;
  const next = opcode[j];
  if (next !== undefined && (word === next || `${word}s` === next || word === `${next}s`) && abbreviates(struct, opcode, i + 1, j + 1)) return true;
  for (let k = 2; k <= word.length && j + k <= opcode.length; k++) {
    if (opcode.slice(j, j + k).map((w) => w[0]).join('') === word && abbreviates(struct, opcode, i + 1, j + k)) return true;
  }
  return false;
}
