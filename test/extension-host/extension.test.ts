import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { Commands, EXTENSION_ID, LOG_CHANNEL_NAME, Views } from '../../extension/common/contributions';
import type { GpuPvApi } from '../../extension/extension';

interface PackageJson {
  contributes: { commands: { command: string }[]; views: Record<string, { id: string }[]> };
}

describe('GPU-PV Dev Kit in a real extension host', () => {
  const extension = vscode.extensions.getExtension<GpuPvApi>(EXTENSION_ID);
  let api: GpuPvApi;

  it('is installed under its published id', () => {
    assert.ok(extension, `extension ${EXTENSION_ID} is not loaded`);
  });

  it('activates because the workspace holds a gpupv.json, and its view container opens', async () => {
    // activationEvents: workspaceContains:**/gpupv.json (the demo workspace has one); a
    // `*` or onStartupFinished event is ruled out by the manifest unit test.
    await waitFor(() => extension?.isActive === true, 'activation by workspaceContains:**/gpupv.json');
    await vscode.commands.executeCommand(`workbench.view.extension.${Views.container}`);
    api = extension!.exports;
    assert.ok(api, 'activate() returned no API');
  });

  it('registers every command it contributes', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed = (extension!.packageJSON as PackageJson).contributes.commands.map((c) => c.command);
    assert.deepEqual(contributed.sort(), Object.values(Commands).sort());
    for (const id of contributed) assert.ok(registered.has(id), `command ${id} is not registered`);
  });

  it('registers both views, which can take focus', async () => {
    const views = (extension!.packageJSON as PackageJson).contributes.views[Views.container]!.map((v) => v.id);
    assert.deepEqual(views, [Views.virtualMachines, Views.ringTraces]);
    for (const id of views) {
      // The focus command exists only for a registered view; it rejects otherwise.
      await vscode.commands.executeCommand(`${id}.focus`);
    }
  });

  it('opens an INF as the inf language it contributes, where its snippet is offered', async () => {
    const folder = vscode.workspace.workspaceFolders![0]!.uri;
    const inf = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, 'driver', 'pvsample.inf'));
    assert.equal(inf.languageId, 'inf');
    const draft = await vscode.workspace.openTextDocument({ language: 'inf', content: 'inf-disp' });
    await vscode.window.showTextDocument(draft);
    const completions = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', draft.uri, new vscode.Position(0, 8));
    const labels = completions.items.map((item) => (typeof item.label === 'string' ? item.label : item.label.label));
    assert.ok(labels.includes('inf-display-driver'), `snippets offered: ${labels.join(', ')}`);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('logs to one LogOutputChannel named GPU-PV', async () => {
    assert.equal(api.log.name, LOG_CHANNEL_NAME);
    assert.equal(typeof api.log.logLevel, 'number', 'a plain OutputChannel has no log level');
    await vscode.commands.executeCommand(Commands.showLog);
    // A shown output channel is backed by a text document of the `output` scheme, filled
    // from the log file asynchronously.
    const activationLine = /GPU-PV Dev Kit \d+\.\d+\.\d+ activated/;
    await waitFor(
      () => outputDocuments().some((d) => activationLine.test(d.getText())),
      `the activation line in the GPU-PV output (documents: ${outputDocuments().map((d) => d.uri.toString()).join(', ')})`,
    );
  });
});

function outputDocuments(): vscode.TextDocument[] {
  return vscode.workspace.textDocuments.filter((d) => d.uri.scheme === 'output' && d.uri.path.includes(LOG_CHANNEL_NAME));
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
