import type {
  CheckpointAction,
  CheckpointResult,
  DdaResult,
  DriverSyncResult,
  GuestDriverInfo,
  GuestServiceResult,
  GpuPartitionAdapter,
  Inventory,
  NewVmOptions,
  NewVmResult,
  PartitionValues,
  PrepareResult,
  RemovePartitionResult,
  VmAction,
  VmActionResult,
} from './inventory';

// The only PowerShell text the extension ever sends. Every user value travels inside one
// base64 JSON document, so no VM, checkpoint or host name can become code: the command text
// is made of a fixed function name and the base64 alphabet.

/** Parameters every module function takes: the Hyper-V host, or the local one when absent. */
export interface HostParams {
  readonly computerName?: string;
}

/** Which VM: its id when known (names need not be unique), its name for messages. */
export interface VmParams extends HostParams {
  readonly vmId?: string;
  readonly vmName: string;
}

/** PowerShell Direct credentials; the password is base64 of its UTF-8 bytes. */
export interface GuestCredentialParams {
  readonly credentialUser: string;
  readonly credentialPasswordB64: string;
}

export interface PrepareParams extends VmParams {
  readonly dryRun?: boolean;
  readonly lowMmio?: number | string;
  readonly highMmio?: number | string;
  readonly automaticStopAction?: 'TurnOff' | 'ShutDown';
  readonly staticMemory?: boolean;
}

/**
 * Discrete Device Assignment of the GPU at `locationPath` on the local host: `assign` gives it
 * to the off VM named; `return` takes it back from the VM that has it (none is named).
 */
export interface DdaParams extends Partial<VmParams> {
  readonly action: 'assign' | 'return';
  readonly locationPath: string;
  readonly dryRun?: boolean;
  /** Dismount a device whose maker gives no directives for securing it in a VM. */
  readonly force?: boolean;
  readonly lowMmio?: number | string;
  readonly highMmio?: number | string;
}

/**
 * A new generation 2 GPU-P VM on the local host, from a Windows ISO (`isoPath`, with the
 * edition `imageIndex` and a new disk of `diskBytes`) or from a copy of a disk (`vhdxPath`).
 */
export interface NewVmParams {
  readonly name: string;
  readonly isoPath?: string;
  readonly imageIndex?: number;
  readonly diskBytes?: number | string;
  readonly vhdxPath?: string;
  /** Where the new disk goes; the host's folder for virtual disks when absent. */
  readonly vhdPath?: string;
  readonly memoryBytes: number | string;
  readonly cpuCount: number;
  readonly gpuInstancePath: string;
  readonly partition?: PartitionValues;
  readonly switchName?: string;
  /** A virtual TPM; when absent, as the ISO's Windows needs (always for a copied disk). */
  readonly tpm?: boolean;
  readonly syncDriver?: boolean;
  /** An unattended setup: one local administrator; the password is base64 of its UTF-8 bytes. */
  readonly answerFile?: { readonly userName: string; readonly computerName: string; readonly passwordB64: string };
  readonly dryRun?: boolean;
  /** The module writes its NewVmProgress here at each step. */
  readonly progressFile?: string;
  /** The module stops before the next step (or the next file of the driver copy) once this file exists. */
  readonly cancelFile?: string;
}

/** Credentials only for a running VM (PowerShell Direct); an off VM's disk is mounted instead. */
export interface DriverSyncParams extends VmParams, Partial<GuestCredentialParams> {
  readonly mode?: 'auto' | 'direct' | 'offline';
  /** The module writes its DriverSyncProgress here after every file. */
  readonly progressFile?: string;
  /** The module stops between two files once this file exists. */
  readonly cancelFile?: string;
}

/** How a PowerShell Direct call of Deploy and Test ended in the guest (GpuPv.psm1 says what each means). */
export type GuestOutcome =
  | 'connected'
  | 'completed'
  | 'copied'
  | 'removed'
  | 'received'
  | 'cancelled'
  | 'notRunning'
  | 'unreachable'
  | 'lost'
  | 'exists'
  | 'remoteError';

export interface GuestOutcomeResult {
  readonly outcome: GuestOutcome;
  readonly vmName: string;
  readonly vmState: string;
  readonly message: string;
}

export interface GuestSessionParams extends VmParams, GuestCredentialParams {}

export interface GuestOperationParams extends GuestSessionParams {
  /** The folder holding GpuPvGuestDirect.ps1 and GpuPvGuest.psm1. */
  readonly guestScripts: string;
  /** A function of GpuPvGuest.psm1. */
  readonly operation: string;
  /** Its parameters as a JSON object, handed to the guest as they are. */
  readonly paramsJson: string;
  /** The module appends the guest's output here as it comes. */
  readonly liveFile: string;
  /** The guest's work is stopped once this file exists. */
  readonly cancelFile: string;
}

