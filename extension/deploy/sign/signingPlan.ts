import * as path from 'node:path';
import type { SigningConfig } from '../../protocol/config/driverConfigParser';
import { checkDriverVersion, driverVerDate } from './driverVer';

// What the Sign step runs, decided without running anything: each external command as an
// argv array, and the steps done in-process as data. Pure (no file system, no vscode).
//
// Windows (the WDK's tools):
//   stampinf -f <inf> -d * -v <version> -a <arch>          only when a version is to be stamped
//   signtool sign /v /fd sha256 <certificate> [/tr <url> /td sha256] .\<file>   each PE file
//   Inf2Cat /driver:<package folder> /os:<list> /uselocaltime
//   signtool sign … .\<catalog>
//   signtool verify /pa /v .\<file>                        each PE file and the catalog
//   signtool verify /pa /v /c .\<catalog> .\<file>         the INF and every file it installs
// Elsewhere (Debian's osslsigncode and openssl; the catalog made in-process, see catalog.ts):
//   osslsigncode sign -pkcs12 <pfx> -readpass - -h sha256 [-ts <url>] -in <file> -out <staged>
//   osslsigncode verify -CAfile <certificate.pem> -in <file>
//   osslsigncode verify -CAfile <certificate.pem> -catalog <catalog> -in <PE file>
//
// Nothing is signed in place: each signature is made on a staged file beside the original
// (same folder, same extension, so the tools recognise the type) that replaces it only when
// the tool succeeded. Windows tools run in the package folder and get `.\name`, so a file
// name can never be read as an option. Secrets are not in the plan: a step says where the
// pfx password goes (stdin, an environment variable, or signtool's /p) and the signer puts it
// there.

export type SigningTool = 'signtool' | 'inf2cat' | 'stampinf' | 'osslsigncode' | 'openssl';

export interface SigningPackage {
  readonly inf: string;
  /** The catalog the INF names (CatalogFile), in the INF's folder. */
  readonly catalog: string;
  /** The PE files the INF installs (.sys, .dll): signed with embedded signatures and catalogued. */
  readonly binaries: readonly string[];
  /** Other files the INF installs: catalogued only. */
  readonly otherFiles?: readonly string[];
  /** For the catalog's HWID attributes. */
  readonly hardwareIds: readonly string[];
}

export type CertificateSource =
  /** Windows: a certificate of Cert:\CurrentUser\My, by SHA-1 thumbprint. */
  | { readonly kind: 'store'; readonly thumbprint: string }
  /**
   * A .pfx file. `certificatePem`: the signing certificate as PEM, the trust anchor for
   * verifying on Linux (the test certificate's test.pem); absent: extracted from the pfx.
   */
  | { readonly kind: 'pfx'; readonly pfx: string; readonly hasPassword: boolean; readonly certificatePem?: string };

export type Architecture = 'amd64' | 'arm64' | 'x86';

export interface SigningPlanInput {
  /** The host the tools run on: 'win32' plans the WDK's tools, anything else osslsigncode. */
  readonly platform: NodeJS.Platform;
  readonly package: SigningPackage;
  readonly signing: Pick<SigningConfig, 'catalogOs' | 'timestampUrl'>;
  readonly certificate: CertificateSource;
  /** Stamp DriverVer first: the version, and the date (default: the day of the run). */
  readonly stamp?: { readonly version: string; readonly date?: Date };
  /** stampinf's -a; default amd64. */
  readonly architecture?: Architecture;
  /** A scratch folder of this run, for the certificate extracted from a pfx. */
  readonly workDir: string;
  /** Paths of the tools; default their names (found on PATH). */
  readonly tools?: Partial<Readonly<Record<SigningTool, string>>>;
}

export type PasswordDelivery = { readonly via: 'argument'; readonly index: number } | { readonly via: 'stdin' } | { readonly via: 'environment'; readonly name: string };

export interface ToolStep {
  readonly kind: 'tool';
  readonly title: string;
  readonly tool: SigningTool;
  readonly purpose: 'stamp' | 'catalog' | 'sign' | 'verify' | 'verifyInCatalog' | 'extractCertificate';
  /** The package file the step is about, for messages. */
  readonly file: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Where the tool runs; the package folder for the Windows tools. */
  readonly cwd?: string;
  /** Where the pfx password goes; the argument at `index` is empty in the plan. */
  readonly password?: PasswordDelivery;
  /**
   * The tool writes `staged`, which then replaces `target`. `copyFirst`: the tool changes
   * the file it is given (signtool), so `target` is copied to `staged` before it runs.
   */
  readonly staged?: { readonly target: string; readonly staged: string; readonly copyFirst: boolean };
  /** A file the tool writes in place (Inf2Cat's catalog), removed when the tool fails or is stopped. */
  readonly discardOnFailure?: string;
}

