import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands, Views } from '../../common/contributions';
import { LOCAL_HOST_KEY } from '../../hyperv/hyperVHost';
import type { DriverSyncProgress, DriverSyncResult, GuestDriverInfo } from '../../hyperv/inventory';
import type { GuestCredentialParams } from '../../hyperv/moduleCommand';
import { describeDriverState, guestDriverState } from '../model/driverVersions';
import { formatBytes } from '../model/formatting';
import type { VmTreeNode } from '../model/vmTreeNodes';
import { reportFailure, resolveVm, vmLabel, type VmCommandContext, type VmTarget } from './vmCommandContext';

/** After Cancel, the module stops between two files; if it does not within this, the process is stopped. */
const CANCEL_GRACE_MS = 15_000;
/** A sync is long but not endless: a guest that stops answering must not hold the session forever. */
const SYNC_TIMEOUT_MS = 60 * 60_000;
const PROGRESS_POLL_MS = 250;

export function registerDriverCommands(context: VmCommandContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(Commands.syncHostDriver, (node?: VmTreeNode) => syncHostDriver(context, node)),
    vscode.commands.registerCommand(Commands.checkGuestDriver, (node?: VmTreeNode) => checkGuestDriver(context, node)),
  ];
}

/**
 * Copies the host's GPU driver packages into the guest's HostDriverStore: through
 * PowerShell Direct into a running VM, or onto the disk of a VM that is off. Progress comes
 * from a file the module rewrites after every file; Cancel asks the module to stop between
 * two files (the guest keeps its old packages), and stops the process if it does not.
 */
async function syncHostDriver(context: VmCommandContext, node: VmTreeNode | undefined): Promise<void> {
  const target = await resolveVm(context, node, (vm) => vm.state === 'Running' || vm.state === 'Off', 'sync the host GPU driver into');
  if (!target || !checkLocal(target, 'Driver sync')) return;
  const { vm } = target;
  if (vm.state !== 'Running' && vm.state !== 'Off') {
    void vscode.window.showWarningMessage(`${vmLabel(vm)} is ${vm.state}: start it (copy through PowerShell Direct) or turn it off (copy onto its disk) first.`);
    return;
  }
  const guest = { hostKey: target.hostKey, vmId: vm.id, vmName: vm.name };
  try {
    const result =
      vm.state === 'Running'
        ? await context.credentials.withCredentials(guest, (credential) => runSync(context, target, credential))
        : await runSync(context, target, undefined);
    if (!result) return;
    await context.records.set(target.hostKey, vm.id, {
      version: result.version,
      package: result.package,
      checkedAt: new Date().toISOString(),
      source: 'sync',
    });
    context.inventories.redraw();
    context.log.info(`Driver sync into ${vm.name}: ${result.filesCopied} files, ${result.bytes} bytes, ${result.packages.join(', ')} (${result.mode})`);
    const restart = vm.state === 'Running' ? 'Restart VM' : undefined;
    const choice = await vscode.window.showInformationMessage(
      `Copied ${result.filesCopied} files (${formatBytes(result.bytes)}) of driver ${result.version} into ${vmLabel(vm)}. ` +
        (vm.state === 'Running' ? 'Restart the guest so that its GPU partition loads it.' : 'It loads at the next start.'),
      ...(restart ? [restart] : []),
    );
    if (choice === restart) await vscode.commands.executeCommand(Commands.vmRestart, vmNode(target));
  } catch (error) {
    await reportFailure(context, error);
  }
  await context.scheduler.requestManual();
}

