import * as assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import * as path from 'node:path';
import { runProcess } from '../../../extension/common/processRunner';
import type { StepContext } from '../../../extension/deploy/pipeline/deployPipeline';
import { buildPackages } from '../../../extension/deploy/steps/buildStep';
import { secretKeys, signPackages } from '../../../extension/deploy/steps/signStep';
import { windowsCertificateStore } from '../../../extension/deploy/sign/certificateStore';
import { ensureTestCertificate } from '../../../extension/deploy/sign/testCertificate';
import type { DriverPackageConfig } from '../../../extension/protocol/config/driverConfigParser';
import { FakeWindowsTools, WINDOWS_TOOLS_DIR } from '../../fakes/windows-tools/fakeWindowsTools';
import { KeptLog } from '../../harness/keptLog';
import { MODULE_PATH, powerShellExecutable, STAND_IN_MODULES } from '../../harness/powerShellTools';
import { SAMPLE_MAKEFILE } from '../../harness/samplePackage';

// The Sign step on the real sample package. With a .pfx of the user's: its password asked for
// once and kept in SecretStorage, the catalog and images signed with it (osslsigncode verifies
// against the certificate), every file recorded with its hash. On a Windows host with
// "create": the certificate found or made in the user's store by GpuPv.psm1 in real
// PowerShell (the PKI stand-in making real certificates in .NET's store), then used by the
// signtool stand-in by thumbprint.

const entry = (value: string) => ({ value, offset: 0, length: value.length });

/** This user's cache, config and data folders, named so that a HOME of its own does not move them. */
const userFolders = () => ({
  XDG_CACHE_HOME: process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'),
  XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME ?? path.join(homedir(), '.config'),
  XDG_DATA_HOME: process.env.XDG_DATA_HOME ?? path.join(homedir(), '.local', 'share'),
});

