import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DriverConfig, DriverTestConfig } from '../../protocol/config/driverConfigParser';
import { sha256File } from '../build/artifacts';
import { callGuest, GuestCallError, type GuestCallOptions } from '../guest/guestCall';
import { StepFailure, type StepContext } from '../pipeline/deployPipeline';
import type { TestResultRecord } from '../pipeline/runFolder';
import { isGuestTransportError, type GuestTransport, type StagedFile } from '../transport/guestTransport';
import { lastDeploy, saveDeploy, type DeployRecord } from './runState';
import type { SigningRecord } from './signStep';

// The steps that run in the guest: prepare it and copy the package (deploy), install it and
// judge each device (install), run the configured tests (test), and bring back what explains
// a failure (collect-logs). Each is a sequence of GpuPvGuest.psm1 calls over whichever
// transport reaches the guest; each failure is said in the guest module's words, with what to
// do, and where it concerns the package it is also put on the INF line it is about.

/** How the run reaches the guest; the editor side supplies it (SSH, PowerShell Direct, prompts). */
export interface GuestAccess {
  /** How messages name the guest: `VM "pvgpu-test"`, `tester@10.0.0.7`. */
  readonly label: string;
  connect(context: StepContext): Promise<GuestTransport>;
  /** Reverts the VM to the checkpoint and waits until the guest answers again; absent: the target has no checkpoints (SSH). */
  revertCheckpoint?(checkpoint: string, context: StepContext): Promise<string>;
  /** Restarts the guest and waits until it answers; absent: the user must restart it. */
  restart?(context: StepContext): Promise<void>;
  /** Asks the user; false when they decline or nobody can be asked. */
  confirm(question: string, action: string): Promise<boolean>;
}

/** A guest finding about a package file, for Problems. */
export interface GuestProblem {
  readonly file: string;
  /** 1-based; absent: the file as a whole. */
  readonly line?: number;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

/** The Test Explorer's side of the test step. */
export interface TestReporting {
  begin(names: readonly string[]): {
    started(name: string): void;
    output(name: string, text: string): void;
    finished(record: TestResultRecord, output: string): void;
    end(): void;
  };
}

export interface GuestStepsInput {
  readonly workspaceDir: string;
  readonly config: DriverConfig;
  readonly access: GuestAccess;
  /** The run's id: names the guest's staging folder. */
  readonly runId: string;
  /** Where brought-back logs go (the run folder). */
  readonly runFolder: { readonly path: string; folder(name: string): string };
  readonly problem?: (problem: GuestProblem) => void;
  readonly tests?: TestReporting;
  /** Only these tests (Test Explorer's selection); absent: all. */
  readonly onlyTests?: readonly string[];
}

/** One connection for all the guest steps of a run, opened when the first needs it. */
export class GuestSession {
  private opened: Promise<GuestTransport> | undefined;
  deployment: DeployRecord | undefined;

  constructor(private readonly input: GuestStepsInput) {}

  transport(context: StepContext): Promise<GuestTransport> {
    this.opened ??= this.input.access.connect(context).catch((error: unknown) => {
      this.opened = undefined;
      throw connectFailure(error, this.input.access.label);
    });
    return this.opened;
  }

  async call<T>(operation: string, parameters: Readonly<Record<string, unknown>>, context: StepContext, options: Omit<GuestCallOptions, 'signal'> = {}): Promise<T> {
    const transport = await this.transport(context);
    try {
      return await callGuest<T>(transport, operation, parameters, { ...options, signal: context.signal });
    } catch (error) {
      throw guestFailure(error, operation, this.input.access.label);
    }
  }

  /** The deployment this run made, or the last one recorded. */
  current(): DeployRecord {
    this.deployment ??= lastDeploy(this.input.workspaceDir);
    return this.deployment;
  }

  /** Ends the connection: at the end of the run, and after a restart or a checkpoint revert, which take it away. */
  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (opened) await (await opened.catch(() => undefined))?.close();
  }
}

