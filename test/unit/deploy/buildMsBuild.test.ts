import * as assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { RunOptions, RunResult } from '../../../extension/common/processRunner';
import {
  captureEwdkEnvironment,
  defaultMsBuildOutputDir,
  escapeMsBuild,
  ewdkEnvironmentCommand,
  findMsBuild,
  msbuildArguments,
  msbuildEnvironment,
  MsBuildNotFoundError,
  parseSetOutput,
  planMsBuild,
  VSWHERE_ARGS,
  type MsBuildTool,
} from '../../../extension/deploy/build/msbuild';
import { HOSTILE_NAMES } from '../../fixtures/hostileNames';

// Finding MSBuild and planning its command line. There is no Windows here, so the look-ups
// run against directory trees laid out like a Visual Studio installation and an EWDK, with a
// vswhere stand-in that prints what the real one prints for -find: one path a line, exit 0,
// nothing at all when no instance matches.

function touch(file: string, text = ''): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** A vswhere.exe that records its arguments and prints `lines`. */
function fakeVswhere(programFiles: string, lines: string[], exitCode = 0): { argsFile: string } {
  const argsFile = path.join(programFiles, 'vswhere-args.json');
  const script = [
    '#!/usr/bin/env node',
    `require('node:fs').writeFileSync(${JSON.stringify(argsFile)}, JSON.stringify(process.argv.slice(2)));`,
    `process.stdout.write(${JSON.stringify(lines.map((line) => `${line}\r\n`).join(''))});`,
    `process.exit(${exitCode});`,
  ].join('\n');
  const vswhere = touch(path.join(programFiles, 'Microsoft Visual Studio', 'Installer', 'vswhere.exe'), script);
  chmodSync(vswhere, 0o755);
  return { argsFile };
}

