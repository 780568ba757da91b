import * as vscode from 'vscode';
import { Commands } from '../../common/contributions';
import type { GpuPartitionAdapter, PartitionValues } from '../../hyperv/inventory';
import { gpuOfAdapter } from '../model/vmTreeChildren';
import type { VmTreeNode } from '../model/vmTreeNodes';
import {
  describeResourceShare,
  PARTITION_BOUNDS,
  PARTITION_RESOURCES,
  RESOURCE_LABELS,
  sharePercent,
  uniformPercent,
  parseBounds,
  percentError,
  uniformShare,
  valueForShare,
  valueKey,
  type PartitionResource,
} from '../model/partitionShares';
import { gpuName, shareSummary } from '../model/vmTreePresentation';
import { confirm, resolveVm, vmLabel, withViewProgress, type VmCommandContext, type VmTarget } from './vmCommandContext';

export function registerPartitionCommands(context: VmCommandContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(Commands.partitionAdd, (node?: VmTreeNode) => addPartition(context, node)),
    vscode.commands.registerCommand(Commands.partitionRemove, (node?: VmTreeNode) => removePartition(context, node)),
    vscode.commands.registerCommand(Commands.partitionEdit, (node?: VmTreeNode) => editPartition(context, node)),
  ];
}

async function addPartition(context: VmCommandContext, node: VmTreeNode | undefined): Promise<void> {
  const target = await resolveVm(context, node, (vm) => vm.state === 'Off', 'add a GPU partition to');
  if (!target) return;
  if (target.vm.state !== 'Off') {
    void vscode.window.showWarningMessage(`Turn ${vmLabel(target.vm)} off first: Hyper-V adds GPU partitions only to VMs that are off.`);
    return;
  }
  const inventory = context.inventories.snapshot(target.hostKey)?.inventory;
  const gpus = inventory?.gpus ?? [];
  if (gpus.length === 0) {
    void vscode.window.showWarningMessage('This host has no partitionable GPU (Get-VMHostPartitionableGpu lists none).');
    return;
  }
  const inUse = (path: string) =>
    (inventory?.vms ?? []).flatMap((vm) => vm.gpuPartitions).filter((a) => gpuOfAdapter(a, gpus)?.instancePath === path).length;
  const picked = await vscode.window.showQuickPick(
    gpus.map((gpu) => ({
      label: gpuName(gpu),
      description: `${inUse(gpu.instancePath)}/${gpu.partitionCount ?? '?'} partitions in use`,
      detail: gpu.instancePath,
      gpu,
    })),
    { title: `Host GPU for ${vmLabel(target.vm)}`, placeHolder: 'The GPU this VM gets a partition of (choosing one needs host build 22000 or later)' },
  );
  if (!picked) return;
  const share = await askPercent(`Share of ${picked.label} for ${vmLabel(target.vm)}`, 'Percent of every resource (VRAM, encode, decode, compute) as min = max = optimal; leave empty for Hyper-V’s defaults', '', true);
  if (share === undefined) return;
  const host = context.inventories.host(target.hostKey);
  const vm = { vmId: target.vm.id, vmName: target.vm.name };
  await withViewProgress(context, `Adding a GPU partition to ${vmLabel(target.vm)}…`, async () => {
    const adapter = await host.call('Add-GpuPvPartition', { ...vm, instancePath: picked.gpu.instancePath });
    if (share !== null) await host.call('Set-GpuPvPartition', { ...vm, adapterId: adapter.adapterId, values: uniformShare(share) });
  });
  await context.scheduler.requestManual();
}

async function removePartition(context: VmCommandContext, node: VmTreeNode | undefined): Promise<void> {
  const chosen = await resolvePartition(context, node, 'remove a GPU partition from');
  if (!chosen) return;
  const { target, adapter } = chosen;
  const detail = 'The guest loses this GPU at its next start. Its driver files stay in the guest.';
  if (!(await confirm(`Remove the GPU partition (${shareSummary(adapter)}) from ${vmLabel(target.vm)}?`, detail, 'Remove'))) return;
  await withViewProgress(context, `Removing the GPU partition of ${vmLabel(target.vm)}…`, () =>
    context.inventories
      .host(target.hostKey)
      .call('Remove-GpuPvPartition', { vmId: target.vm.id, vmName: target.vm.name, adapterId: adapter.adapterId }),
  );
  await context.scheduler.requestManual();
}

