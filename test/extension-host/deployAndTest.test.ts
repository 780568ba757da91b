import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands, EXTENSION_ID } from '../../extension/common/contributions';
import type { DeployApi } from '../../extension/deploy/deployService';
import type { GpuPvApi } from '../../extension/extension';
import { driverSection, prepareGuest, prepareVmGuest, vmDriverSection } from '../harness/deployWorkspace';
import { builtInExtensionMacChords, chordsOfKeybindingsFile, macKeybindingNumber, normalizeChord, workbenchKeybindings } from '../harness/keybindingChords';
import { startSshGuest, type SshGuest } from '../harness/sshGuest';
import { waitFor } from './standInHost';

// Deploy and Test in the running extension: the `gpupv` tasks, the one key's command, the status
// bar item, Problems and the run folder, on the real sample package deployed over a real sshd
// to the stand-in Windows guest (see test/unit/deploy/deployPlan.test.ts for the layers).

describe('Deploy and Test in the editor', function () {
  this.timeout(300_000);
  const folder = vscode.workspace.workspaceFolders![0]!;
  const configUri = vscode.Uri.joinPath(folder.uri, 'gpupv.json');
  let originalConfig: Uint8Array | undefined;
  let guest: SshGuest | undefined;
  let api: DeployApi;

  before(async () => {
    api = (await vscode.extensions.getExtension<GpuPvApi>(EXTENSION_ID)!.activate()).deploy;
    guest = await startSshGuest();
    prepareGuest(guest);
    originalConfig = await vscode.workspace.fs.readFile(configUri);
    const config = JSON.parse(new TextDecoder().decode(originalConfig)) as Record<string, unknown>;
    const driver = driverSection(folder.uri.fsPath, guest);
    await vscode.workspace.fs.writeFile(configUri, new TextEncoder().encode(JSON.stringify({ ...config, driver }, null, 2)));
    const { server } = guest;
    const target = { kind: 'ssh' as const, host: server.host, port: server.port, user: server.user, shell: 'posix' as const, powerShell: guest.powerShell, folder: `${guest.work}/gpupv` };
    // What the sign-in prompt and the host key question would have stored.
    await api.sshCredentials.set(target, { privateKey: server.userKey.privateKey.toString('utf8') });
    await api.sshCredentials.trustHostKey(target, server.hostKeyFingerprint);
    await waitFor(() => api.statusBar.text.includes(`${server.user}@${server.host}`), 'the status bar item to show the target', 20_000);
  });

  after(async () => {
    if (originalConfig) await vscode.workspace.fs.writeFile(configUri, originalConfig);
    await vscode.workspace.fs.delete(vscode.Uri.joinPath(folder.uri, 'out'), { recursive: true }).then(undefined, () => undefined);
    await vscode.workspace.fs.delete(vscode.Uri.joinPath(folder.uri, '.gpupv'), { recursive: true }).then(undefined, () => undefined);
    if (guest) await guest.stop();
  });


  it('provides a task per step and the composite, each with its detail and group', async () => {
    const tasks = await vscode.tasks.fetchTasks({ type: 'gpupv' });
    assert.deepEqual(tasks.map((t) => t.name).sort(), ['build', 'collect-logs', 'deploy', 'deploy-and-test', 'install', 'sign', 'test']);
    const build = tasks.find((t) => t.name === 'build')!;
    assert.equal(build.group?.id, vscode.TaskGroup.Build.id);
    assert.equal(build.detail, `Build (${folder.name})`);
    assert.ok(build.problemMatchers.some((m) => m.startsWith('$gpupv-build-')), build.problemMatchers.join(', '));
  });

  it('GPU-PV: Deploy and Test runs every step, reports the test, and the status bar shows the result', async () => {
    const exitCode = await ended(() => vscode.commands.executeCommand(Commands.deployAndTest));
    const last = api.lastRun();
    assert.ok(last, 'a run was recorded');
    const summary = JSON.parse(readFileSync(path.join(last.runFolder, 'summary.json'), 'utf8')) as { result: { status: string; steps: { step: string; status: string; message: string }[] }; tests: { name: string; status: string }[]; files: string[] };
    assert.equal(exitCode, 0, JSON.stringify(summary.result.steps, null, 1));
    assert.equal(last.status, 'passed');
    assert.deepEqual(summary.result.steps.map((s) => `${s.step}:${s.status}`), ['build:passed', 'sign:passed', 'deploy:passed', 'install:passed', 'test:passed', 'collect-logs:passed']);
    assert.deepEqual(summary.tests.map((t) => `${t.name}:${t.status}`), ['smoke:passed']);
    assert.ok(summary.files.includes('logs/setupapi.dev.log'), summary.files.join(', '));
    const transcript = readFileSync(path.join(last.runFolder, 'transcript.log'), 'utf8');
    assert.match(transcript, /\$ pnputil \/add-driver pvsample\.inf \/install/);
    assert.match(transcript, /pvsample OK/);
    assert.match(readFileSync(path.join(last.runFolder, 'summary.md'), 'utf8'), /passed/);
    assert.match(api.statusBar.text, /^\$\(pass\) /);
    assert.equal(api.statusBar.command, Commands.deployAndTest);
  });

  it('a device that fails after the install fails the run, with the cause in Problems on the INF line', async () => {
    prepareGuest(guest!, { problemCodeAfterInstall: 52 });
    const exitCode = await ended(() => vscode.commands.executeCommand(Commands.deployAndTest));
    assert.equal(exitCode, 1);
    assert.equal(api.lastRun()?.status, 'failed');
    const inf = vscode.Uri.file(path.join(folder.uri.fsPath, 'out', 'pvsample.inf'));
    const problems = vscode.languages.getDiagnostics(inf).filter((d) => d.source === 'GPU-PV Deploy and Test');
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /Code 52/);
    assert.match(problems[0]!.message, /testsigning|test signing/i);
    const line = readFileSync(inf.fsPath, 'utf8').split(/\r?\n/)[problems[0]!.range.start.line]!;
    assert.match(line, /PCI\\VEN_1AF4&DEV_10F0/);
    assert.match(api.statusBar.text, /^\$\(error\) /);
    assert.ok(api.statusBar.backgroundColor instanceof vscode.ThemeColor);
    prepareGuest(guest!);
  });

  it('a tasks.json entry runs one step, here only the configured test by name', async () => {
    const [test] = await vscode.tasks.fetchTasks({ type: 'gpupv' }).then((tasks) => tasks.filter((t) => t.name === 'test'));
    const exitCode = await ended(() => vscode.tasks.executeTask(test!));
    assert.equal(exitCode, 0);
    assert.equal(api.lastRun()?.task, 'test');
  });

  it('the Test Explorer lists the configured test and its run button runs it in the guest', async () => {
    const [folderItem] = [...iterate(api.tests.controller.items)];
    assert.ok(folderItem, 'the workspace folder is in the Test Explorer');
    assert.deepEqual([...iterate(folderItem.children)].map((item) => item.label), ['smoke']);
    const exitCode = await ended(() => vscode.commands.executeCommand('testing.runAll'));
    assert.equal(exitCode, 0);
    assert.equal(api.lastRun()?.task, 'test');
  });

  it('its keybinding is none of VS Code\'s own, here and on macOS', async () => {
    const ours = (JSON.parse(readFileSync(path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'package.json'), 'utf8')) as { contributes: { keybindings: { key: string; mac: string }[] } }).contributes.keybindings;
    assert.ok(ours.length > 0);
    // This platform: VS Code's default keybindings file, which lists the built-in extensions' too.
    await vscode.commands.executeCommand('workbench.action.openDefaultKeybindingsFile');
    await waitFor(() => vscode.window.activeTextEditor?.document.uri.scheme === 'vscode', 'the default keybindings', 20_000);
    const text = vscode.window.activeTextEditor!.document.getText();
    const defaults = chordsOfKeybindingsFile(text, (command) => command.startsWith('gpupv.'));
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    assert.ok(defaults.size > 200, `the default keybindings were read (${defaults.size} chords)`);
    assert.ok(defaults.has(normalizeChord('ctrl+shift+p')), 'a chord the file writes is found, whatever the order of its modifiers');
    assert.ok(chordsOfKeybindingsFile(text, () => false).has(normalizeChord(ours[0]!.key)), 'the file lists ours as well: the check would see a clash');
    // macOS: what this VS Code's workbench registers in code, and its built-in extensions' mac keys.
    const source = workbenchKeybindings(readFileSync(path.join(vscode.env.appRoot, 'out', 'vs', 'code', 'browser', 'workbench', 'workbench.js'), 'utf8'));
    assert.ok(source.numbers.size > 300, `the workbench's keybindings were read (${source.numbers.size} distinct)`);
    for (const known of ['cmd+shift+z', 'alt+shift+f', 'cmd+shift+p']) assert.ok(source.numbers.has(macKeybindingNumber(known)), `VS Code's ${known} on macOS is found`);
    const extensions = builtInExtensionMacChords(path.join(vscode.env.appRoot, 'extensions'));
    assert.ok(extensions.size > 10, `the built-in extensions' keybindings were read (${extensions.size})`);
    for (const binding of ours) {
      assert.ok(!defaults.has(normalizeChord(binding.key)), `${binding.key} is bound by VS Code itself`);
      const mac = macKeybindingNumber(binding.mac);
      assert.ok(!source.numbers.has(mac), `${binding.mac} is bound by VS Code itself on macOS`);
      assert.ok(!source.modifierOnly.has(mac & 0xf00), `${binding.mac}: VS Code binds these modifiers with a range of keys on macOS`);
      assert.ok(!extensions.has(normalizeChord(binding.mac)), `${binding.mac} is bound by a built-in extension on macOS`);
    }
  });
});

