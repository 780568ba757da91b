import * as assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { callGuest, GuestCallError } from '../../../extension/deploy/guest/guestCall';
import { connectSshGuest } from '../../../extension/deploy/transport/sshGuest';
import type { SshTransport } from '../../../extension/deploy/transport/sshTransport';
import { repoRoot } from '../../harness/paths';
import { buildSamplePackage } from '../../harness/samplePackage';
import { startSshGuest, type SshGuest } from '../../harness/sshGuest';

// Every layer of a guest call over SSH, for real but for Windows itself: the host's reader of
// the contract, the SSH transport, Debian's sshd, the shipped runner Invoke-GpuPvGuest.ps1 and
// GpuPvGuest.psm1 in real PowerShell 7, and below them the stand-ins for the guest's Windows
// tools (test/fakes/windows-guest) acting on one guest document.

const GUEST = path.join(repoRoot, 'extension', 'deploy', 'guest');

interface Readiness {
  ready: boolean;
  testSigning: boolean;
  secureBoot: string;
  problems: { code: string }[];
}

describe('Deploy and Test over SSH: the guest module through a real sshd and real PowerShell', function () {
  this.timeout(120_000);
  // Undefined until before() got that far, which after() must allow for.
  let guest: SshGuest | undefined;
  let local: string | undefined;
  let connected: SshTransport | undefined;
  const ssh = () => connected!;
  const hostFolder = () => local!;

  before(async function () {
    guest = await startSshGuest();
    const { server } = guest;
    // The runner and the module go in as the product sends them: connectSshGuest copies them
    // into a folder named after their hash, then calls run through them.
    connected = await connectSshGuest(
      { kind: 'ssh', host: server.host, port: server.port, user: server.user, shell: 'posix', powerShell: guest.powerShell, folder: `${guest.work}/gpupv` },
      { privateKey: server.userKey.privateKey },
      { runner: path.join(GUEST, 'Invoke-GpuPvGuest.ps1'), module: path.join(GUEST, 'GpuPvGuest.psm1') },
      { hostKeyFingerprint: server.hostKeyFingerprint },
    );
    local = mkdtempSync(path.join(tmpdir(), 'gpupv-host-'));
  });

  after(async () => {
    if (connected) await connected.close();
    if (guest) await guest.stop();
    if (local) rmSync(local, { recursive: true, force: true });
  });

  it('copies the runner once per version: a second connection finds it and reuses it', async () => {
    const { server } = guest!;
    const again = await connectSshGuest(
      { kind: 'ssh', host: server.host, port: server.port, user: server.user, shell: 'posix', powerShell: guest!.powerShell, folder: `${guest!.work}/gpupv` },
      { privateKey: server.userKey.privateKey },
      { runner: path.join(GUEST, 'Invoke-GpuPvGuest.ps1'), module: path.join(GUEST, 'GpuPvGuest.psm1') },
      { hostKeyFingerprint: server.hostKeyFingerprint },
    );
    try {
      const runners = readdirSync(path.join(guest!.work, 'gpupv'));
      assert.equal(runners.length, 1, runners.join(', '));
      assert.match(runners[0]!, /^runner-[0-9a-f]{16}$/);
      const readiness = await callGuest<Readiness>(again, 'Get-GpuPvGuestReadiness', {});
      assert.equal(readiness.testSigning, true);
    } finally {
      await again.close();
    }
  });

  it('reads the guest\u2019s readiness: test signing, Secure Boot and the certificate', async () => {
    const readiness = await callGuest<Readiness>(ssh(), 'Get-GpuPvGuestReadiness', { thumbprint: '0123456789ABCDEF0123456789ABCDEF01234567' });
    assert.equal(readiness.testSigning, true);
    assert.equal(readiness.secureBoot, 'off');
    assert.deepEqual(readiness.problems.map((p) => p.code), ['CertificateNotTrusted'], 'an unknown certificate is the one thing missing');
    assert.equal(readiness.ready, false);
  });

  it('copies the real sample package into a fresh staging folder and the guest checks every hash', async () => {
    const pkg = await buildSamplePackage(path.join(hostFolder(), 'build'));
    const staging = await callGuest<{ runId: string; packageFolder: string }>(ssh(), 'New-GpuPvStagingFolder', { runId: 'run-1' });
    const files = [pkg.sys, pkg.dll, pkg.inf].map((file) => ({ localPath: file, relativePath: path.basename(file) }));
    // The staging folder exists already: the copy goes into a fresh folder inside it.
    const uploaded = await ssh().upload(files, `${staging.packageFolder}/pvsample`);
    const verdict = await callGuest<{ verified: boolean; files: { path: string; match: boolean }[] }>(ssh(), 'Test-GpuPvStagedFiles', {
      runId: staging.runId,
      files: uploaded.files.map((f) => ({ path: `pvsample/${f.relativePath}`, sha256: f.sha256 })),
    });
    assert.equal(verdict.verified, true);
    assert.deepEqual(verdict.files.map((f) => `${f.path}:${f.match}`), ['pvsample/pvsample.sys:true', 'pvsample/pvsample_umd.dll:true', 'pvsample/pvsample.inf:true']);
    await assert.rejects(
      callGuest(ssh(), 'Test-GpuPvStagedFiles', { runId: staging.runId, files: [{ path: 'pvsample/pvsample.sys', sha256: '0'.repeat(64) }] }),
      (error: GuestCallError) => error.code === 'HashMismatch' && error.message.includes('pvsample.sys'),
    );
  });

  it('streams a test\u2019s output as it runs, and judges it by its exit code', async () => {
    await callGuest(ssh(), 'New-GpuPvStagingFolder', { runId: 'run-2' });
    const lines: string[] = [];
    const run = (name: string, command: string[]) =>
      callGuest<{ passed: boolean; exitCode: number; stdout: string[] }>(ssh(), 'Invoke-GpuPvGuestTest', { runId: 'run-2', name, kind: 'program', command, timeoutSeconds: 60 }, { onLive: (_stream, text) => lines.push(text) });
    const passing = await run("smoke 'render' $(x)", ['/bin/sh', '-c', 'echo frame 1 ok; echo frame 2 ok']);
    assert.equal(passing.passed, true);
    assert.equal(passing.exitCode, 0);
    assert.ok(lines.some((l) => l.includes('frame 2 ok')), `live lines: ${JSON.stringify(lines)}`);
    const failing = await run('present', ['/bin/sh', '-c', 'echo presenting; exit 3']);
    assert.equal(failing.passed, false);
    assert.equal(failing.exitCode, 3);
  });
});
