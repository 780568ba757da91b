import * as vscode from 'vscode';

/**
 * A tree with no items. A contributed view without any data provider shows "There is no
 * data provider registered", which hides its welcome content; an empty provider lets the
 * `viewsWelcome` text explain why the view is empty.
 */
export class EmptyTreeDataProvider implements vscode.TreeDataProvider<never> {
  getTreeItem(element: never): vscode.TreeItem {
    return element;
  }

  getChildren(): never[] {
    return [];
  }
}
