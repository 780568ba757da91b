import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gpupv } from './runGpupv';


describe('gpupv layout (CLI)', () => {
  let dir: string;
  let header: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gpupv-cli-'));
    header = join(dir, 'proto.h');
    writeFileSync(
      header,
      ['#include <stdint.h>', '#define MAX 4', 'typedef struct Cmd {', '  uint32_t type;', '  unsigned long b;', '  uint8_t pad;', '  uint64_t fence;', '} Cmd;', 'struct Same { uint32_t a; uint16_t b[MAX]; };'].join('\n'),
    );
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints pahole-style layouts with holes and tail padding marked', async () => {
    const { code, out } = await gpupv('layout', header, '--struct', 'Cmd');
    assert.equal(code, 0);
    assert.match(out, /^struct Cmd \{/);
    assert.match(out, /uint64_t\s+fence;\s+\/\*\s+16\s+8 \*\//);
    assert.match(out, /XXX 7 bytes hole, try to pack/);
    assert.match(out, /size: 24, align: 8/);
  });

  it('prints the documented JSON shape with -D and --abi', async () => {
    const { code, out } = await gpupv('layout', header, '--json', '--abi', 'sysv-x86_64', '-DEXTRA=1');
    assert.equal(code, 0);
    const json = JSON.parse(out) as { abi: string; records: { name: string; size: number; align: number; file: string; line: number; fields: { path: string; offset: number; size: number; type: string; count?: number }[] }[]; constants: Record<string, unknown> };
    assert.equal(json.abi, 'sysv-x86_64');
    const cmd = json.records.find((r) => r.name === 'Cmd')!;
    assert.deepEqual([cmd.size, cmd.align, cmd.file, cmd.line], [32, 8, header, 3]);
    assert.deepEqual(cmd.fields.map((f) => [f.path, f.offset, f.size, f.type]), [['type', 0, 4, 'uint32_t'], ['b', 8, 8, 'unsigned long'], ['pad', 16, 1, 'uint8_t'], ['fence', 24, 8, 'uint64_t']]);
    assert.deepEqual(json.records.find((r) => r.name === 'struct Same')!.fields[1], { path: 'b', offset: 4, size: 8, type: 'uint16_t', count: 4 });
    assert.equal(json.constants.MAX, 4);
  });

  it('--diff-abi names the first diverging field and why, and exits 1', async () => {
    const { code, out } = await gpupv('layout', '--diff-abi', 'msvc-x64,sysv-x86_64', header);
    assert.equal(code, 1);
    assert.match(out, /Cmd: 24 bytes on msvc-x64, 32 on sysv-x86_64; first difference at `b`: `unsigned long b`: 4 bytes on msvc-x64, 8 on sysv-x86_64/);
    assert.doesNotMatch(out, /Same/);
    assert.match(out, /1 of 2 records differ/);
  });

  it('exits 2 with file:line errors and still prints what it could read', async () => {
    const broken = join(dir, 'broken.h');
    writeFileSync(broken, 'struct Ok { int a; };\nstruct Bad { unknown_t x; };\nstruct Also { int b[; };\n');
    const { code, out, err } = await gpupv('layout', broken);
    assert.equal(code, 2);
    assert.match(err, new RegExp(`${broken}:2:\\d+: error: unknown type "unknown_t"`));
    assert.match(err, new RegExp(`${broken}:3:\\d+: error: syntax error`));
    assert.match(out, /struct Ok \{/);
  });

  it('rejects bad command lines with a usage message, never a stack trace', async () => {
    for (const args of [['layout'], ['layout', header, '--abi', 'vax'], ['frob'], ['layout', header, '--diff-abi', 'msvc-x64']]) {
      const { code, err } = await gpupv(...args);
      assert.equal(code, 2, args.join(' '));
      assert.match(err, /^gpupv: .+\n\nusage: gpupv layout/);
      assert.doesNotMatch(err, /\n\s+at /);
    }
    const missing = await gpupv('layout', join(dir, 'nope.h'));
    assert.equal(missing.code, 2);
    assert.match(missing.err, /nope\.h:1:1: error: cannot read/);
  });
});
