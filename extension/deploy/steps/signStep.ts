import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { SigningConfig } from '../../protocol/config/driverConfigParser';
import { packagePlatform, sha256File } from '../build/artifacts';
import { describeInfPackage, infArchitectureForPlatform, parseInf, type InfPackage } from '../inf/infFile';
import { StepFailure, type StepContext } from '../pipeline/deployPipeline';
import { echoedCommand, runSigningPlan, SigningError } from '../sign/signer';
import { certificateSource, planSigning, SigningPlanError, type CertificateSource } from '../sign/signingPlan';
import type { CertificateStore } from '../sign/certificateStore';
import type { StoreCertificate } from '../../hyperv/moduleCommand';
import { ensureTestCertificate, TEST_CERTIFICATE_FILES, TestCertificateError, thumbprintOf, windowsTestCertificateParams } from '../sign/testCertificate';
import { actionableMessage } from '../../hyperv/hyperVError';
import { assertShippable, type BuiltPackage } from './buildStep';

// Sign: each built package gets its DriverVer checked, its images test-signed, its catalog
// made from the INF and signed, all of it verified (signtool and Inf2Cat on Windows,
// osslsigncode and our own catalog writer elsewhere). What was signed is recorded with each
// file's hash, so Deploy copies exactly those bytes, or refuses when a file changed since.

/** Where a run keeps what outlives it: made certificates, the last signing and deployment. */
export const STATE_FOLDER = '.gpupv';
const CERTIFICATES_FOLDER = path.join(STATE_FOLDER, 'certificates');

/** SecretStorage as the steps see it. */
export interface SecretStore {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
}

/** SecretStorage keys: the password of a pfx (by its resolved path), and of the test certificate made for the workspace. */
export const secretKeys = {
  pfxPassword: (pfx: string) => `gpupv.deploy.pfxPassword:${pfx}`,
  testCertificatePassword: (folder: string) => `gpupv.deploy.testCertificatePassword:${folder}`,
} as const;

export interface SignInput {
  readonly workspaceDir: string;
  readonly workspaceName: string;
  readonly platform: NodeJS.Platform;
  readonly signing: SigningConfig | undefined;
  readonly secrets: SecretStore;
  /** The tools' environment (PATH, where the stand-ins or the WDK are). */
  readonly env?: NodeJS.ProcessEnv;
  /** Asks for the password of a pfx SecretStorage has none for: '' for none, undefined when the user cancels. */
  readonly askPfxPassword?: (pfx: string) => PromiseLike<string | undefined>;
  /** Windows: where a "create" certificate is found or made; without it openssl makes a .pfx, as elsewhere. */
  readonly certificateStore?: CertificateStore;
}

/** The certificate a guest must trust for the signed packages. */
export interface SigningIdentity {
  readonly thumbprint: string;
  readonly subject: string;
  /** The certificate without its key, for the guest's stores; absent when only the host's store has it. */
  readonly cer?: string;
}

export interface SignedFile {
  /** Relative to the package's output folder, `/`-separated. */
  readonly name: string;
  readonly path: string;
  readonly sha256: string;
}

export interface SignedPackage {
  readonly name: string;
  readonly outputDir: string;
  /** The INFs, by file name, each with what installing it involves. */
  readonly infs: readonly { readonly name: string; readonly path: string; readonly description: InfPackage }[];
  readonly hardwareIds: readonly string[];
  readonly files: readonly SignedFile[];
}

export interface SigningRecord {
  readonly signedAt: string;
  readonly identity: SigningIdentity;
  readonly packages: readonly SignedPackage[];
}

const DEFAULT_SIGNING: SigningConfig = { certificate: { kind: 'create' }, catalogOs: ['10_X64'] };
const PE_EXTENSIONS = new Set(['.sys', '.dll', '.exe']);
const NOT_CATALOGUED = new Set(['.inf', '.cat', '.pdb']);

