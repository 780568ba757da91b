import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { callGuest, GuestCallError } from '../../../extension/deploy/guest/guestCall';
import { connectSsh, type SshTransport } from '../../../extension/deploy/transport/sshTransport';
import { powerShellExecutable } from '../../harness/powerShellTools';
import { repoRoot } from '../../harness/paths';
import { buildSamplePackage } from '../../harness/samplePackage';
import { SshServer } from '../../harness/sshServer';

// Every layer of a guest call over SSH, for real but for Windows itself: the host's reader of
// the contract, the SSH transport, Debian's sshd, the shipped runner Invoke-GpuPvGuest.ps1 and
// GpuPvGuest.psm1 in real PowerShell 7, and below them the stand-ins for the guest's Windows
// tools (test/fakes/windows-guest) acting on one guest document.

const GUEST = path.join(repoRoot, 'extension', 'deploy', 'guest');
const GUEST_MODULES = path.join(repoRoot, 'test', 'fakes', 'windows-guest', 'modules');

interface Readiness {
  ready: boolean;
  testSigning: boolean;
  secureBoot: string;
  problems: { code: string }[];
}

describe('Deploy and Test over SSH: the guest module through a real sshd and real PowerShell', function () {
  this.timeout(120_000);
  // Undefined until before() got that far, which after() must allow for.
  let server: SshServer | undefined;
  let guest: string | undefined;
  let local: string | undefined;
  let connected: SshTransport | undefined;
  const ssh = () => connected!;
  const hostFolder = () => local!;

  before(async function () {
    const pwsh = powerShellExecutable();
    if (!pwsh) throw new Error('PowerShell 7 is missing: run `node test/harness/setup.mjs test`');
    // The guest user is not root: what it runs and writes must be its own or world-readable,
    // and the clone the tests run in may sit in a folder only root can enter. So the guest gets
    // its own copies, as a real guest does: PowerShell (hard links where the disk allows), the
    // runner with the module, and the stand-in modules.
    guest = mkdtempSync(path.join(tmpdir(), 'gpupv-guest-'));
    chmodSync(guest, 0o755);
    const guestPowerShell = path.join(guest, 'powershell');
    const linked = spawnSync('cp', ['-al', path.dirname(pwsh), guestPowerShell]);
    if (linked.status !== 0) cpSync(path.dirname(pwsh), guestPowerShell, { recursive: true });
    const runner = path.join(guest, 'runner');
    mkdirSync(runner);
    for (const file of ['Invoke-GpuPvGuest.ps1', 'GpuPvGuest.psm1']) copyFileSync(path.join(GUEST, file), path.join(runner, file));
    const modules = path.join(guest, 'modules');
    cpSync(GUEST_MODULES, modules, { recursive: true });
    const windows = path.join(guest, 'Windows');
    const calls = path.join(guest, 'calls');
    for (const folder of [windows, path.join(windows, 'Temp'), path.join(windows, 'INF'), calls]) mkdirSync(folder, { recursive: true });
    const state = path.join(guest, 'guest.json');
    copyFileSync(path.join(repoRoot, 'test', 'fakes', 'windows-guest', 'demoGuest.json'), state);
    server = await SshServer.start({ sessionEnv: { PSModulePath: modules, GPUPV_FAKE_GUEST_STATE: state, SystemRoot: windows, NO_COLOR: '1' } });
    for (const item of [guest, windows, path.join(windows, 'Temp'), path.join(windows, 'INF'), calls, state]) chownSync(item, server.uid, server.uid);
    connected = await connectSsh(
      { host: server.host, port: server.port, username: server.user, hostKeyFingerprint: server.hostKeyFingerprint, shell: 'posix' },
      { privateKey: server.userKey.privateKey },
      { runner: { command: [path.join(guestPowerShell, path.basename(pwsh)), '-NoLogo', '-NoProfile', '-NonInteractive', '-File', path.join(runner, 'Invoke-GpuPvGuest.ps1')], callsFolder: calls } },
    );
    local = mkdtempSync(path.join(tmpdir(), 'gpupv-host-'));
  });

  after(async () => {
    if (connected) await connected.close();
    if (server) await server.stop();
    for (const folder of [guest, local]) if (folder) rmSync(folder, { recursive: true, force: true });
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