interface Readiness {
  ready: boolean;
  testSigning: boolean;
  secureBoot: string;
  osBuild?: unknown;
  freeBytes: number;
  problems: { code: string; message: string; action: string }[];
}

const PACKAGES_FOLDER = 'packages';
const CERTIFICATE_FOLDER = 'certificate';

/** Deploy: the checkpoint, a guest that can load a test-signed driver, and the signed files in a fresh folder. */
export async function deployPackages(session: GuestSession, input: GuestStepsInput, signed: SigningRecord, context: StepContext): Promise<string> {
  const { report } = context;
  const { access } = input;
  const startedAt = new Date();
  if (input.config.checkpoint) {
    if (!access.revertCheckpoint) throw new StepFailure(`${access.label} has no checkpoints: "checkpoint" applies to a VM target only`, 'Remove "checkpoint" from the driver section of gpupv.json, or target a VM.');
    report.info(await access.revertCheckpoint(input.config.checkpoint, context));
    await session.close();
  }
  let readiness = await session.call<Readiness>('Get-GpuPvGuestReadiness', { thumbprint: signed.identity.thumbprint }, context);
  const blocking = (code: string) => readiness.problems.find((p) => p.code === code);
  const secureBoot = blocking('SecureBootOn');
  if (secureBoot) throw new StepFailure(`${access.label}: ${secureBoot.message}`, secureBoot.action);
  if (blocking('TestSigningOff')) {
    const turnOn = await access.confirm(`Test signing is off in ${access.label}, so Windows refuses the test-signed driver (Code 52). Turn it on (bcdedit /set testsigning on) and restart the guest?`, 'Turn On and Restart');
    if (!turnOn) throw new StepFailure(`Test signing is off in ${access.label}`, 'Turn it on in the guest (bcdedit /set testsigning on, then restart), or let Deploy and Test do it when it asks.');
    report.command('bcdedit /set {current} testsigning on');
    await session.call('Enable-GpuPvTestSigning', {}, context);
    if (!access.restart) throw new StepFailure(`Test signing is on in ${access.label} from its next start`, 'Restart the guest, then run Deploy and Test again.');
    report.info(`Restarting ${access.label} for test signing…`);
    await session.close();
    await access.restart(context);
    readiness = await session.call<Readiness>('Get-GpuPvGuestReadiness', { thumbprint: signed.identity.thumbprint }, context);
    if (blocking('TestSigningOff')) throw new StepFailure(`Test signing is still off in ${access.label} after the restart`, 'Check bcdedit /enum {current} in the guest; a policy or Secure Boot may hold it off.');
  }
  for (const p of readiness.problems) if (p.code === 'LowDiskSpace') report.warning(`${p.message} ${p.action}`);

  const staging = await session.call<{ runId: string; packageFolder: string }>('New-GpuPvStagingFolder', { runId: input.runId }, context);
  const files: StagedFile[] = [];
  const expected = new Map<string, string>();
  const folders = new Map<string, string>();
  for (const pkg of signed.packages) {
    const folder = uniqueFolder(plainName(pkg.name), folders);
    folders.set(folder, pkg.name);
    for (const file of pkg.files) {
      const relativePath = `${folder}/${file.name}`;
      files.push({ localPath: file.path, relativePath, sha256: file.sha256 });
      expected.set(relativePath, file.sha256);
    }
  }
  const cer = signed.identity.cer;
  if (cer) {
    const relativePath = `${CERTIFICATE_FOLDER}/${path.basename(cer)}`;
    const sha256 = await sha256File(cer);
    files.push({ localPath: cer, relativePath, sha256 });
    expected.set(relativePath, sha256);
  }
  const remoteDir = joinGuest(staging.packageFolder, PACKAGES_FOLDER);
  const transport = await session.transport(context);
  report.info(`Copying ${files.length} files to ${remoteDir} in ${access.label}`);
  try {
    const uploaded = await transport.upload(files, remoteDir, {
      signal: context.signal,
      // One guest call hashes every copy and records the package as verified, which the
      // install insists on: a file damaged on the way is never installed.
      hashCheck: async (copied) => {
        const verdict = await session.call<{ files: { path: string; actual: string }[] }>(
          'Test-GpuPvStagedFiles',
          { runId: input.runId, files: copied.map((f) => ({ path: `${PACKAGES_FOLDER}/${f.relativePath}`, sha256: expected.get(f.relativePath) })) },
          context,
        );
        return verdict.files.map((f) => f.actual);
      },
    });
    report.info(`${uploaded.files.length} files (${formatBytes(uploaded.bytes)}) copied and checked in ${(uploaded.durationMs / 1000).toFixed(1)} s`);
  } catch (error) {
    if (isGuestTransportError(error, 'verifyFailed')) throw new StepFailure(error.message, 'A file changed after it was signed: run Sign again (Deploy and Test does).');
    throw guestFailure(error, 'copying the package', access.label);
  }
  if (cer) {
    const trust = await session.call<{ stores: { store: string; added: boolean }[] }>('Add-GpuPvTrustedCertificate', { runId: input.runId, path: `${PACKAGES_FOLDER}/${CERTIFICATE_FOLDER}/${path.basename(cer)}`, thumbprint: signed.identity.thumbprint }, context);
    const added = trust.stores.filter((s) => s.added).map((s) => s.store);
    report.info(added.length ? `The test certificate is now trusted in LocalMachine ${added.join(' and ')}` : 'The test certificate was already trusted');
  } else if (readiness.problems.some((p) => p.code === 'CertificateNotTrusted')) {
    throw new StepFailure(`${access.label} does not trust the signing certificate ${signed.identity.thumbprint}, and only this host's store has it`, 'Sign with a .pfx or the "create" certificate, whose .cer Deploy and Test hands to the guest; or import the certificate into the guest\'s Root and TrustedPublisher stores.');
  }
  const deployment: DeployRecord = {
    runId: input.runId,
    target: access.label,
    deployedAt: startedAt.toISOString(),
    packages: signed.packages.map((pkg) => ({
      name: pkg.name,
      folder: [...folders].find(([, name]) => name === pkg.name)![0],
      infs: pkg.infs.map((inf) => inf.name),
      hardwareIds: pkg.hardwareIds,
      services: [...new Set(pkg.infs.flatMap((inf) => inf.description.installs.flatMap((install) => install.services.map((s) => s.name))))],
    })),
  };
  saveDeploy(input.workspaceDir, deployment);
  session.deployment = deployment;
  return `${signed.packages.length} package(s) copied to ${access.label}, checked, the certificate trusted`;
}

