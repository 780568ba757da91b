import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../common/contributions';
import type { Logger } from '../common/logger';
import { ABI_NAMES, DEFAULT_ABI, isAbiName } from '../protocol/abi';
import { CONFIG_FILE_NAME } from '../protocol/config/protocolConfigParser';
import { analyzeHeader } from '../protocol/headerAnalysis';
import { readHeaderFile } from '../protocol/localFiles';
import { inferProfile, type Explanation } from '../protocol/profile/profileInference';
import { profileProposal } from '../protocol/profile/profileProposal';

// A trace without a decoding profile: the header is chosen, `gpupv profile init`'s guesses
// are shown one by one for the user to keep or drop, and gpupv.json is written (or, when one
// exists, the proposal opens beside it to merge by hand: a generated edit must not eat the
// comments of a file someone wrote).

/** The sections a guess belongs to: dropping one guess of a section drops the section. */
const SECTIONS = ['command', 'fence', 'ring'] as const;

export async function createProfile(log: Logger, near: vscode.Uri | undefined): Promise<boolean> {
  const folder = (near && vscode.workspace.getWorkspaceFolder(near)) ?? vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showWarningMessage('Open the folder of your driver\u2019s sources first: the profile is written there as gpupv.json.');
    return false;
  }
  const headers = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, '**/*.h'), '**/node_modules/**', 500);
  if (headers.length === 0) {
    void vscode.window.showWarningMessage(`${folder.name} has no C header (.h) to read a protocol from.`);
    return false;
  }
  const likely = (uri: vscode.Uri) => (/protocol|proto|cmd|command|ring|ipc|shared/i.test(uri.path) ? 0 : 1);
  const header = await vscode.window.showQuickPick(
    headers.sort((a, b) => likely(a) - likely(b) || a.path.localeCompare(b.path)).map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { title: 'Create a decoding profile (1/3): the protocol header', placeHolder: 'The header that declares the command structs and opcodes' },
  );
  if (!header) return false;
  const abiPick = await vscode.window.showQuickPick(
    ABI_NAMES.map((abi) => ({ label: abi, description: abi === DEFAULT_ABI ? 'the guest driver\u2019s compiler on Windows x64' : '' })),
    { title: 'Create a decoding profile (2/3): the ABI the guest driver is built for' },
  );
  if (!abiPick || !isAbiName(abiPick.label)) return false;
  const analysis = await analyzeHeader(header.uri.fsPath, { abi: abiPick.label, readFile: readHeaderFile });
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    log.error(errors.map((d) => `${d.location.file}:${d.location.line}:${d.location.column}: ${d.message}`).join('\n'));
    void vscode.window.showErrorMessage(`${header.label} has errors (see the log): fix them, or give include folders and defines in gpupv.json by hand.`, 'Show Log').then((choice) => choice && vscode.commands.executeCommand(Commands.showLog));
    return false;
  }
  const inferred = inferProfile(analysis);
  const picked = await vscode.window.showQuickPick(
    inferred.explanations.map((e) => ({ label: e.property, description: e.confidence, detail: e.message, picked: !e.message.startsWith('not inferred'), explanation: e })),
    { title: 'Create a decoding profile (3/3): keep the guesses that are right', canPickMany: true, matchOnDetail: true, placeHolder: 'Untick a wrong guess: its section is left out for you to write' },
  );
  if (!picked) return false;
  const kept = new Set(picked.map((p) => p.explanation));
  const dropped = SECTIONS.filter((section) => inferred.explanations.some((e) => sectionOf(e) === section && !kept.has(e)));
  const protocol = Object.fromEntries(Object.entries(inferred.protocol).filter(([section]) => !dropped.includes(section as (typeof SECTIONS)[number])));
  if (!('command' in protocol)) {
    void vscode.window.showWarningMessage('Without the command section nothing can be decoded: write protocol.command in gpupv.json by hand (the README shows one).');
  }
  const base = folder.uri.fsPath;
  const text = `${JSON.stringify(profileProposal({ header: header.uri.fsPath, includeDirs: [dirname(header.uri.fsPath)], defines: {}, abi: abiPick.label, base }, { ...inferred, protocol }), null, 2)}\n`;
  const target = vscode.Uri.file(join(base, CONFIG_FILE_NAME));
  try {
    await vscode.workspace.fs.stat(target);
    const proposal = await vscode.workspace.openTextDocument({ language: 'jsonc', content: text });
    await vscode.window.showTextDocument(proposal, vscode.ViewColumn.Beside);
    void vscode.window.showInformationMessage(`${CONFIG_FILE_NAME} exists already: merge the proposal (beside it) into it by hand.`);
    return false;
  } catch {
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    log.info(`Wrote ${target.fsPath} from ${header.uri.fsPath}${dropped.length ? `, without ${dropped.join(', ')}` : ''}`);
    return true;
  }
}

function sectionOf(explanation: Explanation): string {
  return explanation.property.split('.')[1] ?? '';
}