export async function signPackages(built: readonly BuiltPackage[], input: SignInput, { signal, report }: StepContext): Promise<SigningRecord> {
  const signing = input.signing ?? DEFAULT_SIGNING;
  const { source, password, identity } = await signingCertificate(signing, input, signal, report);
  const packages: SignedPackage[] = [];
  for (const located of built) {
    assertShippable(located, 'cannot be signed');
    const { pkg, artifacts } = located;
    const architecture = infArchitectureForPlatform(packagePlatform(pkg)) ?? 'amd64';
    const infs = artifacts.artifacts.filter((a) => a.kind === 'inf').map((a) => ({ name: a.name, path: a.path, description: describeInfPackage(parseInf(readFileSync(a.path)), { architecture }) }));
    const hardwareIds = pkg.hardwareIds ?? [...new Set(infs.flatMap((inf) => inf.description.hardwareIds))];
    const catalogued = artifacts.artifacts.filter((a) => a.exists && !NOT_CATALOGUED.has(path.extname(a.name).toLowerCase()));
    const catalogs: string[] = [];
    for (const inf of infs) {
      const catalogName = inf.description.version.catalogFile;
      if (!catalogName) {
        throw new StepFailure(`${pkg.name}: ${inf.name} names no CatalogFile, so its package cannot be signed`, `Add "CatalogFile = ${pkg.name}.cat" to the [Version] section of ${inf.name}.`);
      }
      const catalog = path.join(path.dirname(inf.path), catalogName);
      catalogs.push(catalog);
      let plan;
      try {
        plan = planSigning({
          platform: input.platform,
          package: {
            inf: inf.path,
            catalog,
            binaries: catalogued.filter((a) => PE_EXTENSIONS.has(path.extname(a.name).toLowerCase())).map((a) => a.path),
            otherFiles: catalogued.filter((a) => !PE_EXTENSIONS.has(path.extname(a.name).toLowerCase())).map((a) => a.path),
            hardwareIds,
          },
          signing,
          ...(signing.driverVersion ? { stamp: { version: signing.driverVersion } } : {}),
          certificate: source,
          architecture: architecture === 'arm64' ? 'arm64' : architecture === 'x86' ? 'x86' : 'amd64',
          workDir: path.join(input.workspaceDir, STATE_FOLDER, 'signing'),
        });
      } catch (error) {
        if (error instanceof SigningPlanError) throw new StepFailure(`${pkg.name}: ${error.message}`, 'Fix driver.signing in gpupv.json.');
        throw error;
      }
      mkdirSync(path.join(input.workspaceDir, STATE_FOLDER, 'signing'), { recursive: true });
      try {
        await runSigningPlan(plan, {
          signal,
          ...(password !== undefined ? { password } : {}),
          ...(input.env ? { env: input.env } : {}),
          onStep: (step) => {
            if (step.kind === 'tool') report.command(echoedCommand(step));
            else report.info(step.title);
          },
          onOutput: (text, kind) => {
            if (kind !== 'command') report.output(text);
          },
        });
      } catch (error) {
        if (error instanceof SigningError) {
          const hint =
            error.failure === 'toolMissing'
              ? input.platform === 'win32'
                ? 'Install the Windows Driver Kit (signtool, Inf2Cat and stampinf come with it), or set "GPU-PV › Build: EWDK Root".'
                : 'Install osslsigncode and openssl (Debian: apt install osslsigncode openssl).'
              : 'The tool\'s output above says why; the package files are as they were before this step.';
          throw new StepFailure(`${pkg.name}: ${error.message}`, hint);
        }
        throw error;
      }
    }
    const names = new Set(artifacts.artifacts.filter((a) => a.exists).map((a) => a.path));
    for (const catalog of catalogs) names.add(catalog);
    const files: SignedFile[] = [];
    for (const file of names) files.push({ name: path.relative(artifacts.outputDir, file).split(path.sep).join('/'), path: file, sha256: await sha256File(file) });
    packages.push({ name: pkg.name, outputDir: artifacts.outputDir, infs, hardwareIds, files });
    report.info(`${pkg.name}: ${files.length} files signed and catalogued (${catalogs.map((c) => path.basename(c)).join(', ')})`);
  }
  return { signedAt: new Date().toISOString(), identity: typeof identity === 'function' ? identity() : identity, packages };
}

