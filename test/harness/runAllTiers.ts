import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CodeServer, machineSettingsFile, userSettingsFile } from './codeServer';
import { runExtensionHostSuite } from './extensionHostSuite';
import { runMochaTier } from './mochaTier';
import { runPesterTier } from './pesterTier';
import { prepareSimulatedHyperV, type SimulatedHyperV } from './simulatedHyperV';
import { compiledTests, demoWorkspace, repoRoot, screenshotsDir } from './paths';
import { killAllMarkedSync, killProcesses, RUN_MARKER_VARIABLE, waitForNoProcessesMarkedWith } from './processes';
import { extensionHostTierResult, exitCodeFor, summaryLine, type TierResult } from './tierResults';
import { UiEnvironment } from '../ui/uiEnvironment';

// `npm test` after type-check, lint and build: the three tiers plus the harness's own
// checks, one closing line `N passed, N failed`, exit status 1 on any failure.
//   unit            plain Node, no VS Code
//   powershell      Pester in real PowerShell 7: GpuPv.psm1 against the stand-in Hyper-V module
//   extension host  mocha inside code-server's real extension host
//   ui              Playwright + Chromium against the same code-server
//   harness         a deliberately failing suite is caught; no process outlives the run

const EXTENSION = { id: 'gpupv.gpupv-devkit', path: repoRoot };
/**
 * For development only: `GPUPV_TEST_FILTER=<regex>` runs the suites whose `tier/file` matches
 * (`ui/virtualMachines`, `unit/vms/`, `extension-host`) and skips the harness checks. CI never sets it.
 */
const FILTER = process.env.GPUPV_TEST_FILTER ? new RegExp(process.env.GPUPV_TEST_FILTER) : undefined;
const selected = (name: string) => !FILTER || FILTER.test(name);
// Real PowerShell starts in one to three seconds per session, and the Hyper-V tests start many.
const SUITE_TIMEOUT_MS = 480_000;
const PESTER_TIMEOUT_MS = 600_000;

