// The JSON GpuPv.psm1 returns, as TypeScript sees it. The module is the source of truth;
// the README's developer section documents the same shapes. Values Hyper-V may not report
// on older builds are optional or null.

/**
 * Hyper-V's VMState as text: Running, Off, Saved, Paused, Starting, Stopping, Saving,
 * Pausing, Resuming, Reset, Other... Kept open because newer builds add states.
 */
export type VmState = string;

/**
 * Encode values use the full UInt64 range (0..2^64-1), so the module sends every *Encode value
 * as a decimal string; the other resources fit a JSON number (scale 0..1e9 or bytes).
 */
export type PartitionValue = number | string | null;

export interface GpuPartitionAdapter {
  readonly adapterId: string;
  readonly instancePath: string | null;
  readonly minVram: PartitionValue;
  readonly maxVram: PartitionValue;
  readonly optimalVram: PartitionValue;
  readonly minEncode: PartitionValue;
  readonly maxEncode: PartitionValue;
  readonly optimalEncode: PartitionValue;
  readonly minDecode: PartitionValue;
  readonly maxDecode: PartitionValue;
  readonly optimalDecode: PartitionValue;
  readonly minCompute: PartitionValue;
  readonly maxCompute: PartitionValue;
  readonly optimalCompute: PartitionValue;
}

export interface Checkpoint {
  readonly id: string;
  readonly name: string;
  readonly parentId: string | null;
  /** ISO 8601, UTC. */
  readonly created: string | null;
}

export interface IntegrationService {
  /** `Microsoft:<vm id>\\<component id>`; the name is localized, the component id is not. */
  readonly id?: string;
  readonly name: string;
  readonly enabled: boolean;
  readonly status: string;
}

/** One engine type of a VM's GPU use: the busiest engine of that type, percent of its time since the previous refresh. */
export interface GpuEngineLoad {
  /** The counters' engine type: `3D`, `Copy`, `VideoDecode`, `VideoEncode`, `VideoProcessing`, `Compute_0`, … */
  readonly type: string;
  /** Null on the first refresh of a session: utilization needs two samples. */
  readonly percent: number | null;
}

/** A running GPU-P VM's GPU use, from the host's GPU counters of its worker process (local host only). */
export interface GpuLoad {
  /** False until a second refresh gives the engines a percentage. */
  readonly sampled: boolean;
  readonly engines: readonly GpuEngineLoad[];
  /** GPU memory the VM holds now, in bytes: on the GPU (dedicated) and in host memory the GPU maps (shared). */
  readonly dedicatedBytes: number;
  readonly sharedBytes: number;
}

export interface VirtualMachine {
  readonly id: string;
  readonly name: string;
  readonly state: VmState;
  /** Percent of the host's CPU. */
  readonly cpuUsage: number | null;
  /** Bytes. */
  readonly memoryAssigned: number | null;
  readonly uptimeSeconds: number;
  readonly generation: number | null;
  readonly version: string;
  readonly automaticStopAction: string;
  readonly guestControlledCacheTypes: boolean | null;
  /** Bytes. */
  readonly lowMmioGapSize: number | null;
  /** Bytes. */
  readonly highMmioGapSize: number | null;
  readonly gpuPartitions: readonly GpuPartitionAdapter[];
  readonly checkpoints: readonly Checkpoint[];
  readonly integrationServices: readonly IntegrationService[];
  /** Only for a running VM with a GPU partition on the local host whose GPU counters could be read. */
  readonly gpuLoad?: GpuLoad;
}

