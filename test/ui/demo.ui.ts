import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { compiledTests } from '../harness/paths';
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

  after(async () => {
    await workbench?.close();
    if (demo.exitCode === null) demo.kill('SIGKILL');
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

  it('stops cleanly on Ctrl+C', async () => {
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
    demo.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.match(output, /Stopped\./);
  });
});
