import * as vscode from 'vscode';
import { createNonce, renderWebviewPage } from './webviewPage';

/**
 * A webview panel serving one of our bundled webviews (`dist/webviews/<bundle>.js` and
 * `.css`, codicons): scripts on, resources from the bundle folder only, the strict CSP page.
 */
export function createBundledWebviewPanel(extensionUri: vscode.Uri, viewType: string, title: string, bundle: string): vscode.WebviewPanel {
  const panel = vscode.window.createWebviewPanel(viewType, title, vscode.ViewColumn.Active, bundledWebviewOptions(extensionUri));
  serveBundledWebview(panel, extensionUri, title, bundle);
  return panel;
}

export function bundledWebviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webviews')] };
}

/** Puts a bundled webview into a panel VS Code made (a custom editor, a restored panel) or we made. */
export function serveBundledWebview(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, title: string, bundle: string): void {
  const bundles = vscode.Uri.joinPath(extensionUri, 'dist', 'webviews');
  panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'gpupv.svg');
  const webview = panel.webview;
  webview.options = bundledWebviewOptions(extensionUri);
  const uri = (...path: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(bundles, ...path)).toString();
  webview.html = renderWebviewPage({
    title,
    cspSource: webview.cspSource,
    nonce: createNonce(),
    scriptUri: uri(`${bundle}.js`),
    codiconsUri: uri('codicons', 'codicon.css'),
    styleUris: [uri(`${bundle}.css`)],
  });
}
