import { X509Certificate } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../common/logger';
import { describeCommand, isProcessError, runProcess, type RunResult } from '../../common/processRunner';
import { buildCatalog, catalogMismatches, readCatalog } from './catalog';
import { stampDriverVer } from './driverVer';
import { stagedPath, type BuiltinStep, type SigningPlan, type SigningStep, type ToolStep } from './signingPlan';
import { certificateProblem } from './testCertificate';

// Runs a signing plan: each step echoed (the command line with the password masked) and its
// output streamed as it comes, a failure turned into a message that says what went wrong and
// what to do, and never a half-signed file left behind: a step that writes a file writes a
// staged copy, which replaces the original only when the step succeeded; a failed or
// cancelled step removes its staged copy and leaves the original as it was.

export type SignerOutputKind = 'command' | 'stdout' | 'stderr' | 'note';

export interface SignerOptions {
  readonly signal?: AbortSignal;
  /** The pfx password, where the plan's steps need one. */
  readonly password?: string;
  /** The environment of the tools (PATH); default this process's. */
  readonly env?: NodeJS.ProcessEnv;
  /** Per tool run; default 5 minutes (a timestamp server can be slow). */
  readonly timeoutMs?: number;
  /** The moment certificates are checked against; default now. */
  readonly now?: Date;
  /** Where command lines and stderr go (debug); never given a step whose password is an argument. */
  readonly log?: Logger;
  readonly onStep?: (step: SigningStep, index: number, total: number) => void;
  readonly onOutput?: (text: string, kind: SignerOutputKind) => void;
}

export interface SigningReport {
  readonly steps: readonly { readonly title: string; readonly durationMs: number; readonly notes: readonly string[] }[];
}

export type SigningFailure = 'failed' | 'cancelled' | 'timeout' | 'toolMissing';

export class SigningError extends Error {
  constructor(
    readonly failure: SigningFailure,
    readonly step: SigningStep,
    message: string,
    readonly result?: RunResult,
  ) {
    super(message);
    this.name = 'SigningError';
  }
}

const DEFAULT_TIMEOUT_MS = 300_000;
const MASK = '********';

export async function runSigningPlan(plan: SigningPlan, options: SignerOptions = {}): Promise<SigningReport> {
  for (const note of plan.notes) options.onOutput?.(`${note}\n`, 'note');
  const done: { title: string; durationMs: number; notes: string[] }[] = [];
  for (const [index, step] of plan.steps.entries()) {
    if (options.signal?.aborted) throw new SigningError('cancelled', step, `Signing was cancelled before "${step.title}"; the files of the package are as the steps before it left them.`);
    options.onStep?.(step, index, plan.steps.length);
    const started = performance.now();
    const notes = step.kind === 'tool' ? await runTool(step, options) : runBuiltin(step, options);
    for (const note of notes) options.onOutput?.(`${note}\n`, 'note');
    done.push({ title: step.title, durationMs: performance.now() - started, notes });
  }
  return { steps: done };
}

/** The command line as echoed: the password, where it is an argument, masked. */
export function echoedCommand(step: ToolStep): string {
  return describeCommand(step.command, withPassword(step, MASK));
}

/** The step's arguments with `password` where the plan left the password's place empty. */
function withPassword(step: ToolStep, password: string): string[] {
  const at = step.password?.via === 'argument' ? step.password.index : -1;
  return step.args.map((arg, i) => (i === at ? password : arg));
}