/** The signing certificate of the config, made on first use for "create"; its password from SecretStorage. */
async function signingCertificate(
  signing: SigningConfig,
  input: SignInput,
  signal: AbortSignal,
  report: StepContext['report'],
): Promise<{ source: CertificateSource; password: string | undefined; identity: SigningIdentity | (() => SigningIdentity) }> {
  const resolve = (relative: string) => path.resolve(input.workspaceDir, relative);
  const output = (text: string) => report.output(text);
  const certificate = signing.certificate;
  switch (certificate.kind) {
    case 'create': {
      const folder = resolve(CERTIFICATES_FOLDER);
      if (input.platform === 'win32' && input.certificateStore) return storeTestCertificate(input.certificateStore, input.workspaceName, folder, signal, report);
      const key = secretKeys.testCertificatePassword(folder);
      const stored = await input.secrets.get(key);
      try {
        const made = await ensureTestCertificate({ folder, workspaceName: input.workspaceName, ...(stored ? { storedPassword: stored } : {}), signal, onOutput: output });
        if (made.created || made.password !== stored) await input.secrets.store(key, made.password);
        if (made.created) output(`Made the test certificate ${made.subject} (${made.thumbprint})${made.reason ? `: ${made.reason}` : ''}; it is kept in ${folder}, its password in SecretStorage.\r\n`);
        // Only a Windows host without the store (a caller that gives none) gets here: signtool
        // signs with a pfx as well as from the store, so openssl's certificate serves it too.
        const source = certificateSource(certificate, { resolve, pfxHasPassword: true, created: made });
        return { source, password: made.password, identity: { thumbprint: made.thumbprint, subject: made.subject, cer: made.cer } };
      } catch (error) {
        if (error instanceof TestCertificateError) throw new StepFailure(`The test certificate could not be made: ${error.message}`, 'Install openssl, or configure an existing certificate in driver.signing.certificate.');
        throw error;
      }
    }
    case 'pfx': {
      const pfx = resolve(certificate.pfx.value);
      if (!existsSync(pfx)) throw new StepFailure(`The signing certificate ${pfx} does not exist`, 'Correct driver.signing.certificate.pfx in gpupv.json.');
      let password = await input.secrets.get(secretKeys.pfxPassword(pfx));
      if (password === undefined && input.askPfxPassword) {
        password = await input.askPfxPassword(pfx);
        if (password === undefined) throw new StepFailure(`No password was given for ${pfx}`, 'Run again and give it (empty for a pfx without one); it is kept in SecretStorage.');
        await input.secrets.store(secretKeys.pfxPassword(pfx), password);
      }
      if (password === '') password = undefined;
      const source = certificateSource(certificate, { resolve, pfxHasPassword: password !== undefined });
      // Known once signing ran: the plan's first step extracts the certificate as PEM.
      const identity = () => readPem(path.join(input.workspaceDir, STATE_FOLDER, 'signing', 'signing-certificate.pem'), path.join(input.workspaceDir, CERTIFICATES_FOLDER, 'signing.cer'));
      return { source, password, identity };
    }
    case 'thumbprint':
    case 'subject': {
      if (input.platform === 'win32' && input.certificateStore) return namedStoreCertificate(certificate, input.certificateStore, resolve(path.join(CERTIFICATES_FOLDER, 'signing.cer')), signal, report);
      if (certificate.kind === 'subject') {
        throw new StepFailure(`A certificate named by its subject ("${certificate.subject}") lives in a Windows certificate store, which this host does not have`, 'On this host give driver.signing.certificate as a .pfx, or "create".');
      }
      return { source: certificateSource(certificate, { resolve, pfxHasPassword: false }), password: undefined, identity: { thumbprint: certificate.thumbprint.toUpperCase(), subject: '' } };
    }
  }
}

