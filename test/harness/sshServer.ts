import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expectExitCode, runProcess } from '../../extension/common/processRunner';
import { freeLoopbackPort } from './codeServer';
import { liveProcesses, RUN_MARKER_VARIABLE } from './processes';

// Debian's real sshd on 127.0.0.1 as a throw-away SSH guest for one test: a fresh host key and
// user key made by ssh-keygen, its own config, port and folder, logging to stderr.
//
// It runs in a mount namespace of its own (unshare), where /etc/passwd and /etc/shadow are
// copies that add the guest's user, and /run is an empty folder of ours (sshd insists on
// /run/sshd). So the machine's users are never touched, the password test has a real
// password to check, and the guest user's shell is /bin/sh with no profile scripts in the way.
// The user has a uid no one else has: stop() ends every process of that uid and every one
// carrying this server's marker in its environment, so no session outlives the test.

const SSH_GUEST_USER = 'gpupv-guest';

export interface SshServerOptions {
  /** Allow password logins; the password is on the server object. Default: keys only. */
  readonly passwordAuthentication?: boolean;
  /** Set for every session (sshd's SetEnv), e.g. a stand-in tools folder first on PATH. Values may not hold quotes or line breaks. */
  readonly sessionEnv?: Readonly<Record<string, string>>;
}

export interface SshKeyPair {
  readonly privateKeyFile: string;
  readonly privateKey: Buffer;
  readonly publicKey: string;
  /** As `ssh-keygen -l -E sha256` prints it: `SHA256:…`. */
  readonly fingerprint: string;
}

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const STDERR_LINES = 200;
const SSHD = '/usr/sbin/sshd';
const INSTANCE_VARIABLE = 'GPUPV_SSHD_INSTANCE';
// Fixed text: the paths arrive as arguments, never inside the script.
const NAMESPACE_START = [
  'mount --bind "$1" /etc/passwd',
  'mount --bind "$2" /etc/shadow',
  'mount --bind "$3" /run',
  'mkdir -p /run/sshd',
  'exec "$4" -D -e -f "$5"',
  '',
].join('\n');

