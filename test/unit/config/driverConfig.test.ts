import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DRIVER_SETTINGS } from '../../../extension/protocol/config/driverConfigParser';
import { parseProtocolConfig } from '../../../extension/protocol/config/protocolConfigParser';
import { repoRoot } from '../../harness/paths';
import { seededRandom } from '../seededRandom';

// gpupv.json's `driver` section: what Deploy and Test builds, signs, deploys and tests.

const PACKAGE = { name: 'pvgpu', project: 'driver/pvgpu.sln', infs: ['driver/pvgpu.inf'] };

function parse(driver: unknown) {
  const text = JSON.stringify({ protocol: { headers: ['p.h'] }, driver }, null, 2);
  const parsed = parseProtocolConfig(text);
  for (const p of parsed.problems) assert.ok(p.offset >= 0 && p.offset + p.length <= text.length, `${p.message} points outside the file`);
  return { parsed, driver: parsed.driver, messages: parsed.problems.map((p) => `${p.severity} ${p.message}`) };
}

describe('gpupv.json: the driver section', () => {
  it('reads a whole section, with MSBuild\u2019s defaults filled in and the VM id made canonical', () => {
    const { driver, messages } = parse({
      packages: [{ ...PACKAGE, files: ['pvgpu.sys', 'pvgpu_umd.dll', 'pvgpu.cat'], hardwareIds: ['PCI\\VEN_1AF4&DEV_10F0'] }],
      signing: { certificate: { pfx: 'certs/test.pfx' } },
      target: { vm: '{3F8A2C4E-9B1D-4E7A-8C2F-5D6E7A8B9C01}' },
      checkpoint: 'Clean install',
      tests: [
        { name: 'smoke', run: ['C:\\tests\\smoke.exe', '--quick'], timeoutSeconds: 120, outputMatches: '^PASS' },
        { name: 'checks', powershell: 'tests/check.ps1', args: ['-Verbose'] },
        { name: 'taef', taef: 'tests/pvgpu.Tests.dll', select: '@Priority=1', exitCodes: [0, 1] },
      ],
      logs: ['C:\\Windows\\Temp\\pvgpu\\*.log'],
    });
    assert.deepEqual(messages, []);
    const [pkg] = driver!.packages;
    assert.equal(pkg!.name, 'pvgpu');
    assert.deepEqual(pkg!.build.kind === 'msbuild' && [pkg!.build.project.value, pkg!.build.configuration, pkg!.build.platform], ['driver/pvgpu.sln', 'Debug', 'x64']);
    assert.deepEqual(pkg!.files, ['pvgpu.sys', 'pvgpu_umd.dll', 'pvgpu.cat']);
    assert.deepEqual(driver!.signing, { certificate: { kind: 'pfx', pfx: driver!.signing!.certificate.kind === 'pfx' ? driver!.signing!.certificate.pfx : undefined }, catalogOs: ['10_X64'] });
    assert.deepEqual(driver!.target, { kind: 'vm', vmId: '3f8a2c4e-9b1d-4e7a-8c2f-5d6e7a8b9c01' });
    assert.equal(driver!.checkpoint, 'Clean install');
    assert.deepEqual(
      driver!.tests.map((t) => [t.name, t.run.kind, t.timeoutSeconds, t.exitCodes, t.outputMatches]),
      [
        ['smoke', 'program', 120, [0], '^PASS'],
        ['checks', 'powershell', 300, [0], undefined],
        ['taef', 'taef', 300, [0, 1], undefined],
      ],
    );
    assert.deepEqual(driver!.logs, ['C:\\Windows\\Temp\\pvgpu\\*.log']);
  });

  it('names a package after its INF when unnamed, and builds another build system\u2019s way with an output folder', () => {
    const { driver, messages } = parse({ packages: [{ command: ['make', '-C', 'driver'], cwd: 'driver', outputDir: 'driver/out', infs: ['driver/inf/pvgpu.inf'] }] });
    assert.deepEqual(messages, []);
    assert.equal(driver!.packages[0]!.name, 'pvgpu');
    assert.deepEqual(driver!.packages[0]!.build.kind === 'command' && driver!.packages[0]!.build.command, ['make', '-C', 'driver']);
  });

  it('says what a package is missing or has twice', () => {
    assert.deepEqual(parse({ packages: [{ name: 'x', infs: ['x.inf'] }] }).messages, ['error "driver.packages[0]" needs "project" (a .sln or .vcxproj MSBuild builds) or "command" (your build system\u2019s command and "outputDir")'.replace('\u2019', "'")]);
    assert.match(parse({ packages: [{ ...PACKAGE, command: ['make'] }] }).messages.join('\n'), /gives both "project" and "command"/);
    assert.match(parse({ packages: [{ command: ['make'], infs: ['a.inf'] }] }).messages.join('\n'), /needs "outputDir"/);
    assert.match(parse({ packages: [{ name: 'x', project: 'driver/pvgpu.sln' }] }).messages.join('\n'), /needs "infs"/);
    assert.match(parse({ packages: [{ name: 'x', project: 'driver/build.cmake', infs: ['a.inf'] }] }).messages.join('\n'), /must name a \.sln or a \.vcxproj/);
    assert.match(parse({ packages: [PACKAGE, PACKAGE] }).messages.join('\n'), /two packages are named "pvgpu"/);
    assert.match(parse({ packages: [{ ...PACKAGE, hardwareIds: ['PCI\\VEN_1AF4 DEV_10F0'] }] }).messages.join('\n'), /holds white space/);
    assert.match(parse({ packages: [{ ...PACKAGE, infz: [] }] }).messages.join('\n'), /warning "driver.packages\[0\].infz" is not a known setting/);
    assert.match(parse({ signing: { certificate: 'create' } }).messages.join('\n'), /lists no package/);
  });

  it('reads each kind of certificate and refuses what is none', () => {
    const certificate = (value: unknown) => parse({ packages: [PACKAGE], signing: { certificate: value } });
    assert.deepEqual(certificate('create').driver!.signing!.certificate, { kind: 'create' });
    assert.deepEqual(certificate({ thumbprint: 'ab12 cd34 ef56 ab12 cd34 ef56 ab12 cd34 ef56 ab12' }).driver!.signing!.certificate, { kind: 'thumbprint', thumbprint: 'AB12CD34EF56AB12CD34EF56AB12CD34EF56AB12' });
    assert.deepEqual(certificate({ subject: 'CN=GPU-PV Test' }).driver!.signing!.certificate, { kind: 'subject', subject: 'CN=GPU-PV Test' });
    assert.match(certificate({ thumbprint: 'abc' }).messages.join('\n'), /40 hex digits/);
    assert.match(certificate({ pfx: 'a.pfx', subject: 'x' }).messages.join('\n'), /"create"/);
    assert.match(certificate('make one').messages.join('\n'), /"create"/);
    assert.match(parse({ packages: [PACKAGE], signing: { catalogOs: [] } }).messages.join('\n'), /needs "certificate"/);
    const timestamped = parse({ packages: [PACKAGE], signing: { certificate: 'create', catalogOs: ['10_X64', 'Server10_X64'], timestampUrl: 'http://timestamp.digicert.com' } });
    assert.deepEqual([timestamped.messages, timestamped.driver!.signing!.catalogOs, timestamped.driver!.signing!.timestampUrl], [[], ['10_X64', 'Server10_X64'], 'http://timestamp.digicert.com']);
    assert.match(parse({ packages: [PACKAGE], signing: { certificate: 'create', timestampUrl: 'digicert' } }).messages.join('\n'), /http\(s\) URL/);
  });

  it('reads a VM target or an SSH one, and refuses names, both at once and bad ports', () => {
    const target = (value: unknown) => parse({ packages: [PACKAGE], target: value });
    assert.deepEqual(target({ vm: '3f8a2c4e-9b1d-4e7a-8c2f-5d6e7a8b9c01', host: 'GPU-LAB-02' }).driver!.target, { kind: 'vm', vmId: '3f8a2c4e-9b1d-4e7a-8c2f-5d6e7a8b9c01', host: 'GPU-LAB-02' });
    const windowsDefaults = { shell: 'cmd', powerShell: 'powershell.exe', folder: 'C:/ProgramData/GpuPv' };
    assert.deepEqual(target({ ssh: 'tester@127.0.0.1:2222' }).driver!.target, { kind: 'ssh', user: 'tester', host: '127.0.0.1', port: 2222, ...windowsDefaults });
    assert.deepEqual(target({ ssh: 'tester@[::1]' }).driver!.target, { kind: 'ssh', user: 'tester', host: '::1', port: 22, ...windowsDefaults });
    assert.deepEqual(target({ ssh: 'ci@lab', shell: 'posix', powerShell: '/opt/pwsh/pwsh', folder: '/srv/gpupv' }).driver!.target, { kind: 'ssh', user: 'ci', host: 'lab', port: 22, shell: 'posix', powerShell: '/opt/pwsh/pwsh', folder: '/srv/gpupv' });
    const badShell = target({ ssh: 'ci@lab', shell: 'bash' });
    assert.match(badShell.messages.join('\n'), /"driver\.target\.shell" must be "cmd"/);
    assert.match(target({ vm: 'Win11-DriverTest' }).messages.join('\n'), /must be a VM id/);
    assert.match(target({ vm: '3f8a2c4e-9b1d-4e7a-8c2f-5d6e7a8b9c01', ssh: 'a@b' }).messages.join('\n'), /both "vm" and "ssh"/);
    assert.match(target({ ssh: 'tester@host:70000' }).messages.join('\n'), /user@host:port/);
    assert.match(target({ ssh: 'host-without-user' }).messages.join('\n'), /user@host:port/);
    assert.match(target('Win11').messages.join('\n'), /"driver.target" is \{ "vm"/);
  });

  it('checks tests: one way to run each, unique names, bounds, codes and patterns', () => {
    const tests = (value: unknown) => parse({ packages: [PACKAGE], tests: value }).messages.join('\n');
    assert.match(tests([{ name: 'x' }]), /exactly one of "run"/);
    assert.match(tests([{ name: 'x', run: ['a'], taef: 'b.dll' }]), /exactly one of "run"/);
    assert.match(tests([{ run: ['a'] }]), /"driver.tests\[0\].name" is missing/);
    assert.match(tests([{ name: 'x', run: ['a'] }, { name: 'x', run: ['b'] }]), /two tests are named "x"/);
    assert.match(tests([{ name: 'x', run: [] }]), /"driver.tests\[0\].run" is empty/);
    assert.match(tests([{ name: 'x', run: 'smoke.exe --quick' }]), /a program and its arguments/);
    assert.match(tests([{ name: 'x', run: ['a'], timeoutSeconds: 0 }]), /from 1 to 86400/);
    assert.match(tests([{ name: 'x', run: ['a'], exitCodes: [0.5] }]), /whole numbers/);
    assert.match(tests([{ name: 'x', run: ['a'], outputMatches: '(' }]), /not a regular expression/);
    assert.match(tests([{ name: 'x', run: ['a'], select: 'p' }]), /warning "driver.tests\[0\].select" applies to TAEF tests only/);
  });

  it('reads MSBuild\u2019s binary log switch and the DriverVer version to stamp, and refuses what they cannot be', () => {
    const { driver, messages } = parse({ packages: [{ ...PACKAGE, binaryLog: true }], signing: { certificate: 'create', driverVersion: '10.0.65535.7' } });
    assert.deepEqual(messages, []);
    assert.equal(driver!.packages[0]!.build.kind === 'msbuild' && driver!.packages[0]!.build.binaryLog, true);
    assert.equal(driver!.signing!.driverVersion, '10.0.65535.7');
    const plain = parse({ packages: [PACKAGE] }).driver!.packages[0]!.build;
    assert.equal(plain.kind === 'msbuild' ? plain.binaryLog : 'not msbuild', undefined, 'no binary log unless asked');
    assert.match(parse({ packages: [{ ...PACKAGE, binaryLog: 'yes' }] }).messages.join('\n'), /"driver.packages\[0\].binaryLog" must be true or false/);
    assert.match(parse({ packages: [{ name: 'm', command: ['make'], outputDir: 'out', infs: ['a.inf'], binaryLog: true }] }).messages.join('\n'), /warning "driver.packages\[0\].binaryLog" applies to MSBuild projects only/);
    for (const version of ['1.2.3', '1.2.3.65536', '1.2.3.x', 1234]) {
      assert.match(parse({ packages: [PACKAGE], signing: { certificate: 'create', driverVersion: version } }).messages.join('\n'), /four numbers from 0 to 65535/, String(version));
    }
  });

  it('reads the providers to trace, as GUIDs or with flags and level, and refuses what tracelog could not take', () => {
    const { driver, messages } = parse({ packages: [PACKAGE], tracing: { providers: ['8d8a3a9c-5a1b-4f0e-9d2c-7e6f5a4b3c21', { guid: '{1C2D3E4F-5A6B-4C7D-8E9F-0A1B2C3D4E5F}', flags: '0xFF', level: 4 }], tracelog: 'tools/tracelog.exe' } });
    assert.deepEqual(messages, []);
    assert.deepEqual(driver!.tracing, { providers: [{ guid: '8d8a3a9c-5a1b-4f0e-9d2c-7e6f5a4b3c21' }, { guid: '{1C2D3E4F-5A6B-4C7D-8E9F-0A1B2C3D4E5F}', flags: '0xFF', level: 4 }], tracelog: 'tools/tracelog.exe' });
    const tracing = (value: unknown) => parse({ packages: [PACKAGE], tracing: value });
    assert.match(tracing({}).messages.join('\n'), /"driver.tracing" needs "providers"/);
    assert.match(tracing({ providers: [] }).messages.join('\n'), /must list the control GUIDs/);
    assert.match(tracing({ providers: ['pvgpu; Stop-Computer'] }).messages.join('\n'), /A trace provider is its control GUID/);
    assert.match(tracing({ providers: [{ guid: '8d8a3a9c-5a1b-4f0e-9d2c-7e6f5a4b3c21', flags: '0xFF -stop x' }] }).messages.join('\n'), /"flags" of a trace provider must be a number/);
    assert.match(tracing({ providers: [{ guid: '8d8a3a9c-5a1b-4f0e-9d2c-7e6f5a4b3c21', level: 0 }] }).messages.join('\n'), /from 1 \(critical\) to 255/);
    assert.equal(tracing({ providers: ['nope'] }).driver!.tracing, undefined, 'no trace when no provider is usable');
  });

  it('lets nothing thrown escape, and every problem points inside the file, whatever the section holds', () => {
    const next = seededRandom(11);
    const below = (n: number) => Math.floor(next() * n);
    const pieces: unknown[] = [null, 1, -1, 0.5, 'x', '', true, [], {}, ['a'], { vm: 'x' }, { ssh: 'a@b:1' }, 'create', { name: 'n' }, { run: ['a'] }, { pfx: 'p' }, '8d8a3a9c-5a1b-4f0e-9d2c-7e6f5a4b3c21', { guid: '8d8a3a9c-5a1b-4f0e-9d2c-7e6f5a4b3c21', flags: 'x' }];
    const keys = [...DRIVER_SETTINGS, 'name', 'project', 'command', 'infs', 'outputDir', 'run', 'taef', 'certificate', 'vm', 'ssh', 'providers', 'guid', 'level', 'unknown'];
    const build = (depth: number): unknown => {
      if (depth > 3 || next() < 0.3) return pieces[below(pieces.length)];
      if (next() < 0.4) return Array.from({ length: below(3) }, () => build(depth + 1));
      return Object.fromEntries(Array.from({ length: below(4) }, () => [keys[below(keys.length)]!, build(depth + 1)]));
    };
    for (let i = 0; i < 2_000; i++) parse(build(0));
  });
});

describe('gpupv.json: the driver section\u2019s schema', () => {
  interface Schema {
    properties: { driver: { properties: Record<string, unknown>; additionalProperties: boolean } };
  }
  const schema = JSON.parse(readFileSync(path.join(repoRoot, 'extension', 'protocol', 'config', 'gpupv.schema.json'), 'utf8')) as Schema;

  it('lists exactly the settings the reader knows, and closes driver to typos', () => {
    assert.deepEqual(Object.keys(schema.properties.driver.properties), [...DRIVER_SETTINGS]);
    assert.equal(schema.properties.driver.additionalProperties, false);
  });
});
