import type { HostTarget } from '../../hyperv/hyperVHost';
import type { HyperVErrorCode } from '../../hyperv/hyperVError';
import type {
  Checkpoint,
  GpuPartitionAdapter,
  HostGpu,
  IntegrationService,
  Inventory,
  PartitionableGpu,
  VirtualMachine,
} from '../../hyperv/inventory';
import type { PartitionResource } from './partitionShares';

// The Virtual Machines tree as data: what each row refers to. Presentation (labels, icons,
// menus) is computed from these in vmTreePresentation.ts; nothing here imports vscode.

/** What the view knows of one host between two refreshes. */
export interface HostSnapshot {
  readonly target: HostTarget;
  readonly inventory?: Inventory;
  /** The last refresh failed; the inventory before it, if any, is kept. */
  readonly error?: { readonly code: HyperVErrorCode; readonly message: string };
  readonly loading: boolean;
}

interface OnHost {
  readonly hostKey: string;
}
interface OnVm extends OnHost {
  readonly vm: VirtualMachine;
}

export interface HostNode extends OnHost {
  readonly kind: 'host';
  readonly snapshot: HostSnapshot;
}
export interface HostErrorNode extends OnHost {
  readonly kind: 'hostError';
  readonly code: HyperVErrorCode;
  readonly message: string;
}
export interface GpuGroupNode extends OnHost {
  readonly kind: 'gpuGroup';
  readonly gpus: readonly PartitionableGpu[];
  readonly vms: readonly VirtualMachine[];
}
export interface GpuNode extends OnHost {
  readonly kind: 'gpu';
  readonly gpu: PartitionableGpu;
  /** The partitions this GPU backs, with the VM holding each. */
  readonly holders: readonly { readonly vm: VirtualMachine; readonly adapter: GpuPartitionAdapter }[];
}
export interface GpuHolderNode extends OnVm {
  readonly kind: 'gpuHolder';
  readonly adapter: GpuPartitionAdapter;
}
/** The host's GPUs as Discrete Device Assignment sees them, each in its mode. */
export interface HostGpuGroupNode extends OnHost {
  readonly kind: 'hostGpuGroup';
  readonly hostGpus: readonly HostGpu[];
}
export interface HostGpuNode extends OnHost {
  readonly kind: 'hostGpu';
  readonly gpu: HostGpu;
}
export interface VmNode extends OnVm {
  readonly kind: 'vm';
  /** The host's GPUs, to name the one behind each partition. */
  readonly gpus: readonly PartitionableGpu[];
  /** The host's GPUs as DDA sees them, to list the ones assigned to this VM (none when absent). */
  readonly hostGpus?: readonly HostGpu[];
}
/** A whole GPU given to the VM with Discrete Device Assignment. */
export interface AssignedGpuNode extends OnVm {
  readonly kind: 'assignedGpu';
  readonly gpu: HostGpu;
}
export interface PartitionNode extends OnVm {
  readonly kind: 'partition';
  readonly adapter: GpuPartitionAdapter;
  readonly gpu: PartitionableGpu | undefined;
}
export interface PartitionResourceNode extends OnVm {
  readonly kind: 'partitionResource';
  readonly adapter: GpuPartitionAdapter;
  readonly resource: PartitionResource;
}
export interface CheckpointGroupNode extends OnVm {
  readonly kind: 'checkpointGroup';
}
export interface CheckpointNode extends OnVm {
  readonly kind: 'checkpoint';
  readonly checkpoint: Checkpoint;
  readonly children: readonly Checkpoint[];
}
export interface ServiceGroupNode extends OnVm {
  readonly kind: 'serviceGroup';
}
export interface ServiceNode extends OnVm {
  readonly kind: 'service';
  readonly service: IntegrationService;
}
/** A row that only says something ("No virtual machines"). */
export interface NoteNode extends OnHost {
  readonly kind: 'note';
  readonly id: string;
  readonly text: string;
}

export type VmTreeNode =
  | HostNode
  | HostErrorNode
  | GpuGroupNode
  | GpuNode
  | GpuHolderNode
  | HostGpuGroupNode
  | HostGpuNode
  | VmNode
  | AssignedGpuNode
  | PartitionNode
  | PartitionResourceNode
  | CheckpointGroupNode
  | CheckpointNode
  | ServiceGroupNode
  | ServiceNode
  | NoteNode;

/** Nodes that name one VM; every VM command accepts any of them. */
export type VmScopedNode = Extract<VmTreeNode, { readonly vm: VirtualMachine }>;

export function isVmScoped(node: VmTreeNode): node is VmScopedNode {
  return 'vm' in node;
}
