import { isAbsolute } from 'node:path';
import * as vscode from 'vscode';
import type { SourceLocation } from '../protocol/diagnostics';
import type { HeaderAnalysisService } from './headerAnalysisService';
import { headerProblems } from './headerProblems';
import { positionAt } from '../protocol/config/jsonc';
import type { ProtocolConfigStore } from './protocolConfig';
import type { ConfigProblem } from '../protocol/config/protocolConfigParser';

// The Problems view's "gpupv-headers" collection: gpupv.json's own problems at the
// offending property, and for analysed headers the engine's errors and warnings, failed
// static assertions and ABI differences. Rebuilt whole after every analysis run.

const DIAGNOSTIC_COLLECTION = 'gpupv-headers';
const SOURCE = 'GPU-PV';

export class LayoutDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection(DIAGNOSTIC_COLLECTION);
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly store: ProtocolConfigStore,
    private readonly service: HeaderAnalysisService,
  ) {
    this.subscriptions = [store.onDidChange(() => this.publish()), service.onDidChange(() => this.publish())];
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.collection.dispose();
  }

  private publish(): void {
    const byFile = new Map<string, { uri: vscode.Uri; diagnostics: vscode.Diagnostic[] }>();
    const add = (uri: vscode.Uri, diagnostic: vscode.Diagnostic): void => {
      const entry = byFile.get(uri.toString()) ?? { uri, diagnostics: [] };
      entry.diagnostics.push(diagnostic);
      byFile.set(uri.toString(), entry);
    };
    for (const config of this.store.all) {
      for (const problem of config.problems) add(config.uri, configDiagnostic(config.text, problem));
    }
    for (const { config, problem } of this.service.headerEntryProblems) add(config.uri, configDiagnostic(config.text, problem));
    for (const problem of headerProblems(this.service.all)) {
      // The engine's built-in headers (<stdint.h>) are no file a person can open.
      if (!isAbsolute(problem.location.file)) continue;
      const diagnostic = new vscode.Diagnostic(rangeAt(problem.location), problem.message, severity(problem.severity));
      diagnostic.source = SOURCE;
      add(vscode.Uri.file(problem.location.file), diagnostic);
    }
    this.collection.clear();
    this.collection.set([...byFile.values()].map(({ uri, diagnostics }) => [uri, diagnostics]));
  }
}

function configDiagnostic(text: string, problem: ConfigProblem): vscode.Diagnostic {
  const start = positionAt(text, problem.offset);
  const end = positionAt(text, problem.offset + problem.length);
  const diagnostic = new vscode.Diagnostic(
    new vscode.Range(start.line, start.character, end.line, end.character),
    problem.message,
    severity(problem.severity),
  );
  diagnostic.source = SOURCE;
  return diagnostic;
}

/** An empty range at the spot: the editor underlines the word there. */
function rangeAt(location: SourceLocation): vscode.Range {
  const position = new vscode.Position(Math.max(0, location.line - 1), Math.max(0, location.column - 1));
  return new vscode.Range(position, position);
}

function severity(severity: 'error' | 'warning'): vscode.DiagnosticSeverity {
  return severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
}