interface InstallResult {
  publishedName: string;
  version: string | null;
  outcome: string;
  message: string;
  rebootRequired: boolean;
  upToDate?: boolean;
  removed: { publishedName: string }[];
}

interface DeviceHealth {
  healthy: boolean;
  devices: {
    hardwareId: string;
    instanceId: string;
    friendlyName: string;
    status: string;
    problemCode: number | null;
    problem: { code: number; name: string | null; message: string; cause: string } | null;
    driverVersion: string | null;
    versionMatches: boolean | null;
    infMatches: boolean | null;
    healthy: boolean;
  }[];
  missing: { hardwareId: string; message: string; action: string }[];
}

/** Install: pnputil adds and installs each staged INF, then every device the package is for is judged. */
export async function installPackages(session: GuestSession, input: GuestStepsInput, signed: SigningRecord | undefined, context: StepContext): Promise<string> {
  const { report } = context;
  const deployment = session.current();
  const lines: string[] = [];
  for (const pkg of deployment.packages) {
    for (const inf of pkg.infs) {
      const staged = `${PACKAGES_FOLDER}/${pkg.folder}/${inf}`;
      report.command(`pnputil /add-driver ${inf} /install`);
      const installed = await session.call<InstallResult>('Install-GpuPvDriverPackage', { runId: deployment.runId, inf: staged, removePrevious: true }, context);
      for (const old of installed.removed) report.info(`Removed the earlier ${old.publishedName}`);
      report.info(`${inf} is ${installed.publishedName}${installed.version ? ` (${installed.version})` : ''}: ${installed.message}`);
      if (installed.rebootRequired) report.warning(`Windows asks for a restart of ${input.access.label} to finish installing ${inf}.`);
      const health = await session.call<DeviceHealth>('Get-GpuPvDeviceHealth', { hardwareIds: pkg.hardwareIds, ...(installed.version ? { expectedVersion: installed.version } : {}), publishedName: installed.publishedName }, context);
      const infFile = signed?.packages.find((p) => p.name === pkg.name)?.infs.find((i) => i.name === inf);
      const lineOf = (hardwareId: string) => infFile?.description.devices.find((d) => d.hardwareId?.toLowerCase() === hardwareId.toLowerCase())?.line;
      for (const device of health.devices) {
        const state = device.healthy ? 'working' : device.problem ? device.problem.message : device.versionMatches === false ? `running driver ${device.driverVersion ?? '?'}, not ${installed.version ?? '?'}` : device.infMatches === false ? `not using ${installed.publishedName}` : device.status;
        report.info(`${device.friendlyName || device.instanceId}: ${state}`);
      }
      if (!health.healthy) {
        const sick = health.devices.find((d) => !d.healthy);
        const missing = health.missing[0];
        const message = sick
          ? `${sick.friendlyName || sick.instanceId} (${sick.hardwareId}): ${sick.problem ? sick.problem.message : sick.versionMatches === false ? `still runs driver ${sick.driverVersion ?? '?'} instead of ${installed.version ?? '?'}` : sick.infMatches === false ? `does not use ${installed.publishedName}` : `status ${sick.status}`}`
          : missing
            ? missing.message
            : `No device of ${pkg.name} was found in ${input.access.label}`;
        const hint = sick?.problem?.cause ?? missing?.action ?? (installed.rebootRequired ? 'Restart the guest to finish the install, then run the install task again.' : 'Check the hardware ids in the INF against the guest\'s devices (Get-PnpDevice).');
        const culprit = sick ?? missing;
        if (infFile) input.problem?.({ file: infFile.path, ...(culprit ? { line: lineOf(culprit.hardwareId) } : {}), severity: 'error', message: `${message}. ${hint}` });
        throw new StepFailure(message, hint);
      }
      lines.push(`${pkg.name}${installed.version ? ` ${installed.version}` : ''} working on ${health.devices.length} device(s)`);
    }
  }
  return lines.join('; ');
}

