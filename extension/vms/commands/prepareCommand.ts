import * as vscode from 'vscode';
import { Commands } from '../../common/contributions';
import type { SettingChange } from '../../hyperv/inventory';
import type { PrepareParams } from '../../hyperv/moduleCommand';
import { formatBytes } from '../model/formatting';
import type { VmTreeNode } from '../model/vmTreeNodes';
import { reportFailure, resolveVm, vmLabel, withViewProgress, type VmCommandContext } from './vmCommandContext';

const GIB = 1024 ** 3;

/** High MMIO space: 32 GB suits most GPUs; some CPUs refuse to start a VM with it. */
const HIGH_MMIO_CHOICES = [
  { label: '32 GB', description: 'recommended', bytes: 32 * GIB },
  { label: '64 GB', description: 'GPUs with very large BARs', bytes: 64 * GIB },
  { label: '16 GB', bytes: 16 * GIB },
  { label: '512 MB', description: 'when the VM fails to start with "insufficient system resources"', bytes: 512 * 1024 ** 2 },
];

export function registerPrepareCommand(context: VmCommandContext): vscode.Disposable {
  return vscode.commands.registerCommand(Commands.prepareForGpuP, (node?: VmTreeNode) => prepareForGpuP(context, node));
}

/**
 * Shows what GPU-P needs changed on a VM (a dry run of the same function) and applies it
 * only after the user has seen the list; a running VM can be shut down first.
 */
async function prepareForGpuP(context: VmCommandContext, node: VmTreeNode | undefined): Promise<void> {
  const target = await resolveVm(context, node, () => true, 'prepare for GPU-P');
  if (!target) return;
  const { hostKey, vm } = target;
  const mmio = await vscode.window.showQuickPick(HIGH_MMIO_CHOICES, {
    title: `Prepare ${vmLabel(vm)} for GPU-P: high MMIO space`,
    placeHolder: 'Memory-mapped I/O space above 4 GB for the GPU’s BARs',
  });
  if (!mmio) return;
  const host = context.inventories.host(hostKey);
  const params: PrepareParams = {
    vmId: vm.id,
    vmName: vm.name,
    lowMmio: 3 * GIB,
    highMmio: mmio.bytes,
    automaticStopAction: 'TurnOff',
    staticMemory: true,
  };
  const plan = await withViewProgress(context, `Reading the settings of ${vmLabel(vm)}…`, () =>
    host.call('Set-GpuPvVmForGpuP', { ...params, dryRun: true }),
  );
  if (!plan) return;
  if (plan.changes.length === 0) {
    void vscode.window.showInformationMessage(`${vmLabel(vm)} is already prepared for GPU-P.`);
    return;
  }
  const running = vm.state === 'Running';
  const off = vm.state === 'Off';
  const apply = off ? 'Apply' : running ? 'Shut Down and Apply' : undefined;
  const detail = [
    ...plan.changes.map(describeChange),
    '',
    off ? 'Nothing else changes.' : running ? 'These settings change only while the VM is off: it is shut down first (the guest shuts down cleanly).' : `The VM is ${vm.state}: turn it off, then run this again.`,
  ].join('\n');
  const choice = await vscode.window.showWarningMessage(`Prepare ${vmLabel(vm)} for GPU-P?`, { modal: true, detail }, ...(apply ? [apply] : []));
  if (!choice) return;
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Preparing ${vmLabel(vm)} for GPU-P`, cancellable: false },
      async (progress) => {
        if (running) {
          progress.report({ message: 'shutting the guest down…' });
          await host.call('Invoke-GpuPvVmAction', { vmId: vm.id, vmName: vm.name, action: 'shutdown' });
        }
        progress.report({ message: 'applying the settings…' });
        await host.call('Set-GpuPvVmForGpuP', params);
      },
    );
    void vscode.window.showInformationMessage(`${vmLabel(vm)} is prepared for GPU-P (${plan.changes.length} setting${plan.changes.length === 1 ? '' : 's'} changed).`);
  } catch (error) {
    await reportFailure(context, error);
  }
  await context.scheduler.requestManual();
}

export function describeChange(change: SettingChange): string {
  return `• ${change.setting}: ${formatSetting(change.setting, change.from)} → ${formatSetting(change.setting, change.to)}`;
}

function formatSetting(setting: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return 'not set';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (setting.includes('MemoryMappedIoSpace') && (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value)))) {
    return formatBytes(Number(value));
  }
  return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
}
