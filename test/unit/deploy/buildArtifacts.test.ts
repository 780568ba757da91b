import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expectExitCode, runProcess } from '../../../extension/common/processRunner';
import {
  checkArtifacts,
  describeArtifacts,
  machineForPlatform,
  packageOutputDir,
  packagePlatform,
  shippedFiles,
  type ArtifactCheck,
  type ArtifactReport,
} from '../../../extension/deploy/build/artifacts';
import type { DriverEntry, DriverPackageConfig } from '../../../extension/protocol/config/driverConfigParser';
import { HOSTILE_NAMES } from '../../fixtures/hostileNames';
import { buildSamplePackage, SAMPLE_SHIPPED_FILES, type SamplePackage } from '../../harness/samplePackage';

// Artifact discovery and checks on the sample package really built by mingw-w64, on copies
// of it made wrong in the ways real packages are wrong, and on images osslsigncode signed.

const entry = (value: string): DriverEntry => ({ value, offset: 0, length: value.length });

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

describe('build: artifacts', function () {
  this.timeout(90_000);
  let root: string;
  let sample: SamplePackage;
  const shipped = [...SAMPLE_SHIPPED_FILES, 'pvsample.inf'];
  const check = (outputDir: string, overrides: Partial<ArtifactCheck> = {}): Promise<ArtifactReport> =>
    checkArtifacts({ outputDir, files: shipped, platform: 'x64', stage: 'built', ...overrides });

  /** A copy of the built package in its own folder, to be spoilt. */
  function copyOfSample(name: string): string {
    const folder = path.join(root, name);
    mkdirSync(folder, { recursive: true });
    for (const file of [sample.sys, sample.dll, sample.inf]) copyFileSync(file, path.join(folder, path.basename(file)));
    return folder;
  }

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'gpupv-artifacts-'));
    sample = await buildSamplePackage(path.join(root, 'built'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('lists the built package with sizes and SHA-256 and finds nothing wrong', async () => {
    const report = await check(sample.outDir);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.artifacts.map((a) => [a.name, a.kind, a.exists]), [
      ['pvsample.sys', 'kernel-driver', true],
      ['pvsample_umd.dll', 'user-mode-dll', true],
      ['pvsample.inf', 'inf', true],
    ]);
    for (const artifact of report.artifacts) {
      assert.equal(artifact.size, statSync(artifact.path).size);
      assert.equal(artifact.sha256, sha256(artifact.path));
    }
    assert.equal(report.artifacts[0]!.pe?.subsystem, 'native');
    const lines = describeArtifacts(report);
    assert.match(lines[0]!, /^ {2}pvsample\.sys {2}2\.5 KiB {2}sha256 [0-9a-f]{64} {2}x64 native$/);
    assert.equal(lines.length, 3);
  });

  it('leaves the catalog to the Sign step, then requires it and a signature on every image', async () => {
    const files = [...shipped, 'pvsample.cat'];
    const built = await check(sample.outDir, { files });
    assert.deepEqual(built.problems, []);
    assert.match(describeArtifacts(built).join('\n'), /pvsample\.cat {2}\(made when signing\)/);
    const unsigned = await check(sample.outDir, { files, stage: 'signed' });
    assert.deepEqual(unsigned.problems, [
      'pvsample.sys is not signed: the Sign step must sign every image the package ships.',
      'pvsample_umd.dll is not signed: the Sign step must sign every image the package ships.',
      `pvsample.cat is missing from ${sample.outDir}: Inf2Cat makes it when the package is signed: check the Sign step, and that the INF’s CatalogFile names it.`,
    ]);

    const signedDir = path.join(root, 'signed');
    mkdirSync(signedDir);
    const key = path.join(root, 'test.key');
    const cert = path.join(root, 'test.crt');
    expectExitCode(await runProcess('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=GPU-PV Dev Kit artifacts test', '-days', '1'], { timeoutMs: 30_000 }));
    for (const image of [sample.sys, sample.dll]) {
      expectExitCode(await runProcess('osslsigncode', ['sign', '-certs', cert, '-key', key, '-h', 'sha256', '-in', image, '-out', path.join(signedDir, path.basename(image))], { timeoutMs: 30_000 }));
    }
    copyFileSync(sample.inf, path.join(signedDir, 'pvsample.inf'));
    writeFileSync(path.join(signedDir, 'pvsample.cat'), 'a catalog stand-in: its content is the Sign step’s to check');
    const signed = await check(signedDir, { files, stage: 'signed' });
    assert.deepEqual(signed.problems, []);
    assert.match(describeArtifacts(signed)[0]!, /x64 native signed$/);
  });

  it('says when an image is for another machine than the package platform', async () => {
    const arm = await check(sample.outDir, { platform: 'ARM64' });
    assert.deepEqual(arm.problems, [
      'pvsample.sys is an x64 image but the package platform is ARM64: build it for ARM64.',
      'pvsample_umd.dll is an x64 image but the package platform is ARM64: build it for ARM64.',
    ]);
    // This machine's mingw-w64 links x86-64 only: an x86 image is the real one with its COFF machine rewritten.
    const folder = copyOfSample('x86');
    const sys = path.join(folder, 'pvsample.sys');
    const bytes = readFileSync(sys);
    bytes.writeUInt16LE(0x014c, bytes.readUInt32LE(0x3c) + 4);
    writeFileSync(sys, bytes);
    assert.deepEqual((await check(folder)).problems, ['pvsample.sys is an x86 image but the package platform is x64: build it for x64.']);
    const unknown = await check(sample.outDir, { platform: 'MIPS' });
    assert.deepEqual(unknown.problems, ['The package platform "MIPS" is not one of x64, ARM64, Win32: the images\' machine was not checked.']);
  });

  it('says when the kernel driver and the UMD are swapped', async () => {
    const folder = path.join(root, 'swapped');
    mkdirSync(folder);
    copyFileSync(sample.dll, path.join(folder, 'pvsample.sys'));
    copyFileSync(sample.sys, path.join(folder, 'pvsample_umd.dll'));
    copyFileSync(sample.inf, path.join(folder, 'pvsample.inf'));
    const problems = (await check(folder)).problems;
    assert.deepEqual(problems.slice(0, 2), [
      'pvsample.sys has the windows-gui subsystem, not native: a kernel driver is linked with /SUBSYSTEM:NATIVE (/DRIVER), or --subsystem,native with GNU ld.',
      'pvsample.sys does not import ntoskrnl.exe: it is not a kernel driver (imports: KERNEL32.dll, msvcrt.dll).',
    ]);
    assert.match(problems[2]!, /^pvsample\.sys imports KERNEL32\.dll, msvcrt\.dll, which exist in user mode only: Windows will refuse to load it \(Code 39\)/);
    assert.deepEqual(problems.slice(3), [
      'pvsample_umd.dll is not a DLL (the DLL flag of its header is off): a user-mode driver is linked with /DLL.',
      'pvsample_umd.dll has the native subsystem of a kernel image: a user-mode driver DLL is a Windows (GUI or console) image.',
    ]);
  });

  it('catches a kernel driver that a real link left importing a user-mode DLL', async () => {
    const folder = copyOfSample('kernel32');
    const source = path.join(folder, 'k32.c');
    writeFileSync(source, '#include <ddk/wdm.h>\nULONG __stdcall GetTickCount(void);\nNTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT d, PUNICODE_STRING r) { (void)d; (void)r; DbgPrint("%lu", GetTickCount()); return STATUS_SUCCESS; }\n');
    const result = await runProcess(
      'x86_64-w64-mingw32-gcc',
      ['-nostartfiles', '-nostdlib', '-Wl,--subsystem,native', '-Wl,--entry,DriverEntry', source, '-lntoskrnl', '-lkernel32', '-o', path.join(folder, 'pvsample.sys')],
      { timeoutMs: 30_000 },
    );
    expectExitCode(result);
    assert.deepEqual((await check(folder)).problems, [
      'pvsample.sys imports KERNEL32.dll, which exist in user mode only: Windows will refuse to load it (Code 39). Link it against the kernel alone.',
    ]);
  });

  it('says which files are missing, and finds one whose name differs only in case', async () => {
    const folder = copyOfSample('partial');
    rmSync(path.join(folder, 'pvsample_umd.dll'));
    const report = await check(folder, { files: ['PVSAMPLE.SYS', 'pvsample_umd.dll', 'pvsample.pdb'] });
    assert.equal(report.artifacts[0]!.path, path.join(folder, 'pvsample.sys'));
    assert.deepEqual(report.problems, [
      `pvsample_umd.dll is missing from ${folder}: the build did not produce it: check the project’s output name and folder, or the package’s "files".`,
      `pvsample.pdb is missing from ${folder}: the build did not produce it: check the project’s output name and folder, or the package’s "files".`,
    ]);
  });

  it('refuses what is not a Windows image, a folder, and a path out of the output folder', async () => {
    const folder = copyOfSample('junk');
    writeFileSync(path.join(folder, 'pvsample.sys'), 'echo not a driver\n');
    mkdirSync(path.join(folder, 'pvsample_umd.dll.d'));
    const report = await check(folder, { files: ['pvsample.sys', 'pvsample_umd.dll.d', '..\\built\\pvsample.sys', '/etc/passwd'] });
    assert.deepEqual(report.problems, [
      'pvsample.sys is not a PE image (no MZ header): it is not a Windows image.',
      `pvsample_umd.dll.d in ${folder} is a folder, not a file.`,
      `..\\built\\pvsample.sys is not inside the output folder ${folder}: list the files the package ships by their path in that folder.`,
      `/etc/passwd is not inside the output folder ${folder}: list the files the package ships by their path in that folder.`,
    ]);
  });

  it('handles output folders and file names with hostile characters', async () => {
    for (const name of HOSTILE_NAMES.filter(Boolean).map((n) => n.replace(/[\\/\r\n]/g, '_')).slice(0, 6)) {
      const folder = path.join(root, 'hostile', name);
      mkdirSync(folder, { recursive: true });
      copyFileSync(sample.sys, path.join(folder, `${name}.sys`));
      const report = await check(folder, { files: [`${name}.sys`] });
      assert.deepEqual(report.problems, [], name);
      assert.equal(report.artifacts[0]!.sha256, sha256(sample.sys));
    }
  });
});

