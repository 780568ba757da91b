import type { VmAction } from '../../../extension/hyperv/inventory';
import type { CallContext } from './callContext';
import { findVm, hostOf } from './hostTarget';
import { COMPONENT_IDS, inventoryView, serviceId } from './inventoryView';
import { boolParam, param, stringParam, toUInt64, uint64Json } from './params';
import { ModuleError } from './replies';
import { startVm, stopVm } from './vmPower';

// Get-GpuPvInventory, Invoke-GpuPvVmAction, Set-GpuPvVmForGpuP and Enable-GpuPvGuestServices.

/** Without the Hyper-V module or the rights, the module still answers with the host line. */
export function getInventory(call: CallContext): unknown {
  const { doc, target } = call;
  if (target.isLocal) {
    const usable = doc.host.hyperVModule && doc.host.isHyperVAdmin;
    return inventoryView(doc.host, usable ? doc : undefined, doc.hostDriver);
  }
  const name = target.computerName ?? '';
  // The Hyper-V module is looked for on this machine; the remote host checks rights itself.
  const remote = doc.host.hyperVModule ? hostOf(doc, target) : undefined;
  const host = { name, osBuild: remote?.host.osBuild ?? null, hyperVModule: doc.host.hyperVModule, isHyperVAdmin: true };
  return inventoryView(host, remote, null);
}

const ACTIONS: readonly VmAction[] = ['start', 'shutdown', 'turnoff', 'save', 'pause', 'resume', 'restart'];

/** The states each action starts from, as Hyper-V allows them. */
const FROM: Readonly<Record<VmAction, readonly string[]>> = {
  start: ['Off', 'Saved'],
  shutdown: ['Running', 'Paused'],
  turnoff: ['Running', 'Paused'],
  save: ['Running', 'Paused'],
  pause: ['Running'],
  resume: ['Paused'],
  restart: ['Running'],
};

export function invokeVmAction(call: CallContext): unknown {
  const action = stringParam(call.params, 'action', true)!.toLowerCase() as VmAction;
  if (!ACTIONS.includes(action)) throw new ModuleError('InvalidParameter', `Unknown action '${action}'.`);
  const vm = findVm(hostOf(call.doc, call.target), call.params);
  if (!FROM[action].includes(vm.state)) {
    throw new ModuleError(
      'Failed',
      `'${vm.name}' failed to change state. The operation cannot be performed while the object is in its current state.`,
    );
  }
  if (action === 'start') startVm(call.doc, vm);
  else if (action === 'shutdown' || action === 'turnoff') stopVm(call.doc, vm, 'Off');
  else if (action === 'save') stopVm(call.doc, vm, 'Saved');
  else if (action === 'pause') {
    vm.state = 'Paused';
    vm.cpuUsage = 0;
  } else if (action === 'resume') vm.state = 'Running';
  else vm.uptimeSeconds = 0;
  call.save();
  return { id: vm.id, name: vm.name, state: vm.state };
}

interface Change {
  setting: string;
  from: unknown;
  to: unknown;
}

/** Only the given settings are considered; guest-controlled cache types are always wanted. */
export function setVmForGpuP(call: CallContext): unknown {
  const { params } = call;
  const vm = findVm(hostOf(call.doc, call.target), params);
  const dryRun = boolParam(params, 'dryRun');
  const changes: Change[] = [];
  const apply: (() => void)[] = [];
  if (vm.guestControlledCacheTypes !== true) {
    changes.push({ setting: 'GuestControlledCacheTypes', from: vm.guestControlledCacheTypes, to: true });
    apply.push(() => (vm.guestControlledCacheTypes = true));
  }
  for (const [key, setting] of [['lowMmio', 'LowMemoryMappedIoSpace'], ['highMmio', 'HighMemoryMappedIoSpace']] as const) {
    const raw = param(params, key);
    if (raw === undefined) continue;
    const wanted = uint64Json(toUInt64(raw, key));
    const field = key === 'lowMmio' ? 'lowMmioGapSize' : 'highMmioGapSize';
    const current = vm[field];
    if (current !== wanted) {
      changes.push({ setting, from: current, to: wanted });
      apply.push(() => (vm[field] = wanted));
    }
  }
  const stopAction = stringParam(params, 'automaticStopAction');
  if (stopAction !== undefined) {
    // PowerShell's -notcontains and -ne ignore case; Hyper-V stores the canonical spelling.
    const canonical = ['TurnOff', 'ShutDown'].find((a) => a.toLowerCase() === stopAction.toLowerCase());
    if (!canonical) throw new ModuleError('InvalidParameter', "automaticStopAction must be 'TurnOff' or 'ShutDown'.");
    if (vm.automaticStopAction.toLowerCase() !== canonical.toLowerCase()) {
      changes.push({ setting: 'AutomaticStopAction', from: vm.automaticStopAction, to: stopAction });
      apply.push(() => (vm.automaticStopAction = canonical));
    }
  }
  if (boolParam(params, 'staticMemory') && vm.dynamicMemoryEnabled === true) {
    changes.push({ setting: 'DynamicMemoryEnabled', from: true, to: false });
    apply.push(() => (vm.dynamicMemoryEnabled = false));
  }
  let applied = false;
  if (!dryRun && changes.length > 0) {
    if (vm.state !== 'Off') {
      throw new ModuleError('InvalidParameter', `VM '${vm.name}' is ${vm.state}; turn it off before changing these settings.`);
    }
    for (const change of apply) change();
    call.save();
    applied = true;
  }
  return { changes, applied, dryRun };
}

/** Copy-VMFile needs 'Guest Service Interface', which Hyper-V leaves off by default. */
export function enableGuestServices(call: CallContext): unknown {
  const vm = findVm(hostOf(call.doc, call.target), call.params);
  // Found by component id first (the name is localized), as the module does.
  const componentId = COMPONENT_IDS['Guest Service Interface']!.toLowerCase();
  const service = vm.integrationServices.find(
    (s) => serviceId(vm, s).toLowerCase().endsWith(componentId) || s.name === 'Guest Service Interface',
  );
  if (!service) throw new ModuleError('Failed', 'This VM has no Guest Service Interface integration service.');
  const changed = !service.enabled;
  if (changed) {
    service.enabled = true;
    service.status = 'OK';
    call.save();
  }
  return { name: service.name, enabled: service.enabled, status: service.status, changed };
}
