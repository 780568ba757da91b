import * as assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { catalogMismatches, readCatalog } from '../../../extension/deploy/sign/catalog';
import { runSigningPlan, SigningError, type SignerOutputKind } from '../../../extension/deploy/sign/signer';
import { planSigning, type CertificateSource, type SigningPackage, type SigningPlan, type SigningPlanInput } from '../../../extension/deploy/sign/signingPlan';
import { ensureTestCertificate, type TestCertificate } from '../../../extension/deploy/sign/testCertificate';
import { HOSTILE_NAMES } from '../../fixtures/hostileNames';
import { FakeWindowsTools, WINDOWS_TOOLS } from '../../fakes/windows-tools/fakeWindowsTools';
import { buildSamplePackage, SAMPLE_HARDWARE_ID, type SamplePackage } from '../../harness/samplePackage';

// The Sign step as a Windows host runs it (stampinf, signtool, Inf2Cat), planned with the
// platform forced to win32 and run on the stand-ins of test/fakes/windows-tools, whose
// command lines are asserted; the package is the real mingw-built one.

const THUMBPRINT = '3A7C1F0E5B9D2468ACE013579BDF2468ACE01357';
const SUBJECT = 'CN=pvgpu GPU-PV Test';
const IN_A_YEAR = new Date(Date.now() + 365 * 86_400_000).toISOString();