export type BuiltinStep =
  | { readonly kind: 'checkFiles'; readonly title: string; readonly files: readonly string[] }
  | { readonly kind: 'stampInf'; readonly title: string; readonly inf: string; readonly version: string; readonly date?: Date }
  /** A catalog of an earlier run would not match: gone before Inf2Cat writes the new one. */
  | { readonly kind: 'removeStale'; readonly title: string; readonly file: string }
  | {
      readonly kind: 'makeCatalog';
      readonly title: string;
      readonly catalog: string;
      readonly staged: string;
      readonly files: readonly string[];
      readonly catalogOs: readonly string[];
      readonly hardwareIds: readonly string[];
    }
  | { readonly kind: 'checkCertificate'; readonly title: string; readonly pem: string }
  | { readonly kind: 'checkCatalog'; readonly title: string; readonly catalog: string; readonly files: readonly string[] };

export type SigningStep = ToolStep | BuiltinStep;

export interface SigningPlan {
  readonly steps: readonly SigningStep[];
  /** Things the user should know about this plan (a password on a command line, say). */
  readonly notes: readonly string[];
}

export class SigningPlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SigningPlanError';
  }
}

const STAGED_MARK = 'gpupv-signing';
/** The environment variable openssl reads the pfx password from (-passin env:). */
export const PFX_PASSWORD_VARIABLE = 'GPUPV_PFX_PASSWORD';

/** Where a file is signed before it replaces the original: beside it, with the same extension. */
export function stagedPath(file: string): string {
  const extension = path.extname(file);
  return path.join(path.dirname(file), `${path.basename(file, extension)}.${STAGED_MARK}${extension}`);
}

export function planSigning(input: SigningPlanInput): SigningPlan {
  const pkg = input.package;
  if (input.signing.catalogOs.length === 0) throw new SigningPlanError('No catalog OS: set "driver.signing.catalogOs", such as ["10_X64"].');
  if (input.stamp) {
    const problem = checkDriverVersion(input.stamp.version);
    if (problem && input.stamp.version !== '*') throw new SigningPlanError(`Cannot stamp DriverVer: ${problem}.`);
  }
  const folder = path.dirname(pkg.inf);
  if (path.resolve(path.dirname(pkg.catalog)) !== path.resolve(folder)) throw new SigningPlanError(`The catalog ${pkg.catalog} is not in the INF's folder ${folder}: Inf2Cat writes the catalog beside the INF.`);
  const catalogued = [pkg.inf, ...pkg.binaries, ...(pkg.otherFiles ?? [])];
  const checkFiles: BuiltinStep = { kind: 'checkFiles', title: 'Check the package files', files: catalogued };
  return input.platform === 'win32' ? planWindows(input, checkFiles, catalogued) : planOpenSsl(input, checkFiles, catalogued);
}

