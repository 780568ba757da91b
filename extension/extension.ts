import * as vscode from 'vscode';
import { Commands, ContextKeys, LOG_CHANNEL_NAME } from './common/contributions';
import { registerVirtualMachinesView, type VirtualMachinesApi } from './vms/virtualMachinesView';
import { registerRingTracesView } from './traces/ringTracesView';
import { registerTraceViewer } from './traces/registerTraceViewer';
import { registerHeaderFeatures } from './headers/registerHeaderFeatures';

/** What `activate` hands back; the extension-host tests read it, nothing else depends on it. */
export interface GpuPvApi {
  readonly log: vscode.LogOutputChannel;
  readonly virtualMachines: VirtualMachinesApi;
}

// One place wires every service; everything disposable goes into context.subscriptions once.
export function activate(context: vscode.ExtensionContext): GpuPvApi {
  const log = vscode.window.createOutputChannel(LOG_CHANNEL_NAME, { log: true });
  context.subscriptions.push(log);

  const version = (context.extension.packageJSON as { version?: string }).version ?? 'unknown';
  log.info(
    `GPU-PV Dev Kit ${version} activated (extension host on ${process.platform}, VS Code ${vscode.version}, ` +
      `workspace ${vscode.workspace.isTrusted ? 'trusted' : 'untrusted: limited mode'})`,
  );

  void vscode.commands.executeCommand('setContext', ContextKeys.hostPlatform, process.platform);
  const virtualMachines = registerVirtualMachinesView(context, log);
  const traceViewer = registerTraceViewer(context, log);

  context.subscriptions.push(
    vscode.commands.registerCommand(Commands.showLog, () => log.show(true)),
    virtualMachines.disposable,
    traceViewer,
    registerRingTracesView(),
    registerHeaderFeatures(context, log),
  );

  return { log, virtualMachines: virtualMachines.api };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
