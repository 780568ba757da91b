import type { GpuPartitionAdapter, HostGpu, Inventory, PartitionableGpu, VirtualMachine } from '../../../extension/hyperv/inventory';
import { uniformShare } from '../../../extension/vms/model/partitionShares';

// Inventories shaped exactly like Get-GpuPvInventory's, for the pure-model tests.

export const RTX_PATH = '\\\\?\\PCI#VEN_10DE&DEV_2684&SUBSYS_16F110DE&REV_A1#4&2b8e0b4c&0&0008#{064092b3-625e-43bf-9eb5-dc845897dd59}\\GPUPARAV';
export const ARC_PATH = '\\\\?\\PCI#VEN_8086&DEV_56A0&SUBSYS_10201849&REV_08#6&1a2b3c4d&0&00E0#{064092b3-625e-43bf-9eb5-dc845897dd59}\\GPUPARAV';

export function gpu(path: string, overrides: Partial<PartitionableGpu> = {}): PartitionableGpu {
  return {
    name: path,
    instancePath: path,
    friendlyName: null,
    validPartitionCounts: [32, 16, 8, 4, 2, 1],
    partitionCount: 8,
    totalVram: 1_000_000_000,
    availableVram: 750_000_000,
    minPartitionVram: 0,
    maxPartitionVram: 1_000_000_000,
    optimalPartitionVram: 1_000_000_000,
    totalEncode: '18446744073709551615',
    availableEncode: '18446744073709551615',
    minPartitionEncode: '0',
    maxPartitionEncode: '18446744073709551615',
    optimalPartitionEncode: '18446744073709551615',
    totalDecode: 1_000_000_000,
    availableDecode: 1_000_000_000,
    minPartitionDecode: 0,
    maxPartitionDecode: 1_000_000_000,
    optimalPartitionDecode: 1_000_000_000,
    totalCompute: 1_000_000_000,
    availableCompute: 1_000_000_000,
    minPartitionCompute: 0,
    maxPartitionCompute: 1_000_000_000,
    optimalPartitionCompute: 1_000_000_000,
    ...overrides,
  };
}

export function adapter(percent: number, instancePath: string | null, adapterId = `adapter-${percent}`): GpuPartitionAdapter {
  return { adapterId, instancePath, ...(uniformShare(percent) as Omit<GpuPartitionAdapter, 'adapterId' | 'instancePath'>) };
}

let next = 0;
export function vm(overrides: Partial<VirtualMachine> = {}): VirtualMachine {
  next++;
  return {
    id: `00000000-0000-4000-8000-${String(next).padStart(12, '0')}`,
    name: `vm-${next}`,
    state: 'Off',
    cpuUsage: 0,
    memoryAssigned: 0,
    uptimeSeconds: 0,
    generation: 2,
    version: '12.0',
    automaticStopAction: 'Save',
    guestControlledCacheTypes: false,
    lowMmioGapSize: 134_217_728,
    highMmioGapSize: 536_870_912,
    gpuPartitions: [],
    checkpoints: [],
    integrationServices: [
      { id: 'Microsoft:X\\6C09BB55-D683-4DA0-8931-C9BF705F6480', name: 'Guest Service Interface', enabled: false, status: '' },
      { id: 'Microsoft:X\\84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47', name: 'Heartbeat', enabled: true, status: 'OK' },
    ],
    ...overrides,
  };
}

export function inventory(
  vms: VirtualMachine[],
  gpus: PartitionableGpu[] = [gpu(RTX_PATH, { friendlyName: 'NVIDIA GeForce RTX 4090' })],
  hostGpus: HostGpu[] = [],
): Inventory {
  return {
    host: { name: 'GPU-WORKSTATION', osBuild: '26100.2314', hyperVModule: true, isHyperVAdmin: true },
    vms,
    gpus,
    hostGpus,
    hostDriver: { version: '32.0.15.6094', date: '2024-08-14', infName: 'oem42.inf', deviceName: 'NVIDIA GeForce RTX 4090' },
  };
}

/** A host GPU as Get-GpuPvHostGpus reports it: on the host, assignable, unless overridden. */
export function hostGpu(overrides: Partial<HostGpu> = {}): HostGpu {
  return {
    instanceId: 'PCI\\VEN_10DE&DEV_2571&SUBSYS_1611103C&REV_A1\\4&1B2C3D4E&0&0008',
    name: 'NVIDIA RTX A2000 12GB',
    locationPath: 'PCIROOT(0)#PCI(0300)#PCI(0000)',
    mode: 'host',
    enabled: true,
    vmId: null,
    vmName: null,
    ...overrides,
  };
}