function planWindows(input: SigningPlanInput, checkFiles: BuiltinStep, catalogued: readonly string[]): SigningPlan {
  const pkg = input.package;
  const folder = path.dirname(pkg.inf);
  const tool = (name: SigningTool) => input.tools?.[name] ?? TOOL_NAMES[name];
  const local = (file: string) => `.\\${path.basename(file)}`;
  const notes: string[] = [];
  const certificate = signtoolCertificate(input.certificate, notes);
  const timestamp = input.signing.timestampUrl ? ['/tr', input.signing.timestampUrl, '/td', 'sha256'] : [];
  const sign = (file: string): ToolStep => {
    const staged = stagedPath(file);
    const options = ['sign', '/v', '/fd', 'sha256'];
    const args = [...options, ...certificate.args, ...timestamp, local(staged)];
    return {
      kind: 'tool',
      title: `Sign ${path.basename(file)}`,
      tool: 'signtool',
      purpose: 'sign',
      file,
      command: tool('signtool'),
      args,
      cwd: folder,
      ...(certificate.passwordIndex !== undefined ? { password: { via: 'argument', index: options.length + certificate.passwordIndex } } : {}),
      staged: { target: file, staged, copyFirst: true },
    };
  };
  const verify = (file: string): ToolStep => ({
    kind: 'tool',
    title: `Verify the signature of ${path.basename(file)}`,
    tool: 'signtool',
    purpose: 'verify',
    file,
    command: tool('signtool'),
    args: ['verify', '/pa', '/v', local(file)],
    cwd: folder,
  });
  const steps: SigningStep[] = [checkFiles];
  if (input.stamp) {
    steps.push({
      kind: 'tool',
      title: `Stamp DriverVer of ${path.basename(pkg.inf)}`,
      tool: 'stampinf',
      purpose: 'stamp',
      file: pkg.inf,
      command: tool('stampinf'),
      args: ['-f', pkg.inf, '-d', input.stamp.date ? driverVerDate(input.stamp.date) : '*', '-v', input.stamp.version, '-a', input.architecture ?? 'amd64'],
      cwd: folder,
    });
  }
  steps.push(...pkg.binaries.map(sign));
  steps.push({ kind: 'removeStale', title: `Remove the old ${path.basename(pkg.catalog)}`, file: pkg.catalog });
  steps.push({
    kind: 'tool',
    title: `Make ${path.basename(pkg.catalog)} (Inf2Cat)`,
    tool: 'inf2cat',
    purpose: 'catalog',
    file: pkg.catalog,
    command: tool('inf2cat'),
    // /uselocaltime: stampinf's "today" is local, and Inf2Cat would otherwise call a DriverVer
    // dated today a date in the future wherever local time is ahead of UTC.
    args: [`/driver:${folder}`, `/os:${input.signing.catalogOs.join(',')}`, '/uselocaltime'],
    cwd: folder,
    discardOnFailure: pkg.catalog,
  });
  steps.push(sign(pkg.catalog));
  steps.push(...pkg.binaries.map(verify), verify(pkg.catalog));
  steps.push(
    ...catalogued.map(
      (file): ToolStep => ({
        kind: 'tool',
        title: `Verify ${path.basename(file)} against ${path.basename(pkg.catalog)}`,
        tool: 'signtool',
        purpose: 'verifyInCatalog',
        file,
        command: tool('signtool'),
        args: ['verify', '/pa', '/v', '/c', local(pkg.catalog), local(file)],
        cwd: folder,
      }),
    ),
  );
  return { steps, notes };
}

function signtoolCertificate(source: CertificateSource, notes: string[]): { args: string[]; passwordIndex?: number } {
  switch (source.kind) {
    case 'store':
      return { args: ['/sha1', source.thumbprint, '/s', 'My'] };
    case 'pfx':
      if (!source.hasPassword) return { args: ['/f', source.pfx] };
      notes.push(
        'signtool only takes a pfx password on its command line (/p), where other programs of this user can read it while signtool runs. To avoid that, import the pfx into Cert:\\CurrentUser\\My and set "certificate": { "thumbprint": "…" }.',
      );
      return { args: ['/f', source.pfx, '/p', ''], passwordIndex: 3 };
  }
}

