import * as vscode from 'vscode';
import { Commands, Views } from '../../common/contributions';
import type { Logger } from '../../common/logger';
import { actionableMessage, isHyperVError } from '../../hyperv/hyperVError';
import type { VirtualMachine } from '../../hyperv/inventory';
import type { GuestCredentials } from '../guestCredentials';
import type { GuestDriverRecords } from '../guestDriverRecords';
import type { HostInventories } from '../hostInventories';
import type { HyperVSettings } from '../hyperVSettings';
import { displayText } from '../model/formatting';
import { isVmScoped, type VmTreeNode } from '../model/vmTreeNodes';
import type { RefreshScheduler } from '../../common/refreshScheduler';

/** What every Virtual Machines command works with. */
export interface VmCommandContext {
  readonly inventories: HostInventories;
  readonly scheduler: RefreshScheduler;
  readonly records: GuestDriverRecords;
  readonly credentials: GuestCredentials;
  readonly log: Logger;
  settings(): HyperVSettings;
}

/** A VM and the host it lives on, as commands act on it. */
export interface VmTarget {
  readonly hostKey: string;
  readonly vm: VirtualMachine;
}

/**
 * The VM a command acts on: the row it was invoked on (any row under a VM counts), or one
 * the user picks among those whose state allows the action (from the command palette).
 */
export async function resolveVm(
  context: VmCommandContext,
  node: VmTreeNode | undefined,
  allowed: (vm: VirtualMachine) => boolean,
  purpose: string,
): Promise<VmTarget | undefined> {
  if (node && isVmScoped(node)) {
    // The row may be a few seconds old; act on the VM as last read.
    const fresh = context.inventories.vm(node.hostKey, node.vm.id) ?? node.vm;
    return { hostKey: node.hostKey, vm: fresh };
  }
  const candidates = context.inventories.vms().filter(({ vm }) => allowed(vm));
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(
      context.inventories.vms().length === 0
        ? 'No virtual machines are listed yet: open the Virtual Machines view, or check its message.'
        : `No virtual machine can be chosen to ${purpose} in its current state.`,
    );
    return undefined;
  }
  const multipleHosts = context.inventories.targets.length > 1;
  const picked = await vscode.window.showQuickPick(
    candidates.map((candidate) => ({
      label: displayText(candidate.vm.name),
      description: [candidate.vm.state, multipleHosts ? hostName(context, candidate.hostKey) : undefined].filter(Boolean).join(' · '),
      candidate,
    })),
    { title: `Virtual machine to ${purpose}`, placeHolder: 'Type to filter by name', matchOnDescription: true },
  );
  return picked?.candidate;
}

export function hostName(context: VmCommandContext, hostKey: string): string {
  const snapshot = context.inventories.snapshot(hostKey);
  return snapshot?.inventory?.host.name ?? snapshot?.target.computerName ?? 'this computer';
}

/** Shows a failure where the user looks, with the way to the log; a VM that vanished refreshes the view. */
export async function reportFailure(context: VmCommandContext, error: unknown): Promise<void> {
  if (isHyperVError(error, 'VmNotFound')) void context.scheduler.requestManual();
  if (isHyperVError(error, 'Cancelled')) {
    void vscode.window.showInformationMessage(actionableMessage(error));
    return;
  }
  const choice = await vscode.window.showErrorMessage(actionableMessage(error), 'Show Log');
  if (choice === 'Show Log') await vscode.commands.executeCommand(Commands.showLog);
}

/** Short work against a host: a progress bar in the view, the failure reported, never thrown. */
export async function withViewProgress<T>(
  context: VmCommandContext,
  title: string,
  work: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await vscode.window.withProgress({ location: { viewId: Views.virtualMachines }, title }, work);
  } catch (error) {
    await reportFailure(context, error);
    return undefined;
  }
}

/** Asks before something that loses work or data; the confirm button names the action. */
export async function confirm(message: string, detail: string, action: string): Promise<boolean> {
  const choice = await vscode.window.showWarningMessage(message, { modal: true, detail }, action);
  return choice === action;
}

export function vmLabel(vm: VirtualMachine): string {
  return `"${displayText(vm.name)}"`;
}
