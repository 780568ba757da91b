import * as vscode from 'vscode';
import { Views } from '../common/contributions';
import { EmptyTreeDataProvider } from '../common/emptyTreeDataProvider';

/**
 * The "Ring Traces" view. Captures, snapshots and live rings are listed here once the
 * protocol engine can decode them; until then its welcome content explains the view.
 */
export function registerRingTracesView(): vscode.Disposable {
  return vscode.window.createTreeView(Views.ringTraces, {
    treeDataProvider: new EmptyTreeDataProvider(),
  });
}
