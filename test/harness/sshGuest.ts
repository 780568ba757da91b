import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './paths';
import { powerShellExecutable } from './powerShellTools';
import { SshServer, type SshServerOptions } from './sshServer';

// A Windows guest reached over SSH, as far as Linux can be one: Debian's real sshd, a guest
// user that is not root, real PowerShell 7, and the guest's stand-in Windows tools
// (test/fakes/windows-guest) acting on one guest document. The guest user cannot enter the
// folder the tests run in (a clone may sit in a 0700 folder), so the guest gets its own
// copies, as a real guest does: PowerShell (hard links where the disk allows) and the
// stand-in modules.

const GUEST_MODULES = path.join(repoRoot, 'test', 'fakes', 'windows-guest', 'modules');

export interface SshGuest {
  readonly server: SshServer;
  /** The guest's own folder, owned by the guest user. */
  readonly root: string;
  /** The guest's PowerShell 7. */
  readonly powerShell: string;
  /** The guest document the stand-in tools read and change. */
  readonly state: string;
  /** What the guest calls %SystemRoot%. */
  readonly windows: string;
  /** A folder the guest user may write, for what the host copies in. */
  readonly work: string;
  stop(): Promise<void>;
}

export async function startSshGuest(options: Pick<SshServerOptions, 'passwordAuthentication'> = {}): Promise<SshGuest> {
  const pwsh = powerShellExecutable();
  if (!pwsh) throw new Error('PowerShell 7 is missing: run `node test/harness/setup.mjs test`');
  const root = mkdtempSync(path.join(tmpdir(), 'gpupv-guest-'));
  chmodSync(root, 0o755);
  const powerShellDir = path.join(root, 'powershell');
  const linked = spawnSync('cp', ['-al', path.dirname(pwsh), powerShellDir]);
  if (linked.status !== 0) cpSync(path.dirname(pwsh), powerShellDir, { recursive: true });
  const modules = path.join(root, 'modules');
  cpSync(GUEST_MODULES, modules, { recursive: true });
  const windows = path.join(root, 'Windows');
  const work = path.join(root, 'work');
  const owned = [root, windows, path.join(windows, 'Temp'), path.join(windows, 'INF'), work];
  for (const folder of owned.slice(1)) mkdirSync(folder, { recursive: true });
  const state = path.join(root, 'guest.json');
  copyFileSync(path.join(repoRoot, 'test', 'fakes', 'windows-guest', 'demoGuest.json'), state);
  let server: SshServer;
  try {
    server = await SshServer.start({ ...options, sessionEnv: { PSModulePath: modules, GPUPV_FAKE_GUEST_STATE: state, SystemRoot: windows, NO_COLOR: '1' } });
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  for (const item of [...owned, state]) chownSync(item, server.uid, server.uid);
  return {
    server,
    root,
    powerShell: path.join(powerShellDir, path.basename(pwsh)),
    state,
    windows,
    work,
    stop: async () => {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
