import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../../harness/paths';

// For tests: where the signtool.exe, Inf2Cat.exe and stampinf.exe stand-ins are, and one
// folder of their data (command-line log, signature state, certificate store) per use.

export const WINDOWS_TOOLS_DIR = path.join(repoRoot, 'test', 'fakes', 'windows-tools');
export const WINDOWS_TOOLS = {
  signtool: path.join(WINDOWS_TOOLS_DIR, 'signtool.exe'),
  inf2cat: path.join(WINDOWS_TOOLS_DIR, 'Inf2Cat.exe'),
  stampinf: path.join(WINDOWS_TOOLS_DIR, 'stampinf.exe'),
} as const;

export interface LoggedCommand {
  readonly tool: 'signtool' | 'inf2cat' | 'stampinf';
  readonly args: readonly string[];
  readonly cwd: string;
}

export interface FakeStoreCertificate {
  readonly thumbprint: string;
  readonly subject: string;
  readonly notAfter: string;
  /** Whether the host trusts it as a root (a fresh test certificate: no). */
  readonly trustedRoot?: boolean;
}

export class FakeWindowsTools {
  private readonly log: string;
  private readonly store: string;

  constructor(readonly folder: string) {
    mkdirSync(folder, { recursive: true });
    this.log = path.join(folder, 'commands.jsonl');
    this.store = path.join(folder, 'store.json');
  }

  /** The environment the stand-ins read their log, state and store from. */
  get env(): NodeJS.ProcessEnv {
    return { ...process.env, GPUPV_FAKE_TOOLS_LOG: this.log, GPUPV_FAKE_TOOLS_STATE: path.join(this.folder, 'state.json'), GPUPV_FAKE_CERT_STORE: this.store };
  }

  /** The certificates of Cert:\CurrentUser\My. */
  setStore(certificates: readonly FakeStoreCertificate[]): void {
    writeFileSync(this.store, JSON.stringify(certificates));
  }

  commands(): LoggedCommand[] {
    if (!existsSync(this.log)) return [];
    return readFileSync(this.log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LoggedCommand);
  }
}
