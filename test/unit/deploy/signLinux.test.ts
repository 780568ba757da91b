import * as assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expectExitCode, runProcess } from '../../../extension/common/processRunner';
import { readCatalog } from '../../../extension/deploy/sign/catalog';
import { runSigningPlan, SigningError, type SignerOptions } from '../../../extension/deploy/sign/signer';
import { certificateSource, planSigning, SigningPlanError, type SigningPackage, type SigningPlan, type ToolStep } from '../../../extension/deploy/sign/signingPlan';
import { ensureTestCertificate, type TestCertificate } from '../../../extension/deploy/sign/testCertificate';
import { HOSTILE_NAMES } from '../../fixtures/hostileNames';
import { buildSamplePackage, SAMPLE_HARDWARE_ID, type SamplePackage } from '../../harness/samplePackage';

// The Sign step on a Linux host, for real: the mingw-built sample package signed by Debian's
// osslsigncode with an openssl-made test certificate, its catalog made in-process and signed,
// and everything checked again by osslsigncode verify.

describe('signing on Linux (osslsigncode)', function () {
  this.timeout(180_000);
  let root: string;
  let sample: SamplePackage;
  let certificate: TestCertificate;
  let packages = 0;

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'gpupv-sign-'));
    sample = await buildSamplePackage(path.join(root, 'built'));
    certificate = await ensureTestCertificate({ folder: path.join(root, 'certificates'), workspaceName: 'sign tests', keyBits: 2048 });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  /** A copy of the built package in a fresh folder (under `under`, when given). */
  function freshPackage(under?: string): SigningPackage {
    const dir = path.join(under ?? root, `package-${++packages}`);
    mkdirSync(dir, { recursive: true });
    for (const file of [sample.inf, sample.sys, sample.dll]) copyFileSync(file, path.join(dir, path.basename(file)));
    return {
      inf: path.join(dir, 'pvsample.inf'),
      catalog: path.join(dir, 'pvsample.cat'),
      binaries: [path.join(dir, 'pvsample.sys'), path.join(dir, 'pvsample_umd.dll')],
      hardwareIds: [SAMPLE_HARDWARE_ID],
    };
  }

  function plan(pkg: SigningPackage, overrides: Partial<Parameters<typeof planSigning>[0]> = {}): SigningPlan {
    return planSigning({
      platform: 'linux',
      package: pkg,
      signing: { catalogOs: ['10_X64'] },
      certificate: certificateSource({ kind: 'create' }, { resolve: (p) => p, pfxHasPassword: true, created: certificate }),
      workDir: path.dirname(pkg.inf),
      ...overrides,
    });
  }

  function snapshot(pkg: SigningPackage): Record<string, string> {
    const dir = path.dirname(pkg.inf);
    return Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(path.join(dir, name)).toString('base64')]));
  }

  async function verify(args: string[]) {
    return runProcess('osslsigncode', ['verify', '-CAfile', certificate.pem, ...args], { timeoutMs: 60_000 });
  }

  it('signs the .sys and the .dll, makes and signs the catalog, and verifies all of it', async () => {
    const pkg = freshPackage();
    const signingPlan = plan(pkg, { stamp: { version: '1.2.3.4', date: new Date(2026, 10, 30) } });
    const sign = signingPlan.steps.find((s): s is ToolStep => s.kind === 'tool' && s.purpose === 'sign')!;
    assert.deepEqual(sign.args, ['sign', '-pkcs12', certificate.pfx, '-readpass', '-', '-h', 'sha256', '-in', pkg.binaries[0], '-out', path.join(path.dirname(pkg.inf), 'pvsample.gpupv-signing.sys')]);
    assert.deepEqual(sign.password, { via: 'stdin' });
    const echoed: string[] = [];
    const titles: string[] = [];
    const report = await runSigningPlan(signingPlan, { password: certificate.password, onStep: (step) => titles.push(step.title), onOutput: (text) => echoed.push(text) });
    assert.deepEqual(titles, [
      'Check the package files',
      'Check the signing certificate',
      'Stamp DriverVer of pvsample.inf',
      'Sign pvsample.sys',
      'Sign pvsample_umd.dll',
      'Make pvsample.cat',
      'Sign pvsample.cat',
      'Verify the signature of pvsample.sys',
      'Verify the signature of pvsample_umd.dll',
      'Verify the signature of pvsample.cat',
      'Verify pvsample.sys against pvsample.cat',
      'Verify pvsample_umd.dll against pvsample.cat',
      'Check that pvsample.cat lists every file',
    ]);
    assert.equal(report.steps.length, titles.length);
    assert.ok(echoed.some((line) => line.startsWith(`> osslsigncode sign -pkcs12 ${certificate.pfx} -readpass - -h sha256 -in ${pkg.binaries[0]}`)), echoed.join(''));
    assert.ok(!echoed.join('').includes(certificate.password), 'the password is never echoed');
    assert.deepEqual(readdirSync(path.dirname(pkg.inf)).sort(), ['pvsample.cat', 'pvsample.inf', 'pvsample.sys', 'pvsample_umd.dll'], 'no staged file is left');
    assert.match(readFileSync(pkg.inf, 'latin1'), /^DriverVer\s*=\s*11\/30\/2026,1\.2\.3\.4\r?$/m);
    // osslsigncode, on its own, agrees.
    for (const file of [...pkg.binaries, pkg.catalog]) expectExitCode(await verify(['-in', file]));
    for (const file of pkg.binaries) expectExitCode(await verify(['-catalog', pkg.catalog, '-in', file]));
    const listing = readCatalog(readFileSync(pkg.catalog));
    assert.equal(listing.signed, true);
    assert.deepEqual(listing.members.map((m) => m.fileName).sort(), ['pvsample.inf', 'pvsample.sys', 'pvsample_umd.dll']);
  });

  it('fails verification of a file changed after signing, and of an INF changed after the catalog was made', async () => {
    const pkg = freshPackage();
    const signingPlan = plan(pkg);
    await runSigningPlan(signingPlan, { password: certificate.password });
    const verifyOnly = (file: string): SigningPlan => ({ notes: [], steps: signingPlan.steps.filter((s) => (s.kind === 'tool' && s.purpose !== 'sign' && s.file === file) || s.kind === 'checkCatalog') });
    const sys = readFileSync(pkg.binaries[0]!);
    sys[0x400] = sys[0x400]! ^ 0x01;
    writeFileSync(pkg.binaries[0]!, sys);
    await assert.rejects(runSigningPlan(verifyOnly(pkg.binaries[0]!)), (error: Error) => error instanceof SigningError && error.message.includes('pvsample.sys changed after it was signed'));
    const independent = await verify(['-in', pkg.binaries[0]!]);
    assert.notEqual(independent.exitCode, 0);
    assert.match(independent.stdout, /MISMATCH/);

    const pkg2 = freshPackage();
    const plan2 = plan(pkg2);
    await runSigningPlan(plan2, { password: certificate.password });
    writeFileSync(pkg2.inf, `${readFileSync(pkg2.inf, 'latin1')}; changed\r\n`, 'latin1');
    const check = plan2.steps.filter((s) => s.kind === 'checkCatalog');
    await assert.rejects(runSigningPlan({ notes: [], steps: check }), /pvsample\.cat does not match the package: pvsample\.inf changed after the catalog was made/);
  });

  it('stops on a wrong pfx password with a message, the package as it was', async () => {
    const pkg = freshPackage();
    const before = snapshot(pkg);
    await assert.rejects(
      runSigningPlan(plan(pkg), { password: 'not the password' }),
      (error: Error) => error instanceof SigningError && error.failure === 'failed' && error.step.title === 'Sign pvsample.sys' && /The stored password does not open the pfx .*test\.pfx: store the right password for it\./.test(error.message),
    );
    assert.deepEqual(snapshot(pkg), before);
    await assert.rejects(runSigningPlan(plan(pkg), {}), /needs the password of the pfx, and none is stored/);
  });

  it('refuses an expired certificate before anything is signed', async () => {
    const pkg = freshPackage();
    const before = snapshot(pkg);
    const expired = await expiredPfx(path.join(root, 'expired'));
    const signingPlan = plan(pkg, { certificate: certificateSource({ kind: 'pfx', pfx: { value: expired.pfx, offset: 0, length: 0 } }, { resolve: (p) => p, pfxHasPassword: true }), workDir: path.join(root, 'expired') });
    const extract = signingPlan.steps[1] as ToolStep;
    assert.deepEqual(extract.args, ['pkcs12', '-in', expired.pfx, '-nokeys', '-clcerts', '-out', path.join(root, 'expired', 'signing-certificate.pem'), '-passin', 'env:GPUPV_PFX_PASSWORD']);
    await assert.rejects(runSigningPlan(signingPlan, { password: expired.password }), (error: Error) => error instanceof SigningError && error.step.kind === 'checkCertificate' && error.message.includes('(CN=expired signer) cannot sign: it expired on 2020-02-01T00:00:00.000Z'));
    assert.deepEqual(snapshot(pkg), before);
    await assert.rejects(runSigningPlan(signingPlan, { password: 'wrong' }), /The stored password does not open .*expired\.pfx/);
  });

  it('names the missing files of an incomplete package and touches nothing', async () => {
    const pkg = freshPackage();
    rmSync(pkg.binaries[1]!);
    const before = snapshot(pkg);
    await assert.rejects(runSigningPlan(plan(pkg), { password: certificate.password }), /The package is incomplete: pvsample_umd\.dll not found in .*Build the package first/);
    assert.deepEqual(snapshot(pkg), before);
  });

  it('leaves the original file when cancelled in the middle of signing it', async () => {
    const pkg = freshPackage();
    const before = snapshot(pkg);
    // An osslsigncode that has started writing its output and then takes its time.
    const slow = path.join(root, 'slow-osslsigncode');
    writeFileSync(slow, '#!/bin/sh\nwhile [ "$1" != "-out" ]; do shift; done\nprintf partial > "$2"\necho "writing $2"\nexec sleep 30\n');
    chmodSync(slow, 0o755);
    const abort = new AbortController();
    const onOutput = (text: string) => {
      if (text.startsWith('writing')) abort.abort();
    };
    const options: SignerOptions = { password: certificate.password, signal: abort.signal, onOutput };
    const started = Date.now();
    await assert.rejects(runSigningPlan(plan(pkg, { tools: { osslsigncode: slow } }), options), (error: Error) => error instanceof SigningError && error.failure === 'cancelled' && error.message.includes('cancelled during "Sign pvsample.sys"; pvsample.sys is as it was'));
    assert.ok(Date.now() - started < 10_000, 'the tool was stopped, not waited for');
    assert.deepEqual(snapshot(pkg), before, 'the staged copy is gone and the original untouched');
  });

  it('passes hostile folder names to osslsigncode as single arguments', async () => {
    const segments = HOSTILE_NAMES.filter(Boolean).map((name) => name.replace(/[\\/\r\n]/g, '_'));
    const pkg = freshPackage(path.join(root, ...segments));
    const logged = path.join(root, 'osslsigncode-argv.jsonl');
    const recording = path.join(root, 'recording-osslsigncode');
    writeFileSync(
      recording,
      `#!/usr/bin/env node\nconst { appendFileSync } = require('node:fs');\nappendFileSync(${JSON.stringify(logged)}, JSON.stringify(process.argv.slice(2)) + '\\n');\nprocess.exitCode = require('node:child_process').spawnSync('osslsigncode', process.argv.slice(2), { stdio: 'inherit' }).status;\n`,
    );
    chmodSync(recording, 0o755);
    await runSigningPlan(plan(pkg, { tools: { osslsigncode: recording } }), { password: certificate.password });
    const calls = readFileSync(logged, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as string[]);
    assert.deepEqual(calls[0], ['sign', '-pkcs12', certificate.pfx, '-readpass', '-', '-h', 'sha256', '-in', pkg.binaries[0], '-out', path.join(path.dirname(pkg.inf), 'pvsample.gpupv-signing.sys')]);
    assert.ok(calls.some((argv) => argv.join('\0') === ['verify', '-CAfile', certificate.pem, '-catalog', pkg.catalog, '-in', pkg.binaries[1]].join('\0')));
    expectExitCode(await verify(['-catalog', pkg.catalog, '-in', pkg.binaries[0]!]));
  });

  it('plans only what this host has: no certificate store, catalogs beside the INF, a valid DriverVer', () => {
    const pkg = freshPackage();
    assert.throws(() => plan(pkg, { certificate: { kind: 'store', thumbprint: 'AB'.repeat(20) } }), (error: Error) => error instanceof SigningPlanError && error.message.includes('exists only on Windows: on this host set "certificate": "create" or { "pfx"'));
    assert.throws(() => plan({ ...pkg, catalog: path.join(root, 'elsewhere.cat') }), /is not in the INF's folder/);
    assert.throws(() => plan(pkg, { stamp: { version: '1.2.x' } }), /Cannot stamp DriverVer: "1\.2\.x" is not a driver version/);
    const timestamped = plan(pkg, { signing: { catalogOs: ['10_X64'], timestampUrl: 'http://timestamp.example.test' } });
    assert.ok((timestamped.steps.find((s) => s.kind === 'tool' && s.purpose === 'sign') as ToolStep).args.join(' ').includes('-h sha256 -ts http://timestamp.example.test -in'));
    assert.throws(() => certificateSource({ kind: 'create' }, { resolve: (p) => p, pfxHasPassword: false }), /has not been made yet/);
  });
});

