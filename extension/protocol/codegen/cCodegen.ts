import { basename } from 'node:path';
import type { CommandProfile, OpcodeInfo } from '../profile/commandProfile';

// Ring command writers and readers in C for the guest driver or a C host, from the header
// and its profile: for every opcode a `_write` that copies the payload struct into the ring
// at a byte counter with its opcode and size fields set (trailing bytes of a flexible array
// after it), and a `_read` that copies it out when the record there is that opcode and long
// enough. Commands straddle the ring's end as the profile's framing says (back to back, no
// wrap marker), so the copies split at the end. Pure.

export function cCommandCodecs(header: string, profile: CommandProfile): string {
  const framing = profile.framing;
  const head = profile.header;
  const opcodeField = head.fields.find((f) => f.offset === framing.opcode.offset && f.size === framing.opcode.size);
  const sizeField = framing.size && head.fields.find((f) => f.offset === framing.size!.offset && f.size === framing.size!.size);
  if (!opcodeField) throw new Error(`the opcode field of ${head.name} is not one of its fields`);
  const guard = `GPUPV_${basename(header).replace(/\W/g, '_').toUpperCase()}_COMMANDS`;
  const lines = [
    `/* Ring command writers and readers for ${basename(header)}, written by \`gpupv codegen --lang c\`. */`,
    `#ifndef ${guard}`,
    `#define ${guard}`,
    '',
    '#include <stdint.h>',
    '#include <string.h>',
    `#include "${basename(header)}"`,
    '',
    '/* Copies `size` bytes to the ring of `ring_size` bytes at byte counter `at`, continuing at its start past its end. */',
    'static inline void gpupv_ring_put(uint8_t *ring, uint32_t ring_size, uint64_t at, const void *bytes, uint32_t size)',
    '{',
    '    uint32_t start = (uint32_t)(at % ring_size);',
    '    uint32_t first = size < ring_size - start ? size : ring_size - start;',
    '    memcpy(ring + start, bytes, first);',
    '    memcpy(ring, (const uint8_t *)bytes + first, size - first);',
    '}',
    '',
    '/* Copies `size` bytes from the ring at byte counter `at`, as gpupv_ring_put put them. */',
    'static inline void gpupv_ring_get(const uint8_t *ring, uint32_t ring_size, uint64_t at, void *bytes, uint32_t size)',
    '{',
    '    uint32_t start = (uint32_t)(at % ring_size);',
    '    uint32_t first = size < ring_size - start ? size : ring_size - start;',
    '    memcpy(bytes, ring + start, first);',
    '    memcpy((uint8_t *)bytes + first, ring, size - first);',
    '}',
    '',
  ];
  for (const opcode of profile.opcodes.values()) lines.push(...codecsOf(profile, opcode, opcodeField.path, sizeField?.path), '');
  lines.push(`#endif /* ${guard} */`);
  return `${lines.join('\n')}\n`;
}

function codecsOf(profile: CommandProfile, opcode: OpcodeInfo, opcodePath: string, sizePath: string | undefined): string[] {
  const record = opcode.payload ?? profile.header;
  const struct = record.name;
  const name = opcode.name.toLowerCase();
  const header = opcode.payload ? `${profile.headerMember}.` : '';
  const flexible = record.decl.members?.at(-1);
  const trailing = flexible !== undefined && record.fields.some((f) => f.member === flexible && f.count === 0);
  const excluded = profile.framing.size?.includesHeader === false ? ` - (uint32_t)sizeof(${profile.header.name})` : '';
  const lines = [
    `/* Writes ${opcode.name} at byte counter \`at\`${trailing ? ', then `data_size` bytes of `data`' : ''}, its opcode and size set; returns the bytes written. */`,
    `static inline uint32_t ${name}_write(uint8_t *ring, uint32_t ring_size, uint64_t at, ${struct} cmd${trailing ? ', const void *data, uint32_t data_size' : ''})`,
    '{',
    `    uint32_t total = (uint32_t)sizeof cmd${trailing ? ' + data_size' : ''};`,
    `    cmd.${header}${opcodePath} = ${opcode.name};`,
    ...(sizePath ? [`    cmd.${header}${sizePath} = total${excluded};`] : []),
    '    gpupv_ring_put(ring, ring_size, at, &cmd, (uint32_t)sizeof cmd);',
    ...(trailing ? ['    if (data_size) gpupv_ring_put(ring, ring_size, at + sizeof cmd, data, data_size);'] : []),
    '    return total;',
    '}',
    '',
    `/* Reads the command at byte counter \`at\` into \`out\` if it is ${opcode.name} and long enough: 1, else 0 (nothing read). */`,
    `static inline int ${name}_read(const uint8_t *ring, uint32_t ring_size, uint64_t at, ${struct} *out)`,
    '{',
    `    ${profile.header.name} head;`,
    '    gpupv_ring_get(ring, ring_size, at, &head, (uint32_t)sizeof head);',
    `    if (head.${opcodePath} != ${opcode.name}${sizePath ? ` || head.${sizePath}${excluded ? ` + (uint32_t)sizeof(${profile.header.name})` : ''} < sizeof *out` : ''}) return 0;`,
    '    gpupv_ring_get(ring, ring_size, at, out, (uint32_t)sizeof *out);',
    '    return 1;',
    '}',
  ];
  return lines;
}
