import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runProcess } from '../../../extension/common/processRunner';
import { HOSTILE_NAMES } from '../../fixtures/hostileNames';
import { buildSamplePackage, runSampleBuild, SAMPLE_HARDWARE_ID, SAMPLE_PACKAGE_SOURCE } from '../../harness/samplePackage';

// The sample driver package other tests sign, deploy and install: built for real by mingw-w64,
// checked with the toolchain's own objdump so the PE reader's tests have an independent witness.

async function objdumpHeaders(file: string): Promise<string> {
  const result = await runProcess('x86_64-w64-mingw32-objdump', ['-p', file], { timeoutMs: 20_000 });
  assert.equal(result.exitCode, 0, result.stderr);
  return result.stdout;
}

describe('the sample driver package (mingw-w64)', function () {
  this.timeout(60_000);
  let root: string;
  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'gpupv-sample-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('builds a native-subsystem .sys importing ntoskrnl.exe, a GUI-subsystem UMD DLL exporting OpenAdapter10_2, and the INF', async () => {
    const sample = await buildSamplePackage(path.join(root, 'ok'));
    const sys = await objdumpHeaders(sample.sys);
    assert.match(sys, /Magic\s+020b\s+\(PE32\+\)/);
    assert.match(sys, /Subsystem\s+00000001\s+\(NT native\)/);
    assert.match(sys, /DLL Name: ntoskrnl\.exe/);
    assert.doesNotMatch(sys, /DLL Name: (?!ntoskrnl)/i, 'a kernel image must import the kernel only');
    const dll = await objdumpHeaders(sample.dll);
    assert.match(dll, /Subsystem\s+00000002\s+\(Windows GUI\)/);
    assert.match(dll, /\]\s+OpenAdapter10_2/);
    const inf = readFileSync(sample.inf, 'utf8');
    assert.ok(inf.includes(SAMPLE_HARDWARE_ID));
    assert.match(inf, /^CatalogFile\s*=\s*pvsample\.cat$/m);
  });

  it('builds into a folder whose name make could not otherwise take', async () => {
    // One folder per hostile name, nested, so one build meets them all; a name cannot hold a slash or a line break.
    const segments = HOSTILE_NAMES.filter(Boolean).map((name) => name.replace(/[\\/\r\n]/g, '_'));
    const sample = await buildSamplePackage(path.join(root, ...segments));
    assert.ok(existsSync(sample.sys), sample.sys);
    assert.ok(existsSync(sample.dll), sample.dll);
  });

  it('fails with a real compiler error on BROKEN=compile and a real undefined reference on BROKEN=link', async () => {
    const compile = await runSampleBuild(path.join(root, 'compile'), { broken: 'compile' });
    assert.notEqual(compile.exitCode, 0);
    assert.match(compile.stderr, /broken_compile\.c:7:\d+: error: .PvSampleUnloadMissing. undeclared/);
    const link = await runSampleBuild(path.join(root, 'link'), { broken: 'link' });
    assert.notEqual(link.exitCode, 0);
    assert.match(link.stderr, /broken_link\.c:\d+: undefined reference to .PvSampleStartAdapter'/);
    assert.match(link.stderr, /collect2: error: ld returned 1 exit status/);
    assert.ok(!existsSync(path.join(SAMPLE_PACKAGE_SOURCE, 'pvsample.o')), 'the fixture folder is never written to');
  });

  it('says which package to install when the cross compiler is missing', async () => {
    await assert.rejects(buildSamplePackage(path.join(root, 'nocc'), { cc: 'x86_64-w64-mingw32-gcc-not-installed' }), /install gcc-mingw-w64-x86-64/);
  });
});
