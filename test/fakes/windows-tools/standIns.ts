import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildCatalog, catalogMismatches, readCatalog } from '../../../extension/deploy/sign/catalog';
import { driverVerDate, stampDriverVer } from '../../../extension/deploy/sign/driverVer';
import { describeInfPackage, parseInf } from '../../../extension/deploy/inf/infFile';

// Stand-ins for the WDK's signtool.exe, Inf2Cat.exe and stampinf.exe on Linux, run through
// the executables of the same names beside this file. They take the real tools' parameters,
// print the real tools' texts (success lines, summaries, "SignTool Error: …", Inf2Cat's
// signability report) and exit with their codes (signtool: 0 ok, 1 error, 2 warnings;
// Inf2Cat: -2, which a POSIX exit status shows as 254, for a failed signability test).
//
// Each command line is appended as a JSON line to the file named by GPUPV_FAKE_TOOLS_LOG,
// for tests to assert. What they cannot have on Linux is data:
//   GPUPV_FAKE_CERT_STORE  a JSON file listing the certificates of Cert:\CurrentUser\My:
//                          [{ "thumbprint", "subject", "notAfter", "trustedRoot"? }]
//   GPUPV_FAKE_TOOLS_STATE a JSON file the stand-ins keep: which file contents signtool has
//                          signed, and with what (default: beside the log).
// signtool "signs" by appending a marked trailer and recording the signed bytes' hash, so a
// file changed afterwards fails verify the way a tampered file does. Inf2Cat writes a real
// catalog (extension/deploy/sign/catalog.ts) of the files the INF copies (read with
// extension/deploy/inf/infFile.ts), which signtool verify /c really checks.
// A pfx given with /f is opened with the real openssl, so a wrong /p is caught for real.
// The texts are the tools' own where they are published (documentation, build logs in issue
// trackers); the few we found nowhere are marked "unconfirmed" and kept plain.

interface StoreCertificate {
  readonly thumbprint: string;
  readonly subject: string;
  readonly notAfter: string;
  readonly trustedRoot?: boolean;
}

interface Signature {
  readonly thumbprint: string;
  readonly subject: string;
  readonly notAfter: string;
  readonly trustedRoot: boolean;
}

type Tool = 'signtool' | 'inf2cat' | 'stampinf';

export function main(tool: Tool, args: readonly string[]): void {
  const log = process.env.GPUPV_FAKE_TOOLS_LOG;
  if (log) appendFileSync(log, `${JSON.stringify({ tool, args, cwd: process.cwd() })}\n`);
  const run = tool === 'signtool' ? signtool : tool === 'inf2cat' ? inf2cat : stampinf;
  process.exitCode = run(args);
}

const out = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
const err = (text: string) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);

/** `.\name` (what the signer passes) or any Windows-style relative path, as a path here. */
function localPath(argument: string): string {
  return path.resolve(argument.replace(/^\.\\/, ''));
}

// ---------------------------------------------------------------------------------- signtool

const SIGN_VALUE_OPTIONS = new Set(['fd', 'f', 'p', 'sha1', 'n', 's', 'tr', 'td', 't', 'd', 'du', 'ac', 'csp', 'kc', 'i', 'r', 'u', 'c', 'dlib', 'dmdf']);
const SIGN_FLAGS = new Set(['v', 'q', 'debug', 'a', 'sm', 'ph', 'nph', 'as', 'uw', 'seal', 'fdchw']);
const VERIFY_VALUE_OPTIONS = new Set(['c', 'o', 'd', 'ds', 'r', 'ms', 'p7', 'u', 'hash']);
const VERIFY_FLAGS = new Set(['pa', 'kp', 'v', 'q', 'a', 'ad', 'as', 'ag', 'all', 'pg', 'tw', 'ph', 'debug', 'sl', 'bp', 'enforcepolicy', 'nocolor']);
const CODE_SIGNING_EKU = '1.3.6.1.5.5.7.3.3';

function signtool(args: readonly string[]): number {
  const [command, ...rest] = args;
  if (command?.toLowerCase() === 'sign') return signtoolSign(rest);
  if (command?.toLowerCase() === 'verify') return signtoolVerify(rest);
  // unconfirmed
  err(`SignTool Error: Invalid command: ${command ?? ''}`);
  return 1;
}

