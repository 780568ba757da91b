import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../../harness/paths';
import { expanded, snippetFilesFor, type SnippetFile } from './snippetFiles';

// Every C/C++ snippet, with each placeholder at its default, compiled by clang as C and as C++
// for a Windows x64 target: the kernel driver's against mingw-w64's <ntddk.h>, the user-mode
// driver's against its <windows.h>. mingw-w64 has no display-driver headers (dispmprt.h,
// d3dkmddi.h, d3d10umddi.h), so test/fixtures/wdk-stub stands in for those, written under the
// WDK's names and signatures. Each snippet is compiled on its own after its file's context
// snippet (the driver's own records, which the others use), as a driver's source would hold it.

const MINGW_DDK = '/usr/x86_64-w64-mingw32/include/ddk';
const STUB = path.join(repoRoot, 'test', 'fixtures', 'wdk-stub');

interface Toolchain {
  readonly includes: readonly string[];
  /** The snippet that defines what the others name, compiled before each of them. */
  readonly context: string;
  readonly flags: readonly string[];
  /** mingw-w64's kernel headers redefine two intrinsics its <intrin.h> already has when read as C++. */
  readonly cppFlags: readonly string[];
}

const TOOLCHAINS: Readonly<Record<string, Toolchain>> = {
  'snippets/wddm-kmd.code-snippets': {
    includes: ['ntddk.h', 'dispmprt.h'],
    context: 'kmd-adapter',
    flags: ['-isystem', MINGW_DDK],
    cppFlags: ['-D__INTRINSIC_DEFINED_InterlockedBitTestAndSet', '-D__INTRINSIC_DEFINED_InterlockedBitTestAndReset'],
  },
  'snippets/d3d11-umd.code-snippets': {
    includes: ['windows.h', 'd3d10umddi.h'],
    context: 'umd-device-context',
    flags: [],
    cppFlags: [],
  },
};

const WARNINGS = ['-Wall', '-Wextra', '-Werror', '-Wno-unused-parameter'];

/** clang's errors for the source, or undefined when it compiles. */
async function compile(source: string, language: 'c' | 'c++', toolchain: Toolchain, dir: string, name = 'snippet'): Promise<string | undefined> {
  const file = path.join(dir, `${name}.${language === 'c' ? 'c' : 'cpp'}`);
  writeFileSync(file, source);
  const args = ['--target=x86_64-w64-mingw32', '-fsyntax-only', ...WARNINGS, `-x${language}`, ...toolchain.flags, ...(language === 'c++' ? toolchain.cppFlags : []), '-I', STUB, file];
  return new Promise((resolve, reject) => {
    execFile('clang', args, { encoding: 'utf8' }, (error, _stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new Error(`clang could not be run: ${error.message}`));
      else resolve(error ? stderr : undefined);
    });
  });
}

/** Each snippet of a file compiled in a unit of its own, as many at once as there are cores. */
async function compileEach(file: SnippetFile, language: 'c' | 'c++', toolchain: Toolchain, dir: string): Promise<string[]> {
  const failures: string[] = [];
  const queue = [...file.snippets];
  const worker = async (): Promise<void> => {
    for (let snippet = queue.shift(); snippet; snippet = queue.shift()) {
      const error = await compile(translationUnit(file, toolchain, snippet.prefix), language, toolchain, dir, snippet.prefix);
      if (error) failures.push(`${snippet.prefix}:\n${error}`);
    }
  };
  await Promise.all(Array.from({ length: availableParallelism() }, worker));
  return failures.sort();
}

function translationUnit(file: SnippetFile, toolchain: Toolchain, prefix: string): string {
  const context = file.snippets.find((s) => s.prefix === toolchain.context);
  assert.ok(context, `${file.file} has no ${toolchain.context} snippet`);
  const target = file.snippets.find((s) => s.prefix === prefix)!;
  const parts = [...toolchain.includes.map((h) => `#include <${h}>`), ''];
  if (target !== context) parts.push(expanded(context), '');
  parts.push(expanded(target));
  return parts.join('\n');
}

describe('C and C++ snippets compile (clang, Windows x64, WDK stand-in headers)', () => {
  let dir: string;
  before(function () {
    if (!existsSync(path.join(MINGW_DDK, 'ntddk.h'))) throw new Error(`${MINGW_DDK}/ntddk.h is missing: install mingw-w64-x86-64-dev (npm test's setup does)`);
    dir = mkdtempSync(path.join(tmpdir(), 'gpupv-snippets-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const files = [...new Map([...snippetFilesFor('c'), ...snippetFilesFor('cpp')].map((f) => [f.file, f])).values()];

  it('every C/C++ snippet file has a toolchain here, so none goes unchecked', () => {
    assert.ok(files.length >= 2);
    for (const file of files) assert.ok(TOOLCHAINS[file.file], `${file.file} has no toolchain in cSnippets.test.ts`);
  });

  for (const file of files) {
    const toolchain = TOOLCHAINS[file.file];
    if (!toolchain) continue;
    for (const language of ['c', 'c++'] as const) {
      if (!file.languages.includes(language === 'c' ? 'c' : 'cpp')) continue;
      it(`${file.file}: every snippet compiles as ${language}`, async function () {
        // Two dozen units that each read <ntddk.h> or <windows.h>: a minute on a busy 2-core machine.
        this.timeout(180_000);
        assert.deepEqual(await compileEach(file, language, toolchain, dir), []);
      });
    }
  }

  it('the compile fails when a snippet is wrong, so a pass means something', async function () {
    this.timeout(60_000);
    const kmd = files.find((f) => f.file === 'snippets/wddm-kmd.code-snippets')!;
    const toolchain = TOOLCHAINS[kmd.file]!;
    const mutate = (prefix: string, from: string, to: string): string => {
      const source = translationUnit(kmd, toolchain, prefix);
      assert.ok(source.includes(from), `${prefix} no longer holds ${from}`);
      return source.replace(from, to);
    };
    // A callback called with the wrong argument.
    const wrongArgument = mutate('kmd-dpc-routine', 'DxgkCbNotifyDpc(adapter->DxgkInterface.DeviceHandle)', 'DxgkCbNotifyDpc(adapter->DxgkInterface)');
    assert.match((await compile(wrongArgument, 'c', toolchain, dir)) ?? '', /incompatible type/);
    // A signature that differs from the DDI's role type: the role-type declaration catches it.
    const wrongSignature = mutate('kmd-stop-device', 'StopDevice(const PVOID MiniportDeviceContext)', 'StopDevice(const PVOID MiniportDeviceContext, ULONG Extra)');
    assert.match((await compile(wrongSignature, 'c', toolchain, dir)) ?? '', /conflicting types/);
  });
});
