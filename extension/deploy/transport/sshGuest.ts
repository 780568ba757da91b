import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../common/logger';
import type { DeployTarget } from '../../protocol/config/driverConfigParser';
import { isGuestTransportError } from './guestTransport';
import { connectSsh, type SshCredentials, type SshTransport } from './sshTransport';

// A guest reached over SSH needs our runner and module in a folder of its own before the first
// call. They go into `<folder>/runner-<hash of both>`: a guest that already has this version
// keeps it (the copy finds the folder and stops), a new version gets a new folder, and two
// workspaces with different versions never overwrite each other's. Pure: no `vscode`.

export type SshDeployTarget = Extract<DeployTarget, { kind: 'ssh' }>;

/** The runner and the module shipped with the extension (extension/deploy/guest). */
export interface GuestScripts {
  readonly runner: string;
  readonly module: string;
}

export interface SshGuestOptions {
  readonly hostKeyFingerprint?: string;
  readonly signal?: AbortSignal;
  readonly log?: Logger;
  readonly connectTimeoutMs?: number;
}

export function sshTargetLabel(target: SshDeployTarget): string {
  return `${target.user}@${target.host}${target.port === 22 ? '' : `:${target.port}`}`;
}

/** Connects and makes sure the guest has this version of the runner; the transport's `run()` then works. */
export async function connectSshGuest(target: SshDeployTarget, credentials: SshCredentials, scripts: GuestScripts, options: SshGuestOptions = {}): Promise<SshTransport> {
  const hash = createHash('sha256');
  for (const file of [scripts.runner, scripts.module]) hash.update(readFileSync(file));
  const runnerDir = `${target.folder.replace(/[\\/]+$/, '')}/runner-${hash.digest('hex').slice(0, 16)}`;
  const transport = await connectSsh(
    { host: target.host, port: target.port, username: target.user, shell: target.shell, ...(options.hostKeyFingerprint ? { hostKeyFingerprint: options.hostKeyFingerprint } : {}) },
    credentials,
    {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.log ? { log: options.log } : {}),
      ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      runner: {
        command: [target.powerShell, '-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', `${runnerDir}/${path.basename(scripts.runner)}`],
      },
    },
  );
  try {
    await transport.upload(
      [scripts.runner, scripts.module].map((file) => ({ localPath: file, relativePath: path.basename(file) })),
      runnerDir,
      options.signal ? { signal: options.signal } : {},
    );
    options.log?.info(`Deploy and Test: the guest module is now in ${runnerDir} of ${transport.target}`);
  } catch (error) {
    if (!isGuestTransportError(error, 'remoteFolderExists')) {
      await transport.close();
      throw error;
    }
  }
  return transport;
}