describe('build: MSBuild lookup', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'gpupv-msbuild-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('asks vswhere the documented question and takes the 64-bit MSBuild beside the one it names', async () => {
    const programFiles = path.join(root, 'Program Files (x86)');
    const bin = path.join(root, 'Program Files', 'Microsoft Visual Studio', '2022', 'Enterprise', 'MSBuild', 'Current', 'Bin');
    touch(path.join(bin, 'MSBuild.exe'));
    touch(path.join(bin, 'amd64', 'MSBuild.exe'));
    const { argsFile } = fakeVswhere(programFiles, [path.join(bin, 'MSBuild.exe')]);
    const tool = await findMsBuild({ env: { 'ProgramFiles(x86)': programFiles }, arch: 'x64' });
    assert.deepEqual(tool, { kind: 'vswhere', msbuild: path.join(bin, 'amd64', 'MSBuild.exe') });
    assert.deepEqual(JSON.parse(readFileSync(argsFile, 'utf8')), [...VSWHERE_ARGS]);
    assert.deepEqual(VSWHERE_ARGS, ['-latest', '-prerelease', '-products', '*', '-requires', 'Microsoft.Component.MSBuild', '-find', 'MSBuild\\**\\Bin\\MSBuild.exe', '-utf8']);
  });

  it('keeps the MSBuild vswhere names when the host has no build of its own architecture', async () => {
    const programFiles = path.join(root, 'pf86');
    const msbuild = touch(path.join(root, 'BuildTools', 'MSBuild', 'Current', 'Bin', 'MSBuild.exe'));
    fakeVswhere(programFiles, [msbuild]);
    assert.equal((await findMsBuild({ env: { 'ProgramFiles(x86)': programFiles }, arch: 'arm64' })).msbuild, msbuild);
    assert.equal((await findMsBuild({ env: { 'ProgramFiles(x86)': programFiles }, arch: 'ia32' })).msbuild, msbuild);
  });

  it('says what to install when there is no Visual Studio installer, or vswhere finds no MSBuild', async () => {
    await assert.rejects(findMsBuild({ env: { 'ProgramFiles(x86)': path.join(root, 'none') } }), (error: Error) => {
      assert.ok(error instanceof MsBuildNotFoundError);
      assert.match(error.message, /no Visual Studio installer/);
      assert.match(error.message, /Windows Driver Kit/);
      assert.match(error.message, /gpupv\.build\.ewdkRoot/);
      assert.match(error.message, /"command" and "outputDir"/);
      return true;
    });
    await assert.rejects(findMsBuild({ env: {} }), /no %ProgramFiles\(x86\)%/);
    const programFiles = path.join(root, 'pf86');
    fakeVswhere(programFiles, []);
    await assert.rejects(findMsBuild({ env: { 'ProgramFiles(x86)': programFiles } }), /vswhere lists no Visual Studio with MSBuild/);
    fakeVswhere(programFiles, ['Error 0x57: Unknown parameter'], 87);
    await assert.rejects(findMsBuild({ env: { 'ProgramFiles(x86)': programFiles } }), /exited with code 87[\s\S]*Install Visual Studio/);
  });

  it('finds the newest MSBuild of an EWDK folder and its SetupBuildEnv.cmd', async () => {
    const ewdk = path.join(root, 'EWDK 26100 ‘copy’');
    touch(path.join(ewdk, 'LaunchBuildEnv.cmd'));
    const setup = touch(path.join(ewdk, 'BuildEnv', 'SetupBuildEnv.cmd'));
    const studio = path.join(ewdk, 'Program Files', 'Microsoft Visual Studio');
    touch(path.join(studio, '2019', 'BuildTools', 'MSBuild', 'Current', 'Bin', 'amd64', 'MSBuild.exe'));
    touch(path.join(studio, '2019', 'BuildTools', 'MSBuild', 'Current', 'Bin', 'MSBuild.exe'));
    const bin = path.join(studio, '2022', 'BuildTools', 'MSBuild', 'Current', 'Bin');
    touch(path.join(bin, 'MSBuild.exe'));
    touch(path.join(bin, 'amd64', 'MSBuild.exe'));
    const tool = await findMsBuild({ ewdkRoot: ewdk, arch: 'x64', env: { 'ProgramFiles(x86)': path.join(root, 'never looked at') } });
    assert.deepEqual(tool, { kind: 'ewdk', msbuild: path.join(bin, 'amd64', 'MSBuild.exe'), root: ewdk, setupScript: setup });
  });

  it('finds the MSBuild 15.0 of an old EWDK', async () => {
    const ewdk = path.join(root, 'ewdk1809');
    touch(path.join(ewdk, 'BuildEnv', 'SetupBuildEnv.cmd'));
    const msbuild = touch(path.join(ewdk, 'Program Files', 'Microsoft Visual Studio', '2017', 'BuildTools', 'MSBuild', '15.0', 'Bin', 'MSBuild.exe'));
    assert.equal((await findMsBuild({ ewdkRoot: ewdk, arch: 'x64' })).msbuild, msbuild);
  });

  it('explains a wrong EWDK setting instead of falling back to something else', async () => {
    await assert.rejects(findMsBuild({ ewdkRoot: 'EWDK' }), /gpupv\.build\.ewdkRoot must be an absolute path/);
    await assert.rejects(findMsBuild({ ewdkRoot: root }), /is not an Enterprise WDK: .*SetupBuildEnv\.cmd is missing.*LaunchBuildEnv\.cmd/);
    touch(path.join(root, 'BuildEnv', 'SetupBuildEnv.cmd'));
    await assert.rejects(findMsBuild({ ewdkRoot: root }), /has no MSBuild under .*the copy may be incomplete/);
  });
});

