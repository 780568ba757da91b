import { stringParam, type Params } from './params';
import { ModuleError } from './replies';
import { isHostState, type HostState, type StateDocument, type VmRecord } from './stateDocument';

// Which host a call is aimed at (its computerName parameter) and the checks GpuPv.psm1 runs
// before touching it: Assert-GpuPvHyperV, Assert-GpuPvLocal, Get-GpuPvVm.

export interface Target {
  /** As the caller passed it; undefined for the local host. */
  readonly computerName: string | undefined;
  readonly isLocal: boolean;
}

export function targetOf(doc: StateDocument, params: Params): Target {
  const computerName = stringParam(params, 'computerName');
  return { computerName, isLocal: isLocalName(doc, computerName) };
}

/** Like the module's `@('localhost', '.', $env:COMPUTERNAME) -contains` (case-insensitive). */
function isLocalName(doc: StateDocument, name: string | undefined): boolean {
  if (name === undefined) return true;
  const lower = name.toLowerCase();
  return lower === 'localhost' || lower === '.' || lower === doc.host.name.toLowerCase();
}

/** Assert-GpuPvHyperV: the Hyper-V module is checked on this machine, membership only locally. */
export function assertHyperV(doc: StateDocument, target: Target): void {
  if (!doc.host.hyperVModule) throw hyperVModuleMissing();
  if (target.isLocal && !doc.host.isHyperVAdmin) throw accessDenied();
}

export function hyperVModuleMissing(): ModuleError {
  return new ModuleError(
    'HyperVModuleMissing',
    "The Hyper-V PowerShell module is not installed (Windows feature 'Hyper-V Module for Windows PowerShell').",
  );
}

export function accessDenied(): ModuleError {
  return new ModuleError(
    'AccessDenied',
    'Managing Hyper-V needs an elevated administrator or a member of the Hyper-V Administrators group.',
  );
}

/** Assert-GpuPvLocal: PowerShell Direct and Mount-VHD reach only this machine's VMs. */
export function assertLocal(target: Target, what: string): void {
  if (!target.isLocal) throw new ModuleError('InvalidParameter', `${what} works only for VMs on the local Hyper-V host.`);
}

/** The remote host's entry key, matched exactly first, then case-insensitively (Windows names). */
export function remoteKey(doc: StateDocument, computerName: string): string | undefined {
  const hosts = doc.standIn?.remoteHosts ?? {};
  if (Object.hasOwn(hosts, computerName)) return computerName;
  return Object.keys(hosts).find((k) => k.toLowerCase() === computerName.toLowerCase());
}

/**
 * The host whose VMs a call reads or changes; for a remote host this is where WinRM would
 * fail (unreachable), where the remote host refuses us, or where it has no Hyper-V.
 */
export function hostOf(doc: StateDocument, target: Target): HostState {
  if (target.isLocal || target.computerName === undefined) return doc;
  const name = target.computerName;
  const key = remoteKey(doc, name);
  const entry = key === undefined ? undefined : doc.standIn?.remoteHosts?.[key];
  if (!isHostState(entry)) {
    const given = entry?.unreachable ?? '';
    throw new ModuleError(
      'HostUnreachable',
      given !== ''
        ? given
        : `WinRM cannot complete the operation. Verify that the specified computer name '${name}' is valid, that the computer is accessible over the network, and that a firewall exception for the WinRM service is enabled and allows access from this computer.`,
    );
  }
  if (!entry.host.isHyperVAdmin) {
    throw new ModuleError(
      'AccessDenied',
      `You do not have the required permission to complete this task. Contact the administrator of the authorization policy for the computer '${name}'.`,
    );
  }
  if (!entry.host.hyperVModule) {
    throw new ModuleError(
      'Failed',
      `The Hyper-V Management Tools could not access an expected WMI class on computer '${name}'. This may indicate that the Hyper-V Platform is not enabled on the target computer.`,
    );
  }
  return entry;
}

/** [guid]::TryParse's common forms -> the lowercase hyphenated form Hyper-V's ids print as. */
export function normalizeGuid(text: string): string | undefined {
  const hex = text.trim().replace(/^[{(]|[})]$/g, '').replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) return undefined;
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Get-GpuPvVm: by id when given, else by exact name (names are data, never patterns). */
export function findVm(host: HostState, params: Params): VmRecord {
  const id = stringParam(params, 'vmId');
  const name = stringParam(params, 'vmName');
  if (id !== undefined) {
    const guid = normalizeGuid(id);
    if (guid === undefined) throw new ModuleError('InvalidParameter', `'${id}' is not a virtual machine id.`);
    const vm = host.vms.find((v) => normalizeGuid(v.id) === guid);
    if (!vm) throw new ModuleError('VmNotFound', `The virtual machine '${name ?? id}' no longer exists.`);
    return vm;
  }
  if (name === undefined) throw new ModuleError('InvalidParameter', "Parameter 'vmId' or 'vmName' is required.");
  const found = host.vms.filter((v) => v.name === name);
  if (found.length === 0) throw new ModuleError('VmNotFound', `No virtual machine named '${name}' was found.`);
  if (found.length > 1) {
    throw new ModuleError('InvalidParameter', `Several virtual machines are named '${name}'; rename one of them.`);
  }
  return found[0]!;
}