describe('signing on Windows (signtool, Inf2Cat and stampinf stand-ins)', function () {
  this.timeout(180_000);
  let root: string;
  let sample: SamplePackage;
  let certificate: TestCertificate;
  let count = 0;

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'gpupv-signwin-'));
    sample = await buildSamplePackage(path.join(root, 'built'));
    certificate = await ensureTestCertificate({ folder: path.join(root, 'certificates'), workspaceName: 'windows sign tests', keyBits: 2048 });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  function setUp(under?: string): { pkg: SigningPackage; dir: string; tools: FakeWindowsTools } {
    const dir = path.join(under ?? root, `package-${++count}`);
    mkdirSync(dir, { recursive: true });
    for (const file of [sample.inf, sample.sys, sample.dll]) copyFileSync(file, path.join(dir, path.basename(file)));
    const tools = new FakeWindowsTools(path.join(root, `tools-${count}`));
    tools.setStore([{ thumbprint: THUMBPRINT, subject: SUBJECT, notAfter: IN_A_YEAR }]);
    const pkg = { inf: path.join(dir, 'pvsample.inf'), catalog: path.join(dir, 'pvsample.cat'), binaries: [path.join(dir, 'pvsample.sys'), path.join(dir, 'pvsample_umd.dll')], hardwareIds: [SAMPLE_HARDWARE_ID] };
    return { pkg, dir, tools };
  }

  function plan(pkg: SigningPackage, overrides: Partial<SigningPlanInput> = {}): SigningPlan {
    return planSigning({
      platform: 'win32',
      package: pkg,
      signing: { catalogOs: ['10_X64', 'ServerRS5_X64'] },
      certificate: { kind: 'store', thumbprint: THUMBPRINT },
      workDir: path.dirname(pkg.inf),
      tools: WINDOWS_TOOLS,
      ...overrides,
    });
  }

  function snapshot(dir: string): Record<string, string> {
    return Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(path.join(dir, name)).toString('base64')]));
  }

  function collect() {
    const lines: { text: string; kind: SignerOutputKind }[] = [];
    return { lines, onOutput: (text: string, kind: SignerOutputKind) => lines.push({ text, kind }), all: () => lines.map((l) => l.text).join('') };
  }

  it('stamps, signs, makes the catalog with Inf2Cat, signs it and verifies everything, with the WDK\u2019s command lines', async () => {
    const { pkg, dir, tools } = setUp();
    const output = collect();
    await runSigningPlan(plan(pkg, { stamp: { version: '1.2.3.4' } }), { env: tools.env, onOutput: output.onOutput });
    const signArgs = (file: string) => ['sign', '/v', '/fd', 'sha256', '/sha1', THUMBPRINT, '/s', 'My', file];
    assert.deepEqual(
      tools.commands().map((c) => [c.tool, ...c.args]),
      [
        ['stampinf', '-f', pkg.inf, '-d', '*', '-v', '1.2.3.4', '-a', 'amd64'],
        ['signtool', ...signArgs('.\\pvsample.gpupv-signing.sys')],
        ['signtool', ...signArgs('.\\pvsample_umd.gpupv-signing.dll')],
        ['inf2cat', `/driver:${dir}`, '/os:10_X64,ServerRS5_X64', '/uselocaltime'],
        ['signtool', ...signArgs('.\\pvsample.gpupv-signing.cat')],
        ['signtool', 'verify', '/pa', '/v', '.\\pvsample.sys'],
        ['signtool', 'verify', '/pa', '/v', '.\\pvsample_umd.dll'],
        ['signtool', 'verify', '/pa', '/v', '.\\pvsample.cat'],
        ['signtool', 'verify', '/pa', '/v', '/c', '.\\pvsample.cat', '.\\pvsample.inf'],
        ['signtool', 'verify', '/pa', '/v', '/c', '.\\pvsample.cat', '.\\pvsample.sys'],
        ['signtool', 'verify', '/pa', '/v', '/c', '.\\pvsample.cat', '.\\pvsample_umd.dll'],
      ],
    );
    assert.ok(tools.commands().every((c) => c.cwd === dir), 'the Windows tools run in the package folder');
    const text = output.all();
    assert.match(text, /Done Adding Additional Store\nSuccessfully signed: \.\\pvsample\.gpupv-signing\.sys\n\nNumber of files successfully Signed: 1\nNumber of warnings: 0\nNumber of errors: 0/);
    assert.match(text, /Signability test complete\.\n\nErrors:\nNone\n\nWarnings:\nNone\n\nCatalog generation complete\./);
    assert.match(text, /Stamping .*pvsample\.inf \[Version\] section with DriverVer=\d\d\/\d\d\/\d{4},1\.2\.3\.4/);
    // A fresh test certificate is not trusted by the host; verify says so and the signer explains it.
    assert.match(text, /SignTool Error: A certificate chain processed, but terminated in a root certificate which is not trusted by the trust provider\./);
    assert.equal(output.lines.filter((l) => l.kind === 'note' && l.text.includes('the signature is intact; this computer does not trust the test certificate')).length, 6);
    assert.deepEqual(readdirSync(dir).sort(), ['pvsample.cat', 'pvsample.inf', 'pvsample.sys', 'pvsample_umd.dll']);
    const listing = readCatalog(readFileSync(pkg.catalog));
    assert.deepEqual(listing.attributes, { HWID1: 'pci\\ven_1af4&dev_10f0', OS: '_v100_X64,Server_v100_X64_RS5' });
    assert.deepEqual(catalogMismatches(listing, [pkg.inf, ...pkg.binaries].map((f) => ({ name: path.basename(f), bytes: readFileSync(f) }))), []);
  });

  it('signs with a timestamp when configured, and verifies cleanly once the host trusts the certificate', async () => {
    const { pkg, tools } = setUp();
    tools.setStore([{ thumbprint: THUMBPRINT, subject: SUBJECT, notAfter: IN_A_YEAR, trustedRoot: true }]);
    const output = collect();
    await runSigningPlan(plan(pkg, { signing: { catalogOs: ['10_X64'], timestampUrl: 'http://timestamp.example.test' } }), { env: tools.env, onOutput: output.onOutput });
    assert.deepEqual(tools.commands()[0]!.args, ['sign', '/v', '/fd', 'sha256', '/sha1', THUMBPRINT, '/s', 'My', '/tr', 'http://timestamp.example.test', '/td', 'sha256', '.\\pvsample.gpupv-signing.sys']);
    assert.ok(!output.lines.some((l) => l.kind === 'note'), output.all());
    assert.match(output.all(), /File is signed in catalog: .*pvsample\.cat/);
  });

  it('says which certificate signtool did not find, for a missing or an expired one, and touches nothing', async () => {
    for (const store of [[], [{ thumbprint: THUMBPRINT, subject: SUBJECT, notAfter: '2020-01-01T00:00:00.000Z' }]]) {
      const { pkg, dir, tools } = setUp();
      tools.setStore(store);
      const before = snapshot(dir);
      const output = collect();
      await assert.rejects(
        runSigningPlan(plan(pkg), { env: tools.env, onOutput: output.onOutput }),
        (error: Error) => error instanceof SigningError && error.step.title === 'Sign pvsample.sys' && error.message.includes('signtool found no certificate for thumbprint 3A7C1F0E5B9D2468ACE013579BDF2468ACE01357 in Cert:\\CurrentUser\\My'),
      );
      assert.match(output.all(), /SignTool Error: No certificates were found that met all the given criteria\./);
      assert.deepEqual(snapshot(dir), before);
    }
  });

  it('gives signtool a pfx password on its command line only, masked in the echo, and names a wrong one', async () => {
    const { pkg, dir, tools } = setUp();
    const source: CertificateSource = { kind: 'pfx', pfx: certificate.pfx, hasPassword: true };
    const signingPlan = plan(pkg, { certificate: source });
    assert.equal(signingPlan.notes.length, 1);
    assert.match(signingPlan.notes[0]!, /signtool only takes a pfx password on its command line \(\/p\)/);
    const before = snapshot(dir);
    const wrong = collect();
    await assert.rejects(runSigningPlan(signingPlan, { env: tools.env, password: 'wrong password', onOutput: wrong.onOutput }), /The stored password does not open the pfx .*test\.pfx: store the right password for it\./);
    assert.match(wrong.all(), /SignTool Error: The specified PFX password is not correct\./);
    assert.ok(wrong.all().includes(`> ${WINDOWS_TOOLS.signtool} sign /v /fd sha256 /f ${certificate.pfx} /p ******** .\\pvsample.gpupv-signing.sys`), wrong.all());
    assert.ok(!wrong.all().includes('wrong password'));
    assert.deepEqual(snapshot(dir), before);
    const right = collect();
    const logged: string[] = [];
    const record = (message: unknown) => logged.push(String(message));
    const log = { trace: record, debug: record, info: record, warn: record, error: record };
    await runSigningPlan(signingPlan, { env: tools.env, password: certificate.password, onOutput: right.onOutput, log });
    assert.ok(!right.all().includes(certificate.password), 'the password is never echoed');
    assert.ok(logged.some((line) => line.includes('run: ') && line.includes('verify /pa /v')), 'the other command lines are logged');
    assert.ok(!logged.join('\n').includes(certificate.password), 'nor logged');
    assert.deepEqual(tools.commands().filter((c) => c.args.includes('/p')).at(-1)!.args.slice(4, 8), ['/f', certificate.pfx, '/p', certificate.password], 'signtool itself got the password');
  });

  it('explains Inf2Cat\u2019s signability errors: a DriverVer in the future, a file the INF copies that is missing', async () => {
    const future = new Date(Date.now() + 40 * 86_400_000);
    const { pkg, tools } = setUp();
    await assert.rejects(runSigningPlan(plan(pkg, { stamp: { version: '2.0.0.0', date: future } }), { env: tools.env }), (error: Error) => {
      assert.ok(error instanceof SigningError && error.step.kind === 'tool' && error.step.tool === 'inf2cat', String(error));
      assert.match(error.message, /Inf2Cat could not make the catalog \(signability test failed, exit code 254\):\n {2}22\.9\.7: DriverVer set to a date in the future \(postdated DriverVer not allowed\) in package-\d+\\pvsample\.inf\./);
      assert.match(error.message, /DriverVer is dated after today/);
      return true;
    });
    assert.ok(!existsSync(pkg.catalog), 'no catalog of an earlier run is left to be mistaken for this one');

    const missing = setUp();
    rmSync(missing.pkg.binaries[1]!);
    await assert.rejects(runSigningPlan(plan({ ...missing.pkg, binaries: [missing.pkg.binaries[0]!] }), { env: missing.tools.env }), (error: Error) => {
      assert.match(error.message, /22\.9\.1: pvsample_umd\.dll in \[pvsample\.files\.umd\] of package-\d+\\pvsample\.inf is missing or cannot be decompressed from source media\./);
      assert.match(error.message, /A file the INF installs is missing: build the package/);
      return true;
    });
  });

  it('finds a file changed after signing, in its own signature and against the catalog', async () => {
    const { pkg, tools } = setUp();
    const signingPlan = plan(pkg);
    await runSigningPlan(signingPlan, { env: tools.env });
    const dll = pkg.binaries[1]!;
    const bytes = readFileSync(dll);
    bytes[0x300] = bytes[0x300]! ^ 0x10;
    writeFileSync(dll, bytes);
    const step = (purpose: string) => ({ notes: [], steps: signingPlan.steps.filter((s) => s.kind === 'tool' && s.purpose === purpose && s.file === dll) });
    await assert.rejects(runSigningPlan(step('verify'), { env: tools.env }), /The signature of pvsample_umd\.dll does not verify: WinVerifyTrust returned error: 0x80096010 The digital signature of the object did not verify\./);
    await assert.rejects(runSigningPlan(step('verifyInCatalog'), { env: tools.env }), /pvsample_umd\.dll is not signed by pvsample\.cat: it is not listed there or changed after the catalog was made/);
  });

  it('leaves the original file when cancelled while signtool signs it', async () => {
    const { pkg, dir, tools } = setUp();
    const before = snapshot(dir);
    const slow = path.join(root, 'slow-signtool');
    writeFileSync(slow, '#!/bin/sh\necho "signing $9"\nexec sleep 30\n');
    chmodSync(slow, 0o755);
    const abort = new AbortController();
    const onOutput = (text: string) => {
      if (text.startsWith('signing')) abort.abort();
    };
    const started = Date.now();
    await assert.rejects(runSigningPlan(plan(pkg, { tools: { ...WINDOWS_TOOLS, signtool: slow } }), { env: tools.env, signal: abort.signal, onOutput }), (error: Error) => error instanceof SigningError && error.failure === 'cancelled');
    assert.ok(Date.now() - started < 10_000);
    assert.deepEqual(snapshot(dir), before, 'the staged copy signtool was given is gone');

    // Inf2Cat writes the catalog itself: a partial one is removed.
    const second = setUp();
    const slowInf2Cat = path.join(root, 'slow-inf2cat');
    writeFileSync(slowInf2Cat, '#!/bin/sh\nprintf partial > pvsample.cat\necho "........"\nexec sleep 30\n');
    chmodSync(slowInf2Cat, 0o755);
    const stop = new AbortController();
    const onDots = (text: string) => {
      if (text.startsWith('....')) stop.abort();
    };
    await assert.rejects(
      runSigningPlan(plan(second.pkg, { tools: { ...WINDOWS_TOOLS, inf2cat: slowInf2Cat } }), { env: second.tools.env, signal: stop.signal, onOutput: onDots }),
      /cancelled during "Make pvsample\.cat \(Inf2Cat\)"; no pvsample\.cat was left \(a partial one would not match\)/,
    );
    assert.ok(!existsSync(second.pkg.catalog));
  });

  it('hands hostile folder names to the tools as single arguments', async () => {
    const segments = HOSTILE_NAMES.filter(Boolean).map((name) => name.replace(/[\\/\r\n]/g, '_'));
    const { pkg, dir, tools } = setUp(path.join(root, ...segments));
    await runSigningPlan(plan(pkg, { stamp: { version: '1.0.0.7' } }), { env: tools.env });
    const commands = tools.commands();
    assert.deepEqual(commands[0]!.args.slice(0, 2), ['-f', pkg.inf]);
    assert.deepEqual(commands.find((c) => c.tool === 'inf2cat')!.args[0], `/driver:${dir}`);
    assert.ok(commands.every((c) => c.cwd === dir));
    assert.deepEqual(readCatalog(readFileSync(pkg.catalog)).members.map((m) => m.fileName).sort(), ['pvsample.inf', 'pvsample.sys', 'pvsample_umd.dll']);
  });
});
