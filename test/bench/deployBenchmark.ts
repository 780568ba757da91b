import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { expectExitCode, runProcess } from '../../extension/common/processRunner';
import { callGuest } from '../../extension/deploy/guest/guestCall';
import { runSteps, type PlannedStep, type RunReporter, type RunResult } from '../../extension/deploy/pipeline/deployPipeline';
import { planSteps } from '../../extension/deploy/pipeline/deployPlan';
import { RunFolder } from '../../extension/deploy/pipeline/runFolder';
import { connectSshGuest, type SshDeployTarget } from '../../extension/deploy/transport/sshGuest';
import { parseProtocolConfig } from '../../extension/protocol/config/protocolConfigParser';
import { driverSection, prepareGuest } from '../harness/deployWorkspace';
import { repoRoot } from '../harness/paths';
import { startSshGuest } from '../harness/sshGuest';

// Deploy and Test's own cost. The whole loop on the sample package to the SSH guest (make,
// osslsigncode, sshd, real PowerShell and the guest's stand-in tools), each step timed, and
// the step engine's overhead inside it. Then one guest call (the readiness check) through our
// transport, whose runner serves every call of a connection, against OpenSSH's own `ssh`
// client starting the same runner for the same request, which is what a hand-written script
// would do per call.

const RUNS = 3;
const CALLS = 10;
const ENGINE_RUNS = 2_000;
const GUEST_SCRIPTS = { runner: path.join(repoRoot, 'extension', 'deploy', 'guest', 'Invoke-GpuPvGuest.ps1'), module: path.join(repoRoot, 'extension', 'deploy', 'guest', 'GpuPvGuest.psm1') };

const silent: RunReporter = { stepStarted: () => undefined, command: () => undefined, output: () => undefined, info: () => undefined, warning: () => undefined, stepEnded: () => undefined };

export async function deployBenchmark(dir: string): Promise<[string, string][]> {
  const rows: [string, string][] = [];
  const engine = await engineOverhead();
  rows.push([`Deploy and Test: step engine, 6 empty steps (mean of ${ENGINE_RUNS})`, `${(engine * 1000).toFixed(1)} µs per run`]);
  if (process.getuid?.() !== 0) return [...rows, ['Deploy and Test over SSH', 'skipped: the test sshd needs root']];
  const guest = await startSshGuest();
  try {
    const { server } = guest;
    const workspace = mkdtempSync(path.join(dir, 'deploy-ws-'));
    const section = driverSection(workspace, guest);
    const config = parseProtocolConfig(JSON.stringify({ driver: section })).driver!;
    const target = config.target as SshDeployTarget;
    const secrets = new Map<string, string>();
    let best: RunResult | undefined;
    for (let run = 0; run < RUNS; run++) {
      prepareGuest(guest);
      const runFolder = new RunFolder(workspace, new Date());
      const plan = planSteps('deploy-and-test', {
        workspaceDir: workspace,
        workspaceName: 'bench',
        config,
        platform: 'linux',
        secrets: { get: (key) => Promise.resolve(secrets.get(key)), store: (key, value) => Promise.resolve(void secrets.set(key, value)) },
        access: { label: 'bench guest', confirm: () => Promise.resolve(false), connect: ({ signal }) => connectSshGuest(target, { privateKey: server.userKey.privateKey }, GUEST_SCRIPTS, { hostKeyFingerprint: server.hostKeyFingerprint, signal }) },
        runId: path.basename(runFolder.path),
        runFolder,
      });
      const result = await runSteps(plan.steps, silent, new AbortController().signal);
      await plan.close();
      if (result.status !== 'passed') throw new Error(`the benchmark's run ${result.status}: ${result.steps.map((s) => `${s.step} ${s.message}`).join('; ')}`);
      if (!best || result.durationMs < best.durationMs) best = result;
    }
    rows.push([`Deploy and Test over SSH, whole deploy-and-test of the sample (best of ${RUNS})`, `${(best!.durationMs / 1000).toFixed(2)} s`]);
    for (const step of best!.steps) rows.push([`  ${step.step}`, `${(step.durationMs / 1000).toFixed(2)} s`]);
    rows.push(['  step engine overhead in that run', `${best!.overheadMs.toFixed(2)} ms (${((best!.overheadMs / best!.durationMs) * 100).toFixed(3)} %)`]);

    // One guest call, ours on an open connection, against OpenSSH's client per call.
    const transport = await connectSshGuest(target, { privateKey: server.userKey.privateKey }, GUEST_SCRIPTS, { hostKeyFingerprint: server.hostKeyFingerprint });
    const runnerDir = path.join(guest.work, 'gpupv', readdirSync(path.join(guest.work, 'gpupv')).find((name) => name.startsWith('runner-'))!);
    const ours = await median(CALLS, () => callGuest(transport, 'Get-GpuPvGuestReadiness', {}).then(() => undefined));
    await transport.close();
    const knownHosts = path.join(dir, 'deploy-known-hosts');
    writeFileSync(knownHosts, `[${server.host}]:${server.port} ${server.hostPublicKey}\n`);
    const openSsh = await median(CALLS, async () => {
      const result = await runProcess('ssh', ['-i', server.userKey.privateKeyFile, '-p', String(server.port), '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', `${server.user}@${server.host}`, guest.powerShell, '-NoLogo', '-NoProfile', '-NonInteractive', '-File', path.join(runnerDir, 'Invoke-GpuPvGuest.ps1')], { timeoutMs: 60_000, input: 'Get-GpuPvGuestReadiness {}\n' });
      expectExitCode(result);
      if (!result.stdout.includes('GPUPV-RESULT-END')) throw new Error('ssh: no result from the runner');
    });
    rows.push([`one guest call (readiness), ours: the connection's runner serving it (median of ${CALLS})`, `${ours.toFixed(0)} ms`]);
    rows.push(['peer: OpenSSH ssh starting the same runner for the call', `${openSsh.toFixed(0)} ms`]);
    rows.push(['ratio: ours / ssh', `${(ours / openSsh).toFixed(2)}x`]);
    rmSync(workspace, { recursive: true, force: true });
  } finally {
    await guest.stop();
  }
  return rows;
}

/** Milliseconds per run of the engine with steps that do nothing. */
async function engineOverhead(): Promise<number> {
  const steps: PlannedStep[] = (['build', 'sign', 'deploy', 'install', 'test', 'collect-logs'] as const).map((name) => ({ name, run: () => Promise.resolve('done') }));
  const signal = new AbortController().signal;
  for (let i = 0; i < 200; i++) await runSteps(steps, silent, signal);
  const started = performance.now();
  for (let i = 0; i < ENGINE_RUNS; i++) await runSteps(steps, silent, signal);
  return (performance.now() - started) / ENGINE_RUNS;
}

async function median(count: number, once: () => Promise<void>): Promise<number> {
  await once();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await once();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}