async function editPartition(context: VmCommandContext, node: VmTreeNode | undefined): Promise<void> {
  const chosen = await resolvePartition(context, node, 'edit the GPU partition of');
  if (!chosen) return;
  const { target, adapter } = chosen;
  const values = await askPartitionValues(target, adapter);
  if (!values) return;
  const updated = await withViewProgress(context, `Setting the GPU partition of ${vmLabel(target.vm)}…`, () =>
    context.inventories
      .host(target.hostKey)
      .call('Set-GpuPvPartition', { vmId: target.vm.id, vmName: target.vm.name, adapterId: adapter.adapterId, values }),
  );
  if (updated) {
    context.inventories.patchVm(target.hostKey, target.vm.id, (vm) => ({
      ...vm,
      gpuPartitions: vm.gpuPartitions.map((a) => (a.adapterId === updated.adapterId ? updated : a)),
    }));
  }
  await context.scheduler.requestManual();
}

/** One share for everything (what most people want), or one resource's min / max / optimal. */
async function askPartitionValues(target: VmTarget, adapter: GpuPartitionAdapter): Promise<PartitionValues | undefined> {
  type Choice = vscode.QuickPickItem & { resource?: PartitionResource };
  const items: Choice[] = [
    { label: '$(symbol-numeric) One share for every resource', description: shareSummary(adapter), detail: 'min = max = optimal for VRAM, encode, decode and compute, as the community scripts set it' },
    ...PARTITION_RESOURCES.map((resource) => ({
      label: `$(settings) ${RESOURCE_LABELS[resource]}`,
      description: describeResourceShare(adapter, resource),
      detail: 'Set its minimum, maximum and optimal share separately',
      resource,
    })),
  ];
  const choice = await vscode.window.showQuickPick(items, { title: `GPU partition of ${vmLabel(target.vm)}` });
  if (!choice) return undefined;
  if (!choice.resource) {
    const current = uniformPercent(adapter);
    const share = await askPercent(`Share for ${vmLabel(target.vm)}`, 'Percent of every resource (0–100)', current === undefined ? '' : String(current), false);
    return share === undefined || share === null ? undefined : uniformShare(share);
  }
  const resource = choice.resource;
  const current = PARTITION_BOUNDS.map((bound) => sharePercent(adapter[valueKey(bound, resource)], resource) ?? 0).join(' ');
  const text = await vscode.window.showInputBox({
    title: `${RESOURCE_LABELS[resource]} of ${vmLabel(target.vm)}`,
    prompt: 'Minimum, maximum and optimal share in percent, separated by spaces (minimum ≤ optimal ≤ maximum)',
    value: current,
    validateInput: (value) => validateBounds(value),
  });
  if (text === undefined) return undefined;
  const [min, max, optimal] = parseBounds(text)!;
  return {
    [valueKey('min', resource)]: valueForShare(min, resource),
    [valueKey('max', resource)]: valueForShare(max, resource),
    [valueKey('optimal', resource)]: valueForShare(optimal, resource),
  };
}

/** A percentage; null when empty input is allowed and given, undefined when cancelled. */
async function askPercent(title: string, prompt: string, value: string, allowEmpty: boolean): Promise<number | null | undefined> {
  const text = await vscode.window.showInputBox({
    title,
    prompt,
    value,
    validateInput: (input) => (allowEmpty && !input.trim() ? undefined : percentError(input)),
  });
  if (text === undefined) return undefined;
  return text.trim() ? Number(text.trim().replace(/%$/, '')) : null;
}

function validateBounds(input: string): string | undefined {
  return parseBounds(input) ? undefined : 'Three percentages (0–100): minimum, maximum, optimal, with minimum ≤ optimal ≤ maximum.';
}

async function resolvePartition(
  context: VmCommandContext,
  node: VmTreeNode | undefined,
  purpose: string,
): Promise<{ target: VmTarget; adapter: GpuPartitionAdapter } | undefined> {
  if (node?.kind === 'partition' || node?.kind === 'gpuHolder' || node?.kind === 'partitionResource') {
    return { target: { hostKey: node.hostKey, vm: node.vm }, adapter: node.adapter };
  }
  const target = await resolveVm(context, node, (vm) => vm.gpuPartitions.length > 0, purpose);
  if (!target) return undefined;
  const adapters = target.vm.gpuPartitions;
  if (adapters.length === 0) {
    void vscode.window.showInformationMessage(`${vmLabel(target.vm)} has no GPU partition.`);
    return undefined;
  }
  if (adapters.length === 1) return { target, adapter: adapters[0]! };
  const picked = await vscode.window.showQuickPick(
    adapters.map((adapter) => ({ label: shareSummary(adapter), detail: adapter.instancePath ?? adapter.adapterId, adapter })),
    { title: `GPU partition of ${vmLabel(target.vm)}` },
  );
  return picked ? { target, adapter: picked.adapter } : undefined;
}
