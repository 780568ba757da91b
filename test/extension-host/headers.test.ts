import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { Commands, LOG_CHANNEL_NAME, WebviewTypes } from '../../extension/common/contributions';

// The protocol header in a real editor, on the demo workspace: gpupv.json lists
// include/pvgpu_protocol.h for msvc-x64 compared with sysv-x86_64. The demo header is
// identical on both ABIs, so a second header with a deliberate divergence is written
// into the workspace for part of the suite, and gpupv.json is restored afterwards.

const DIVERGENT_HEADER = [
  '#include <stdint.h>',
  '',
  'typedef struct DivergentCmd {',
  '    uint32_t type;',
  '    long     value;', // 4 bytes on Windows, 8 on Linux
  '    uint32_t tail;',
  '} DivergentCmd;',
  '',
  '_Static_assert(sizeof(DivergentCmd) == 12, "DivergentCmd is 12 bytes on the wire");',
  '',
].join('\n');

describe('Protocol headers in the editor', function () {
  this.timeout(60_000);
  const folder = vscode.workspace.workspaceFolders![0]!.uri;
  const configUri = vscode.Uri.joinPath(folder, 'gpupv.json');
  const demoHeader = vscode.Uri.joinPath(folder, 'include', 'pvgpu_protocol.h');
  const divergentHeader = vscode.Uri.joinPath(folder, 'include', 'divergent_test.h');
  let originalConfig: Uint8Array;

  before(async () => {
    originalConfig = await vscode.workspace.fs.readFile(configUri);
  });

  after(async () => {
    // The UI tier runs on this workspace next: leave it as the demo ships.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.writeFile(configUri, originalConfig);
    await vscode.workspace.fs.delete(divergentHeader).then(undefined, () => undefined);
    await eventually(() => ourDiagnostics(divergentHeader).length === 0 && ourDiagnostics(configUri).length === 0, 'the test problems to clear');
  });

  it('puts the size and the host-ABI comparison over each struct of the demo header', async () => {
    const document = await vscode.workspace.openTextDocument(demoHeader);
    await vscode.window.showTextDocument(document);
    const line = lineOf(document, 'typedef struct PvgpuControlRegion {');
    const titles = await eventually(
      async () => (await codeLenses(demoHeader)).filter((l) => l.range.start.line === line).map((l) => l.command?.title ?? ''),
      'the CodeLenses over PvgpuControlRegion',
      (found) => found.length > 0,
    );
    assert.deepEqual(titles, ['4096 bytes · align 8', 'same on sysv-x86_64']);
    const all = await codeLenses(demoHeader);
    assert.ok(all.filter((l) => l.command?.title.includes('bytes · align')).length >= 50, 'a lens over every struct');
    const command = all.find((l) => l.range.start.line === line)?.command;
    assert.equal(command?.command, Commands.showStructLayout);
  });

  it('shows a field\u2019s offset and size on both ABIs when hovering its name', async () => {
    const document = await vscode.workspace.openTextDocument(demoHeader);
    const position = positionOf(document, 'uint64_t producer_ptr;', 'uint64_t '.length + 2);
    const text = await eventually(() => hoverText(demoHeader, position), 'a hover on producer_ptr', (t) => t.includes('producer_ptr'));
    assert.match(text, /`uint64_t producer_ptr` in \*\*PvgpuControlRegion\*\*/);
    assert.match(text, /\| msvc-x64 \| 32 · 0x20 \| 8 \|/);
    assert.match(text, /\| sysv-x86_64 \| 32 · 0x20 \| 8 \|/);
    // A member of the tagless struct inside the record, at its offset in the whole record.
    const nested = await hoverText(demoHeader, positionOf(document, 'uint32_t refresh_rate_mhz;', 'uint32_t '.length));
    assert.match(nested, /`uint32_t display\.refresh_rate_mhz` in \*\*PvgpuControlRegion\*\*/);
    assert.match(nested, /\| msvc-x64 \| 312 · 0x138 \| 4 \|/);
  });

  it('logs each analysis with the header, the ABI and how long it took', async () => {
    await vscode.commands.executeCommand(Commands.showLog);
    const analysed = /Analysed include\/pvgpu_protocol\.h for (msvc-x64|sysv-x86_64) in \d+ ms: \d+ records/g;
    const logged = () =>
      vscode.workspace.textDocuments
        .filter((d) => d.uri.scheme === 'output' && d.uri.path.includes(LOG_CHANNEL_NAME))
        .flatMap((d) => [...d.getText().matchAll(analysed)].map((m) => m[1]));
    const abis = await eventually(logged, 'the analysis lines in the GPU-PV log', (found) => new Set(found).size === 2);
    assert.deepEqual([...new Set(abis)].sort(), ['msvc-x64', 'sysv-x86_64']);
  });

  it('reports where the host ABI lays a struct out differently, and a static assertion failing there only', async () => {
    await vscode.workspace.fs.writeFile(divergentHeader, new TextEncoder().encode(DIVERGENT_HEADER));
    await writeConfig({ headers: ['include/pvgpu_protocol.h', 'include/divergent_test.h'], abi: 'msvc-x64', compareAbi: 'sysv-x86_64' });
    const problems = await eventually(() => ourDiagnostics(divergentHeader), 'problems in divergent_test.h', (d) => d.length >= 2);
    const assertion = problems.find((d) => d.severity === vscode.DiagnosticSeverity.Error);
    assert.ok(assertion, listed(problems));
    assert.equal(assertion.message, 'static assertion fails on sysv-x86_64 only (it holds on msvc-x64): DivergentCmd is 12 bytes on the wire');
    assert.equal(assertion.range.start.line, 8);
    const divergence = problems.find((d) => d.severity === vscode.DiagnosticSeverity.Warning);
    assert.ok(divergence, listed(problems));
    assert.match(divergence.message, /^DivergentCmd is laid out differently on msvc-x64 and sysv-x86_64 \(12 bytes on msvc-x64, 24 on sysv-x86_64\): first difference at `value`/);
    assert.match(divergence.message, /long is 4 bytes on Windows, 8 on Linux/);
    assert.equal(divergence.range.start.line, 2);

    // CodeLenses are asked of an open document.
    await vscode.workspace.openTextDocument(divergentHeader);
    const titles = (await codeLenses(divergentHeader)).map((l) => l.command?.title);
    assert.deepEqual(titles, ['12 bytes · align 4', '$(warning) differs on sysv-x86_64 at `value`']);
  });

  it('analyses again when a header is saved', async () => {
    const document = await vscode.workspace.openTextDocument(divergentHeader);
    await vscode.window.showTextDocument(document);
    const edit = new vscode.WorkspaceEdit();
    const line = lineOf(document, '    long     value;');
    edit.replace(divergentHeader, document.lineAt(line).range, '    uint32_t value;');
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await document.save());
    await eventually(() => ourDiagnostics(divergentHeader), 'the problems to go once the header is fixed', (d) => d.length === 0);
    const titles = (await codeLenses(divergentHeader)).map((l) => l.command?.title);
    assert.deepEqual(titles, ['12 bytes · align 4', 'same on sysv-x86_64']);
  });

  it('shows a mistake in gpupv.json at the property, and keeps analysing what it can', async () => {
    const text = '{\n  "protocol": {\n    "headers": ["include/pvgpu_protocol.h", "include/missing.h"],\n    "abi": "msvc-x86"\n  }\n}\n';
    await vscode.workspace.fs.writeFile(configUri, new TextEncoder().encode(text));
    const problems = await eventually(() => ourDiagnostics(configUri), 'problems in gpupv.json', (d) => d.length >= 2);
    const abi = problems.find((d) => d.message.includes('"protocol.abi"'));
    assert.ok(abi, listed(problems));
    assert.equal(abi.severity, vscode.DiagnosticSeverity.Error);
    assert.deepEqual([abi.range.start.line, abi.range.start.character, abi.range.end.character], [3, 11, 21]);
    const missing = problems.find((d) => d.message.includes('include/missing.h does not exist'));
    assert.ok(missing, listed(problems));
    assert.equal(missing.range.start.line, 2);
    // VS Code's JSON support validates the file shown in an editor against the contributed schema too.
    const document = await vscode.workspace.openTextDocument(configUri);
    await vscode.window.showTextDocument(document);
    const schemaProblem = await eventually(
      () => vscode.languages.getDiagnostics(configUri).find((d) => d.source !== 'GPU-PV' && d.range.start.line === 3),
      'the JSON schema to flag the ABI',
      (d) => d !== undefined,
    );
    assert.match(schemaProblem!.message, /msvc-x64/);
    // Opened as JSON with comments, as the reader accepts comments and trailing commas.
    assert.equal(document.languageId, 'jsonc');
    // The header that does exist is still analysed, for the default ABI.
    const lenses = await codeLenses(demoHeader);
    assert.ok(lenses.some((l) => l.command?.title === '4096 bytes · align 8'));
    assert.ok(!lenses.some((l) => l.command?.title.includes('sysv-x86_64')), 'nothing is compared any more');
  });

  it('marks each drift of the Rust mirror gpupv.json names on its Rust line, and drops one as soon as it is fixed in the editor', async () => {
    await vscode.workspace.fs.writeFile(configUri, originalConfig);
    const mirror = vscode.Uri.joinPath(folder, 'host', 'src', 'protocol.rs');
    const mirrorDiagnostics = () => vscode.languages.getDiagnostics(mirror).filter((d) => d.source === 'GPU-PV mirror');
    const document = await vscode.workspace.openTextDocument(mirror);
    await vscode.window.showTextDocument(document);
    const drifts = await eventually(() => mirrorDiagnostics(), 'the mirror\u2019s five drifts', (found) => found.length === 5);
    for (const drift of drifts) {
      assert.equal(drift.severity, vscode.DiagnosticSeverity.Error, drift.message);
      assert.ok(drift.relatedInformation?.[0]?.location.uri.path.endsWith('/include/pvgpu_protocol.h'), `${drift.message} does not point at the header`);
    }
    const constant = drifts.find((d) => d.message.startsWith('CMD_WAIT_FENCE is 773'));
    assert.equal(constant?.range.start.line, lineOf(document, 'pub const CMD_WAIT_FENCE'));
    assert.ok(drifts.some((d) => d.range.start.line === lineOf(document, '    pub fence_value: u32,') && d.message.includes('`uint64_t` (8 bytes)')));
    // Fixed in the editor, not saved: the check reads the editor's text.
    const edit = new vscode.WorkspaceEdit();
    const at = document.getText().indexOf('CMD_WAIT_FENCE: u32 = 0x305');
    edit.replace(mirror, new vscode.Range(document.positionAt(at), document.positionAt(at + 'CMD_WAIT_FENCE: u32 = 0x305'.length)), 'CMD_WAIT_FENCE: u32 = 0x304');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const fixed = await eventually(() => mirrorDiagnostics(), 'the fixed constant to drop out', (found) => found.length === 4);
    assert.ok(!fixed.some((d) => d.message.startsWith('CMD_WAIT_FENCE')));
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await eventually(() => mirrorDiagnostics(), 'the file\u2019s own five drifts again', (found) => found.length === 5);
  });

  it('completes a ring command in a C file from the header: the payload struct filled, opcode and size set', async () => {
    await vscode.workspace.fs.writeFile(configUri, originalConfig);
    const source = vscode.Uri.joinPath(folder, 'driver', 'completion_test.c');
    await vscode.workspace.fs.writeFile(source, new TextEncoder().encode('#include "../include/pvgpu_protocol.h"\nvoid submit(void) {\n    DRAW_IND\n}\n'));
    try {
      const document = await vscode.workspace.openTextDocument(source);
      const items = await eventually(
        async () => (await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', source, new vscode.Position(2, 12))).items,
        'the ring-command completion',
        (found) => found.some((i) => typeof i.label !== 'string' && i.label.label === 'PVGPU_CMD_DRAW_INDEXED'),
      );
      const item = items.find((i) => typeof i.label !== 'string' && i.label.label === 'PVGPU_CMD_DRAW_INDEXED')!;
      assert.ok(item.insertText instanceof vscode.SnippetString);
      assert.match(item.insertText.value, /^PvgpuCmdDrawIndexed \$\{1:cmd\} = \{\n {4}\.hdr = \{\n {8}\.type = PVGPU_CMD_DRAW_INDEXED,\n {8}\.size = sizeof\(PvgpuCmdDrawIndexed\),/);
      assert.equal(item.detail, 'PvgpuCmdDrawIndexed, 28 bytes, opcode 0x202');
      // The word typed so far is what the command replaces.
      assert.ok(item.range instanceof vscode.Range && item.range.start.isEqual(new vscode.Position(2, 4)));
      assert.equal(document.lineAt(2).text.trim(), 'DRAW_IND');
    } finally {
      await vscode.workspace.fs.delete(source);
    }
  });

  it('opens one Struct Layout table for the record a CodeLens names', async () => {
    await vscode.workspace.fs.writeFile(configUri, originalConfig);
    await eventually(() => ourDiagnostics(configUri), 'gpupv.json to be fine again', (d) => d.length === 0);
    const lens = await eventually(
      async () => (await codeLenses(demoHeader)).find((l) => l.command?.title === 'same on sysv-x86_64'),
      'the comparison lens',
      (l) => l !== undefined,
    );
    const { command, arguments: args = [] } = lens!.command!;
    await vscode.commands.executeCommand(command, ...(args as unknown[]));
    await vscode.commands.executeCommand(command, ...(args as unknown[]));
    const panels = () =>
      vscode.window.tabGroups.all
        .flatMap((group) => group.tabs)
        .filter((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.includes(WebviewTypes.structLayout));
    await eventually(() => panels().length, 'the Struct Layout tab', (n) => n > 0);
    assert.equal(panels().length, 1);
    assert.equal(panels()[0]!.label, 'Layout: PvgpuControlRegion');
  });
});

function ourDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'GPU-PV');
}

async function writeConfig(protocol: Record<string, unknown>): Promise<void> {
  const uri = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0]!.uri, 'gpupv.json');
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(JSON.stringify({ protocol }, null, 2)));
}

