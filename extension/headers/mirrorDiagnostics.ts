import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { ABIS } from '../protocol/abi';
import { positionAt } from '../protocol/config/jsonc';
import type { SourceLocation } from '../protocol/diagnostics';
import type { HeaderAnalysis } from '../protocol/headerAnalysis';
import { diffRustMirror } from '../protocol/rust/mirrorDiff';
import { layOutRust } from '../protocol/rust/rustLayout';
import { readRustSource } from '../protocol/rust/rustSource';
import { samePath, type HeaderAnalysisService } from './headerAnalysisService';
import type { ProtocolConfigStore } from './protocolConfig';

// The Rust mirrors gpupv.json names (`protocol.mirrors`), checked against their header as
// `gpupv layout --diff-rust` checks them: each drift an error on the Rust struct, field or
// constant, with the header's declaration as related information. Checked again when the
// header is analysed again and while the Rust file is edited, from the editor's text.

const DIAGNOSTIC_COLLECTION = 'gpupv-rust-mirrors';
const SOURCE = 'GPU-PV mirror';
const EDIT_PAUSE_MS = 400;

export class RustMirrorDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection(DIAGNOSTIC_COLLECTION);
  private readonly subscriptions: vscode.Disposable[];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped by every check: an older one still reading files publishes nothing. */
  private generation = 0;

  constructor(
    private readonly store: ProtocolConfigStore,
    private readonly service: HeaderAnalysisService,
  ) {
    this.subscriptions = [
      store.onDidChange(() => this.schedule(0)),
      service.onDidChange(() => this.schedule(0)),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (this.isMirror(event.document.uri)) this.schedule(EDIT_PAUSE_MS);
      }),
      vscode.workspace.onDidCloseTextDocument((document) => {
        if (this.isMirror(document.uri)) this.schedule(0);
      }),
    ];
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const s of this.subscriptions) s.dispose();
    this.collection.dispose();
  }

  private isMirror(uri: vscode.Uri): boolean {
    return uri.scheme === 'file' && this.store.all.some((c) => c.protocol?.mirrors.some((m) => samePath(m.path, uri.fsPath)));
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.publish(), delayMs);
  }

  private async publish(): Promise<void> {
    const generation = ++this.generation;
    const published: [vscode.Uri, vscode.Diagnostic[]][] = [];
    for (const config of this.store.all) {
      for (const mirror of config.protocol?.mirrors ?? []) {
        const uri = vscode.Uri.file(mirror.path);
        const result = this.service.all.find((r) => samePath(r.header, mirror.header));
        if (!result) continue; // the header is not analysed (yet, or it failed): its own problems say why
        const analysis: HeaderAnalysis | undefined = [result.analysis, result.compare?.analysis].find((a) => a?.abi === mirror.abi);
        if (!analysis) {
          published.push([uri, [atTop(`This file mirrors ${result.header} on ${mirror.abi}, but gpupv.json analyses that header on ${result.analysis.abi}${result.compare ? ` and ${result.compare.analysis.abi}` : ''} only: set "protocol.compareAbi" to ${mirror.abi}, or the mirror's "abi" to one of those`, vscode.DiagnosticSeverity.Warning)]]);
          continue;
        }
        const text = await this.textOf(uri);
        if (generation !== this.generation) return;
        if (text === undefined) {
          const at = positionAt(config.text, mirror.entry.offset);
          const problem = new vscode.Diagnostic(new vscode.Range(at.line, at.character, at.line, at.character + mirror.entry.length), `${mirror.path} cannot be read, so it is not checked against ${result.header}`, vscode.DiagnosticSeverity.Warning);
          problem.source = SOURCE;
          published.push([config.uri, [problem]]);
          continue;
        }
        const source = await readRustSource(mirror.path, text);
        const layouts = layOutRust(source, ABIS[analysis.abi]);
        const report = diffRustMirror(analysis, source, layouts);
        const diagnostics = [...source.diagnostics, ...layouts.diagnostics].map((d) => located(d.location, d.message, vscode.DiagnosticSeverity.Warning));
        for (const difference of report.differences) {
          const diagnostic = difference.rustLocation ? located(difference.rustLocation, difference.message, vscode.DiagnosticSeverity.Error) : atTop(difference.message, vscode.DiagnosticSeverity.Error);
          if (difference.headerLocation) diagnostic.relatedInformation = [new vscode.DiagnosticRelatedInformation(new vscode.Location(vscode.Uri.file(difference.headerLocation.file), positionOf(difference.headerLocation)), 'the header has it here')];
          diagnostics.push(diagnostic);
        }
        published.push([uri, diagnostics]);
      }
    }
    if (generation !== this.generation) return;
    this.collection.clear();
    this.collection.set(published);
  }

  /** The editor's text when the file is open (unsaved edits count), else the file's; undefined when it cannot be read. */
  private async textOf(uri: vscode.Uri): Promise<string | undefined> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open) return open.getText();
    try {
      return await readFile(uri.fsPath, 'utf8');
    } catch {
      return undefined;
    }
  }
}

function positionOf(location: SourceLocation): vscode.Position {
  return new vscode.Position(Math.max(0, location.line - 1), Math.max(0, location.column - 1));
}

/** From the item's start to the end of its line (the editor stops there): the declaration is underlined. */
function located(location: SourceLocation, message: string, severity: vscode.DiagnosticSeverity): vscode.Diagnostic {
  const start = positionOf(location);
  const diagnostic = new vscode.Diagnostic(new vscode.Range(start.line, start.character, start.line, Number.MAX_SAFE_INTEGER), message, severity);
  diagnostic.source = SOURCE;
  return diagnostic;
}

function atTop(message: string, severity: vscode.DiagnosticSeverity): vscode.Diagnostic {
  return located({ file: '', line: 1, column: 1 }, message, severity);
}
