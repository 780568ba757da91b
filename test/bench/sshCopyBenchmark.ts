import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { once } from 'node:events';
import { basename, join } from 'node:path';
import { expectExitCode, runProcess } from '../../extension/common/processRunner';
import type { GuestHashCheck, GuestRunResult } from '../../extension/deploy/transport/guestTransport';
import { connectSsh } from '../../extension/deploy/transport/sshTransport';
import { compiledTests } from '../harness/paths';
import { SshServer } from '../harness/sshServer';

// Copy throughput of the Deploy step over SSH on loopback (target ≥ 50 MB/s): a 256 MiB file
// into a fresh folder of Debian's real sshd, through the transport (SFTP writes in flight,
// then the copy read back and hashed). ssh2 is measured twice: as the tests load it (with its
// optional native crypto addon, when npm could build it) and as the extension's bundle ships
// it (Node's own crypto), the latter in a child Node process whose loader refuses the addon.
// The peers, in the same run against the same sshd: OpenSSH's scp (legacy protocol, -O) and
// sftp, each a whole process with its connect. MB are 10^6 bytes; best of RUNS.

const FILE_BYTES = 256 * 1024 * 1024;
const RUNS = 3;
const CHILD_FLAG = '--ssh-copy-child';
// Its own compiled file: runBenchmarks.js bundles this module, so __filename would name that one.
const SELF = join(compiledTests, 'bench', 'sshCopyBenchmark.js');
// Loaded first in the child: the addon and cpu-features fail to load, as they are left out of the bundle.
const WITHOUT_ADDONS = `const Module = require('node:module');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request.endsWith('.node') || request === 'cpu-features') throw new Error('left out of the bundle');
  return load.call(this, request, ...rest);
};
`;

interface CopyTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly fingerprint: string;
  readonly privateKeyFile: string;
  readonly localFile: string;
  readonly remoteDir: string;
  /** How the copy is checked: read back over SFTP (the transport's default), or hashed in the guest by sha256sum as a guest module would. */
  readonly check: 'readBack' | 'inGuest';
}

interface CopyTimes {
  readonly copyMs: number;
  readonly totalMs: number;
  readonly nativeCrypto: boolean;
}

export async function sshCopyBenchmark(dir: string): Promise<[string, string][]> {
  const localFile = join(dir, 'ssh-copy-256MiB.bin');
  await writeRandomFile(localFile, FILE_BYTES);
  const server = await SshServer.start();
  try {
    const target = (run: string, check: CopyTarget['check'] = 'readBack'): CopyTarget => ({
      host: server.host,
      port: server.port,
      user: server.user,
      fingerprint: server.hostKeyFingerprint,
      privateKeyFile: server.userKey.privateKeyFile,
      localFile,
      remoteDir: `${server.home}/bench/${run}`,
      check,
    });
    const clean = (remote: string) => rmSync(remote, { recursive: true, force: true });

    const inProcess = await best(async (i) => {
      const where = target(`native-${i}`);
      try {
        return await copyOnce(where);
      } finally {
        clean(where.remoteDir);
      }
    });
    const hook = join(dir, 'without-addons.js');
    writeFileSync(hook, WITHOUT_ADDONS);
    const asBundled = (check: CopyTarget['check']) =>
      best(async (i) => {
        const where = target(`bundle-${check}-${i}`, check);
        try {
          const child = expectExitCode(await runProcess(process.execPath, ['--require', hook, SELF, CHILD_FLAG, JSON.stringify(where)]));
          return JSON.parse(child.stdout) as CopyTimes;
        } finally {
          clean(where.remoteDir);
        }
      });
    const bundled = await asBundled('readBack');
    const checkedInGuest = await asBundled('inGuest');

    const knownHosts = join(dir, 'ssh-known-hosts');
    writeFileSync(knownHosts, `[${server.host}]:${server.port} ${server.hostPublicKey}\n`);
    const openSsh = ['-i', server.userKey.privateKeyFile, '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes'];
    const peer = async (name: string, command: string, args: (remote: string) => string[]) => {
      try {
        return (await best(async (i) => {
          const remote = `${server.home}/bench/${name}-${i}`;
          try {
            const started = performance.now();
            expectExitCode(await runProcess(command, args(remote)));
            return { copyMs: performance.now() - started, totalMs: performance.now() - started, nativeCrypto: true };
          } finally {
            clean(remote);
          }
        })).copyMs;
      } catch (error) {
        return error instanceof Error ? error.message.split('\n')[0]! : String(error);
      }
    };
    const scpMs = await peer('scp', 'scp', (remote) => ['-q', '-O', '-P', String(server.port), ...openSsh, localFile, `${server.user}@${server.host}:${remote}`]);
    const batch = join(dir, 'sftp-batch');
    const sftpMs = await peer('sftp', 'sftp', (remote) => {
      writeFileSync(batch, `put ${localFile} ${remote}\n`);
      return ['-q', '-b', batch, '-P', String(server.port), ...openSsh, `${server.user}@${server.host}`];
    });

    const rate = (ms: number) => `${(FILE_BYTES / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
    const versus = (ms: number | string) => (typeof ms === 'string' ? ms : `${rate(ms)}; the transport's copy is ${(ms / bundled.copyMs).toFixed(2)}x this`);
    const crypto = (times: CopyTimes) => (times.nativeCrypto ? "ssh2's native crypto addon" : "Node's crypto, as the extension bundle ships it");
    return [
      [`SSH copy of 256 MiB on loopback, copy / copy + read-back hash check (target >= 50 MB/s), ${crypto(bundled)}`, `${rate(bundled.copyMs)} / ${rate(bundled.totalMs)}`],
      [`SSH copy of 256 MiB on loopback, copy / copy + read-back hash check, ${crypto(inProcess)}`, `${rate(inProcess.copyMs)} / ${rate(inProcess.totalMs)}`],
      [`SSH copy of 256 MiB, copy / copy + hash check in the guest (sha256sum, as a guest module checks), ${crypto(checkedInGuest)}`, `${rate(checkedInGuest.copyMs)} / ${rate(checkedInGuest.totalMs)}`],
      ['reference: scp -O (OpenSSH client, whole process), same file and sshd', versus(scpMs)],
      ['reference: sftp put (OpenSSH client, whole process), same file and sshd', versus(sftpMs)],
    ];
  } finally {
    await server.stop();
    rmSync(localFile, { force: true });
  }
}