interface GuestTestResult {
  name: string;
  exitCode: number | null;
  passed: boolean;
  reason: string;
  timedOut: boolean;
  durationMs: number;
  stdout: string[];
  stderr: string[];
  outputTruncated: boolean;
}

/** Test: each configured test in the guest, its output live, judged as gpupv.json says. */
export async function runGuestTests(session: GuestSession, input: GuestStepsInput, context: StepContext): Promise<{ message: string; records: TestResultRecord[] }> {
  const { report } = context;
  const deployment = session.current();
  const selected = input.config.tests.filter((t) => !input.onlyTests || input.onlyTests.includes(t.name));
  if (selected.length === 0) return { message: input.config.tests.length ? 'none of the selected tests is configured' : 'no tests configured (driver.tests in gpupv.json)', records: [] };
  const tracing = input.config.tracing;
  if (tracing) {
    const started = await session.call<{ session: string; etl: string; commands: string[] }>('Start-GpuPvTrace', { runId: deployment.runId, providers: tracing.providers, ...(tracing.tracelog ? { tracelog: tracing.tracelog } : {}) }, context);
    for (const command of started.commands) report.command(command);
    report.info(`Tracing ${tracing.providers.length} provider(s) into ${started.etl} while the tests run`);
  }
  const explorer = input.tests?.begin(selected.map((t) => t.name));
  const records: TestResultRecord[] = [];
  try {
    for (const test of selected) {
      explorer?.started(test.name);
      report.command(describeTest(test));
      let output = '';
      const started = performance.now();
      try {
        const result = await session.call<GuestTestResult>('Invoke-GpuPvGuestTest', { runId: deployment.runId, ...testParameters(test) }, context, {
          // The guest ends the test at its own timeout; this is for a guest that stops answering.
          timeoutMs: (test.timeoutSeconds + 60) * 1000,
          onLive: (_stream, text) => {
            output += text;
            report.output(text);
            explorer?.output(test.name, text);
          },
        });
        const record: TestResultRecord = {
          name: test.name,
          status: result.passed ? 'passed' : result.timedOut ? 'timedOut' : 'failed',
          durationMs: result.durationMs,
          ...(result.exitCode !== null ? { exitCode: result.exitCode } : {}),
          ...(result.passed ? {} : { message: result.reason }),
        };
        records.push(record);
        explorer?.finished(record, output || [...result.stdout, ...result.stderr].join('\n'));
        const verdict = `${test.name}: ${result.reason} (${(result.durationMs / 1000).toFixed(1)} s)`;
        if (result.passed) report.info(verdict);
        else report.warning(verdict);
      } catch (error) {
        const record: TestResultRecord = { name: test.name, status: 'failed', durationMs: performance.now() - started, message: error instanceof Error ? error.message : String(error) };
        explorer?.finished(record, output);
        records.push(record);
        throw error;
      }
    }
  } finally {
    explorer?.end();
    // After a cancel the clean-up stops the trace with the rest of the guest's work.
    if (tracing && !context.signal.aborted) await stopTrace(session, deployment.runId, context);
  }
  const failed = records.filter((r) => r.status !== 'passed');
  if (failed.length) {
    throw new StepFailure(`${failed.length} of ${records.length} test(s) failed: ${failed.map((f) => `${f.name} (${f.message ?? f.status})`).join('; ')}`, 'Their output is above and in the Test Results view; collect-logs brings back what the guest logged.');
  }
  return { message: `${records.length} test(s) passed`, records };
}

