import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Settings } from '../../extension/common/contributions';
import { repoRoot } from './paths';
import { linkStandInModules, powerShellExecutable, standInEnvironment } from './powerShellTools';

// Linux has no Hyper-V: the tests and the demo run the real GpuPv.psm1 in real PowerShell,
// with the stand-in modules (test/fakes/hyperv/modules) first on PSModulePath in place of
// Hyper-V, Storage and GpuPvPlatform, acting on a copy of the simulated workstation's state.
// The host it reports says it is simulated, and the view says so.

export const DEMO_HOST_STATE = path.join(repoRoot, 'test', 'fakes', 'hyperv', 'demoHost.json');

export interface SimulatedHyperV {
  readonly stateFile: string;
  readonly callLog: string;
  /** The folder on PSModulePath that holds the stand-in modules (links), so a test can take Hyper-V away. */
  readonly modules: string;
  /** For the server's environment: inherited by every extension host and so by PowerShell. */
  readonly env: Record<string, string>;
  /** For the server's Remote (machine) settings, where a remote window reads gpupv.powershell.path. */
  readonly machineSettings: Record<string, unknown>;
}

export function prepareSimulatedHyperV(dir: string): SimulatedHyperV {
  mkdirSync(dir, { recursive: true });
  const stateFile = path.join(dir, 'simulated-host.json');
  const callLog = path.join(dir, 'simulated-host.calls.jsonl');
  copyFileSync(DEMO_HOST_STATE, stateFile);
  const modules = linkStandInModules(path.join(dir, 'modules'));
  return {
    stateFile,
    callLog,
    modules,
    env: standInEnvironment(stateFile, callLog, modules),
    machineSettings: { [Settings.powershellPath]: powerShellExecutable() },
  };
}

/**
 * Puts a state file back to `text`, with the folders the stand-in keeps beside it (the VMs'
 * disks, the host's Windows folder): they are made again from the document when next used.
 */
export function resetSimulatedState(stateFile: string, text: string): void {
  for (const kind of ['disks', 'host']) rmSync(`${stateFile}.${kind}`, { recursive: true, force: true });
  writeFileSync(stateFile, text);
}

/** The packages in a VM's HostDriverStore, read from its disk's folder as the guest would see them. */
export function guestDriverPackages(stateFile: string, vmId: string): string[] {
  const repo = path.join(`${stateFile}.disks`, vmId.toLowerCase(), 'Windows', 'System32', 'HostDriverStore', 'FileRepository');
  try {
    return readdirSync(repo).sort();
  } catch {
    // No folder yet: the disk was never used, so the guest has the packages its document seeds.
    return [];
  }
}
