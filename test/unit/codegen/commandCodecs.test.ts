import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandDecoder } from '../../../extension/protocol/decode/commandDecoder';
import { readHeaderFile } from '../../../extension/protocol/localFiles';
import { loadProtocol, type LoadedProtocol } from '../../../extension/protocol/profile/loadProtocol';
import { repoRoot } from '../../harness/paths';
import { gpupv } from '../protocol/runGpupv';

// `gpupv codegen --lang c|ts --profile gpupv.json`: the command writers and readers, judged
// by their peers. The C ones are built by gcc with the real header and run: every opcode is
// written across the ring's end and read back byte for byte. The TypeScript ones pass tsc
// --strict, and what they write the protocol engine's own decoder reads back as written.

const DEMO = join(repoRoot, 'demo');
const PROFILE = join(DEMO, 'gpupv.json');

describe('gpupv codegen: command writers and readers', function () {
  this.timeout(120_000);
  let protocol: LoadedProtocol;
  let dir: string;
  before(async () => {
    protocol = await loadProtocol(PROFILE, readHeaderFile);
    dir = mkdtempSync(join(tmpdir(), 'gpupv-codegen-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('C: gcc builds them with the header, and every command written across the ring\u2019s end reads back whole', async () => {
    const generated = await gpupv('codegen', '--lang', 'c', '--profile', PROFILE);
    assert.equal(generated.code, 0, generated.err);
    writeFileSync(join(dir, 'pvgpu_commands.h'), generated.out);
    const opcodes = [...protocol.command.opcodes.values()];
    const cases = opcodes.map((opcode) => {
      const struct = opcode.payload?.name ?? protocol.command.header.name;
      const name = opcode.name.toLowerCase();
      const flexible = generated.out.includes(`${name}_write(uint8_t *ring, uint32_t ring_size, uint64_t at, ${struct} cmd, const void *data`);
      return [
        '  {',
        `    ${struct} in, out;`,
        '    memset(&in, 0x5A, sizeof in);',
        // Starts 5 bytes before the end, so every command straddles it.
        `    uint32_t n = ${name}_write(ring, sizeof ring, at, in${flexible ? ', tail, sizeof tail' : ''});`,
        `    if (n != sizeof in${flexible ? ' + sizeof tail' : ''}) { printf("${opcode.name}: wrote %u\\n", n); failures++; }`,
        `    if (!${name}_read(ring, sizeof ring, at, &out)) { printf("${opcode.name}: not read back\\n"); failures++; }`,
        `    in.${opcode.payload ? `${protocol.command.headerMember}.` : ''}type = ${opcode.name};`,
        `    in.${opcode.payload ? `${protocol.command.headerMember}.` : ''}size = n;`,
        `    if (memcmp(&in, &out, sizeof in) != 0) { printf("${opcode.name}: read back differs\\n"); failures++; }`,
        `    if (${name === 'pvgpu_cmd_draw' ? 'pvgpu_cmd_dispatch' : 'pvgpu_cmd_draw'}_read(ring, sizeof ring, at, (void *)scratch)) { printf("${opcode.name}: read as another opcode\\n"); failures++; }`,
        '    at += n;',
        '  }',
      ].join('\n');
    });
    const program = [
      '#include <stdio.h>',
      '#include "pvgpu_commands.h"',
      'static uint8_t ring[4096];',
      'static uint8_t scratch[8192];',
      'int main(void) {',
      '  int failures = 0;',
      '  uint8_t tail[13] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};',
      '  uint64_t at = 3 * (uint64_t)sizeof ring - 5;',
      ...cases,
      `  printf("%d commands\\n", ${opcodes.length});`,
      '  return failures;',
      '}',
    ].join('\n');
    writeFileSync(join(dir, 'roundtrip.c'), program);
    const build = spawnSync('gcc', ['-std=c11', '-Wall', '-Wextra', '-Werror', '-I', join(DEMO, 'include'), '-I', dir, '-o', join(dir, 'roundtrip'), join(dir, 'roundtrip.c')], { encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    const run = spawnSync(join(dir, 'roundtrip'), { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout);
    assert.equal(run.stdout.trim(), `${opcodes.length} commands`);
  });

  it('TypeScript: tsc --strict accepts them, and the engine decodes what they write as it was written', async () => {
    const generated = await gpupv('codegen', '--lang', 'ts', '--profile', PROFILE);
    assert.equal(generated.code, 0, generated.err);
    const file = join(dir, 'pvgpu_codecs.ts');
    writeFileSync(file, generated.out);
    // tsc both judges and emits: the module it writes is the one the decoder reads back.
    const check = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '--strict', '--target', 'es2022', '--lib', 'es2022', '--module', 'commonjs', '--outDir', join(dir, 'js'), file], { encoding: 'utf8', cwd: dir });
    assert.equal(check.status, 0, check.stdout);
    const exports = createRequire(__filename)(join(dir, 'js', 'pvgpu_codecs.js')) as Record<string, unknown>;
    const commands = exports.COMMANDS as Record<string, { write(view: DataView, at: number, value: unknown): number; read(view: DataView, at: number): unknown }>;
    const bytes = new Uint8Array(256);
    const view = new DataView(bytes.buffer);
    const written = commands.DRAW_INDEXED!.write(view, 8, { hdr: { type: 0, size: 0, resource_id: 42, flags: 1 }, index_count: 36, start_index: 6, base_vertex: -3 });
    assert.equal(written, 28);
    const decoded = new CommandDecoder(protocol.analysis, protocol.command).decodeAt(view, 8, written, 0x202);
    assert.equal(decoded.opcodeName, 'DRAW_INDEXED');
    assert.equal(decoded.error, undefined);
    assert.deepEqual(decoded.fields, { hdr: { type: 0x202, size: 28, resource_id: 42, flags: 1 }, index_count: 36, start_index: 6, base_vertex: -3 });
    assert.deepEqual(commands.DRAW_INDEXED!.read(view, 8), { hdr: { type: 0x202, size: 28, resource_id: 42, flags: 1 }, index_count: 36, start_index: 6, base_vertex: -3 });
    assert.equal(commands.DRAW!.read(view, 8), undefined, 'a DRAW_INDEXED is not read as a DRAW');
    // 64-bit fields stay exact.
    commands.FENCE!.write(view, 64, { hdr: { type: 0, size: 0, resource_id: 0, flags: 0 }, fence_value: 2n ** 63n + 5n });
    assert.equal((new CommandDecoder(protocol.analysis, protocol.command).decodeAt(view, 64, 24, 0x301).fields as { fence_value: bigint }).fence_value, 2n ** 63n + 5n);
  });

  it('says what it needs: C codecs without a profile, an unknown language', async () => {
    const noProfile = await gpupv('codegen', '--lang', 'c', join(DEMO, 'include', 'pvgpu_protocol.h'));
    assert.equal(noProfile.code, 2);
    assert.match(noProfile.err, /need the profile: give --profile gpupv\.json/);
    const unknown = await gpupv('codegen', '--lang', 'go', '--profile', PROFILE);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /codegen writes c, rust or ts; "go" is not one of them/);
  });
});
