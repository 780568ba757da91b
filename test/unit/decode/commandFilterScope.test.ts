import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { CommandDecoder, lookup } from '../../../extension/protocol/decode/commandDecoder';
import { CommandFilterScope } from '../../../extension/protocol/decode/commandFilterScope';
import { readHeaderFile } from '../../../extension/protocol/localFiles';
import type { HeaderAnalysis } from '../../../extension/protocol/headerAnalysis';
import { resolveTypedefs } from '../../../extension/protocol/model/types';
import { resolveCommandProfile, type CommandProfile } from '../../../extension/protocol/profile/commandProfile';
import { loadProtocol, type LoadedProtocol } from '../../../extension/protocol/profile/loadProtocol';
import { CommandSynthesizer } from '../../../extension/protocol/simulate/commandSynthesizer';
import { repoRoot } from '../../harness/paths';
import { analyzeText, errors } from '../protocol/inMemoryHeaders';
import { seededRandom } from '../seededRandom';

// A filter reads fields straight from command bytes; the decoder reads them into field
// trees. Both must give the same value for every field of every command, or a filter and
// the table would disagree about what a command holds.

describe('filter fields read straight from command bytes', () => {
  let protocol: LoadedProtocol;
  let scope: CommandFilterScope;

  before(async () => {
    protocol = await loadProtocol(join(repoRoot, 'demo', 'gpupv.json'), readHeaderFile);
    scope = new CommandFilterScope(protocol.analysis, protocol.command);
  });

  it('gives the decoder\u2019s value for every leaf of every opcode\u2019s struct, on random bytes', () => {
    const checked = assertReadsMatchDecoder(protocol.analysis, protocol.command);
    assert.ok(checked > 5000, `only ${checked} values compared`);
  });

  for (const abi of ['msvc-x64', 'sysv-x86_64'] as const) {
    it(`agrees on bit-fields, signed and 64-bit values, enums, anonymous unions, arrays of structs and char arrays (${abi})`, async () => {
      const analysis = await analyzeText(MIXED_PROTOCOL, abi);
      assert.deepEqual(errors(analysis), []);
      const { profile } = resolveCommandProfile(analysis, { header: 'Hdr', opcodeField: 'type', sizeField: 'size', opcodes: { macroPrefix: 'CMD_' }, payloads: { structPrefix: 'Cmd' } });
      assert.equal(profile?.opcodes.size, 2);
      assert.ok(assertReadsMatchDecoder(analysis, profile) > 300);
    });
  }

  it('gives a command shorter than its struct only its header\u2019s fields, as the decoder does', () => {
    const draw = [...protocol.command.opcodes.values()].find((o) => o.shortName === 'DRAW_INDEXED')!;
    const bytes = new CommandSynthesizer(protocol.analysis.layoutEngine, protocol.command).build(draw).bytes.slice(0, 20);
    const view = new DataView(bytes.buffer);
    assert.equal(scope.field('index_count')!.readerFor(Number(draw.value))!(view, 0, bytes.length), undefined);
    assert.equal(scope.field('resource_id')!.readerFor(Number(draw.value))!(view, 0, bytes.length), new DataView(bytes.buffer).getUint32(8, true));
    assert.equal(scope.decodable(Number(draw.value), bytes.length), false);
  });

  it('reads only header fields of an opcode the profile does not know', () => {
    const bytes = new Uint8Array(64);
    new DataView(bytes.buffer).setUint32(8, 77, true);
    assert.equal(scope.field('index_count')!.readerFor(0x7777), undefined);
    assert.equal(scope.field('hdr.resource_id')!.readerFor(0x7777)!(new DataView(bytes.buffer), 0, 64), 77);
    assert.equal(scope.decodable(0x7777, 64), false);
  });
});

const MIXED_PROTOCOL = `
#include <stdint.h>
#include <stdbool.h>
typedef enum { MODE_A = 1, MODE_B = -2 } Mode;
typedef struct { uint32_t type; uint32_t size; } Hdr;
#define CMD_BITS 1
#define CMD_MIXED 2
typedef struct { Hdr hdr; uint32_t a : 3; uint32_t b : 13; int32_t c : 7; uint8_t d : 1; uint64_t e : 40; bool f : 1; } CmdBits;
typedef struct {
  Hdr hdr; int8_t i8; int16_t i16; int64_t i64; uint64_t u64; double d; Mode mode;
  union { uint32_t u; float f; };
  struct { uint16_t x, y; } pts[3];
  char name[8];
  uint8_t tail[];
} CmdMixed;
`;

/** What the decoder shows for a path, as a filter compares it: char arrays as bytes. */
function decodedValue(fields: Parameters<typeof lookup>[0], path: string): unknown {
  const value = lookup(fields, path);
  return Array.isArray(value) ? Uint8Array.from(value.map(Number)) : value;
}

/** Compares, for every opcode and every leaf, the filter's read with the decoder's value; returns how many. */
function assertReadsMatchDecoder(analysis: HeaderAnalysis, profile: CommandProfile): number {
  const random = seededRandom(42);
  const scope = new CommandFilterScope(analysis, profile);
  const decoder = new CommandDecoder(analysis, profile);
  let checked = 0;
  for (const opcode of profile.opcodes.values()) {
    const record = opcode.payload ?? profile.header;
    for (let round = 0; round < 20; round++) {
      const bytes = new CommandSynthesizer(analysis.layoutEngine, profile, 1 + round).build(opcode).bytes;
      for (let i = profile.header.size; i < bytes.length; i++) if (random() < 0.5) bytes[i] = Math.floor(random() * 256);
      const view = new DataView(bytes.buffer);
      const decoded = decoder.decode(bytes, opcode.value);
      const prefix = opcode.payload ? '' : `${profile.headerMember}.`;
      for (const leaf of record.fields) {
        const type = resolveTypedefs(leaf.resolved);
        // Arrays of scalars are read element by element; a flexible one has no fixed elements.
        const isScalarArray = leaf.dimensions !== undefined && !(type.kind === 'integer' && type.isChar);
        const dimensions = leaf.dimensions ?? [];
        const element = (last: boolean) => `${leaf.path}${dimensions.map((d) => `[${last ? d - 1 : 0}]`).join('')}`;
        const paths = isScalarArray ? (dimensions.every((d) => d > 0) ? [element(false), element(true)] : []) : [leaf.path];
        for (const path of paths.map((p) => prefix + p)) {
          const field = scope.field(path);
          assert.ok(field, `${opcode.name}: no filter field for ${path}`);
          const read = field.readerFor(Number(opcode.value))?.(view, 0, bytes.length);
          assert.deepEqual(read, decodedValue(decoded.fields, path), `${opcode.name} ${path}`);
          checked++;
        }
      }
    }
  }
  return checked;
}
