import * as assert from 'node:assert/strict';
import { DecoderCompiler } from '../../../extension/protocol/decode/decoderCompiler';
import { analyzeText, record } from '../protocol/inMemoryHeaders';
import { seededRandom } from '../seededRandom';

const HEADER = `
#include <stdint.h>
#include <linux/types.h>
typedef struct Viewport { float x, y; } Viewport;
typedef enum Mode { MODE_A = 1, MODE_B = -2 } Mode;
typedef struct Cmd {
  uint32_t type;
  uint32_t size;
  uint8_t small : 3, medium : 5;
  int8_t neg : 4;
  union { uint32_t u; float f; };
  Viewport viewports[2];
  uint16_t matrix[2][3];
  __be32 big;
  uint64_t fence;
  int64_t delta;
  Mode mode;
  _Bool on;
  uint32_t data[];
} Cmd;`;

describe('compiled record decoders', () => {
  it('decode every kind of member at its offset: bit-fields, anonymous unions, arrays of structs, 2-D arrays, byte order, 64-bit, enums, flexible arrays', async () => {
    const analysis = await analyzeText(HEADER, 'sysv-x86_64');
    const cmd = record(analysis, 'Cmd');
    const byPath = Object.fromEntries(cmd.fields.map((f) => [f.path, f]));
    const bytes = new Uint8Array(cmd.size + 8);
    const view = new DataView(bytes.buffer);
    view.setUint32(byPath.type!.offset, 0x201, true);
    view.setUint32(byPath.size!.offset, bytes.length, true);
    bytes[byPath.small!.offset] = 0b10110_101; // small = 5, medium = 22
    bytes[byPath.neg!.offset] = 0b1001; // neg: 4-bit two's complement -7
    view.setFloat32(byPath.f!.offset, 1.5, true);
    view.setFloat32(byPath['viewports[0].x']!.offset + 8 + 4, -2.25, true); // viewports[1].y
    view.setUint16(byPath.matrix!.offset + (1 * 3 + 2) * 2, 0xbeef, true); // matrix[1][2]
    view.setUint32(byPath.big!.offset, 0x01020304, false);
    view.setBigUint64(byPath.fence!.offset, 0xffff_ffff_ffff_fff0n, true);
    view.setBigInt64(byPath.delta!.offset, -5n, true);
    view.setInt32(byPath.mode!.offset, -2, true);
    bytes[byPath.on!.offset] = 1;
    view.setUint32(cmd.size, 11, true);
    view.setUint32(cmd.size + 4, 12, true);

    const decode = new DecoderCompiler(analysis.layoutEngine).decoderFor(cmd.decl);
    const decoded = decode(view, 0, bytes.length);
    assert.deepEqual(decoded, {
      type: 0x201,
      size: bytes.length,
      small: 5,
      medium: 22,
      neg: -7,
      u: 0x3fc00000,
      f: 1.5,
      viewports: [{ x: 0, y: 0 }, { x: 0, y: -2.25 }],
      matrix: [[0, 0, 0], [0, 0, 0xbeef]],
      big: 0x01020304,
      fence: 0xffff_ffff_ffff_fff0n,
      delta: -5n,
      mode: -2,
      on: true,
      data: [11, 12],
    });
  });

  it('decodes the same bytes at any base offset, and compiles each record once', async () => {
    const analysis = await analyzeText(HEADER, 'msvc-x64');
    const cmd = record(analysis, 'Cmd');
    const compiler = new DecoderCompiler(analysis.layoutEngine);
    const bytes = new Uint8Array(100 + cmd.size);
    new DataView(bytes.buffer).setUint32(100, 77, true);
    assert.equal(compiler.decoderFor(cmd.decl)(new DataView(bytes.buffer), 100, bytes.length).type, 77);
    assert.equal(compiler.decoderFor(cmd.decl), compiler.decoderFor(cmd.decl));
  });

  it('writes the JSON of what it decodes, byte for byte as JSON.stringify does, whatever the bytes', async () => {
    const random = seededRandom(7);
    for (const abi of ['sysv-x86_64', 'msvc-x64'] as const) {
      const analysis = await analyzeText(HEADER, abi);
      const cmd = record(analysis, 'Cmd');
      const compiler = new DecoderCompiler(analysis.layoutEngine);
      const decode = compiler.decoderFor(cmd.decl);
      const writeJson = compiler.jsonWriterFor(cmd.decl);
      const out = Buffer.alloc(4096);
      for (let i = 0; i < 500; i++) {
        // At an odd base, with a flexible tail of 0 to 5 elements and bytes of every value.
        const bytes = Uint8Array.from({ length: 3 + cmd.size + 4 * (i % 6) }, () => Math.floor(random() * 256));
        const view = new DataView(bytes.buffer);
        const expected = JSON.stringify(decode(view, 3, bytes.length), (_key, value: unknown) => (typeof value === 'bigint' ? (value >= -(2n ** 53n) + 1n && value <= 2n ** 53n - 1n ? Number(value) : value.toString()) : value));
        const end = writeJson(view, 3, bytes.length, out, new DataView(out.buffer, out.byteOffset, out.length), 0);
        assert.equal(out.subarray(0, end).toString(), expected);
      }
    }
  });

  it('keeps header text out of the generated code', async () => {
    const analysis = await analyzeText('struct Evil { int a; };', 'msvc-x64');
    const evil = record(analysis, 'Evil');
    // A member name that would break out of a string literal or run code if pasted into source.
    (evil.decl.members![0] as { name: string }).name = '"]; globalThis.pwned = 1; ["';
    const compiler = new DecoderCompiler(analysis.layoutEngine);
    const decoded = compiler.decoderFor(evil.decl)(new DataView(new ArrayBuffer(4)), 0, 4);
    assert.deepEqual(Object.keys(decoded), ['"]; globalThis.pwned = 1; ["']);
    const out = Buffer.alloc(64);
    const end = compiler.jsonWriterFor(evil.decl)(new DataView(new ArrayBuffer(4)), 0, 4, out, new DataView(out.buffer, out.byteOffset, 64), 0);
    assert.deepEqual(Object.keys(JSON.parse(out.subarray(0, end).toString()) as object), ['"]; globalThis.pwned = 1; ["']);
    assert.equal((globalThis as { pwned?: number }).pwned, undefined);
  });
});
