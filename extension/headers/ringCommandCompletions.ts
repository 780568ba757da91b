import * as vscode from 'vscode';
import { commandInitializer } from '../protocol/codegen/commandInitializer';
import { snippetDefaults } from '../protocol/codegen/snippetText';
import type { HeaderAnalysis } from '../protocol/headerAnalysis';
import { resolveCommandProfile, type CommandProfile } from '../protocol/profile/commandProfile';
import { resolveFenceProfile, type FenceProfile } from '../protocol/profile/fenceProfile';
import { samePath, type HeaderAnalysisService } from './headerAnalysisService';
import type { ProtocolConfigStore } from './protocolConfig';

// Ring commands written from the header while typing C: `PVGPU_CMD_DRAW_INDEXED` (or just
// `DRAW_IND`) offers the opcode's payload struct as a designated initializer with its opcode
// and size set, from the profile of the workspace folder the file is in (any folder's when it
// is in none). Items come only once a word is typed, so plain C completion stays quiet.

interface Profiles {
  readonly analysis: HeaderAnalysis;
  readonly command: CommandProfile;
  readonly fence: FenceProfile | undefined;
}

export class RingCommandCompletions implements vscode.CompletionItemProvider {
  /** Profiles by analysis: a new analysis (the header changed) makes new ones. */
  private readonly profiles = new WeakMap<HeaderAnalysis, Profiles | null>();

  constructor(
    private readonly store: ProtocolConfigStore,
    private readonly service: HeaderAnalysisService,
  ) {}

  async provideCompletionItems(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.CompletionItem[]> {
    const range = document.getWordRangeAtPosition(position, /[A-Za-z_]\w*/);
    const typed = range ? document.getText(range.with({ end: position })) : '';
    if (typed.length < 2) return [];
    // A request while gpupv.json or the header is still being read waits for them rather than
    // answering with nothing, which the editor would keep until the word is retyped.
    await this.service.ready();
    if (token.isCancellationRequested) return [];
    const profiles = this.profilesFor(document.uri);
    if (!profiles) return [];
    const wanted = typed.toUpperCase();
    const items: vscode.CompletionItem[] = [];
    for (const opcode of profiles.command.opcodes.values()) {
      if (!opcode.name.includes(wanted) && !opcode.shortName.includes(wanted)) continue;
      const initializer = commandInitializer(profiles.analysis, profiles.command, profiles.fence, opcode);
      const record = opcode.payload ?? profiles.command.header;
      const item = new vscode.CompletionItem({ label: opcode.name, description: `ring command · ${initializer.struct}` }, vscode.CompletionItemKind.Snippet);
      item.insertText = new vscode.SnippetString(initializer.snippet);
      item.filterText = `${opcode.name} ${opcode.shortName}`;
      item.detail = `${initializer.struct}, ${record.size} bytes, opcode 0x${opcode.value.toString(16)}`;
      item.documentation = new vscode.MarkdownString().appendCodeblock(snippetDefaults(initializer.snippet).trimEnd(), 'c');
      if (range) item.range = range;
      items.push(item);
    }
    return items;
  }

  private profilesFor(uri: vscode.Uri): Profiles | undefined {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const configs = this.store.all.filter((c) => c.protocol?.command && c.protocol.headers.length > 0);
    const config = configs.find((c) => c.folder.uri.toString() === folder?.uri.toString()) ?? configs[0];
    const protocol = config?.protocol;
    if (!protocol?.command) return undefined;
    const result = this.service.all.find((r) => samePath(r.header, protocol.headers[0]!.path));
    if (!result) return undefined;
    const cached = this.profiles.get(result.analysis);
    if (cached !== undefined) return cached ?? undefined;
    const command = resolveCommandProfile(result.analysis, protocol.command).profile;
    const profiles = command ? { analysis: result.analysis, command, fence: protocol.fence ? resolveFenceProfile(command, protocol.fence).profile : undefined } : null;
    this.profiles.set(result.analysis, profiles);
    return profiles ?? undefined;
  }
}