interface Parsed {
  readonly options: Map<string, string>;
  readonly files: string[];
  readonly error?: string;
}

function parseOptions(args: readonly string[], values: Set<string>, flags: Set<string>): Parsed {
  const options = new Map<string, string>();
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (!/^[/-]/.test(arg)) break;
    const name = arg.slice(1).toLowerCase();
    if (flags.has(name)) options.set(name, '');
    else if (values.has(name)) {
      if (i + 1 >= args.length) return { options, files: [], error: `Missing parameter after ${arg} option.` };
      options.set(name, args[++i]!);
    } else return { options, files: [], error: `Invalid option: ${arg}` }; // unconfirmed
  }
  return { options, files: args.slice(i) };
}

function summary(verb: 'Signed' | 'Verified', succeeded: number, warnings: number, errors: number): string {
  return `\nNumber of files successfully ${verb}: ${succeeded}\nNumber of warnings: ${warnings}\nNumber of errors: ${errors}`;
}

function signtoolSign(args: readonly string[]): number {
  const { options, files, error } = parseOptions(args, SIGN_VALUE_OPTIONS, SIGN_FLAGS);
  if (error) return signtoolFailure(error, options.has('v'));
  if (!options.has('fd')) {
    return signtoolFailure(
      'No file digest algorithm specified. Please specify the digest algorithm with the /fd flag. Using /fd SHA256 is recommended and more secure than SHA1. Calling signtool with /fd sha1 is equivalent to the previous behavior. In order to select the hash algorithm used in the signing certificate\'s signature, use the /fd certHash option.',
      options.has('v'),
    );
  }
  if (files.length === 0) return signtoolFailure('A required parameter is missing.\nUsage: signtool sign [options] <filename(s)>', options.has('v'));
  const selected = selectCertificate(options);
  if ('error' in selected) return signtoolFailure(selected.error, options.has('v'));
  const certificate = selected.certificate;
  const verbose = options.has('v');
  if (verbose) {
    out(
      `The following certificate was selected:\n    Issued to: ${commonName(certificate.subject)}\n    Issued by: ${commonName(certificate.subject)}\n    Expires:   ${ctime(new Date(certificate.notAfter))}\n    SHA1 hash: ${certificate.thumbprint}\n`,
    );
  }
  out('Done Adding Additional Store');
  const state = readState();
  let signed = 0;
  let errors = 0;
  for (const file of files) {
    const local = localPath(file);
    if (!existsSync(local)) {
      err(`SignTool Error: File not found: ${file}`);
      errors++;
      continue;
    }
    appendFileSync(local, `\nGPUPV-FAKE-SIGNATURE ${certificate.thumbprint}\n`);
    state.signatures[sha256(readFileSync(local))] = { thumbprint: certificate.thumbprint, subject: certificate.subject, notAfter: certificate.notAfter, trustedRoot: certificate.trustedRoot ?? false };
    out(`Successfully signed: ${file}`);
    signed++;
  }
  writeState(state);
  if (verbose || errors) out(summary('Signed', signed, 0, errors));
  return errors ? 1 : 0;
}

function signtoolFailure(message: string, verbose: boolean): number {
  err(`SignTool Error: ${message}`);
  if (verbose) out(summary('Signed', 0, 0, 1));
  return 1;
}

function selectCertificate(options: Map<string, string>): { certificate: StoreCertificate } | { error: string } {
  const pfx = options.get('f');
  if (pfx !== undefined) return certificateOfPfx(pfx, options.get('p') ?? '');
  const now = Date.now();
  // signtool only considers certificates that can sign code today.
  const usable = readStore().filter((c) => new Date(c.notAfter).getTime() > now);
  const thumbprint = options.get('sha1');
  const name = options.get('n');
  const matching = usable.filter((c) => (thumbprint === undefined || c.thumbprint.toUpperCase() === thumbprint.toUpperCase()) && (name === undefined || commonName(c.subject).toLowerCase().includes(name.toLowerCase())));
  if (matching.length === 0) return { error: 'No certificates were found that met all the given criteria.' };
  if (matching.length > 1 && !options.has('a')) {
    return { error: 'Multiple certificates were found that meet all the given\n        criteria. Use the /a option to allow SignTool to choose the best\n        certificate automatically or use the /sha1 option with the hash of the\n        desired certificate.' };
  }
  return { certificate: [...matching].sort((a, b) => Date.parse(b.notAfter) - Date.parse(a.notAfter))[0]! };
}

