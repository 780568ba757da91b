import * as vscode from 'vscode';
import type { Logger } from '../common/logger';
import { actionableMessage } from '../hyperv/hyperVError';
import { LOCAL_HOST_KEY } from '../hyperv/hyperVHost';
import type { DeployTarget } from '../protocol/config/driverConfigParser';
import { readHyperVSettings } from '../vms/hyperVSettings';
import type { VirtualMachinesApi } from '../vms/virtualMachinesView';
import { StepFailure, type StepContext } from './pipeline/deployPipeline';
import type { GuestAccess } from './steps/guestSteps';
import { isGuestTransportError, type GuestTransport } from './transport/guestTransport';
import { connectPowerShellDirect } from './transport/powerShellDirectTransport';

// A VM of the Virtual Machines view as Deploy and Test reaches it: PowerShell Direct with the
// credentials the view keeps for the VM, its checkpoint reverted and the VM started through
// the same GpuPv.psm1 calls as the view's own actions, and then a wait until the guest answers
// (a VM that is "Running" has not booted Windows yet).

const GUEST_BOOT_TIMEOUT_MS = 300_000;
const RETRY_MS = 3_000;

export interface VmAccessOptions {
  readonly vms: VirtualMachinesApi;
  /** GpuPv.psm1 as shipped. */
  readonly modulePath: string;
  /** The folder of GpuPvGuestDirect.ps1 and GpuPvGuest.psm1 as shipped. */
  readonly guestScripts: string;
  readonly log: Logger;
}

export function vmAccess(target: Extract<DeployTarget, { kind: 'vm' }>, options: VmAccessOptions): GuestAccess {
  const { vms, log } = options;
  const hostKey = target.host ?? LOCAL_HOST_KEY;
  /** The VM as the view knows it; read from the host first when the view has not (it may never have been opened). */
  const vm = async () => {
    let found = vms.inventories.vm(hostKey, target.vmId);
    if (!found) {
      await vms.inventories.refresh(hostKey, { quiet: true });
      found = vms.inventories.vm(hostKey, target.vmId);
    }
    if (!found) throw new StepFailure(`The VM ${target.vmId} is not on ${target.host ?? 'this computer'}'s Hyper-V`, 'Correct driver.target.vm in gpupv.json ("Copy VM Id" on the VM\'s row in the Virtual Machines view gives it).');
    return found;
  };
  const label = () => {
    const found = vms.inventories.vm(hostKey, target.vmId);
    return found ? `VM "${found.name}"` : `VM ${target.vmId}`;
  };
  const guest = async () => ({ hostKey, vmId: target.vmId, vmName: (await vm()).name });

  const connectOnce = async (signal: AbortSignal, connectTimeoutMs?: number): Promise<GuestTransport> => {
    if (target.host) throw new StepFailure(`PowerShell Direct reaches the VMs of this computer only, not those of ${target.host}`, 'Run VS Code on that Hyper-V host, or reach the guest over SSH ("target": { "ssh": "user@host" }).');
    for (let attempt = 0; ; attempt++) {
      const credentials = await vms.credentials.getOrAsk(await guest());
      if (!credentials) throw new StepFailure(`No credentials for ${label()}`, 'Run Deploy and Test again and sign in when it asks; they are kept in SecretStorage.');
      try {
        return await connectPowerShellDirect({ vmId: target.vmId, vmName: (await vm()).name }, credentials, {
          executable: readHyperVSettings().powershell,
          modulePath: options.modulePath,
          guestScripts: options.guestScripts,
          log,
          signal,
          ...(connectTimeoutMs ? { connectTimeoutMs } : {}),
        });
      } catch (error) {
        if (isGuestTransportError(error, 'authFailed') && attempt === 0) {
          await vms.credentials.forget(await guest());
          continue;
        }
        throw error;
      }
    }
  };

  /** Until the guest answers PowerShell Direct, or the boot timeout. */
  const waitForGuest = async ({ signal, report }: StepContext): Promise<number> => {
    const started = Date.now();
    for (;;) {
      try {
        const transport = await connectOnce(signal, 30_000);
        await transport.close();
        return Date.now() - started;
      } catch (error) {
        if (signal.aborted || error instanceof StepFailure || isGuestTransportError(error, 'authFailed')) throw error;
        if (Date.now() - started > GUEST_BOOT_TIMEOUT_MS) throw new StepFailure(`${label()} did not answer PowerShell Direct within ${GUEST_BOOT_TIMEOUT_MS / 60_000} minutes of starting`, 'Open its console (Hyper-V Manager) to see whether Windows booted; a guest that bugchecks at boot needs its checkpoint fixed.');
        report.info(`Waiting for Windows in ${label()}…`);
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  };

  const host = () => vms.inventories.host(hostKey);
  return {
    get label() {
      return label();
    },
    confirm: async (question, action) => (await vscode.window.showWarningMessage(question, { modal: true }, action)) === action,
    connect: ({ signal }) => connectOnce(signal),
    revertCheckpoint: async (checkpoint, context) => {
      const { vmName } = await guest();
      context.report.command(`Restore-VMSnapshot -VMName "${vmName}" -Name "${checkpoint}"`);
      let applied;
      try {
        applied = await host().call('Invoke-GpuPvCheckpoint', { vmId: target.vmId, vmName, action: 'apply', name: checkpoint });
      } catch (error) {
        if (context.signal.aborted) throw error;
        // Nothing was copied yet: the VM is as the failed apply left it, which Hyper-V makes all or nothing.
        throw new StepFailure(`The checkpoint "${checkpoint}" of ${label()} could not be applied: ${actionableMessage(error)}`, `Check "checkpoint" in gpupv.json against the VM's checkpoints in the Virtual Machines view; nothing was copied to the guest.`);
      }
      if (applied.state !== 'Running') {
        context.report.command(`Start-VM -VMName "${vmName}"`);
        await host().call('Invoke-GpuPvVmAction', { vmId: target.vmId, vmName, action: 'start' });
      }
      const waited = await waitForGuest(context);
      void vms.scheduler.requestManual();
      return `${label()} is back at checkpoint "${checkpoint}"; the guest answered after ${(waited / 1000).toFixed(1)} s`;
    },
    restart: async (context) => {
      const { vmName } = await guest();
      context.report.command(`Restart-VM -VMName "${vmName}"`);
      await host().call('Invoke-GpuPvVmAction', { vmId: target.vmId, vmName, action: 'restart' });
      await waitForGuest(context);
    },
  };
}
