import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { Commands, EXTENSION_ID, Settings } from '../../extension/common/contributions';
import type { GpuPvApi } from '../../extension/extension';
import { readHyperVSettings } from '../../extension/vms/hyperVSettings';
import type { VmTreeNode } from '../../extension/vms/model/vmTreeNodes';
import type { StateDocument, VmRecord } from '../fakes/hyperv/stateDocument';
import { demoHost, POWERSHELL, StandInHost, waitFor } from './standInHost';

// The Virtual Machines view of the running extension, against the stand-in: what it lists,
// how many round trips that costs, what actions change, and what it says when it cannot
// list anything.

const HOSTILE = 'Tom’s "Debug" VM $(Remove-Item C:\\) ; rm -rf / #';

describe('Hyper-V: the Virtual Machines view', function () {
  this.timeout(60_000);
  let api: GpuPvApi['virtualMachines'];
  let host: StandInHost;
  const ENV_KEYS = ['PSModulePath', 'GPUPV_FAKE_HYPERV_STATE', 'GPUPV_FAKE_HYPERV_LOG'] as const;
  const savedEnv = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
  const config = () => vscode.workspace.getConfiguration();

  /** New settings recreate the sessions, which then start with this test's state file and modules. */
  async function useHost(next: StandInHost, settings: Partial<Record<string, unknown>> = {}): Promise<void> {
    host = next;
    for (const key of ENV_KEYS) process.env[key] = host.env[key];
    await config().update(Settings.powershellPath, settings[Settings.powershellPath] ?? POWERSHELL, vscode.ConfigurationTarget.Global);
    await config().update(Settings.hypervHosts, settings[Settings.hypervHosts], vscode.ConfigurationTarget.Global);
    // Polling off: every round trip below is one the test asked for.
    await config().update(Settings.hypervRefreshSeconds, settings[Settings.hypervRefreshSeconds] ?? 0, vscode.ConfigurationTarget.Global);
    // An unchanged setting fires no change event; the sessions must restart with this env either way.
    api.inventories.configure(readHyperVSettings(), true);
    api.scheduler.setInterval(readHyperVSettings().refreshMs);
    // Let the automatic refresh the settings change asked for (debounced) run and end, so the
    // round trips a test counts are its own.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await refresh();
  }

  async function refresh(): Promise<void> {
    await vscode.commands.executeCommand(Commands.vmsRefresh);
  }

  function roots(): VmTreeNode[] {
    return api.provider.getChildren();
  }

  function hostRows(hostIndex = 0): VmTreeNode[] {
    return api.provider.getChildren(roots()[hostIndex]);
  }

  function vmRow(name: string): Extract<VmTreeNode, { kind: 'vm' }> {
    const row = roots().flatMap((r) => api.provider.getChildren(r)).find((n) => n.kind === 'vm' && n.vm.name === name);
    assert.ok(row?.kind === 'vm', `no row for ${name}`);
    return row;
  }

  before(async () => {
    const extension = vscode.extensions.getExtension<GpuPvApi>(EXTENSION_ID)!;
    await waitFor(() => extension.isActive, 'activation');
    api = extension.exports.virtualMachines;
    await vscode.commands.executeCommand('gpupv.vms.focus');
  });

  after(async () => {
    for (const key of [Settings.hypervHosts, Settings.hypervRefreshSeconds]) await config().update(key, undefined, vscode.ConfigurationTarget.Global);
    for (const key of ENV_KEYS) process.env[key] = savedEnv[key];
    // Back to what the server was started with, so later tiers see the same.
    await config().update(Settings.powershellPath, POWERSHELL, vscode.ConfigurationTarget.Global);
  });

  it('lists the simulated host, its partitionable GPUs and its VMs, in one round trip', async () => {
    await useHost(new StandInHost());
    const before = host.moduleCalls('Get-GpuPvInventory').length;
    await refresh();
    assert.equal(host.moduleCalls('Get-GpuPvInventory').length, before + 1);
    assert.equal(api.inventories.status(), 'ok');
    const hostItem = api.provider.getTreeItem(roots()[0]!);
    assert.equal(hostItem.label, 'GPU-WORKSTATION (simulated)');
    const rows = hostRows();
    assert.equal(rows[0]?.kind, 'gpuGroup');
    const gpus = api.provider.getChildren(rows[0]).map((n) => api.provider.getTreeItem(n));
    assert.deepEqual(gpus.map((g) => g.label), ['NVIDIA GeForce RTX 4090', 'Intel(R) Arc(TM) A770 Graphics']);
    assert.match(String(gpus[0]!.description), /^\d+\/8 partitions in use/);
    const running = api.provider.getTreeItem(vmRow('Win11-DriverTest'));
    assert.match(String(running.description), /^Running · \d+% CPU · \d+(\.\d)? GB · /);
    assert.equal((running.iconPath as vscode.ThemeIcon).id, 'vm-running');
    const children = api.provider.getChildren(vmRow('Win11-DriverTest')).map((n) => n.kind);
    assert.deepEqual(children, ['partition', 'checkpointGroup', 'serviceGroup']);
  });

  it('shows a hostile VM name verbatim, and acts on it by id with the name only as data', async () => {
    await useHost(new StandInHost());
    await refresh();
    const row = vmRow(HOSTILE);
    assert.equal(api.provider.getTreeItem(row).label, HOSTILE);
    await vscode.commands.executeCommand(Commands.vmPause, row);
    const call = host.moduleCalls('Invoke-GpuPvVmAction').at(-1)!;
    assert.equal(call.params?.vmName, HOSTILE);
    assert.equal(call.params.vmId, row.vm.id);
    assert.match(call.command, /^Invoke-GpuPvVmAction -EncodedParams '[A-Za-z0-9+/=]+'$/);
    assert.equal(host.read().vms.find((v) => v.name === HOSTILE)?.state, 'Paused');
  });

  it('starting a VM changes its state, icon and contextValue at once', async () => {
    await useHost(new StandInHost());
    await refresh();
    const off = vmRow('Win11-GpuP-Ready');
    assert.equal((api.provider.getTreeItem(off).iconPath as vscode.ThemeIcon).id, 'vm-outline');
    await vscode.commands.executeCommand(Commands.vmStart, off);
    const started = api.provider.getTreeItem(vmRow('Win11-GpuP-Ready'));
    assert.equal((started.iconPath as vscode.ThemeIcon).id, 'vm-running');
    assert.match(started.contextValue!, /\bstate:running\b/);
    assert.equal(host.read().vms.find((v) => v.name === 'Win11-GpuP-Ready')?.state, 'Running');
  });

  it('refreshes 200 VMs with one round trip per refresh', async () => {
    const doc = demoHost();
    const template = doc.vms[0]!;
    doc.vms = Array.from({ length: 200 }, (_, i): VmRecord => ({
      ...structuredClone(template),
      id: `5e1d7a2c-0000-4000-8000-${String(i).padStart(12, '0')}`,
      name: `scale-vm-${String(i).padStart(3, '0')}`,
      state: i % 3 === 0 ? 'Running' : 'Off',
    }));
    await useHost(new StandInHost(doc));
    const before = host.moduleCalls().length;
    await refresh();
    await refresh();
    assert.deepEqual(host.moduleCalls().slice(before).map((c) => c.function), ['Get-GpuPvInventory', 'Get-GpuPvInventory']);
    const vms = hostRows().filter((n) => n.kind === 'vm');
    assert.equal(vms.length, 200);
    for (const row of vms) api.provider.getTreeItem(row);
  });

  it('warns on a VM whose guest driver copy is older than the host driver, through a badge and its tooltip', async () => {
    await useHost(new StandInHost());
    await refresh();
    const row = vmRow('Win11-DriverTest');
    await api.records.set('local', row.vm.id, { version: '32.0.15.5612', package: 'nv_dispi.inf_amd64_0f3c1c4e2b5a9d71', checkedAt: new Date().toISOString(), source: 'check' });
    const item = api.provider.getTreeItem(row);
    assert.ok(item.resourceUri, 'a warned row carries the URI its decoration hangs on');
    const decoration = api.provider.provideFileDecoration(item.resourceUri);
    assert.equal(decoration?.badge, '!');
    assert.match(decoration.tooltip!, /32\.0\.15\.5612 is older than the host driver 32\.0\.15\.6094/);
    assert.match((item.tooltip as vscode.MarkdownString).value, /\$\(warning\) Guest driver copy 32\\\.0\\\.15\\\.5612 is older/);
    await api.records.forget('local', row.vm.id);
    assert.equal(api.provider.getTreeItem(row).resourceUri, undefined);
  });

  it('gives a failing remote host an error row and keeps the others working', async () => {
    await useHost(new StandInHost(), { [Settings.hypervHosts]: ['GPU-LAB-02', 'OLD-HV-HOST'] });
    await refresh();
    const hosts = roots().map((r) => labelOf(api.provider.getTreeItem(r)));
    assert.deepEqual(hosts, ['GPU-WORKSTATION (simulated)', 'GPU-LAB-02 (simulated)', 'OLD-HV-HOST']);
    const broken = api.provider.getChildren(roots()[2]);
    assert.equal(broken[0]?.kind, 'hostError');
    assert.match(labelOf(api.provider.getTreeItem(broken[0])), /Cannot reach the Hyper-V host on OLD-HV-HOST/);
    assert.ok(api.provider.getChildren(roots()[1]).some((n) => n.kind === 'vm'));
    assert.ok(hostRows(0).some((n) => n.kind === 'vm'));
    assert.deepEqual(
      host.moduleCalls('Get-GpuPvInventory').slice(-3).map((c) => c.params?.computerName ?? 'local').sort(),
      ['GPU-LAB-02', 'OLD-HV-HOST', 'local'],
    );
  });

  // One test per reason: each needs PowerShell sessions of its own, and a loaded machine starts
  // a real pwsh in seconds.
  it('empties the view and says why when the Hyper-V module is missing', async () => {
    await useHost(new StandInHost(demoHost(), { without: ['Hyper-V'] }));
    assert.equal(api.inventories.status(), 'moduleMissing');
    assert.deepEqual(roots(), []);
  });

  it('empties the view and says why when the user is not a Hyper-V administrator', async () => {
    const notAdmin = new StandInHost();
    notAdmin.edit((doc: StateDocument) => (doc.host.isHyperVAdmin = false));
    await useHost(notAdmin);
    assert.equal(api.inventories.status(), 'notAdmin');
    assert.deepEqual(roots(), []);
  });

  it('empties the view and says why when PowerShell cannot be found', async () => {
    await useHost(new StandInHost(), { [Settings.powershellPath]: '/nonexistent/pwsh' });
    assert.equal(api.inventories.status(), 'noPowerShell');
    assert.deepEqual(roots(), []);
  });

  it('empties the view and says why when this is not Windows and no PowerShell is set', async function () {
    if (process.platform === 'win32') this.skip();
    await useHost(new StandInHost(), { [Settings.powershellPath]: '' });
    assert.equal(api.inventories.status(), 'notWindows');
    assert.deepEqual(roots(), []);
  });

  it('shows each GPU-P VM’s GPU load from the counters read in its one round trip, and the sum on their GPU', async () => {
    await useHost(new StandInHost());
    const before = host.moduleCalls().length;
    // The first refresh sets the counters' baseline; each later one has a rate.
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await refresh();
    }
    assert.deepEqual(host.moduleCalls().slice(before).map((c) => c.function), ['Get-GpuPvInventory', 'Get-GpuPvInventory', 'Get-GpuPvInventory']);
    const driverTest = api.provider.getTreeItem(vmRow('Win11-DriverTest'));
    assert.match(String(driverTest.description), / · GPU 62% 3D$/);
    assert.match(String(api.provider.getTreeItem(vmRow(HOSTILE)).description), / · GPU 40% Video encode$/);
    assert.doesNotMatch(String(api.provider.getTreeItem(vmRow('Win11-Perf')).description), /GPU/, 'a paused VM runs no GPU work');
    const tooltip = (driverTest.tooltip as vscode.MarkdownString).value;
    assert.match(tooltip, /Video decode 15%/);
    assert.match(tooltip, /last [34] refreshes: `[▁▂▃▄▅▆▇█]+`/);
    const gpuGroup = hostRows().find((n) => n.kind === 'gpuGroup')!;
    const rtx = api.provider.getChildren(gpuGroup).map((n) => api.provider.getTreeItem(n)).find((item) => item.label === 'NVIDIA GeForce RTX 4090')!;
    assert.match(String(rtx.description), /VMs: 3D 83%, Video encode 40%$/);
    assert.match((rtx.tooltip as vscode.MarkdownString).value, /All 2 VMs: 3D 83%, Video encode 40%/);
  });

  it('polls only while the view is visible', async () => {
    await useHost(new StandInHost(), { [Settings.hypervRefreshSeconds]: 2 });
    await vscode.commands.executeCommand('gpupv.vms.focus');
    await waitFor(() => host.moduleCalls('Get-GpuPvInventory').length >= 2, 'two polls while visible', 15_000);
    await vscode.commands.executeCommand('workbench.view.explorer');
    await waitFor(() => !api.treeView.visible, 'the view to hide');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const hidden = host.moduleCalls('Get-GpuPvInventory').length;
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    assert.equal(host.moduleCalls('Get-GpuPvInventory').length, hidden, 'a hidden view must not poll');
    await vscode.commands.executeCommand('gpupv.vms.focus');
    await waitFor(() => host.moduleCalls('Get-GpuPvInventory').length > hidden, 'polling to resume', 10_000);
  });
});

function labelOf(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}