/** One upload through the transport: when the copy was whole in the guest, and when its check was done. */
async function copyOnce(target: CopyTarget): Promise<CopyTimes> {
  const ssh = await connectSsh({ host: target.host, port: target.port, username: target.user, hostKeyFingerprint: target.fingerprint, shell: 'posix' }, { privateKey: readFileSync(target.privateKeyFile) });
  try {
    const started = performance.now();
    let copied = 0;
    const inGuest: GuestHashCheck = async (files) => {
      let out = '';
      expectZero(await ssh.exec(['sha256sum', ...files.map((file) => file.remotePath)], { onStdout: (text) => (out += text) }));
      return out.trim().split('\n').map((line) => line.split(' ')[0]!);
    };
    await ssh.upload([{ localPath: target.localFile, relativePath: 'package.bin' }], target.remoteDir, {
      onProgress: (progress) => {
        if (progress.phase === 'copy' && progress.fileBytesDone === progress.fileBytes) copied = performance.now();
      },
      ...(target.check === 'inGuest' ? { hashCheck: inGuest } : {}),
    });
    const nativeCrypto = (createRequire(__filename)('ssh2/lib/protocol/crypto.js') as { bindingAvailable: boolean }).bindingAvailable;
    return { copyMs: copied - started, totalMs: performance.now() - started, nativeCrypto };
  } finally {
    await ssh.close();
  }
}

function expectZero(result: GuestRunResult): void {
  if (result.exitCode !== 0) throw new Error(`sha256sum in the guest ended with ${result.exitCode ?? result.signal}`);
}

async function best(run: (index: number) => Promise<CopyTimes>): Promise<CopyTimes> {
  const all: CopyTimes[] = [];
  for (let i = 0; i < RUNS; i++) all.push(await run(i));
  return all.reduce((a, b) => (b.copyMs < a.copyMs ? b : a));
}

async function writeRandomFile(file: string, bytes: number): Promise<void> {
  const out = createWriteStream(file);
  for (let written = 0; written < bytes; written += 1 << 20) {
    if (!out.write(randomBytes(1 << 20))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

if (process.argv[2] === CHILD_FLAG) {
  copyOnce(JSON.parse(process.argv[3]!) as CopyTarget).then(
    (times) => console.log(JSON.stringify(times)),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
} else if (basename(process.argv[1] ?? '') === 'sshCopyBenchmark.js') {
  // On its own: `node out/test/bench/sshCopyBenchmark.js` after `npm run -s build:test`.
  const dir = mkdtempSync(join(tmpdir(), 'gpupv-bench-ssh-'));
  sshCopyBenchmark(dir)
    .then((rows) => {
      const width = Math.max(...rows.map(([k]) => k.length));
      for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
    })
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    })
    .finally(() => rmSync(dir, { recursive: true, force: true }));
}