async function runTool(step: ToolStep, options: SignerOptions): Promise<string[]> {
  const password = step.password ? requirePassword(step, options.password) : undefined;
  const args = withPassword(step, password ?? '');
  const env = { ...(options.env ?? process.env), ...(step.password?.via === 'environment' ? { [step.password.name]: password! } : {}) };
  options.onOutput?.(`> ${echoedCommand(step)}\n`, 'command');
  if (step.staged) {
    try {
      rmSync(step.staged.staged, { force: true });
      if (step.staged.copyFirst) copyFileSync(step.staged.target, step.staged.staged);
    } catch (error) {
      discardStaged(step);
      throw new SigningError('failed', step, `Could not stage ${step.staged.target} for signing: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  let result: RunResult;
  try {
    result = await runProcess(step.command, args, {
      env,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(step.cwd ? { cwd: step.cwd } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(step.password?.via === 'stdin' ? { input: password! } : {}),
      ...(options.log && step.password?.via !== 'argument' ? { log: options.log } : {}),
      ...(options.onOutput ? { onOutput: (text: string, stream: 'stdout' | 'stderr') => options.onOutput!(text, stream) } : {}),
    });
  } catch (error) {
    discardStaged(step);
    if (isProcessError(error, 'notFound')) throw new SigningError('toolMissing', step, `${step.command} was not found: ${INSTALL_HINT[step.tool]}`);
    if (isProcessError(error, 'cancelled')) throw new SigningError('cancelled', step, `Signing was cancelled during "${step.title}"; ${leftAs(step)}.`, error.result);
    if (isProcessError(error, 'timeout')) throw new SigningError('timeout', step, `"${step.title}" did not finish in time and was stopped; ${leftAs(step)}.${step.args.some((a) => /^(\/tr|-ts)$/.test(a)) ? ' Is the timestamp server reachable?' : ''}`, error.result);
    throw error;
  }
  const verdict = judge(step, result);
  if (verdict.failed) {
    discardStaged(step);
    throw new SigningError('failed', step, verdict.failed, result);
  }
  if (step.staged) {
    if (!existsSync(step.staged.staged)) throw new SigningError('failed', step, `${step.command} reported success but wrote no ${step.staged.staged}; ${path.basename(step.file)} was left unsigned.`, result);
    renameSync(step.staged.staged, step.staged.target);
  }
  return verdict.notes;
}

function requirePassword(step: ToolStep, password: string | undefined): string {
  if (password === undefined) throw new SigningError('failed', step, `"${step.title}" needs the password of the pfx, and none is stored: store it, then run Sign again.`);
  return password;
}

function discardStaged(step: ToolStep): void {
  if (step.staged) rmSync(step.staged.staged, { force: true });
  if (step.discardOnFailure) rmSync(step.discardOnFailure, { force: true });
}

/** What a failed or stopped step left of its file, for the message. */
function leftAs(step: ToolStep): string {
  return step.discardOnFailure ? `no ${path.basename(step.discardOnFailure)} was left (a partial one would not match)` : `${path.basename(step.file)} is as it was before that step`;
}

const INSTALL_HINT: Readonly<Record<ToolStep['tool'], string>> = {
  signtool: 'install the Windows SDK or WDK (or use an EWDK) and put the folder of signtool.exe on PATH.',
  inf2cat: 'install the WDK (or use an EWDK) and put the folder of Inf2Cat.exe on PATH.',
  stampinf: 'install the WDK (or use an EWDK) and put the folder of stampinf.exe on PATH.',
  osslsigncode: 'install it (Debian/Ubuntu: apt-get install osslsigncode; macOS: brew install osslsigncode).',
  openssl: 'install it (Debian/Ubuntu: apt-get install openssl; macOS: brew install openssl).',
};

interface Verdict {
  readonly failed?: string;
  readonly notes: string[];
}

function judge(step: ToolStep, result: RunResult): Verdict {
  const output = `${result.stdout}\n${result.stderr}`;
  const name = path.basename(step.file);
  switch (step.tool) {
    case 'signtool':
      return judgeSigntool(step, result, output, name);
    case 'inf2cat':
      return judgeInf2Cat(result, output);
    case 'osslsigncode':
      return judgeOsslsigncode(step, result, output, name);
    case 'stampinf':
    case 'openssl':
      if (result.exitCode === 0) return { notes: [] };
      if (step.tool === 'openssl' && /invalid password|mac verify/i.test(output)) return { notes: [], failed: `The stored password does not open ${step.file}: store the right password for it.` };
      return { notes: [], failed: `${step.title} failed (${exitText(result)}):\n${lastLines(output, 6)}` };
  }
}

function judgeSigntool(step: ToolStep, result: RunResult, output: string, name: string): Verdict {
  const errors = signtoolErrors(output);
  if (result.exitCode === 0) return { notes: [] };
  if (result.exitCode === 2) return { notes: [`signtool finished "${step.title}" with warnings:\n${lastLines(output, 6)}`] };
  const verifying = step.purpose === 'verify' || step.purpose === 'verifyInCatalog';
  // WinVerifyTrust checks the file's digest before it builds the chain, so this error alone
  // means the signature is intact and only this host does not trust the (test) certificate;
  // the guest is made to trust it before the package is installed.
  if (verifying && errors.length > 0 && errors.every((e) => /terminated in a root certificate which is not trusted/i.test(e))) {
    return { notes: [`${name}: the signature is intact; this computer does not trust the test certificate, which is expected (the guest is made to trust it).`] };
  }
  const error = errors.join('\n') || lastLines(output, 6);
  if (/No certificates were found that met all the given criteria/i.test(error)) {
    return { notes: [], failed: `signtool found no certificate for ${describeSelection(step)} in Cert:\\CurrentUser\\My that can sign code (present, with its private key, valid today, for code signing). Check "driver.signing.certificate"; certutil -user -store My lists the store.` };
  }
  if (/PFX password is not correct/i.test(error)) return { notes: [], failed: `The stored password does not open the pfx ${pfxOf(step)}: store the right password for it.` };
  if (/Multiple certificates were found/i.test(error)) return { notes: [], failed: `Several certificates in Cert:\\CurrentUser\\My match ${describeSelection(step)}: set "certificate": { "thumbprint": "…" } to choose one.` };
  if (/File not found/i.test(error)) return { notes: [], failed: `signtool did not find ${name}: ${error}` };
  if (step.purpose === 'verifyInCatalog') return { notes: [], failed: `${name} is not signed by ${catalogOf(step)}: it is not listed there or changed after the catalog was made (${error}). Run Sign again.` };
  if (step.purpose === 'verify') return { notes: [], failed: `The signature of ${name} does not verify: ${error}` };
  return { notes: [], failed: `signtool could not sign ${name}: ${error}` };
}

/** "SignTool Error: …" lines with their indented continuations, as one error each. */
function signtoolErrors(output: string): string[] {
  const errors: string[] = [];
  for (const line of output.split(/\r?\n/)) {
    if (/^SignTool Error:/i.test(line)) errors.push(line.replace(/^SignTool Error:\s*/i, '').trim());
    else if (errors.length && /^\s+\S/.test(line) && !/^\s*Number of/i.test(line)) errors.push(`${errors.pop()!} ${line.trim()}`);
  }
  return errors;
}

function describeSelection(step: ToolStep): string {
  const at = (flag: string) => {
    const i = step.args.indexOf(flag);
    return i >= 0 ? step.args[i + 1] : undefined;
  };
  const thumbprint = at('/sha1');
  return thumbprint ? `thumbprint ${thumbprint}` : 'the given criteria';
}

function pfxOf(step: ToolStep): string {
  const i = step.args.indexOf('/f');
  return i >= 0 ? step.args[i + 1]! : 'file';
}

function catalogOf(step: ToolStep): string {
  const i = step.args.findIndex((a) => a === '/c' || a === '-catalog');
  return i >= 0 ? path.basename(step.args[i + 1]!.replace(/^\.\\/, '')) : 'the catalog';
}

function judgeInf2Cat(result: RunResult, output: string): Verdict {
  if (result.exitCode === 0 && !/Signability test failed/i.test(output)) return { notes: [] };
  const errors = sectionLines(output, 'Errors');
  const hints: string[] = [];
  if (errors.some((e) => /^22\.9\.1\b/.test(e))) hints.push('A file the INF installs is missing: build the package, or fix SourceDisksFiles/CopyFiles so that each file is found beside the INF.');
  if (errors.some((e) => /^22\.9\.7\b/.test(e))) hints.push('DriverVer is dated after today: set a date that has passed (or let stampinf stamp today, which Inf2Cat accepts with /uselocaltime).');
  if (/Operating systems? parameter invalid/i.test(output)) hints.push('"driver.signing.catalogOs" has a value Inf2Cat does not know: see Inf2Cat /? for this WDK\u2019s list, e.g. 10_X64.');
  const listed = errors.length ? errors.map((e) => `  ${e}`).join('\n') : lastLines(output, 6);
  return { notes: [], failed: `Inf2Cat could not make the catalog (signability test failed, ${exitText(result)}):\n${listed}${hints.length ? `\n${hints.join('\n')}` : ''}` };
}

/** The lines of an Inf2Cat report section ("Errors:", "Warnings:") up to the next blank line. */
function sectionLines(output: string, section: string): string[] {
  const lines = output.split(/\r?\n/);
  const start = lines.findIndex((line) => line.trim() === `${section}:`);
  if (start < 0) return [];
  const found: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.trim()) break;
    if (line.trim() !== 'None') found.push(line.trim());
  }
  return found;
}

function judgeOsslsigncode(step: ToolStep, result: RunResult, output: string, name: string): Verdict {
  if (result.exitCode === 0) return { notes: [] };
  if (/Wrong password|mac verify failure|Failed to read password/i.test(output)) return { notes: [], failed: `The stored password does not open the pfx ${step.args[step.args.indexOf('-pkcs12') + 1] ?? ''}: store the right password for it.` };
  if (/Failed to open file/i.test(output)) return { notes: [], failed: `osslsigncode could not open ${name} (${step.file}): is the package built?` };
  if (step.purpose === 'verifyInCatalog' && /Catalog verification: failed/i.test(output)) return { notes: [], failed: `${name} is not signed by ${catalogOf(step)}: it is not listed there or changed after the catalog was made. Run Sign again.` };
  if (output.includes('MISMATCH')) return { notes: [], failed: `${name} changed after it was signed: its digest no longer matches its signature. Run Sign again (and find what rewrote the file).` };
  if (/No signature found/i.test(output)) return { notes: [], failed: `${name} is not signed.` };
  if (/certificate has expired/i.test(output)) return { notes: [], failed: `The certificate that signed ${name} has expired: make a new one and sign again.` };
  if (/unable to get local issuer|self.signed certificate|certificate verify failed/i.test(output)) return { notes: [], failed: `The signature of ${name} does not chain to the signing certificate given to verify it: ${lastLines(result.stderr || output, 3)}` };
  const verb = step.purpose === 'sign' ? 'sign' : 'verify';
  return { notes: [], failed: `osslsigncode could not ${verb} ${name} (${exitText(result)}):\n${lastLines(output, 6)}` };
}

function runBuiltin(step: BuiltinStep, options: SignerOptions): string[] {
  try {
    return builtin(step, options);
  } catch (error) {
    if (error instanceof SigningError) throw error;
    throw new SigningError('failed', step, `${step.title} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function builtin(step: BuiltinStep, options: SignerOptions): string[] {
  switch (step.kind) {
    case 'checkFiles': {
      const missing = step.files.filter((file) => !isFile(file));
      if (missing.length) throw new SigningError('failed', step, `The package is incomplete: ${missing.map((f) => path.basename(f)).join(', ')} not found in ${path.dirname(missing[0]!)}. Build the package first, or fix "driver.packages[].files".`);
      return [];
    }
    case 'stampInf': {
      const stamped = stampDriverVer(readFileSync(step.inf), step.date ?? new Date(), step.version);
      replaceAtomically(step.inf, stamped);
      return [];
    }
    case 'removeStale':
      rmSync(step.file, { force: true });
      return [];
    case 'makeCatalog': {
      const files = step.files.map((file) => ({ name: path.basename(file), bytes: readFileSync(file) }));
      const catalog = buildCatalog({ files, catalogOs: step.catalogOs, hardwareIds: step.hardwareIds });
      writeFileSync(step.staged, catalog);
      renameSync(step.staged, step.catalog);
      return [`${path.basename(step.catalog)} lists ${files.map((f) => f.name).join(', ')}.`];
    }
    case 'checkCertificate': {
      const certificate = new X509Certificate(readFileSync(step.pem));
      const problem = certificateProblem(certificate, options.now ?? new Date());
      if (problem) throw new SigningError('failed', step, `The signing certificate (${certificate.subject}) cannot sign: ${problem}. Make a new one (for "certificate": "create", delete .gpupv/certificates and run Sign again) or set another in "driver.signing.certificate".`);
      return [];
    }
    case 'checkCatalog': {
      const listing = readCatalog(readFileSync(step.catalog));
      if (!listing.signed) throw new SigningError('failed', step, `${path.basename(step.catalog)} is not signed.`);
      const problems = catalogMismatches(listing, step.files.map((file) => ({ name: path.basename(file), bytes: readFileSync(file) })));
      if (problems.length) throw new SigningError('failed', step, `${path.basename(step.catalog)} does not match the package: ${problems.join('; ')}. Run Sign again.`);
      return [];
    }
  }
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function replaceAtomically(file: string, bytes: Buffer): void {
  const staged = stagedPath(file);
  writeFileSync(staged, bytes);
  renameSync(staged, file);
}

function exitText(result: RunResult): string {
  return result.exitCode === null ? `ended by ${result.signal}` : `exit code ${result.exitCode}`;
}

function lastLines(text: string, count: number): string {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim())
    .slice(-count)
    .join('\n');
}
