import * as assert from 'node:assert/strict';
import { SIMULATED_HOST, Workbench } from './workbench';

describe('UI: the GPU-PV sidebar', () => {
  let workbench: Workbench;

  before(async () => {
    workbench = await Workbench.open();
  });

  after(() => workbench.close());

  it('shows the GPU-PV activity-bar entry, which opens the container with both views', async () => {
    await workbench.activityBarItem('GPU-PV').waitFor();
    await workbench.openGpuPvSidebar();
    const headers = await workbench.page.locator('.part.sidebar .pane-header .title').allInnerTexts();
    assert.deepEqual(headers.map((h) => h.trim().toUpperCase()), ['VIRTUAL MACHINES', 'RING TRACES']);
  });

  it('lists the (simulated) Hyper-V host, and the Ring Traces groups of the workspace', async () => {
    // The test server gives the extension the Hyper-V stand-in; its welcome states are tested in virtualMachines.ui.
    await workbench.treeRow('Virtual Machines', SIMULATED_HOST).waitFor();
    for (const group of ['Captures in Workspace', 'Recent', 'Live Sources']) await workbench.treeRow('Ring Traces', group).waitFor();
    await workbench.screenshot('sidebar');
  });

  it('opens the GPU-PV log from the command palette', async () => {
    await workbench.runCommand('GPU-PV: Show Log');
    // Monaco renders spaces as no-break spaces, which \s matches.
    await workbench.waitForLogLine(/GPU-PV\sDev\sKit\s\d+\.\d+\.\d+\sactivated/);
    await workbench.screenshot('log');
  });
});
