import * as assert from 'node:assert/strict';
import { Workbench } from './workbench';

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

  it('explains in each view what will appear there and why it is empty', async () => {
    const vms = workbench.sidebarPane('Virtual Machines').locator('.welcome-view-content');
    await vms.getByText('Your Hyper-V hosts appear here', { exact: false }).waitFor();
    // The extension host runs on Linux here: the view must say there is no local Hyper-V.
    await vms.getByText('without Hyper-V', { exact: false }).waitFor();
    const traces = workbench.sidebarPane('Ring Traces').locator('.welcome-view-content');
    await traces.getByText('Command-ring traces appear here', { exact: false }).waitFor();
    assert.equal(await traces.getByRole('button', { name: 'Open Ring Trace Viewer' }).count(), 1);
    await workbench.screenshot('sidebar');
  });

  it('opens the GPU-PV log from the welcome content', async () => {
    await workbench.sidebarPane('Virtual Machines').getByRole('button', { name: 'Show Log' }).click();
    // Monaco renders spaces as no-break spaces, which \s matches.
    await workbench.page.locator('.part.panel .view-lines').getByText(/GPU-PV\sDev\sKit\s\d+\.\d+\.\d+\sactivated/).waitFor();
    await workbench.screenshot('log');
  });
});
