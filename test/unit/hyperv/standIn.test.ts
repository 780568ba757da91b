import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvocationError, PowerShell, ProcessError } from 'node-powershell';
import type { DriverSyncProgress } from '../../../extension/hyperv/inventory';
import {
  buildModuleCall,
  buildModuleImport,
  MODULE_READY,
  parseModuleReply,
  type ModuleFunction,
  type ModuleFunctions,
  type ModuleReply,
} from '../../../extension/hyperv/moduleCommand';
import { readCallLog } from '../../fakes/hyperv/callLog';
import type { StateDocument } from '../../fakes/hyperv/stateDocument';
import { repoRoot } from '../../harness/paths';

// The PowerShell stand-in, driven exactly as the extension drives powershell.exe: through
// node-powershell, with the real import command and module calls, against temp copies of
// the demo's state document.

const SHIM = path.join(repoRoot, 'test/fakes/hyperv/pwsh-standin');
const MODULE = path.join(repoRoot, 'extension/hyperv/GpuPv.psm1');
const DEMO = path.join(repoRoot, 'test/fakes/hyperv/demoHost.json');
const DRIVER_TEST = { id: '3f8a2c4e-9b1d-4e7a-8c2f-5d6e7a8b9c01', name: 'Win11-DriverTest' };
const PASSWORD = "P@ss w0rd'!";
const GOOD_LOGON = { credentialUser: 'tester', credentialPasswordB64: Buffer.from(PASSWORD, 'utf8').toString('base64') };
const ASCII_LINE = /^[\x20-\x7e]+$/;

type Result<F extends ModuleFunction> = ModuleFunctions[F]['result'];

function ok<T>(reply: ModuleReply<T>): T {
  if (!reply.ok) assert.fail(`expected ok, got ${reply.error.code}: ${reply.error.message}`);
  return reply.result;
}

function failed(reply: ModuleReply<unknown>): { code: string; message: string } {
  if (reply.ok) assert.fail(`expected a failure, got ${JSON.stringify(reply.result)}`);
  return reply.error;
}

function isInvocationError(pattern: RegExp): (error: unknown) => boolean {
  return (error) => error instanceof InvocationError && pattern.test(error.message);
}

