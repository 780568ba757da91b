import type * as vscode from 'vscode';
import type { GuestDriverRecord } from './model/driverVersions';

const KEY = 'gpupv.guestDriverRecords';

/**
 * What the extension last learned about each guest's copy of the host GPU driver, from a
 * sync it ran or a check inside the guest. Kept in global state (per machine, not per
 * workspace) so the stale-driver warning survives restarts: when the host driver moves on,
 * the comparison with this record is what raises it.
 */
export class GuestDriverRecords {
  constructor(private readonly state: vscode.Memento) {}

  get(hostKey: string, vmId: string): GuestDriverRecord | undefined {
    return this.all()[recordKey(hostKey, vmId)];
  }

  async set(hostKey: string, vmId: string, record: GuestDriverRecord): Promise<void> {
    await this.state.update(KEY, { ...this.all(), [recordKey(hostKey, vmId)]: record });
  }

  async forget(hostKey: string, vmId: string): Promise<void> {
    const key = recordKey(hostKey, vmId);
    await this.state.update(KEY, Object.fromEntries(Object.entries(this.all()).filter(([k]) => k !== key)));
  }

  private all(): Record<string, GuestDriverRecord> {
    return this.state.get<Record<string, GuestDriverRecord>>(KEY) ?? {};
  }
}

function recordKey(hostKey: string, vmId: string): string {
  return `${hostKey}/${vmId.toLowerCase()}`;
}