/** A key pair made by ssh-keygen in `dir`, optionally protected by a passphrase. */
export async function makeKeyPair(dir: string, name: string, passphrase = ''): Promise<SshKeyPair> {
  const privateKeyFile = path.join(dir, name);
  expectExitCode(await runProcess('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', `gpupv test ${name}`, '-f', privateKeyFile]));
  const listed = expectExitCode(await runProcess('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${privateKeyFile}.pub`]));
  const fingerprint = listed.stdout.split(' ')[1];
  if (!fingerprint?.startsWith('SHA256:')) throw new Error(`ssh-keygen -l printed no SHA256 fingerprint: ${listed.stdout}`);
  return { privateKeyFile, privateKey: readFileSync(privateKeyFile), publicKey: readFileSync(`${privateKeyFile}.pub`, 'utf8').trim(), fingerprint };
}

export class SshServer {
  private readonly stderr: string[] = [];
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly instance: string,
    /** The test's folder; the guest user may write to `home`. */
    readonly dir: string,
    readonly home: string,
    readonly port: number,
    readonly uid: number,
    readonly hostKeyFingerprint: string,
    /** The host key's public half, as a known_hosts line wants it (for OpenSSH's own clients). */
    readonly hostPublicKey: string,
    readonly userKey: SshKeyPair,
    readonly password: string | undefined,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.stderr.push(...text.split('\n').filter(Boolean));
      this.stderr.splice(0, Math.max(0, this.stderr.length - STDERR_LINES));
    });
  }

  readonly host = '127.0.0.1';
  readonly user = SSH_GUEST_USER;

  static async start(options: SshServerOptions = {}): Promise<SshServer> {
    if (process.getuid?.() !== 0) throw new Error('The SSH tests start sshd in a mount namespace of its own, which needs root: run them as root (as CI does).');
    const dir = mkdtempSync(path.join(tmpdir(), 'gpupv-sshd-'));
    try {
      // The guest user must reach its home below this folder, which mkdtemp made private.
      chmodSync(dir, 0o755);
      const uid = unusedUid();
      const home = path.join(dir, 'home');
      mkdirSync(home);
      chownSync(home, uid, uid);
      const run = path.join(dir, 'run');
      mkdirSync(run, { mode: 0o755 });
      const hostKey = await makeKeyPair(dir, 'host_ed25519_key');
      const userKey = await makeKeyPair(dir, 'user_key');
      writeFileSync(path.join(dir, 'authorized_keys'), `${userKey.publicKey}\n`);
      const password = options.passwordAuthentication ? randomBytes(12).toString('base64url') : undefined;
      // The shadow entry always holds a hash: sshd refuses even key logins to an account whose password is locked.
      const hash = expectExitCode(await runProcess('openssl', ['passwd', '-6', '-stdin'], { input: password ?? randomBytes(24).toString('hex') })).stdout.trim();
      writeFileSync(path.join(dir, 'passwd'), `${withoutUser(readFileSync('/etc/passwd', 'utf8'))}${SSH_GUEST_USER}:x:${uid}:${uid}:GPU-PV test guest:${home}:/bin/sh\n`);
      writeFileSync(path.join(dir, 'shadow'), `${withoutUser(readFileSync('/etc/shadow', 'utf8'))}${SSH_GUEST_USER}:${hash}:20000:0:99999:7:::\n`, { mode: 0o600 });
      writeFileSync(path.join(dir, 'start-sshd.sh'), NAMESPACE_START);

      const instance = randomUUID();
      const sessionEnv: Record<string, string> = { [INSTANCE_VARIABLE]: instance, ...options.sessionEnv };
      // Sessions carry the test run's marker too, so the harness's survivor check sees them.
      const runMarker = process.env[RUN_MARKER_VARIABLE];
      if (runMarker) sessionEnv[RUN_MARKER_VARIABLE] = runMarker;

      for (let attempt = 1; ; attempt++) {
        const port = await freeLoopbackPort();
        const config = path.join(dir, 'sshd_config');
        writeFileSync(config, sshdConfig(dir, port, options.passwordAuthentication ?? false, sessionEnv));
        const child = spawn(
          'unshare',
          ['--mount', '--propagation', 'private', '--', '/bin/sh', '-e', path.join(dir, 'start-sshd.sh'), path.join(dir, 'passwd'), path.join(dir, 'shadow'), run, SSHD, config],
          { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, [INSTANCE_VARIABLE]: instance } },
        );
        const server = new SshServer(child, instance, dir, home, port, uid, hostKey.fingerprint, hostKey.publicKey, userKey, password);
        try {
          await server.waitUntilListening();
          return server;
        } catch (error) {
          const log = server.logTail();
          await server.stopProcesses();
          // Another process took the port between the probe and sshd's bind: try a new one.
          if (attempt < 3 && log.includes('Address already in use')) continue;
          throw error;
        }
      }
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Ends sshd and every session it started, then removes the folder. */
  async stop(): Promise<void> {
    await this.stopProcesses();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Kills sshd and its sessions at once, as a crashed or powered-off guest would vanish; the folder stays for stop(). */
  killNow(): void {
    for (const pid of this.processIds()) signal(pid, 'SIGKILL');
  }

  /** The command lines of the guest user's processes now running. */
  sessionProcesses(): string[] {
    return liveProcesses()
      .filter((entry) => entry.uid === this.uid)
      .map((entry) => entry.commandLine);
  }

  logTail(lines = 30): string {
    return this.stderr.slice(-lines).join('\n') || '(sshd wrote nothing)';
  }

  private async stopProcesses(): Promise<void> {
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    for (;;) {
      const left = this.processIds();
      if (left.length === 0) break;
      if (Date.now() > deadline) throw new Error(`sshd processes ${left.join(', ')} survived SIGKILL for ${STOP_TIMEOUT_MS / 1000} s`);
      for (const pid of left) signal(pid, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await this.exited;
  }

  /** sshd, its per-connection children (they carry the marker) and the sessions (the guest's uid). */
  private processIds(): number[] {
    const ids = liveProcesses()
      .filter((entry) => entry.uid === this.uid || entry.environment.includes(`${INSTANCE_VARIABLE}=${this.instance}\0`))
      .map((entry) => entry.pid);
    const leader = this.child.pid;
    if (leader !== undefined && this.child.exitCode === null && this.child.signalCode === null && !ids.includes(leader)) ids.push(leader);
    return ids;
  }

  private async waitUntilListening(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`sshd exited at start (${this.child.exitCode ?? this.child.signalCode}):\n${this.logTail()}`);
      }
      if (await answersWithBanner(this.port)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`sshd did not listen on 127.0.0.1:${this.port} within ${START_TIMEOUT_MS / 1000} s:\n${this.logTail()}`);
  }
}

function sshdConfig(dir: string, port: number, passwords: boolean, sessionEnv: Readonly<Record<string, string>>): string {
  const setEnv = Object.entries(sessionEnv).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || /["\\\r\n]/.test(value)) throw new Error(`${name}=${JSON.stringify(value)} cannot be written into sshd_config's SetEnv`);
    return `"${name}=${value}"`;
  });
  return [
    'ListenAddress 127.0.0.1',
    `Port ${port}`,
    `HostKey ${path.join(dir, 'host_ed25519_key')}`,
    `PidFile ${path.join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    // The folder is in /tmp and owned by root, which StrictModes would reject for the user's keys.
    'StrictModes no',
    'UsePAM no',
    'PubkeyAuthentication yes',
    `PasswordAuthentication ${passwords ? 'yes' : 'no'}`,
    'KbdInteractiveAuthentication no',
    'PermitRootLogin no',
    `AllowUsers ${SSH_GUEST_USER}`,
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'LoginGraceTime 20',
    'LogLevel VERBOSE',
    'Subsystem sftp internal-sftp',
    `SetEnv ${setEnv.join(' ')}`,
    '',
  ].join('\n');
}

function withoutUser(table: string): string {
  const lines = table.split('\n').filter((line) => line && !line.startsWith(`${SSH_GUEST_USER}:`));
  return `${lines.join('\n')}\n`;
}

/** A uid in no passwd entry and running no process, so that it names this server's sessions only. */
function unusedUid(): number {
  const taken = new Set(readFileSync('/etc/passwd', 'utf8').split('\n').map((line) => Number(line.split(':')[2])));
  for (const entry of liveProcesses()) taken.add(entry.uid);
  for (;;) {
    const uid = 200_000 + Math.floor(Math.random() * 800_000);
    if (!taken.has(uid)) return uid;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone already.
  }
}

/** True once something on the port sends an SSH identification line: sshd is ready for clients. */
function answersWithBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (data) => done(data.toString('latin1').startsWith('SSH-')));
  });
}
