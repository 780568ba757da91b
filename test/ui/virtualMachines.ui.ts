import * as assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Locator } from 'playwright-core';
import { powerShellExecutable } from '../harness/powerShellTools';
import { guestDriverPackages, resetSimulatedState } from '../harness/simulatedHyperV';
import { UiEnvironment } from './uiEnvironment';
import { SIMULATED_HOST, Workbench } from './workbench';

// The Virtual Machines view as a driver developer sees it, against the simulated workstation
// (real PowerShell running GpuPv.psm1 over the stand-in Hyper-V module): hosts, GPUs, VMs with their states, a VM started from its row, a
// stale guest driver found and flagged, and what the view says when Hyper-V is missing.

const VIEW = 'Virtual Machines';

/** What these tests read of the stand-in's state document. */
interface StandInDocument {
  vms: { id: string; name: string; tpmEnabled?: boolean; processorCount?: number; memoryStartup?: number; gpuPartitions: { maxVram: number }[] }[];
  standIn: { faults?: object[]; mountedDisks?: Record<string, unknown>; mountedImages?: Record<string, unknown> };
}

describe('UI: the Virtual Machines view', () => {
  let workbench: Workbench;
  const env = UiEnvironment.read();
  const originalState = readFileSync(env.hyperVState, 'utf8');

  before(async () => {
    workbench = await Workbench.open();
    await workbench.openGpuPvSidebar();
    // Room for the descriptions ("Running · 14% CPU · 8 GB · 2h 03m") and the whole tree.
    await workbench.resizeSidebar(620);
    await workbench.sidebarPane('Ring Traces').locator('.pane-header').click();
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    await workbench.screenshot(`failed-vms-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 40)}`);
    // A prompt or menu a failed test left open would take the next test's clicks.
    await workbench.page.keyboard.press('Escape');
    await workbench.page.keyboard.press('Escape');
  });

  after(async () => {
    resetSimulatedState(env.hyperVState, originalState);
    await workbench.close();
  });

  const row = (text: string) => workbench.treeRow(VIEW, text);

  /** Polls until `condition` holds; fails with `what` after the timeout. */
  async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await workbench.page.waitForTimeout(100);
    }
  }

  async function expand(text: string): Promise<void> {
    const target = row(text).first();
    if ((await target.getAttribute('aria-expanded')) !== 'true') await target.click();
    await waitUntil(async () => (await target.getAttribute('aria-expanded')) === 'true', `${text} to expand`);
  }

  /** Answers the two credential prompts with what the simulated guests accept. */
  async function signInToGuest(): Promise<void> {
    const input = workbench.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill('tester');
    await input.press('Enter');
    await workbench.page.locator('.quick-input-widget', { hasText: 'Password of tester' }).waitFor();
    await input.fill("P@ss w0rd'!");
    await input.press('Enter');
  }

  async function collapseAll(): Promise<void> {
    await workbench.sidebarPane(VIEW).hover();
    await workbench.sidebarPane(VIEW).locator('.pane-header .action-label[aria-label^="Collapse All"]').click();
    await expand(SIMULATED_HOST);
  }

  /** The badge a file decoration draws, as the label's ::after content. */
  async function badgeOf(target: Locator): Promise<string> {
    return target.locator('.monaco-icon-label').evaluate((el) => getComputedStyle(el, '::after').content);
  }

  async function icon(target: Locator): Promise<string> {
    const classes = (await target.locator('.custom-view-tree-node-item-icon').getAttribute('class')) ?? '';
    return /codicon-([\w-]+)/.exec(classes)?.[1] ?? '';
  }

  it('lists the simulated workstation, its partitionable GPUs and its VMs with their states', async () => {
    await row(SIMULATED_HOST).waitFor();
    assert.match(await row(SIMULATED_HOST).innerText(), /simulated host, not a real Hyper-V/);
    assert.equal(await icon(row('Win11-DriverTest')), 'vm-running');
    assert.equal(await icon(row('Win11-Perf')), 'debug-pause');
    assert.equal(await icon(row('WS2025-BuildAgent')), 'save');
    assert.equal(await icon(row('Win11-GpuP-Ready')), 'vm-outline');
    assert.match(await row('Win11-DriverTest').innerText(), /Running · \d+% CPU · [\d.]+ GB · \d+h \d\dm/);

    await expand('Partitionable GPUs');
    await row('NVIDIA GeForce RTX 4090').waitFor();
    assert.match(await row('NVIDIA GeForce RTX 4090').innerText(), /\d+\/8 partitions in use · VRAM [\d.]+% free/);

    await expand('Win11-DriverTest');
    const partition = row('GPU partition · NVIDIA GeForce RTX 4090');
    await partition.waitFor();
    assert.match(await partition.innerText(), /50% of every resource/);
    await expand('GPU partition · NVIDIA GeForce RTX 4090');
    assert.match(await row('VRAM').first().innerText(), /min 50% · max 50% · optimal 50%/);
    await expand('Checkpoints');
    await workbench.page.mouse.move(1200, 780);
    await workbench.screenshot('vms-tree');
  });

  it('shows the GPU load of the two VMs sharing a GPU, and their sum on the GPU', async () => {
    // The counters need two samples for a rate: the second refresh (5 s apart) brings it.
    const driverTest = row('Win11-DriverTest');
    await waitUntil(async () => (await driverTest.innerText()).includes('GPU 62% 3D'), 'Win11-DriverTest’s GPU load', 30_000);
    const hostile = row('Tom’s "Debug" VM');
    assert.match(await hostile.innerText(), /GPU 40% Video encode/);
    assert.doesNotMatch(await row('Win11-Perf').innerText(), /GPU \d/, 'a paused VM runs no GPU work');
    await expand('Partitionable GPUs');
    const rtx = row('NVIDIA GeForce RTX 4090').first();
    await waitUntil(async () => (await rtx.innerText()).includes('VMs: 3D 83%, Video encode 40%'), 'the sum on the GPU row');

    // A few more refreshes draw the sparkline; then the VM's tooltip.
    await workbench.page.waitForTimeout(11_000);
    await driverTest.locator('.label-name').hover();
    const tooltip = workbench.page.locator('.monaco-hover', { hasText: 'GPU load since the last refresh' });
    await tooltip.waitFor({ timeout: 15_000 });
    const text = await tooltip.innerText();
    assert.match(text, /3D 62%/);
    assert.match(text, /Video decode 15%/);
    assert.match(text, /GPU memory: dedicated 3\.2 GB, shared 410 MB/);
    assert.match(text, /Busiest engine, last \d+ refreshes: [▁▂▃▄▅▆▇█]{2,}/);
    await workbench.screenshot('vms-gpu-load-vm');
    await workbench.page.mouse.move(1200, 780);
    await workbench.page.locator('.monaco-hover').waitFor({ state: 'hidden' });
    await rtx.locator('.label-name').hover();
    const gpuTooltip = workbench.page.locator('.monaco-hover', { hasText: 'GPU load of the VMs on it' });
    await gpuTooltip.waitFor({ timeout: 15_000 });
    assert.match(await gpuTooltip.innerText(), /Win11-DriverTest: GPU 62% 3D · 3\.2 GB dedicated\s+Tom’s "Debug" VM.*GPU 40% Video encode.*\s+All 2 VMs: 3D 83%, Video encode 40%/);
    await workbench.screenshot('vms-gpu-load-gpu');
    await workbench.page.mouse.move(1200, 780);
  });

  it('starts a VM from the play button on its row, and the row turns to running', async () => {
    await collapseAll();
    const vm = row('Win11-GpuP-Ready');
    await vm.hover();
    await vm.locator('.actions .action-label[aria-label^="Start VM"]').click();
    await waitUntil(async () => (await icon(vm)) === 'vm-running', 'the running icon');
    // The row changes at once; the refresh that follows brings its memory. Until that lands the
    // tree is about to be redrawn, and a context menu opened meanwhile would act on a row that
    // is gone (VS Code then runs the command without it).
    await waitUntil(async () => /Running · \d+% CPU · \d+(\.\d)? GB/.test(await vm.innerText()), 'the refresh after the start');
    const state = JSON.parse(readFileSync(env.hyperVState, 'utf8')) as { vms: { name: string; state: string }[] };
    assert.equal(state.vms.find((v) => v.name === 'Win11-GpuP-Ready')?.state, 'Running');
    await workbench.page.mouse.move(1200, 780);
    await workbench.screenshot('vms-started');
  });

  it('checks a guest’s copy of the host driver, signing in once, and flags it as stale', async () => {
    const vm = row('Win11-DriverTest');
    await workbench.contextMenu(vm, 'Check Guest GPU Driver');
    await signInToGuest();
    const warning = workbench.page.locator('.notification-toast', { hasText: 'is older than the host driver 32.0.15.6094' });
    await warning.waitFor({ timeout: 30_000 });
    assert.match(await warning.innerText(), /Sync Now/);
    await waitUntil(async () => (await badgeOf(vm)).includes('!'), 'the warning badge');
    await vm.locator('.label-name').hover();
    const tooltip = workbench.page.locator('.monaco-hover', { hasText: 'is older than the host driver' });
    await tooltip.waitFor();
    await workbench.screenshot('vms-stale-driver');
  });

  it('syncs the host driver into the guest with progress, and the stale warning goes', async () => {
    const vm = row('Win11-DriverTest');
    // The credentials typed in the previous test are kept in SecretStorage: no prompt this time.
    await workbench.contextMenu(vm, 'Sync Host GPU Driver into Guest');
    const progress = workbench.page.locator('.notification-toast', { hasText: 'Syncing the host GPU driver into' });
    await progress.getByText(/\d+ of 40 files/).waitFor({ timeout: 30_000 });
    await workbench.screenshot('vms-driver-sync-progress');
    const done = workbench.page.locator('.notification-toast', { hasText: 'Copied 40 files' });
    await done.waitFor({ timeout: 60_000 });
    assert.match(await done.innerText(), /driver 32\.0\.15\.6094 into "Win11-DriverTest"/);
    await waitUntil(async () => !(await badgeOf(vm)).includes('!'), 'the warning badge to go');
    const state = JSON.parse(readFileSync(env.hyperVState, 'utf8')) as { vms: { id: string; name: string }[] };
    const id = state.vms.find((v) => v.name === 'Win11-DriverTest')!.id;
    assert.deepEqual(guestDriverPackages(env.hyperVState, id), ['nv_dispi.inf_amd64_0f3c1c4e2b5a9d71', 'nv_dispi.inf_amd64_8e1c2f6d7a9b3e05']);
  });

  it('cancels a driver sync between two files, and says the guest keeps what it had', async () => {
    await collapseAll();
    await workbench.contextMenu(row('Win11-GpuP-Ready'), 'Sync Host GPU Driver into Guest');
    await signInToGuest();
    const progress = workbench.page.locator('.notification-toast', { hasText: 'Syncing the host GPU driver into "Win11-GpuP-Ready"' });
    await progress.getByText(/\d+ of 40 files/).waitFor({ timeout: 30_000 });
    await progress.getByRole('button', { name: 'Cancel' }).click();
    const cancelled = workbench.page.locator('.notification-toast', { hasText: /Cancelled after \d+ of 40 files; the guest keeps the driver packages it had/ });
    await cancelled.waitFor({ timeout: 30_000 });
    const state = JSON.parse(readFileSync(env.hyperVState, 'utf8')) as { vms: { id: string; name: string }[] };
    const id = state.vms.find((v) => v.name === 'Win11-GpuP-Ready')!.id;
    assert.deepEqual(guestDriverPackages(env.hyperVState, id), [], 'a cancelled sync must not leave a package behind');
  });

  it('creates a named checkpoint, which appears under the VM', async () => {
    await collapseAll();
    await workbench.contextMenu(row('Win11-Perf'), 'Create Checkpoint');
    const input = workbench.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill('before TDR fix');
    await input.press('Enter');
    await expand('Win11-Perf');
    await expand('Checkpoints');
    await row('before TDR fix').waitFor({ timeout: 30_000 });
  });

  it('edits a GPU partition to one share for every resource', async () => {
    await collapseAll();
    await expand('Win11-Perf');
    const partition = row('GPU partition · Intel(R) Arc(TM) A770 Graphics');
    await workbench.contextMenu(partition, 'Edit GPU Partition');
    await workbench.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'One share for every resource' }).click();
    const input = workbench.page.locator('.quick-input-widget input');
    await workbench.page.locator('.quick-input-widget', { hasText: 'Percent of every resource' }).waitFor();
    await input.fill('25');
    await input.press('Enter');
    await waitUntil(async () => (await partition.innerText()).includes('25% of every resource'), 'the new share on the row');
    await workbench.page.mouse.move(1200, 780);
    await workbench.screenshot('vms-partition-edited');
  });

  it('prepares a VM for GPU-P after showing what will change', async () => {
    await collapseAll();
    await workbench.contextMenu(row('Ubuntu-24.04-Tools'), 'Prepare VM for GPU-P');
    await workbench.page.locator('.quick-input-widget .monaco-list-row', { hasText: '32 GB' }).first().click();
    const dialog = workbench.page.locator('.monaco-dialog-box');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /GuestControlledCacheTypes: off → on/);
    assert.match(await dialog.innerText(), /HighMemoryMappedIoSpace: .* → 32 GB/);
    await workbench.screenshot('vms-prepare-dialog');
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await workbench.page.locator('.notification-toast', { hasText: 'is prepared for GPU-P' }).waitFor({ timeout: 30_000 });
    const state = JSON.parse(readFileSync(env.hyperVState, 'utf8')) as { vms: { name: string; guestControlledCacheTypes: boolean; highMmioGapSize: number }[] };
    const vm = state.vms.find((v) => v.name === 'Ubuntu-24.04-Tools')!;
    assert.equal(vm.guestControlledCacheTypes, true);
    assert.equal(vm.highMmioGapSize, 32 * 1024 ** 3);
  });

  it('assigns a whole GPU to an off VM with DDA after its dry run and a second confirmation to force it, and returns it', async () => {
    const page = workbench.page;
    const A2000 = 'NVIDIA RTX A2000 12GB';
    const description = (text: string) => row(text).first().locator('.label-description').innerText();
    await collapseAll();
    await expand('Host GPUs');
    await waitUntil(async () => (await description(A2000)) === 'on the host · can be assigned', 'the A2000 on the host');
    assert.equal(await description('NVIDIA GeForce RTX 4090'), 'partitioned with GPU-P');
    await workbench.screenshot('vms-host-gpus');
    await workbench.contextMenu(row(A2000).first(), 'Assign GPU to a VM');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Ubuntu-24.04-Tools' }).first().click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    assert.match(await dialog.innerText(), /Disable NVIDIA RTX A2000 12GB on the host/);
    assert.match(await dialog.innerText(), /Dismount PCIROOT\(0\)#PCI\(0300\)#PCI\(0000\) from the host/);
    assert.match(await dialog.innerText(), /Assign PCIROOT\(0\)#PCI\(0300\)#PCI\(0000\) to 'Ubuntu-24.04-Tools'/);
    await workbench.screenshot('vms-dda-dry-run');
    await dialog.getByRole('button', { name: 'Assign', exact: true }).click();
    // The simulated A2000, like most GeForce and many workstation GPUs, comes without securing directives.
    const force = page.locator('.monaco-dialog-box', { hasText: 'with force?' });
    await force.waitFor({ timeout: 30_000 });
    assert.match(await force.innerText(), /assign it only to a VM you trust/);
    assert.match(await force.innerText(), /The GPU is back on the host/);
    await workbench.screenshot('vms-dda-force');
    await force.getByRole('button', { name: 'Assign with Force' }).click();
    await page.locator('.notification-toast', { hasText: 'is assigned to' }).waitFor({ timeout: 30_000 });
    await waitUntil(async () => (await description(A2000)) === 'assigned to Ubuntu-24.04-Tools', 'the A2000 assigned', 30_000);
    await expand('Ubuntu-24.04-Tools');
    await row(`GPU (DDA) · ${A2000}`).waitFor();
    await page.mouse.move(1200, 700);
    await workbench.screenshot('vms-dda-assigned');
    const assigned = JSON.parse(readFileSync(env.hyperVState, 'utf8')) as { vms: { id: string; name: string }[]; devices: { friendlyName: string; assignedTo: string | null; present: boolean }[] };
    const device = () => (JSON.parse(readFileSync(env.hyperVState, 'utf8')) as typeof assigned).devices.find((d) => d.friendlyName === A2000)!;
    assert.equal(device().assignedTo, assigned.vms.find((v) => v.name === 'Ubuntu-24.04-Tools')!.id);

    await workbench.contextMenu(row(`GPU (DDA) · ${A2000}`), 'Return GPU to the Host');
    const back = page.locator('.monaco-dialog-box', { hasText: 'to the host?' });
    await back.waitFor({ timeout: 30_000 });
    assert.match(await back.innerText(), /Remove PCIROOT\(0\)#PCI\(0300\)#PCI\(0000\) from 'Ubuntu-24.04-Tools'/);
    await back.getByRole('button', { name: 'Return to Host' }).click();
    await page.locator('.notification-toast', { hasText: 'is back on the host' }).waitFor({ timeout: 30_000 });
    await waitUntil(async () => (await description(A2000)) === 'on the host · can be assigned', 'the A2000 back on the host', 30_000);
    assert.equal(device().assignedTo, null);
    assert.equal(device().present, true);
  });

  describe('New GPU-P VM', () => {
    const page = () => workbench.page;
    const quickInput = () => page().locator('.quick-input-widget');
    const vhdFolder = () => `${env.hyperVState}.vhds`;
    const state = () => JSON.parse(readFileSync(env.hyperVState, 'utf8')) as StandInDocument;
    let iso: string;

    before(() => {
      // Any file is an ISO to the stand-in: what it holds comes from its standIn.diskImages.
      iso = path.join(mkdtempSync(path.join(tmpdir(), 'gpupv-iso-')), 'Win11_24H2_English_x64.iso');
      writeFileSync(iso, 'CD001');
    });

    /** Picks the quick-pick row that holds `text` once the input whose title holds `title` shows. */
    async function pick(title: string, text: string): Promise<void> {
      await quickInput().locator('.quick-input-title', { hasText: title }).waitFor({ timeout: 30_000 });
      await quickInput().locator('.monaco-list-row', { hasText: text }).first().click();
    }

    /** Types into the input box of the prompt that holds `prompt`; an empty value keeps the default. */
    async function answer(prompt: string, value?: string): Promise<void> {
      await page().locator('.quick-input-widget', { hasText: prompt }).waitFor({ timeout: 30_000 });
      const input = quickInput().locator('input');
      if (value !== undefined) await input.fill(value);
      await input.press('Enter');
    }

    /** The wizard up to its dry run, from the view's title bar, with the ISO typed into VS Code's file dialog. */
    async function runWizard(name: string, unattended: boolean): Promise<void> {
      await workbench.sidebarPane(VIEW).hover();
      await workbench.sidebarPane(VIEW).locator('.pane-header .action-label[aria-label="New GPU-P VM…"]').click();
      await answer('The VM’s name in Hyper-V', name);
      await pick('install from', 'Windows ISO');
      // VS Code's own file dialog, as a remote workbench shows it: a path typed in full.
      const dialogInput = quickInput().locator('input');
      await quickInput().locator('.quick-input-title', { hasText: 'Windows installation ISO' }).waitFor({ timeout: 30_000 });
      // The dialog fills in the workspace folder once it has read it: type the path after that.
      await waitUntil(async () => {
        if ((await dialogInput.inputValue()) !== iso) await dialogInput.fill(iso);
        await page().waitForTimeout(300);
        return (await dialogInput.inputValue()) === iso;
      }, 'the ISO path in the file dialog');
      await dialogInput.press('Enter');
      await pick('edition', 'Windows 11 Pro');
      await pick('disk size', '128 GB');
      await pick('memory', '8 GB');
      await pick('processors', '4 virtual processors');
      await pick('GPU', 'NVIDIA GeForce RTX 4090');
      await pick('share of the GPU', '25%');
      await pick('network', 'Default Switch');
      if (!unattended) {
        await pick('Windows setup', 'I set Windows up myself');
        return;
      }
      await pick('Windows setup', 'Unattended, with a local administrator');
      await answer('The local administrator’s name');
      await answer('password', "P@ss w0rd'!");
      await answer('The computer name inside Windows');
    }

    it('makes a GPU-P VM from a Windows ISO after listing every step, and keeps its account for PowerShell Direct', async () => {
      await collapseAll();
      await runWizard('Win11-GpuP-Dev', true);
      const dialog = page().locator('.monaco-dialog-box', { hasText: 'Create the GPU-P VM' });
      await dialog.waitFor({ timeout: 60_000 });
      const plan = await dialog.innerText();
      assert.match(plan, /Create the disk .*Win11-GpuP-Dev\.vhdx: 128 GB, dynamically expanding/);
      assert.match(plan, /Apply Windows 11 Pro 10\.0\.26100\.1742 \(image 6 of install\.wim\)/);
      assert.match(plan, /local administrator 'gpupv'/);
      assert.match(plan, /Copy the host GPU driver nv_dispi\.inf_amd64_\w+ /);
      assert.match(plan, /A virtual TPM with a new local key protector/);
      assert.match(plan, /A GPU partition of NVIDIA GeForce RTX 4090/);
      assert.match(plan, /A cancel or a failure removes what was made/);
      await workbench.screenshot('vms-new-vm-dry-run');
      await dialog.getByRole('button', { name: 'Create VM' }).click();
      await page().locator('.notification-toast', { hasText: 'Created "Win11-GpuP-Dev" with a GPU partition' }).waitFor({ timeout: 60_000 });
      await row('Win11-GpuP-Dev').waitFor({ timeout: 30_000 });
      await expand('Win11-GpuP-Dev');
      await row('GPU partition · NVIDIA GeForce RTX 4090').first().waitFor();
      await page().mouse.move(1200, 700);
      await workbench.screenshot('vms-new-vm-created');
      const vm = state().vms.find((v) => v.name === 'Win11-GpuP-Dev')!;
      assert.equal(vm.tpmEnabled, true);
      assert.equal(vm.processorCount, 4);
      assert.equal(vm.memoryStartup, 8 * 1024 ** 3);
      assert.equal(vm.gpuPartitions[0]!.maxVram, 250_000_000);
      assert.deepEqual(readdirSync(vhdFolder()), ['Win11-GpuP-Dev.vhdx']);
    });

    it('removes what it made when the creation is cancelled, and says what it removed', async () => {
      // Applying the image takes long enough here to press Cancel, as on a real host.
      const doc = state();
      doc.standIn.faults = [{ kind: 'slow', cmdlet: 'Expand-WindowsImage', ms: 6000 }];
      writeFileSync(env.hyperVState, JSON.stringify(doc, null, 2));
      await workbench.runCommand('Notifications: Clear All Notifications');
      await collapseAll();
      await runWizard('Win11-Cancelled', false);
      const dialog = page().locator('.monaco-dialog-box', { hasText: 'Create the GPU-P VM' });
      await dialog.waitFor({ timeout: 60_000 });
      await dialog.getByRole('button', { name: 'Create VM' }).click();
      const toast = page().locator('.notification-toast', { hasText: 'Creating "Win11-Cancelled"' });
      await toast.locator('text=/Apply Windows 11 Pro/').waitFor({ timeout: 30_000 });
      await toast.getByRole('button', { name: 'Cancel' }).click();
      const said = page().locator('.notification-toast', { hasText: 'was cancelled before' });
      await said.waitFor({ timeout: 60_000 });
      // The whole message, as a user reads it after expanding the toast.
      const expandToast = said.locator('.codicon-notifications-expand');
      if (await expandToast.count()) await expandToast.click();
      assert.match(await said.innerText(), /Removed what it had made: the disk .*Win11-Cancelled\.vhdx/);
      await workbench.screenshot('vms-new-vm-cancelled');
      assert.equal(state().vms.some((v) => v.name === 'Win11-Cancelled'), false);
      assert.deepEqual(readdirSync(vhdFolder()), ['Win11-GpuP-Dev.vhdx']);
      assert.deepEqual(Object.keys(state().standIn.mountedDisks ?? {}), []);
      assert.deepEqual(Object.keys(state().standIn.mountedImages ?? {}), []);
    });
  });

  it('says what to do when the Hyper-V PowerShell module is missing', async () => {
    // Take the Hyper-V module off PSModulePath; the module looks for it once per process, so a
    // settings change (which restarts the sessions) makes the view look again. The same
    // PowerShell by another spelling of its path: an equal value would change nothing.
    const hyperV = path.join(env.hyperVModules, 'Hyper-V');
    const away = path.join(env.hyperVModules, 'Hyper-V.away');
    renameSync(hyperV, away);
    try {
      const pwsh = powerShellExecutable();
      await workbench.setTextSetting('gpupv.powershell.path', `${path.dirname(pwsh)}/./${path.basename(pwsh)}`, 'Remote');
      const welcome = workbench.sidebarPane(VIEW).locator('.welcome-view-content');
      await welcome.getByText('The Hyper-V PowerShell module is not installed', { exact: false }).waitFor({ timeout: 30_000 });
      assert.match(await welcome.innerText(), /Enable-WindowsOptionalFeature/);
      await workbench.screenshot('vms-no-hyperv-module');
    } finally {
      renameSync(away, hyperV);
    }
    await workbench.setTextSetting('gpupv.powershell.path', powerShellExecutable(), 'Remote');
    await row(SIMULATED_HOST).waitFor({ timeout: 30_000 });
  });

  it('says when PowerShell cannot be started, after the setting points at nothing', async () => {
    await workbench.setTextSetting('gpupv.powershell.path', '/opt/no-such/pwsh', 'Remote');
    const welcome = workbench.sidebarPane(VIEW).locator('.welcome-view-content');
    await welcome.getByText('PowerShell could not be started', { exact: false }).waitFor({ timeout: 30_000 });
    assert.equal(await welcome.getByRole('button', { name: 'Open the Setting' }).count(), 1);
    await workbench.screenshot('vms-no-powershell');
    // Back to the real PowerShell the server started with (its Remote settings).
    await workbench.setTextSetting('gpupv.powershell.path', powerShellExecutable(), 'Remote');
    await row(SIMULATED_HOST).waitFor({ timeout: 30_000 });
  });
});
