import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describeCommand, expectExitCode, isProcessError, runProcess } from '../../common/processRunner';
import type { TestCertificateParams } from '../../hyperv/moduleCommand';

// The test certificate made when gpupv.json says `"certificate": "create"`: a self-signed
// code-signing certificate the guest is told to trust (LocalMachine Root and
// TrustedPublisher). Made once per workspace and reused while it is valid.
//
// Linux and macOS: made by the real openssl and kept in the folder the caller gives (the
// workspace's .gpupv/certificates/): test.pfx (key and certificate, for signing),
// test.cer (DER, what the guest imports) and test.pem (for osslsigncode verify -CAfile).
// The pfx password is made here at random and handed to the caller to keep in
// SecretStorage; it reaches openssl only through its child environment (-passin env:),
// never an argument, a file or a log.
//
// Windows: the certificate lives in the user's store (Cert:\CurrentUser\My), where signtool
// finds it by thumbprint; windowsTestCertificateParams is what GpuPv.psm1 is asked for.

const CODE_SIGNING_EKU = '1.3.6.1.5.5.7.3.3';
const PASSWORD_VARIABLE = 'GPUPV_TEST_CERT_PASSWORD';
const DEFAULT_VALIDITY_DAYS = 730;
/** A certificate this close to expiry is renewed, so that no run signs with one about to lapse. */
const RENEW_BEFORE_MS = 24 * 3600 * 1000;
/** X.520's upper bound for a common name. */
const MAX_COMMON_NAME = 64;
const SUFFIX = ' GPU-PV Test';

export const TEST_CERTIFICATE_FILES = { pfx: 'test.pfx', cer: 'test.cer', pem: 'test.pem' } as const;

export interface TestCertificate {
  /** "CN=<workspace> GPU-PV Test". */
  readonly subject: string;
  /** SHA-1 of the certificate's DER, upper-case hex: what signtool /sha1 and certutil name it by. */
  readonly thumbprint: string;
  readonly notAfter: Date;
  readonly pfx: string;
  readonly cer: string;
  readonly pem: string;
  /** The pfx password, for the caller's SecretStorage. */
  readonly password: string;
  readonly created: boolean;
  /** Why a new certificate was made in place of the one in the folder. */
  readonly reason?: string;
}

export interface TestCertificateOptions {
  /** Where the files are kept, e.g. <workspace>/.gpupv/certificates. */
  readonly folder: string;
  /** Names the certificate, so that a guest's store shows whose test certificate it trusts. */
  readonly workspaceName: string;
  /** The password SecretStorage holds for the pfx in the folder, if any. */
  readonly storedPassword?: string;
  readonly validityDays?: number;
  /** 3072 (default) or 2048. */
  readonly keyBits?: 2048 | 3072;
  readonly now?: Date;
  /** Default `openssl` from PATH. */
  readonly openssl?: string;
  readonly signal?: AbortSignal;
  /** Each openssl command line and its output, for the terminal. */
  readonly onOutput?: (text: string) => void;
}

export class TestCertificateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TestCertificateError';
  }
}

