import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { codeServerBin } from './paths';

// A real VS Code (code-server) on 127.0.0.1 with its own user, extension and XDG folders.
// It is started as the leader of a new process group so that stopping it takes its
// extension hosts, file watchers and pty host with it.

export interface CodeServerOptions {
  /** Folder for this server's state; created if needed, removed by the caller. */
  readonly stateDir: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Installs the extension at this path (a symlink, as a user's install would look) before start. */
  readonly installExtension?: { readonly id: string; readonly version: string; readonly path: string };
  /** Extra environment, e.g. the run marker. */
  readonly env?: Record<string, string>;
  /** Added to the user settings this server starts with. */
  readonly userSettings?: Record<string, unknown>;
  /**
   * The Remote settings this server starts with. code-server's window is a remote one, and a
   * remote window takes machine and machine-overridable settings (gpupv.powershell.path) from
   * these only: in user settings VS Code drops them once it knows their scope.
   */
  readonly machineSettings?: Record<string, unknown>;
}

const START_TIMEOUT_MS = 60_000;
const USER_SETTINGS = 'user-data/User/settings.json';
const MACHINE_SETTINGS = 'user-data/Machine/settings.json';

/** The user settings file of a server started with this state folder; VS Code reloads it when it changes. */
export function userSettingsFile(stateDir: string): string {
  return path.join(stateDir, USER_SETTINGS);
}

/** Its Remote (machine) settings file, the Settings editor's "Remote" tab. */
export function machineSettingsFile(stateDir: string): string {
  return path.join(stateDir, MACHINE_SETTINGS);
}
const STOP_GRACE_MS = 3_000;

export class CodeServer {
  private exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static async start(options: CodeServerOptions): Promise<CodeServer> {
    if (!existsSync(codeServerBin)) {
      throw new Error(`code-server is not installed at ${codeServerBin}: run "node test/harness/setup.mjs test" first`);
    }
    const dir = options.stateDir;
    for (const sub of ['xdg/config', 'xdg/data', 'xdg/cache', 'user-data/User', 'user-data/Machine', 'extensions']) {
      mkdirSync(path.join(dir, sub), { recursive: true });
    }
    writeFileSync(
      path.join(dir, USER_SETTINGS),
      JSON.stringify({
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        // The demo and test workspaces sit inside this repository's git checkout.
        'git.openRepositoryInParentFolders': 'never',
        ...options.userSettings,
      }),
    );
    writeFileSync(path.join(dir, MACHINE_SETTINGS), JSON.stringify(options.machineSettings ?? {}));
    if (options.installExtension) {
      const { id, version, path: from } = options.installExtension;
      symlinkSync(from, path.join(dir, 'extensions', `${id}-${version}`), 'dir');
    }
    let port = options.port ?? 0;
    if (port === 0) port = await freeLoopbackPort();
    writeFileSync(path.join(dir, 'config.yaml'), `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);

    const logFile = path.join(dir, 'code-server.log');
    const log = openSync(logFile, 'w');
    const child = spawn(
      codeServerBin,
      [
        '--config', path.join(dir, 'config.yaml'),
        '--user-data-dir', path.join(dir, 'user-data'),
        '--extensions-dir', path.join(dir, 'extensions'),
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
      ],
      {
        detached: true, // new process group: see stop()
        stdio: ['ignore', log, log],
        env: {
          ...process.env,
          ...options.env,
          XDG_CONFIG_HOME: path.join(dir, 'xdg/config'),
          XDG_DATA_HOME: path.join(dir, 'xdg/data'),
          XDG_CACHE_HOME: path.join(dir, 'xdg/cache'),
          // No marketplace: these machines reach only loopback.
          EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/none' }),
        },
      },
    );
    closeSync(log);
    const server = new CodeServer(child, `http://127.0.0.1:${port}`, logFile);
    try {
      await server.waitUntilHealthy();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** The workbench URL for a folder, with an optional launch payload (dev extension, tests). */
  workbenchUrl(folder: string, payload?: readonly (readonly [string, string])[]): string {
    const url = new URL(this.baseUrl);
    url.searchParams.set('folder', folder);
    if (payload) url.searchParams.set('payload', JSON.stringify(payload));
    return url.toString();
  }

  /** A path on this machine as the workbench's remote file system names it. */
  remoteUri(localPath: string): string {
    return `vscode-remote://${new URL(this.baseUrl).host}${path.resolve(localPath)}`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM to the whole group, SIGKILL after a grace period: an extension host once outlived SIGTERM. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      this.killGroup('SIGKILL');
      return;
    }
    this.killGroup('SIGTERM');
    const graceOver = new Promise<'grace-over'>((resolve) => setTimeout(() => resolve('grace-over'), STOP_GRACE_MS));
    if ((await Promise.race([this.exited, graceOver])) === 'grace-over') {
      this.killGroup('SIGKILL');
      await this.exited;
    }
    // The leader may exit before its children; sweep the group once more.
    this.killGroup('SIGKILL');
  }

  /** Synchronous last resort for signal and exit handlers. */
  killNow(): void {
    this.killGroup('SIGKILL');
  }

  private killGroup(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // The group is already empty.
    }
  }

  private async waitUntilHealthy(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) {
        throw new Error(`code-server exited with code ${this.child.exitCode} at start:\n${this.logTail()}`);
      }
      try {
        if ((await fetch(`${this.baseUrl}/healthz`)).ok) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`code-server did not answer ${this.baseUrl}/healthz within ${START_TIMEOUT_MS / 1000} s:\n${this.logTail()}`);
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
