import * as assert from 'node:assert/strict';
import { Workbench } from './workbench';

describe('UI: the Ring Trace Viewer webview', () => {
  let workbench: Workbench;

  before(async () => {
    workbench = await Workbench.open();
    await workbench.runCommand('GPU-PV: Open Ring Trace Viewer');
  });

  after(() => workbench.close());

  it('opens from the command palette in an editor tab and shows its empty state', async () => {
    await workbench.page.locator('.tabs-container .tab', { hasText: 'Ring Trace Viewer' }).waitFor();
    const view = workbench.webview();
    await view.getByRole('heading', { name: 'No trace open' }).waitFor();
    await view.getByText('decoded from your driver\u2019s own protocol header', { exact: false }).waitFor();
    await workbench.screenshot('trace-viewer');
  });

  it('is served under a strict content security policy with a nonce', async () => {
    const csp = await workbench.webview().locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    assert.ok(csp, 'no CSP meta tag');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-[A-Za-z0-9_-]{16,}'/);
    // Every source is the webview's own resource origin, inline images, or the nonce:
    // nothing remote, nothing inline, no eval.
    const allowed = /^('none'|'self'|data:|https:\/\/\*\.vscode-cdn\.net|'nonce-[A-Za-z0-9_-]+')$/;
    for (const directive of csp.split(';')) {
      const [name, ...sources] = directive.trim().split(/\s+/);
      for (const source of sources) assert.match(source, allowed, `${name!} allows ${source}`);
    }
  });

  it('draws its icon with the bundled codicon font and theme colours', async () => {
    const icon = workbench.webview().locator('.empty-icon .codicon-pulse');
    const style = await icon.evaluate((el) => {
      const computed = getComputedStyle(el, '::before');
      return { font: computed.fontFamily, glyph: computed.content };
    });
    assert.match(style.font, /codicon/);
    assert.notEqual(style.glyph, 'none', 'the codicon glyph did not load');
    const loaded = await icon.evaluate(() => document.fonts.check('16px codicon'));
    assert.equal(loaded, true, 'the codicon font face is not loaded');
  });

  it('runs the Show Log command from its button', async () => {
    await workbench.webview().getByRole('button', { name: 'Show Log' }).click();
    await workbench.waitForLogLine(/GPU-PV\sDev\sKit\s\d+\.\d+\.\d+\sactivated/);
  });
});
