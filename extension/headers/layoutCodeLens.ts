import * as vscode from 'vscode';
import { Commands } from '../common/contributions';
import type { HeaderAnalysisService } from './headerAnalysisService';
import { compareRecord, comparisonSummary, recordsDeclaredIn, sizeSummary } from './headerResults';
import type { StructLayoutTarget } from './showStructLayout';

// Above every struct and union of an analysed header: its size and alignment on the
// configured ABI and, when one is compared, whether the other ABI lays it out the same.
// Both open the Struct Layout table for the record.

export class LayoutCodeLensProvider implements vscode.CodeLensProvider {
  readonly onDidChangeCodeLenses: vscode.Event<void>;

  constructor(private readonly service: HeaderAnalysisService) {
    this.onDidChangeCodeLenses = service.onDidChange;
  }

  async provideCodeLenses(document: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    await this.service.ready();
    if (token.isCancellationRequested) return [];
    const lenses: vscode.CodeLens[] = [];
    const seen = new Set<string>();
    for (const { result, file } of this.service.resultsFor(document.uri.fsPath)) {
      for (const record of recordsDeclaredIn(result, file)) {
        const key = `${record.name}:${record.location.line}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const line = Math.min(record.location.line - 1, document.lineCount - 1);
        const range = new vscode.Range(line, 0, line, 0);
        const target: StructLayoutTarget = { header: result.header, record: record.name };
        const open = (title: string, tooltip: string): vscode.CodeLens =>
          new vscode.CodeLens(range, { title, tooltip, command: Commands.showStructLayout, arguments: [target] });
        lenses.push(open(sizeSummary(record), `${record.kind} ${record.name} on ${result.analysis.abi}: click for its field offsets, holes and padding`));
        const comparison = compareRecord(result, record);
        if (!comparison) continue;
        const summary = comparisonSummary(comparison);
        lenses.push(
          comparison.kind === 'differs'
            ? open(`$(warning) ${summary}`, comparison.difference.reason)
            : open(summary, comparison.kind === 'same' ? `Same size, alignment and field offsets on ${comparison.abi}` : `${record.name} is not declared when compiling for ${comparison.abi}`),
        );
      }
    }
    return lenses;
  }
}