function certificateOfPfx(pfx: string, password: string): { certificate: StoreCertificate } | { error: string } {
  const file = localPath(pfx);
  if (!existsSync(file)) return { error: `An error occurred while attempting to load the signing certificate from: ${pfx}` };
  const work = mkdtempSync(path.join(tmpdir(), 'fake-signtool-'));
  try {
    const pem = path.join(work, 'cert.pem');
    const opened = spawnSync('openssl', ['pkcs12', '-in', file, '-nokeys', '-clcerts', '-out', pem, '-passin', 'env:FAKE_SIGNTOOL_PFX_PASSWORD'], {
      env: { ...process.env, FAKE_SIGNTOOL_PFX_PASSWORD: password },
      encoding: 'utf8',
    });
    if (opened.status !== 0) return { error: 'The specified PFX password is not correct.' };
    const certificate = new X509Certificate(readFileSync(pem));
    if (!(certificate.keyUsage as string[] | undefined)?.includes(CODE_SIGNING_EKU)) return { error: 'No certificates were found that met all the given criteria.' };
    return {
      certificate: {
        thumbprint: createHash('sha1').update(certificate.raw).digest('hex').toUpperCase(),
        subject: certificate.subject,
        notAfter: new Date(certificate.validTo).toISOString(),
        trustedRoot: readStore().some((c) => c.trustedRoot && c.thumbprint.toUpperCase() === createHash('sha1').update(certificate.raw).digest('hex').toUpperCase()),
      },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function signtoolVerify(args: readonly string[]): number {
  const { options, files, error } = parseOptions(args, VERIFY_VALUE_OPTIONS, VERIFY_FLAGS);
  const verbose = options.has('v');
  if (error) {
    err(`SignTool Error: ${error}`);
    return 1;
  }
  if (files.length === 0) {
    err('SignTool Error: A required parameter is missing.\nUsage: signtool verify [options] <filename(s)>');
    return 1;
  }
  const state = readState();
  const catalog = options.get('c');
  let verified = 0;
  let errors = 0;
  for (const file of files) {
    out(`Verifying: ${file}`);
    const problem = catalog === undefined ? verifyEmbedded(file, state, verbose) : verifyInCatalog(file, catalog, state, verbose);
    if (problem) {
      err(`SignTool Error: ${problem}`);
      errors++;
    } else {
      out(`Successfully verified: ${file}`);
      verified++;
    }
  }
  if (verbose || errors) out(summary('Verified', verified, 0, errors));
  return errors ? 1 : 0;
}

function verifyEmbedded(file: string, state: State, verbose: boolean): string | undefined {
  const local = localPath(file);
  if (!existsSync(local)) return `File not found: ${file}`;
  const bytes = readFileSync(local);
  const signature = state.signatures[sha256(bytes)];
  if (!signature) {
    return bytes.includes('GPUPV-FAKE-SIGNATURE') ? 'WinVerifyTrust returned error: 0x80096010\n\tThe digital signature of the object did not verify.' : 'No signature found.';
  }
  if (verbose) printChain(bytes, signature);
  return trustProblem(signature);
}

function verifyInCatalog(file: string, catalog: string, state: State, verbose: boolean): string | undefined {
  const local = localPath(file);
  const catalogFile = localPath(catalog);
  if (!existsSync(local)) return `File not found: ${file}`;
  if (!existsSync(catalogFile)) return `File not found: ${catalog}`;
  const catalogBytes = readFileSync(catalogFile);
  const signature = state.signatures[sha256(catalogBytes)];
  let listed: boolean;
  try {
    // The catalog's DER is read up to its end: the stand-in's signature trailer after it is ignored.
    const listing = readCatalog(catalogBytes);
    listed = catalogMismatches(listing, [{ name: path.basename(local), bytes: readFileSync(local) }]).length === 0;
  } catch {
    listed = false;
  }
  // TRUST_E_NOSIGNATURE's own text; that signtool /c reports a file missing from the catalog with it is unconfirmed.
  if (!signature || !listed) return 'WinVerifyTrust returned error: 0x800B0100\n\tNo signature was present in the subject.';
  out(`File is signed in catalog: ${catalogFile}`);
  if (verbose) printChain(readFileSync(local), signature);
  return trustProblem(signature);
}

function trustProblem(signature: Signature): string | undefined {
  if (new Date(signature.notAfter).getTime() <= Date.now()) return 'A required certificate is not within its validity period when verifying against the current system clock or the timestamp in the signed file.';
  if (!signature.trustedRoot) return 'A certificate chain processed, but terminated in a root certificate which is not trusted by the trust provider.';
  return undefined;
}

function printChain(bytes: Buffer, signature: Signature): void {
  out(
    `\nSignature Index: 0 (Primary Signature)\nHash of file (sha256): ${sha256(bytes).toUpperCase()}\n\nSigning Certificate Chain:\n    Issued to: ${commonName(signature.subject)}\n    Issued by: ${commonName(signature.subject)}\n    Expires:   ${ctime(new Date(signature.notAfter))}\n    SHA1 hash: ${signature.thumbprint}\n\nFile is not timestamped.\n`,
  );
}

// ----------------------------------------------------------------------------------- Inf2Cat

const INF2CAT_OS = /^(10|server10|server2016|serverrs5|serverfe|server2025)(_(au|rs[2-5]|19h1|vb|co|ni|ge|25h2))?_(x86|x64|arm64)$/i;

function inf2cat(args: readonly string[]): number {
  let driver: string | undefined;
  let os: string[] = [];
  let localTime = false;
  for (const arg of args) {
    const [, name, value] = /^[/-]([a-z?]+)(?::(.*))?$/i.exec(arg) ?? [];
    switch (name?.toLowerCase()) {
      case 'driver':
      case 'drv':
        driver = value;
        break;
      case 'os':
        os = (value ?? '').split(',').filter(Boolean);
        break;
      case 'uselocaltime':
        localTime = true;
        break;
      case 'verbose':
      case 'nocat':
        break;
      default:
        err(`Parameter format not correct: ${arg}`); // unconfirmed
        return 254;
    }
  }
  if (!driver) {
    err('Missing required parameter /driver.'); // unconfirmed
    return 254;
  }
  if (os.length === 0 || os.some((id) => !INF2CAT_OS.test(id))) {
    out('Operating systems parameter invalid.');
    return 254;
  }
  const folder = path.resolve(driver);
  const infs = existsSync(folder) ? readdirSync(folder).filter((name) => name.toLowerCase().endsWith('.inf')) : [];
  const errors: string[] = [];
  const catalogs: { file: string; bytes: Buffer }[] = [];
  let progress = '';
  for (const inf of infs) {
    const facts = describeInfPackage(parseInf(readFileSync(path.join(folder, inf))), { architecture: 'amd64' });
    const shown = `${path.basename(folder)}\\${inf.toLowerCase()}`;
    const present: { name: string; bytes: Buffer }[] = [{ name: inf, bytes: readFileSync(path.join(folder, inf)) }];
    for (const copied of facts.installs.flatMap((install) => install.copyFiles)) {
      progress += '.';
      const at = path.join(folder, copied.packagePath);
      if (!existsSync(at)) {
        errors.push(
          `22.9.1: ${copied.name} in [${(copied.listSection ?? '').toLowerCase()}] of ${shown} is missing or cannot be decompressed from source media.  Please verify all path values specified in SourceDisksNames, SouceDisksFiles, and CopyFiles sections resolve to the actual location of the file, and are expressed in terms relative to the location of the inf.`,
        );
      } else if (!present.some((file) => file.name.toLowerCase() === path.basename(at).toLowerCase())) present.push({ name: path.basename(at), bytes: readFileSync(at) });
    }
    if (facts.version.driverDate && isAfterToday(facts.version.driverDate, localTime)) errors.push(`22.9.7: DriverVer set to a date in the future (postdated DriverVer not allowed) in ${shown}.`);
    if (facts.version.catalogFile) catalogs.push({ file: path.join(folder, facts.version.catalogFile), bytes: buildCatalog({ files: present, catalogOs: os, hardwareIds: facts.hardwareIds }) });
  }
  out(`${progress}........................`);
  if (errors.length) {
    out(`Signability test failed.\n\nErrors:\n${errors.join('\n')}\n\nWarnings:\nNone`);
    return 254;
  }
  out('Signability test complete.\n\nErrors:\nNone\n\nWarnings:\nNone\n\n');
  for (const catalog of catalogs) writeFileSync(catalog.file, catalog.bytes);
  out(`Catalog generation complete.\n${catalogs.map((c) => windowsPath(c.file)).join('\n')}`);
  return 0;
}

/** `date` as yyyy-mm-dd. */
function isAfterToday(date: string, localTime: boolean): boolean {
  const [year, month, day] = date.split('-').map(Number);
  const now = new Date();
  const today = localTime ? [now.getFullYear(), now.getMonth() + 1, now.getDate()] : [now.getUTCFullYear(), now.getUTCMonth() + 1, now.getUTCDate()];
  const stamped = [year ?? 0, month ?? 0, day ?? 0];
  for (let i = 0; i < 3; i++) if (stamped[i] !== today[i]) return stamped[i]! > today[i]!;
  return false;
}

// ---------------------------------------------------------------------------------- stampinf

function stampinf(args: readonly string[]): number {
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const name = /^-([a-z])$/i.exec(args[i]!)?.[1]?.toLowerCase();
    if (!name || !'fsdacvkui'.includes(name)) {
      if (name === 'n' || name === 'x') continue;
      out('Usage: stampinf -f filename [-s section] [-d [date|*]] [-a [architecture]] [-c catalogfile] [-v [time|*]] [-k version] [-u version] [-i path] [-n]');
      return 1;
    }
    values.set(name, args[++i] ?? '');
  }
  const file = values.get('f');
  if (!file) {
    out('Usage: stampinf -f filename [-s section] [-d [date|*]] [-a [architecture]] [-c catalogfile] [-v [time|*]] [-k version] [-u version] [-i path] [-n]');
    return 1;
  }
  const local = localPath(file);
  if (!existsSync(local)) {
    err(`stampinf: error: unable to open file ${file}`); // unconfirmed
    return 1;
  }
  const now = new Date();
  const dateArg = values.get('d') ?? '*';
  const date = dateArg === '*' ? now : new Date(dateArg);
  const versionArg = values.get('v') ?? '*';
  const version = versionArg === '*' ? `${now.getHours()}.${now.getMinutes()}.${now.getSeconds()}.${now.getMilliseconds()}` : versionArg;
  try {
    writeFileSync(local, stampDriverVer(readFileSync(local), date, version));
  } catch (error) {
    err(`stampinf: error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  out(`Stamping ${file} [${values.get('s') ?? 'Version'}] section with DriverVer=${driverVerDate(date)},${version}`);
  return 0;
}

// ------------------------------------------------------------------------------------ shared

interface State {
  signatures: Record<string, Signature>;
}

function statePath(): string {
  return process.env.GPUPV_FAKE_TOOLS_STATE ?? path.join(path.dirname(process.env.GPUPV_FAKE_TOOLS_LOG ?? path.join(tmpdir(), 'x')), 'fake-windows-tools-state.json');
}

function readState(): State {
  try {
    return JSON.parse(readFileSync(statePath(), 'utf8')) as State;
  } catch {
    return { signatures: {} };
  }
}

function writeState(state: State): void {
  writeFileSync(statePath(), JSON.stringify(state, null, 2));
}

function readStore(): StoreCertificate[] {
  const file = process.env.GPUPV_FAKE_CERT_STORE;
  return file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as StoreCertificate[]) : [];
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function commonName(subject: string): string {
  return /CN=([^,\n]*)/.exec(subject)?.[1]?.trim() ?? subject;
}

/** How signtool prints a date: "Sun May 09 18:28:13 2021". */
function ctime(when: Date): string {
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][when.getDay()]!;
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][when.getMonth()]!;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${day} ${month} ${two(when.getDate())} ${two(when.getHours())}:${two(when.getMinutes())}:${two(when.getSeconds())} ${when.getFullYear()}`;
}

function windowsPath(file: string): string {
  return file.replaceAll('/', '\\');
}