describe('Deploy and Test: the Sign step', function () {
  this.timeout(120_000);
  let workspace: string;
  before(() => (workspace = mkdtempSync(path.join(tmpdir(), 'gpupv sign step '))));
  after(() => rmSync(workspace, { recursive: true, force: true }));

  const contextFor = (lines: string[]): StepContext => ({
    signal: new AbortController().signal,
    report: { stepStarted: () => undefined, command: (l) => lines.push(l), output: (l) => lines.push(l), info: (l) => lines.push(l), warning: (l) => lines.push(l), stepEnded: () => undefined },
  });

  it('on a Windows host takes the certificate from the user\u2019s store ("create" made there once, or named by subject or thumbprint), signs by its thumbprint and hands its .cer to the guest', async () => {
    const root = path.join(workspace, 'windows host');
    const out = path.join(root, 'out');
    await runProcess('mkdir', ['-p', out]);
    const pkg: DriverPackageConfig = { name: 'pvsample', build: { kind: 'command', command: ['make', '--no-print-directory', '-f', SAMPLE_MAKEFILE, 'OUT=.'], cwd: entry('out') }, outputDir: entry('out'), infs: [entry('pvsample.inf')] };
    const lines: string[] = [];
    const built = await buildPackages({ workspaceDir: root, packages: [pkg] }, contextFor(lines));
    const tools = new FakeWindowsTools(path.join(root, 'tools'));
    const home = mkdtempSync(path.join(tmpdir(), 'gpupv-user-'));
    try {
      const log = new KeptLog();
      const store = windowsCertificateStore({
        executable: () => powerShellExecutable(),
        modulePath: MODULE_PATH,
        log,
        // .NET keeps CurrentUser\My under HOME: a throw-away user for this test. PowerShell's own
        // caches stay where they are, since it writes them from a thread that outlives the call.
        env: { ...tools.env, HOME: home, ...userFolders(), PSModulePath: [STAND_IN_MODULES, path.join(WINDOWS_TOOLS_DIR, 'modules')].join(path.delimiter) },
      });
      const secrets = new Map<string, string>();
      const input = {
        workspaceDir: root,
        workspaceName: "pvgpu's $(calc) tests",
        platform: 'win32' as const,
        signing: { certificate: { kind: 'create' as const }, catalogOs: ['10_X64'], driverVersion: '2.0.7.1' },
        secrets: { get: (key: string) => Promise.resolve(secrets.get(key)), store: (key: string, value: string) => Promise.resolve(void secrets.set(key, value)) },
        env: { ...tools.env, PATH: [WINDOWS_TOOLS_DIR, process.env.PATH].join(path.delimiter) },
        certificateStore: store,
      };
      const record = await signPackages(built, input, contextFor(lines));
      const { thumbprint, subject, cer } = record.identity;
      assert.match(thumbprint, /^[0-9A-F]{40}$/);
      assert.equal(subject, 'CN=pvgpu s (calc) tests GPU-PV Test');
      assert.ok(lines.some((l) => l.includes(`Made the test certificate ${subject} (${thumbprint}) in Cert:\\CurrentUser\\My: there was none yet`)), lines.join('\n'));
      const certificate = new X509Certificate(readFileSync(cer!));
      assert.equal(createHash('sha1').update(certificate.raw).digest('hex').toUpperCase(), thumbprint, 'the .cer is the certificate signed with');
      assert.ok(certificate.keyUsage.includes('1.3.6.1.5.5.7.3.3'), 'Code Signing EKU');
      assert.equal(secrets.size, 0, 'no password: the key stays in the store');
      assert.ok(existsSync(path.join(home, '.dotnet', 'corefx', 'cryptography', 'x509stores', 'my', `${thumbprint}.pfx`)), 'the certificate and its key are in the user\u2019s store');
      const signs = tools.commands().filter((c) => c.tool === 'signtool' && c.args[0] === 'sign');
      assert.equal(signs.length, 3, 'the .sys, the .dll and the catalog');
      for (const sign of signs) assert.deepEqual(sign.args.slice(0, 8), ['sign', '/v', '/fd', 'sha256', '/sha1', thumbprint, '/s', 'My']);
      const stamp = tools.commands().find((c) => c.tool === 'stampinf');
      assert.deepEqual(stamp?.args.slice(0, 6), ['-f', path.join(out, 'pvsample.inf'), '-d', '*', '-v', '2.0.7.1'], 'DriverVer stamped before signing');

      lines.length = 0;
      const again = await signPackages(built, input, contextFor(lines));
      assert.equal(again.identity.thumbprint, thumbprint, 'the store\u2019s certificate is reused');
      assert.ok(!lines.some((l) => l.includes('Made the test certificate')));

      // The same certificate named in gpupv.json by a part of its subject, as signtool /n matches.
      const bySubject = await signPackages(built, { ...input, signing: { certificate: { kind: 'subject' as const, subject: 'PVGPU S (calc)' }, catalogOs: ['10_X64'] } }, contextFor(lines));
      assert.equal(bySubject.identity.thumbprint, thumbprint);
      assert.deepEqual(readFileSync(bySubject.identity.cer!), readFileSync(cer!), 'its .cer is exported for the guest');
      assert.equal(tools.commands().filter((c) => c.tool === 'signtool' && c.args[0] === 'sign').at(-1)!.args[5], thumbprint, 'signed by the thumbprint the store gave');
      const absent = '0123456789ABCDEF0123456789ABCDEF01234567';
      await assert.rejects(
        signPackages(built, { ...input, signing: { certificate: { kind: 'thumbprint' as const, thumbprint: absent }, catalogOs: ['10_X64'] } }, contextFor(lines)),
        (error: Error) => error.message.includes(`No certificate in Cert:\\CurrentUser\\My has thumbprint ${absent}`),
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('asks for the pfx password once, keeps it, signs and records each file with its hash', async () => {
    const certificate = await ensureTestCertificate({ folder: path.join(workspace, 'mine'), workspaceName: 'pfx owner', keyBits: 2048 });
    const out = path.join(workspace, 'out');
    const pkg: DriverPackageConfig = { name: 'pvsample', build: { kind: 'command', command: ['make', '--no-print-directory', '-f', SAMPLE_MAKEFILE, 'OUT=.'], cwd: entry('out') }, outputDir: entry('out'), infs: [entry('pvsample.inf')] };
    const lines: string[] = [];
    const context: StepContext = {
      signal: new AbortController().signal,
      report: { stepStarted: () => undefined, command: (l) => lines.push(l), output: () => undefined, info: (l) => lines.push(l), warning: (l) => lines.push(l), stepEnded: () => undefined },
    };
    await runProcess('mkdir', ['-p', out]);
    const built = await buildPackages({ workspaceDir: workspace, packages: [pkg] }, context);
    const secrets = new Map<string, string>();
    const asked: string[] = [];
    const input = {
      workspaceDir: workspace,
      workspaceName: 'sign step',
      platform: 'linux' as const,
      signing: { certificate: { kind: 'pfx' as const, pfx: entry('mine/test.pfx') }, catalogOs: ['10_X64'] },
      secrets: { get: (key: string) => Promise.resolve(secrets.get(key)), store: (key: string, value: string) => Promise.resolve(void secrets.set(key, value)) },
      askPfxPassword: (pfx: string) => {
        asked.push(pfx);
        return Promise.resolve(certificate.password);
      },
    };
    const record = await signPackages(built, input, context);
    assert.deepEqual(asked, [certificate.pfx]);
    assert.equal(secrets.get(secretKeys.pfxPassword(certificate.pfx)), certificate.password);
    assert.equal(record.identity.thumbprint, certificate.thumbprint);
    assert.deepEqual(readFileSync(record.identity.cer!), readFileSync(certificate.cer));
    assert.deepEqual(record.packages[0]!.files.map((f) => f.name).sort(), ['pvsample.cat', 'pvsample.inf', 'pvsample.sys', 'pvsample_umd.dll']);
    for (const file of record.packages[0]!.files) assert.match(file.sha256, /^[0-9a-f]{64}$/);
    const verified = await runProcess('osslsigncode', ['verify', '-CAfile', certificate.pem, '-in', path.join(out, 'pvsample.sys')]);
    assert.equal(verified.exitCode, 0, verified.stdout + verified.stderr);

    await signPackages(built, input, context);
    assert.equal(asked.length, 1, 'the kept password is used the second time');
  });
});