async function runSync(context: VmCommandContext, target: VmTarget, credential: GuestCredentialParams | undefined): Promise<DriverSyncResult> {
  const { vm } = target;
  return await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Syncing the host GPU driver into ${vmLabel(vm)}`,
      cancellable: true,
    },
    async (progress, token) => {
      const dir = await mkdtemp(path.join(tmpdir(), 'gpupv-sync-'));
      const progressFile = path.join(dir, 'progress.json');
      const cancelFile = path.join(dir, 'cancel');
      const abort = new AbortController();
      let hardStop: NodeJS.Timeout | undefined;
      const cancelled = token.onCancellationRequested(() => {
        progress.report({ message: 'stopping after the current file…' });
        void writeFile(cancelFile, '');
        hardStop = setTimeout(() => abort.abort(), CANCEL_GRACE_MS);
      });
      const reporter = new ProgressReporter(progress);
      const poll = setInterval(() => void reporter.read(progressFile), PROGRESS_POLL_MS);
      progress.report({ message: vm.state === 'Running' ? 'signing in to the guest…' : 'mounting the VM’s disk…' });
      try {
        return await context.inventories.host(target.hostKey).call(
          'Sync-GpuPvHostDriver',
          {
            vmId: vm.id,
            vmName: vm.name,
            mode: vm.state === 'Running' ? 'direct' : 'offline',
            progressFile,
            cancelFile,
            ...credential,
          },
          { timeoutMs: SYNC_TIMEOUT_MS, signal: abort.signal },
        );
      } finally {
        clearInterval(poll);
        clearTimeout(hardStop);
        cancelled.dispose();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
}

/** Turns the module's progress file into notification progress: files and bytes, as an increment. */
class ProgressReporter {
  private reported = 0;

  constructor(private readonly progress: vscode.Progress<{ message?: string; increment?: number }>) {}

  async read(file: string): Promise<void> {
    let state: DriverSyncProgress;
    try {
      state = JSON.parse(await readFile(file, 'utf8')) as DriverSyncProgress;
    } catch {
      return; // Not written yet, or caught mid-write: the next poll reads it.
    }
    const fraction = state.bytesTotal > 0 ? state.bytesDone / state.bytesTotal : state.filesTotal > 0 ? state.filesDone / state.filesTotal : 0;
    const percent = Math.min(100, fraction * 100);
    this.progress.report({
      message: `${state.filesDone} of ${state.filesTotal} files · ${formatBytes(state.bytesDone)} of ${formatBytes(state.bytesTotal)}`,
      increment: Math.max(0, percent - this.reported),
    });
    this.reported = Math.max(this.reported, percent);
  }
}

/** Looks inside a running guest for its copy of the host driver and remembers what it found. */
async function checkGuestDriver(context: VmCommandContext, node: VmTreeNode | undefined): Promise<void> {
  const target = await resolveVm(context, node, (vm) => vm.state === 'Running', 'check the guest GPU driver of');
  if (!target || !checkLocal(target, 'Checking the guest driver')) return;
  const { vm, hostKey } = target;
  if (vm.state !== 'Running') {
    void vscode.window.showWarningMessage(`Start ${vmLabel(vm)} first: its driver store is read through PowerShell Direct.`);
    return;
  }
  try {
    const info = await vscode.window.withProgress(
      { location: { viewId: Views.virtualMachines }, title: `Checking the guest GPU driver of ${vmLabel(vm)}…` },
      () =>
        context.credentials.withCredentials({ hostKey, vmId: vm.id, vmName: vm.name }, (credential) =>
          context.inventories.host(hostKey).call('Get-GpuPvGuestDriverInfo', { vmId: vm.id, vmName: vm.name, ...credential }),
        ),
    );
    if (!info) return;
    const record = recordFromCheck(info);
    await context.records.set(hostKey, vm.id, record);
    context.inventories.redraw();
    const state = guestDriverState(context.inventories.snapshot(hostKey)?.inventory?.hostDriver ?? null, record);
    if (state.kind === 'stale') {
      const sync = 'Sync Now';
      const choice = await vscode.window.showWarningMessage(describeDriverState(state), sync);
      if (choice === sync) await vscode.commands.executeCommand(Commands.syncHostDriver, vmNode(target));
    } else {
      void vscode.window.showInformationMessage(describeDriverState(state));
    }
  } catch (error) {
    await reportFailure(context, error);
  }
}

export function recordFromCheck(info: GuestDriverInfo) {
  return {
    version: info.version,
    package: info.package,
    checkedAt: new Date().toISOString(),
    source: 'check' as const,
    code43: info.adapters.some((adapter) => adapter.errorCode === 43),
  };
}

/** A VM row for handing a VM on to another command, which takes rows. */
function vmNode({ hostKey, vm }: VmTarget): VmTreeNode {
  return { kind: 'vm', hostKey, vm, gpus: [] };
}

/** PowerShell Direct and mounting a VM's disk only reach VMs on this computer. */
function checkLocal(target: VmTarget, what: string): boolean {
  if (target.hostKey === LOCAL_HOST_KEY) return true;
  void vscode.window.showWarningMessage(`${what} works only for VMs on this computer: PowerShell Direct and disk mounting cannot reach another host.`);
  return false;
}