describe('build: what a package ships and where', () => {
  const msbuildPackage: DriverPackageConfig = {
    name: 'pvgpu',
    build: { kind: 'msbuild', project: entry('driver/pvgpu.sln'), configuration: 'Release', platform: 'ARM64' },
    infs: [entry('driver/pvgpu.inf'), entry('driver\\extra\\PvGpu_Aux.inf')],
  };
  const commandPackage: DriverPackageConfig = {
    name: 'sample',
    build: { kind: 'command', command: ['make', 'OUT=out'] },
    outputDir: entry('out'),
    infs: [entry('pvsample.inf')],
    files: ['pvsample.sys', 'pvsample_umd.dll', 'PVSAMPLE.INF', 'pvsample.cat'],
  };

  it('ships the configured files, or what the INFs copy, and the INFs, each once', () => {
    assert.deepEqual(shippedFiles(commandPackage, ['ignored.sys']), ['pvsample.sys', 'pvsample_umd.dll', 'PVSAMPLE.INF', 'pvsample.cat']);
    assert.deepEqual(shippedFiles(msbuildPackage, ['pvgpu.sys', 'pvgpu_umd.dll', 'PVGPU.SYS']), ['pvgpu.sys', 'pvgpu_umd.dll', 'pvgpu.inf', 'PvGpu_Aux.inf']);
    assert.deepEqual(shippedFiles(msbuildPackage), ['pvgpu.inf', 'PvGpu_Aux.inf']);
  });

  it('finds the output folder and platform of MSBuild and command packages', () => {
    assert.equal(packageOutputDir(msbuildPackage, '/work/ws'), '/work/ws/driver/ARM64/Release');
    assert.equal(packageOutputDir(commandPackage, '/work/ws'), '/work/ws/out');
    assert.equal(packagePlatform(msbuildPackage), 'ARM64');
    assert.equal(packagePlatform(commandPackage), 'x64');
    assert.equal(machineForPlatform('x64'), 'x64');
    assert.equal(machineForPlatform('ARM64'), 'arm64');
    assert.equal(machineForPlatform('Win32'), 'x86');
    assert.equal(machineForPlatform('Itanium'), undefined);
  });
});
