import * as vscode from 'vscode';
import type { FolderConfig, ProtocolConfigStore } from '../headers/protocolConfig';
import { discoverRings, liveSources, sharedMemoryFolder, type LiveSource } from '../protocol/live/liveDiscovery';
import { openSharedMemory } from '../protocol/live/openSharedMemory';
import { describeGlance, RingGlancer, type RingStatus } from '../protocol/live/ringStatus';
import { locationName } from '../protocol/live/sharedMemory';
import type { TraceProtocols } from './traceProtocols';

/** One row of Live Sources: the ring, the gpupv.json that decodes it, and what the last look saw. */
export interface LiveSourceRow {
  readonly source: LiveSource;
  readonly folder: vscode.WorkspaceFolder;
  readonly configUri: vscode.Uri;
  /** `notRead`: named by an untrusted workspace's gpupv.json, so left alone. */
  readonly status: RingStatus | { readonly kind: 'notRead' };
}

/** Why Live Sources has no row to show, when it has none. */
export type LiveSourcesState =
  | { readonly kind: 'noConfig' }
  | { readonly kind: 'noRing'; readonly configUri: vscode.Uri }
  | { readonly kind: 'protocolError'; readonly configUri: vscode.Uri; readonly problem: string }
  | { readonly kind: 'none'; readonly configUri: vscode.Uri; readonly discovery: string }
  | { readonly kind: 'listed' };

/**
 * The Live Sources group's data: for every folder whose gpupv.json decodes a ring, the rings
 * it names and (Linux, unless `live.discover` is false) the matching files in /dev/shm, each
 * with a fresh glance. `refresh` is what the view's scheduler runs, about once a second
 * while the view is visible; a refresh that changes nothing a row shows fires no event.
 */
export class LiveSourcesModel implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private current: readonly LiveSourceRow[] = [];
  private currentState: LiveSourcesState = { kind: 'noConfig' };
  private shown = '';
  private refreshed = false;
  /** Glancers remember rates per ring; one per gpupv.json, as each has its own profile. */
  private readonly glancers = new Map<string, { protocolHash: string; glancer: RingGlancer }>();
  /** Counts refreshes, for the tests that check polling stops while the view is hidden. */
  refreshCount = 0;

  constructor(
    private readonly store: ProtocolConfigStore,
    private readonly protocols: TraceProtocols,
    private readonly sharedMemoryDir: () => string | undefined = () => sharedMemoryFolder(),
  ) {}

  get rows(): readonly LiveSourceRow[] {
    return this.current;
  }

  get state(): LiveSourcesState {
    return this.currentState;
  }

  /** Whether a refresh has finished since start-up. */
  get ready(): boolean {
    return this.refreshed;
  }

  async refresh(): Promise<void> {
    this.refreshCount++;
    await this.store.whenLoaded();
    const configs = this.store.all;
    const rows: LiveSourceRow[] = [];
    const seen = new Set<string>();
    let state: LiveSourcesState = { kind: 'noConfig' };
    for (const config of configs) {
      const folderState = await this.refreshFolder(config, rows, seen);
      // The first folder that says why it lists nothing speaks for the group.
      if (state.kind === 'noConfig') state = folderState;
    }
    this.current = rows;
    this.currentState = rows.length > 0 ? { kind: 'listed' } : state;
    this.refreshed = true;
    const shown = JSON.stringify([this.currentState, rows.map((r) => [r.source.id, r.source.name, r.status.kind === 'readable' ? describeGlance(r.status.glance) : r.status])], (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    if (shown !== this.shown) {
      this.shown = shown;
      this.changed.fire();
    }
  }

  dispose(): void {
    this.changed.dispose();
  }

  private async refreshFolder(config: FolderConfig, rows: LiveSourceRow[], seen: Set<string>): Promise<LiveSourcesState> {
    const outcome = await this.protocols.forFolder(config);
    if (outcome.kind !== 'loaded') return { kind: 'protocolError', configUri: config.uri, problem: outcome.kind === 'broken' ? (outcome.problems[0] ?? 'it cannot be loaded') : outcome.reason };
    const protocol = outcome.protocol;
    const ring = protocol.ring;
    if (!ring) return { kind: 'noRing', configUri: config.uri };
    const folder = this.sharedMemoryDir();
    const discovery = config.live?.discover === false ? undefined : folder === undefined ? undefined : discoverRings(folder, ring);
    const sources = liveSources(config.live, discovery?.sources ?? []).filter((s) => !seen.has(s.id));
    const glancer = this.glancerFor(config, protocol.profileHash, () => new RingGlancer(ring, protocol.command.framing, (location) => openSharedMemory(location)));
    glancer.keepOnly(sources.map((s) => s.location));
    for (const source of sources) {
      seen.add(source.id);
      // An untrusted workspace's gpupv.json could name anything; only what discovery found is read then.
      const status = source.origin === 'configured' && !vscode.workspace.isTrusted ? { kind: 'notRead' as const } : glancer.glance(source.location);
      rows.push({ source, folder: config.folder, configUri: config.uri, status });
    }
    const why =
      config.live?.discover === false ? '"live.discover" is false' : folder === undefined ? `rings are found on Linux only (in /dev/shm); on ${process.platform} list them in "live.rings"` : (discovery?.skipped ?? `no file in ${folder} holds ${ring.magic?.shown ?? 'the magic'}`);
    return { kind: 'none', configUri: config.uri, discovery: why };
  }

  private glancerFor(config: FolderConfig, protocolHash: string, create: () => RingGlancer): RingGlancer {
    const key = config.uri.toString();
    const known = this.glancers.get(key);
    if (known?.protocolHash === protocolHash) return known.glancer;
    const glancer = create();
    this.glancers.set(key, { protocolHash, glancer });
    return glancer;
  }
}

/** What the attach command hands the live viewer: which ring, and the gpupv.json whose protocol decodes it. */
export interface LiveTraceTarget {
  readonly name: string;
  readonly location: LiveSource['location'];
  readonly origin: LiveSource['origin'];
  readonly configUri: vscode.Uri;
}

export function targetOf(row: LiveSourceRow): LiveTraceTarget {
  return { name: row.source.name, location: row.source.location, origin: row.source.origin, configUri: row.configUri };
}

export function rowKey(row: LiveSourceRow): string {
  return `${row.configUri.toString()}|${locationName(row.source.location)}`;
}
