import * as assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { findExecutable } from '../../../extension/hyperv/executableLookup';
import { actionableMessage, HyperVError } from '../../../extension/hyperv/hyperVError';
import { hostTargets } from '../../../extension/hyperv/hyperVHost';
import { buildModuleCall, describeCall, parseModuleReply } from '../../../extension/hyperv/moduleCommand';
import { parseBounds, percentError } from '../../../extension/vms/model/partitionShares';

describe('Hyper-V module calls', () => {
  it('sends the parameters as base64 of UTF-8 JSON, every character intact', () => {
    const params = { vmName: 'Tom’s "Debug" VM $(x) `; | # <# Виртуальная 虚拟机\n', vmId: 'abc' };
    const command = buildModuleCall('Invoke-GpuPvVmAction', { ...params, action: 'start' });
    const [, fn, b64] = /^([\w-]+) -EncodedParams '([A-Za-z0-9+/=]*)'$/.exec(command) ?? [];
    assert.equal(fn, 'Invoke-GpuPvVmAction');
    assert.deepEqual(JSON.parse(Buffer.from(b64!, 'base64').toString('utf8')), { ...params, action: 'start' });
  });

  it('reads the module’s reply line, skipping what a profile or a stray warning printed before it', () => {
    assert.deepEqual(parseModuleReply('{"ok":true,"result":{"a":1}}'), { ok: true, result: { a: 1 } });
    assert.deepEqual(parseModuleReply('Welcome to PowerShell\r\n{not json\r\n{"ok":true,"result":null}\r\n'), { ok: true, result: null });
    assert.deepEqual(parseModuleReply('{"ok":false,"error":{"code":"VmNotFound","message":"gone"}}'), {
      ok: false,
      error: { code: 'VmNotFound', message: 'gone' },
    });
    // What PowerShell 7 writes around a command when stdout is a pipe: keypad mode on and off.
    assert.deepEqual(parseModuleReply('\x1b[?1h\x1b[?1l{"ok":true,"result":1}\x1b[?1h\x1b[?1l'), { ok: true, result: 1 });
    assert.deepEqual(parseModuleReply('\x1b]0;title\x07\x1b=\x1b[32m{"ok":true,"result":2}\x1b[0m'), { ok: true, result: 2 });
    assert.equal(parseModuleReply(''), undefined);
    assert.equal(parseModuleReply('{"ok":false}'), undefined);
    assert.equal(parseModuleReply('{"something":"else"}'), undefined);
  });

  it('logs calls without their secrets', () => {
    const shown = describeCall('Sync-GpuPvHostDriver', { vmName: 'a', credentialUser: 'tester', credentialPasswordB64: 'c2VjcmV0', nested: { password: 'x' } });
    assert.doesNotMatch(shown, /c2VjcmV0|"x"/);
    assert.match(shown, /"credentialPasswordB64":"«redacted»"/);
    assert.match(shown, /"credentialUser":"tester"/);
  });

  it('lists the local host first, then each remote host once (names are case-insensitive)', () => {
    assert.deepEqual(hostTargets([' lab-01 ', 'LAB-01', '', 'lab-02'], true), [
      { key: 'local' },
      { key: 'remote:lab-01', computerName: 'lab-01' },
      { key: 'remote:lab-02', computerName: 'lab-02' },
    ]);
    assert.deepEqual(hostTargets([], false), []);
  });

  it('turns every error code into a message that says what to do', () => {
    const cases: [HyperVError, RegExp][] = [
      [new HyperVError('HyperVModuleMissing', '', 'HOST'), /not installed on HOST.*Enable-WindowsOptionalFeature/],
      [new HyperVError('AccessDenied', '', 'HOST'), /Hyper-V Administrators.*Add-LocalGroupMember/],
      [new HyperVError('VmNotFound', "No virtual machine named 'x' was found."), /No virtual machine named 'x' was found\. It may have been deleted/],
      [new HyperVError('CredentialRejected', 'The credential is invalid.'), /rejected the user name or password.*enter them again/],
      [new HyperVError('HostUnreachable', 'WinRM cannot complete', 'lab-02'), /Cannot reach the Hyper-V host on lab-02.*Enable-PSRemoting/],
      [new HyperVError('Timeout', '60 s (Get-GpuPvInventory)', 'local host'), /did not answer on local host within 60 s.*gpupv\.powershell\.timeoutSeconds/],
      [new HyperVError('PowerShellNotFound', 'PowerShell "pwsh" was not found.'), /"pwsh" was not found\. Install PowerShell or set "gpupv\.powershell\.path"/],
      [new HyperVError('PowerShellCrashed', 'exit code 1'), /exited unexpectedly \(exit code 1\)\. A fresh one starts/],
    ];
    for (const [error, expected] of cases) assert.match(actionableMessage(error), expected, error.code);
  });

  it('validates shares typed into the partition editor', () => {
    assert.equal(percentError('50'), undefined);
    assert.equal(percentError('12.5%'), undefined);
    assert.ok(percentError('101'));
    assert.ok(percentError('-1'));
    assert.ok(percentError('1.234'));
    assert.deepEqual(parseBounds('25 50 40'), [25, 50, 40]);
    assert.equal(parseBounds('50 25 40'), undefined, 'min above max');
    assert.equal(parseBounds('25 50'), undefined);
  });

  describe('finding the PowerShell executable', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'gpupv-exe-'));
      mkdirSync(path.join(dir, 'bin'));
      writeFileSync(path.join(dir, 'bin', 'pwsh'), '#!/bin/sh\n');
      chmodSync(path.join(dir, 'bin', 'pwsh'), 0o755);
      writeFileSync(path.join(dir, 'bin', 'not-executable'), '');
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('finds a bare name on PATH and a path as given, and nothing that cannot be started', async () => {
      const env = { PATH: `/nonexistent:${path.join(dir, 'bin')}` };
      assert.equal(await findExecutable('pwsh', env, 'linux'), path.join(dir, 'bin', 'pwsh'));
      assert.equal(await findExecutable(path.join(dir, 'bin', 'pwsh'), env, 'linux'), path.join(dir, 'bin', 'pwsh'));
      assert.equal(await findExecutable('powershell.exe', env, 'linux'), undefined);
      assert.equal(await findExecutable(path.join(dir, 'bin', 'not-executable'), env, 'linux'), undefined);
      assert.equal(await findExecutable(path.join(dir, 'bin'), env, 'linux'), undefined, 'a folder is not an executable');
    });
  });
});
