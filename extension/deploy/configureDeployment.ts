import * as vscode from 'vscode';
import { Commands } from '../common/contributions';
import type { Logger } from '../common/logger';
import { CONFIG_FILE_NAME } from '../protocol/config/protocolConfigParser';
import { mergeDriverSection } from './init/mergeDriverSection';
import { proposeDriverSection } from './init/proposeDriverSection';

// GPU-PV: Configure Driver Deployment, the editor's `gpupv driver init`: the workspace is read
// for solutions, driver projects, INFs and build files, a driver section is proposed with
// every guess explained in the log, the user picks the target (a VM of the Virtual Machines
// view or an SSH machine), and gpupv.json gets the section as one undoable edit.

export interface KnownVm {
  readonly id: string;
  readonly name: string;
  readonly state: string;
  readonly host: string | undefined;
}

export async function configureDeployment(log: Logger, knownVms: () => readonly KnownVm[]): Promise<void> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const folder = folders.length === 1 ? folders[0] : await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Configure Deploy and Test for which folder?' });
  if (!folder) return;
  const proposal = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Reading ${folder.name} for driver projects and INFs…` }, () => proposeDriverSection(folder.uri.fsPath));
  for (const problem of proposal.problems) log.warn(`Configure Driver Deployment: ${problem.file}${problem.line > 0 ? `:${problem.line}` : ''}: ${problem.message}`);
  for (const guess of proposal.explanations) log.info(`Configure Driver Deployment: ${guess.property}: ${guess.message} (${guess.confidence}; from ${guess.evidence.join(', ') || 'defaults'})`);
  if (!proposal.driver) {
    const found = proposal.found;
    void vscode.window.showWarningMessage(
      `No driver package was found in ${folder.name} (${found.solutions.length} solutions, ${found.projects.length} projects, ${found.infs.length} INFs looked at). Write the "driver" section of gpupv.json by hand; its schema completes it.`,
    );
    return;
  }
  const target = await pickTarget(knownVms());
  if (target === undefined) return;
  const configUri = vscode.Uri.joinPath(folder.uri, CONFIG_FILE_NAME);
  const existing = await vscode.workspace.fs.readFile(configUri).then(
    (bytes) => new TextDecoder().decode(bytes),
    () => undefined,
  );
  const section = { ...proposal.driver, ...(target ? { target } : {}) };
  let merged = mergeDriverSection(existing, section, { fileName: configUri.fsPath });
  if (!merged.ok && existing !== undefined) {
    const replace = 'Replace It';
    if ((await vscode.window.showWarningMessage(`${CONFIG_FILE_NAME} of ${folder.name} already has a "driver" section.`, { modal: true, detail: merged.message }, replace)) !== replace) return;
    merged = mergeDriverSection(existing, section, { fileName: configUri.fsPath, force: true });
  }
  if (!merged.ok) {
    void vscode.window.showErrorMessage(merged.message);
    return;
  }
  const edit = new vscode.WorkspaceEdit();
  if (existing === undefined) edit.createFile(configUri, { contents: new TextEncoder().encode(merged.text) });
  else {
    const document = await vscode.workspace.openTextDocument(configUri);
    edit.replace(configUri, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), merged.text);
  }
  if (!(await vscode.workspace.applyEdit(edit))) {
    void vscode.window.showErrorMessage(`${configUri.fsPath} could not be changed.`);
    return;
  }
  await vscode.window.showTextDocument(configUri);
  const packages = proposal.driver.packages.map((p) => p.name).join(', ');
  const choice = await vscode.window.showInformationMessage(`Deploy and Test is configured for ${packages}: check the proposed section (each guess is explained in the GPU-PV log), save, and press the key.`, 'Show Log');
  if (choice) await vscode.commands.executeCommand(Commands.showLog);
}

/** A VM id or an SSH target for the section; null: decide later; undefined: cancelled. */
async function pickTarget(vms: readonly KnownVm[]): Promise<Record<string, string> | null | undefined> {
  type Item = vscode.QuickPickItem & { target: Record<string, string> | null | 'ssh' };
  const items: Item[] = [
    ...vms.map((vm): Item => ({ label: `$(vm) ${vm.name}`, description: `${vm.state}${vm.host ? ` on ${vm.host}` : ''}`, detail: vm.id, target: { vm: vm.id, ...(vm.host ? { host: vm.host } : {}) } })),
    { label: '$(remote) A machine over SSH…', description: 'user@host of a guest with OpenSSH server', target: 'ssh' },
    { label: '$(circle-slash) Choose later', description: 'gpupv.json gets no target yet', target: null },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'Deploy to which guest?', placeHolder: vms.length ? 'A VM of the Virtual Machines view (reached over PowerShell Direct), or an SSH machine' : 'No VM is listed in the Virtual Machines view: an SSH machine, or later', ignoreFocusOut: true });
  if (!picked) return undefined;
  if (picked.target !== 'ssh') return picked.target;
  const ssh = await vscode.window.showInputBox({
    title: 'The guest over SSH',
    prompt: 'user@host or user@host:port of the guest\'s OpenSSH server',
    ignoreFocusOut: true,
    validateInput: (value) => (/^[^@\s]+@[^@\s]+$/.test(value.trim()) ? undefined : 'Enter user@host or user@host:port.'),
  });
  return ssh === undefined ? undefined : { ssh: ssh.trim() };
}
