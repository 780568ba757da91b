import type { AbiName } from '../../../extension/protocol/abi';
import { analyzeHeader, type HeaderAnalysis } from '../../../extension/protocol/headerAnalysis';

/** Analyses headers given as text: `{ '/p/main.h': '...', '/p/inc/x.h': '...' }`, the first is the entry. */
export function analyzeSources(
  files: Record<string, string>,
  abi: AbiName = 'msvc-x64',
  options: { includeDirs?: string[]; defines?: Record<string, string | undefined> } = {},
): Promise<HeaderAnalysis> {
  const entry = Object.keys(files)[0]!;
  return analyzeHeader(entry, { abi, readFile: (path) => files[path], ...options });
}

export function analyzeText(text: string, abi: AbiName = 'msvc-x64'): Promise<HeaderAnalysis> {
  return analyzeSources({ '/h/test.h': text }, abi);
}

export function record(analysis: HeaderAnalysis, name: string) {
  const found = analysis.records.find((r) => r.name === name || r.tag === name);
  if (!found) throw new Error(`no record ${name}; have ${analysis.records.map((r) => r.name).join(', ')}; diagnostics: ${analysis.diagnostics.map((d) => d.message).join('; ')}`);
  return found;
}

export function offsets(analysis: HeaderAnalysis, name: string): Record<string, number> {
  return Object.fromEntries(record(analysis, name).fields.map((f) => [f.path, f.bitWidth === undefined ? f.offset : f.bitOffset!]));
}

export function errors(analysis: HeaderAnalysis): string[] {
  return analysis.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.location.line}:${d.location.column} ${d.message}`);
}
