import { Settings } from '../common/contributions';
import type { ModuleErrorCode } from './moduleCommand';

/**
 * Everything that can go wrong talking to a Hyper-V host: the module's own codes plus what
 * the process around it can do (not start, not load the module, hang, die, print nonsense).
 */
export type HyperVErrorCode =
  | ModuleErrorCode
  | 'PowerShellNotFound'
  | 'ModuleLoadFailed'
  | 'Timeout'
  | 'PowerShellCrashed'
  | 'PowerShellError'
  | 'BadReply';

export class HyperVError extends Error {
  override readonly name = 'HyperVError';

  constructor(
    readonly code: HyperVErrorCode,
    message: string,
    /** The host the call went to, as the tree names it. */
    readonly host?: string,
  ) {
    super(message);
  }
}

export function isHyperVError(error: unknown, ...codes: HyperVErrorCode[]): error is HyperVError {
  return error instanceof HyperVError && (codes.length === 0 || codes.includes(error.code));
}


/**
 * What the user reads: what happened, on which host, and the next step. The module's own
 * message follows where it adds something (Hyper-V's text names the VM or the state).
 */
export function actionableMessage(error: unknown): string {
  if (!(error instanceof HyperVError)) return error instanceof Error ? error.message : String(error);
  const on = error.host ? ` on ${error.host}` : '';
  const detail = error.message.trim();
  switch (error.code) {
    case 'HyperVModuleMissing':
      return (
        `The Hyper-V PowerShell module is not installed${on}. Turn on the Windows feature "Hyper-V Module for Windows PowerShell" ` +
        '(or run `Enable-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V-Management-PowerShell` as administrator), then refresh.'
      );
    case 'AccessDenied':
      return (
        `Access denied${on}: managing Hyper-V needs an elevated administrator or a member of the Hyper-V Administrators group. ` +
        'Add yourself with `Add-LocalGroupMember -Group "Hyper-V Administrators" -Member $env:USERNAME`, sign out and back in, then refresh.' +
        suffix(detail)
      );
    case 'VmNotFound':
      return `${(detail || 'The virtual machine was not found').replace(/\.$/, '')}${on ? ` (${error.host})` : ''}. It may have been deleted or renamed; the view refreshes.`;
    case 'CredentialRejected':
      return `The guest rejected the user name or password${on}. The stored credentials were forgotten; enter them again when asked.`;
    case 'HostUnreachable':
      return (
        `Cannot reach the Hyper-V host${on}. Check that it is on, that PowerShell remoting is enabled there ` +
        '(`Enable-PSRemoting` on that host) and that you are a Hyper-V administrator on it.' +
        suffix(detail)
      );
    case 'InvalidParameter':
    case 'Failed':
      return `${detail || 'The Hyper-V operation failed'}${on ? ` (${error.host})` : ''}`;
    case 'Cancelled':
      return detail || 'Cancelled.';
    case 'PowerShellNotFound':
      return `${detail} Install PowerShell or set "${Settings.powershellPath}" to the PowerShell executable.`;
    case 'ModuleLoadFailed':
      return `PowerShell could not load the extension's Hyper-V module${on}: ${detail} Reinstall the extension if the file is missing.`;
    case 'Timeout':
      return (
        `PowerShell did not answer${on} within ${detail}. The process was stopped and a fresh one starts with the next call; ` +
        `raise "${Settings.powershellTimeoutSeconds}" if this host is slow.`
      );
    case 'PowerShellCrashed':
      return `The PowerShell process${on} exited unexpectedly${detail ? ` (${detail})` : ''}. A fresh one starts with the next call.`;
    case 'PowerShellError':
      return `PowerShell reported an error${on}: ${detail}`;
    case 'BadReply':
      return `PowerShell${on} answered something other than the module's reply: ${detail} See the GPU-PV log for the call.`;
  }
}

function suffix(detail: string): string {
  return detail ? ` (${detail})` : '';
}
