import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isGuestTransportError, type CopyProgress, type GuestTransportFailure, type StagedFile } from '../../../extension/deploy/transport/guestTransport';
import { connectSsh, type SshConnectOptions, type SshCredentials, type SshTransport } from '../../../extension/deploy/transport/sshTransport';
import { HOSTILE_NAMES } from '../../fixtures/hostileNames';
import { freeLoopbackPort } from '../../harness/codeServer';
import { makeKeyPair, SshServer } from '../../harness/sshServer';

// The SSH guest transport against Debian's real sshd on 127.0.0.1 (test/harness/sshServer.ts):
// the guest's files are on this machine too, so each test checks what really arrived.

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function rejectsWith(promise: Promise<unknown>, failure: GuestTransportFailure, message?: RegExp): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isGuestTransportError(error, failure), `expected a ${failure} failure, got ${String(error)}`);
    if (message) assert.match(error.message, message);
    return error;
  }
  assert.fail(`expected a ${failure} failure, but it succeeded`);
}

describe('SSH transport against a real sshd', function () {
  let server: SshServer;
  let tools: string;
  let scratch: string;
  const open: SshTransport[] = [];

  const connect = async (credentials: SshCredentials = { privateKey: server.userKey.privateKey }, options: SshConnectOptions = {}, on = server, fingerprint: string | null = on.hostKeyFingerprint) => {
    const transport = await connectSsh({ host: on.host, port: on.port, username: on.user, ...(fingerprint === null ? {} : { hostKeyFingerprint: fingerprint }), shell: 'posix' }, credentials, options);
    open.push(transport);
    return transport;
  };
  /** A folder in the guest user's home, as the guest names it (it is this machine's path too). */
  const guestFolder = (name: string) => path.join(server.home, name);
  const script = (name: string, body: string) => {
    const file = path.join(tools, name);
    writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return file;
  };
  const waitFor = async (condition: () => boolean, what: string, ms = 3_000) => {
    const deadline = Date.now() + ms;
    while (!condition()) {
      if (Date.now() > deadline) assert.fail(`${what} within ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  before(async function () {
    this.timeout(30_000);
    tools = mkdtempSync(path.join(tmpdir(), 'gpupv-ssh-tools-'));
    chmodSync(tools, 0o755);
    scratch = mkdtempSync(path.join(tmpdir(), 'gpupv-ssh-local-'));
    server = await SshServer.start({ passwordAuthentication: true, sessionEnv: { PATH: `${tools}:/usr/bin:/bin`, GPUPV_FAKE_GUEST_STATE: '/guest state/doc.json' } });
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((transport) => transport.close()));
  });

  after(async () => {
    await server.stop();
    rmSync(tools, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  describe('connecting', () => {
    it('logs in with the user key once the host key matches the fingerprint ssh-keygen printed', async () => {
      const ssh = await connect();
      let out = '';
      const result = await ssh.exec(['id', '-un'], { onStdout: (text) => (out += text) });
      assert.equal(result.exitCode, 0);
      assert.equal(out.trim(), server.user);
      assert.match(server.logTail(), /Accepted publickey for gpupv-guest/);
      assert.equal(ssh.target, `gpupv-guest@127.0.0.1:${server.port} (SSH)`);
    });

    it('on a first connection hands back the host key to trust, before sending any credential', async () => {
      const error = await rejectsWith(connect(undefined, {}, server, null), 'hostKeyUnknown', /not a trusted SSH host yet/);
      assert.ok(isGuestTransportError(error));
      assert.equal(error.presentedHostKey, server.hostKeyFingerprint);
      assert.ok(error.message.includes(server.hostKeyFingerprint));
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.doesNotMatch(server.logTail(200), /Failed publickey|Accepted publickey.*\n.*Accepted publickey/);
    });

    it('a changed host key is a hard failure that names both keys', async () => {
      // Another sshd, another host key, on an address the first key was trusted for.
      const impostor = await SshServer.start();
      try {
        const error = await rejectsWith(connect({ privateKey: impostor.userKey.privateKey }, {}, impostor, server.hostKeyFingerprint), 'hostKeyChanged', /has changed/);
        assert.ok(isGuestTransportError(error));
        assert.equal(error.presentedHostKey, impostor.hostKeyFingerprint);
        assert.ok(error.message.includes(impostor.hostKeyFingerprint) && error.message.includes(server.hostKeyFingerprint));
        assert.doesNotMatch(impostor.logTail(200), /Accepted|Failed publickey/);
      } finally {
        await impostor.stop();
      }
    });

    it('a key the guest does not know is refused with a message that says what to check', async () => {
      const stranger = await makeKeyPair(scratch, 'stranger');
      await rejectsWith(connect({ privateKey: stranger.privateKey }), 'authFailed', /did not accept the credentials.*authorized_keys/);
    });

    it('logs in with a password, and refuses a wrong one', async () => {
      const ssh = await connect({ password: server.password! });
      assert.equal((await ssh.exec(['true'])).exitCode, 0);
      assert.match(server.logTail(), /Accepted password for gpupv-guest/);
      await rejectsWith(connect({ password: `${server.password!}x` }), 'authFailed');
    });

    it('a passphrase-protected key needs its passphrase, and says so', async () => {
      const locked = await makeKeyPair(scratch, 'locked', 'correct horse');
      appendFileSync(path.join(server.dir, 'authorized_keys'), `${locked.publicKey}\n`);
      await rejectsWith(connect({ privateKey: locked.privateKey }), 'badCredentials', /passphrase/);
      const ssh = await connect({ privateKey: locked.privateKey, passphrase: 'correct horse' });
      assert.equal((await ssh.exec(['true'])).exitCode, 0);
    });

    it('a closed port is "refused"', async () => {
      const port = await freeLoopbackPort();
      await rejectsWith(connectSsh({ host: '127.0.0.1', port, username: 'x', shell: 'posix' }, { password: 'x' }), 'refused', new RegExp(`127\\.0\\.0\\.1:${port} was refused: no SSH server listens there`));
    });

    it('an address that never answers times out after the connect timeout', async () => {
      // This machine's network answers every outside address, so the black hole is a listener
      // that accepts and never speaks: to the client the same silence until the deadline.
      const sockets: Socket[] = [];
      const silent: Server = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const { port } = silent.address() as { port: number };
      try {
        const started = performance.now();
        await rejectsWith(connectSsh({ host: '127.0.0.1', port, username: 'x', shell: 'posix' }, { password: 'x' }, { connectTimeoutMs: 400 }), 'timeout', /did not complete an SSH handshake within 0\.40 s/);
        const took = performance.now() - started;
        assert.ok(took >= 350, `gave up after ${took.toFixed(0)} ms, before its 400 ms`);
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      }
    });

    it('can be cancelled while connecting', async () => {
      const controller = new AbortController();
      const connecting = connect(undefined, { signal: controller.signal });
      controller.abort();
      await rejectsWith(connecting, 'cancelled');
    });
  });

  describe('running commands', () => {
    it('streams stdout and stderr as they come and returns the exit code', async () => {
      const ssh = await connect();
      const events: { stream: string; text: string; at: number }[] = [];
      const started = performance.now();
      const result = await ssh.exec(['sh', script('steps.sh', 'echo first\nsleep 0.4\necho "to stderr" >&2\nexit 7')], {
        onStdout: (text) => events.push({ stream: 'out', text, at: performance.now() - started }),
        onStderr: (text) => events.push({ stream: 'err', text, at: performance.now() - started }),
      });
      assert.equal(result.exitCode, 7);
      assert.equal(result.signal, null);
      assert.deepEqual(events.map((e) => `${e.stream}:${e.text}`), ['out:first\n', 'err:to stderr\n']);
      assert.ok(result.durationMs - events[0]!.at > 300, `the first line came only ${(result.durationMs - events[0]!.at).toFixed(0)} ms before the end`);
    });

    it('reports a command ended by a signal', async () => {
      const ssh = await connect();
      const result = await ssh.exec(['sh', script('selfkill.sh', 'kill -TERM $$')]);
      assert.deepEqual([result.exitCode, result.signal], [null, 'SIGTERM']);
    });

    it('sessions get the stand-in tools first on PATH and the stand-ins\' variables', async () => {
      script('gpupv-probe', 'printf "%s|%s" "$GPUPV_FAKE_GUEST_STATE" "$(command -v gpupv-probe)"');
      const ssh = await connect();
      let out = '';
      assert.equal((await ssh.exec(['gpupv-probe'], { onStdout: (text) => (out += text) })).exitCode, 0);
      assert.equal(out, `/guest state/doc.json|${path.join(tools, 'gpupv-probe')}`);
    });

    it('delivers stdin byte for byte and never executes it', async () => {
      const marker = path.join(server.home, 'pwned');
      const probes = [`$(touch ${marker})`, `\`touch ${marker}\``, `; touch ${marker}`, `' ; touch ${marker} ; '`, `" && touch ${marker} "`];
      const text = [...HOSTILE_NAMES, ...probes].join('\n');
      const input = Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from(Array.from({ length: 256 }, (_, i) => i))]);
      const copy = guestFolder('stdin-copy');
      const ssh = await connect();
      let out = '';
      assert.equal((await ssh.exec(['tee', copy], { stdin: input, onStdout: (chunk) => (out += chunk) })).exitCode, 0);
      assert.ok(readFileSync(copy).equals(input), 'the guest received other bytes than were sent');
      assert.ok(out.startsWith(text), 'the echoed text differs');
      assert.equal(existsSync(marker), false, 'a hostile string was executed');
    });

    it('refuses hostile words before anything reaches the guest', async () => {
      const ssh = await connect();
      const logBefore = server.logTail(500);
      for (const name of HOSTILE_NAMES) await rejectsWith(ssh.exec(['echo', name]), 'unsafeArgument');
      assert.equal(server.logTail(500), logBefore);
    });

    /** A guest runner in sh with the contract of Invoke-GpuPvGuest.ps1: each request line kept in `requests`, answered with its pid; `Hang` sleeps, `Die` exits 9. */
    const connectRunner = async (requests: string) => {
      mkdirSync(requests);
      chownSync(requests, server.uid, server.uid);
      const runner = script(
        'guest-runner.sh',
        [
          'n=0',
          'while IFS= read -r line; do',
          '  n=$((n+1)); printf "%s\\n" "$line" > "$1/request-$n"',
          '  case "$line" in Hang*) sleep 100.4230;; Die*) echo dying; exit 9;; esac',
          '  echo "pid $$"; echo GPUPV-RESULT-BEGIN; echo "{\\"ok\\":true}"; echo GPUPV-RESULT-END',
          'done',
        ].join('\n'),
      );
      const ssh = await connectSsh({ host: server.host, port: server.port, username: server.user, hostKeyFingerprint: server.hostKeyFingerprint, shell: 'posix' }, { privateKey: server.userKey.privateKey }, { runner: { command: ['sh', runner, requests] } });
      open.push(ssh);
      const call = async (operation: string, parameters: Record<string, unknown> = {}, options: { signal?: AbortSignal; timeoutMs?: number } = {}) => {
        let out = '';
        const result = await ssh.run({ operation, parameters }, { ...options, onStdout: (text) => (out += text) });
        return { result, out, pid: /^pid (\d+)$/m.exec(out)?.[1] };
      };
      return { ssh, call };
    };
    const runnersRunning = () => server.sessionProcesses().filter((line) => line.includes('guest-runner.sh'));

    it('guest calls go to one runner, their parameters arriving verbatim as data on its stdin', async () => {
      const requests = guestFolder('requests');
      const { call } = await connectRunner(requests);
      const marker = path.join(server.home, 'pwned-by-call');
      const parameters = { names: HOSTILE_NAMES, probe: `$(touch ${marker})`, inf: 'C:\\Drivers\\pvgpu.inf', n: 3 };
      const sessionsBefore = server.logTail(1000).split('\n').filter((line) => line.includes('Starting session: command')).length;
      const first = await call('Install-GpuPvDriverPackage', parameters);
      const second = await call('Get-GpuPvDeviceHealth', { hardwareIds: ['PCI\\VEN_1AF4&DEV_10F0'] });
      assert.equal(first.result.exitCode, 0);
      assert.match(first.out, /GPUPV-RESULT-END\n$/);
      assert.ok(first.pid && first.pid === second.pid, `one runner serves both calls: ${first.pid} and ${second.pid}`);
      const request = readFileSync(path.join(requests, 'request-1'), 'utf8').replace(/\n$/, '');
      assert.match(request, /^Install-GpuPvDriverPackage \{/);
      assert.match(request, /^[\x20-\x7e]*$/, 'the request line is printable ASCII');
      assert.deepEqual(JSON.parse(request.slice('Install-GpuPvDriverPackage '.length)), parameters);
      assert.equal(existsSync(marker), false);
      const sessionsAfter = server.logTail(1000).split('\n').filter((line) => line.includes('Starting session: command')).length;
      assert.equal(sessionsAfter - sessionsBefore, 1, 'one SSH session for both calls');
    });

    it('a runner command that is not plain words is refused before anything runs in the guest', async () => {
      const ssh = await connectSsh({ host: server.host, port: server.port, username: server.user, hostKeyFingerprint: server.hostKeyFingerprint, shell: 'posix' }, { privateKey: server.userKey.privateKey }, { runner: { command: ['sh', path.join(server.home, 'runner of mine.sh')] } });
      open.push(ssh);
      const logBefore = server.logTail(500);
      await rejectsWith(ssh.run({ operation: 'Get-GpuPvGuestReadiness', parameters: {} }), 'unsafeArgument', /runner of mine/);
      assert.equal(server.logTail(500), logBefore);
    });

    it('a cancelled call stops its runner in the guest, and the next call gets a new one', async () => {
      const { call } = await connectRunner(guestFolder('requests-cancel'));
      const before = await call('Get-GpuPvGuestReadiness');
      const controller = new AbortController();
      const hanging = call('Hang', {}, { signal: controller.signal });
      await waitFor(() => server.sessionProcesses().some((line) => line.includes('sleep 100.4230')), 'the call did not start in the guest');
      controller.abort();
      await rejectsWith(hanging, 'cancelled', /Hang in .* was cancelled and stopped/);
      assert.deepEqual(runnersRunning(), []);
      const after = await call('Get-GpuPvGuestReadiness');
      assert.ok(after.pid && after.pid !== before.pid, `a new runner: ${before.pid} then ${after.pid}`);
    });

    it('a call past its time limit stops the runner and is reported as a timeout', async () => {
      const { call } = await connectRunner(guestFolder('requests-timeout'));
      await rejectsWith(call('Hang', {}, { timeoutMs: 300 }), 'timeout', /Hang in .* did not finish within 0\.30 s and was stopped/);
      assert.deepEqual(runnersRunning(), []);
      assert.equal((await call('Get-GpuPvGuestReadiness')).result.exitCode, 0);
    });

    it('a runner that dies in a call hands its exit code and output to that call; the next call gets a new one', async () => {
      const { call } = await connectRunner(guestFolder('requests-die'));
      const died = await call('Die');
      assert.equal(died.result.exitCode, 9);
      assert.equal(died.out, 'dying\n');
      assert.equal((await call('Get-GpuPvGuestReadiness')).result.exitCode, 0);
    });

    it('closing the connection ends an idle runner through its stdin', async () => {
      const { ssh, call } = await connectRunner(guestFolder('requests-close'));
      await call('Get-GpuPvGuestReadiness');
      assert.equal(runnersRunning().length, 1);
      await ssh.close();
      await waitFor(() => runnersRunning().length === 0, 'the runner did not end');
    });

    it('closing the connection stops a command still running in the guest, which says so', async () => {
      const ssh = await connect();
      // Judged from the start, so that its rejection is handled while close() is awaited.
      const running = rejectsWith(ssh.exec(['sleep', '100.4222']), 'connectionLost', /was closed while running sleep, which was stopped/);
      await waitFor(() => server.sessionProcesses().some((line) => line.includes('sleep 100.4222')), 'sleep did not start in the guest');
      await ssh.close();
      await running;
      assert.deepEqual(server.sessionProcesses().filter((line) => line.includes('sleep 100.4222')), []);
      await rejectsWith(ssh.exec(['true']), 'connectionLost');
    });

    it('cancel stops the command in the guest: the process is gone when the call returns', async () => {
      const ssh = await connect();
      const controller = new AbortController();
      const running = ssh.exec(['sleep', '100.4217'], { signal: controller.signal });
      await waitFor(() => server.sessionProcesses().some((line) => line.includes('sleep 100.4217')), 'sleep did not start in the guest');
      controller.abort();
      await rejectsWith(running, 'cancelled', /sleep in .* was cancelled and stopped/);
      assert.deepEqual(server.sessionProcesses().filter((line) => line.includes('sleep 100.4217')), []);
      // The connection is still good for the next step.
      assert.equal((await ssh.exec(['true'])).exitCode, 0);
    });

    it('a command that ignores TERM is killed', async function () {
      this.timeout(8_000);
      const ssh = await connect();
      const controller = new AbortController();
      const running = ssh.exec(['sh', script('stubborn.sh', "trap '' TERM\nexec sleep 100.4218")], { signal: controller.signal });
      await waitFor(() => server.sessionProcesses().some((line) => line.includes('sleep 100.4218')), 'sleep did not start in the guest');
      controller.abort();
      await rejectsWith(running, 'cancelled');
      assert.deepEqual(server.sessionProcesses().filter((line) => line.includes('sleep 100.4218')), []);
    });

    it('a command past its time limit is stopped and reported as a timeout', async () => {
      const ssh = await connect();
      await rejectsWith(ssh.exec(['sleep', '100.4219'], { timeoutMs: 300 }), 'timeout', /did not finish within 0\.30 s and was stopped/);
      assert.deepEqual(server.sessionProcesses().filter((line) => line.includes('sleep 100.4219')), []);
    });
  });

  describe('copying a package', () => {
    const stage = (name: string, data: Buffer, relativePath = name): StagedFile & { data: Buffer } => {
      const localPath = path.join(scratch, name.replaceAll('/', '_'));
      writeFileSync(localPath, data);
      return { localPath, relativePath, data };
    };

    it('copies a few MB into a fresh folder, every file hashed in the guest, hostile names included', async () => {
      const files = [
        stage('pvgpu.sys', randomBytes(3 * 1024 * 1024 + 17)),
        stage('empty.cat', Buffer.alloc(0)),
        ...HOSTILE_NAMES.filter((name) => name && !/[\\:/]/.test(name)).map((name, i) => stage(`hostile-${i}`, randomBytes(1000 + i), `umd/${name}.dll`)),
      ];
      const progress: CopyProgress[] = [];
      const remoteDir = guestFolder('runs/20261202-1200-ab12');
      const ssh = await connect();
      const result = await ssh.upload(files, remoteDir, { onProgress: (p) => progress.push(p) });
      assert.equal(result.remoteDir, remoteDir);
      assert.equal(result.bytes, files.reduce((sum, f) => sum + f.data.length, 0));
      for (const [i, file] of files.entries()) {
        const uploaded = result.files[i]!;
        assert.equal(uploaded.remotePath, `${remoteDir}/${file.relativePath}`);
        assert.equal(uploaded.sha256, sha256(file.data));
        assert.ok(readFileSync(uploaded.remotePath).equals(file.data), `${file.relativePath} differs in the guest`);
      }
      // Every file's last report says it is whole, first while copying, then while verifying.
      for (const phase of ['copy', 'verify'] as const) {
        for (const file of files) {
          const last = progress.filter((p) => p.phase === phase && p.relativePath === file.relativePath).at(-1);
          assert.equal(last?.fileBytesDone, file.data.length, `${phase} ${file.relativePath}`);
        }
      }
      assert.ok(progress.findIndex((p) => p.phase === 'verify') > progress.findLastIndex((p) => p.phase === 'copy'));
    });

    it('refuses a folder that exists and leaves it as it was', async () => {
      const remoteDir = guestFolder('runs/existing');
      mkdirSync(remoteDir, { recursive: true });
      writeFileSync(path.join(remoteDir, 'earlier.sys'), 'earlier');
      const ssh = await connect();
      await rejectsWith(ssh.upload([stage('new.sys', randomBytes(10))], remoteDir), 'remoteFolderExists', /already exists/);
      assert.deepEqual(readdirNames(remoteDir), ['earlier.sys']);
    });

    it('detects a copy corrupted in the guest, and removes it', async () => {
      const big = stage('corrupt-me.sys', randomBytes(2 * 1024 * 1024));
      const remoteDir = guestFolder('runs/corrupted');
      const ssh = await connect();
      const error = await rejectsWith(
        ssh.upload([big], remoteDir, {
          onProgress: (p) => {
            // The file is whole and closed in the guest now: flip a byte before it is checked.
            if (p.phase === 'copy' && p.fileBytesDone === p.fileBytes) {
              const fd = openSync(`${remoteDir}/corrupt-me.sys`, 'r+');
              writeSync(fd, Buffer.from([big.data[12345]! ^ 0xff]), 0, 1, 12345);
              closeSync(fd);
            }
          },
        }),
        'verifyFailed',
        /differs from what was sent: corrupt-me\.sys/,
      );
      assert.match(error.message, /was removed/);
      assert.equal(existsSync(remoteDir), false);
    });

    it('refuses a staged file whose hash no longer matches what was staged', async () => {
      const file = { ...stage('changed.sys', randomBytes(4096)), sha256: '0'.repeat(64) };
      const remoteDir = guestFolder('runs/changed');
      const ssh = await connect();
      await rejectsWith(ssh.upload([file], remoteDir), 'verifyFailed', /changed after the package was staged/);
      assert.equal(existsSync(remoteDir), false);
    });

    it('a hash check of the caller\'s own replaces reading the copy back (here: sha256sum in the guest)', async () => {
      const files = [stage('a.sys', randomBytes(70_000)), stage('b.dll', randomBytes(5))];
      const ssh = await connect();
      const checked: string[] = [];
      const result = await ssh.upload(files, guestFolder('runs/checked-by-guest'), {
        hashCheck: async (copied) => {
          let out = '';
          await ssh.exec(['sha256sum', ...copied.map((file) => file.remotePath)], { onStdout: (text) => (out += text) });
          checked.push(...copied.map((file) => file.relativePath));
          return out.trim().split('\n').map((line) => line.split(' ')[0]!);
        },
      });
      assert.deepEqual(checked, ['a.sys', 'b.dll']);
      assert.deepEqual(result.files.map((f) => f.sha256), files.map((f) => sha256(f.data)));
    });

    it('cancel in the middle removes the partial file and the folder', async () => {
      const big = stage('cancel-me.sys', randomBytes(32 * 1024 * 1024));
      const remoteDir = guestFolder('runs/cancelled');
      const controller = new AbortController();
      const ssh = await connect();
      let sentWhenCancelled = 0;
      const error = await rejectsWith(
        ssh.upload([big], remoteDir, {
          signal: controller.signal,
          onProgress: (p) => {
            if (p.phase === 'copy' && !controller.signal.aborted && p.fileBytesDone > 0) {
              sentWhenCancelled = p.fileBytesDone;
              controller.abort();
            }
          },
        }),
        'cancelled',
      );
      assert.ok(sentWhenCancelled > 0 && sentWhenCancelled < big.data.length, `cancelled after ${sentWhenCancelled} bytes`);
      assert.match(error.message, /was removed/);
      assert.equal(existsSync(remoteDir), false);
    });

    it('a guest that dies mid-copy gives a clear error and no copy is claimed done', async function () {
      this.timeout(15_000);
      const dying = await SshServer.start();
      try {
        const big = stage('lost.sys', randomBytes(64 * 1024 * 1024));
        const remoteDir = path.join(dying.home, 'runs', 'lost');
        const ssh = await connect({ privateKey: dying.userKey.privateKey }, {}, dying);
        // Judged from the start, so that its rejection is handled while the copy is awaited.
        const command = rejectsWith(ssh.exec(['sleep', '100.4220']), 'connectionLost', /was lost while running sleep/);
        await waitFor(() => dying.sessionProcesses().some((line) => line.includes('sleep 100.4220')), 'sleep did not start in the guest');
        const error = await rejectsWith(
          ssh.upload([big], remoteDir, {
            onProgress: (p) => {
              if (p.fileBytesDone > 4 * 1024 * 1024) dying.killNow();
            },
          }),
          'connectionLost',
          /was lost while copying lost\.sys/,
        );
        assert.match(error.message, /may hold a partial copy: it is not installed/);
        // The command that ran meanwhile learns of it too, and so does the next step.
        await command;
        await rejectsWith(ssh.exec(['true']), 'connectionLost');
      } finally {
        await dying.stop();
      }
    });
  });

  describe('bringing logs back', () => {
    it('brings logs back within their size limits, saying what was cut or skipped', async () => {
      const logs = guestFolder('Windows/INF');
      const dumps = guestFolder('Windows/Minidump');
      mkdirSync(logs, { recursive: true });
      mkdirSync(dumps, { recursive: true });
      const setupapi = Buffer.from(Array.from({ length: 6000 }, (_, i) => `>>>  [Device Install ${i}]\n`).join(''));
      writeFileSync(path.join(logs, 'setupapi.dev.log'), setupapi);
      writeFileSync(path.join(dumps, 'big.dmp'), randomBytes(100_000));
      const small = randomBytes(900);
      writeFileSync(path.join(dumps, 'small.dmp'), small);
      writeFileSync(path.join(dumps, 'not-a-dump.txt'), 'x');
      const local = path.join(scratch, 'run-logs');
      const ssh = await connect();
      const result = await ssh.download(
        [
          { remotePath: `${logs}/setupapi.dev.log`, maxBytes: 64 * 1024, whenLarger: 'keepTail' },
          { remotePath: `${dumps}/*.dmp`, maxBytes: 1024, whenLarger: 'skip' },
          { remotePath: `${logs}/setupapi.app.log`, maxBytes: 1024, whenLarger: 'keepTail' },
        ],
        local,
      );
      assert.deepEqual(result.files.map((f) => [path.basename(f.localPath), f.remoteBytes, f.bytes, f.truncated]), [
        ['setupapi.dev.log', setupapi.length, 64 * 1024, true],
        ['small.dmp', 900, 900, false],
      ]);
      assert.ok(readFileSync(path.join(local, 'setupapi.dev.log')).equals(setupapi.subarray(setupapi.length - 64 * 1024)), 'the kept tail differs');
      assert.ok(readFileSync(path.join(local, 'small.dmp')).equals(small));
      assert.equal(result.notes.length, 3);
      assert.match(result.notes[0]!, /setupapi\.dev\.log is 1[0-9.]+ KB, more than the 64 KB allowed for it: only its last 64 KB were brought back/);
      assert.match(result.notes[1]!, /big\.dmp is 97\.7 KB, more than the 1 KB allowed for it, and was not brought back/);
      assert.match(result.notes[2]!, /setupapi\.app\.log was not found/);
    });

    it('gives guest files with hostile names a safe local name, keeping their bytes', async () => {
      const folder = guestFolder('hostile-logs');
      mkdirSync(folder);
      const names = HOSTILE_NAMES.filter((name) => name && !name.includes('/'));
      assert.ok(names.some((name) => name.includes('\n')) && names.some((name) => name.includes('\\')));
      for (const [i, name] of names.entries()) writeFileSync(path.join(folder, `${name}.log`), `log ${i}`);
      const local = path.join(scratch, 'hostile-run');
      const ssh = await connect();
      const result = await ssh.download([{ remotePath: `${folder}/*.log`, maxBytes: 1024, whenLarger: 'skip' }], local);
      assert.equal(result.files.length, names.length);
      for (const file of result.files) {
        assert.equal(path.dirname(file.localPath), local);
        assert.doesNotMatch(path.basename(file.localPath), /[<>:"|?*\r\n]/);
        const index = names.findIndex((name) => `${folder}/${name}.log` === file.remotePath);
        assert.equal(readFileSync(file.localPath, 'utf8'), `log ${index}`);
      }
    });
  });
});

function readdirNames(folder: string): string[] {
  return readdirSync(folder).sort();
}
