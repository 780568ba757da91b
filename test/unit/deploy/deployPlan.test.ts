import * as assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runSteps, type RunReporter } from '../../../extension/deploy/pipeline/deployPipeline';
import { planSteps, type DeployPlanInput, type DeployTaskName } from '../../../extension/deploy/pipeline/deployPlan';
import { RunFolder, type TestResultRecord } from '../../../extension/deploy/pipeline/runFolder';
import type { GuestAccess, GuestProblem } from '../../../extension/deploy/steps/guestSteps';
import { connectSshGuest, type SshDeployTarget } from '../../../extension/deploy/transport/sshGuest';
import { parseProtocolConfig } from '../../../extension/protocol/config/protocolConfigParser';
import { driverSection, prepareGuest } from '../../harness/deployWorkspace';
import { repoRoot } from '../../harness/paths';
import { processesRunning } from '../../harness/processes';
import { startSshGuest, type SshGuest } from '../../harness/sshGuest';

// The whole loop in plain Node, every layer real but Windows itself: make and mingw-w64 build
// the sample package, openssl makes the test certificate and osslsigncode signs, Debian's sshd
// carries the guest calls to GpuPvGuest.psm1 in real PowerShell, whose pnputil, certutil and
// Get-PnpDevice are the guest's stand-ins acting on one guest document.

const GUEST_SCRIPTS = { runner: path.join(repoRoot, 'extension', 'deploy', 'guest', 'Invoke-GpuPvGuest.ps1'), module: path.join(repoRoot, 'extension', 'deploy', 'guest', 'GpuPvGuest.psm1') };

interface GuestDocument {
  certificates: Record<string, { thumbprint: string }[]>;
  driverStore: { originalName: string; publishedName: string; version: string }[];
  devices: { instanceId: string; problemCode: number; driver?: { publishedName: string; version: string } }[];
}

