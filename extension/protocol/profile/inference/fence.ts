import type { FenceConfig } from '../../config/decoderConfigParser';
import type { LeafField } from '../../layout/flatten';
import type { CommandProfile, OpcodeInfo } from '../commandProfile';
import { bestNamedField, hasWord, isPlainInteger, words, type Explain } from './names';

// The fence command: an opcode named like FENCE or SIGNAL (not WAIT_FENCE) whose payload
// carries the 64-bit value the host writes back when it retires the command.

const FENCE_OPCODE_WORDS = new Set(['fence', 'signal']);
const VALUE_WORDS = ['fence', 'value', 'seq', 'seqno', 'sequence'];

export function inferFence(command: CommandProfile, explain: Explain): FenceConfig | undefined {
  const candidates = [...command.opcodes.values()]
    .filter((o) => hasWord(o.shortName, FENCE_OPCODE_WORDS) && !hasWord(o.shortName, new Set(['wait'])))
    .sort((a, b) => a.shortName.split('_').length - b.shortName.split('_').length);
  for (const opcode of candidates) {
    const field = valueField(opcode, command.headerMember);
    if (!field) continue;
    const plain = candidates.indexOf(opcode) === 0 && opcode.shortName.split('_').length === 1;
    explain('protocol.fence', `${opcode.name} with ${opcode.payload!.name}.${field.path} — an opcode named like a fence, its payload's 64-bit ${field.path}`, plain && words(field.path).includes('fence') ? 'sure' : 'likely');
    return { opcode: opcode.name, valueField: field.path };
  }
  explain('protocol.fence', `not inferred: ${noFenceReason(command, candidates)}`, 'likely');
  return undefined;
}

/** The payload's u64 named like fence/value/seq, outside the embedded header. */
function valueField(opcode: OpcodeInfo, headerMember: string): LeafField | undefined {
  const fields = opcode.payload?.fields.filter((f) => isPlainInteger(f, [8]) && !f.path.startsWith(`${headerMember}.`)) ?? [];
  return fields.find((f) => hasWord(f.path, new Set(['fence'])) && hasWord(f.path, new Set(['value']))) ?? bestNamedField(fields, VALUE_WORDS);
}

function noFenceReason(command: CommandProfile, candidates: readonly OpcodeInfo[]): string {
  const inHeader = command.header.fields.find((f) => hasWord(f.path, new Set(['fence'])));
  const headerNote = inHeader ? `; fences may travel in ${command.header.name}.${inHeader.path}, which protocol.fence cannot describe` : '';
  if (candidates.length === 0) return `no opcode is named like FENCE or SIGNAL${headerNote}`;
  return `${candidates.map((c) => c.name).join(', ')} ${candidates.length === 1 ? 'has' : 'have'} no payload with a 64-bit fence/value/seq field${headerNote}`;
}