interface StoppedTrace {
  readonly started: boolean;
  readonly command: string | null;
  readonly files: readonly { readonly path: string; readonly bytes: number }[];
}

/** Stops the run's trace in the guest (again is harmless); a trace that will not stop is a warning, since the tests' verdict stands. */
async function stopTrace(session: GuestSession, runId: string, context: StepContext): Promise<StoppedTrace | undefined> {
  try {
    const stopped = await session.call<StoppedTrace>('Stop-GpuPvTrace', { runId }, context);
    if (stopped.command) context.report.command(stopped.command);
    return stopped;
  } catch (error) {
    if (context.signal.aborted) throw error;
    context.report.warning(`The trace could not be stopped: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

/** The clean-up after a cancelled or failed test step: the guest's test processes are ended. */
export async function stopGuestWork(session: GuestSession, context: Pick<StepContext, 'report'>): Promise<string | undefined> {
  const deployment = session.deployment;
  if (!deployment) return undefined;
  const signal = new AbortController().signal;
  try {
    const stopped = await session.call<{ condition: string[] }>('Stop-GpuPvGuestWork', { runId: deployment.runId, removeStaged: false, waitForInstallSeconds: 60 }, { signal, report: context.report }, { timeoutMs: 90_000 });
    return stopped.condition.join(' ');
  } catch (error) {
    return `The guest could not be asked to stop its work: ${error instanceof Error ? error.message : String(error)}`;
  }
}

interface SetupApiLog {
  path: string;
  exists: boolean;
  sections: { title: string; start: string | null; exitStatus: string | null; text: string }[];
  truncated: boolean;
}

interface GuestEvents {
  events: { time: string; provider: string; id: number; level: string; message: string }[];
  bugChecks: { time: string; code: string | null; parameters: string[]; dumpPath: string | null; message: string }[];
  dumps: { path: string; name: string; kind: string; size: number; time: string }[];
  bugchecked: boolean;
}

const MAX_DUMP_BYTES = 2 * 1024 ** 3;
const MAX_LOG_BYTES = 16 * 1024 ** 2;
/** A trace grows with every enabled flag; one larger than this is left in the guest, with a note. */
const MAX_TRACE_BYTES = 1024 ** 3;

/** Collect logs: the install's setupapi.dev.log sections, the driver's events and bug checks, dumps and configured logs, into the run folder. */
export async function collectLogs(session: GuestSession, input: GuestStepsInput, context: StepContext): Promise<{ message: string; files: string[] }> {
  const { report } = context;
  const deployment = session.current();
  const logs = input.runFolder.folder('logs');
  const files: string[] = [];
  const keep = (file: string) => files.push(path.relative(input.runFolder.path, file).split(path.sep).join('/'));
  const infs = deployment.packages.flatMap((p) => p.infs);

  const setupApi = await session.call<SetupApiLog>('Get-GpuPvSetupApiLog', { since: deployment.deployedAt, match: infs, maxBytes: 4 * 1024 ** 2 }, context);
  if (setupApi.exists && setupApi.sections.length) {
    const file = path.join(logs, 'setupapi.dev.log');
    writeFileSync(file, setupApi.sections.map((s) => s.text).join('\n'));
    keep(file);
    const failedSections = setupApi.sections.filter((s) => s.exitStatus && !/SUCCESS/i.test(s.exitStatus));
    report.info(`setupapi.dev.log: ${setupApi.sections.length} section(s) since the deploy${failedSections.length ? `, ${failedSections.length} not successful` : ''}${setupApi.truncated ? ' (the oldest left out)' : ''}`);
  } else report.info(setupApi.exists ? 'setupapi.dev.log has nothing about this package since the deploy' : `${setupApi.path} does not exist in the guest`);

  const events = await session.call<GuestEvents>('Get-GpuPvGuestEvents', { since: deployment.deployedAt, services: [...new Set(deployment.packages.flatMap((p) => p.services))], maxEvents: 500 }, context);
  const eventsFile = path.join(logs, 'events.json');
  writeFileSync(eventsFile, `${JSON.stringify(events, null, 2)}\n`);
  keep(eventsFile);
  const errors = events.events.filter((e) => /error|critical/i.test(e.level));
  report.info(`${events.events.length} event(s) of the driver since the deploy${errors.length ? `, ${errors.length} error(s): ${errors[0]!.provider} ${errors[0]!.id}: ${errors[0]!.message.split(/\r?\n/)[0]}` : ''}`);
  for (const bugCheck of events.bugChecks) report.warning(`The guest bugchecked at ${bugCheck.time}: ${bugCheck.code ?? ''} ${bugCheck.message.split(/\r?\n/)[0]}`.trim());

  const transport = await session.transport(context);
  const notes: string[] = [];
  if (events.dumps.length) {
    const dumps = await transport.download(events.dumps.map((d) => ({ remotePath: d.path, maxBytes: MAX_DUMP_BYTES, whenLarger: 'skip' as const })), input.runFolder.folder('dumps'), { signal: context.signal });
    for (const dump of dumps.files) keep(dump.localPath);
    notes.push(...dumps.notes);
  }
  if (input.config.tracing) {
    // Stopped after the tests already; this finds the .etl files, and stops a trace a failed test step left running.
    const trace = await stopTrace(session, deployment.runId, context);
    if (trace?.files.length) {
      const traces = await transport.download(trace.files.map((f) => ({ remotePath: f.path, maxBytes: MAX_TRACE_BYTES, whenLarger: 'skip' as const })), input.runFolder.folder('traces'), { signal: context.signal });
      for (const etl of traces.files) keep(etl.localPath);
      notes.push(...traces.notes);
      if (traces.files.length) report.info(`${traces.files.length} trace file(s) brought back (${formatBytes(traces.files.reduce((sum, f) => sum + f.bytes, 0))}); open them with tracefmt and the driver's PDB, or in WPA`);
    } else if (trace && !trace.started) notes.push('No trace was started in this run: the test step did not run.');
  }
  if (input.config.logs.length) {
    const brought = await transport.download(input.config.logs.map((remotePath) => ({ remotePath, maxBytes: MAX_LOG_BYTES, whenLarger: 'keepTail' as const })), logs, { signal: context.signal });
    for (const log of brought.files) keep(log.localPath);
    notes.push(...brought.notes);
  }
  for (const note of notes) report.info(note);
  return { message: `${files.length} file(s) brought back into ${path.basename(input.runFolder.path)}${events.bugchecked ? '; the guest bugchecked' : ''}`, files };
}

