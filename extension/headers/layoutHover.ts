import * as vscode from 'vscode';
import type { AbiName } from '../protocol/abi';
import type { HeaderAnalysisService } from './headerAnalysisService';
import { findRecord, type HeaderResult } from './headerResults';
import { memberAt, placeMembers, type MemberPlacement } from './recordMembers';

// Hovering a member's name inside a struct or union of an analysed header: where it sits
// on the configured ABI and, beside it, on the compared one.

export class LayoutHoverProvider implements vscode.HoverProvider {
  constructor(private readonly service: HeaderAnalysisService) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const word = document.getWordRangeAtPosition(position, /[A-Za-z_]\w*/);
    if (!word) return undefined;
    await this.service.ready();
    if (token.isCancellationRequested) return undefined;
    for (const { result, file } of this.service.resultsFor(document.uri.fsPath)) {
      const found = memberAt(result.analysis, file, word.start.line + 1, word.start.character + 1);
      if (found?.placement.member.name !== document.getText(word)) continue;
      return new vscode.Hover(hoverText(result, found.record.name, found.placement), word);
    }
    return undefined;
  }
}

function hoverText(result: HeaderResult, recordName: string, here: MemberPlacement): vscode.MarkdownString {
  const bitField = here.bitWidth !== undefined;
  const text = new vscode.MarkdownString(undefined, true);
  text.appendMarkdown(`\`${here.type} ${here.path}\` in **${recordName}**\n\n`);
  text.appendMarkdown(bitField ? '| ABI | offset | size | bit offset | bit width |\n|:--|--:|--:|--:|--:|\n' : '| ABI | offset | size |\n|:--|--:|--:|\n');
  text.appendMarkdown(row(result.analysis.abi, here, bitField));
  if (!result.compare) return text;

  const abi = result.compare.analysis.abi;
  const record = findRecord(result.compare.analysis, recordName);
  const there = record && placeMembers(record, result.compare.analysis.layoutEngine).find((p) => p.path === here.path);
  text.appendMarkdown(there ? row(abi, there, bitField) : `| ${abi} | not declared |${bitField ? ' | | |' : ' |'}\n`);
  if (there && samePlace(here, there)) return text;
  const difference = result.compare.differences.get(recordName);
  text.appendMarkdown(`\n$(warning) Laid out differently on ${abi}`);
  if (difference?.field === here.path) text.appendMarkdown(`: ${difference.reason}`);
  return text;
}

function row(abi: AbiName, p: MemberPlacement, bitField: boolean): string {
  const offset = `${p.offset} · 0x${p.offset.toString(16).toUpperCase()}`;
  if (!bitField) return `| ${abi} | ${offset} | ${p.size} |\n`;
  // Bits count from the storage unit at `offset`, as a register description would.
  const bit = p.bitOffset === undefined ? '' : String(p.bitOffset - p.offset * 8);
  return `| ${abi} | ${offset} | ${p.size} | ${bit} | ${p.bitWidth ?? ''} |\n`;
}

function samePlace(a: MemberPlacement, b: MemberPlacement): boolean {
  return a.offset === b.offset && a.size === b.size && a.bitOffset === b.bitOffset && a.bitWidth === b.bitWidth;
}
