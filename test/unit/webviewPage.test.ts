import * as assert from 'node:assert/strict';
import { contentSecurityPolicy, createNonce, escapeHtml, renderWebviewPage } from '../../extension/webview/webviewPage';

const CSP_SOURCE = 'https://file+.vscode-resource.vscode-cdn.net';

describe('webview page', () => {
  const nonce = createNonce();
  const html = renderWebviewPage({
    title: 'Ring <Trace> "Viewer"',
    cspSource: CSP_SOURCE,
    nonce,
    scriptUri: `${CSP_SOURCE}/dist/webviews/traceViewer.js`,
    codiconsUri: `${CSP_SOURCE}/dist/webviews/codicons/codicon.css`,
    styleUris: [`${CSP_SOURCE}/x.css?a=1&b=2`],
  });

  it('creates a fresh, unguessable nonce each time', () => {
    const nonces = new Set(Array.from({ length: 100 }, createNonce));
    assert.equal(nonces.size, 100);
    for (const n of nonces) assert.match(n, /^[A-Za-z0-9_-]{24}$/);
  });

  it('denies everything by default and allows scripts only with the nonce', () => {
    const csp = contentSecurityPolicy(CSP_SOURCE, nonce);
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'$`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">`));
  });

  it('loads exactly one script, carrying the nonce, and the stylesheets in order', () => {
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map(([tag]) => tag);
    assert.deepEqual(scripts, [`<script nonce="${nonce}" src="${CSP_SOURCE}/dist/webviews/traceViewer.js">`]);
    const styles = [...html.matchAll(/<link rel="stylesheet"(?: id="([^"]+)")? href="([^"]+)">/g)].map(([, id, href]) => [id, href]);
    assert.deepEqual(styles, [
      ['vscode-codicon-stylesheet', `${CSP_SOURCE}/dist/webviews/codicons/codicon.css`],
      [undefined, `${CSP_SOURCE}/x.css?a=1&#38;b=2`],
    ]);
  });

  it('escapes the title so it cannot become markup', () => {
    assert.ok(html.includes('<title>Ring &#60;Trace&#62; &#34;Viewer&#34;</title>'));
  });

  it('refuses a nonce that is short or could break out of the attribute', () => {
    for (const bad of ['short', 'a'.repeat(20) + '"><script>', '']) {
      assert.throws(() => renderWebviewPage({ title: '', cspSource: CSP_SOURCE, nonce: bad, scriptUri: '', codiconsUri: '', styleUris: [] }));
    }
  });
});