describe('build: the EWDK environment', () => {
  const tool: Extract<MsBuildTool, { kind: 'ewdk' }> = {
    kind: 'ewdk',
    msbuild: 'D:\\EWDK\\Program Files\\Microsoft Visual Studio\\2022\\BuildTools\\MSBuild\\Current\\Bin\\amd64\\MSBuild.exe',
    root: "D:\\EWDK & O'Brien",
    setupScript: path.join("D:\\EWDK & O'Brien", 'BuildEnv', 'SetupBuildEnv.cmd'),
  };

  it('runs SetupBuildEnv.cmd by its fixed name in its own folder, so the EWDK path never reaches cmd.exe', () => {
    const plan = ewdkEnvironmentCommand(tool, { ComSpec: 'C:\\Windows\\system32\\cmd.exe' });
    assert.equal(plan.command, 'C:\\Windows\\system32\\cmd.exe');
    assert.deepEqual(plan.args, ['/d', '/c', 'chcp', '65001', '>nul', '&&', 'call', 'SetupBuildEnv.cmd', '>nul', '2>&1', '&&', 'set']);
    assert.equal(plan.cwd, path.dirname(tool.setupScript));
    for (const arg of plan.args) assert.ok(!arg.includes('EWDK'), arg);
    assert.equal(ewdkEnvironmentCommand(tool, {}).command, 'cmd.exe');
  });

  it('reads set’s output, leaving out the hidden per-drive variables', () => {
    const env = parseSetOutput('=C:=C:\\src\r\nPath=C:\\EWDK\\bin;C:\\Windows\r\nEnterpriseWDK=True\r\nWDKContentRoot=D:\\Program Files\\Windows Kits\\10\\\r\nEMPTY=\r\nnot a variable\r\n');
    assert.deepEqual(env, { Path: 'C:\\EWDK\\bin;C:\\Windows', EnterpriseWDK: 'True', WDKContentRoot: 'D:\\Program Files\\Windows Kits\\10\\', EMPTY: '' });
  });

  it('returns the environment, or says that SetupBuildEnv.cmd failed', async () => {
    const calls: { command: string; args: readonly string[]; cwd?: string }[] = [];
    const answer = (exitCode: number, stdout: string) => (command: string, args: readonly string[], options?: RunOptions): Promise<RunResult> => {
      calls.push({ command, args, ...(options?.cwd ? { cwd: options.cwd } : {}) });
      return Promise.resolve({ command, args, exitCode, signal: null, stdout, stderr: '', durationMs: 1 });
    };
    assert.deepEqual(await captureEwdkEnvironment(tool, { run: answer(0, 'Path=C:\\x\r\nVersion_Number=10.0.26100.0\r\n') }), { Path: 'C:\\x', Version_Number: '10.0.26100.0' });
    assert.equal(calls[0]?.cwd, path.dirname(tool.setupScript));
    await assert.rejects(captureEwdkEnvironment(tool, { run: answer(1, '') }), /SetupBuildEnv\.cmd failed \(exit code 1\).*LaunchBuildEnv\.cmd/);
    await assert.rejects(captureEwdkEnvironment(tool, { run: answer(0, 'garbage') }), /printed no environment/);
  });

  it('plans the MSBuild run in the EWDK’s environment, and in the given one with Visual Studio', async () => {
    const stub = (command: string, args: readonly string[]): Promise<RunResult> =>
      Promise.resolve({ command, args, exitCode: 0, signal: null, stdout: 'Path=D:\\EWDK\\bin\r\nEnterpriseWDK=True\r\n', stderr: '', durationMs: 1 });
    const invocation = { project: 'C:\\src\\pvgpu\\pvgpu.sln', configuration: 'Debug', platform: 'x64' };
    const ewdk = await planMsBuild(tool, invocation, { run: stub });
    assert.deepEqual(ewdk, { command: tool.msbuild, args: msbuildArguments(invocation), cwd: 'C:\\src\\pvgpu', env: { Path: 'D:\\EWDK\\bin', EnterpriseWDK: 'True', MSBUILDTERMINALLOGGER: 'off' } });
    const studio = await planMsBuild({ kind: 'vswhere', msbuild: 'C:\\VS\\MSBuild.exe' }, invocation, { env: { Path: 'C:\\Windows' } });
    assert.deepEqual(studio.env, { Path: 'C:\\Windows', MSBUILDTERMINALLOGGER: 'off' });
    assert.equal(studio.command, 'C:\\VS\\MSBuild.exe');
  });

  it('says the EWDK needs Windows when run elsewhere', async function () {
    if (process.platform === 'win32') this.skip();
    await assert.rejects(captureEwdkEnvironment(tool), /runs on Windows only/);
  });
});

