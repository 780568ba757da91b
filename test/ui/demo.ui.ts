import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { compiledTests, demoWorkspace } from '../harness/paths';
import { UiEnvironment } from './uiEnvironment';
import { Workbench } from './workbench';

describe('UI: npm run demo', () => {
  let demo: ChildProcess;
  let output = '';
  let workbench: Workbench | undefined;

  before(async () => {
    // The same script `npm run demo` runs after its build, on any free port.
    demo = spawn(process.execPath, [path.join(compiledTests, 'harness', 'demo.js')], {
      // Its state folder goes into the run's scratch folder, removed with it even if the demo is killed.
      env: { ...process.env, GPUPV_DEMO_PORT: '0', TMPDIR: UiEnvironment.read().scratchDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demo.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 60_000;
    while (!/http:\/\/127\.0\.0\.1:\d+\/\S*/.test(output)) {
      if (demo.exitCode !== null || Date.now() > deadline) assert.fail(`the demo printed no URL:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  // What Deploy and Test leaves in the demo workspace (git-ignored), removed unless it was there before.
  const leftBehind = ['out', '.gpupv'].map((name) => path.join(demoWorkspace, name)).filter((folder) => !existsSync(folder));

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await workbench?.screenshot(`failed-demo-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 40)}`);
  });

  after(async () => {
    await workbench?.close();
    if (demo.exitCode === null) demo.kill('SIGKILL');
    for (const folder of leftBehind) rmSync(folder, { recursive: true, force: true });
  });

  it('prints a loopback URL and says why it has no password', () => {
    assert.match(output, /http:\/\/127\.0\.0\.1:\d+\/\?folder=[^\s]*demo/);
    assert.match(output, /127\.0\.0\.1 only, so it asks for no password/);
  });

  it('serves the workbench on the demo workspace with the GPU-PV container', async () => {
    const url = /http:\/\/127\.0\.0\.1:\d+\/\S*/.exec(output)![0];
    workbench = await Workbench.open(url);
    await workbench.openGpuPvSidebar();
    assert.match(await workbench.page.title(), /demo/);
    await workbench.screenshot('demo');
  });

  it('deploys its sample driver to the simulated VM with Deploy and Test, signing in once', async function () {
    this.timeout(180_000);
    const page = workbench!.page;
    const item = page.locator('.statusbar-item[id="gpupv.gpupv-devkit.gpupv.deploy"]');
    await item.filter({ hasText: 'Win11-DriverTest' }).waitFor({ timeout: 60_000 });
    await item.click();
    const input = page.locator('.quick-input-widget input');
    await page.locator('.quick-input-widget', { hasText: 'Sign in to Win11-DriverTest' }).waitFor({ timeout: 60_000 });
    await input.fill('tester');
    await input.press('Enter');
    await page.locator('.quick-input-widget', { hasText: 'Password of tester' }).waitFor();
    await input.fill("P@ss w0rd'!");
    await input.press('Enter');
    await item.locator('.codicon-pass').waitFor({ timeout: 150_000 });
    await page.mouse.move(1200, 200);
    await workbench!.screenshot('demo-deploy-and-test');
  });

  it('stops cleanly on Ctrl+C', async () => {
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
    demo.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.match(output, /Stopped\./);
  });
});
