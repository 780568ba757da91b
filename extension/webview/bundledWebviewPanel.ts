import * as vscode from 'vscode';
import { createNonce, renderWebviewPage } from './webviewPage';

/**
 * A webview panel serving one of our bundled webviews (`dist/webviews/<bundle>.js` and
 * `.css`, codicons): scripts on, resources from the bundle folder only, the strict CSP page.
 */
export function createBundledWebviewPanel(extensionUri: vscode.Uri, viewType: string, title: string, bundle: string): vscode.WebviewPanel {
  const bundles = vscode.Uri.joinPath(extensionUri, 'dist', 'webviews');
  const panel = vscode.window.createWebviewPanel(viewType, title, vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: [bundles] });
  panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'gpupv.svg');
  const webview = panel.webview;
  const uri = (...path: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(bundles, ...path)).toString();
  webview.html = renderWebviewPage({
    title,
    cspSource: webview.cspSource,
    nonce: createNonce(),
    scriptUri: uri(`${bundle}.js`),
    styleUris: [uri('codicons', 'codicon.css'), uri(`${bundle}.css`)],
  });
  return panel;
}
