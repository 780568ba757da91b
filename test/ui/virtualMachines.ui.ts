import * as assert from 'node:assert/strict';
import { readFileSync, renameSync } from 'node:fs';
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
