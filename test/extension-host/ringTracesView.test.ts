import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands, EXTENSION_ID } from '../../extension/common/contributions';
import type { GpuPvApi } from '../../extension/extension';
import { PcapngWriter } from '../../extension/protocol/capture/pcapngWriter';
import { readHeaderFile } from '../../extension/protocol/localFiles';
import { loadProtocol, type LoadedProtocol } from '../../extension/protocol/profile/loadProtocol';
import { RingSimulator } from '../../extension/protocol/simulate/ringSimulator';
import type { TraceTreeNode } from '../../extension/traces/ringTracesTree';
import { waitFor } from './standInHost';

// The Ring Traces view of the running extension on the demo workspace: captures found only
// when their group is opened and followed by a watcher, recent traces, live sources from
// gpupv.json and from /dev/shm with their pointers in the description, polling only while
// the view is visible. Everything written into the workspace or /dev/shm is removed after.

const PRODUCER_OFFSET = 0x20; // PvgpuControlRegion.producer_ptr
const CONSUMER_OFFSET = 0x60; // PvgpuControlRegion.consumer_ptr

describe('Ring Traces: the view', function () {
  this.timeout(60_000);
  const folder = vscode.workspace.workspaceFolders![0]!.uri;
  const configUri = vscode.Uri.joinPath(folder, 'gpupv.json');
  const written: string[] = [];
  let api: GpuPvApi['ringTraces'];
  let originalConfig: Uint8Array;
  let protocol: LoadedProtocol;

  const children = (node?: TraceTreeNode) => api.tree.getChildren(node);
  const group = async (name: 'captures' | 'recent' | 'live') => (await children()).find((n) => n.kind === 'group' && n.group === name)!;
  const label = (node: TraceTreeNode) => {
    const text = api.tree.getTreeItem(node).label;
    return typeof text === 'string' ? text : (text?.label ?? '');
  };
  const description = (node: TraceTreeNode) => String(api.tree.getTreeItem(node).description ?? '');

  function writeFile(relative: string, bytes: Uint8Array): vscode.Uri {
    const file = path.join(folder.fsPath, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, bytes);
    written.push(file);
    return vscode.Uri.file(file);
  }

  async function writeConfig(live: unknown): Promise<void> {
    const config = JSON.parse(new TextDecoder().decode(originalConfig)) as Record<string, unknown>;
    await vscode.workspace.fs.writeFile(configUri, new TextEncoder().encode(JSON.stringify({ ...config, live }, null, 2)));
  }

  /** Refreshes until the live rows satisfy `condition` (gpupv.json edits reach the view through its watcher). */
  async function refreshUntil(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!condition()) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; rows: ${api.live.rows.map((r) => `${r.source.name} ${r.status.kind}`).join(', ')}; state ${api.live.state.kind}`);
      await vscode.commands.executeCommand(Commands.tracesRefresh);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** A ring of the demo protocol written by the simulator, then its consumer put back to 0 so the ring holds what was written. */
  async function simulatedRing(file: string): Promise<bigint> {
    mkdirSync(path.dirname(file), { recursive: true });
    await new RingSimulator({ file, protocol, rate: 2000, pattern: 'frames', ringSize: 1 << 20 }).run(30);
    const image = readFileSync(file);
    image.writeBigUInt64LE(0n, CONSUMER_OFFSET);
    writeFileSync(file, image);
    written.push(file);
    return image.readBigUInt64LE(PRODUCER_OFFSET);
  }

  before(async () => {
    const extension = vscode.extensions.getExtension<GpuPvApi>(EXTENSION_ID)!;
    await waitFor(() => extension.isActive, 'activation');
    api = extension.exports.ringTraces;
    originalConfig = await vscode.workspace.fs.readFile(configUri);
    protocol = await loadProtocol(configUri.fsPath, readHeaderFile);
    await vscode.commands.executeCommand('gpupv.traces.focus');
  });

  after(async () => {
    await vscode.workspace.fs.writeFile(configUri, originalConfig);
    for (const file of written) rmSync(file, { force: true });
    for (const dir of ['traces', 'dumps', 'rings', 'node_modules']) rmSync(path.join(folder.fsPath, dir), { recursive: true, force: true });
    await api.recent.clear();
  });

  it('searches for captures only once their group is opened, then follows new and deleted files', async () => {
    assert.equal(api.captures.list, undefined, 'the workspace was searched before anyone opened Captures in Workspace');
    const capture = writeFile('traces/frames.pcapng', smallCapture());
    const snapshot = writeFile('dumps/hang.ringsnap', new Uint8Array(0x2000));
    writeFile('node_modules/some-package/vendored.pcapng', smallCapture());
    const rows = await children(await group('captures'));
    assert.deepEqual(rows.map(label).sort(), ['frames.pcapng', 'hang.ringsnap']);
    const item = api.tree.getTreeItem(rows.find((r) => label(r) === 'frames.pcapng')!);
    assert.equal(item.contextValue, 'capture');
    assert.deepEqual([item.command?.command, String(item.command?.arguments?.[0])], ['vscode.open', capture.toString()]);
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'record');
    assert.equal(item.description, 'traces');

    const later = writeFile('traces/later.pcapng', smallCapture());
    await waitFor(() => api.captures.list?.uris.some((u) => u.toString() === later.toString()) === true, 'the watcher to add a new capture');
    rmSync(snapshot.fsPath);
    await waitFor(() => api.captures.list?.uris.some((u) => u.toString() === snapshot.toString()) === false, 'the watcher to drop a deleted snapshot');
    assert.deepEqual((await children(await group('captures'))).map(label).sort(), ['frames.pcapng', 'later.pcapng']);
  });

  it('lists the traces the viewer opened, most recent first, at most ten, and marks a missing one', async () => {
    await api.recent.clear();
    const first = writeFile('traces/first.pcapng', smallCapture());
    const second = writeFile('traces/second.pcapng', smallCapture());
    await api.recent.add(first);
    await api.recent.add(second);
    await api.recent.add(first);
    assert.deepEqual(api.recent.list().map(String), [first, second].map(String));
    rmSync(second.fsPath);
    const rows = await children(await group('recent'));
    assert.deepEqual(rows.map((r) => [label(r), description(r), api.tree.getTreeItem(r).contextValue]), [
      ['first.pcapng', 'traces', 'recent'],
      ['second.pcapng', 'missing', 'recent missing'],
    ]);
    assert.equal(api.tree.getTreeItem(rows[1]!).command, undefined, 'a missing file does not open');
    await vscode.commands.executeCommand(Commands.tracesRemoveRecent, rows[1]);
    assert.deepEqual(api.recent.list().map(String), [first.toString()]);
    for (let i = 0; i < 12; i++) await api.recent.add(vscode.Uri.file(path.join(folder.fsPath, `old-${i}.pcapng`)));
    assert.equal(api.recent.list().length, 10);
    assert.equal(path.basename(api.recent.list()[0]!.fsPath), 'old-11.pcapng');
  });

  it('shows a ring named in the live section with its producer, consumer and occupancy, and attaches to it', async () => {
    const producer = await simulatedRing(path.join(folder.fsPath, 'rings', 'test.shm'));
    await writeConfig({ rings: [{ name: 'Test ring', path: 'rings/test.shm' }, { name: 'Stopped VM', path: 'rings/absent.shm' }], discover: false });
    await refreshUntil(() => api.live.rows.some((r) => r.source.name === 'Test ring' && r.status.kind === 'readable'), 'the configured ring');
    const rows = await children(await group('live'));
    const ring = rows.find((r) => label(r) === 'Test ring')!;
    const text = description(ring);
    assert.match(text, /^P [\d,]+ · C 0 · (<1|\d+)% full/);
    assert.equal(text.split(' · ')[0], `P ${producer.toLocaleString('en-US')}`);
    const item = api.tree.getTreeItem(ring);
    assert.equal(item.contextValue, 'liveSource origin:configured location:file state:readable');
    assert.deepEqual([item.command?.command, item.command?.arguments?.[0]], [Commands.tracesAttachLive, ring]);
    const stopped = api.tree.getTreeItem(rows.find((r) => label(r) === 'Stopped VM')!);
    assert.equal(stopped.description, 'cannot be read');
    assert.match((stopped.tooltip as vscode.MarkdownString).value, /absent\.shm: cannot open it for reading/);
    assert.equal(stopped.contextValue, 'liveSource origin:configured location:file state:unreadable');
    // The viewer's attach is not part of this build: the command hands over and returns.
    await vscode.commands.executeCommand(Commands.tracesAttachLive, ring);
  });

  it('discovers a ring of this protocol in /dev/shm and skips a file that is not one', async function () {
    if (!existsSync('/dev/shm')) this.skip();
    const id = randomUUID();
    const ringFile = `/dev/shm/gpupv-test-${id}-ring`;
    const otherFile = `/dev/shm/gpupv-test-${id}-other`;
    await simulatedRing(ringFile);
    writeFileSync(otherFile, new Uint8Array(0x2000));
    written.push(otherFile);
    await writeConfig({ rings: [], discover: true });
    await refreshUntil(() => api.live.rows.some((r) => r.source.id === ringFile), 'the discovered ring');
    const row = api.live.rows.find((r) => r.source.id === ringFile)!;
    assert.equal(row.source.origin, 'discovered');
    assert.equal(row.status.kind, 'readable');
    assert.ok(!api.live.rows.some((r) => r.source.id === otherFile), 'a file without the magic was listed');
    const node = (await children(await group('live'))).find((n) => n.kind === 'live' && n.row.source.id === ringFile)!;
    assert.equal(api.tree.getTreeItem(node).contextValue, 'liveSource origin:discovered location:file state:readable');

    await writeConfig({ rings: [], discover: false });
    await refreshUntil(() => !api.live.rows.some((r) => r.source.id === ringFile), 'discovery to be switched off');
    const [message] = await children(await group('live'));
    assert.equal(label(message!), 'No live ring');
  });

  it('says in Live Sources why it lists nothing: no protocol.ring, no gpupv.json', async () => {
    const config = JSON.parse(new TextDecoder().decode(originalConfig)) as { protocol: Record<string, unknown> };
    await vscode.workspace.fs.writeFile(configUri, new TextEncoder().encode(JSON.stringify({ protocol: { ...config.protocol, ring: undefined } })));
    await refreshUntil(() => api.live.state.kind === 'noRing', 'the state without protocol.ring');
    const [noRing] = await children(await group('live'));
    assert.equal(label(noRing!), 'gpupv.json has no protocol.ring');
    assert.deepEqual([api.tree.getTreeItem(noRing!).command?.command, String(api.tree.getTreeItem(noRing!).command?.arguments?.[0])], ['vscode.open', configUri.toString()]);
    await vscode.workspace.fs.delete(configUri);
    await refreshUntil(() => api.live.state.kind === 'noConfig', 'the state without gpupv.json');
    const [noConfig] = await children(await group('live'));
    assert.equal(label(noConfig!), 'No gpupv.json in this workspace');
    await vscode.workspace.fs.writeFile(configUri, originalConfig);
  });

  it('reads live sources only while the view is visible', async () => {
    await vscode.commands.executeCommand('gpupv.traces.focus');
    await waitFor(() => api.treeView.visible, 'the view to show');
    const start = api.live.refreshCount;
    await waitFor(() => api.live.refreshCount >= start + 2, 'two polls while visible', 15_000);
    await vscode.commands.executeCommand('workbench.view.explorer');
    await waitFor(() => !api.treeView.visible, 'the view to hide');
    await waitFor(() => !api.scheduler.pollScheduled, 'polling to stop');
    const hidden = api.live.refreshCount;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    assert.equal(api.live.refreshCount, hidden, 'a hidden view must not read rings');
    await vscode.commands.executeCommand('gpupv.traces.focus');
    await waitFor(() => api.live.refreshCount > hidden, 'polling to resume', 10_000);
  });
});

/** A pcapng capture with one command: enough for the view, which lists files by name. */
function smallCapture(): Uint8Array {
  const chunks: Uint8Array[] = [];
  const writer = new PcapngWriter((chunk) => chunks.push(chunk.slice()));
  writer.writePacket({ timestampNs: 1_700_000_000_000_000_000n, data: new Uint8Array(16) });
  writer.close();
  return Buffer.concat(chunks);
}
