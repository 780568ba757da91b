import * as vscode from 'vscode';
import { Commands } from '../../common/contributions';
import { launchDetached } from '../../common/processRunner';
import { LOCAL_HOST_KEY } from '../../hyperv/hyperVHost';
import { POWERSHELL_DIRECT_SCRIPT, PS_DIRECT_ENV } from '../../hyperv/powerShellDirectScript';
import { passwordB64 } from '../guestCredentials';
import { displayText } from '../model/formatting';
import { guestServiceInterface } from '../model/vmTreeChildren';
import type { VmTreeNode } from '../model/vmTreeNodes';
import { hostName, reportFailure, resolveVm, vmLabel, withViewProgress, type VmCommandContext } from './vmCommandContext';

export function registerGuestCommands(context: VmCommandContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(Commands.enableGuestServiceInterface, (node?: VmTreeNode) => enableGuestServiceInterface(context, node)),
    vscode.commands.registerCommand(Commands.vmConnect, (node?: VmTreeNode) => connect(context, node)),
    vscode.commands.registerCommand(Commands.openPowerShellDirect, (node?: VmTreeNode) => openPowerShellDirect(context, node)),
    vscode.commands.registerCommand(Commands.forgetGuestCredentials, (node?: VmTreeNode) => forgetCredentials(context, node)),
  ];
}

/** Copy-VMFile (and so deploying into the guest) needs Guest Service Interface, which Hyper-V leaves off. */
async function enableGuestServiceInterface(context: VmCommandContext, node: VmTreeNode | undefined): Promise<void> {
  const target = await resolveVm(context, node, (vm) => guestServiceInterface(vm)?.enabled === false, 'enable Guest Service Interface on');
  if (!target) return;
  const result = await withViewProgress(context, `Enabling Guest Service Interface on ${vmLabel(target.vm)}…`, () =>
    context.inventories.host(target.hostKey).call('Enable-GpuPvGuestServices', { vmId: target.vm.id, vmName: target.vm.name }),
  );
  if (result) {
    context.inventories.patchVm(target.hostKey, target.vm.id, (vm) => ({
      ...vm,
      integrationServices: vm.integrationServices.map((s) => (s === guestServiceInterface(vm) ? { ...s, enabled: result.enabled, status: result.status } : s)),
    }));
  }
  await context.scheduler.requestManual();
}

/** Opens Hyper-V's own console window (vmconnect), by VM id so any name works. */
async function connect(context: VmCommandContext, node: VmTreeNode | undefined): Promise<void> {
  const target = await resolveVm(context, node, () => true, 'connect to');
  if (!target) return;
  if (process.platform !== 'win32') {
    void vscode.window.showWarningMessage('The VM console (vmconnect.exe) exists only on Windows; this VS Code runs its extensions elsewhere.');
    return;
  }
  const server = target.hostKey === LOCAL_HOST_KEY ? 'localhost' : hostName(context, target.hostKey);
  await launchDetached('vmconnect.exe', [server, '-G', target.vm.id]).catch(
    (error: unknown) => void reportFailure(context, new Error(`${error instanceof Error ? error.message : String(error)} It comes with the Hyper-V management tools.`)),
  );
}

/** An integrated terminal inside the guest, signed in with the VM's stored credentials. */
async function openPowerShellDirect(context: VmCommandContext, node: VmTreeNode | undefined): Promise<void> {
  const target = await resolveVm(context, node, (vm) => vm.state === 'Running', 'open a PowerShell Direct session into');
  if (!target) return;
  if (target.hostKey !== LOCAL_HOST_KEY) {
    void vscode.window.showWarningMessage('PowerShell Direct reaches only VMs on this computer.');
    return;
  }
  if (target.vm.state !== 'Running') {
    void vscode.window.showWarningMessage(`Start ${vmLabel(target.vm)} first: PowerShell Direct needs a running guest.`);
    return;
  }
  const credential = await context.credentials.getOrAsk({ hostKey: target.hostKey, vmId: target.vm.id, vmName: target.vm.name });
  if (!credential) return;
  const terminal = vscode.window.createTerminal({
    name: `PowerShell Direct: ${displayText(target.vm.name)}`,
    shellPath: context.settings().powershell,
    shellArgs: ['-NoLogo', '-NoProfile', '-NoExit', '-Command', POWERSHELL_DIRECT_SCRIPT],
    env: {
      [PS_DIRECT_ENV.vmId]: target.vm.id,
      [PS_DIRECT_ENV.vmName]: target.vm.name,
      [PS_DIRECT_ENV.user]: credential.user,
      [PS_DIRECT_ENV.passwordB64]: passwordB64(credential),
    },
    iconPath: new vscode.ThemeIcon('terminal-powershell'),
  });
  terminal.show();
}

async function forgetCredentials(context: VmCommandContext, node: VmTreeNode | undefined): Promise<void> {
  const target = await resolveVm(context, node, () => true, 'forget the guest credentials of');
  if (!target) return;
  await context.credentials.forget({ hostKey: target.hostKey, vmId: target.vm.id, vmName: target.vm.name });
  void vscode.window.showInformationMessage(`The stored guest credentials of ${vmLabel(target.vm)} are forgotten; you are asked again next time.`);
}
