import * as vscode from 'vscode';
import { Commands } from '../../common/contributions';
import { isHyperVError } from '../../hyperv/hyperVError';
import type { DdaResult, HostGpu, VirtualMachine } from '../../hyperv/inventory';
import type { DdaParams } from '../../hyperv/moduleCommand';
import { LOCAL_HOST_KEY } from '../../hyperv/hyperVHost';
import { displayText } from '../model/formatting';
import type { VmTreeNode } from '../model/vmTreeNodes';
import { reportFailure, vmLabel, withViewProgress, type VmCommandContext } from './vmCommandContext';

// Discrete Device Assignment from the Virtual Machines view: a whole host GPU given to an off
// VM, and given back. Each shows the module's own dry run of the steps before anything
// changes; a GPU whose maker gives no directives for securing it in a VM is dismounted with
// force only after a second, explicit confirmation.

export function registerDdaCommands(context: VmCommandContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(Commands.gpuAssign, (node?: VmTreeNode) => assignGpu(context, node)),
    vscode.commands.registerCommand(Commands.gpuReturn, (node?: VmTreeNode) => returnGpu(context, node)),
  ];
}

/** Said by the module when Hyper-V dismounts the GPU only with -Force. */
const NEEDS_FORCE = 'gives no directives for securing it';

async function assignGpu(context: VmCommandContext, node: VmTreeNode | undefined): Promise<void> {
  const gpu = node?.kind === 'hostGpu' ? node.gpu : await pickGpu(context, (g) => g.mode === 'host' || g.mode === 'partitionable', 'assign to a VM');
  if (!gpu) return;
  const vms = context.inventories.snapshot(LOCAL_HOST_KEY)?.inventory?.vms ?? [];
  const picked = await vscode.window.showQuickPick(
    vms.map((vm) => ({ label: displayText(vm.name), description: vm.state === 'Off' ? 'off' : `${vm.state}: it is shut down first`, vm })),
    { title: `Assign ${gpuLabel(gpu)} to a VM (Discrete Device Assignment)`, placeHolder: 'The VM that gets the whole GPU; the host loses it until it is returned' },
  );
  if (!picked) return;
  const vm = picked.vm;
  const running = vm.state === 'Running';
  if (!running && vm.state !== 'Off') {
    void vscode.window.showWarningMessage(`${vmLabel(vm)} is ${vm.state}: turn it off, then assign the GPU.`);
    return;
  }
  const base: DdaParams = { action: 'assign', locationPath: gpu.locationPath, vmId: vm.id, vmName: vm.name };
  const host = context.inventories.host(LOCAL_HOST_KEY);
  const plan = await withViewProgress(context, `Planning the assignment of ${gpuLabel(gpu)}…`, () => host.call('Invoke-GpuPvDda', { ...base, dryRun: true }));
  if (!plan) return;
  const action = running ? 'Shut Down and Assign' : 'Assign';
  const detail = [
    ...(running ? ['• Shut the guest down'] : []),
    ...describeSteps(plan),
    '',
    `${gpuLabel(gpu)} leaves the host: whatever the host runs on it stops, until you return it.`,
  ].join('\n');
  if ((await vscode.window.showWarningMessage(`Assign ${gpuLabel(gpu)} to ${vmLabel(vm)}?`, { modal: true, detail }, action)) !== action) return;
  let result = await runAssignment(context, vm, base, running);
  if (result === 'needsForce') {
    const force = 'Assign with Force';
    const why = [
      `${gpuLabel(gpu)}'s maker gives no directives for securing it while a VM drives it, so Hyper-V dismounts it only when forced.`,
      'A VM that has it can reach the host through it: assign it only to a VM you trust.',
      '',
      'The GPU is back on the host: nothing was left half done.',
    ].join('\n');
    if ((await vscode.window.showWarningMessage(`Assign ${gpuLabel(gpu)} to ${vmLabel(vm)} with force?`, { modal: true, detail: why }, force)) !== force) return;
    result = await runAssignment(context, vm, { ...base, force: true }, false);
  }
  if (result && result !== 'needsForce') {
    void vscode.window.showInformationMessage(
      `${gpuLabel(gpu)} is assigned to ${vmLabel(vm)}. If the VM does not start ("insufficient system resources"), give it more MMIO space above 4 GB.`,
    );
  }
  await context.scheduler.requestManual();
}