async function main(): Promise<number> {
  const runId = randomUUID();
  process.env[RUN_MARKER_VARIABLE] = runId; // inherited by every process we start
  const scratch = mkdtempSync(path.join(tmpdir(), 'gpupv-test-'));
  const results: TierResult[] = [];
  let server: CodeServer | undefined;

  const abort = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping code-server, browsers and everything else this run started`);
    server?.killNow();
    // Also what a suite started on its own (the demo test's server, say), found by the marker.
    const survivors = killAllMarkedSync(runId, 3_000);
    if (survivors.length) console.error(`still running: ${survivors.map((p) => p.pid).join(', ')}`);
    removeScratch(scratch);
    process.exit(130);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, abort);
  process.once('exit', () => server?.killNow());

  try {
    heading('unit');
    const unitFiles = compiledFiles('unit', '.test.js');
    if (unitFiles.length) results.push(await runMochaTier('unit', unitFiles, 10_000));

    heading('powershell');
    if (selected('powershell/')) results.push(await runPesterTier(PESTER_TIMEOUT_MS));

    const workspace = path.join(scratch, 'workspace');
    // The tests make their own traces; what `npm run demo` left in demo/traces stays out.
    cpSync(demoWorkspace, workspace, { recursive: true, filter: (source) => source !== path.join(demoWorkspace, 'traces') });
    const hyperV = prepareSimulatedHyperV(path.join(scratch, 'hyperv'));
    server = await startServer(scratch, hyperV);

    heading('extension host');
    if (selected('extension-host')) {
      // A suite that dies before its after-hooks would leave its settings to the UI tier.
      const settingsFiles = [userSettingsFile(serverStateDir(scratch)), machineSettingsFile(serverStateDir(scratch))];
      const settingsBefore = settingsFiles.map((file) => readFileSync(file, 'utf8'));
      const suite = await runExtensionHostSuite(server, {
        extensionPath: EXTENSION.path,
        testsIndex: path.join(compiledTests, 'extension-host', 'index.js'),
        workspace,
        scratchDir: scratch,
        timeoutMs: SUITE_TIMEOUT_MS,
        onLine: (line) => console.log(`  ${line}`),
      });
      results.push(extensionHostTierResult('extension host', suite.exitCode, suite.lines));
      for (const [index, file] of settingsFiles.entries()) if (readFileSync(file, 'utf8') !== settingsBefore[index]) writeFileSync(file, settingsBefore[index]!);
    }

    heading('ui');
    mkdirSync(screenshotsDir, { recursive: true });
    UiEnvironment.export({
      baseUrl: server.baseUrl,
      workspace,
      scratchDir: scratch,
      screenshotsDir,
      userSettings: userSettingsFile(serverStateDir(scratch)),
      hyperVState: hyperV.stateFile,
      hyperVModules: hyperV.modules,
    });
    const uiFiles = compiledFiles('ui', '.ui.js');
    if (uiFiles.length) results.push(await runMochaTier('ui', uiFiles, 90_000));
    if (FILTER) return finish(results);

    heading('harness');
    const harness = new HarnessChecks();
    await harness.check('a deliberately failing extension-host test fails the run', async () => {
      const failing = await runExtensionHostSuite(server!, {
        extensionPath: EXTENSION.path,
        testsIndex: path.join(compiledTests, 'harness', 'fixtures', 'failingSuite', 'index.js'),
        workspace,
        scratchDir: scratch,
        timeoutMs: SUITE_TIMEOUT_MS,
      });
      const counted = extensionHostTierResult('fixture', failing.exitCode, failing.lines);
      assert.equal(failing.exitCode, 1, 'the workbench should report exit code 1');
      assert.deepEqual([counted.passed, counted.failed], [1, 1]);
      assert.equal(exitCodeFor([...results, counted]), 1, 'npm test would not have failed');
    });
    await server.stop();
    server = undefined;
    await harness.check('no process started by the run is left running', async () => {
      const left = await waitForNoProcessesMarkedWith(runId, 5_000);
      killProcesses(left);
      assert.deepEqual(left.map((p) => `${p.pid} ${p.commandLine.slice(0, 120)}`), []);
    });
    results.push(harness.result());
  } catch (error) {
    results.push({ tier: 'harness', passed: 0, failed: 1, failures: [`harness: ${String(error)}`] });
    if (server) console.error(`code-server log (tail):\n${server.logTail()}`);
  } finally {
    await server?.stop();
    removeScratch(scratch);
  }
  return finish(results);
}

function finish(results: TierResult[]): number {
  report(results);
  return exitCodeFor(results);
}

async function startServer(scratch: string, hyperV: SimulatedHyperV): Promise<CodeServer> {
  const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  return CodeServer.start({
    stateDir: serverStateDir(scratch),
    installExtension: { id: EXTENSION.id, version, path: EXTENSION.path },
    env: hyperV.env,
    machineSettings: hyperV.machineSettings,
  });
}

function serverStateDir(scratch: string): string {
  return path.join(scratch, 'server');
}

/** Processes killed a moment ago may still be closing files in it; retry, and never fail the run over it. */
function removeScratch(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  } catch (error) {
    console.error(`could not remove ${dir}: ${String(error)}`);
  }
}

/** Every compiled suite of a tier, in subfolders too (unit/protocol/, unit/ring/, ...). */
function compiledFiles(tier: string, suffix: string): string[] {
  const dir = path.join(compiledTests, tier);
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(suffix) && selected(`${tier}/${f}`))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Checks the harness makes of itself, counted like tests. */
class HarnessChecks {
  private passed = 0;
  private readonly failures: string[] = [];

  async check(title: string, body: () => Promise<void>): Promise<void> {
    try {
      await body();
      this.passed++;
      console.log(`  ✔ ${title}`);
    } catch (error) {
      this.failures.push(`harness: ${title}: ${error instanceof Error ? error.message : String(error)}`);
      console.log(`  ✘ ${title}`);
    }
  }

  result(): TierResult {
    return { tier: 'harness', passed: this.passed, failed: this.failures.length, failures: this.failures };
  }
}

function heading(tier: string): void {
  console.log(`\n── ${tier} ${'─'.repeat(Math.max(0, 60 - tier.length))}`);
}

function report(results: readonly TierResult[]): void {
  heading('summary');
  for (const r of results) console.log(`  ${r.tier.padEnd(16)} ${r.passed} passed, ${r.failed} failed`);
  const failures = results.flatMap((r) => r.failures);
  if (failures.length) console.log(`\nFailures:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
  console.log(`Screenshots: ${path.relative(repoRoot, screenshotsDir)}/`);
  console.log(summaryLine(results));
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