export interface PartitionableGpu {
  /** The `\\?\PCI#VEN_...#...{GUID}\GPUPARAV` path Hyper-V names it by. */
  readonly name: string;
  readonly instancePath: string;
  readonly friendlyName: string | null;
  readonly validPartitionCounts: readonly number[];
  readonly partitionCount: number | null;
  readonly totalVram: PartitionValue;
  readonly availableVram: PartitionValue;
  readonly minPartitionVram: PartitionValue;
  readonly maxPartitionVram: PartitionValue;
  readonly optimalPartitionVram: PartitionValue;
  readonly totalEncode: PartitionValue;
  readonly availableEncode: PartitionValue;
  readonly minPartitionEncode: PartitionValue;
  readonly maxPartitionEncode: PartitionValue;
  readonly optimalPartitionEncode: PartitionValue;
  readonly totalDecode: PartitionValue;
  readonly availableDecode: PartitionValue;
  readonly minPartitionDecode: PartitionValue;
  readonly maxPartitionDecode: PartitionValue;
  readonly optimalPartitionDecode: PartitionValue;
  readonly totalCompute: PartitionValue;
  readonly availableCompute: PartitionValue;
  readonly minPartitionCompute: PartitionValue;
  readonly maxPartitionCompute: PartitionValue;
  readonly optimalPartitionCompute: PartitionValue;
}

export interface HostInfo {
  readonly name: string;
  readonly osBuild: string | null;
  readonly hyperVModule: boolean;
  readonly isHyperVAdmin: boolean;
  /** Set only by the development stand-in, so a simulated host is never mistaken for a real one. */
  readonly simulated?: boolean;
}

export interface HostDriver {
  readonly version: string;
  readonly date: string | null;
  readonly infName: string;
  readonly deviceName: string;
}

/**
 * How a host GPU is used, for Discrete Device Assignment: the host drives it (it can be
 * assigned), GPU-P partitions it (it cannot be assigned while a VM holds a partition), it is
 * dismounted from the host but assigned to no VM (an assignment left half done), or a VM has it.
 */
export type HostGpuMode = 'host' | 'partitionable' | 'dismounted' | 'assigned';

/** A PCI display device of the local host, or a device Hyper-V dismounted from it. */
export interface HostGpu {
  /** `PCI\VEN_…` on the host; `PCIP\VEN_…` once dismounted. */
  readonly instanceId: string;
  /** Null for a dismounted device no VM has (Hyper-V lists it without a name). */
  readonly name: string | null;
  /** `PCIROOT(0)#PCI(0300)#PCI(0000)`: how DDA names the device. */
  readonly locationPath: string;
  readonly mode: HostGpuMode;
  /** Enabled in the host's device manager. */
  readonly enabled: boolean;
  readonly vmId: string | null;
  readonly vmName: string | null;
}

/** `Get-GpuPvInventory`: everything the tree shows for one host, in one call. */
export interface Inventory {
  readonly host: HostInfo;
  readonly vms: readonly VirtualMachine[];
  readonly gpus: readonly PartitionableGpu[];
  /** The local host's GPUs as DDA sees them; empty for remote hosts. */
  readonly hostGpus: readonly HostGpu[];
  /** The host's display driver that guests must mirror; null on remote hosts. */
  readonly hostDriver: HostDriver | null;
}

export type VmAction = 'start' | 'shutdown' | 'turnoff' | 'save' | 'pause' | 'resume' | 'restart';

/** `Invoke-GpuPvVmAction`. */
export interface VmActionResult {
  readonly id: string;
  readonly name: string;
  readonly state: VmState;
}

/** `Set-GpuPvPartition` takes any subset of an adapter's values. */
export type PartitionValues = Partial<Record<PartitionValueKey, number | string>>;
export type PartitionValueKey = Exclude<keyof GpuPartitionAdapter, 'adapterId' | 'instancePath'>;

/** `Remove-GpuPvPartition`. */
export interface RemovePartitionResult {
  readonly removed: readonly string[];
}

export interface SettingChange {
  readonly setting: string;
  readonly from: unknown;
  readonly to: unknown;
}

/** `Set-GpuPvVmForGpuP`: with dryRun, the changes it would make. */
export interface PrepareResult {
  readonly changes: readonly SettingChange[];
  readonly applied: boolean;
  readonly dryRun: boolean;
}

/** One step of `Invoke-GpuPvDda`, in the words the confirmation shows. */
export interface DdaStep {
  readonly step: 'stopAction' | 'cacheTypes' | 'lowMmio' | 'highMmio' | 'disable' | 'dismount' | 'add' | 'remove' | 'mount' | 'enable';
  readonly detail: string;
}

