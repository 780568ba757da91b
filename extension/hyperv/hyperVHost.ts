import type { CallOptions, PowerShellSession } from './powerShellSession';
import type { ModuleFunction, ModuleFunctions } from './moduleCommand';

/** A Hyper-V host the view lists: this machine, or a computer named in `gpupv.hyperv.hosts`. */
export interface HostTarget {
  /** Stable id: `local` or the computer name as configured. */
  readonly key: string;
  /** Undefined for the local host; module functions take it as -ComputerName. */
  readonly computerName?: string;
}

export const LOCAL_HOST_KEY = 'local';

export function hostTargets(remoteHosts: readonly string[], includeLocal: boolean): HostTarget[] {
  const targets: HostTarget[] = includeLocal ? [{ key: LOCAL_HOST_KEY }] : [];
  const seen = new Set<string>();
  for (const raw of remoteHosts) {
    const name = raw.trim();
    // Computer names are case-insensitive; the first spelling wins.
    if (!name || seen.has(name.toLowerCase())) continue;
    seen.add(name.toLowerCase());
    targets.push({ key: `remote:${name}`, computerName: name });
  }
  return targets;
}

type HostlessParams<F extends ModuleFunction> = Omit<ModuleFunctions[F]['params'], 'computerName'>;

/** Module calls addressed to one host, over that host's own PowerShell session. */
export class HyperVHost {
  constructor(
    readonly target: HostTarget,
    private readonly session: PowerShellSession,
  ) {}

  call<F extends ModuleFunction>(
    fn: F,
    params: HostlessParams<F>,
    options?: CallOptions,
  ): Promise<ModuleFunctions[F]['result']> {
    const addressed = (this.target.computerName ? { ...params, computerName: this.target.computerName } : params) as ModuleFunctions[F]['params'];
    return this.session.call(fn, addressed, options);
  }

  dispose(): Promise<void> {
    return this.session.dispose();
  }
}
