import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, WebviewTypes } from '../../extension/common/contributions';
import type { GpuPvApi } from '../../extension/extension';
import { RingSimulator } from '../../extension/protocol/simulate/ringSimulator';
import type { TraceDocument } from '../../extension/traces/traceDocument';
import { repoRoot } from '../harness/paths';
import { demoProtocol, writeFramesCapture } from '../harness/traceFixtures';
import { waitFor } from './standInHost';

// The Ring Trace Viewer in the real extension host: a capture opens as its custom editor and
// joins Recent; a header that changes decodes the trace again, and one that no longer fits
// leaves the old decoding with a banner; a trace without a profile, or cut short, says so; a
// live ring polls while its panel is open and stops when it closes or its mapping goes.

describe('the Ring Trace Viewer', function () {
  this.timeout(60_000);
  let api: GpuPvApi;
  let dir: string;

  before(async () => {
    api = await vscode.extensions.getExtension<GpuPvApi>(EXTENSION_ID)!.activate();
    dir = mkdtempSync(path.join(tmpdir(), 'gpupv-viewer-'));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(dir, { recursive: true, force: true });
  });

  /** A folder of its own with the demo's gpupv.json and headers, byte for byte (the fixtures carry its hash): edits stay here. */
  function protocolFolder(name: string): string {
    const folder = path.join(dir, name);
    mkdirSync(path.join(folder, 'include'), { recursive: true });
    for (const file of ['gpupv.json', 'include/pvgpu_protocol.h', 'include/legacy_status.h']) copyFileSync(path.join(repoRoot, 'demo', file), path.join(folder, file));
    return folder;
  }

  async function open(file: string): Promise<TraceDocument> {
    const uri = vscode.Uri.file(file);
    await vscode.commands.executeCommand('vscode.open', uri);
    let document: TraceDocument | undefined;
    await waitFor(() => (document = api.traceViewer.editors.documents.find((d) => d.uri.fsPath === file)) !== undefined, `${file} in the viewer`);
    return document!;
  }

  function viewerTabs(): vscode.Tab[] {
    return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputCustom && t.input.viewType === WebviewTypes.traceViewer);
  }

  it('opens a capture as its own editor, indexes it whole, and lists it under Recent', async () => {
    const folder = protocolFolder('open');
    const file = path.join(folder, 'frames.pcapng');
    writeFramesCapture(file, await demoProtocol(), 30_000);
    const document = await open(file);
    await waitFor(() => document.source?.complete === true, 'the capture indexed');
    assert.equal(document.source!.index.count, 30_000);
    assert.equal(document.protocol.kind, 'loaded');
    assert.deepEqual(document.banners(), []);
    assert.equal(viewerTabs().length, 1);
    await waitFor(() => api.ringTraces.recent.list().some((u) => u.fsPath === file), 'the capture under Recent');
  });

  it('decodes again when the header is edited, and keeps the old decoding with a banner when it no longer fits', async () => {
    const folder = protocolFolder('edited');
    const file = path.join(folder, 'frames.pcapng');
    writeFramesCapture(file, await demoProtocol(), 2_000);
    const document = await open(file);
    await waitFor(() => document.source?.complete === true, 'the capture indexed');
    const first = document.source;
    const header = path.join(folder, 'include', 'pvgpu_protocol.h');
    const text = readFileSync(header, 'utf8');
    writeFileSync(header, `${text}\n/* edited */\n`);
    await waitFor(() => document.source !== first && document.source?.complete === true, 'the trace decoded again');
    const second = document.source;
    // The command header renamed: the profile's `PvgpuCommandHeader` no longer exists.
    writeFileSync(header, text.replaceAll('PvgpuCommandHeader', 'PvgpuCommandHead'));
    await waitFor(() => document.banners().some((b) => b.message.includes('no longer decodes this trace')), 'the banner saying the header no longer fits');
    assert.equal(document.source, second, 'the previous decoding stays');
    assert.match(document.banners()[0]!.message, /PvgpuCommandHeader/);
    writeFileSync(header, text);
    await waitFor(() => !document.banners().some((b) => b.message.includes('no longer decodes')), 'the banner gone once the header fits again');
  });

  it('offers to create a profile for a trace that has none', async () => {
    const folder = path.join(dir, 'bare');
    mkdirSync(folder);
    const file = path.join(folder, 'frames.pcapng');
    writeFramesCapture(file, await demoProtocol(), 100);
    const document = await open(file);
    assert.equal(document.protocol.kind, 'missing');
    const banner = document.banners().find((b) => b.actions?.some((a) => a.command === 'gpupv.traces.createProfile'));
    assert.ok(banner, JSON.stringify(document.banners()));
    assert.match(banner.message, /no decoding profile/);
  });

  it('shows every command before the damage of a cut capture, and says where it stopped', async () => {
    const folder = protocolFolder('cut');
    const file = path.join(folder, 'cut.pcapng');
    writeFramesCapture(file, await demoProtocol(), 500);
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 100));
    const document = await open(file);
    await waitFor(() => document.source?.complete === true, 'the capture indexed');
    assert.ok(document.source!.index.count > 400);
    const banner = document.banners().find((b) => b.level === 'error');
    assert.ok(banner);
    assert.match(banner.message, /cut\.pcapng: block \d+ at byte \d+: the file ends/);
    assert.match(banner.message, /Every command before the damage is shown/);
  });

  it('polls a live ring while its panel is open, and stops when the panel closes', async () => {
    const folder = protocolFolder('live');
    const shm = path.join(dir, 'live.shm');
    const protocol = await demoProtocol();
    const simulator = new RingSimulator({ file: shm, protocol, rate: 20_000, pattern: 'frames', ringSize: 1 << 20 });
    const running = simulator.run(4_000);
    await api.traceViewer.livePanels.show({ name: 'test ring', location: { path: shm }, configPath: path.join(folder, 'gpupv.json') });
    const trace = api.traceViewer.livePanels.traces.at(-1)!;
    await waitFor(() => (trace.source?.index.count ?? 0) > 2_000, 'rows from the live ring');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await waitFor(() => !api.traceViewer.livePanels.traces.includes(trace), 'the panel closed');
    const held = trace.source!.index.count;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(trace.source!.index.count, held, 'a closed panel still polls its ring');
    await running;
  });

  it('ends a live session whose mapping goes away, saying why', async () => {
    const folder = protocolFolder('vanish');
    const shm = path.join(dir, 'vanish.shm');
    const protocol = await demoProtocol();
    await new RingSimulator({ file: shm, protocol, rate: 1_000, pattern: 'frames', ringSize: 1 << 16 }).run(100);
    await api.traceViewer.livePanels.show({ name: 'vanishing ring', location: { path: shm }, configPath: path.join(folder, 'gpupv.json') });
    const trace = api.traceViewer.livePanels.traces.at(-1)!;
    await waitFor(() => trace.source !== undefined, 'attached');
    writeFileSync(shm, new Uint8Array(64));
    await waitFor(() => trace.banners().some((b) => b.message.includes('the mapping shrank or went away')), 'the banner saying the mapping went away');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
