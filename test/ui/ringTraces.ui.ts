import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PcapngWriter } from '../../extension/protocol/capture/pcapngWriter';
import { readHeaderFile } from '../../extension/protocol/localFiles';
import { loadProtocol } from '../../extension/protocol/profile/loadProtocol';
import { RingSimulator } from '../../extension/protocol/simulate/ringSimulator';
import { UiEnvironment } from './uiEnvironment';
import { Workbench } from './workbench';

// The Ring Traces view as a person sees it: a capture in the workspace once its group is
// opened, and the demo's ring (gpupv.json names /dev/shm/pvgpu_shmem_vm1) fed by the
// simulator, its description showing the pointers, how full it is and the rate.

const DEMO_RING = '/dev/shm/pvgpu_shmem_vm1';

describe('UI: the Ring Traces view', () => {
  const env = UiEnvironment.read();
  const capture = path.join(env.workspace, 'traces', 'frames.pcapng');
  const simulation = new AbortController();
  let simulating: Promise<unknown> | undefined;
  let workbench: Workbench;

  before(async () => {
    mkdirSync(path.dirname(capture), { recursive: true });
    const chunks: Uint8Array[] = [];
    const writer = new PcapngWriter((chunk) => chunks.push(chunk.slice()));
    writer.writePacket({ timestampNs: 1_700_000_000_000_000_000n, data: new Uint8Array(16) });
    writer.close();
    writeFileSync(capture, Buffer.concat(chunks));
    // Someone's real ring is left alone; the rest of the suite does without a live one.
    if (existsSync('/dev/shm') && !existsSync(DEMO_RING)) {
      const protocol = await loadProtocol(path.join(env.workspace, 'gpupv.json'), readHeaderFile);
      const simulator = new RingSimulator({ file: DEMO_RING, protocol, rate: 20_000, pattern: 'frames', ringSize: 1 << 20, consumerLagMs: 40 });
      simulating = simulator.run(120_000, simulation.signal);
    }
    workbench = await Workbench.open();
    await workbench.openGpuPvSidebar();
    await workbench.resizeSidebar(620);
    // Room for every group: the Virtual Machines view is folded away.
    await workbench.sidebarPane('Virtual Machines').locator('.pane-header').click();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await workbench.screenshot(`failed-ring-traces-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 40)}`);
  });

  after(async () => {
    simulation.abort();
    await simulating;
    if (simulating) rmSync(DEMO_RING, { force: true });
    rmSync(path.dirname(capture), { recursive: true, force: true });
    await workbench.close();
  });

  it('lists a capture once Captures in Workspace is opened, and the demo ring with its pointers and rate', async function () {
    // The waits below add up to more than a minute on a loaded machine.
    this.timeout(120_000);
    await workbench.treeRow('Ring Traces', 'Captures in Workspace').click();
    await workbench.treeRow('Ring Traces', 'frames.pcapng').waitFor();
    const ring = workbench.treeRow('Ring Traces', 'Win11 guest');
    // The first look loads the protocol (the header through the engine): slow on a busy machine.
    await ring.waitFor({ timeout: 60_000 });
    if (simulating) {
      // The rate needs two looks, a second apart.
      await ring.locator('.label-description', { hasText: /cmd\/s$/ }).waitFor({ timeout: 20_000 });
      assert.match(await ring.locator('.label-description').innerText(), /^P [\d,]+ · C [\d,]+ · (<1|\d+)% full · [\d.]+( [kMG])? cmd\/s$/);
    } else {
      await ring.locator('.label-description', { hasText: 'cannot be read' }).waitFor();
    }
    await workbench.page.mouse.move(900, 700);
    await workbench.screenshot('ring-traces');
  });

  it('opens a listed capture in the viewer with a click, and lists it under Recent', async () => {
    await workbench.treeRow('Ring Traces', 'frames.pcapng').first().click();
    await workbench.webview().locator('.row:not(.empty):not(.loading)').first().waitFor({ timeout: 30_000 });
    const recent = workbench.treeRow('Ring Traces', 'Recent');
    if ((await recent.getAttribute('aria-expanded')) !== 'true') await recent.click();
    // One row under Captures in Workspace, one under Recent.
    const rows = workbench.treeRow('Ring Traces', 'frames.pcapng');
    for (let waited = 0; (await rows.count()) < 2; waited += 100) {
      assert.ok(waited < 10_000, 'the capture did not appear under Recent');
      await workbench.page.waitForTimeout(100);
    }
    await workbench.screenshot('ring-traces-recent');
    await workbench.runCommand('View: Close All Editors');
  });
});
