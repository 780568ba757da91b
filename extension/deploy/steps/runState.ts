import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { StepFailure } from '../pipeline/deployPipeline';
import { STATE_FOLDER, type SigningRecord } from './signStep';

// What one step leaves for the next when they run as separate tasks: `sign` records what it
// signed (with hashes) for `deploy`; `deploy` records the guest's run and the time it began
// for `install`, `test` and `collect-logs`. Kept in the workspace's `.gpupv` folder, written
// whole (a temporary file renamed into place) so a crash never leaves half a record.

export interface DeployRecord {
  /** The guest's staging folder name (GpuPvGuest.psm1's run id). */
  readonly runId: string;
  readonly target: string;
  readonly deployedAt: string;
  /** Each package's folder under the staged package, and its INFs there, `/`-separated. */
  readonly packages: readonly { readonly name: string; readonly folder: string; readonly infs: readonly string[]; readonly hardwareIds: readonly string[]; readonly services: readonly string[] }[];
}

const FILES = { signing: 'last-signing.json', deploy: 'last-deploy.json' } as const;

export function saveSigning(workspaceDir: string, record: SigningRecord): void {
  save(workspaceDir, FILES.signing, record);
}

export function saveDeploy(workspaceDir: string, record: DeployRecord): void {
  save(workspaceDir, FILES.deploy, record);
}

/** The last signing, or a failure that says to run Sign first. */
export function lastSigning(workspaceDir: string): SigningRecord {
  return load(workspaceDir, FILES.signing, 'Nothing has been signed in this workspace yet', 'Run the "sign" task (or Deploy and Test) first.') as SigningRecord;
}

/** The last deployment, or a failure that says to run Deploy first. */
export function lastDeploy(workspaceDir: string): DeployRecord {
  return load(workspaceDir, FILES.deploy, 'No package has been deployed from this workspace yet', 'Run the "deploy" task (or Deploy and Test) first.') as DeployRecord;
}

function save(workspaceDir: string, name: string, value: unknown): void {
  const folder = path.join(workspaceDir, STATE_FOLDER);
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, name);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** The record's JSON as written by save(); only this module writes these files. */
function load(workspaceDir: string, name: string, missing: string, hint: string): unknown {
  const file = path.join(workspaceDir, STATE_FOLDER, name);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new StepFailure(missing, hint);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new StepFailure(`${file} is damaged`, `${hint} It writes the file again.`);
  }
}