async function codeLenses(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  return (await vscode.commands.executeCommand<vscode.CodeLens[] | undefined>('vscode.executeCodeLensProvider', uri)) ?? [];
}

async function hoverText(uri: vscode.Uri, position: vscode.Position): Promise<string> {
  const hovers = (await vscode.commands.executeCommand<vscode.Hover[] | undefined>('vscode.executeHoverProvider', uri, position)) ?? [];
  // Our hovers are MarkdownStrings; the deprecated MarkedString shapes carry `value` too.
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value))
    .join('\n');
}

function lineOf(document: vscode.TextDocument, text: string): number {
  const offset = document.getText().indexOf(text);
  assert.ok(offset >= 0, `"${text}" is not in ${document.uri.path}`);
  return document.positionAt(offset).line;
}

function positionOf(document: vscode.TextDocument, text: string, delta: number): vscode.Position {
  const offset = document.getText().indexOf(text);
  assert.ok(offset >= 0, `"${text}" is not in ${document.uri.path}`);
  return document.positionAt(offset + delta);
}

function listed(diagnostics: readonly vscode.Diagnostic[]): string {
  return diagnostics.map((d) => `${d.range.start.line + 1}: ${d.message}`).join('\n');
}

/** Polls `probe` until `done` accepts its value; the analysis runs in the background. */
async function eventually<T>(probe: () => T | Promise<T>, what: string, done: (value: T) => boolean = Boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what} (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