/** A pfx whose certificate expired in 2020 (openssl ca can date a certificate in the past; req -x509 cannot). */
async function expiredPfx(dir: string): Promise<{ pfx: string; password: string }> {
  mkdirSync(dir, { recursive: true });
  const at = (name: string) => path.join(dir, name);
  writeFileSync(at('index.txt'), '');
  writeFileSync(at('serial'), '01\n');
  writeFileSync(
    at('ca.cnf'),
    [
      '[ca]',
      'default_ca = test',
      '[test]',
      `database = ${at('index.txt')}`,
      `new_certs_dir = ${dir}`,
      `serial = ${at('serial')}`,
      'default_md = sha256',
      'policy = names',
      'x509_extensions = codesign',
      'unique_subject = no',
      '[names]',
      'commonName = supplied',
      '[codesign]',
      'keyUsage = critical, digitalSignature',
      'extendedKeyUsage = codeSigning',
      '',
    ].join('\n'),
  );
  const openssl = async (args: string[]) => expectExitCode(await runProcess('openssl', args, { env: { ...process.env, P: 'expired-password' }, timeoutMs: 60_000 }));
  await openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('key.pem'), '-out', at('req.csr'), '-subj', '/CN=expired signer']);
  await openssl(['ca', '-batch', '-config', at('ca.cnf'), '-selfsign', '-keyfile', at('key.pem'), '-in', at('req.csr'), '-out', at('cert.pem'), '-startdate', '20200101000000Z', '-enddate', '20200201000000Z']);
  await openssl(['pkcs12', '-export', '-inkey', at('key.pem'), '-in', at('cert.pem'), '-out', at('expired.pfx'), '-passout', 'env:P']);
  return { pfx: at('expired.pfx'), password: 'expired-password' };
}
