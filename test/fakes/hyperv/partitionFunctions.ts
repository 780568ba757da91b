import { randomUUID } from 'node:crypto';
import type { GpuPartitionAdapter, PartitionValueKey } from '../../../extension/hyperv/inventory';
import type { CallContext } from './callContext';
import { findVm, hostOf } from './hostTarget';
import { adapterView, formatValue } from './inventoryView';
import { param, stringParam, toUInt64 } from './params';
import { ModuleError } from './replies';
import type { Mutable, VmRecord } from './stateDocument';

// Set-GpuPvPartition, Add-GpuPvPartition and Remove-GpuPvPartition.

const RESOURCES = ['Vram', 'Encode', 'Decode', 'Compute'] as const;
const VALUE_KEYS: readonly PartitionValueKey[] = RESOURCES.flatMap((res) =>
  (['min', 'max', 'optimal'] as const).map((kind) => `${kind}${res}` as PartitionValueKey),
);

type Adapter = Mutable<GpuPartitionAdapter>;

/** Select-GpuPvAdapter: by id, or the VM's only adapter. */
function selectAdapter(vm: VmRecord, adapterId: string | undefined): Adapter {
  if (adapterId !== undefined) {
    const hit = vm.gpuPartitions.find((a) => a.adapterId.toLowerCase() === adapterId.toLowerCase());
    if (!hit) throw new ModuleError('InvalidParameter', `The VM has no GPU partition adapter with id '${adapterId}'.`);
    return hit;
  }
  if (vm.gpuPartitions.length === 0) throw new ModuleError('InvalidParameter', 'The VM has no GPU partition adapter.');
  if (vm.gpuPartitions.length > 1) {
    throw new ModuleError('InvalidParameter', 'The VM has several GPU partition adapters; pass adapterId.');
  }
  return vm.gpuPartitions[0]!;
}

/** A value as stored: Encode as a decimal string (it can exceed 2^53), the rest as numbers. */
function storedValue(key: PartitionValueKey, n: bigint): string | number {
  return key.endsWith('Encode') ? n.toString() : Number(n);
}

export function setPartition(call: CallContext): unknown {
  const values = param(call.params, 'values');
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new ModuleError('InvalidParameter', "Parameter 'values' must be an object such as { minVram, maxVram, optimalVram }.");
  }
  // Validated before the VM is looked up, as the module does.
  const settings = new Map<PartitionValueKey, string | number>();
  for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
    const key = VALUE_KEYS.find((k) => k.toLowerCase() === name.toLowerCase());
    if (!key) throw new ModuleError('InvalidParameter', `Unknown partition value '${name}'.`);
    if (value !== null) settings.set(key, storedValue(key, toUInt64(value, name)));
  }
  if (settings.size === 0) throw new ModuleError('InvalidParameter', 'No partition values were given.');
  const vm = findVm(hostOf(call.doc, call.target), call.params);
  const adapter = selectAdapter(vm, stringParam(call.params, 'adapterId'));
  for (const [key, value] of settings) adapter[key] = value;
  call.save();
  return adapterView(adapter);
}

/** Hyper-V refuses to add a GPU-P adapter to a VM that is not off. */
export function addPartition(call: CallContext): unknown {
  const host = hostOf(call.doc, call.target);
  const vm = findVm(host, call.params);
  const instancePath = stringParam(call.params, 'instancePath');
  const gpu = instancePath === undefined ? host.gpus[0] : host.gpus.find((g) => g.instancePath.toLowerCase() === instancePath.toLowerCase());
  if (!gpu) {
    throw new ModuleError(
      'Failed',
      instancePath === undefined
        ? `Failed to add a GPU partition adapter to '${vm.name}': this host has no partitionable GPU.`
        : `Failed to add a GPU partition adapter to '${vm.name}': no partitionable GPU has the instance path '${instancePath}'.`,
    );
  }
  if (vm.state !== 'Off') {
    throw new ModuleError(
      'Failed',
      `'${vm.name}' failed to add device 'GPU Partition'. The operation cannot be performed while the virtual machine is in its current state.`,
    );
  }
  const adapter: Record<string, unknown> = { adapterId: randomUUID(), instancePath: instancePath ?? gpu.instancePath };
  for (const res of RESOURCES) {
    for (const kind of ['min', 'max', 'optimal'] as const) {
      const fromGpu = gpu[`${kind}Partition${res}`];
      adapter[`${kind}${res}`] = formatValue(fromGpu, res);
    }
  }
  vm.gpuPartitions.push(adapter as unknown as Adapter);
  call.save();
  return adapterView(adapter as unknown as Adapter);
}

/** Without adapterId every adapter of the VM goes (the cmdlet's own behaviour). */
export function removePartition(call: CallContext): unknown {
  const vm = findVm(hostOf(call.doc, call.target), call.params);
  const adapterId = stringParam(call.params, 'adapterId');
  const victims = adapterId === undefined ? [...vm.gpuPartitions] : [selectAdapter(vm, adapterId)];
  vm.gpuPartitions = vm.gpuPartitions.filter((a) => !victims.includes(a));
  if (victims.length > 0) call.save();
  return { removed: victims.map((a) => a.adapterId) };
}