/** The subject for a workspace: its name cut to what a common name can hold, without DN syntax. */
export function testCertificateSubject(workspaceName: string): string {
  // Commas, plus signs, quotes, slashes and the like are DN syntax in one tool or another
  // (openssl -subj, X500DistinguishedName); the name is only a label, so they are dropped.
  const label = workspaceName
    .replace(/[^\p{L}\p{N} ._()-]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  // Cut between whole characters (a flag or an accented letter is never split).
  let kept = '';
  for (const { segment } of new Intl.Segmenter().segment(label || 'Workspace')) {
    if (kept.length + segment.length > MAX_COMMON_NAME - SUFFIX.length) break;
    kept += segment;
  }
  return `CN=${kept.trim()}${SUFFIX}`;
}

/**
 * Why a certificate cannot sign drivers at `now` (expired, not yet valid, about to expire,
 * not for code signing), or undefined when it can.
 */
export function certificateProblem(certificate: X509Certificate, now: Date): string | undefined {
  const notAfter = new Date(certificate.validTo);
  if (notAfter.getTime() <= now.getTime()) return `it expired on ${notAfter.toISOString()}`;
  if (new Date(certificate.validFrom).getTime() > now.getTime()) return `it is not valid before ${new Date(certificate.validFrom).toISOString()}`;
  if (notAfter.getTime() - now.getTime() < RENEW_BEFORE_MS) return `it expires on ${notAfter.toISOString()}, within a day`;
  const usages = certificate.keyUsage as string[] | undefined;
  if (!usages?.includes(CODE_SIGNING_EKU)) return 'it is not a code-signing certificate (no Code Signing extended key usage)';
  return undefined;
}

export function thumbprintOf(certificate: X509Certificate): string {
  return createHash('sha1').update(certificate.raw).digest('hex').toUpperCase();
}

/** The certificate in `folder` if it is still good for signing, else a new one (made with openssl). */
export async function ensureTestCertificate(options: TestCertificateOptions): Promise<TestCertificate> {
  const now = options.now ?? new Date();
  const subject = testCertificateSubject(options.workspaceName);
  const paths = filesIn(options.folder);
  const kept = await reusable(options, paths, subject, now);
  if ('certificate' in kept) return kept.certificate;
  return create(options, paths, subject, kept.reason);
}

function filesIn(folder: string) {
  return { pfx: path.join(folder, TEST_CERTIFICATE_FILES.pfx), cer: path.join(folder, TEST_CERTIFICATE_FILES.cer), pem: path.join(folder, TEST_CERTIFICATE_FILES.pem) };
}

async function reusable(options: TestCertificateOptions, paths: ReturnType<typeof filesIn>, subject: string, now: Date): Promise<{ certificate: TestCertificate } | { reason: string }> {
  if (!existsSync(paths.pfx) || !existsSync(paths.pem) || !existsSync(paths.cer)) return { reason: 'there was none yet' };
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(readFileSync(paths.pem));
  } catch (error) {
    return { reason: `${paths.pem} could not be read (${error instanceof Error ? error.message : String(error)})` };
  }
  const problem = certificateProblem(certificate, now);
  if (problem) return { reason: `the one in ${options.folder} cannot sign: ${problem}` };
  if (`CN=${certificate.subject.replace(/^CN=/, '')}` !== subject) return { reason: `the one in ${options.folder} is for another name (${certificate.subject})` };
  if (!readFileSync(paths.cer).equals(certificate.raw)) return { reason: `${paths.cer} is not the certificate in ${paths.pem}` };
  if (!options.storedPassword) return { reason: 'the password of the existing test.pfx is no longer stored' };
  const opens = await runOpenssl(options, ['pkcs12', '-in', paths.pfx, '-noout', '-passin', `env:${PASSWORD_VARIABLE}`], options.storedPassword, false);
  if (!opens) return { reason: 'the stored password does not open the existing test.pfx' };
  return { certificate: describe(certificate, paths, options.storedPassword, false) };
}

