import * as vscode from 'vscode';
import type { HostInventories } from './hostInventories';
import type { GuestDriverRecords } from './guestDriverRecords';
import { childrenOf, hostNodes } from './model/vmTreeChildren';
import type { VmTreeNode } from './model/vmTreeNodes';
import { present, type PresentationContext, type RowPresentation } from './model/vmTreePresentation';

/** Rows with a warning carry this scheme in their resourceUri, so the decoration provider can badge them. */
const WARNING_SCHEME = 'gpupv-vm-warning';

/**
 * The Virtual Machines tree over HostInventories. Roots are the hosts; when the only host is
 * this computer and it cannot be managed (no PowerShell, no Hyper-V module, not an
 * administrator) the tree is empty and `viewsWelcome` says why and what to do.
 */
export class VmTreeDataProvider implements vscode.TreeDataProvider<VmTreeNode>, vscode.FileDecorationProvider, vscode.Disposable {
  private readonly treeChanged = new vscode.EventEmitter<VmTreeNode | undefined>();
  readonly onDidChangeTreeData = this.treeChanged.event;
  private readonly decorationsChanged = new vscode.EventEmitter<vscode.Uri[] | undefined>();
  readonly onDidChangeFileDecorations = this.decorationsChanged.event;

  private readonly warnings = new Map<string, vscode.FileDecoration>();
  private readonly context: PresentationContext;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly inventories: HostInventories,
    records: GuestDriverRecords,
  ) {
    this.context = {
      guestDriver: (hostKey, vmId) => records.get(hostKey, vmId),
      hostDriver: (hostKey) => inventories.snapshot(hostKey)?.inventory?.hostDriver ?? null,
      gpuLoadHistory: (hostKey, vmId) => inventories.gpuLoadHistory.of(hostKey, vmId),
    };
    this.subscription = inventories.onDidChange(() => {
      this.treeChanged.fire(undefined);
      this.decorationsChanged.fire(undefined);
    });
  }

  getChildren(element?: VmTreeNode): VmTreeNode[] {
    if (element) return childrenOf(element);
    return this.inventories.status() === 'ok' ? hostNodes(this.inventories.all()) : [];
  }

  getTreeItem(element: VmTreeNode): vscode.TreeItem {
    return toTreeItem(this.presentation(element));
  }

  presentation(element: VmTreeNode): RowPresentation {
    const row = present(element, this.context);
    if (row.warning) {
      this.warnings.set(row.id, new vscode.FileDecoration(row.warning.badge, row.warning.tooltip, new vscode.ThemeColor(row.warning.color)));
    } else {
      this.warnings.delete(row.id);
    }
    return row;
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== WARNING_SCHEME) return undefined;
    return this.warnings.get(decodeURIComponent(uri.path.slice(1)));
  }

  dispose(): void {
    this.subscription.dispose();
    this.treeChanged.dispose();
    this.decorationsChanged.dispose();
  }
}

function toTreeItem(row: RowPresentation): vscode.TreeItem {
  const item = new vscode.TreeItem(row.label, collapsibleState(row.collapsible));
  item.id = row.id;
  item.description = row.description;
  item.contextValue = row.contextValue;
  if (row.icon) item.iconPath = new vscode.ThemeIcon(row.icon.id, row.icon.color ? new vscode.ThemeColor(row.icon.color) : undefined);
  if (row.tooltip) {
    // Not trusted and no HTML: the tooltip holds VM names, which could hold anything.
    const tooltip = new vscode.MarkdownString(row.tooltip, true);
    tooltip.isTrusted = false;
    tooltip.supportHtml = false;
    item.tooltip = tooltip;
  }
  // The decoration provider finds a row's warning through this URI; without a warning
  // there is no resourceUri, so VS Code draws no file icon or label from it.
  if (row.warning) item.resourceUri = vscode.Uri.from({ scheme: WARNING_SCHEME, path: `/${encodeURIComponent(row.id)}` });
  return item;
}

function collapsibleState(state: RowPresentation['collapsible']): vscode.TreeItemCollapsibleState {
  switch (state) {
    case 'none':
      return vscode.TreeItemCollapsibleState.None;
    case 'collapsed':
      return vscode.TreeItemCollapsibleState.Collapsed;
    case 'expanded':
      return vscode.TreeItemCollapsibleState.Expanded;
  }
}