export interface GuestOperationResult extends GuestOutcomeResult {
  /** After a cancel: the guest's own account of what it stopped and what it left. */
  readonly guestCondition?: readonly string[];
  /** Errors the guest's PowerShell wrote beside its output. */
  readonly errors?: readonly string[];
}

export interface GuestSendParams extends GuestSessionParams {
  readonly remoteDir: string;
  readonly files: readonly { readonly localPath: string; readonly relativePath: string }[];
  /** The module writes a GuestSendProgress here after every file. */
  readonly progressFile?: string;
  /** The module stops between two files once this file exists. */
  readonly cancelFile?: string;
}

export interface GuestSendProgress {
  readonly relativePath: string | null;
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface GuestSendResult extends GuestOutcomeResult {
  /** The folder in the guest's own spelling, once copied. */
  readonly remoteDir?: string;
  readonly files?: readonly { readonly relativePath: string; readonly remotePath: string; readonly bytes: number }[];
  /** After a copy that did not finish: whether its folder was removed again. */
  readonly removed?: boolean;
}

export interface GuestLogsParams extends GuestSessionParams {
  readonly requests: readonly { readonly remotePath: string; readonly maxBytes: number; readonly whenLarger: 'keepTail' | 'skip' }[];
  readonly localDir: string;
  readonly cancelFile?: string;
}

export interface GuestLogNote {
  readonly kind: 'missing' | 'notFile' | 'skipped' | 'truncated';
  readonly remotePath: string;
  readonly bytes?: number;
  readonly maxBytes?: number;
}

export interface GuestLogsResult extends GuestOutcomeResult {
  readonly files?: readonly { readonly remotePath: string; readonly localPath: string; readonly remoteBytes: number; readonly bytes: number; readonly truncated: boolean }[];
  readonly notes?: readonly GuestLogNote[];
}

/** Each exported function of GpuPv.psm1 with what it takes and what it returns. */
/** The workspace's test certificate in the Windows user's store (CurrentUser\My). */
export interface TestCertificateParams {
  readonly subject: string;
  /** A certificate of the store is reused when it is valid until at least this ISO time. */
  readonly validUntil: string;
  /** When a new one stops being valid (ISO). */
  readonly notAfter: string;
  readonly keyLength: 2048 | 3072;
  /** Where its DER .cer is written, for the guest to trust. */
  readonly cerPath: string;
}

/** A certificate of the user's store named by gpupv.json: exactly one of thumbprint and subject (a part of it, as signtool /n matches). */
export type StoreCertificateParams = { readonly thumbprint: string; readonly cerPath: string } | { readonly subject: string; readonly cerPath: string };

export interface StoreCertificate {
  /** SHA-1, upper case: what signtool /sha1 takes. */
  readonly thumbprint: string;
  readonly subject: string;
  readonly notAfter: string;
  /** Its DER .cer, written where it was asked for. */
  readonly cer: string;
}

export interface StoreTestCertificate extends StoreCertificate {
  readonly created: boolean;
  /** Why a new one was made. */
  readonly reason?: string;
}

export interface ModuleFunctions {
  'Get-GpuPvInventory': { params: HostParams; result: Inventory };
  'Invoke-GpuPvVmAction': { params: VmParams & { action: VmAction }; result: VmActionResult };
  'Set-GpuPvPartition': {
    params: VmParams & { adapterId?: string; values: PartitionValues };
    result: GpuPartitionAdapter;
  };
  'Add-GpuPvPartition': { params: VmParams & { instancePath?: string }; result: GpuPartitionAdapter };
  'Remove-GpuPvPartition': { params: VmParams & { adapterId?: string }; result: RemovePartitionResult };
  'Set-GpuPvVmForGpuP': { params: PrepareParams; result: PrepareResult };
  'Invoke-GpuPvDda': { params: DdaParams; result: DdaResult };
  'Get-GpuPvNewVmOptions': { params: { readonly isoPath?: string }; result: NewVmOptions };
  'New-GpuPvVm': { params: NewVmParams; result: NewVmResult };
  'Invoke-GpuPvCheckpoint': {
    params: VmParams & { action: CheckpointAction; name?: string; checkpointId?: string };
    result: CheckpointResult;
  };
  'Enable-GpuPvGuestServices': { params: VmParams; result: GuestServiceResult };
  'Sync-GpuPvHostDriver': { params: DriverSyncParams; result: DriverSyncResult };
  'Get-GpuPvGuestDriverInfo': { params: VmParams & GuestCredentialParams; result: GuestDriverInfo };
  'Test-GpuPvGuestSession': { params: GuestSessionParams; result: GuestOutcomeResult & { readonly powerShellVersion?: string } };
  'Invoke-GpuPvGuestOperation': { params: GuestOperationParams; result: GuestOperationResult };
  'Send-GpuPvGuestFiles': { params: GuestSendParams; result: GuestSendResult };
  'Remove-GpuPvGuestFolder': { params: GuestSessionParams & { readonly remoteDir: string }; result: GuestOutcomeResult };
  'Receive-GpuPvGuestLogs': { params: GuestLogsParams; result: GuestLogsResult };
  'Get-GpuPvTestCertificate': { params: TestCertificateParams; result: StoreTestCertificate };
  'Get-GpuPvStoreCertificate': { params: StoreCertificateParams; result: StoreCertificate };
}
export type ModuleFunction = keyof ModuleFunctions;

export const MODULE_FUNCTIONS: readonly ModuleFunction[] = [
  'Get-GpuPvInventory',
  'Invoke-GpuPvVmAction',
  'Set-GpuPvPartition',
  'Add-GpuPvPartition',
  'Remove-GpuPvPartition',
  'Set-GpuPvVmForGpuP',
  'Invoke-GpuPvDda',
  'Get-GpuPvNewVmOptions',
  'New-GpuPvVm',
  'Invoke-GpuPvCheckpoint',
  'Enable-GpuPvGuestServices',
  'Sync-GpuPvHostDriver',
  'Get-GpuPvGuestDriverInfo',
  'Test-GpuPvGuestSession',
  'Invoke-GpuPvGuestOperation',
  'Send-GpuPvGuestFiles',
  'Remove-GpuPvGuestFolder',
  'Receive-GpuPvGuestLogs',
  'Get-GpuPvTestCertificate',
  'Get-GpuPvStoreCertificate',
];

/** The single parameter every module function takes. */
export const ENCODED_PARAMS = '-EncodedParams';

export function encodeParams(params: object): string {
  return Buffer.from(JSON.stringify(params), 'utf8').toString('base64');
}

/** `<Function> -EncodedParams '<base64>'`: one line, nothing in it the caller typed. */
export function buildModuleCall<F extends ModuleFunction>(fn: F, params: ModuleFunctions[F]['params']): string {
  return `${fn} ${ENCODED_PARAMS} '${encodeParams(params)}'`;
}

/**
 * Loads the module once per process. Its path is ours, but it lives under the user's
 * profile, which may hold any character, so it travels as base64 like every other value.
 */
export function buildModuleImport(modulePath: string): string {
  const encoded = Buffer.from(modulePath, 'utf8').toString('base64');
  return (
    `Import-Module -Name ([System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String('${encoded}')))` +
    ` -DisableNameChecking -Force -ErrorAction Stop; [Console]::Out.WriteLine('${MODULE_READY}')`
  );
}

/** What the import command prints once the module is loaded. */
export const MODULE_READY = 'gpupv-module-ready';

/** The error codes GpuPv.psm1 returns (its header lists them). */
export type ModuleErrorCode =
  | 'HyperVModuleMissing'
  | 'AccessDenied'
  | 'VmNotFound'
  | 'CredentialRejected'
  | 'HostUnreachable'
  | 'InvalidParameter'
  | 'Cancelled'
  | 'Failed';

export type ModuleReply<T> =
  | { readonly ok: true; readonly result: T }
  | { readonly ok: false; readonly error: { readonly code: ModuleErrorCode; readonly message: string } };

/**
 * Terminal control sequences: PowerShell 7's console host writes some (keypad mode on and off,
 * `ESC[?1h ESC[?1l`) around each command even when stdout is a pipe.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const TERMINAL_CONTROL = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[=>])/g;

/**
 * The module writes one JSON line; anything before it (a profile's greeting, a stray
 * warning some cmdlet wrote despite the preferences, the console host's control sequences)
 * is skipped. Returns undefined when no line is a reply.
 */
export function parseModuleReply<T>(stdout: string): ModuleReply<T> | undefined {
  const lines = stdout.replace(TERMINAL_CONTROL, '').split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (!line.startsWith('{')) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (isReply(value)) return value as ModuleReply<T>;
  }
  return undefined;
}

function isReply(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const reply = value as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  if (reply.ok === true) return 'result' in reply;
  return reply.ok === false && typeof reply.error?.code === 'string' && typeof reply.error.message === 'string';
}

const SECRET_KEY = /password|secret|token/i;
export const REDACTED = '«redacted»';

/** Whether any key at any depth names a secret. */
export function holdsSecret(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([key, inner]) => SECRET_KEY.test(key) || holdsSecret(inner));
}

/** Parameters as JSON text with the value of every secret-named key, at any depth, replaced. */
export function redactedJson(params: object): string {
  return JSON.stringify(params, (key, value: unknown) => (key && SECRET_KEY.test(key) ? REDACTED : value));
}

/**
 * The call as the log shows it: the function and its parameters with every secret replaced.
 * The command text itself is never logged, because its base64 would carry the secret.
 */
export function describeCall(fn: string, params: object): string {
  return `${fn} ${redactedJson(params)}`;
}
