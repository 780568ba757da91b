import * as assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runProcess } from '../../../extension/common/processRunner';
import { ensureTestCertificate, TestCertificateError, testCertificateSubject, windowsTestCertificateParams } from '../../../extension/deploy/sign/testCertificate';
import { HOSTILE_NAMES } from '../../fixtures/hostileNames';

// The test certificate of `"certificate": "create"`, made by the real openssl and checked
// with openssl and node's X.509 reader; its password never on a command line.

describe('the test certificate', function () {
  this.timeout(120_000);
  let root: string;
  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'gpupv-cert-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const DAY = 86_400_000;

  it('is made by openssl as a code-signing certificate: pfx, DER .cer and PEM, with its SHA-1 thumbprint', async () => {
    const folder = path.join(root, 'made', '.gpupv', 'certificates');
    const echoed: string[] = [];
    const made = await ensureTestCertificate({ folder, workspaceName: 'pvgpu', onOutput: (text) => echoed.push(text) });
    assert.equal(made.created, true);
    assert.equal(made.reason, 'there was none yet');
    assert.equal(made.subject, 'CN=pvgpu GPU-PV Test');
    assert.doesNotMatch(echoed.join(''), /^[.+*]+[ \t]*$/m, 'no key-generation progress fills the terminal');
    assert.deepEqual(readdirSync(folder).sort(), ['test.cer', 'test.pem', 'test.pfx'], 'no key file or work folder is left behind');
    assert.equal(statSync(folder).mode & 0o077, 0, 'the folder is private');
    assert.equal(statSync(made.pfx).mode & 0o077, 0, 'the pfx is private');
    const certificate = new X509Certificate(readFileSync(made.cer));
    assert.equal(certificate.subject, 'CN=pvgpu GPU-PV Test');
    assert.ok((certificate.keyUsage).includes('1.3.6.1.5.5.7.3.3'), 'Code Signing EKU');
    assert.equal(certificate.publicKey.asymmetricKeyDetails?.modulusLength, 3072);
    assert.ok(Math.abs(made.notAfter.getTime() - (Date.now() + 730 * DAY)) < DAY);
    const fingerprint = await runProcess('openssl', ['x509', '-inform', 'DER', '-in', made.cer, '-noout', '-fingerprint', '-sha1'], { timeoutMs: 20_000 });
    assert.equal(made.thumbprint, /=([0-9A-F:]+)/.exec(fingerprint.stdout)![1]!.replace(/:/g, ''));
    const opened = await runProcess('openssl', ['pkcs12', '-in', made.pfx, '-nokeys', '-passin', 'env:P'], { env: { ...process.env, P: made.password }, timeoutMs: 20_000 });
    assert.equal(opened.exitCode, 0, opened.stderr);
    assert.ok(opened.stdout.includes(readFileSync(made.pem, 'utf8').trim().split('\n')[1]!), 'the pfx holds the same certificate');
    const wrong = await runProcess('openssl', ['pkcs12', '-in', made.pfx, '-nokeys', '-passin', 'pass:not-it'], { timeoutMs: 20_000 });
    assert.notEqual(wrong.exitCode, 0, 'the pfx is protected by the password');
    assert.ok(made.password.length >= 24);
    assert.ok(echoed.some((line) => line.startsWith('> openssl req -x509')), echoed.join(''));
    assert.ok(!echoed.join('').includes(made.password), 'the password appears in no echoed command line or output');
  });

  it('is reused while valid with its stored password, and made anew when it expires, the password is lost or wrong', async () => {
    const folder = path.join(root, 'reuse');
    const first = await ensureTestCertificate({ folder, workspaceName: 'pvgpu', keyBits: 2048, validityDays: 30 });
    const again = await ensureTestCertificate({ folder, workspaceName: 'pvgpu', storedPassword: first.password });
    assert.equal(again.created, false);
    assert.equal(again.thumbprint, first.thumbprint);
    assert.equal(again.password, first.password);

    const soon = await ensureTestCertificate({ folder, workspaceName: 'pvgpu', keyBits: 2048, storedPassword: first.password, now: new Date(first.notAfter.getTime() - DAY / 2) });
    assert.equal(soon.created, true);
    assert.match(soon.reason!, /cannot sign: it expires on \d{4}-.*, within a day/);

    const lost = await ensureTestCertificate({ folder, workspaceName: 'pvgpu', keyBits: 2048, validityDays: 30 });
    assert.equal(lost.created, true);
    assert.equal(lost.reason, 'the password of the existing test.pfx is no longer stored');
    assert.notEqual(lost.thumbprint, soon.thumbprint);

    const wrong = await ensureTestCertificate({ folder, workspaceName: 'pvgpu', keyBits: 2048, validityDays: 30, storedPassword: first.password });
    assert.equal(wrong.reason, 'the stored password does not open the existing test.pfx');

    const expired = await ensureTestCertificate({ folder, workspaceName: 'pvgpu', keyBits: 2048, storedPassword: wrong.password, now: new Date(wrong.notAfter.getTime() + DAY) });
    assert.equal(expired.created, true);
    assert.match(expired.reason!, /cannot sign: it expired on \d{4}-/);

    const renamed = await ensureTestCertificate({ folder, workspaceName: 'other workspace', keyBits: 2048, storedPassword: expired.password });
    assert.match(renamed.reason!, /is for another name \(CN=pvgpu GPU-PV Test\)/);
  });

  it('is made anew when its files do not belong together, and fails with a message when openssl is missing', async () => {
    const folder = path.join(root, 'mixed');
    const made = await ensureTestCertificate({ folder, workspaceName: 'w', keyBits: 2048 });
    writeFileSync(made.cer, Buffer.from('not the certificate'));
    const fixed = await ensureTestCertificate({ folder, workspaceName: 'w', keyBits: 2048, storedPassword: made.password });
    assert.match(fixed.reason!, /test\.cer is not the certificate in .*test\.pem/);
    await assert.rejects(
      ensureTestCertificate({ folder: path.join(root, 'no-openssl'), workspaceName: 'w', openssl: path.join(root, 'no-such-openssl') }),
      (error: Error) => error instanceof TestCertificateError && error.message.includes('openssl was not found: install it'),
    );
    assert.deepEqual(readdirSync(path.join(root, 'no-openssl')), [], 'a failed attempt leaves nothing behind');
  });

  it('leaves no files when cancelled while openssl runs', async () => {
    const folder = path.join(root, 'cancelled');
    const abort = new AbortController();
    const onOutput = (text: string) => {
      // Making a 3072-bit key is the part that takes long enough to be stopped in.
      if (text.startsWith('> openssl genpkey')) setTimeout(() => abort.abort(), 20);
    };
    const made = ensureTestCertificate({ folder, workspaceName: 'w', keyBits: 3072, signal: abort.signal, onOutput });
    await assert.rejects(made, /cancelled/);
    assert.deepEqual(readdirSync(folder), []);
  });

  it('names the workspace in a subject no DN syntax can break, for every hostile name', async () => {
    for (const name of HOSTILE_NAMES) {
      const subject = testCertificateSubject(name);
      assert.match(subject, /^CN=[^,+="\\/<>;#\r\n]+ GPU-PV Test$/u, JSON.stringify(name));
      assert.ok(subject.length - 3 <= 64, subject);
    }
    assert.equal(testCertificateSubject('Виртуальная машина 虚拟机 🚀'), 'CN=Виртуальная машина 虚拟机 GPU-PV Test');
    assert.equal(testCertificateSubject(''), 'CN=Workspace GPU-PV Test');
    assert.equal(testCertificateSubject('x'.repeat(100)).length, 3 + 64);
    // openssl takes every one of them as it is.
    const folder = path.join(root, 'hostile');
    const made = await ensureTestCertificate({ folder, workspaceName: 'O\'Brien\u2019s "VM" $(calc); Виртуальная', keyBits: 2048 });
    assert.equal(new X509Certificate(readFileSync(made.cer)).subject, `CN=O Brien s VM (calc) Виртуальная GPU-PV Test`);
    assert.ok(existsSync(made.pfx));
  });

  it('asks a Windows host\u2019s store for the certificate as data: subject, renewal time, lifetime, key size and where the .cer goes', () => {
    const now = new Date(Date.UTC(2026, 0, 1));
    assert.deepEqual(windowsTestCertificateParams({ workspaceName: 'VM; Stop-Computer -Force', cerPath: 'C:\\ws\\.gpupv\\certificates\\test.cer', now }), {
      subject: 'CN=VM Stop-Computer -Force GPU-PV Test',
      validUntil: '2026-01-02T00:00:00.000Z',
      notAfter: '2028-01-01T00:00:00.000Z',
      keyLength: 3072,
      cerPath: 'C:\\ws\\.gpupv\\certificates\\test.cer',
    });
  });
});
