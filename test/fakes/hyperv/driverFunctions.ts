import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DriverSyncProgress, GuestDriverInfo, GuestDriverPackage } from '../../../extension/hyperv/inventory';
import type { CallContext } from './callContext';
import { checkGuestCredential } from './guestCredential';
import { assertLocal, findVm, normalizeGuid } from './hostTarget';
import { stringParam } from './params';
import { ModuleError } from './replies';
import { loadState, saveState, standIn, writeJsonAtomically, type GuestState, type Mutable, type StateDocument } from './stateDocument';
import { stopVm } from './vmPower';

// Sync-GpuPvHostDriver and Get-GpuPvGuestDriverInfo. The guest's HostDriverStore is
// standIn.guests[vmId]; the host's packages are standIn.hostPackages.

/** standIn.guests is keyed by VM id; ids compare in any GUID spelling. */
function guestKey(doc: StateDocument, vmId: string): string {
  const wanted = normalizeGuid(vmId);
  return Object.keys(doc.standIn?.guests ?? {}).find((k) => normalizeGuid(k) === wanted) ?? vmId;
}

function guestOf(doc: StateDocument, vmId: string): GuestState {
  return doc.standIn?.guests?.[guestKey(doc, vmId)] ?? { packages: [], adapters: [] };
}

/** The module writes progress with WriteAllText; written atomically here so readers never see half. */
function writeProgress(file: string | undefined, progress: DriverSyncProgress): void {
  if (file === undefined) return;
  try {
    writeJsonAtomically(file, progress, false);
  } catch {
    // A failed progress write never fails the copy (as in the module).
  }
}

export async function syncHostDriver(call: CallContext): Promise<unknown> {
  const { doc, params } = call;
  assertLocal(call.target, 'Driver sync');
  const vm = findVm(doc, params);
  const requested = (stringParam(params, 'mode') ?? 'auto').toLowerCase();
  if (!['auto', 'direct', 'offline'].includes(requested)) {
    throw new ModuleError('InvalidParameter', 'mode must be auto, direct or offline.');
  }
  let mode = requested;
  if (mode === 'auto') {
    if (vm.state === 'Running') mode = 'direct';
    else if (vm.state === 'Off') mode = 'offline';
    else throw new ModuleError('InvalidParameter', `VM is ${vm.state}; start it or turn it off before syncing drivers.`);
  }
  if (mode === 'direct' && vm.state !== 'Running') throw new ModuleError('InvalidParameter', 'Direct mode needs a running VM.');
  if (mode === 'offline' && vm.state !== 'Off') {
    throw new ModuleError('InvalidParameter', 'Offline mode needs the VM to be turned off.');
  }
  const progressFile = stringParam(params, 'progressFile');
  const cancelFile = stringParam(params, 'cancelFile');
  const packages = doc.standIn?.hostPackages ?? [];
  if (packages.length === 0) throw new ModuleError('Failed', 'No third-party display driver package was found on this host.');
  const progress: Mutable<DriverSyncProgress> = {
    phase: 'copying',
    package: null,
    filesDone: 0,
    filesTotal: packages.reduce((sum, p) => sum + p.files, 0),
    bytesDone: 0,
    bytesTotal: packages.reduce((sum, p) => sum + p.bytes, 0),
  };
  writeProgress(progressFile, progress);
  if (mode === 'direct') checkGuestCredential(doc, params);
  const delayMs = Math.max(0, doc.standIn?.copyDelayMs ?? 0);
  const goneAfter = call.fault ? (call.fault.afterFiles ?? Math.floor(progress.filesTotal / 2)) : undefined;
  for (const pkg of packages) {
    progress.package = pkg.package;
    for (let i = 0; i < pkg.files; i++) {
      if (cancelFile !== undefined && existsSync(cancelFile)) {
        throw new ModuleError(
          'Cancelled',
          `Cancelled after ${progress.filesDone} of ${progress.filesTotal} files; the guest keeps the driver packages it had.`,
        );
      }
      if (progress.filesDone === goneAfter) vmWentAway(call, vm.id, progress);
      if (delayMs > 0) await sleep(delayMs);
      // The package's bytes spread over its files; the last one takes the remainder.
      const share = Math.floor(pkg.bytes / pkg.files);
      progress.filesDone++;
      progress.bytesDone += i === pkg.files - 1 ? pkg.bytes - share * (pkg.files - 1) : share;
      writeProgress(progressFile, progress);
    }
  }
  // The copy took a while: other processes may have changed the document meanwhile.
  const fresh = loadState(call.statePath);
  const guests = (standIn(fresh).guests ??= {});
  const key = guestKey(fresh, vm.id);
  const guest = (guests[key] ??= { packages: [], adapters: [] });
  for (const pkg of packages) {
    guest.packages = guest.packages.filter((p) => p.package !== pkg.package);
    guest.packages.push({ package: pkg.package, version: pkg.version, date: pkg.date });
  }
  saveState(call.statePath, fresh);
  progress.phase = 'done';
  writeProgress(progressFile, progress);
  return {
    package: packages[0]!.package,
    packages: packages.map((p) => p.package),
    version: packages[0]!.version,
    filesCopied: progress.filesDone,
    bytes: progress.bytesDone,
    mode,
  };
}

