import { copyFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { Settings } from '../../extension/common/contributions';
import { repoRoot } from './paths';

// Linux has no Hyper-V: the tests and the demo give the extension the stand-in PowerShell
// (test/fakes/hyperv) and a copy of the simulated workstation's state, which the stand-in
// changes as actions run. The host it reports says it is simulated, and the view says so.

export const STAND_IN_EXECUTABLE = path.join(repoRoot, 'test', 'fakes', 'hyperv', 'pwsh-standin');
export const DEMO_HOST_STATE = path.join(repoRoot, 'test', 'fakes', 'hyperv', 'demoHost.json');

export interface SimulatedHyperV {
  readonly stateFile: string;
  readonly callLog: string;
  /** For the server's environment: inherited by every extension host and so by the stand-in. */
  readonly env: Record<string, string>;
  /** For the server's user settings. */
  readonly userSettings: Record<string, unknown>;
}

export function prepareSimulatedHyperV(dir: string): SimulatedHyperV {
  mkdirSync(dir, { recursive: true });
  const stateFile = path.join(dir, 'simulated-host.json');
  const callLog = path.join(dir, 'simulated-host.calls.jsonl');
  copyFileSync(DEMO_HOST_STATE, stateFile);
  return {
    stateFile,
    callLog,
    env: { GPUPV_FAKE_HYPERV_STATE: stateFile, GPUPV_FAKE_HYPERV_LOG: callLog },
    userSettings: { [Settings.powershellPath]: STAND_IN_EXECUTABLE },
  };
}
