import * as vscode from 'vscode';
import { Commands } from '../common/contributions';
import type { HeaderAnalysisService } from './headerAnalysisService';
import { samePath } from './headerAnalysisService';
import { compareRecord, comparisonSummary, findRecord, sizeSummary } from './headerResults';
import { CONFIG_FILE_NAME } from '../protocol/config/protocolConfigParser';
import { buildStructLayoutTable, type StructLayoutTable } from './structLayoutModel';

// "GPU-PV: Show Struct Layout": with a target (from a CodeLens) the table for that record;
// without one, a pick of every record of every analysed header first.

/** Which record to show: `record` as laid out by the analysis of the configured `header`. */
export interface StructLayoutTarget {
  readonly header: string;
  readonly record: string;
}

/** Command arguments can come from anywhere (a link, another extension): checked, not trusted. */
export function isStructLayoutTarget(value: unknown): value is StructLayoutTarget {
  if (typeof value !== 'object' || value === null) return false;
  const { header, record } = value as { header?: unknown; record?: unknown };
  return typeof header === 'string' && typeof record === 'string';
}

export async function pickStructLayoutTarget(service: HeaderAnalysisService): Promise<StructLayoutTarget | undefined> {
  await service.ready();
  if (service.all.length === 0) {
    const choice = await vscode.window.showInformationMessage(
      `No protocol header is analysed in this workspace. List yours in ${CONFIG_FILE_NAME} at the root of the workspace folder: ` +
        '{ "protocol": { "headers": ["include/protocol.h"], "abi": "msvc-x64", "compareAbi": "sysv-x86_64" } }',
      'Show Log',
    );
    if (choice === 'Show Log') await vscode.commands.executeCommand(Commands.showLog);
    return undefined;
  }
  const active = vscode.window.activeTextEditor?.document.uri.fsPath;
  const items: (vscode.QuickPickItem & { target: StructLayoutTarget; inActiveFile: boolean })[] = [];
  const seen = new Set<string>();
  for (const result of service.all) {
    for (const record of result.analysis.records) {
      const key = `${record.name}|${record.location.file}:${record.location.line}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const comparison = compareRecord(result, record);
      items.push({
        label: record.name,
        description: [sizeSummary(record), ...(comparison ? [comparisonSummary(comparison)] : [])].join(' · '),
        detail: `${vscode.workspace.asRelativePath(record.location.file)}:${record.location.line}`,
        target: { header: result.header, record: record.name },
        inActiveFile: active !== undefined && samePath(record.location.file, active),
      });
    }
  }
  // The records of the header being edited come first; the rest keep the header's order.
  items.sort((a, b) => Number(b.inActiveFile) - Number(a.inActiveFile));
  const picked = await vscode.window.showQuickPick(items, {
    title: 'GPU-PV: Show Struct Layout',
    placeHolder: 'Struct or union to lay out',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  return picked?.target;
}

/** The table for a target from the current results; undefined when the record is gone. */
export function structLayoutTableFor(service: HeaderAnalysisService, target: StructLayoutTarget): StructLayoutTable | undefined {
  const result = service.all.find((r) => r.header === target.header);
  const record = result && findRecord(result.analysis, target.record);
  if (!result || !record) return undefined;
  const compared = result.compare && findRecord(result.compare.analysis, record.name);
  return buildStructLayoutTable(
    { abi: result.analysis.abi, record, engine: result.analysis.layoutEngine },
    result.compare && compared ? { abi: result.compare.analysis.abi, record: compared, engine: result.compare.analysis.layoutEngine } : undefined,
    result.compare?.differences.get(record.name),
    `${vscode.workspace.asRelativePath(record.location.file)}:${record.location.line}`,
  );
}
