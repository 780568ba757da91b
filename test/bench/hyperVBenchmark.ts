import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import type { Logger } from '../../extension/common/logger';
import { PowerShellSession } from '../../extension/hyperv/powerShellSession';
import type { StateDocument } from '../fakes/hyperv/stateDocument';
import { linkStandInModules, MODULE_PATH, missingPowerShell, powerShellExecutable, standInEnvironment } from '../harness/powerShellTools';
import { DEMO_HOST_STATE } from '../harness/simulatedHyperV';

// The Virtual Machines view's refresh: one Get-GpuPvInventory of a host with 200 VMs through
// node-powershell and real PowerShell 7, and what a new session costs (spawn + module import).
// The peer, measured in the same run: the same call made inside PowerShell itself, so the
// ratio is what the process boundary and node-powershell's framing add.

const VMS = 200;
const CALLS = 50;
const STARTS = 5;

const quiet: Logger = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export async function hyperVBenchmark(dir: string): Promise<[string, string][]> {
  const missing = missingPowerShell();
  if (missing) return [['Hyper-V inventory round trip', missing]];
  const bench = join(dir, 'hyperv');
  mkdirSync(bench, { recursive: true });
  const stateFile = join(bench, 'state.json');
  const doc = JSON.parse(readFileSync(DEMO_HOST_STATE, 'utf8')) as StateDocument;
  const template = doc.vms[0]!;
  doc.vms = Array.from({ length: VMS }, (_, i) => ({
    ...structuredClone(template),
    id: `5ca1e000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    name: `bench-vm-${String(i).padStart(3, '0')}`,
  }));
  writeFileSync(stateFile, JSON.stringify(doc));
  const env = { ...process.env, ...standInEnvironment(stateFile, join(bench, 'calls.jsonl'), linkStandInModules(join(bench, 'modules')), {}) };
  const open = () =>
    new PowerShellSession({ executable: powerShellExecutable(), modulePath: MODULE_PATH, timeoutMs: 120_000, hostLabel: 'bench', log: quiet, env });

  const starts: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const session = open();
    const started = performance.now();
    // The cheapest call: the module answers it before touching a VM.
    await session.call('Invoke-GpuPvVmAction', { vmName: 'bench-vm-000', action: 'explode' as never }).catch(() => undefined);
    starts.push(performance.now() - started);
    await session.dispose();
  }

  const session = open();
  const times: number[] = [];
  try {
    const first = await session.call('Get-GpuPvInventory', {});
    if (first.vms.length !== VMS) throw new Error(`the inventory lists ${first.vms.length} VMs, not ${VMS}`);
    for (let i = 0; i < CALLS; i++) {
      const started = performance.now();
      await session.call('Get-GpuPvInventory', {});
      times.push(performance.now() - started);
    }
  } finally {
    await session.dispose();
  }
  const inProcess = inProcessMs(env);
  const p50 = percentile(times, 0.5);
  return [
    [`Hyper-V: new session, spawn + GpuPv.psm1 import + one call (median of ${STARTS})`, `${percentile(starts, 0.5).toFixed(0)} ms`],
    [`Hyper-V: Get-GpuPvInventory of ${VMS} VMs through node-powershell + pwsh, p50 / p95 of ${CALLS}`, `${p50.toFixed(0)} / ${percentile(times, 0.95).toFixed(0)} ms`],
    ['reference: the same call inside PowerShell (median of 20)', inProcess === undefined ? 'could not run' : `${inProcess.toFixed(0)} ms; ratio ${(p50 / inProcess).toFixed(2)}x`],
  ];
}

/** The module's own time for the call, measured by PowerShell around it. */
function inProcessMs(env: NodeJS.ProcessEnv): number | undefined {
  const script = [
    `Import-Module -Name '${MODULE_PATH.replace(/'/g, "''")}' -DisableNameChecking`,
    "$e = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('{}'))",
    '$null = Get-GpuPvInventory -EncodedParams $e',
    '$t = foreach ($i in 1..20) { $w = [Diagnostics.Stopwatch]::StartNew(); $null = Get-GpuPvInventory -EncodedParams $e; $w.Elapsed.TotalMilliseconds }',
    '($t | Sort-Object)[10]',
  ].join('; ');
  const run = spawnSync(powerShellExecutable(), ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', script], { env: { ...env, PSModulePath: `${env.PSModulePath}${delimiter}${dirname(MODULE_PATH)}` }, encoding: 'utf8' });
  const value = Number.parseFloat(run.stdout.trim());
  return run.status === 0 && Number.isFinite(value) ? value : undefined;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}
