import { decodeBase64Text, param, stringParam, type Params } from './params';
import { ModuleError } from './replies';
import type { StateDocument } from './stateDocument';

// PowerShell Direct's logon: New-GpuPvCredential's checks, then the guest's verdict, which
// is standIn.credentials (no entry = the guest accepts nobody). The password is compared and
// dropped; it never reaches a reply or the log.

export function checkGuestCredential(doc: StateDocument, params: Params): void {
  const user = stringParam(params, 'credentialUser');
  // '' is a valid (empty) password; only a missing key is an error.
  const hasPassword = param(params, 'credentialPasswordB64') !== undefined;
  if (user === undefined || !hasPassword) {
    throw new ModuleError('InvalidParameter', 'credentialUser and credentialPasswordB64 are required for PowerShell Direct.');
  }
  const password = decodeBase64Text(stringParam(params, 'credentialPasswordB64') ?? '');
  if (password === undefined) throw new ModuleError('InvalidParameter', 'credentialPasswordB64 is not valid base64.');
  const accepted = doc.standIn?.credentials;
  // Windows user names ignore case, and '.\user' names the guest's local account.
  const bare = (name: string) => name.replace(/^\.\\/, '').toLowerCase();
  if (accepted?.user === undefined || bare(accepted.user) !== bare(user) || accepted.password !== password) {
    throw new ModuleError('CredentialRejected', 'The credential is invalid.');
  }
}
