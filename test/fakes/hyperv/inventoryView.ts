import type {
  Checkpoint,
  GpuPartitionAdapter,
  HostInfo,
  IntegrationService,
  Inventory,
  PartitionableGpu,
  PartitionValue,
  VirtualMachine,
} from '../../../extension/hyperv/inventory';
import type { HostState, Mutable, VmRecord } from './stateDocument';

// What Get-GpuPvInventory (and the functions that return one adapter or checkpoint) print:
// exactly the module's keys in the module's order, so nothing the stand-in keeps for itself
// (dynamicMemoryEnabled, the standIn section) ever reaches a reply.

const RESOURCES = ['Vram', 'Encode', 'Decode', 'Compute'] as const;

/** Format-GpuPvValue: Encode values are decimal strings, the others numbers. */
export function formatValue(value: PartitionValue | undefined, resource: string): PartitionValue {
  if (value === null || value === undefined) return null;
  if (resource === 'Encode') return typeof value === 'number' ? BigInt(value).toString() : value;
  return typeof value === 'string' ? Number(value) : value;
}

export function adapterView(adapter: Mutable<GpuPartitionAdapter>): GpuPartitionAdapter {
  const view: Record<string, unknown> = { adapterId: adapter.adapterId, instancePath: adapter.instancePath };
  for (const res of RESOURCES) {
    for (const kind of ['min', 'max', 'optimal']) {
      const key = `${kind}${res}` as keyof GpuPartitionAdapter;
      view[key] = formatValue(adapter[key], res);
    }
  }
  return view as unknown as GpuPartitionAdapter;
}

export function checkpointView(c: Mutable<Checkpoint>): Checkpoint {
  return { id: c.id, name: c.name, parentId: c.parentId, created: c.created };
}

/** Sort-Object CreationTime: oldest first, undated first. */
function byCreation(a: Mutable<Checkpoint>, b: Mutable<Checkpoint>): number {
  return (a.created ?? '').localeCompare(b.created ?? '');
}

export function vmView(vm: VmRecord): VirtualMachine {
  return {
    id: vm.id,
    name: vm.name,
    state: vm.state,
    cpuUsage: vm.cpuUsage,
    memoryAssigned: vm.memoryAssigned,
    uptimeSeconds: vm.uptimeSeconds,
    generation: vm.generation,
    version: vm.version,
    automaticStopAction: vm.automaticStopAction,
    guestControlledCacheTypes: vm.guestControlledCacheTypes,
    lowMmioGapSize: vm.lowMmioGapSize,
    highMmioGapSize: vm.highMmioGapSize,
    gpuPartitions: vm.gpuPartitions.map(adapterView),
    checkpoints: [...vm.checkpoints].sort(byCreation).map(checkpointView),
    integrationServices: vm.integrationServices.map((s) => ({ id: serviceId(vm, s), name: s.name, enabled: s.enabled, status: s.status })),
  };
}

/** Hyper-V's integration component ids: the service names are localized, these are not. */
export const COMPONENT_IDS: Readonly<Record<string, string>> = {
  'Guest Service Interface': '6C09BB55-D683-4DA0-8931-C9BF705F6480',
  Heartbeat: '84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47',
  'Key-Value Pair Exchange': '2A34B1C2-FD73-4043-8A5B-DD2159BC743F',
  Shutdown: '9F8233AC-BE49-4C79-8EE3-E7E1985B2077',
  'Time Synchronization': '2497F4DE-E9FA-4204-80E4-4B75C46419C0',
  VSS: '5CED1297-4598-4915-A5FC-AD21BB4D02A4',
};

/** `Microsoft:<VM ID>\<component id>` as Hyper-V prints it; a stored id wins. */
export function serviceId(vm: { readonly id: string }, service: Mutable<IntegrationService>): string {
  return service.id ?? `Microsoft:${vm.id.toUpperCase()}\\${COMPONENT_IDS[service.name] ?? service.name}`;
}

export function gpuView(gpu: Mutable<PartitionableGpu>): PartitionableGpu {
  const view: Record<string, unknown> = {
    name: gpu.name,
    instancePath: gpu.instancePath,
    friendlyName: gpu.friendlyName,
    validPartitionCounts: gpu.validPartitionCounts,
    partitionCount: gpu.partitionCount,
  };
  for (const res of RESOURCES) {
    for (const key of [`total${res}`, `available${res}`, `minPartition${res}`, `maxPartition${res}`, `optimalPartition${res}`]) {
      view[key] = formatValue(gpu[key as keyof PartitionableGpu] as PartitionValue | undefined, res);
    }
  }
  return view as unknown as PartitionableGpu;
}

/** The host line; `simulated` is always set, so nothing mistakes the stand-in for a real host. */
export function hostView(host: HostInfo): HostInfo {
  return {
    name: host.name,
    osBuild: host.osBuild,
    hyperVModule: host.hyperVModule,
    isHyperVAdmin: host.isHyperVAdmin,
    simulated: true,
  };
}

/** Get-VM sorts by Name (culture-aware, as Sort-Object does). */
export function inventoryView(host: HostInfo, state: HostState | undefined, hostDriver: Inventory['hostDriver']): Inventory {
  const vms = state ? [...state.vms].sort((a, b) => a.name.localeCompare(b.name, 'en-US')).map(vmView) : [];
  return { host: hostView(host), vms, gpus: state ? state.gpus.map(gpuView) : [], hostDriver };
}