describe('Deploy and Test: every step on the real sample package, to a guest over SSH', function () {
  this.timeout(240_000);
  let guest: SshGuest | undefined;
  let workspace: string;

  before(async () => {
    guest = await startSshGuest();
  });
  after(async () => {
    if (guest) await guest.stop();
  });
  beforeEach(() => {
    workspace = mkdtempSync(path.join(tmpdir(), 'gpupv deploy ws '));
    prepareGuest(guest!);
  });
  afterEach(() => rmSync(workspace, { recursive: true, force: true }));

  function reporter(): RunReporter & { text: () => string } {
    const parts: string[] = [];
    return {
      text: () => parts.join('\n'),
      stepStarted: (step) => parts.push(`== ${step}`),
      command: (line) => parts.push(`$ ${line}`),
      output: (text) => parts.push(text),
      info: (message) => parts.push(message),
      warning: (message) => parts.push(`warning: ${message}`),
      stepEnded: (outcome) => parts.push(`-- ${outcome.step} ${outcome.status}: ${outcome.message}${outcome.hint ? ` (${outcome.hint})` : ''}`),
    };
  }

  const secrets = new Map<string, string>();
  function access(): GuestAccess {
    const { server } = guest!;
    const target = parseConfig(driverSection(workspace, guest!)).target as SshDeployTarget;
    return {
      label: `${server.user}@${server.host}`,
      confirm: () => Promise.resolve(false),
      connect: ({ signal }) => connectSshGuest(target, { privateKey: server.userKey.privateKey }, GUEST_SCRIPTS, { hostKeyFingerprint: server.hostKeyFingerprint, signal }),
    };
  }

  function parseConfig(section: Record<string, unknown>) {
    const parsed = parseProtocolConfig(JSON.stringify({ driver: section }));
    assert.deepEqual(parsed.problems.filter((p) => p.severity === 'error').map((p) => p.message), []);
    return parsed.driver!;
  }

  async function run(task: DeployTaskName, section = driverSection(workspace, guest!), extra: Partial<DeployPlanInput> & { abortWhen?: (text: string) => boolean } = {}) {
    const report = reporter();
    const runFolder = new RunFolder(workspace, new Date());
    const records: TestResultRecord[] = [];
    const live: string[] = [];
    const problems: GuestProblem[] = [];
    const abort = new AbortController();
    const plan = planSteps(task, {
      workspaceDir: workspace,
      workspaceName: 'deploy tests',
      config: parseConfig(section),
      platform: 'linux',
      secrets: { get: (key) => Promise.resolve(secrets.get(key)), store: (key, value) => Promise.resolve(void secrets.set(key, value)) },
      access: access(),
      runId: path.basename(runFolder.path),
      runFolder,
      problem: (problem) => problems.push(problem),
      tests: {
        begin: () => ({
          started: () => undefined,
          output: (_name, text) => {
            live.push(text);
            if (extra.abortWhen?.(live.join(''))) abort.abort();
          },
          finished: (record) => records.push(record),
          end: () => undefined,
        }),
      },
      ...extra,
    });
    const result = await runSteps(plan.steps, report, abort.signal);
    await plan.close();
    return { result, report, records, live, problems, runFolder, collected: plan.collectedFiles };
  }

  const guestDocument = () => JSON.parse(readFileSync(guest!.state, 'utf8')) as GuestDocument;
  const sampleDevice = () => guestDocument().devices.find((d) => d.instanceId.includes('DEV_10F0'))!;

  it('deploy-and-test: builds, signs, trusts the certificate, copies, installs, judges the device, tests and brings back the logs', async () => {
    const { result, report, records, live, collected } = await run('deploy-and-test');
    assert.equal(result.status, 'passed', report.text());
    assert.deepEqual(result.steps.map((s) => `${s.step}:${s.status}`), ['build:passed', 'sign:passed', 'deploy:passed', 'install:passed', 'test:passed', 'collect-logs:passed']);
    const text = report.text();
    const fromDeploy = text.slice(text.indexOf('== deploy'));
    assert.match(text, /\$ make --no-print-directory/);
    assert.match(text, /\$ osslsigncode sign/);
    assert.match(fromDeploy, /The test certificate is now trusted in LocalMachine Root and TrustedPublisher/, fromDeploy);
    assert.match(fromDeploy, /files \([\d.]+ KB\) copied and checked/, fromDeploy);
    assert.match(fromDeploy, /\$ pnputil \/add-driver pvsample\.inf \/install/, fromDeploy);
    assert.match(fromDeploy, /GPU-PV Sample Display Adapter: working/, fromDeploy);
    const document = guestDocument();
    const stored = document.driverStore.find((d) => d.originalName === 'pvsample.inf');
    assert.ok(stored, 'pvsample.inf is in the guest\'s driver store');
    assert.equal(sampleDevice().problemCode, 0);
    assert.equal(sampleDevice().driver?.publishedName, stored.publishedName);
    const signing = JSON.parse(readFileSync(path.join(workspace, '.gpupv', 'last-signing.json'), 'utf8')) as { identity: { thumbprint: string } };
    for (const store of ['Root', 'TrustedPublisher']) assert.ok(document.certificates[store]!.some((c) => c.thumbprint === signing.identity.thumbprint), store);
    assert.deepEqual(records.map((r) => `${r.name}:${r.status}`), ['smoke:passed']);
    assert.match(live.join(''), /fence 1 signalled/);
    assert.ok(collected.includes('logs/setupapi.dev.log'), collected.join(', '));
    assert.ok(collected.includes('logs/events.json'));
  });

  it('traces the driver\u2019s WPP providers with tracelog around the tests, and brings the .etl back', async () => {
    const kmd = '8d8a3a9c-5a1b-4f0e-9d2c-7e6f5a4b3c21';
    const section = { ...driverSection(workspace, guest!), tracing: { providers: [kmd, { guid: '{1C2D3E4F-5A6B-4C7D-8E9F-0A1B2C3D4E5F}', flags: '0xFF', level: 4 }] } };
    const { result, report, collected, runFolder } = await run('deploy-and-test', section);
    assert.equal(result.status, 'passed', report.text());
    const text = report.text();
    const start = text.search(new RegExp(`\\$ tracelog\\.exe -start GpuPv_\\S+ -guid #${kmd} -flag 0xFFFFFFFF -level 5 -f \\S+\\.etl`));
    const enable = text.search(/\$ tracelog\.exe -enable GpuPv_\S+ -guid #1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f -flag 0xFF -level 4/);
    const test = text.indexOf('fence 1 signalled');
    const stop = text.search(/\$ tracelog\.exe -stop GpuPv_\S+/);
    assert.ok(start >= 0 && enable > start && test > enable && stop > test, `tracelog starts, enables, the test runs, tracelog stops:\n${text}`);
    const etl = collected.find((file) => file.startsWith('traces/') && file.endsWith('.etl'));
    assert.ok(etl, collected.join(', '));
    const body = readFileSync(path.join(runFolder.path, etl), 'utf8');
    assert.ok(body.includes(kmd) && body.includes('1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f'), body);
    assert.deepEqual(Object.keys((JSON.parse(readFileSync(guest!.state, 'utf8')) as { traceSessions?: object }).traceSessions ?? {}), [], 'no trace session is left running in the guest');
  });

  it('runs the steps as separate tasks, each taking what the one before it recorded', async () => {
    for (const task of ['build', 'sign', 'deploy', 'install'] as const) {
      const { result, report } = await run(task);
      assert.equal(result.status, 'passed', `${task}: ${report.text()}`);
    }
    assert.equal(sampleDevice().problemCode, 0);
    const tests = [
      { name: 'smoke', run: [guest!.powerShell, '-NoProfile', '-Command', "Write-Output 'pvsample OK'"], outputMatches: 'pvsample OK' },
      { name: 'exits 3', run: [guest!.powerShell, '-NoProfile', '-Command', 'exit 3'] },
    ];
    const only = await run('test', driverSection(workspace, guest!, { tests }), { onlyTests: ['smoke'] });
    assert.deepEqual(only.records.map((r) => `${r.name}:${r.status}`), ['smoke:passed']);
    const both = await run('test', driverSection(workspace, guest!, { tests }));
    assert.equal(both.result.status, 'failed');
    assert.deepEqual(both.records.map((r) => `${r.name}:${r.status}:${r.exitCode}`), ['smoke:passed:0', 'exits 3:failed:3']);
    assert.match(both.result.steps[0]!.message, /1 of 2 test\(s\) failed: exits 3 \(exit code 3/);
  });

  it('refuses to copy a file changed after it was signed', async () => {
    for (const task of ['build', 'sign'] as const) assert.equal((await run(task)).result.status, 'passed');
    appendFileSync(path.join(workspace, 'out', 'pvsample_umd.dll'), 'tampered');
    const { result } = await run('deploy');
    assert.equal(result.status, 'failed');
    assert.match(`${result.steps[0]!.message} ${result.steps[0]!.hint}`, /run Sign again/);
  });

  it('a device that fails after install (Code 43) fails the install with the cause, in Problems on the INF, and the logs still come back', async () => {
    prepareGuest(guest!, { problemCodeAfterInstall: 43 });
    const { result, problems, collected } = await run('deploy-and-test');
    assert.equal(result.status, 'failed');
    const install = result.steps.find((s) => s.step === 'install')!;
    assert.equal(install.status, 'failed');
    assert.match(install.message, /Code 43/);
    assert.match(install.hint ?? '', /TDR|host's driver version/);
    assert.deepEqual(result.steps.map((s) => s.status), ['passed', 'passed', 'passed', 'failed', 'skipped', 'passed']);
    assert.equal(problems.length, 1);
    assert.equal(path.basename(problems[0]!.file), 'pvsample.inf');
    const infLines = readFileSync(problems[0]!.file, 'utf8').split(/\r?\n/);
    assert.match(infLines[problems[0]!.line! - 1]!, /PCI\\VEN_1AF4&DEV_10F0/);
    assert.ok(collected.includes('logs/setupapi.dev.log'));
  });

  it('a cancel during a test ends it in the guest and says what the guest was left as', async () => {
    const tests = [{ name: 'hangs', run: [guest!.powerShell, '-NoProfile', '-Command', "Write-Output 'started'; Start-Sleep -Seconds 600"], timeoutSeconds: 900 }];
    for (const task of ['build', 'sign', 'deploy'] as const) assert.equal((await run(task)).result.status, 'passed');
    const { result, live } = await run('test', driverSection(workspace, guest!, { tests }), { abortWhen: (text) => text.includes('started') });
    assert.equal(result.status, 'cancelled');
    assert.match(live.join(''), /started/);
    assert.ok(result.guestCondition.length > 0, 'the summary says what the guest was left as');
    const sleeping = processesRunning('Start-Sleep -Seconds 600').map((p) => `${p.pid}: ${p.commandLine}`);
    assert.deepEqual(sleeping, [], 'the test\'s process in the guest was ended');
  });
});
