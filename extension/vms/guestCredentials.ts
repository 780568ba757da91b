import * as vscode from 'vscode';
import { isHyperVError } from '../hyperv/hyperVError';
import type { GuestCredentialParams } from '../hyperv/moduleCommand';
import { displayText } from './model/formatting';

export interface GuestCredential {
  readonly user: string;
  readonly password: string;
}

interface GuestRef {
  readonly hostKey: string;
  readonly vmId: string;
  readonly vmName: string;
}

/**
 * PowerShell Direct credentials for each guest: asked once per VM, kept in SecretStorage
 * (the OS keychain), never in settings or logs. A guest that rejects them makes us forget
 * them and ask again, once.
 */
export class GuestCredentials {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  /** Runs `work` with the VM's credentials; undefined when the user cancels the prompt. */
  async withCredentials<T>(guest: GuestRef, work: (params: GuestCredentialParams) => Promise<T>): Promise<T | undefined> {
    for (let attempt = 0; ; attempt++) {
      const credential = (await this.stored(guest)) ?? (await this.ask(guest, attempt > 0));
      if (!credential) return undefined;
      try {
        const result = await work(toParams(credential));
        await this.store(guest, credential);
        return result;
      } catch (error) {
        if (!isHyperVError(error, 'CredentialRejected') || attempt > 0) {
          if (isHyperVError(error, 'CredentialRejected')) await this.forget(guest);
          throw error;
        }
        await this.forget(guest);
      }
    }
  }

  /** The stored credentials, or new ones asked for and stored (for a terminal, where rejection cannot be seen). */
  async getOrAsk(guest: GuestRef): Promise<GuestCredential | undefined> {
    const existing = await this.stored(guest);
    if (existing) return existing;
    const asked = await this.ask(guest, false);
    if (asked) await this.store(guest, asked);
    return asked;
  }

  async stored(guest: GuestRef): Promise<GuestCredential | undefined> {
    const text = await this.secrets.get(secretKey(guest));
    if (!text) return undefined;
    try {
      const value = JSON.parse(text) as Partial<GuestCredential>;
      return typeof value.user === 'string' && typeof value.password === 'string' ? { user: value.user, password: value.password } : undefined;
    } catch {
      return undefined;
    }
  }

  async forget(guest: GuestRef): Promise<void> {
    await this.secrets.delete(secretKey(guest));
  }

  /** Keeps credentials the user gave elsewhere (a setup step, a test's guest). */
  async remember(guest: GuestRef, credential: GuestCredential): Promise<void> {
    await this.store(guest, credential);
  }

  private async store(guest: GuestRef, credential: GuestCredential): Promise<void> {
    await this.secrets.store(secretKey(guest), JSON.stringify(credential));
  }

  private async ask(guest: GuestRef, retry: boolean): Promise<GuestCredential | undefined> {
    const name = displayText(guest.vmName);
    const user = await vscode.window.showInputBox({
      title: `Sign in to ${name} (PowerShell Direct)`,
      prompt: retry
        ? `The guest rejected the last user name or password. User name of an administrator inside ${name}:`
        : `User name of an administrator inside ${name} (for example .\\Administrator or DOMAIN\\user):`,
      ignoreFocusOut: true,
      validateInput: (value) => (value.trim() ? undefined : 'Enter a user name.'),
    });
    if (user === undefined) return undefined;
    const password = await vscode.window.showInputBox({
      title: `Sign in to ${name} (PowerShell Direct)`,
      prompt: `Password of ${user.trim()} inside ${name}. It is kept in your OS keychain for this VM.`,
      password: true,
      ignoreFocusOut: true,
    });
    if (password === undefined) return undefined;
    return { user: user.trim(), password };
  }
}

function secretKey(guest: GuestRef): string {
  return `gpupv.guestCredential/${guest.hostKey}/${guest.vmId.toLowerCase()}`;
}

function toParams(credential: GuestCredential): GuestCredentialParams {
  return { credentialUser: credential.user, credentialPasswordB64: passwordB64(credential) };
}

/** How a password travels to PowerShell: base64 of its UTF-8 bytes, decoded there into a SecureString. */
export function passwordB64(credential: GuestCredential): string {
  return Buffer.from(credential.password, 'utf8').toString('base64');
}
