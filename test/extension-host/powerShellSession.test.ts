import * as assert from 'node:assert/strict';
import { HyperVError, isHyperVError } from '../../extension/hyperv/hyperVError';
import { PowerShellSession } from '../../extension/hyperv/powerShellSession';
import { HOSTILE_NAMES } from '../fixtures/hostileNames';
import { MODULE_PATH, RecordingLogger, POWERSHELL, StandInHost } from './standInHost';

// The session service inside the real extension host, driving real PowerShell with the real
// GpuPv.psm1 and the stand-in modules: a process that hangs, dies or cannot start must cost
// one call, never the host.

describe('Hyper-V: the PowerShell session service', function () {
  this.timeout(30_000);
  const sessions: PowerShellSession[] = [];

  function open(host: StandInHost, overrides: Partial<ConstructorParameters<typeof PowerShellSession>[0]> = {}) {
    const log = new RecordingLogger();
    const session = new PowerShellSession({
      executable: POWERSHELL,
      modulePath: MODULE_PATH,
      timeoutMs: 10_000,
      hostLabel: 'test host',
      log,
      env: host.env,
      ...overrides,
    });
    sessions.push(session);
    return { session, log };
  }

  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.dispose()));
  });

  it('keeps one process, imports the module once, and logs every call with its duration', async () => {
    const host = new StandInHost();
    const { session, log } = open(host);
    const first = await session.call('Get-GpuPvInventory', {});
    await session.call('Get-GpuPvInventory', {});
    assert.equal(first.host.name, 'GPU-WORKSTATION');
    assert.ok(first.vms.length >= 6);
    const calls = host.calls();
    assert.deepEqual(calls.map((c) => c.function), ['Import-Module', 'Get-GpuPvInventory', 'Get-GpuPvInventory']);
    assert.equal(new Set(calls.map((c) => c.pid)).size, 1, 'one process for every call');
    assert.equal(log.lines.filter((l) => /← Get-GpuPvInventory ok in \d+ ms/.test(l)).length, 2, log.lines.join('\n'));
  });

  it('runs queued calls one at a time, in the order they were made', async () => {
    const host = new StandInHost();
    const { session } = open(host);
    const names = ['Win11-DriverTest', 'Win11-Perf', 'WS2025-BuildAgent', 'Win11-GpuP-Ready', 'Ubuntu-24.04-Tools'];
    const results = await Promise.all(names.map((vmName) => session.call('Enable-GpuPvGuestServices', { vmName })));
    assert.equal(results.length, names.length);
    assert.deepEqual(host.moduleCalls().map((c) => c.params?.vmName), names);
  });

  it('stops a call that hangs past its timeout, then answers the next call from a fresh process', async () => {
    const host = new StandInHost();
    host.edit((doc) => ((doc.standIn ??= {}).faults = [{ function: 'Get-GpuPvInventory', kind: 'hang', times: 1 }]));
    // Only the hung call is short: the next one runs in a new process, whose first call is slow.
    const { session } = open(host);
    await assert.rejects(session.call('Get-GpuPvInventory', {}, { timeoutMs: 1_500 }), (error) => isHyperVError(error, 'Timeout') && /1\.5|2 s/.test(error.message));
    const after = await session.call('Get-GpuPvInventory', {});
    assert.equal(after.host.name, 'GPU-WORKSTATION');
    const pids = host.moduleCalls('Get-GpuPvInventory').map((c) => c.pid);
    assert.equal(pids.length, 2);
    assert.notEqual(pids[0], pids[1], 'the hung process must be replaced');
    assert.equal(host.calls().filter((c) => c.function === 'Import-Module').length, 2, 'the new process imports the module again');
  });

  it('a call queued behind a hung one gets its own full timeout and succeeds', async () => {
    const host = new StandInHost();
    host.edit((doc) => ((doc.standIn ??= {}).faults = [{ function: 'Invoke-GpuPvVmAction', kind: 'hang', times: 1 }]));
    // Long enough for a new process's first call, which is where the queued call runs.
    const { session } = open(host, { timeoutMs: 5_000 });
    const hung = session.call('Invoke-GpuPvVmAction', { vmName: 'Win11-Perf', action: 'resume' });
    const queued = session.call('Get-GpuPvInventory', {});
    await assert.rejects(hung, (error) => isHyperVError(error, 'Timeout'));
    assert.equal((await queued).host.name, 'GPU-WORKSTATION');
  });

  it('reports a process that dies mid-call and starts a new one for the next call', async () => {
    const host = new StandInHost();
    host.edit((doc) => ((doc.standIn ??= {}).faults = [{ function: 'Get-GpuPvInventory', kind: 'crash', times: 1 }]));
    const { session } = open(host);
    await assert.rejects(session.call('Get-GpuPvInventory', {}), (error) => isHyperVError(error, 'PowerShellCrashed'));
    assert.equal((await session.call('Get-GpuPvInventory', {})).host.name, 'GPU-WORKSTATION');
  });

  it('maps the module’s errors and PowerShell’s own stderr to typed errors', async () => {
    const host = new StandInHost();
    host.edit((doc) => {
      (doc.standIn ??= {}).faults = [
        { function: 'Get-GpuPvInventory', kind: 'accessDenied', times: 1 },
        { function: 'Get-GpuPvInventory', kind: 'stderr', text: 'Get-VM : The Virtual Machine Management service is not running.', times: 1 },
      ];
    });
    const { session } = open(host);
    await assert.rejects(session.call('Get-GpuPvInventory', {}), (error) => isHyperVError(error, 'AccessDenied'));
    await assert.rejects(
      session.call('Get-GpuPvInventory', {}),
      (error) => isHyperVError(error, 'PowerShellError') && error.message.includes('Virtual Machine Management service is not running'),
    );
    const { session: withoutHyperV } = open(new StandInHost(undefined, { without: ['Hyper-V'] }));
    await assert.rejects(withoutHyperV.call('Invoke-GpuPvVmAction', { vmName: 'Win11-Perf', action: 'resume' }), (error) => isHyperVError(error, 'HyperVModuleMissing'));
    await assert.rejects(
      session.call('Invoke-GpuPvVmAction', { vmName: 'no such VM', action: 'start' }),
      (error) => isHyperVError(error, 'VmNotFound') && error.message.includes('no such VM'),
    );
    await assert.rejects(
      session.call('Get-GpuPvGuestDriverInfo', {
        vmName: 'Win11-DriverTest',
        credentialUser: 'tester',
        credentialPasswordB64: Buffer.from('wrong').toString('base64'),
      }),
      (error) => isHyperVError(error, 'CredentialRejected'),
    );
    await assert.rejects(
      session.call('Get-GpuPvInventory', { computerName: 'lab-99' }),
      (error) => isHyperVError(error, 'HostUnreachable') && error.host === 'test host',
    );
  });

  it('hands hostile VM, checkpoint and host names to PowerShell as data, verbatim, without changing the command', async () => {
    const host = new StandInHost();
    const template = host.read().vms.find((vm) => vm.name === 'Ubuntu-24.04-Tools')!;
    host.edit((doc) => {
      doc.vms = HOSTILE_NAMES.filter(Boolean).map((name, i) => ({ ...structuredClone(template), id: `7a1c0de5-0000-4000-8000-${String(i).padStart(12, '0')}`, name }));
    });
    const { session } = open(host);
    for (const name of HOSTILE_NAMES.filter(Boolean)) {
      const started = await session.call('Invoke-GpuPvVmAction', { vmName: name, action: 'start' });
      assert.equal(started.name, name);
      assert.equal(started.state, 'Running');
      const checkpoint = await session.call('Invoke-GpuPvCheckpoint', { vmName: name, action: 'create', name });
      assert.equal(checkpoint.checkpoint.name, name);
      await assert.rejects(session.call('Get-GpuPvInventory', { computerName: name }), (error) => isHyperVError(error, 'HostUnreachable'));
    }
    const calls = host.moduleCalls();
    for (const call of calls) assert.match(call.command, /^[A-Z][a-z]+-GpuPv[A-Za-z]+ -EncodedParams '[A-Za-z0-9+/=]*'$/);
    assert.deepEqual(
      calls.filter((c) => c.function === 'Invoke-GpuPvVmAction').map((c) => c.params?.vmName),
      HOSTILE_NAMES.filter(Boolean),
    );
    assert.deepEqual(
      calls.filter((c) => c.function === 'Get-GpuPvInventory').map((c) => c.params?.computerName),
      HOSTILE_NAMES.filter(Boolean),
    );
    assert.ok(host.read().vms.every((vm) => vm.state === 'Running'));
  });

  it('never writes a password to the log', async () => {
    const host = new StandInHost();
    const { session, log } = open(host);
    const password = "P@ss w0rd'!";
    await session.call('Get-GpuPvGuestDriverInfo', {
      vmName: 'Win11-DriverTest',
      credentialUser: 'tester',
      credentialPasswordB64: Buffer.from(password).toString('base64'),
    });
    const text = log.lines.join('\n');
    assert.match(text, /Get-GpuPvGuestDriverInfo .*"credentialPasswordB64":"«redacted»"/);
    assert.ok(!text.includes(password) && !text.includes(Buffer.from(password).toString('base64')), text);
  });

  it('a missing executable fails the call with what to do, and nothing is spawned or signalled', async () => {
    const host = new StandInHost();
    const { session } = open(host, { executable: '/nonexistent/pwsh' });
    await assert.rejects(
      session.call('Get-GpuPvInventory', {}),
      (error) => error instanceof HyperVError && error.code === 'PowerShellNotFound' && error.message.includes('"/nonexistent/pwsh" was not found'),
    );
    await session.dispose();
  });

  it('an executable that exists but cannot start is reported, and disposing afterwards leaves this extension host alive', async () => {
    const host = new StandInHost();
    const { session } = open(host, { executable: host.brokenExecutable() });
    await assert.rejects(session.call('Get-GpuPvInventory', {}), (error) => isHyperVError(error, 'PowerShellNotFound') && error.message.includes('could not start'));
    await session.dispose();
    // Had dispose() signalled a process with no pid, the extension host would be gone by now.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { session: healthy } = open(host);
    assert.equal((await healthy.call('Get-GpuPvInventory', {})).host.name, 'GPU-WORKSTATION');
  });

  it('cancelling a call stops its process and rejects with Cancelled', async () => {
    const host = new StandInHost();
    host.edit((doc) => ((doc.standIn ??= {}).faults = [{ function: 'Get-GpuPvInventory', kind: 'hang', times: 1 }]));
    const { session } = open(host);
    const abort = new AbortController();
    const call = session.call('Get-GpuPvInventory', {}, { signal: abort.signal });
    setTimeout(() => abort.abort(), 300);
    await assert.rejects(call, (error) => isHyperVError(error, 'Cancelled'));
    assert.equal((await session.call('Get-GpuPvInventory', {})).host.name, 'GPU-WORKSTATION');
  });
});
