import * as vscode from 'vscode';
import type { Logger } from '../common/logger';
import { hostTargets, HyperVHost, LOCAL_HOST_KEY, type HostTarget } from '../hyperv/hyperVHost';
import { actionableMessage, HyperVError, isHyperVError } from '../hyperv/hyperVError';
import type { Inventory, VirtualMachine } from '../hyperv/inventory';
import { PowerShellSession } from '../hyperv/powerShellSession';
import { GpuLoadHistory } from './model/gpuLoad';
import type { HostSnapshot } from './model/vmTreeNodes';
import type { HyperVSettings } from './hyperVSettings';

/**
 * Why the view is empty, or `ok`. Drives `viewsWelcome` through the `gpupv.hyperv.status`
 * context key. Only the local host can empty the view: remote hosts always show, with an
 * error row when they fail.
 */
export type HyperVViewStatus = 'ok' | 'untrusted' | 'notWindows' | 'noPowerShell' | 'moduleMissing' | 'notAdmin';

/**
 * The inventory of every configured Hyper-V host and the sessions that read it. One refresh
 * is one `Get-GpuPvInventory` per host, whatever the number of VMs; a failing host keeps its
 * last inventory and gets an error, the others are unaffected.
 */
export class HostInventories implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  private hosts = new Map<string, HyperVHost>();
  private snapshots = new Map<string, HostSnapshot>();
  private inFlight = new Map<string, Promise<void>>();
  private trusted = true;
  /** Each VM's recent GPU load, for the tooltips' sparklines: one point per refresh that read it. */
  readonly gpuLoadHistory = new GpuLoadHistory();

  constructor(
    private readonly modulePath: string,
    private readonly log: Logger,
  ) {}

  /** (Re)creates the sessions for new settings; inventories of hosts that stay are kept. */
  configure(settings: HyperVSettings, trusted: boolean): void {
    this.trusted = trusted;
    const targets = trusted ? hostTargets(settings.remoteHosts, settings.includeLocalHost) : [];
    for (const host of this.hosts.values()) void host.dispose();
    this.hosts = new Map(
      targets.map((target) => [
        target.key,
        new HyperVHost(
          target,
          new PowerShellSession({
            executable: settings.powershell,
            modulePath: this.modulePath,
            timeoutMs: settings.timeoutMs,
            hostLabel: target.computerName ?? 'local host',
            log: this.log,
          }),
        ),
      ]),
    );
    const previous = this.snapshots;
    this.snapshots = new Map(
      targets.map((target) => [target.key, previous.get(target.key) ?? { target, loading: true }]),
    );
    this.inFlight.clear();
    this.changed.fire();
  }

  get targets(): HostTarget[] {
    return [...this.snapshots.values()].map((s) => s.target);
  }

  all(): HostSnapshot[] {
    return [...this.snapshots.values()];
  }

  snapshot(hostKey: string): HostSnapshot | undefined {
    return this.snapshots.get(hostKey);
  }

  host(hostKey: string): HyperVHost {
    const host = this.hosts.get(hostKey);
    if (!host) throw new HyperVError('Failed', 'That Hyper-V host is no longer configured; the view was refreshed.');
    return host;
  }

  /** Every VM of every host that answered, with its host. */
  vms(): { hostKey: string; vm: VirtualMachine }[] {
    return this.all().flatMap((s) => (s.inventory?.vms ?? []).map((vm) => ({ hostKey: s.target.key, vm })));
  }

  vm(hostKey: string, vmId: string): VirtualMachine | undefined {
    return this.snapshots.get(hostKey)?.inventory?.vms.find((vm) => vm.id === vmId);
  }

  status(): HyperVViewStatus {
    if (!this.trusted) return 'untrusted';
    if (this.snapshots.size === 0) return 'notWindows';
    const local = this.snapshots.get(LOCAL_HOST_KEY);
    if (!local || this.snapshots.size > 1) return 'ok';
    return localHostProblem(local) ?? 'ok';
  }

  /**
   * Reads every host (or one) again. A host already being read is not asked twice: the
   * caller waits for the answer in flight.
   */
  async refresh(hostKey?: string, options: { quiet?: boolean } = {}): Promise<void> {
    const keys = hostKey ? [hostKey] : [...this.hosts.keys()];
    await Promise.all(keys.map((key) => this.refreshHost(key, options.quiet ?? false)));
  }

  private refreshHost(key: string, quiet: boolean): Promise<void> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const host = this.hosts.get(key);
    if (!host) return Promise.resolve();
    const work = this.readInventory(host, quiet).finally(() => {
      if (this.inFlight.get(key) === work) this.inFlight.delete(key);
    });
    this.inFlight.set(key, work);
    return work;
  }

  private async readInventory(host: HyperVHost, quiet: boolean): Promise<void> {
    const key = host.target.key;
    try {
      const inventory = await host.call('Get-GpuPvInventory', {}, { quiet });
      if (this.hosts.get(key) !== host) return; // reconfigured meanwhile
      const next: HostSnapshot = { target: host.target, inventory, error: inventoryProblem(inventory, host.target), loading: false };
      this.gpuLoadHistory.record(key, inventory.vms);
      // A poll that brings nothing new must not redraw the tree under the user's pointer;
      // a VM's GPU load is new with every sample, its sparkline a point longer.
      const measured = inventory.vms.some((vm) => vm.gpuLoad?.sampled);
      if (!measured && sameSnapshot(this.snapshots.get(key), next)) return;
      this.snapshots.set(key, next);
    } catch (error) {
      if (this.hosts.get(key) !== host) return;
      const previous = this.snapshots.get(key);
      const failure = isHyperVError(error) ? error : new HyperVError('Failed', String(error));
      this.snapshots.set(key, {
        target: host.target,
        inventory: previous?.inventory,
        error: { code: failure.code, message: actionableMessage(failure) },
        loading: false,
      });
    }
    this.changed.fire();
  }

  /** Applies what an action already told us, so the row changes before the next refresh. */
  patchVm(hostKey: string, vmId: string, patch: (vm: VirtualMachine) => VirtualMachine): void {
    const snapshot = this.snapshots.get(hostKey);
    const inventory = snapshot?.inventory;
    if (!snapshot || !inventory) return;
    const vms = inventory.vms.map((vm) => (vm.id === vmId ? patch(vm) : vm));
    this.snapshots.set(hostKey, { ...snapshot, inventory: { ...inventory, vms } });
    this.changed.fire();
  }

  /** Tells listeners to redraw, for changes that live outside the inventory (guest driver records). */
  redraw(): void {
    this.changed.fire();
  }

  dispose(): void {
    for (const host of this.hosts.values()) void host.dispose();
    this.hosts.clear();
    this.changed.dispose();
  }
}

function sameSnapshot(a: HostSnapshot | undefined, b: HostSnapshot): boolean {
  return a !== undefined && !a.loading && JSON.stringify([a.inventory, a.error]) === JSON.stringify([b.inventory, b.error]);
}

/** An inventory can arrive fine and still say the host cannot be managed. */
function inventoryProblem(inventory: Inventory, target: HostTarget): HostSnapshot['error'] {
  const name = target.computerName ?? inventory.host.name;
  if (!inventory.host.hyperVModule) {
    const error = new HyperVError('HyperVModuleMissing', '', name);
    return { code: error.code, message: actionableMessage(error) };
  }
  if (!inventory.host.isHyperVAdmin) {
    const error = new HyperVError('AccessDenied', '', name);
    return { code: error.code, message: actionableMessage(error) };
  }
  return undefined;
}

function localHostProblem(local: HostSnapshot): HyperVViewStatus | undefined {
  switch (local.error?.code) {
    case 'PowerShellNotFound':
      return 'noPowerShell';
    case 'HyperVModuleMissing':
      return 'moduleMissing';
    case 'AccessDenied':
      return 'notAdmin';
    default:
      return undefined;
  }
}