describe('build: the MSBuild command line', () => {
  it('builds the project for the configuration and platform, in parallel, with output the problem patterns read', () => {
    assert.deepEqual(msbuildArguments({ project: 'C:\\src\\pvgpu\\pvgpu.sln', configuration: 'Debug', platform: 'x64' }), [
      'C:\\src\\pvgpu\\pvgpu.sln',
      '/p:Configuration=Debug',
      '/p:Platform=x64',
      '/m',
      '/nologo',
      '/v:minimal',
      '/clp:Summary;ForceNoAlign',
    ]);
  });

  it('adds targets and a binary log when asked', () => {
    const args = msbuildArguments({ project: 'C:\\src\\kmd.vcxproj', configuration: 'Release', platform: 'ARM64', targets: ['Rebuild'], binaryLog: 'C:\\src\\.gpupv\\runs\\t 1\\build.binlog' });
    assert.deepEqual(args.slice(-2), ['/t:Rebuild', '/bl:C:\\src\\.gpupv\\runs\\t 1\\build.binlog']);
  });

  it('escapes values so that no configuration name adds a property or a switch', () => {
    assert.equal(escapeMsBuild('Debug;Platform=Win32'), 'Debug%3BPlatform=Win32');
    assert.equal(escapeMsBuild("a,b%c$(d)@(e)'f*?"), "a%2Cb%25c%24(d)%40(e)%27f%2A%3F");
    for (const name of HOSTILE_NAMES.filter(Boolean)) {
      const args = msbuildArguments({ project: `C:\\src\\${name}\\p.sln`, configuration: name, platform: 'x64' });
      assert.equal(args[0], `C:\\src\\${name}\\p.sln`, 'the project travels as one argument, unchanged');
      assert.ok(!/[;,]/.test(args[1]!.slice('/p:Configuration='.length)), args[1]);
      assert.equal(args.length, 7, name);
    }
  });

  it('refuses a relative project, which MSBuild could take for a switch, and an empty configuration', () => {
    assert.throws(() => msbuildArguments({ project: '-t:Clean.sln', configuration: 'Debug', platform: 'x64' }), /absolute path/);
    assert.throws(() => msbuildArguments({ project: 'C:\\a.sln', configuration: '', platform: 'x64' }), /configuration and a platform/);
  });

  it('turns MSBuild’s terminal logger off, whatever the user’s environment says', () => {
    assert.deepEqual(msbuildEnvironment({ MSBUILDTERMINALLOGGER: 'on', Path: 'C:\\x' }), { MSBUILDTERMINALLOGGER: 'off', Path: 'C:\\x' });
  });

  it('knows where a WDK project puts its output by default', () => {
    assert.equal(defaultMsBuildOutputDir('C:\\src\\pvgpu\\pvgpu.sln', 'x64', 'Debug'), 'C:\\src\\pvgpu\\x64\\Debug');
    assert.equal(defaultMsBuildOutputDir('C:\\src\\pvgpu\\kmd\\kmd.vcxproj', 'ARM64', 'Release'), 'C:\\src\\pvgpu\\kmd\\ARM64\\Release');
    assert.equal(defaultMsBuildOutputDir('C:\\src\\pvgpu\\pvgpu.sln', 'Win32', 'Debug'), 'C:\\src\\pvgpu\\Debug');
    assert.equal(defaultMsBuildOutputDir('/home/dev/pvgpu/pvgpu.sln', 'x64', 'Debug'), '/home/dev/pvgpu/x64/Debug');
  });
});
