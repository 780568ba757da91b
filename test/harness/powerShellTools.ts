import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './paths';

// Real PowerShell 7 and Pester, as test/harness/setup.mjs installs them (test/powershell/, a
// .NET tool and a NuGet restore), and the stand-in modules that take the place of Hyper-V,
// Storage and GpuPvPlatform on a machine without Windows.

const POWERSHELL_HOME = path.join(repoRoot, 'test', 'powershell');
const LOCAL_POWERSHELL = path.join(POWERSHELL_HOME, 'tools', process.platform === 'win32' ? 'pwsh.exe' : 'pwsh');
export const PESTER_VERSION = '5.7.1';
export const PESTER_MANIFEST = path.join(POWERSHELL_HOME, 'packages', 'pester', PESTER_VERSION, 'tools', 'Pester.psd1');
/** Folder of the stand-in modules; first on PSModulePath wherever the Hyper-V layer is simulated. */
export const STAND_IN_MODULES = path.join(repoRoot, 'test', 'fakes', 'hyperv', 'modules');
export const MODULE_PATH = path.join(repoRoot, 'extension', 'hyperv', 'GpuPv.psm1');

/**
 * The PowerShell 7 the tests run: the one setup installed, else `pwsh`, which the session
 * (findExecutable) and spawn look up on PATH as for any user (Windows without the .NET SDK).
 */
export function powerShellExecutable(): string {
  return existsSync(LOCAL_POWERSHELL) ? LOCAL_POWERSHELL : 'pwsh';
}

/** Why the PowerShell tier cannot run, or undefined when it can. */
export function missingPowerShell(): string | undefined {
  const pwsh = powerShellExecutable();
  if (spawnSync(pwsh, ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', 'exit'], { stdio: 'ignore' }).error) {
    return `PowerShell 7 is not installed (neither ${LOCAL_POWERSHELL} nor pwsh on PATH): run \`npm test\`, whose set-up installs it with the .NET SDK, or put pwsh on PATH`;
  }
  if (!existsSync(PESTER_MANIFEST)) return `Pester ${PESTER_VERSION} is not installed (${PESTER_MANIFEST}): run \`npm test\`, whose set-up restores it from NuGet`;
  return undefined;
}

/** The stand-in modules, one link each in `dir`; a test leaves one out (or takes it away) to simulate its absence. */
export function linkStandInModules(dir: string, without: readonly string[] = []): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(STAND_IN_MODULES)) {
    // A junction needs no privilege on Windows; elsewhere the type is ignored.
    if (!without.includes(name)) symlinkSync(path.join(STAND_IN_MODULES, name), path.join(dir, name), 'junction');
  }
  return dir;
}

/**
 * The environment of a PowerShell that should find the stand-in modules and the state they
 * act on: the stand-ins first on PSModulePath, the state file and the call log beside it.
 */
export function standInEnvironment(
  stateFile: string,
  callLog: string,
  modules: string = STAND_IN_MODULES,
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const inherited = base.PSModulePath ?? base.PSMODULEPATH;
  return {
    PSModulePath: inherited ? `${modules}${path.delimiter}${inherited}` : modules,
    GPUPV_FAKE_HYPERV_STATE: stateFile,
    GPUPV_FAKE_HYPERV_LOG: callLog,
  };
}
