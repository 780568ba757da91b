import * as vscode from 'vscode';
import { Views } from '../common/contributions';
import { EmptyTreeDataProvider } from '../common/emptyTreeDataProvider';

/**
 * The "Virtual Machines" view. It lists nothing until a Hyper-V inventory is read; its
 * welcome content (package.json, keyed on `gpupv.hostPlatform`) says why it is empty.
 */
export function registerVirtualMachinesView(): vscode.Disposable {
  return vscode.window.createTreeView(Views.virtualMachines, {
    treeDataProvider: new EmptyTreeDataProvider(),
    showCollapseAll: true,
  });
}
