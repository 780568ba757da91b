import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type {
  GuestDisplayAdapter,
  GuestDriverPackage,
  HostDriver,
  HostInfo,
  Inventory,
  PartitionableGpu,
  VirtualMachine,
} from '../../../extension/hyperv/inventory';

// The stand-in's world: one JSON file shaped like Get-GpuPvInventory's result plus a
// `standIn` section only the stand-in reads. It is re-read on every call and written back
// (atomically) after every change, so tests can edit it between calls and a new process
// sees what an earlier one did.

/** inventory.ts describes replies (readonly); the state is edited in place. */
export type Mutable<T> = T extends readonly (infer U)[]
  ? Mutable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Mutable<T[K]> }
    : T;

/** A VM as stored; extra keys are allowed and never reach a reply. */
export type VmRecord = Mutable<VirtualMachine> & {
  /** Read and cleared by Set-GpuPvVmForGpuP's staticMemory. */
  dynamicMemoryEnabled?: boolean;
};

/** One Hyper-V host: the local one (the document's top level) or a remote one. */
export interface HostState {
  host: Mutable<HostInfo>;
  vms: VmRecord[];
  gpus: Mutable<PartitionableGpu>[];
  hostDriver: HostDriver | null;
}

/** What Get-GpuPvGuestDriverInfo finds inside a running guest. */
export interface GuestState {
  packages: Mutable<GuestDriverPackage>[];
  adapters: Mutable<GuestDisplayAdapter>[];
}

/** A driver package of the host, as Sync-GpuPvHostDriver copies it. */
export interface HostPackage {
  package: string;
  infName: string;
  version: string;
  date: string | null;
  files: number;
  bytes: number;
}

export type FaultKind = 'hang' | 'crash' | 'stderr' | 'accessDenied' | 'hyperVModuleMissing' | 'vmGoneMidCopy';

export interface Fault {
  /** A module function or 'Import-Module'; absent = any module function. */
  function?: string;
  /** Only calls aimed at this computer. */
  computerName?: string;
  /** Default 1; -1 = forever. Decremented and written back when it fires. */
  times?: number;
  kind: FaultKind;
  /** stderr: the text written (default "stand-in: injected error"). */
  text?: string;
  /** vmGoneMidCopy: files copied before the VM goes (default half). */
  afterFiles?: number;
}

export interface StandInSection {
  remoteHosts?: Record<string, HostState | { unreachable: string }>;
  guests?: Record<string, GuestState>;
  credentials?: { user: string; password: string };
  hostPackages?: HostPackage[];
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

/** The document as Get-GpuPvInventory would describe it (before the reply's projection). */
export function inventoryOf(doc: StateDocument): Inventory {
  return { host: doc.host, vms: doc.vms, gpus: doc.gpus, hostDriver: doc.hostDriver };
}

/** The file could not be used; the reason is worded for the reply. */
export class StateUnreadable extends Error {}

export function loadState(file: string): StateDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new StateUnreadable(`${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new StateUnreadable(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isHostState(doc)) throw new StateUnreadable(`${file}: not a state document (host, vms, gpus)`);
  return doc;
}

export function isHostState(value: unknown): value is HostState {
  if (typeof value !== 'object' || value === null) return false;
  const doc = value as Partial<Record<keyof HostState, unknown>>;
  return typeof doc.host === 'object' && doc.host !== null && Array.isArray(doc.vms) && Array.isArray(doc.gpus);
}

/** Temp file + rename: a reader in another process never sees half a document. */
export function saveState(file: string, doc: StateDocument): void {
  writeJsonAtomically(file, doc);
}

export function writeJsonAtomically(file: string, value: unknown, pretty = true): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(value, null, pretty ? 2 : undefined) + (pretty ? '\n' : ''), 'utf8');
  renameSync(temp, file);
}

/** The stand-in section, created on first write. */
export function standIn(doc: StateDocument): StandInSection {
  doc.standIn ??= {};
  return doc.standIn;
}
