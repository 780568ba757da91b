import type { Logger } from '../../common/logger';
import type { ModuleFunction, ModuleFunctions, StoreCertificate, StoreCertificateParams, StoreTestCertificate, TestCertificateParams } from '../../hyperv/moduleCommand';
import { PowerShellSession } from '../../hyperv/powerShellSession';

// The Windows user's certificate store as the Sign step reaches it: GpuPv.psm1's
// Get-GpuPvTestCertificate and Get-GpuPvStoreCertificate, each in a PowerShell process of its
// own, started for the call and ended after it, so signing never waits behind the Virtual
// Machines view's calls (or they behind it). Pure: no `vscode`.

/** Each rejects with the module's error. */
export interface CertificateStore {
  /** Finds or makes the workspace's test certificate ("create"). */
  testCertificate(params: TestCertificateParams, signal: AbortSignal): Promise<StoreTestCertificate>;
  /** The certificate gpupv.json names by thumbprint or subject, its .cer written for the guest. */
  certificate(params: StoreCertificateParams, signal: AbortSignal): Promise<StoreCertificate>;
}

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
  const call = async <F extends ModuleFunction>(fn: F, params: ModuleFunctions[F]['params'], signal: AbortSignal): Promise<ModuleFunctions[F]['result']> => {
    const session = new PowerShellSession({
      executable: options.executable(),
      modulePath: options.modulePath,
      timeoutMs: CALL_TIMEOUT_MS,
      hostLabel: 'certificate store',
      log: options.log,
      ...(options.env ? { env: options.env } : {}),
    });
    try {
      return await session.call(fn, params, { signal });
    } finally {
      await session.dispose();
    }
  };
  return {
    testCertificate: (params, signal) => call('Get-GpuPvTestCertificate', params, signal),
    certificate: (params, signal) => call('Get-GpuPvStoreCertificate', params, signal),
  };
}