async function runAssignment(context: VmCommandContext, vm: VirtualMachine, params: DdaParams, shutDownFirst: boolean): Promise<DdaResult | 'needsForce' | undefined> {
  const host = context.inventories.host(LOCAL_HOST_KEY);
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Assigning the GPU to ${vmLabel(vm)}`, cancellable: false },
      async (progress) => {
        if (shutDownFirst) {
          progress.report({ message: 'shutting the guest down…' });
          await host.call('Invoke-GpuPvVmAction', { vmId: vm.id, vmName: vm.name, action: 'shutdown' });
        }
        progress.report({ message: 'disabling, dismounting and assigning the device…' });
        return await host.call('Invoke-GpuPvDda', params);
      },
    );
  } catch (error) {
    if (!params.force && isHyperVError(error, 'Failed') && error.message.includes(NEEDS_FORCE)) return 'needsForce';
    await reportFailure(context, error);
    return undefined;
  }
}

async function returnGpu(context: VmCommandContext, node: VmTreeNode | undefined): Promise<void> {
  const gpu =
    node?.kind === 'hostGpu' || node?.kind === 'assignedGpu'
      ? node.gpu
      : await pickGpu(context, (g) => g.mode === 'assigned' || g.mode === 'dismounted', 'return to the host');
  if (!gpu) return;
  const vm = gpu.vmId ? context.inventories.vm(LOCAL_HOST_KEY, gpu.vmId) : undefined;
  const shutDown = vm?.state === 'Running' ? vm : undefined;
  if (vm && !shutDown && vm.state !== 'Off') {
    void vscode.window.showWarningMessage(`${vmLabel(vm)} is ${vm.state}: turn it off, then return the GPU.`);
    return;
  }
  const host = context.inventories.host(LOCAL_HOST_KEY);
  const params: DdaParams = { action: 'return', locationPath: gpu.locationPath };
  const plan = await withViewProgress(context, `Planning the return of ${gpuLabel(gpu)}…`, () => host.call('Invoke-GpuPvDda', { ...params, dryRun: true }));
  if (!plan) return;
  const action = shutDown ? 'Shut Down and Return' : 'Return to Host';
  const detail = [...(shutDown ? ['• Shut the guest down'] : []), ...describeSteps(plan), '', vm ? `${vmLabel(vm)} starts without the GPU from now on.` : 'No VM has it.'].join('\n');
  if ((await vscode.window.showWarningMessage(`Return ${gpuLabel(gpu)} to the host?`, { modal: true, detail }, action)) !== action) return;
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Returning ${gpuLabel(gpu)} to the host`, cancellable: false },
      async (progress) => {
        if (shutDown) {
          progress.report({ message: 'shutting the guest down…' });
          await host.call('Invoke-GpuPvVmAction', { vmId: shutDown.id, vmName: shutDown.name, action: 'shutdown' });
        }
        progress.report({ message: 'removing, mounting and enabling the device…' });
        await host.call('Invoke-GpuPvDda', params);
      },
    );
    void vscode.window.showInformationMessage(`${gpuLabel(gpu)} is back on the host.`);
  } catch (error) {
    await reportFailure(context, error);
  }
  await context.scheduler.requestManual();
}

/** DDA acts on the local host only: its GPUs that `allowed` accepts, to pick from. */
async function pickGpu(context: VmCommandContext, allowed: (gpu: HostGpu) => boolean, purpose: string): Promise<HostGpu | undefined> {
  const gpus = (context.inventories.snapshot(LOCAL_HOST_KEY)?.inventory?.hostGpus ?? []).filter(allowed);
  if (gpus.length === 0) {
    void vscode.window.showInformationMessage(`No GPU of this computer can be chosen to ${purpose}: see Host GPUs in the Virtual Machines view.`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    gpus.map((gpu) => ({ label: gpuLabel(gpu), description: gpu.vmName ? `assigned to ${displayText(gpu.vmName)}` : gpu.mode, detail: gpu.locationPath, gpu })),
    { title: `GPU to ${purpose}` },
  );
  return picked?.gpu;
}

function describeSteps(plan: DdaResult): string[] {
  return plan.steps.map((step) => `• ${displayText(step.detail)}`);
}

function gpuLabel(gpu: HostGpu): string {
  return displayText(gpu.name ?? gpu.instanceId);
}