/** `Invoke-GpuPvDda`: the steps (all of them on a dry run) and the device as it is after. */
export interface DdaResult {
  readonly dryRun: boolean;
  readonly steps: readonly DdaStep[];
  readonly device: HostGpu;
}

/** A Windows edition of an ISO's install.wim / install.esd. */
export interface WindowsImage {
  readonly index: number;
  readonly name: string;
  readonly editionId: string;
  readonly version: string;
  readonly build: number;
  /** Windows 11 and later install only with a TPM and Secure Boot. */
  readonly needsTpm: boolean;
}

/** `Get-GpuPvNewVmOptions`: what the New GPU-P VM wizard offers on this host. */
export interface NewVmOptions {
  readonly vhdFolder: string;
  readonly switches: readonly string[];
  readonly logicalProcessors: number;
  readonly memoryBytes: number;
  /** install.wim or install.esd, when an ISO was read. */
  readonly imageFile: string | null;
  readonly images: readonly WindowsImage[];
}

export interface NewVmStep {
  readonly step:
    | 'createDisk'
    | 'partitionDisk'
    | 'applyImage'
    | 'bootFiles'
    | 'copyDisk'
    | 'findWindows'
    | 'answerFile'
    | 'syncDriver'
    | 'dismountDisk'
    | 'createVm'
    | 'firmware'
    | 'tpm'
    | 'gpuPrep'
    | 'partition'
    | 'guestService';
  readonly detail: string;
}

/** `New-GpuPvVm`: every step (a dry run stops there), and the VM once made. */
export interface NewVmResult {
  readonly dryRun: boolean;
  readonly name: string;
  readonly vhdPath: string;
  readonly tpm: boolean;
  readonly image: WindowsImage | null;
  readonly steps: readonly NewVmStep[];
  readonly vm: VirtualMachine | null;
}

/** What `New-GpuPvVm` writes to its progress file at each step, and after each file of the driver copy. */
export interface NewVmProgress {
  readonly phase: 'step' | 'done';
  readonly step: NewVmStep['step'] | null;
  readonly detail: string | null;
  readonly stepsDone: number;
  readonly stepsTotal: number;
  readonly filesDone: number;
  readonly filesTotal: number;
}

export type CheckpointAction = 'create' | 'apply' | 'delete';

/** `Invoke-GpuPvCheckpoint`. */
export interface CheckpointResult {
  readonly action: CheckpointAction;
  readonly checkpoint: Checkpoint;
  readonly state?: VmState;
}

/** `Enable-GpuPvGuestServices`. */
export interface GuestServiceResult extends IntegrationService {
  readonly changed: boolean;
}

/** `Sync-GpuPvHostDriver`. */
export interface DriverSyncResult {
  readonly package: string;
  readonly packages: readonly string[];
  readonly version: string;
  readonly filesCopied: number;
  readonly bytes: number;
  readonly mode: 'direct' | 'offline';
}

/** What `Sync-GpuPvHostDriver` writes to its progress file while it copies. */
export interface DriverSyncProgress {
  readonly phase: 'copying' | 'done';
  readonly package: string | null;
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface GuestDriverPackage {
  readonly package: string;
  readonly version: string | null;
  /** yyyy-MM-dd when the .inf's DriverVer date could be read. */
  readonly date: string | null;
}

export interface GuestDisplayAdapter {
  readonly name: string;
  readonly driverVersion: string;
  /** ConfigManagerErrorCode; 43 is the classic symptom of a stale host driver copy. */
  readonly errorCode: number | null;
}

/** `Get-GpuPvGuestDriverInfo`. */
export interface GuestDriverInfo {
  readonly package: string | null;
  readonly version: string | null;
  readonly date: string | null;
  readonly hostPackage: string | null;
  readonly hostVersion: string | null;
  readonly inSync: boolean | null;
  readonly packages: readonly GuestDriverPackage[];
  readonly adapters: readonly GuestDisplayAdapter[];
}