/** Windows: the configured certificate from the user's store, signed with by thumbprint, its .cer written for the guest to trust. */
function namedStoreCertificate(
  certificate: Extract<SigningConfig['certificate'], { kind: 'thumbprint' | 'subject' }>,
  store: CertificateStore,
  cerPath: string,
  signal: AbortSignal,
  report: StepContext['report'],
): Promise<StoreSigning> {
  const params = certificate.kind === 'thumbprint' ? { thumbprint: certificate.thumbprint, cerPath } : { subject: certificate.subject, cerPath };
  return fromStore(report, signal, {
    echo: `Get-GpuPvStoreCertificate (GpuPv.psm1): ${certificate.kind === 'thumbprint' ? certificate.thumbprint : `"${certificate.subject}"`} from Cert:\\CurrentUser\\My`,
    read: () => store.certificate(params, signal),
    failure: 'The signing certificate could not be read from the certificate store',
    hint: 'Import the certificate with its key into Cert:\\CurrentUser\\My, or correct driver.signing.certificate in gpupv.json.',
    said: (found) => `Signing with ${found.subject} (${found.thumbprint}, valid until ${found.notAfter.slice(0, 10)}); the guest gets ${found.cer}.`,
  });
}

/** Windows: the test certificate in the user's store, found or made there by GpuPv.psm1; signtool signs with it by thumbprint. */
function storeTestCertificate(store: CertificateStore, workspaceName: string, folder: string, signal: AbortSignal, report: StepContext['report']): Promise<StoreSigning> {
  const params = windowsTestCertificateParams({ workspaceName, cerPath: path.join(folder, TEST_CERTIFICATE_FILES.cer) });
  return fromStore(report, signal, {
    echo: `Get-GpuPvTestCertificate (GpuPv.psm1): ${params.subject} from Cert:\\CurrentUser\\My, or made there by New-SelfSignedCertificate`,
    read: () => store.testCertificate(params, signal),
    failure: 'The test certificate could not be found or made in the certificate store',
    hint: 'Check that PowerShell runs with the PKI module (Windows 10 or later), or configure an existing certificate in driver.signing.certificate.',
    said: (made) => (made.created ? `Made the test certificate ${made.subject} (${made.thumbprint}) in Cert:\\CurrentUser\\My${made.reason ? `: ${made.reason}` : ''}; its key stays in the store. The guest gets ${made.cer}.` : undefined),
  });
}

interface StoreSigning {
  readonly source: CertificateSource;
  readonly password: undefined;
  readonly identity: SigningIdentity;
}

/** One read of the store, echoed, its failure a StepFailure: signtool then signs by the thumbprint it gave, and the guest gets its .cer. */
async function fromStore<T extends StoreCertificate>(
  report: StepContext['report'],
  signal: AbortSignal,
  how: { echo: string; read: () => Promise<T>; failure: string; hint: string; said: (found: T) => string | undefined },
): Promise<StoreSigning> {
  report.command(how.echo);
  let found: T;
  try {
    found = await how.read();
  } catch (error) {
    if (signal.aborted) throw error;
    throw new StepFailure(`${how.failure}: ${actionableMessage(error)}`, how.hint);
  }
  const said = how.said(found);
  if (said) report.output(`${said}\r\n`);
  return { source: { kind: 'store', thumbprint: found.thumbprint }, password: undefined, identity: { thumbprint: found.thumbprint, subject: found.subject, cer: found.cer } };
}

function readPem(pem: string, cer: string): SigningIdentity {
  const certificate = new X509Certificate(readFileSync(pem));
  mkdirSync(path.dirname(cer), { recursive: true });
  writeFileSync(cer, certificate.raw);
  return { thumbprint: thumbprintOf(certificate), subject: certificate.subject, cer };
}
