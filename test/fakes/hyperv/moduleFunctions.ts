import type { ModuleFunction } from '../../../extension/hyperv/moduleCommand';
import type { ModuleImplementation } from './callContext';
import { invokeCheckpoint } from './checkpointFunctions';
import { getGuestDriverInfo, syncHostDriver } from './driverFunctions';
import { addPartition, removePartition, setPartition } from './partitionFunctions';
import { enableGuestServices, getInventory, invokeVmAction, setVmForGpuP } from './vmFunctions';

/** Every exported function of GpuPv.psm1; the type makes a missing one a compile error. */
export const MODULE_IMPLEMENTATIONS: Readonly<Record<ModuleFunction, ModuleImplementation>> = {
  'Get-GpuPvInventory': getInventory,
  'Invoke-GpuPvVmAction': invokeVmAction,
  'Set-GpuPvPartition': setPartition,
  'Add-GpuPvPartition': addPartition,
  'Remove-GpuPvPartition': removePartition,
  'Set-GpuPvVmForGpuP': setVmForGpuP,
  'Invoke-GpuPvCheckpoint': invokeCheckpoint,
  'Enable-GpuPvGuestServices': enableGuestServices,
  'Sync-GpuPvHostDriver': syncHostDriver,
  'Get-GpuPvGuestDriverInfo': getGuestDriverInfo,
};
