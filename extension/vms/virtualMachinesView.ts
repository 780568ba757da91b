import * as vscode from 'vscode';
import { Commands, ContextKeys, Views } from '../common/contributions';
import type { Logger } from '../common/logger';
import { registerCheckpointCommands } from './commands/checkpointCommands';
import { registerDriverCommands } from './commands/driverCommands';
import { registerGuestCommands } from './commands/guestCommands';
import { registerPartitionCommands } from './commands/partitionCommands';
import { registerPowerCommands } from './commands/powerCommands';
import { registerPrepareCommand } from './commands/prepareCommand';
import { registerDdaCommands } from './commands/ddaCommands';
import { registerNewVmCommand } from './commands/newVmCommand';
import type { VmCommandContext } from './commands/vmCommandContext';
import { GuestCredentials } from './guestCredentials';
import { GuestDriverRecords } from './guestDriverRecords';
import { HostInventories } from './hostInventories';
import { affectsHyperVSettings, readHyperVSettings, type HyperVSettings } from './hyperVSettings';
import { RefreshScheduler } from '../common/refreshScheduler';
import { VmTreeDataProvider } from './vmTreeDataProvider';

/** What the extension-host tests reach through the extension's API. */
export interface VirtualMachinesApi {
  readonly inventories: HostInventories;
  readonly scheduler: RefreshScheduler;
  readonly provider: VmTreeDataProvider;
  readonly records: GuestDriverRecords;
  readonly treeView: vscode.TreeView<unknown>;
  /** PowerShell Direct credentials per VM, shared with Deploy and Test. */
  readonly credentials: GuestCredentials;
}

/**
 * The "Virtual Machines" view: Hyper-V hosts, their VMs, GPU partitions and partitionable
 * GPUs, with the everyday actions. Every host is read through GpuPv.psm1 in one PowerShell
 * process of its own; the view polls only while it is visible.
 */
export function registerVirtualMachinesView(
  context: vscode.ExtensionContext,
  log: Logger,
): { disposable: vscode.Disposable; api: VirtualMachinesApi } {
  let settings: HyperVSettings = readHyperVSettings();
  const inventories = new HostInventories(vscode.Uri.joinPath(context.extensionUri, 'dist', 'GpuPv.psm1').fsPath, log);
  const records = new GuestDriverRecords(context.globalState);
  const credentials = new GuestCredentials(context.secrets);
  const provider = new VmTreeDataProvider(inventories, records);
  const treeView = vscode.window.createTreeView(Views.virtualMachines, { treeDataProvider: provider, showCollapseAll: true });
  const scheduler = new RefreshScheduler((reason) => inventories.refresh(undefined, { quiet: reason === 'automatic' }), settings.refreshMs);

  const publishStatus = () => void vscode.commands.executeCommand('setContext', ContextKeys.hypervStatus, inventories.status());
  const applySettings = () => {
    settings = readHyperVSettings();
    inventories.configure(settings, vscode.workspace.isTrusted);
    scheduler.setInterval(settings.refreshMs);
    log.info(
      `Hyper-V: ${inventories.targets.length} host(s) (${inventories.targets.map((t) => t.computerName ?? 'local').join(', ') || 'none'}), ` +
        `PowerShell "${settings.powershell}", refresh every ${settings.refreshMs / 1000 || 'never'} s`,
    );
    if (treeView.visible) scheduler.requestAutomatic();
  };

  const commandContext: VmCommandContext = { inventories, scheduler, records, credentials, log, settings: () => settings };
  const disposables: { dispose(): unknown }[] = [
    inventories,
    provider,
    treeView,
    scheduler,
    vscode.window.registerFileDecorationProvider(provider),
    inventories.onDidChange(publishStatus),
    treeView.onDidChangeVisibility((event) => scheduler.setVisible(event.visible)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (affectsHyperVSettings(event)) applySettings();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(applySettings),
    vscode.commands.registerCommand(Commands.vmsRefresh, () => scheduler.requestManual()),
    ...registerPowerCommands(commandContext),
    ...registerCheckpointCommands(commandContext),
    ...registerPartitionCommands(commandContext),
    registerPrepareCommand(commandContext),
    ...registerDdaCommands(commandContext),
    registerNewVmCommand(commandContext),
    ...registerDriverCommands(commandContext),
    ...registerGuestCommands(commandContext),
  ];
  applySettings();
  publishStatus();
  scheduler.setVisible(treeView.visible);

  return {
    disposable: vscode.Disposable.from(...disposables),
    api: { inventories, scheduler, provider, records, treeView, credentials },
  };
}
