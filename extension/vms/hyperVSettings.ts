import * as vscode from 'vscode';
import { Settings } from '../common/contributions';

/** The settings the Virtual Machines view runs on, read in one place. */
export interface HyperVSettings {
  /** The setting as written; empty means the platform default. */
  readonly configuredPowerShell: string;
  /** What is actually started: the setting, or powershell.exe on Windows and pwsh elsewhere. */
  readonly powershell: string;
  readonly timeoutMs: number;
  readonly remoteHosts: readonly string[];
  /** 0 turns polling off; manual refreshes still work. */
  readonly refreshMs: number;
  /**
   * Whether this computer is listed as a Hyper-V host: always on Windows; elsewhere only
   * when a PowerShell is configured explicitly (a development stand-in, or pwsh reaching a
   * Hyper-V host some other way), because Linux and macOS have no Hyper-V of their own.
   */
  readonly includeLocalHost: boolean;
}

/** Faster polling would keep PowerShell busy without showing anything new. */
const MIN_REFRESH_SECONDS = 2;

export function readHyperVSettings(platform: NodeJS.Platform = process.platform): HyperVSettings {
  const config = vscode.workspace.getConfiguration();
  const configured = (config.get<string>(Settings.powershellPath) ?? '').trim();
  const timeoutSeconds = positive(config.get<number>(Settings.powershellTimeoutSeconds), 60);
  const refreshSeconds = config.get<number>(Settings.hypervRefreshSeconds) ?? 5;
  const hosts = config.get<unknown>(Settings.hypervHosts);
  return {
    configuredPowerShell: configured,
    powershell: configured || (platform === 'win32' ? 'powershell.exe' : 'pwsh'),
    timeoutMs: timeoutSeconds * 1000,
    remoteHosts: Array.isArray(hosts) ? hosts.filter((h): h is string => typeof h === 'string') : [],
    refreshMs: refreshSeconds > 0 ? Math.max(MIN_REFRESH_SECONDS, refreshSeconds) * 1000 : 0,
    includeLocalHost: platform === 'win32' || configured !== '',
  };
}

export function affectsHyperVSettings(event: vscode.ConfigurationChangeEvent): boolean {
  return Object.values(Settings).some((key) => event.affectsConfiguration(key));
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}