describe('Hyper-V stand-in (driven through node-powershell)', function () {
  this.timeout(10_000);
  let dir: string;
  let statePath: string;
  let logPath: string;
  let shells: PowerShell[] = [];

  // A shell whose spawn failed must never be disposed (Node would signal its own process group),
  // so make sure the executable is there before any is created.
  before(() => assert.ok(existsSync(SHIM), `${SHIM} is missing`));

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gpupv-standin-'));
    statePath = path.join(dir, 'state.json');
    logPath = `${statePath}.calls.jsonl`;
    writeState();
  });

  afterEach(async () => {
    // A crashed shell's dispose() rejects with its exit error; every spawn here succeeded.
    await Promise.all(shells.map((shell) => shell.dispose().catch(() => undefined)));
    shells = [];
    rmSync(dir, { recursive: true, force: true });
  });

  /** The demo document (copies without delay unless a test wants one), changed by the test. */
  function writeState(change?: (doc: StateDocument) => void): void {
    const doc = JSON.parse(readFileSync(DEMO, 'utf8')) as StateDocument;
    doc.standIn!.copyDelayMs = 0;
    change?.(doc);
    writeFileSync(statePath, JSON.stringify(doc));
  }

  function readState(): StateDocument {
    return JSON.parse(readFileSync(statePath, 'utf8')) as StateDocument;
  }

  function spawnShell(invocationTimeout?: number): PowerShell {
    const shell = new PowerShell({
      executable: SHIM,
      invocationTimeout,
      spawnOptions: { env: { ...process.env, GPUPV_FAKE_HYPERV_STATE: statePath } },
    });
    shells.push(shell);
    return shell;
  }

  async function importedShell(invocationTimeout?: number): Promise<PowerShell> {
    const shell = spawnShell(invocationTimeout);
    assert.equal((await shell.invoke(buildModuleImport(MODULE))).raw, MODULE_READY);
    return shell;
  }

  async function call<F extends ModuleFunction>(shell: PowerShell, fn: F, params: ModuleFunctions[F]['params']): Promise<ModuleReply<Result<F>>> {
    const { raw } = await shell.invoke(buildModuleCall(fn, params));
    assert.match(raw, ASCII_LINE, 'one line of ASCII');
    const reply = parseModuleReply<Result<F>>(raw);
    assert.ok(reply, `not a module reply: ${raw}`);
    return reply;
  }

  it('imports the module and returns the document minus standIn as the inventory', async () => {
    const doc = readState();
    // Services stored without an id get Hyper-V's `Microsoft:<VM ID>\<component id>`.
    writeState((changed) => {
      for (const service of changed.vms[0]!.integrationServices) delete service.id;
    });
    const shell = await importedShell();
    const { raw } = await shell.invoke(buildModuleCall('Get-GpuPvInventory', {}));
    assert.match(raw, ASCII_LINE);
    for (const secret of ['standIn', 'dynamicMemoryEnabled', 'credentials', 'P@ss', 'hostPackages']) assert.ok(!raw.includes(secret), secret);
    const inventory = ok(parseModuleReply<Result<'Get-GpuPvInventory'>>(raw)!);
    assert.deepEqual(inventory.host, { ...doc.host, simulated: true });
    assert.deepEqual(inventory.gpus, doc.gpus);
    assert.deepEqual(inventory.hostDriver, doc.hostDriver);
    assert.deepEqual(inventory.vms.map((vm) => vm.name), [...doc.vms.map((vm) => vm.name)].sort((a, b) => a.localeCompare(b, 'en-US')));
    for (const stored of doc.vms) {
      const expected = { ...stored };
      delete expected.dynamicMemoryEnabled;
      assert.deepEqual(inventory.vms.find((vm) => vm.id === stored.id), expected);
    }
    assert.equal(inventory.gpus[0]!.totalEncode, '18446744073709551615');

    const remote = ok(await call(shell, 'Get-GpuPvInventory', { computerName: 'GPU-LAB-02' }));
    assert.equal(remote.host.name, 'GPU-LAB-02');
    assert.deepEqual(remote.vms.map((vm) => vm.name), ['WS2022-CI-Runner-01', 'WS2022-CI-Runner-02']);
    assert.equal(remote.hostDriver, null);
    for (const computerName of ['OLD-HV-HOST', 'NO-SUCH-HOST']) {
      const error = failed(await call(shell, 'Get-GpuPvInventory', { computerName }));
      assert.equal(error.code, 'HostUnreachable');
      assert.match(error.message, new RegExp(`WinRM cannot complete the operation. Verify that the specified computer name '${computerName}' is valid`));
    }
  });

  it('without Hyper-V rights lists the host only and refuses the rest, as the module does', async () => {
    writeState((doc) => (doc.host.isHyperVAdmin = false));
    const shell = await importedShell();
    const inventory = ok(await call(shell, 'Get-GpuPvInventory', {}));
    assert.deepEqual([inventory.host.isHyperVAdmin, inventory.vms, inventory.gpus], [false, [], []]);
    const refused = failed(await call(shell, 'Invoke-GpuPvVmAction', { vmName: 'Win11-Perf', action: 'resume' }));
    assert.equal(refused.code, 'AccessDenied');
    writeState((doc) => (doc.host.hyperVModule = false));
    assert.equal(failed(await call(shell, 'Enable-GpuPvGuestServices', { vmName: 'Win11-Perf' })).code, 'HyperVModuleMissing');
  });

  it('writes a VM action to the state file, and a new process sees it', async () => {
    const first = await importedShell();
    const started = ok(await call(first, 'Invoke-GpuPvVmAction', { vmName: 'Ubuntu-24.04-Tools', action: 'start' }));
    assert.equal(started.state, 'Running');
    const onDisk = readState().vms.find((vm) => vm.name === 'Ubuntu-24.04-Tools')!;
    assert.deepEqual([onDisk.state, onDisk.uptimeSeconds, onDisk.memoryAssigned], ['Running', 0, 2 * 1024 ** 3]);
    const refused = failed(await call(first, 'Invoke-GpuPvVmAction', { vmName: 'Win11-GpuP-Ready', action: 'pause' }));
    assert.deepEqual(refused, {
      code: 'Failed',
      message: "'Win11-GpuP-Ready' failed to change state. The operation cannot be performed while the object is in its current state.",
    });

    const second = await importedShell();
    const seen = ok(await call(second, 'Get-GpuPvInventory', {}));
    assert.equal(seen.vms.find((vm) => vm.id === started.id)!.state, 'Running');
    ok(await call(second, 'Invoke-GpuPvVmAction', { vmId: started.id, vmName: started.name, action: 'turnoff' }));
    assert.deepEqual(readState().vms.find((vm) => vm.id === started.id)!.memoryAssigned, 0);
  });

  it('a hang fault never answers: invocationTimeout fires, and the call is logged', async () => {
    writeState((doc) => (doc.standIn!.faults = [{ function: 'Get-GpuPvInventory', kind: 'hang' }]));
    const shell = await importedShell(1500);
    const started = Date.now();
    await assert.rejects(call(shell, 'Get-GpuPvInventory', {}), isInvocationError(/^$/));
    assert.ok(Date.now() - started >= 1400);
    assert.equal(readCallLog(logPath).at(-1)?.function, 'Get-GpuPvInventory');
    assert.deepEqual(readState().standIn!.faults, [], 'a fault that fired once is gone');
  });

  it('a crash fault ends the process: the call rejects, later calls say it exited', async () => {
    writeState((doc) => (doc.standIn!.faults = [{ function: 'Invoke-GpuPvVmAction', kind: 'crash' }]));
    const shell = await importedShell();
    await assert.rejects(call(shell, 'Invoke-GpuPvVmAction', { vmName: 'Win11-Perf', action: 'resume' }), ProcessError);
    await assert.rejects(call(shell, 'Get-GpuPvInventory', {}), isInvocationError(/invoke called after process exited/));
    assert.equal(readCallLog(logPath).at(-1)?.function, 'Invoke-GpuPvVmAction');
    assert.equal(readState().vms.find((vm) => vm.name === 'Win11-Perf')!.state, 'Paused');
  });

  it('a stderr fault becomes an InvocationError carrying its text, as often as asked', async () => {
    writeState((doc) => (doc.standIn!.faults = [{ kind: 'stderr', text: 'WARNING: simulated noise', times: 2 }]));
    const shell = await importedShell();
    await assert.rejects(call(shell, 'Get-GpuPvInventory', {}), isInvocationError(/^WARNING: simulated noise$/));
    assert.equal(readState().standIn!.faults![0]!.times, 1);
    await assert.rejects(call(shell, 'Get-GpuPvInventory', {}), isInvocationError(/simulated noise/));
    ok(await call(shell, 'Get-GpuPvInventory', {}));
  });

  it('rejects every other command shape through stderr, runs none of it, and logs it', async () => {
    const shell = await importedShell();
    const rejected: [string, string][] = [
      ['Get-Process', 'Get-Process'],
      ["Get-GpuPvInventory -EncodedParams 'e30='; Remove-Item C:\\", 'Get-GpuPvInventory'],
      ['Get-GpuPvInventory -EncodedParams "e30="', 'Get-GpuPvInventory'],
      ["Get-GpuPvInventory -EncodedParams 'e30=' ", 'Get-GpuPvInventory'],
      ["get-gpupvinventory -EncodedParams 'e30='", 'get-gpupvinventory'],
      ["Get-GpuPvInventory -EncodedParams '$(Remove-Item C:\\)'", 'Get-GpuPvInventory'],
      ["& ([scriptblock]::Create('Get-GpuPvInventory'))", '&'],
      ['Import-Module -Name GpuPv', 'Import-Module'],
      ["Get-GpuPvSecrets -EncodedParams 'e30='", 'Get-GpuPvSecrets'],
    ];
    for (const [command, word] of rejected) {
      await assert.rejects(shell.invoke(command), isInvocationError(new RegExp(`^The term '${word.replace(/[$()[\]\\]/g, '\\$&')}' is not recognized as a name of a cmdlet`)), command);
    }
    const logged = readCallLog(logPath).slice(-rejected.length);
    assert.deepEqual(logged.map((entry) => entry.command), rejected.map(([command]) => command));
    assert.equal(logged[0]!.function, null);

    // The right shape with a bad payload is the module's InvalidParameter.
    const payloads: [string, string][] = [
      ['e30', 'EncodedParams is not base64 of UTF-8 JSON.'],
      [Buffer.from('not json').toString('base64'), 'EncodedParams is not base64 of UTF-8 JSON.'],
      [Buffer.from('[1]').toString('base64'), 'EncodedParams must encode a JSON object.'],
    ];
    for (const [payload, message] of payloads) {
      const { raw } = await shell.invoke(`Get-GpuPvInventory -EncodedParams '${payload}'`);
      assert.equal(raw, JSON.stringify({ ok: false, error: { code: 'InvalidParameter', message } }));
    }
    ok(await call(shell, 'Get-GpuPvInventory', {}));
  });

  it('knows no module function before Import-Module, and a missing module fails the import', async () => {
    const shell = spawnShell();
    await assert.rejects(call(shell, 'Get-GpuPvInventory', {}), isInvocationError(/^The term 'Get-GpuPvInventory' is not recognized/));
    const missing = path.join(dir, 'nowhere', 'GpuPv.psm1');
    await assert.rejects(shell.invoke(buildModuleImport(missing)), isInvocationError(/The specified module '.*nowhere.GpuPv\.psm1' was not loaded/));
    assert.deepEqual(readCallLog(logPath).map((entry) => [entry.function, entry.params]), [
      ['Get-GpuPvInventory', {}],
      ['Import-Module', { name: missing }],
    ]);
  });

  it('answers Failed for every call while the state file is unreadable', async () => {
    const shell = await importedShell();
    writeFileSync(statePath, '{ not json');
    const error = failed(await call(shell, 'Get-GpuPvInventory', {}));
    assert.equal(error.code, 'Failed');
    assert.match(error.message, /^stand-in: GPUPV_FAKE_HYPERV_STATE names no readable state file \(/);
  });

  it('PowerShell Direct rejects a wrong credential and reads the stale guest driver with the right one', async () => {
    const shell = await importedShell();
    const vm = { vmId: DRIVER_TEST.id, vmName: DRIVER_TEST.name };
    const wrong = { credentialUser: 'tester', credentialPasswordB64: Buffer.from('guess', 'utf8').toString('base64') };
    assert.deepEqual(failed(await call(shell, 'Get-GpuPvGuestDriverInfo', { ...vm, ...wrong })), {
      code: 'CredentialRejected',
      message: 'The credential is invalid.',
    });
    assert.equal(failed(await call(shell, 'Sync-GpuPvHostDriver', { ...vm, ...wrong })).code, 'CredentialRejected');
    const info = ok(await call(shell, 'Get-GpuPvGuestDriverInfo', { ...vm, ...GOOD_LOGON }));
    assert.deepEqual([info.inSync, info.version, info.hostVersion, info.package], [false, '32.0.15.5612', '32.0.15.6094', 'nv_dispi.inf_amd64_0f3c1c4e2b5a9d71']);
    assert.equal(info.adapters[0]!.errorCode, 43);
    const remote = failed(await call(shell, 'Get-GpuPvGuestDriverInfo', { ...vm, ...GOOD_LOGON, computerName: 'GPU-LAB-02' }));
    assert.deepEqual(remote, { code: 'InvalidParameter', message: 'PowerShell Direct works only for VMs on the local Hyper-V host.' });
  });

  it('never writes a password to the call log', async () => {
    const shell = await importedShell();
    const params = { vmId: DRIVER_TEST.id, vmName: DRIVER_TEST.name, ...GOOD_LOGON };
    ok(await call(shell, 'Get-GpuPvGuestDriverInfo', params));
    const text = readFileSync(logPath, 'utf8');
    const encodedCall = buildModuleCall('Get-GpuPvGuestDriverInfo', params).split("'")[1]!;
    for (const secret of [PASSWORD, GOOD_LOGON.credentialPasswordB64, encodedCall]) assert.ok(!text.includes(secret), secret);
    const entry = readCallLog(logPath).at(-1)!;
    assert.equal(entry.command, "Get-GpuPvGuestDriverInfo -EncodedParams '«redacted»'");
    assert.deepEqual(entry.params, { ...params, credentialPasswordB64: '«redacted»' });
  });

  it('Sync-GpuPvHostDriver reports progress per file, and the guest is in sync afterwards', async () => {
    const shell = await importedShell();
    const progressFile = path.join(dir, 'progress.json');
    const vm = { vmId: DRIVER_TEST.id, vmName: DRIVER_TEST.name, ...GOOD_LOGON };
    const result = ok(await call(shell, 'Sync-GpuPvHostDriver', { ...vm, progressFile }));
    assert.deepEqual(result, {
      package: 'nv_dispi.inf_amd64_8e1c2f6d7a9b3e05',
      packages: ['nv_dispi.inf_amd64_8e1c2f6d7a9b3e05'],
      version: '32.0.15.6094',
      filesCopied: 40,
      bytes: 1200000000,
      mode: 'direct',
    });
    const progress = JSON.parse(readFileSync(progressFile, 'utf8')) as DriverSyncProgress;
    assert.deepEqual(progress, { phase: 'done', package: result.package, filesDone: 40, filesTotal: 40, bytesDone: 1200000000, bytesTotal: 1200000000 });
    const info = ok(await call(shell, 'Get-GpuPvGuestDriverInfo', vm));
    assert.deepEqual([info.inSync, info.version, info.packages.length], [true, '32.0.15.6094', 2]);
  });

  it('Sync stops between two files once the cancel file exists; the guest keeps its packages', async () => {
    writeState((doc) => (doc.standIn!.copyDelayMs = 15));
    const before = readState().standIn!.guests![DRIVER_TEST.id];
    const shell = await importedShell();
    const progressFile = path.join(dir, 'progress.json');
    const cancelFile = path.join(dir, 'cancel');
    const sync = call(shell, 'Sync-GpuPvHostDriver', { vmId: DRIVER_TEST.id, vmName: DRIVER_TEST.name, ...GOOD_LOGON, progressFile, cancelFile });
    let seen = 0;
    while (seen < 3) {
      await sleep(10);
      if (existsSync(progressFile)) seen = (JSON.parse(readFileSync(progressFile, 'utf8')) as DriverSyncProgress).filesDone;
    }
    writeFileSync(cancelFile, '');
    const error = failed(await sync);
    assert.equal(error.code, 'Cancelled');
    const done = Number(/^Cancelled after (\d+) of 40 files; the guest keeps the driver packages it had\.$/.exec(error.message)?.[1]);
    assert.ok(done >= 3 && done < 40, error.message);
    assert.deepEqual(readState().standIn!.guests![DRIVER_TEST.id], before);
    const again = failed(await call(shell, 'Sync-GpuPvHostDriver', { vmName: DRIVER_TEST.name, ...GOOD_LOGON, cancelFile }));
    assert.equal(again.message, 'Cancelled after 0 of 40 files; the guest keeps the driver packages it had.');
  });

  it('a VM that goes away mid-copy fails the sync, turns off and keeps its old packages', async () => {
    writeState((doc) => (doc.standIn!.faults = [{ kind: 'vmGoneMidCopy', afterFiles: 7 }]));
    const before = readState().standIn!.guests![DRIVER_TEST.id];
    const shell = await importedShell();
    ok(await call(shell, 'Get-GpuPvInventory', {}));
    assert.deepEqual(failed(await call(shell, 'Sync-GpuPvHostDriver', { vmName: DRIVER_TEST.name, ...GOOD_LOGON })), {
      code: 'Failed',
      message: "The virtual machine 'Win11-DriverTest' stopped during the copy: 7 of 40 files copied; the guest keeps the driver packages it had.",
    });
    const after = readState();
    assert.deepEqual(after.standIn!.guests![DRIVER_TEST.id], before);
    assert.equal(after.vms.find((vm) => vm.id === DRIVER_TEST.id)!.state, 'Off');
    assert.deepEqual(after.standIn!.faults, []);
  });

  it('finds and acts on hostile VM names verbatim: they travel only as JSON data', async () => {
    const hostile = `O'Brien’s "VM" $(Remove-Item C:\\) \`whoami\` ; rm -rf / | Out-Null\n# <# x #> Виртуальная машина 虚拟机`;
    writeState((doc) => {
      const template = doc.vms.find((vm) => vm.name === 'Ubuntu-24.04-Tools')!;
      doc.vms.push({ ...structuredClone(template), id: '0e9d8c7b-6a5f-4e3d-9c2b-1a0f9e8d7c6b', name: hostile });
    });
    const shell = await importedShell();
    const started = ok(await call(shell, 'Invoke-GpuPvVmAction', { vmName: hostile, action: 'start' }));
    assert.deepEqual(started, { id: '0e9d8c7b-6a5f-4e3d-9c2b-1a0f9e8d7c6b', name: hostile, state: 'Running' });
    assert.equal(readState().vms.find((vm) => vm.name === hostile)!.state, 'Running');
    const checkpoint = ok(await call(shell, 'Invoke-GpuPvCheckpoint', { vmName: hostile, action: 'create', name: hostile }));
    assert.equal(checkpoint.checkpoint.name, hostile);

    const demoName = 'Tom’s "Debug" VM $(Remove-Item C:\\) ; rm -rf / #';
    assert.equal(ok(await call(shell, 'Invoke-GpuPvVmAction', { vmName: demoName, action: 'pause' })).state, 'Paused');
    for (const near of [hostile.toUpperCase(), hostile.slice(0, -1), demoName.replace('’', "'")]) {
      assert.deepEqual(failed(await call(shell, 'Invoke-GpuPvVmAction', { vmName: near, action: 'start' })), {
        code: 'VmNotFound',
        message: `No virtual machine named '${near}' was found.`,
      });
    }
    assert.equal(readCallLog(logPath).find((entry) => entry.function === 'Invoke-GpuPvVmAction')?.params?.vmName, hostile);
  });

  it('edits partitions, checkpoints and VM settings like the module (exact Encode strings, Off where Hyper-V needs it)', async () => {
    const shell = await importedShell();
    const set = ok(await call(shell, 'Set-GpuPvPartition', { vmName: DRIVER_TEST.name, values: { maxEncode: '18446744073709551615', optimalVram: '256MB' } }));
    assert.deepEqual([set.maxEncode, set.optimalVram], ['18446744073709551615', 268435456]);
    assert.equal(failed(await call(shell, 'Set-GpuPvPartition', { vmName: DRIVER_TEST.name, values: { maxVram: '18446744073709551616' } })).code, 'InvalidParameter');
    assert.equal(failed(await call(shell, 'Add-GpuPvPartition', { vmName: DRIVER_TEST.name })).code, 'Failed');
    const added = ok(await call(shell, 'Add-GpuPvPartition', { vmName: 'Ubuntu-24.04-Tools' }));
    assert.deepEqual([added.maxVram, added.minEncode], [1000000000, '0']);
    assert.deepEqual(ok(await call(shell, 'Remove-GpuPvPartition', { vmName: 'Ubuntu-24.04-Tools' })), { removed: [added.adapterId] });

    const created = ok(await call(shell, 'Invoke-GpuPvCheckpoint', { vmName: DRIVER_TEST.name, action: 'create' }));
    assert.equal(created.checkpoint.parentId, '7e4c1a9d-25b6-4f83-9c0e-d2a8b5f61347', 'under the current checkpoint');
    assert.match(created.checkpoint.name, /^Win11-DriverTest - \(\d+\/\d+\/\d{4} - \d+:\d\d:\d\d [AP]M\)$/);
    const root = '0b6f2d4a-8e13-4c97-a5d2-61f3e8b7c940';
    const deleted = ok(await call(shell, 'Invoke-GpuPvCheckpoint', { vmName: DRIVER_TEST.name, action: 'delete', checkpointId: root }));
    assert.equal(deleted.state, 'Running');
    const tree = readState().vms.find((vm) => vm.id === DRIVER_TEST.id)!.checkpoints;
    assert.deepEqual(tree.filter((c) => c.parentId === null).map((c) => c.name), ['Driver 32.0.15.5612 baseline', 'Experiment: TdrDelay 10 s']);

    const dryRun = ok(await call(shell, 'Set-GpuPvVmForGpuP', { vmName: 'Ubuntu-24.04-Tools', dryRun: true, lowMmio: '1GB', highMmio: '32GB', automaticStopAction: 'TurnOff', staticMemory: true }));
    assert.deepEqual(dryRun.changes.map((c) => c.setting), ['GuestControlledCacheTypes', 'LowMemoryMappedIoSpace', 'HighMemoryMappedIoSpace', 'AutomaticStopAction', 'DynamicMemoryEnabled']);
    assert.equal(dryRun.applied, false);
    assert.equal(failed(await call(shell, 'Set-GpuPvVmForGpuP', { vmName: DRIVER_TEST.name, automaticStopAction: 'ShutDown' })).code, 'InvalidParameter');
    assert.deepEqual(ok(await call(shell, 'Enable-GpuPvGuestServices', { vmName: 'Win11-GpuP-Ready' })), { name: 'Guest Service Interface', enabled: true, status: 'OK', changed: true });
  });
});
