import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './paths';
import { missingPowerShell, PESTER_MANIFEST, powerShellExecutable } from './powerShellTools';
import type { TierResult } from './tierResults';

// The PowerShell tier: Pester runs test/powershell/*.Tests.ps1 in real PowerShell 7, against
// the real GpuPv.psm1 with the stand-in modules in place of Hyper-V. Without PowerShell or
// Pester the tier fails with what to install; it never counts as passed.

const RUNNER = path.join(repoRoot, 'test', 'powershell', 'runPester.ps1');

export async function runPesterTier(timeoutMs: number, fullName = ''): Promise<TierResult> {
  const tier = 'powershell';
  const missing = missingPowerShell();
  if (missing) return { tier, passed: 0, failed: 1, failures: [`${tier}: ${missing}`] };
  const scratch = mkdtempSync(path.join(tmpdir(), 'gpupv-pester-'));
  const resultFile = path.join(scratch, 'result.json');
  try {
    const args = ['-NoLogo', '-NoProfile', '-NonInteractive', '-File', RUNNER, '-PesterManifest', PESTER_MANIFEST, '-ResultFile', resultFile];
    if (fullName) args.push('-FullName', fullName);
    const outcome = await run(powerShellExecutable(), args, timeoutMs);
    try {
      const summary = JSON.parse(readFileSync(resultFile, 'utf8')) as { passed: number; failed: number; failures: string[] };
      return { tier, passed: summary.passed, failed: summary.failed, failures: summary.failures };
    } catch {
      return { tier, passed: 0, failed: 1, failures: [`${tier}: Pester wrote no results (${outcome})`] };
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Runs PowerShell with its output shown indented; resolves with how it ended. */
function run(executable: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    // Pester colours its output with escape codes unless told not to; a log file wants none.
    const env = process.stdout.isTTY ? process.env : { ...process.env, NO_COLOR: '1' };
    const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    const show = (chunk: Buffer) => process.stdout.write(chunk.toString('utf8').replace(/^(?=.)/gm, '  '));
    child.stdout.on('data', show);
    child.stderr.on('data', show);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve(`could not start: ${error.message}`);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal ? `killed by ${signal} after ${timeoutMs / 1000} s` : `exit code ${code}`);
    });
  });
}
