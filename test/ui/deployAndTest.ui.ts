import * as assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { driverSection, prepareGuest } from '../harness/deployWorkspace';
import { startSshGuest, type SshGuest } from '../harness/sshGuest';
import { UiEnvironment } from './uiEnvironment';
import { Workbench } from './workbench';

// Deploy and Test as a driver developer meets it the first time: the key, the sign-in to the
// SSH guest (a password) and the host key question, the run in its task terminal, the status
// bar item with the result; then a driver Windows refuses (Code 52), in Problems on the INF.

const STATUS_ITEM = '.statusbar-item[id="gpupv.gpupv-devkit.gpupv.deploy"]';

describe('UI: Deploy and Test', function () {
  this.timeout(240_000);
  let workbench: Workbench | undefined;
  let guest: SshGuest | undefined;
  const env = UiEnvironment.read();
  const configFile = path.join(env.workspace, 'gpupv.json');
  const originalConfig = readFileSync(configFile, 'utf8');

  before(async () => {
    guest = await startSshGuest({ passwordAuthentication: true });
    prepareGuest(guest);
    const config = JSON.parse(originalConfig) as Record<string, unknown>;
    writeFileSync(configFile, JSON.stringify({ ...config, driver: driverSection(env.workspace, guest) }, null, 2));
    workbench = await Workbench.open();
    await workbench.page.locator(STATUS_ITEM).waitFor({ timeout: 60_000 });
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !workbench) return;
    await workbench.screenshot(`failed-deploy-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 40)}`);
    await workbench.page.keyboard.press('Escape');
  });

  after(async () => {
    writeFileSync(configFile, originalConfig);
    for (const made of ['out', '.gpupv']) rmSync(path.join(env.workspace, made), { recursive: true, force: true });
    await workbench?.close();
    if (guest) await guest.stop();
  });

  const status = () => workbench!.page.locator(STATUS_ITEM);

  it('the key signs in, asks to trust the host key, runs every step in its terminal and shows the result', async () => {
    const page = workbench!.page;
    await page.locator('.monaco-workbench').click({ position: { x: 700, y: 300 } });
    await page.keyboard.press('Control+Alt+Shift+D');
    const quickInput = page.locator('.quick-input-widget');
    await quickInput.locator('.monaco-list-row', { hasText: 'Password' }).click({ timeout: 30_000 });
    await quickInput.locator('.quick-input-title', { hasText: 'Password of' }).waitFor();
    await quickInput.locator('input').fill(guest!.server.password!);
    await quickInput.locator('input').press('Enter');
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'presents the host key' });
    await dialog.waitFor({ timeout: 30_000 });
    assert.match(await dialog.innerText(), new RegExp(guest!.server.hostKeyFingerprint.replace(/[+/]/g, '\\$&')));
    await workbench!.screenshot('deploy-host-key');
    await dialog.getByRole('button', { name: 'Trust This Key' }).click();
    await status().locator('.codicon-pass').waitFor({ timeout: 180_000 });
    assert.match(await status().innerText(), /gpupv-guest@127\.0\.0\.1/);
    await page.locator('.part.panel .terminal-wrapper').first().waitFor();
    await page.mouse.move(1200, 200);
    await workbench!.screenshot('deploy-and-test-passed');
  });

  it('a driver Windows refuses (Code 52) turns the item red and puts the cause on the INF line in Problems', async () => {
    const page = workbench!.page;
    prepareGuest(guest!, { problemCodeAfterInstall: 52 });
    await status().click();
    await status().locator('.codicon-error').waitFor({ timeout: 180_000 });
    const problems = await workbench!.problems('pvsample.inf');
    await problems.getByText('Code 52', { exact: false }).first().waitFor();
    await problems.getByText('pvsample.inf', { exact: false }).first().waitFor();
    await page.mouse.move(1200, 200);
    await workbench!.screenshot('deploy-code-52-problems');
    prepareGuest(guest!);
  });
});
