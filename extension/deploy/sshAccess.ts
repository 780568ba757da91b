import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { Logger } from '../common/logger';
import { StepFailure, type StepContext } from './pipeline/deployPipeline';
import type { GuestAccess } from './steps/guestSteps';
import { isGuestTransportError } from './transport/guestTransport';
import { connectSshGuest, sshTargetLabel, type GuestScripts, type SshDeployTarget } from './transport/sshGuest';
import type { SshCredentials } from './transport/sshTransport';

// An SSH target as the editor reaches it: the credentials from SecretStorage (asked for once,
// asked again once when the guest rejects them), and the guest's host key trusted by the user
// who compared its fingerprint, remembered per target; a changed key is never trusted silently.

const HOST_KEYS = 'gpupv.deploy.sshHostKeys';

interface StoredCredentials {
  readonly password?: string;
  readonly privateKey?: string;
  readonly passphrase?: string;
}

export class SshCredentialStore {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly state: vscode.Memento,
  ) {}

  async get(target: SshDeployTarget): Promise<SshCredentials | undefined> {
    const text = await this.secrets.get(secretKey(target));
    if (!text) return undefined;
    try {
      const value = JSON.parse(text) as StoredCredentials;
      return { ...(value.password ? { password: value.password } : {}), ...(value.privateKey ? { privateKey: value.privateKey } : {}), ...(value.passphrase ? { passphrase: value.passphrase } : {}) };
    } catch {
      return undefined;
    }
  }

  async set(target: SshDeployTarget, credentials: StoredCredentials): Promise<void> {
    await this.secrets.store(secretKey(target), JSON.stringify(credentials));
  }

  async forget(target: SshDeployTarget): Promise<void> {
    await this.secrets.delete(secretKey(target));
  }

  hostKey(target: SshDeployTarget): string | undefined {
    return this.state.get<Record<string, string>>(HOST_KEYS, {})[sshTargetLabel(target)];
  }

  async trustHostKey(target: SshDeployTarget, fingerprint: string): Promise<void> {
    await this.state.update(HOST_KEYS, { ...this.state.get<Record<string, string>>(HOST_KEYS, {}), [sshTargetLabel(target)]: fingerprint });
  }

  /** Asks for a password or a private key file; undefined when the user cancels. */
  async ask(target: SshDeployTarget, retry: boolean): Promise<StoredCredentials | undefined> {
    const label = sshTargetLabel(target);
    const how = await vscode.window.showQuickPick(
      [
        { label: '$(key) Private key file', value: 'key' as const, description: 'an OpenSSH, PEM or PuTTY key' },
        { label: '$(lock) Password', value: 'password' as const },
      ],
      { title: `Sign in to ${label} (SSH)`, placeHolder: retry ? `${label} rejected the last credentials: how do you sign in?` : `How do you sign in to ${label}?`, ignoreFocusOut: true },
    );
    if (!how) return undefined;
    if (how.value === 'password') {
      const password = await vscode.window.showInputBox({ title: `Password of ${label}`, password: true, ignoreFocusOut: true });
      return password === undefined ? undefined : { password };
    }
    const picked = await vscode.window.showOpenDialog({ title: `Private key for ${label}`, canSelectMany: false, openLabel: 'Use This Key' });
    if (!picked?.[0]) return undefined;
    const privateKey = await readFile(picked[0].fsPath, 'utf8');
    const passphrase = /ENCRYPTED|Encryption: (?!none)/.test(privateKey) ? await vscode.window.showInputBox({ title: `Passphrase of ${picked[0].fsPath}`, password: true, ignoreFocusOut: true }) : '';
    if (passphrase === undefined) return undefined;
    return { privateKey, ...(passphrase ? { passphrase } : {}) };
  }
}

export function sshAccess(target: SshDeployTarget, store: SshCredentialStore, scripts: GuestScripts, log: Logger): GuestAccess {
  const label = sshTargetLabel(target);
  return {
    label,
    confirm: async (question, action) => (await vscode.window.showWarningMessage(question, { modal: true }, action)) === action,
    connect: async ({ signal, report }: StepContext) => {
      for (let attempt = 0; attempt < 3; attempt++) {
        let credentials = await store.get(target);
        if (!credentials) {
          const asked = await store.ask(target, attempt > 0);
          if (!asked) throw new StepFailure(`No credentials for ${label}`, 'Run Deploy and Test again and sign in when it asks; they are kept in SecretStorage.');
          await store.set(target, asked);
          credentials = await store.get(target);
        }
        const fingerprint = store.hostKey(target);
        report.command(`ssh ${label}`);
        try {
          return await connectSshGuest(target, credentials!, scripts, { signal, log, ...(fingerprint ? { hostKeyFingerprint: fingerprint } : {}) });
        } catch (error) {
          if (isGuestTransportError(error, 'hostKeyUnknown') && error.presentedHostKey) {
            const trust = 'Trust This Key';
            const choice = await vscode.window.showWarningMessage(`${label} presents the host key ${error.presentedHostKey}.`, { modal: true, detail: 'Compare it with the guest\'s own (ssh-keygen -lf on its host key, or Get-Content $env:ProgramData\\ssh\\ssh_host_ed25519_key.pub | ssh-keygen -lf -). Trust it only if they match.' }, trust);
            if (choice !== trust) throw new StepFailure(`${label}'s host key was not trusted`, 'Run again and trust the key once you have compared its fingerprint.');
            await store.trustHostKey(target, error.presentedHostKey);
            continue;
          }
          if (isGuestTransportError(error, 'authFailed') && attempt < 2) {
            await store.forget(target);
            continue;
          }
          throw error;
        }
      }
      throw new StepFailure(`Could not sign in to ${label}`, 'Check the user name in gpupv.json and the credentials the guest accepts.');
    },
  };
}

function secretKey(target: SshDeployTarget): string {
  return `gpupv.deploy.ssh:${sshTargetLabel(target)}`;
}
