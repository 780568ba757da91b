import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runProcess } from '../../../extension/common/processRunner';
import type { StepContext } from '../../../extension/deploy/pipeline/deployPipeline';
import { buildPackages } from '../../../extension/deploy/steps/buildStep';
import { secretKeys, signPackages } from '../../../extension/deploy/steps/signStep';
import { ensureTestCertificate } from '../../../extension/deploy/sign/testCertificate';
import type { DriverPackageConfig } from '../../../extension/protocol/config/driverConfigParser';
import { SAMPLE_MAKEFILE } from '../../harness/samplePackage';

// The Sign step on the real sample package with a .pfx of the user's: its password asked for
// once and kept in SecretStorage, the catalog and images signed with it (osslsigncode verifies
// against the certificate), every file recorded with its hash.

const entry = (value: string) => ({ value, offset: 0, length: value.length });

describe('Deploy and Test: the Sign step with a .pfx', function () {
  this.timeout(120_000);
  let workspace: string;
  before(() => (workspace = mkdtempSync(path.join(tmpdir(), 'gpupv sign step '))));
  after(() => rmSync(workspace, { recursive: true, force: true }));

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
