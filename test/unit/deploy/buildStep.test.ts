import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runSteps, type RunReporter } from '../../../extension/deploy/pipeline/deployPipeline';
import { buildPackages } from '../../../extension/deploy/steps/buildStep';
import type { DriverPackageConfig } from '../../../extension/protocol/config/driverConfigParser';
import { SAMPLE_MAKEFILE } from '../../harness/samplePackage';

// The Build step on the real sample package, built by Debian's mingw-w64 through the package's
// own "command", as a user of another build system configures it.

function entry(value: string) {
  return { value, offset: 0, length: value.length };
}

/** Run from the output folder (OUT=.), which keeps the folder's path out of make's own syntax. */
function samplePackage(outDir: string, extra: string[] = []): DriverPackageConfig {
  mkdirSync(outDir, { recursive: true });
  return {
    name: 'pvsample',
    build: { kind: 'command', command: ['make', '--no-print-directory', '-f', SAMPLE_MAKEFILE, 'OUT=.', ...extra], cwd: entry(outDir) },
    outputDir: entry(outDir),
    infs: [entry('pvsample.inf')],
    files: ['pvsample.sys', 'pvsample_umd.dll'],
  };
}

function transcript(): RunReporter & { text: () => string } {
  const parts: string[] = [];
  return {
    text: () => parts.join('\n'),
    stepStarted: () => undefined,
    command: (line) => parts.push(`$ ${line}`),
    output: (text) => parts.push(text),
    info: (message) => parts.push(message),
    warning: (message) => parts.push(`warning: ${message}`),
    stepEnded: () => undefined,
  };
}

describe('Deploy and Test: the Build step', function () {
  this.timeout(60_000);
  let workspace: string;
  beforeEach(() => (workspace = mkdtempSync(path.join(tmpdir(), 'gpupv build ws '))));
  afterEach(() => rmSync(workspace, { recursive: true, force: true }));

  it('builds the sample with its command, echoes it, and lists the checked files it ships', async () => {
    const out = path.join(workspace, 'out');
    const report = transcript();
    const built = await buildPackages({ workspaceDir: workspace, packages: [samplePackage(out)] }, { signal: new AbortController().signal, report });
    assert.equal(built.length, 1);
    const names = built[0]!.artifacts.artifacts.map((a) => `${a.name}:${a.kind}:${a.exists}`);
    assert.deepEqual(names, ['pvsample.sys:kernel-driver:true', 'pvsample_umd.dll:user-mode-dll:true', 'pvsample.inf:inf:true']);
    assert.deepEqual(built[0]!.artifacts.problems, []);
    assert.match(report.text(), /\$ make --no-print-directory -f \S*Makefile OUT=\./);
  });

  it('a real compiler error fails the step with the first error and where it is', async () => {
    const result = await runSteps(
      [{ name: 'build', run: async (context) => (await buildPackages({ workspaceDir: workspace, packages: [samplePackage(path.join(workspace, 'out'), ['BROKEN=compile'])] }, context), 'built') }],
      transcript(),
      new AbortController().signal,
    );
    const build = result.steps[0]!;
    assert.equal(build.status, 'failed');
    assert.match(build.message, /^pvsample did not build: \d+ error\(s\), the first broken_compile\.c:\d+: .+/);
    assert.match(build.hint!, /Problems/);
  });

  it('a real linker error (an undefined reference) fails it too', async () => {
    const result = await runSteps(
      [{ name: 'build', run: async (context) => (await buildPackages({ workspaceDir: workspace, packages: [samplePackage(path.join(workspace, 'out'), ['BROKEN=link'])] }, context), 'built') }],
      transcript(),
      new AbortController().signal,
    );
    assert.equal(result.steps[0]!.status, 'failed');
    assert.match(result.steps[0]!.message, /broken_link\.c:10: undefined reference to .PvSampleStartAdapter/);
  });

  it('a package that lists no files ships what its INF copies, and the INF', async () => {
    const out = path.join(workspace, 'out');
    const pkg: DriverPackageConfig = { ...samplePackage(out), files: undefined };
    const built = await buildPackages({ workspaceDir: workspace, packages: [pkg] }, { signal: new AbortController().signal, report: transcript() });
    assert.deepEqual(built[0]!.artifacts.artifacts.map((a) => a.name).sort(), ['pvsample.inf', 'pvsample.sys', 'pvsample_umd.dll']);
  });

  it('says which file is missing when the build leaves out one the package ships', async () => {
    const pkg = { ...samplePackage(path.join(workspace, 'out')), files: ['pvsample.sys', 'pvsample.pdb'] };
    await assert.rejects(
      buildPackages({ workspaceDir: workspace, packages: [pkg] }, { signal: new AbortController().signal, report: transcript() }),
      (error: Error) => error.name === 'StepFailure' && /pvsample built, but its output is not a package to ship: .*pvsample\.pdb/.test(error.message),
    );
  });

  it('a build command that does not exist says so and what to do', async () => {
    const pkg: DriverPackageConfig = { ...samplePackage(workspace), build: { kind: 'command', command: ['no-such-build-tool-xyz'] } };
    await assert.rejects(
      buildPackages({ workspaceDir: workspace, packages: [pkg] }, { signal: new AbortController().signal, report: transcript() }),
      /pvsample could not build: no-such-build-tool-xyz was not found/,
    );
  });

  it('a cancel ends the build\u2019s process tree and the step reports cancelled', async () => {
    const controller = new AbortController();
    const pkg: DriverPackageConfig = { ...samplePackage(workspace), build: { kind: 'command', command: ['sh', '-c', 'sleep 30 & wait'] } };
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    const result = await runSteps([{ name: 'build', run: async (context) => (await buildPackages({ workspaceDir: workspace, packages: [pkg] }, context), 'built') }], transcript(), controller.signal);
    assert.equal(result.steps[0]!.status, 'cancelled');
    assert.ok(Date.now() - started < 10_000, 'the cancel did not wait for the build to end');
  });
});