function testParameters(test: DriverTestConfig): Record<string, unknown> {
  const common = { name: test.name, timeoutSeconds: test.timeoutSeconds, successExitCodes: test.exitCodes, ...(test.outputMatches ? { passPattern: test.outputMatches } : {}) };
  const run = test.run;
  switch (run.kind) {
    case 'program':
      return { ...common, kind: 'program', command: run.argv };
    case 'powershell':
      return { ...common, kind: 'powershell', script: run.script, args: run.args };
    case 'taef':
      return { ...common, kind: 'taef', binary: run.binary, ...(run.select ? { select: run.select } : {}) };
  }
}

function describeTest(test: DriverTestConfig): string {
  const run = test.run;
  const line = run.kind === 'program' ? run.argv.join(' ') : run.kind === 'powershell' ? `powershell -File ${[run.script, ...run.args].join(' ')}` : `te.exe ${run.binary}${run.select ? ` /select:${run.select}` : ''}`;
  return `${line}   (test ${test.name}, up to ${test.timeoutSeconds} s, in the guest)`;
}

/** A folder name the guest module accepts for any package name. */
function plainName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+/, '').slice(0, 60) || 'package';
}

function uniqueFolder(base: string, taken: ReadonlyMap<string, string>): string {
  let name = base;
  for (let n = 2; [...taken.keys()].some((k) => k.toLowerCase() === name.toLowerCase()); n++) name = `${base}-${n}`;
  return name;
}

