import * as vscode from 'vscode';
import { Commands } from '../../common/contributions';
import type { Checkpoint } from '../../hyperv/inventory';
import { displayText } from '../model/formatting';
import type { VmTreeNode } from '../model/vmTreeNodes';
import { confirm, resolveVm, vmLabel, withViewProgress, type VmCommandContext, type VmTarget } from './vmCommandContext';

export function registerCheckpointCommands(context: VmCommandContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(Commands.checkpointCreate, (node?: VmTreeNode) => createCheckpoint(context, node)),
    vscode.commands.registerCommand(Commands.checkpointApply, (node?: VmTreeNode) => applyCheckpoint(context, node)),
    vscode.commands.registerCommand(Commands.checkpointDelete, (node?: VmTreeNode) => deleteCheckpoint(context, node)),
  ];
}

async function createCheckpoint(context: VmCommandContext, node: VmTreeNode | undefined): Promise<void> {
  const target = await resolveVm(context, node, () => true, 'checkpoint');
  if (!target) return;
  const name = await vscode.window.showInputBox({
    title: `Checkpoint ${vmLabel(target.vm)}`,
    prompt: 'Name of the checkpoint (leave empty for Hyper-V’s "<VM name> - (<date>)")',
    placeHolder: 'before driver 1.2.3',
  });
  if (name === undefined) return;
  await withViewProgress(context, `Checkpointing ${vmLabel(target.vm)}…`, () =>
    context.inventories
      .host(target.hostKey)
      .call('Invoke-GpuPvCheckpoint', { vmId: target.vm.id, vmName: target.vm.name, action: 'create', ...(name.trim() ? { name: name.trim() } : {}) }),
  );
  await context.scheduler.requestManual();
}

async function applyCheckpoint(context: VmCommandContext, node: VmTreeNode | undefined): Promise<void> {
  const chosen = await resolveCheckpoint(context, node, 'apply a checkpoint to');
  if (!chosen) return;
  const { target, checkpoint } = chosen;
  const checkpointFirst = 'Checkpoint Current State, Then Apply';
  const choice = await vscode.window.showWarningMessage(
    `Apply checkpoint "${displayText(checkpoint.name)}" to ${vmLabel(target.vm)}?`,
    {
      modal: true,
      detail: 'The VM returns to the state it had then. Everything since the last checkpoint is lost unless you checkpoint the current state first.',
    },
    'Apply',
    checkpointFirst,
  );
  if (!choice) return;
  const host = context.inventories.host(target.hostKey);
  const vm = { vmId: target.vm.id, vmName: target.vm.name };
  await withViewProgress(context, `Applying "${displayText(checkpoint.name)}" to ${vmLabel(target.vm)}…`, async () => {
    if (choice === checkpointFirst) await host.call('Invoke-GpuPvCheckpoint', { ...vm, action: 'create' });
    return host.call('Invoke-GpuPvCheckpoint', { ...vm, action: 'apply', checkpointId: checkpoint.id });
  });
  await context.scheduler.requestManual();
}

async function deleteCheckpoint(context: VmCommandContext, node: VmTreeNode | undefined): Promise<void> {
  const chosen = await resolveCheckpoint(context, node, 'delete a checkpoint of');
  if (!chosen) return;
  const { target, checkpoint } = chosen;
  const detail = 'Its disk changes are merged into its children (or the VM); the VM itself does not change. This cannot be undone.';
  if (!(await confirm(`Delete checkpoint "${displayText(checkpoint.name)}" of ${vmLabel(target.vm)}?`, detail, 'Delete'))) return;
  await withViewProgress(context, `Deleting checkpoint "${displayText(checkpoint.name)}"…`, () =>
    context.inventories
      .host(target.hostKey)
      .call('Invoke-GpuPvCheckpoint', { vmId: target.vm.id, vmName: target.vm.name, action: 'delete', checkpointId: checkpoint.id }),
  );
  await context.scheduler.requestManual();
}

/** The checkpoint row the command was invoked on, or a VM and then one of its checkpoints. */
async function resolveCheckpoint(
  context: VmCommandContext,
  node: VmTreeNode | undefined,
  purpose: string,
): Promise<{ target: VmTarget; checkpoint: Checkpoint } | undefined> {
  if (node?.kind === 'checkpoint') return { target: { hostKey: node.hostKey, vm: node.vm }, checkpoint: node.checkpoint };
  const target = await resolveVm(context, node, (vm) => vm.checkpoints.length > 0, purpose);
  if (!target) return undefined;
  if (target.vm.checkpoints.length === 0) {
    void vscode.window.showInformationMessage(`${vmLabel(target.vm)} has no checkpoints.`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    [...target.vm.checkpoints].reverse().map((checkpoint) => ({
      label: displayText(checkpoint.name),
      description: checkpoint.created ? checkpoint.created.slice(0, 16).replace('T', ' ') : undefined,
      checkpoint,
    })),
    { title: `Checkpoint of ${vmLabel(target.vm)}` },
  );
  return picked ? { target, checkpoint: picked.checkpoint } : undefined;
}