/** The vmGoneMidCopy fault: the VM turns off; the half-copied package is never renamed into place. */
function vmWentAway(call: CallContext, vmId: string, progress: DriverSyncProgress): never {
  const fresh = loadState(call.statePath);
  const vm = fresh.vms.find((v) => v.id === vmId);
  if (vm) {
    stopVm(fresh, vm, 'Off');
    saveState(call.statePath, fresh);
  }
  throw new ModuleError(
    'Failed',
    `The virtual machine '${vm?.name ?? vmId}' stopped during the copy: ${progress.filesDone} of ${progress.filesTotal} files copied; the guest keeps the driver packages it had.`,
  );
}

/** The guest reports .inf dates as MM/dd/yyyy; the module turns them into yyyy-MM-dd. */
function isoDate(date: string | null): string | null {
  const m = date === null ? null : /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(date);
  return m ? `${m[3]}-${m[1]!.padStart(2, '0')}-${m[2]!.padStart(2, '0')}` : date;
}

/** Same folder name = the host's package; same .inf base name ('nv_dispi') = its family. */
export function getGuestDriverInfo(call: CallContext): unknown {
  const { doc, params } = call;
  assertLocal(call.target, 'PowerShell Direct');
  const vm = findVm(doc, params);
  if (vm.state !== 'Running') throw new ModuleError('InvalidParameter', 'The VM must be running to read its drivers.');
  checkGuestCredential(doc, params);
  const guest = guestOf(doc, vm.id);
  const packages: GuestDriverPackage[] = guest.packages.map((p) => ({ package: p.package, version: p.version, date: isoDate(p.date) }));
  const adapters = guest.adapters.map((a) => ({ name: a.name, driverVersion: a.driverVersion, errorCode: a.errorCode }));
  const hostPackage = doc.standIn?.hostPackages?.[0];
  const info: Mutable<GuestDriverInfo> = {
    package: null,
    version: null,
    date: null,
    hostPackage: null,
    hostVersion: null,
    inSync: null,
    packages,
    adapters,
  };
  if (hostPackage) {
    const base = (name: string) => name.replace(/\.inf_.*$/, '');
    const exact = packages.find((p) => p.package === hostPackage.package);
    const match = exact ?? packages.find((p) => base(p.package) === base(hostPackage.package));
    if (match) Object.assign(info, { package: match.package, version: match.version, date: match.date });
    info.hostPackage = hostPackage.package;
    info.hostVersion = hostPackage.version;
    info.inSync = exact !== undefined;
  }
  return info;
}