async function create(options: TestCertificateOptions, paths: ReturnType<typeof filesIn>, subject: string, reason: string): Promise<TestCertificate> {
  mkdirSync(options.folder, { recursive: true, mode: 0o700 });
  // Made in a folder of its own beside the real one and moved in only when complete, so a
  // failure or a cancel never leaves a pfx without its certificate (or the old one half-replaced).
  const work = mkdtempSync(path.join(options.folder, '.new-'));
  try {
    const password = randomBytes(24).toString('base64url');
    const config = path.join(work, 'openssl.cnf');
    // Only our own constants go into the config file: the name travels in -subj.
    writeFileSync(
      config,
      [
        '[req]',
        'distinguished_name = dn',
        '[dn]',
        '[codesign]',
        'basicConstraints = critical, CA:FALSE',
        'keyUsage = critical, digitalSignature',
        'extendedKeyUsage = codeSigning',
        'subjectKeyIdentifier = hash',
        '',
      ].join('\n'),
    );
    const key = path.join(work, 'key.pem');
    const pem = path.join(work, TEST_CERTIFICATE_FILES.pem);
    const pfx = path.join(work, TEST_CERTIFICATE_FILES.pfx);
    const days = String(options.validityDays ?? DEFAULT_VALIDITY_DAYS);
    // The key is written encrypted with the same password and deleted once it is in the pfx.
    // genpkey makes it because it can do so quietly: req -newkey prints a line of dots and
    // pluses for every prime it tries, which would fill the task's terminal.
    await runOpenssl(options, ['genpkey', '-quiet', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${options.keyBits ?? 3072}`, '-aes-256-cbc', '-pass', `env:${PASSWORD_VARIABLE}`, '-out', key], password);
    await runOpenssl(
      options,
      ['req', '-x509', '-new', '-key', key, '-passin', `env:${PASSWORD_VARIABLE}`, '-sha256', '-days', days, '-utf8', '-subj', `/${subject}`, '-config', config, '-extensions', 'codesign', '-out', pem],
      password,
    );
    await runOpenssl(options, ['pkcs12', '-export', '-inkey', key, '-in', pem, '-name', subject.slice(3), '-out', pfx, '-passin', `env:${PASSWORD_VARIABLE}`, '-passout', `env:${PASSWORD_VARIABLE}`], password);
    const certificate = new X509Certificate(readFileSync(pem));
    // The certificate is valid from the moment openssl made it, which is after `now` was taken.
    const problem = certificateProblem(certificate, options.now ?? new Date());
    if (problem) throw new TestCertificateError(`openssl made a test certificate that cannot sign: ${problem}.`);
    writeFileSync(path.join(work, TEST_CERTIFICATE_FILES.cer), certificate.raw);
    // Encrypted, but still the key: readable by its owner only, whatever the umask.
    chmodSync(pfx, 0o600);
    for (const name of Object.values(TEST_CERTIFICATE_FILES)) renameSync(path.join(work, name), path.join(options.folder, name));
    return { ...describe(certificate, paths, password, true), reason };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function describe(certificate: X509Certificate, paths: ReturnType<typeof filesIn>, password: string, created: boolean): TestCertificate {
  return {
    subject: `CN=${certificate.subject.replace(/^CN=/, '')}`,
    thumbprint: thumbprintOf(certificate),
    notAfter: new Date(certificate.validTo),
    ...paths,
    password,
    created,
  };
}

/** Runs openssl with the password in its environment only; `strict` false: resolves whether it succeeded. */
async function runOpenssl(options: TestCertificateOptions, args: string[], password: string, strict = true): Promise<boolean> {
  const openssl = options.openssl ?? 'openssl';
  options.onOutput?.(`> ${describeCommand(openssl, args)}\n`);
  try {
    const result = await runProcess(openssl, args, {
      env: { ...process.env, [PASSWORD_VARIABLE]: password },
      timeoutMs: 120_000,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onOutput ? { onOutput: (text: string) => options.onOutput!(text) } : {}),
    });
    if (!strict) return result.exitCode === 0;
    expectExitCode(result);
    return true;
  } catch (error) {
    if (isProcessError(error, 'notFound')) throw new TestCertificateError(`openssl was not found: install it (Debian/Ubuntu: apt-get install openssl; macOS: brew install openssl) to make the test certificate.`);
    throw error;
  }
}

/**
 * What a Windows host asks GpuPv.psm1's Get-GpuPvTestCertificate for: the workspace's test
 * certificate in the user's store (CurrentUser\My, where signtool finds it by thumbprint),
 * made by New-SelfSignedCertificate with a key that never leaves the store when none is valid
 * long enough, and its .cer written to `cerPath` for the guest. No openssl on Windows.
 */
export function windowsTestCertificateParams(options: { readonly workspaceName: string; readonly cerPath: string; readonly validityDays?: number; readonly keyBits?: 2048 | 3072; readonly now?: Date }): TestCertificateParams {
  const now = options.now ?? new Date();
  return {
    subject: testCertificateSubject(options.workspaceName),
    validUntil: new Date(now.getTime() + RENEW_BEFORE_MS).toISOString(),
    notAfter: new Date(now.getTime() + (options.validityDays ?? DEFAULT_VALIDITY_DAYS) * 86_400_000).toISOString(),
    keyLength: options.keyBits ?? 3072,
    cerPath: options.cerPath,
  };
}
