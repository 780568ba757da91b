import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { callGuest } from '../../../extension/deploy/guest/guestCall';
import { isGuestTransportError, type CopyProgress } from '../../../extension/deploy/transport/guestTransport';
import { connectPowerShellDirect, type PowerShellDirectTransport } from '../../../extension/deploy/transport/powerShellDirectTransport';
import { PowerShellSession } from '../../../extension/hyperv/powerShellSession';
import { KeptLog } from '../../harness/keptLog';
import { HOSTILE_NAMES } from '../../fixtures/hostileNames';
import { repoRoot } from '../../harness/paths';
import { processesRunning } from '../../harness/processes';
import { MODULE_PATH, powerShellExecutable, standInEnvironment } from '../../harness/powerShellTools';
import { buildSamplePackage } from '../../harness/samplePackage';
import { DEMO_HOST_STATE } from '../../harness/simulatedHyperV';

// Deploy and Test over PowerShell Direct, every layer for real but Hyper-V and Windows: the
// transport, its own PowerShell session, GpuPv.psm1's guest functions in real PowerShell 7,
// the Hyper-V stand-in's sessions, remote jobs and Copy-Item, and inside the guest the shipped
// GpuPvGuestDirect.ps1 and GpuPvGuest.psm1 against the Windows guest stand-ins.