/** Joins under a guest path in its own separator (a Windows guest's, or a stand-in's `/`). */
function joinGuest(folder: string, name: string): string {
  const separator = folder.includes('\\') ? '\\' : '/';
  return `${folder.replace(/[\\/]+$/, '')}${separator}${name}`;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 ** 2 ? `${(bytes / 1024 ** 2).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

function connectFailure(error: unknown, label: string): Error {
  if (error instanceof StepFailure) return error;
  if (isGuestTransportError(error)) {
    const hints: Partial<Record<typeof error.failure, string>> = {
      refused: 'Start the guest\'s OpenSSH server (Start-Service sshd) or check the port in gpupv.json.',
      unreachable: 'Check the host name in gpupv.json and that the guest is on the network.',
      timeout: 'The guest did not answer: is it running and reachable?',
      authFailed: 'Set the guest credentials again (GPU-PV: Configure Driver Deployment).',
      badCredentials: 'Set the guest credentials again (GPU-PV: Configure Driver Deployment).',
      hostKeyChanged: 'The guest presents a different host key than the one trusted: if it was reinstalled, trust the new key in Configure Driver Deployment.',
    };
    return new StepFailure(`${label}: ${error.message}`, hints[error.failure] ?? 'See the GPU-PV log for the connection attempt.');
  }
  return error instanceof Error ? error : new Error(String(error));
}

function guestFailure(error: unknown, what: string, label: string): Error {
  if (error instanceof StepFailure) return error;
  if (error instanceof GuestCallError) return new StepFailure(error.message, error.action);
  if (isGuestTransportError(error)) {
    if (error.failure === 'cancelled') return error;
    if (error.failure === 'connectionLost') return new StepFailure(`${label} went away while ${what === 'copying the package' ? 'the package was copied' : `${what} ran`}: ${error.message}`, 'Check that the guest is still running (a bug check restarts it); collect-logs brings back the dump if there is one.');
    return connectFailure(error, label);
  }
  return error instanceof Error ? error : new Error(String(error));
}
