import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands, ContextKeys, LOG_CHANNEL_NAME } from './common/contributions';
import { registerVirtualMachinesView, type VirtualMachinesApi } from './vms/virtualMachinesView';
import { registerRingTracesView, type RingTracesApi } from './traces/ringTracesView';
import { registerTraceViewer, type TraceViewer } from './traces/registerTraceViewer';
import { ProtocolConfigStore } from './headers/protocolConfig';
import { TraceProtocols } from './traces/traceProtocols';
import { registerHeaderFeatures } from './headers/registerHeaderFeatures';
import { registerDeploy, type DeployApi } from './deploy/deployService';
import { windowsCertificateStore } from './deploy/sign/certificateStore';
import { vmAccess } from './deploy/vmAccess';
import { LOCAL_HOST_KEY } from './hyperv/hyperVHost';
import { readHyperVSettings } from './vms/hyperVSettings';

/** What `activate` hands back; the extension-host tests read it, nothing else depends on it. */
export interface GpuPvApi {
  readonly log: vscode.LogOutputChannel;
  readonly virtualMachines: VirtualMachinesApi;
  readonly ringTraces: RingTracesApi;
  readonly traceViewer: TraceViewer;
  readonly deploy: DeployApi;
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
  // gpupv.json of every folder, read once for the header features and the Ring Traces view.
  const configs = new ProtocolConfigStore(log);
  // Decoding profiles, loaded once for the view, the open traces and the live rings.
  const protocols = new TraceProtocols(log);
  const traceViewer = registerTraceViewer(context, log, protocols);
  const ringTraces = registerRingTracesView(context, log, configs, protocols, (target) => traceViewer.livePanels.show({ name: target.name, location: target.location, configPath: target.configUri.fsPath }));

  const guestFolder = vscode.Uri.joinPath(context.extensionUri, 'dist', 'guest').fsPath;
  const modulePath = vscode.Uri.joinPath(context.extensionUri, 'dist', 'GpuPv.psm1').fsPath;
  const deploy = registerDeploy(log, configs, {
    secrets: context.secrets,
    state: context.globalState,
    guestScripts: { runner: path.join(guestFolder, 'Invoke-GpuPvGuest.ps1'), module: path.join(guestFolder, 'GpuPvGuest.psm1') },
    vmAccess: (target, deployLog) => vmAccess(target, { vms: virtualMachines.api, modulePath, guestScripts: guestFolder, log: deployLog }),
    ...(process.platform === 'win32' ? { certificateStore: windowsCertificateStore({ executable: () => readHyperVSettings().powershell, modulePath, log }) } : {}),
    onDidChangeVms: virtualMachines.api.inventories.onDidChange,
    knownVms: () =>
      virtualMachines.api.inventories.vms().map(({ hostKey, vm }) => ({ id: vm.id, name: vm.name, state: vm.state, host: hostKey === LOCAL_HOST_KEY ? undefined : hostKey })),
  });

  context.subscriptions.push(
    deploy.disposable,
    vscode.commands.registerCommand(Commands.showLog, () => log.show(true)),
    virtualMachines.disposable,
    configs,
    protocols,
    traceViewer.disposable,
    traceViewer.onDidOpen((uri) => void ringTraces.api.recent.add(uri)),
    ringTraces.disposable,
    registerHeaderFeatures(context, log, configs),
  );

  return { log, virtualMachines: virtualMachines.api, ringTraces: ringTraces.api, traceViewer, deploy: deploy.api };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
