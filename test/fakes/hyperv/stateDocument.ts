import type {
  GuestDisplayAdapter,
  GuestDriverPackage,
  HostDriver,
  HostInfo,
  PartitionableGpu,
  VirtualMachine,
} from '../../../extension/hyperv/inventory';

// The stand-in's world as tests edit it: one JSON file shaped like Get-GpuPvInventory's result
// plus a `standIn` section only the stand-in modules read (modules/GpuPvStandIn).

/** inventory.ts describes replies (readonly); the state is edited in place. */
export type Mutable<T> = T extends readonly (infer U)[]
  ? Mutable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Mutable<T[K]> }
    : T;

/** A VM as stored; Get-VM's DynamicMemoryEnabled and the disk path are kept beside the inventory's keys. */
export type VmRecord = Mutable<VirtualMachine> & {
  dynamicMemoryEnabled?: boolean;
  /** Get-VMHardDiskDrive's Path; '' = no disk. Default: Hyper-V's folder and the VM's name. */
  hardDiskPath?: string;
};

/** One Hyper-V host: the local one (the document's top level) or a remote one. */
export interface HostState {
  host: Mutable<HostInfo>;
  vms: VmRecord[];
  gpus: Mutable<PartitionableGpu>[];
  hostDriver: HostDriver | null;
}

/** What a running guest holds at first use: its HostDriverStore packages and display adapters. */
export interface GuestState {
  packages: Mutable<GuestDriverPackage>[];
  adapters: Mutable<GuestDisplayAdapter>[];
}

/** A driver package of the host, made into real files of the given number and total size. */
export interface HostPackage {
  package: string;
  infName: string;
  version: string;
  date: string | null;
  files: number;
  bytes: number;
}

export type FaultKind = 'hang' | 'crash' | 'stderr' | 'accessDenied' | 'vmGoneMidCopy';

export interface Fault {
  /** A module function or 'Import-Module'; absent = any module function. */
  function?: string;
  /** Default 1; -1 = forever. Decremented and written back when it fires. */
  times?: number;
  kind: FaultKind;
  /** stderr: the text written (default "stand-in: injected error"). */
  text?: string;
  /** vmGoneMidCopy: files copied before the VM goes (default 1). */
  afterFiles?: number;
}

export interface StandInSection {
  remoteHosts?: Record<string, HostState | { unreachable: string }>;
  guests?: Record<string, GuestState>;
  credentials?: { user: string; password: string };
  hostPackages?: HostPackage[];
  /** Each file copied over PowerShell Direct takes this long (the VMBus is not a local disk). */
  copyDelayMs?: number;
  faults?: Fault[];
  /** Kept by the stand-in: each VM's current checkpoint (Hyper-V's ParentSnapshotId of the VM). */
  currentCheckpoints?: Record<string, string>;
  /** Kept by the stand-in: memory a VM had before it stopped, given back when it starts. */
  lastMemoryAssigned?: Record<string, number>;
}

/** The file: exactly an Inventory plus `standIn`. */
export interface StateDocument extends HostState {
  standIn?: StandInSection;
}
