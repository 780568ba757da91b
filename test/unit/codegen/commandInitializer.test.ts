import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandInitializer } from '../../../extension/protocol/codegen/commandInitializer';
import { snippetDefaults } from '../../../extension/protocol/codegen/snippetText';
import { readHeaderFile } from '../../../extension/protocol/localFiles';
import { loadProtocol, type LoadedProtocol } from '../../../extension/protocol/profile/loadProtocol';
import { repoRoot } from '../../harness/paths';

// Ring commands written from the header (what the C completion inserts): for every opcode of
// the demo profile, the initializer with its placeholders at their defaults is built by gcc
// with the real header and run, and each command's opcode and size fields must say what the
// profile says they are.

const DEMO = join(repoRoot, 'demo');

describe('ring commands written from the header', function () {
  this.timeout(60_000);
  let protocol: LoadedProtocol;
  before(async () => {
    protocol = await loadProtocol(join(DEMO, 'gpupv.json'), readHeaderFile);
  });

  it('fills a command in the header\u2019s names and order, opcode and size set, every other field a placeholder', () => {
    const draw = [...protocol.command.opcodes.values()].find((o) => o.name === 'PVGPU_CMD_DRAW_INDEXED')!;
    const { snippet } = commandInitializer(protocol.analysis, protocol.command, protocol.fence, draw);
    assert.equal(
      snippet,
      [
        'PvgpuCmdDrawIndexed ${1:cmd} = {',
        '    .hdr = {',
        '        .type = PVGPU_CMD_DRAW_INDEXED,',
        '        .size = sizeof(PvgpuCmdDrawIndexed),',
        '        .resource_id = ${2:0},',
        '        .flags = ${3:0 /* PVGPU_CMD_FLAG_SYNC | PVGPU_CMD_FLAG_NO_FENCE */},',
        '    },',
        '    .index_count = ${4:0},',
        '    .start_index = ${5:0},',
        '    .base_vertex = ${6:0},',
        '};',
        '$0',
      ].join('\n'),
    );
    const fence = commandInitializer(protocol.analysis, protocol.command, protocol.fence, protocol.fence!.opcode).snippet;
    assert.match(fence, /\.fence_value = \$\{\d+:fence_value\},/);
    const upload = commandInitializer(protocol.analysis, protocol.command, protocol.fence, [...protocol.command.opcodes.values()].find((o) => o.name === 'PVGPU_CMD_UPLOAD_DATA')!).snippet;
    assert.match(upload, /\.size = sizeof\(PvgpuCmdUploadData\) \+ \$\{\d+:0 \/\* bytes that follow \*\/\},/);
    assert.doesNotMatch(upload, /\.data = /, 'a flexible array member takes no initializer');
  });

  it('gives C that gcc builds for every opcode, each command carrying its opcode and size', () => {
    const opcodes = [...protocol.command.opcodes.values()];
    assert.ok(opcodes.length > 40);
    const body: string[] = [];
    for (const [index, opcode] of opcodes.entries()) {
      const { snippet, struct } = commandInitializer(protocol.analysis, protocol.command, protocol.fence, opcode);
      const code = snippetDefaults(snippet).replace(`${struct} cmd =`, `${struct} cmd${index} =`);
      const header = opcode.payload ? `cmd${index}.hdr` : `cmd${index}`;
      const size = opcode.payload?.size ?? protocol.command.header.size;
      body.push(`  {\n${code}\n    check(${header}.type, ${header}.size, ${opcode.value}u, ${size}u, "${opcode.name}");\n  }`);
    }
    const program = [
      '#include <stdio.h>',
      '#include "pvgpu_protocol.h"',
      'static int failures;',
      'static void check(uint32_t type, uint32_t size, uint32_t wantType, uint32_t wantSize, const char *name) {',
      '  if (type != wantType || size != wantSize) { printf("%s: type %u size %u\\n", name, type, size); failures++; }',
      '}',
      'int main(void) {',
      '  uint64_t fence_value = 7;',
      ...body,
      '  (void)fence_value;',
      '  printf("%d commands\\n", ' + String(opcodes.length) + ');',
      '  return failures;',
      '}',
    ].join('\n');
    const dir = mkdtempSync(join(tmpdir(), 'gpupv-commands-'));
    try {
      writeFileSync(join(dir, 'commands.c'), program);
      const build = spawnSync('gcc', ['-std=c11', '-Wall', '-Werror', '-Wno-unused-variable', '-I', join(DEMO, 'include'), '-o', join(dir, 'commands'), join(dir, 'commands.c')], { encoding: 'utf8' });
      assert.equal(build.status, 0, build.stderr);
      const run = spawnSync(join(dir, 'commands'), { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stdout);
      assert.equal(run.stdout.trim(), `${opcodes.length} commands`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads snippet syntax to the text it inserts: placeholders, choices, variables and escapes', () => {
    assert.equal(snippetDefaults('a ${1:b ${2:c}} $3 ${4|x,y|} \\$HOME $TM_FILENAME ${TM_LINE_NUMBER:9} \\} $0'), 'a b c  x $HOME  9 } ');
    assert.equal(snippetDefaults('$TM_FILENAME', { TM_FILENAME: 'f.c' }), 'f.c');
    assert.equal(snippetDefaults('${1|a\\,b,c|}'), 'a,b');
    assert.equal(snippetDefaults('cost: $ 5'), 'cost: $ 5');
  });
});
