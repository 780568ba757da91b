import type { Logger } from '../../common/logger';
import type { StoreTestCertificate, TestCertificateParams } from '../../hyperv/moduleCommand';
import { PowerShellSession } from '../../hyperv/powerShellSession';

// The Windows user's certificate store as the Sign step reaches it: GpuPv.psm1's
// Get-GpuPvTestCertificate in a PowerShell process of its own, started for the call and
// ended after it, so signing never waits behind the Virtual Machines view's calls (or they
// behind it). Pure: no `vscode`.

/** Finds or makes the test certificate in the store; rejects with the module's error. */
export type CertificateStore = (params: TestCertificateParams, signal: AbortSignal) => Promise<StoreTestCertificate>;

export interface CertificateStoreOptions {
  /** The PowerShell that runs GpuPv.psm1: the user's setting, read for each call. */
  readonly executable: () => string;
  readonly modulePath: string;
  readonly log: Logger;
  readonly env?: NodeJS.ProcessEnv;
}

/** New-SelfSignedCertificate makes a 3072-bit key in well under this; a slow or stuck PowerShell is stopped. */
const CALL_TIMEOUT_MS = 120_000;

export function windowsCertificateStore(options: CertificateStoreOptions): CertificateStore {
  return async (params, signal) => {
    const session = new PowerShellSession({
      executable: options.executable(),
      modulePath: options.modulePath,
      timeoutMs: CALL_TIMEOUT_MS,
      hostLabel: 'certificate store',
      log: options.log,
      ...(options.env ? { env: options.env } : {}),
    });
    try {
      return await session.call('Get-GpuPvTestCertificate', params, { signal });
    } finally {
      await session.dispose();
    }
  };
}
