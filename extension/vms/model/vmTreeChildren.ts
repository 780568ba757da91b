import type { Checkpoint, GpuPartitionAdapter, HostGpu, IntegrationService, PartitionableGpu, VirtualMachine } from '../../hyperv/inventory';
import { PARTITION_RESOURCES } from './partitionShares';
import type { HostNode, HostSnapshot, VmTreeNode } from './vmTreeNodes';

// Which rows sit under which: host -> (error) + Partitionable GPUs + Host GPUs (DDA) + VMs;
// VM -> assigned GPUs, partitions, checkpoints (as the tree Hyper-V keeps), integration services.

export const GUEST_SERVICE_INTERFACE = 'Guest Service Interface';

export function hostNodes(snapshots: readonly HostSnapshot[]): HostNode[] {
  return snapshots.map((snapshot) => ({ kind: 'host', hostKey: snapshot.target.key, snapshot }));
}

export function childrenOf(node: VmTreeNode): VmTreeNode[] {
  switch (node.kind) {
    case 'host':
      return hostChildren(node);
    case 'gpuGroup':
      return node.gpus.map((gpu) => ({ kind: 'gpu', hostKey: node.hostKey, gpu, holders: holdersOf(gpu, node.gpus, node.vms) }));
    case 'gpu':
      return node.holders.map(({ vm, adapter }) => ({ kind: 'gpuHolder', hostKey: node.hostKey, vm, adapter }));
    case 'hostGpuGroup':
      return node.hostGpus.map((gpu) => ({ kind: 'hostGpu', hostKey: node.hostKey, gpu }));
    case 'vm':
      return vmChildren(node.hostKey, node.vm, node.gpus, node.hostGpus ?? []);
    case 'partition':
      return PARTITION_RESOURCES.map((resource) => ({
        kind: 'partitionResource',
        hostKey: node.hostKey,
        vm: node.vm,
        adapter: node.adapter,
        resource,
      }));
    case 'checkpointGroup':
      return checkpointChildren(node.hostKey, node.vm, null);
    case 'checkpoint':
      return checkpointChildren(node.hostKey, node.vm, node.checkpoint.id);
    case 'serviceGroup':
      return node.vm.integrationServices.map((service) => ({ kind: 'service', hostKey: node.hostKey, vm: node.vm, service }));
    default:
      return [];
  }
}

function hostChildren(node: HostNode): VmTreeNode[] {
  const { snapshot, hostKey } = node;
  const rows: VmTreeNode[] = [];
  if (snapshot.error) rows.push({ kind: 'hostError', hostKey, code: snapshot.error.code, message: snapshot.error.message });
  const inventory = snapshot.inventory;
  if (!inventory) {
    if (!snapshot.error) rows.push({ kind: 'note', hostKey, id: `${hostKey}/loading`, text: 'Reading the inventory…' });
    return rows;
  }
  if (inventory.gpus.length > 0) rows.push({ kind: 'gpuGroup', hostKey, gpus: inventory.gpus, vms: inventory.vms });
  const hostGpus = inventory.hostGpus;
  if (hostGpus.length > 0) rows.push({ kind: 'hostGpuGroup', hostKey, hostGpus });
  if (inventory.vms.length === 0) {
    rows.push({ kind: 'note', hostKey, id: `${hostKey}/no-vms`, text: 'No virtual machines on this host' });
  }
  for (const vm of inventory.vms) rows.push({ kind: 'vm', hostKey, vm, gpus: inventory.gpus, hostGpus });
  return rows;
}

export function vmChildren(hostKey: string, vm: VirtualMachine, gpus: readonly PartitionableGpu[], hostGpus: readonly HostGpu[]): VmTreeNode[] {
  const rows: VmTreeNode[] = hostGpus.filter((gpu) => gpu.mode === 'assigned' && gpu.vmId?.toLowerCase() === vm.id.toLowerCase()).map((gpu) => ({ kind: 'assignedGpu', hostKey, vm, gpu }));
  for (const adapter of vm.gpuPartitions) rows.push({ kind: 'partition', hostKey, vm, adapter, gpu: gpuOfAdapter(adapter, gpus) });
  if (vm.checkpoints.length > 0) rows.push({ kind: 'checkpointGroup', hostKey, vm });
  if (vm.integrationServices.length > 0) rows.push({ kind: 'serviceGroup', hostKey, vm });
  return rows;
}

function checkpointChildren(hostKey: string, vm: VirtualMachine, parentId: string | null): VmTreeNode[] {
  const known = new Set(vm.checkpoints.map((c) => c.id));
  // A checkpoint whose parent is not listed (merged away, or Hyper-V left it out) is a root.
  const parentOf = (c: Checkpoint) => (c.parentId && known.has(c.parentId) ? c.parentId : null);
  return vm.checkpoints
    .filter((c) => parentOf(c) === parentId)
    .map((checkpoint) => ({
      kind: 'checkpoint',
      hostKey,
      vm,
      checkpoint,
      children: vm.checkpoints.filter((c) => parentOf(c) === checkpoint.id),
    }));
}

/**
 * The host GPU backing a partition: the one with the adapter's instance path, or the only
 * GPU when the adapter was added without choosing one (older hosts cannot choose).
 */
export function gpuOfAdapter(adapter: GpuPartitionAdapter, gpus: readonly PartitionableGpu[]): PartitionableGpu | undefined {
  const path = adapter.instancePath?.toLowerCase();
  if (path) {
    const match = gpus.find((gpu) => gpu.instancePath.toLowerCase() === path || gpu.name.toLowerCase() === path);
    if (match) return match;
  }
  return gpus.length === 1 ? gpus[0] : undefined;
}

function holdersOf(gpu: PartitionableGpu, gpus: readonly PartitionableGpu[], vms: readonly VirtualMachine[]) {
  return vms.flatMap((vm) =>
    vm.gpuPartitions.filter((adapter) => gpuOfAdapter(adapter, gpus) === gpu).map((adapter) => ({ vm, adapter })),
  );
}

/** Its integration component id is fixed; its display name is localized. */
const GUEST_SERVICE_INTERFACE_ID = '6c09bb55-d683-4da0-8931-c9bf705f6480';

export function isGuestServiceInterface(service: IntegrationService): boolean {
  return service.id?.toLowerCase().endsWith(GUEST_SERVICE_INTERFACE_ID) === true || service.name === GUEST_SERVICE_INTERFACE;
}

export function guestServiceInterface(vm: VirtualMachine): IntegrationService | undefined {
  return vm.integrationServices.find(isGuestServiceInterface);
}
