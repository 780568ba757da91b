import { randomBytes } from 'node:crypto';

// Builds the HTML shell every webview of the extension is served in. Pure: no `vscode`
// import, so the security-relevant part (the CSP) is unit-tested in plain Node.

export interface WebviewPageOptions {
  /** Shown as the document title; escaped. */
  readonly title: string;
  /** `webview.cspSource`: the only origin scripts, styles, fonts and images may come from. */
  readonly cspSource: string;
  /** Fresh per page load; only `<script>` tags carrying it run. */
  readonly nonce: string;
  /** `webview.asWebviewUri(...)` of the bundled script, as a string. */
  readonly scriptUri: string;
  /**
   * The codicon stylesheet: linked first, with the id `@vscode-elements/elements` looks for
   * when its icons copy the font into their shadow roots.
   */
  readonly codiconsUri: string;
  /** The page's own stylesheets, in cascade order. */
  readonly styleUris: readonly string[];
}

export function createNonce(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * `default-src 'none'` denies everything not named after it: no remote loads, no inline
 * script, no eval, no inline style attributes parsed from data.
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

export function renderWebviewPage(options: WebviewPageOptions): string {
  if (!/^[A-Za-z0-9_-]{16,}$/.test(options.nonce)) {
    throw new Error('webview nonce must be at least 16 URL-safe characters');
  }
  const styles = [`<link rel="stylesheet" id="vscode-codicon-stylesheet" href="${escapeHtml(options.codiconsUri)}">`, ...options.styleUris.map((uri) => `<link rel="stylesheet" href="${escapeHtml(uri)}">`)].join('\n    ');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(options.cspSource, options.nonce))}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    ${styles}
    <title>${escapeHtml(options.title)}</title>
  </head>
  <body>
    <main></main>
    <script nonce="${options.nonce}" src="${escapeHtml(options.scriptUri)}"></script>
  </body>
</html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