describe('Deploy and Test to a VM of the Virtual Machines view, over PowerShell Direct', function () {
  this.timeout(300_000);
  const folder = vscode.workspace.workspaceFolders![0]!;
  const configUri = vscode.Uri.joinPath(folder.uri, 'gpupv.json');
  const VM_ID = '3f8a2c4e-9b1d-4e7a-8c2f-5d6e7a8b9c01';
  const CHECKPOINT = 'Clean install (Windows 11 24H2)';
  let originalConfig: Uint8Array | undefined;
  let originalState: string | undefined;
  let api: GpuPvApi;
  const stateFile = () => process.env.GPUPV_FAKE_HYPERV_STATE!;

  before(async () => {
    api = await vscode.extensions.getExtension<GpuPvApi>(EXTENSION_ID)!.activate();
    assert.ok(process.env.GPUPV_FAKE_HYPERV_STATE, 'the extension host runs against the simulated Hyper-V host');
    originalState = readFileSync(stateFile(), 'utf8');
    prepareVmGuest(stateFile(), VM_ID);
    await api.virtualMachines.inventories.refresh();
    await waitFor(() => api.virtualMachines.inventories.vm('local', VM_ID) !== undefined, 'the simulated host\'s VMs', 30_000);
    // What the sign-in prompt would have stored for the VM.
    await api.virtualMachines.credentials.remember({ hostKey: 'local', vmId: VM_ID, vmName: 'Win11-DriverTest' }, { user: 'tester', password: "P@ss w0rd'!" });
    originalConfig = await vscode.workspace.fs.readFile(configUri);
    const config = JSON.parse(new TextDecoder().decode(originalConfig)) as Record<string, unknown>;
    await vscode.workspace.fs.writeFile(configUri, new TextEncoder().encode(JSON.stringify({ ...config, driver: vmDriverSection(folder.uri.fsPath, VM_ID, CHECKPOINT) }, null, 2)));
    await waitFor(() => api.deploy.statusBar.text.includes('Win11-DriverTest'), 'the status bar item to show the VM by name', 20_000);
  });

  after(async () => {
    // Whatever before() got to: the suites after this one need the workspace and host as shipped.
    if (originalConfig) await vscode.workspace.fs.writeFile(configUri, originalConfig);
    await vscode.workspace.fs.delete(vscode.Uri.joinPath(folder.uri, 'out'), { recursive: true }).then(undefined, () => undefined);
    await vscode.workspace.fs.delete(vscode.Uri.joinPath(folder.uri, '.gpupv'), { recursive: true }).then(undefined, () => undefined);
    if (originalState) {
      await api.virtualMachines.credentials.forget({ hostKey: 'local', vmId: VM_ID, vmName: 'Win11-DriverTest' });
      writeFileSync(stateFile(), originalState);
      await api.virtualMachines.inventories.refresh();
    }
  });

  it('reverts the checkpoint, waits for the guest, and deploys, installs and tests in it', async () => {
    const exitCode = await ended(() => vscode.commands.executeCommand(Commands.deployAndTest));
    const last = api.deploy.lastRun()!;
    const transcript = readFileSync(path.join(last.runFolder, 'transcript.log'), 'utf8');
    assert.equal(exitCode, 0, transcript.slice(-3_000));
    assert.match(transcript, /Restore-VMSnapshot -VMName "Win11-DriverTest" -Name "Clean install \(Windows 11 24H2\)"/);
    assert.match(transcript, /is back at checkpoint "Clean install \(Windows 11 24H2\)"; the guest answered after/);
    assert.match(transcript, /files \([\d.]+ KB\) copied and checked/);
    assert.match(transcript, /GPU-PV Sample Display Adapter: working/);
    assert.match(transcript, /pvsample OK/);
    const guest = (JSON.parse(readFileSync(stateFile(), 'utf8')) as { standIn: { guests: Record<string, { driverStore: { originalName: string }[] }> } }).standIn.guests[VM_ID]!;
    assert.ok(guest.driverStore.some((d) => d.originalName === 'pvsample.inf'), 'the VM\'s driver store holds the package');
    assert.match(api.deploy.statusBar.text, /^\$\(pass\) Win11-DriverTest$/);
  });

  it('a checkpoint that cannot be applied fails the deploy with the host\u2019s reason, before anything is copied', async () => {
    const config = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(configUri))) as Record<string, unknown>;
    await vscode.workspace.fs.writeFile(configUri, new TextEncoder().encode(JSON.stringify({ ...config, driver: vmDriverSection(folder.uri.fsPath, VM_ID, 'Before the "fix" $(x)') }, null, 2)));
    // The config store reads gpupv.json again when its watcher reports the change, which tells
    // no one outside: the run must not start before that (a fresh clone's busy machine is slow).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    try {
      const storeBefore = JSON.stringify((JSON.parse(readFileSync(stateFile(), 'utf8')) as { standIn: { guests: Record<string, { driverStore: unknown }> } }).standIn.guests[VM_ID]!.driverStore);
      const exitCode = await ended(() => vscode.commands.executeCommand(Commands.deployAndTest));
      const transcript = readFileSync(path.join(api.deploy.lastRun()!.runFolder, 'transcript.log'), 'utf8');
      assert.notEqual(exitCode, 0, transcript.slice(-2_000));
      assert.match(transcript, /The checkpoint "Before the "fix" \$\(x\)" of VM "Win11-DriverTest" could not be applied: /);
      assert.match(transcript, /nothing was copied to the guest/);
      assert.doesNotMatch(transcript, /copied and checked/);
      const storeAfter = JSON.stringify((JSON.parse(readFileSync(stateFile(), 'utf8')) as { standIn: { guests: Record<string, { driverStore: unknown }> } }).standIn.guests[VM_ID]!.driverStore);
      assert.equal(storeAfter, storeBefore, 'nothing was installed');
      assert.match(api.deploy.statusBar.text, /^\$\(error\) Win11-DriverTest$/);
    } finally {
      await vscode.workspace.fs.writeFile(configUri, new TextEncoder().encode(JSON.stringify({ ...config, driver: vmDriverSection(folder.uri.fsPath, VM_ID, CHECKPOINT) }, null, 2)));
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
  });
});

/** Runs the command or task and resolves with the task's exit code once it ended. */
async function ended(start: () => Thenable<unknown>): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const listener = vscode.tasks.onDidEndTaskProcess((event) => {
      if (event.execution.task.definition.type !== 'gpupv') return;
      listener.dispose();
      resolve(event.exitCode);
    });
    start().then(undefined, (error: unknown) => {
      listener.dispose();
      reject(error instanceof Error ? error : new Error(String(error)));
    });
  });
}

function* iterate(collection: vscode.TestItemCollection): Generator<vscode.TestItem> {
  for (const [, item] of collection) yield item;
}
