import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { snippetDefaults } from '../../../extension/protocol/codegen/snippetText';
import { repoRoot } from '../../harness/paths';

// The snippet files package.json contributes, read as VS Code reads them, for the tests that
// check their shape and the ones that hand every body to its language's own judge.

export interface Snippet {
  readonly name: string;
  readonly prefix: string;
  readonly description: string;
  readonly body: readonly string[];
}

export interface SnippetFile {
  /** As package.json names it, e.g. `snippets/wddm-kmd.code-snippets`. */
  readonly file: string;
  readonly languages: readonly string[];
  readonly snippets: readonly Snippet[];
}

interface Contribution {
  readonly language: string;
  readonly path: string;
}

export function contributedSnippetFiles(): SnippetFile[] {
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { contributes: { snippets: Contribution[] } };
  const byFile = new Map<string, string[]>();
  for (const { language, path: file } of manifest.contributes.snippets) {
    const key = path.posix.normalize(file);
    byFile.set(key, [...(byFile.get(key) ?? []), language]);
  }
  return [...byFile].map(([file, languages]) => {
    const parsed = JSON.parse(readFileSync(path.join(repoRoot, file), 'utf8')) as Record<string, Omit<Snippet, 'name'>>;
    return { file, languages, snippets: Object.entries(parsed).map(([name, s]) => ({ name, ...s })) };
  });
}

/** What the snippet inserts when every placeholder keeps its default. */
export function expanded(snippet: Snippet): string {
  return snippetDefaults(snippet.body.join('\n'));
}

export function snippetFilesFor(language: string): SnippetFile[] {
  return contributedSnippetFiles().filter((f) => f.languages.includes(language));
}