const VM_ID = '1a9e7c5b-3d28-4f60-b5e1-7c4a2d8f9e03';
const VM_NAME = HOSTILE_NAMES.find((name) => name.includes('$('))!;
const USER = 'tester';
const PASSWORD = "P@ss w0rd'!";
const GUEST_SCRIPTS = path.join(repoRoot, 'extension', 'deploy', 'guest');
// Names Windows allows for a file: no \ / : * ? " < > | or control characters.
// eslint-disable-next-line no-control-regex -- control characters are what Windows file names may not hold
const HOSTILE_FILE_NAMES = HOSTILE_NAMES.filter((name) => name && !/[\\/:*?"<>|\x00-\x1f]/.test(name));
const HOSTILE_FILE_NAME = HOSTILE_FILE_NAMES.find((name) => name.includes(';'))!;
const UNICODE_FILE_NAME = HOSTILE_FILE_NAMES.find((name) => Buffer.byteLength(name, 'utf8') > name.length)!;

interface Readiness {
  testSigning: boolean;
  secureBoot: string;
  problems: { code: string }[];
}

interface TestResult {
  passed: boolean;
  exitCode: number;
}

/** The processes whose command line holds `token`, as lines for an assertion's message. */
const processesRunningLines = (token: string) => processesRunning(token).map((p) => `${p.pid}: ${p.commandLine}`);

describe('Deploy and Test over PowerShell Direct: the guest module in a Hyper-V stand-in VM through real PowerShell', function () {
  this.timeout(120_000);
  let folder: string | undefined;
  let connected: PowerShellDirectTransport | undefined;
  const log = new KeptLog();
  const direct = () => connected!;
  const work = () => folder!;
  const stateFile = () => path.join(work(), 'state.json');
  const guestWindows = () => path.join(`${stateFile()}.disks`, VM_ID, 'Windows');
  const env = () => ({ ...process.env, ...standInEnvironment(stateFile(), path.join(work(), 'calls.jsonl')) });
  const connect = (password = PASSWORD) =>
    connectPowerShellDirect({ vmId: VM_ID, vmName: VM_NAME }, { user: USER, password }, { executable: powerShellExecutable(), modulePath: MODULE_PATH, guestScripts: GUEST_SCRIPTS, log, env: env() });
  const runTest = (runId: string, name: string, script: string, options: { onLive?: (text: string) => void; signal?: AbortSignal; timeoutMs?: number } = {}) =>
    callGuest<TestResult>(direct(), 'Invoke-GpuPvGuestTest', { runId, name, kind: 'program', command: ['sh', '-c', script], timeoutSeconds: 120 }, {
      ...(options.onLive ? { onLive: (_stream: string, text: string) => options.onLive!(text) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });

  before(async () => {
    folder = mkdtempSync(path.join(tmpdir(), 'gpupv-direct-test-'));
    const doc = JSON.parse(readFileSync(DEMO_HOST_STATE, 'utf8')) as { vms: { id: string; name: string }[]; standIn: { guests: Record<string, object> } };
    doc.vms.find((vm) => vm.id === VM_ID)!.name = VM_NAME;
    // The VM's guest is a whole Windows guest: test signing on, Secure Boot off, its stores and devices.
    const windowsGuest = JSON.parse(readFileSync(path.join(repoRoot, 'test', 'fakes', 'windows-guest', 'demoGuest.json'), 'utf8')) as object;
    doc.standIn.guests[VM_ID] = { ...doc.standIn.guests[VM_ID], ...windowsGuest };
    writeFileSync(stateFile(), JSON.stringify(doc, null, 2));
    connected = await connect();
  });

  after(async () => {
    if (connected) await connected.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('names the VM, and reads the guest’s readiness through its own PowerShell', async () => {
    assert.equal(direct().target, `VM "${VM_NAME}" (PowerShell Direct)`);
    const readiness = await callGuest<Readiness>(direct(), 'Get-GpuPvGuestReadiness', { thumbprint: '0123456789ABCDEF0123456789ABCDEF01234567' });
    assert.equal(readiness.testSigning, true);
    assert.equal(readiness.secureBoot, 'off');
    assert.deepEqual(readiness.problems.map((p) => p.code), ['CertificateNotTrusted']);
  });

  it('copies the real sample package into a fresh folder, which the guest module checks by hash', async () => {
    const pkg = await buildSamplePackage(path.join(work(), 'build'));
    const hostile = path.join(work(), 'build', `${HOSTILE_FILE_NAME}.txt`);
    copyFileSync(pkg.inf, hostile);
    const staging = await callGuest<{ runId: string; packageFolder: string }>(direct(), 'New-GpuPvStagingFolder', { runId: 'run-1' });
    const files = [pkg.sys, pkg.dll, pkg.inf, hostile].map((file) => ({ localPath: file, relativePath: `driver/${path.basename(file)}` }));
    const progress: CopyProgress[] = [];
    const uploaded = await direct().upload(files, `${staging.packageFolder}/pvsample`, { onProgress: (p) => progress.push(p) });
    assert.deepEqual(uploaded.files.map((f) => f.relativePath), files.map((f) => f.relativePath));
    for (const [index, file] of uploaded.files.entries()) {
      assert.equal(file.remotePath, path.join(staging.packageFolder, 'pvsample', 'driver', path.basename(files[index]!.localPath)));
      assert.deepEqual(readFileSync(file.remotePath), readFileSync(files[index]!.localPath), 'the guest holds the very bytes');
    }
    assert.equal(uploaded.bytes, files.reduce((sum, f) => sum + readFileSync(f.localPath).length, 0));
    assert.ok(progress.some((p) => p.phase === 'copy' && p.totalBytesDone === uploaded.bytes), JSON.stringify(progress));
    assert.ok(progress.some((p) => p.phase === 'verify'));
    // The guest module's own record: only a package checked here is ever installed.
    const verified = JSON.parse(readFileSync(path.join(path.dirname(staging.packageFolder), 'work', 'verified.json'), 'utf8')) as { files: { path: string; sha256: string }[] };
    assert.deepEqual(verified.files.map((f) => f.path), files.map((f) => `pvsample/${f.relativePath}`));
    assert.deepEqual(verified.files.map((f) => f.sha256), uploaded.files.map((f) => f.sha256));

    await assert.rejects(direct().upload(files, `${staging.packageFolder}/pvsample`), (error) => isGuestTransportError(error, 'remoteFolderExists'));
    // A guest that reports other bytes than were sent: the copy is refused and removed.
    const damaged = `${staging.packageFolder}/damaged`;
    await assert.rejects(
      direct().upload(files, damaged, { hashCheck: (copied) => Promise.resolve(copied.map(() => '0'.repeat(64))) }),
      (error) => isGuestTransportError(error, 'verifyFailed') && error.message.includes('differs from what was sent') && error.message.includes('was removed'),
    );
    assert.equal(existsSync(damaged), false);
    await assert.rejects(
      direct().upload([{ ...files[0]!, sha256: 'f'.repeat(64) }], `${staging.packageFolder}/changed`),
      (error) => isGuestTransportError(error, 'verifyFailed') && error.message.includes('changed after the package was staged'),
    );
    assert.equal(existsSync(`${staging.packageFolder}/changed`), false, 'nothing is copied once a staged file changed');
    await assert.rejects(direct().upload(files, path.join(guestWindows(), 'Temp', 'elsewhere')), (error) => isGuestTransportError(error, 'unsafeArgument'));
  });

  it('streams a test’s output while it runs, and judges it by its exit code', async () => {
    await callGuest(direct(), 'New-GpuPvStagingFolder', { runId: 'run-2' });
    const seen: { text: string; at: number }[] = [];
    const passing = await runTest('run-2', "smoke 'render' $(x)", 'echo frame 1 ok; sleep 2; echo frame 2 ok', { onLive: (text) => seen.push({ text, at: performance.now() }) });
    const ended = performance.now();
    assert.equal(passing.passed, true);
    assert.deepEqual(seen.map((s) => s.text), ['frame 1 ok', 'frame 2 ok']);
    assert.ok(ended - seen[0]!.at > 1_500, `the first line came ${Math.round(ended - seen[0]!.at)} ms before the end, not while the test ran`);
    const failing = await runTest('run-2', 'present', 'echo presenting; exit 3');
    assert.equal(failing.passed, false);
    assert.equal(failing.exitCode, 3);
  });

  it('cancels a long test: the guest kills its process tree before the call ends', async () => {
    await callGuest(direct(), 'New-GpuPvStagingFolder', { runId: 'run-3' });
    const token = `gpupv-cancel-${process.pid}`;
    const abort = new AbortController();
    const started = performance.now();
    await assert.rejects(
      runTest('run-3', 'hangs', `echo started; sleep 60; echo ${token}`, { signal: abort.signal, onLive: (text) => text === 'started' && abort.abort() }),
      (error) => isGuestTransportError(error, 'cancelled') && error.message.includes('was cancelled and stopped') && error.message.includes('Stopped 1 test process tree'),
    );
    assert.ok(performance.now() - started < 30_000);
    assert.deepEqual(processesRunningLines(token), []);
    // A new run: the cancelled one refuses to start more tests.
    await callGuest(direct(), 'New-GpuPvStagingFolder', { runId: 'run-3b' });
    const timedOut = performance.now();
    await assert.rejects(runTest('run-3b', 'slow', `sleep 60; echo ${token}`, { timeoutMs: 2_000 }), (error) => isGuestTransportError(error, 'timeout') && error.message.includes('did not finish within 2.00 s'));
    assert.ok(performance.now() - timedOut < 30_000);
    assert.deepEqual(processesRunningLines(token), []);
  });

  it('brings logs back: whole, cut to their tail, skipped when too large, and notes what is missing', async () => {
    const windows = guestWindows();
    for (const sub of ['INF', 'Minidump']) mkdirSync(path.join(windows, sub), { recursive: true });
    writeFileSync(path.join(windows, 'INF', 'setupapi.dev.log'), `${'>>>  [Device Install (Hardware initiated)]\n'.repeat(500)}<<<  [Exit status: SUCCESS]\n`);
    writeFileSync(path.join(windows, 'Minidump', `${UNICODE_FILE_NAME}.dmp`), 'MDMP small');
    writeFileSync(path.join(windows, 'Minidump', '120126-01.dmp'), Buffer.alloc(64 * 1024));
    const local = path.join(work(), 'logs');
    const { files, notes } = await direct().download(
      [
        { remotePath: path.join(windows, 'INF', 'setupapi.dev.log'), maxBytes: 1024, whenLarger: 'keepTail' },
        { remotePath: path.join(windows, 'Minidump', '*.dmp'), maxBytes: 4096, whenLarger: 'skip' },
        { remotePath: path.join(windows, 'MEMORY.DMP'), maxBytes: 4096, whenLarger: 'skip' },
      ],
      local,
    );
    assert.deepEqual(files.map((f) => path.basename(f.localPath)), ['setupapi.dev.log', `${UNICODE_FILE_NAME}.dmp`]);
    assert.equal(files[0]!.truncated, true);
    assert.equal(files[0]!.bytes, 1024);
    assert.ok(readFileSync(files[0]!.localPath, 'utf8').endsWith('<<<  [Exit status: SUCCESS]\n'));
    assert.equal(readFileSync(files[1]!.localPath, 'utf8'), 'MDMP small');
    assert.equal(notes.length, 3, notes.join('\n'));
    assert.match(notes[0]!, /setupapi\.dev\.log is .* only its last 1 KB were brought back/);
    assert.match(notes[1]!, /120126-01\.dmp is 64 KB, more than the 4 KB allowed for it, and was not brought back/);
    assert.match(notes[2]!, /MEMORY\.DMP was not found in VM ".*" \(PowerShell Direct\)/);
  });

  it('rejects a wrong password as an authentication failure, and keeps passwords out of the log', async () => {
    await assert.rejects(connect('wrong password'), (error) => isGuestTransportError(error, 'authFailed') && error.message.includes(USER));
    const text = log.lines.join('\n');
    assert.match(text, /Invoke-GpuPvGuestOperation/);
    for (const secret of [PASSWORD, 'wrong password']) {
      assert.equal(text.includes(secret), false);
      assert.equal(text.includes(Buffer.from(secret).toString('base64')), false);
    }
  });

  it('fails clearly when the VM is turned off under a running test, and says it is off afterwards', async () => {
    await callGuest(direct(), 'New-GpuPvStagingFolder', { runId: 'run-4' });
    const token = `gpupv-off-${process.pid}`;
    // The Virtual Machines view, in its own PowerShell, turns the VM off while the test runs.
    const view = new PowerShellSession({ executable: powerShellExecutable(), modulePath: MODULE_PATH, timeoutMs: 30_000, hostLabel: 'view', log, env: env() });
    try {
      let turnedOff: Promise<unknown> | undefined;
      await assert.rejects(
        runTest('run-4', 'long', `echo started; sleep 60; echo ${token}`, {
          onLive: () => {
            turnedOff ??= view.call('Invoke-GpuPvVmAction', { vmId: VM_ID, vmName: VM_NAME, action: 'turnoff' });
          },
        }),
        (error) => isGuestTransportError(error, 'connectionLost') && /session to VM ".*" \(PowerShell Direct\) was lost while running Invoke-GpuPvGuestTest; the VM is now Off/.test(error.message),
      );
      await turnedOff;
    } finally {
      await view.dispose();
    }
    assert.deepEqual(processesRunningLines(token), [], 'the VM’s processes end with it');
    await assert.rejects(callGuest(direct(), 'Get-GpuPvGuestReadiness', {}), (error) => isGuestTransportError(error, 'unreachable') && error.message.includes('is not running (its state is Off)'));
  });
});