function planOpenSsl(input: SigningPlanInput, checkFiles: BuiltinStep, catalogued: readonly string[]): SigningPlan {
  const pkg = input.package;
  const source = input.certificate;
  if (source.kind !== 'pfx') {
    throw new SigningPlanError(
      `"driver.signing.certificate" names a certificate of the Windows certificate store (thumbprint ${source.thumbprint}), which exists only on Windows: on this host set "certificate": "create" or { "pfx": "path/to/test.pfx" }.`,
    );
  }
  const tool = (name: SigningTool) => input.tools?.[name] ?? TOOL_NAMES[name];
  const steps: SigningStep[] = [checkFiles];
  let pem = source.certificatePem;
  if (!pem) {
    pem = path.join(input.workDir, 'signing-certificate.pem');
    steps.push({
      kind: 'tool',
      title: `Read the certificate of ${path.basename(source.pfx)}`,
      tool: 'openssl',
      purpose: 'extractCertificate',
      file: source.pfx,
      command: tool('openssl'),
      args: ['pkcs12', '-in', source.pfx, '-nokeys', '-clcerts', '-out', pem, '-passin', `env:${PFX_PASSWORD_VARIABLE}`],
      password: { via: 'environment', name: PFX_PASSWORD_VARIABLE },
    });
  }
  steps.push({ kind: 'checkCertificate', title: 'Check the signing certificate', pem });
  if (input.stamp) {
    steps.push({ kind: 'stampInf', title: `Stamp DriverVer of ${path.basename(pkg.inf)}`, inf: pkg.inf, version: input.stamp.version, ...(input.stamp.date ? { date: input.stamp.date } : {}) });
  }
  const timestamp = input.signing.timestampUrl ? ['-ts', input.signing.timestampUrl] : [];
  const password = source.hasPassword ? ['-readpass', '-'] : [];
  const sign = (file: string): ToolStep => {
    const staged = stagedPath(file);
    return {
      kind: 'tool',
      title: `Sign ${path.basename(file)}`,
      tool: 'osslsigncode',
      purpose: 'sign',
      file,
      command: tool('osslsigncode'),
      args: ['sign', '-pkcs12', source.pfx, ...password, '-h', 'sha256', ...timestamp, '-in', file, '-out', staged],
      ...(source.hasPassword ? { password: { via: 'stdin' } } : {}),
      staged: { target: file, staged, copyFirst: false },
    };
  };
  const verify = (file: string, title: string, extra: readonly string[] = []): ToolStep => ({
    kind: 'tool',
    title,
    tool: 'osslsigncode',
    purpose: extra.length ? 'verifyInCatalog' : 'verify',
    file,
    command: tool('osslsigncode'),
    args: ['verify', '-CAfile', pem, ...extra, '-in', file],
  });
  steps.push(...pkg.binaries.map(sign));
  steps.push({
    kind: 'makeCatalog',
    title: `Make ${path.basename(pkg.catalog)}`,
    catalog: pkg.catalog,
    staged: stagedPath(pkg.catalog),
    files: catalogued,
    catalogOs: input.signing.catalogOs,
    hardwareIds: pkg.hardwareIds,
  });
  steps.push(sign(pkg.catalog));
  steps.push(...[...pkg.binaries, pkg.catalog].map((file) => verify(file, `Verify the signature of ${path.basename(file)}`)));
  steps.push(...pkg.binaries.map((file) => verify(file, `Verify ${path.basename(file)} against ${path.basename(pkg.catalog)}`, ['-catalog', pkg.catalog])));
  // osslsigncode cannot hash an INF (a flat file) for -catalog, so every file is also checked here.
  steps.push({ kind: 'checkCatalog', title: `Check that ${path.basename(pkg.catalog)} lists every file`, catalog: pkg.catalog, files: catalogued });
  return { steps, notes: [] };
}

const TOOL_NAMES: Readonly<Record<SigningTool, string>> = {
  signtool: 'signtool.exe',
  inf2cat: 'Inf2Cat.exe',
  stampinf: 'stampinf.exe',
  osslsigncode: 'osslsigncode',
  openssl: 'openssl',
};

/** The certificate source for the signing config, once a "create" certificate exists. */
export function certificateSource(
  certificate: SigningConfig['certificate'],
  context: {
    /** Resolves a path of gpupv.json (relative to the workspace folder). */
    readonly resolve: (relative: string) => string;
    /** Whether SecretStorage holds a password for the configured pfx. */
    readonly pfxHasPassword: boolean;
    /** The test certificate openssl made: its pfx and PEM. */
    readonly created?: { readonly pfx: string; readonly pem: string };
  },
): CertificateSource {
  switch (certificate.kind) {
    case 'thumbprint':
      return { kind: 'store', thumbprint: certificate.thumbprint };
    case 'subject':
      // Looked up in the store first (Get-GpuPvStoreCertificate), so that the guest can be given its .cer.
      throw new SigningPlanError(`A certificate named by its subject ("${certificate.subject}") is signed with by the thumbprint the store gives for it.`);
    case 'pfx':
      return { kind: 'pfx', pfx: context.resolve(certificate.pfx.value), hasPassword: context.pfxHasPassword };
    case 'create': {
      const created = context.created;
      // The store's certificate (Windows) is signed with by thumbprint without coming here.
      if (!created) throw new SigningPlanError('The test certificate has not been made yet (ensureTestCertificate).');
      return { kind: 'pfx', pfx: created.pfx, hasPassword: true, certificatePem: created.pem };
    }
  }
}
