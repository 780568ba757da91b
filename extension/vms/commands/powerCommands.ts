import * as vscode from 'vscode';
import { Commands } from '../../common/contributions';
import type { VmAction, VirtualMachine } from '../../hyperv/inventory';
import type { VmTreeNode } from '../model/vmTreeNodes';
import { confirm, resolveVm, vmLabel, withViewProgress, type VmCommandContext } from './vmCommandContext';

interface PowerAction {
  readonly command: string;
  readonly action: VmAction;
  /** "start", "shut down": for pickers and progress. */
  readonly verb: string;
  readonly progress: string;
  readonly allowedStates: readonly string[];
  /** Set for actions that lose guest state: the confirmation's detail. */
  readonly destructive?: { readonly button: string; readonly detail: string };
}

const POWER_ACTIONS: readonly PowerAction[] = [
  { command: Commands.vmStart, action: 'start', verb: 'start', progress: 'Starting', allowedStates: ['Off', 'Saved'] },
  { command: Commands.vmShutDown, action: 'shutdown', verb: 'shut down', progress: 'Shutting down', allowedStates: ['Running'] },
  {
    command: Commands.vmTurnOff,
    action: 'turnoff',
    verb: 'turn off',
    progress: 'Turning off',
    allowedStates: ['Running', 'Paused', 'Saved'],
    destructive: {
      button: 'Turn Off',
      detail: 'Like pulling the power cord: the guest does not shut down, unsaved work in it is lost, and a saved state is discarded.',
    },
  },
  { command: Commands.vmSave, action: 'save', verb: 'save', progress: 'Saving', allowedStates: ['Running', 'Paused'] },
  { command: Commands.vmPause, action: 'pause', verb: 'pause', progress: 'Pausing', allowedStates: ['Running'] },
  { command: Commands.vmResume, action: 'resume', verb: 'resume', progress: 'Resuming', allowedStates: ['Paused'] },
  {
    command: Commands.vmRestart,
    action: 'restart',
    verb: 'restart',
    progress: 'Restarting',
    allowedStates: ['Running'],
    destructive: {
      button: 'Restart',
      detail: 'Hyper-V resets the VM like a power cycle: the guest does not shut down first, and unsaved work in it is lost.',
    },
  },
];

export function registerPowerCommands(context: VmCommandContext): vscode.Disposable[] {
  return POWER_ACTIONS.map((power) =>
    vscode.commands.registerCommand(power.command, (node?: VmTreeNode) => runPowerAction(context, power, node)),
  );
}

async function runPowerAction(context: VmCommandContext, power: PowerAction, node: VmTreeNode | undefined): Promise<void> {
  const allowed = (vm: VirtualMachine) => power.allowedStates.includes(vm.state);
  const target = await resolveVm(context, node, allowed, power.verb);
  if (!target) return;
  const { hostKey, vm } = target;
  if (power.destructive && !(await confirm(`${capitalize(power.verb)} ${vmLabel(vm)}?`, power.destructive.detail, power.destructive.button))) {
    return;
  }
  const result = await withViewProgress(context, `${power.progress} ${vmLabel(vm)}…`, () =>
    context.inventories.host(hostKey).call('Invoke-GpuPvVmAction', { vmId: vm.id, vmName: vm.name, action: power.action }),
  );
  if (result) {
    // The row changes now; the refresh below brings CPU, memory and uptime.
    context.inventories.patchVm(hostKey, vm.id, (current) => ({
      ...current,
      state: result.state,
      ...(result.state === 'Off' ? { cpuUsage: 0, memoryAssigned: 0, uptimeSeconds: 0 } : {}),
    }));
  }
  await context.scheduler.requestManual();
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
