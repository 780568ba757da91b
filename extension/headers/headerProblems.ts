import type { AbiName } from '../protocol/abi';
import type { SourceLocation } from '../protocol/diagnostics';
import type { HeaderAnalysis } from '../protocol/headerAnalysis';
import type { HeaderResult } from './headerResults';

// What the Problems view shows for analysed headers: the engine's errors and warnings,
// `_Static_assert`s that fail (saying on which ABI), and records the two ABIs lay out
// differently. Each problem appears once even when several configured headers include
// the file it is in, or both ABIs report it. Pure: no `vscode` import.

export interface HeaderProblem {
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly location: SourceLocation;
}

export function headerProblems(results: readonly HeaderResult[]): HeaderProblem[] {
  const problems = new Map<string, HeaderProblem>();
  const add = (problem: HeaderProblem): void => {
    problems.set(`${locationKey(problem.location)}|${problem.severity}|${problem.message}`, problem);
  };
  for (const result of results) {
    const analyses = [result.analysis, ...(result.compare ? [result.compare.analysis] : [])];
    engineDiagnostics(analyses).forEach(add);
    failedStaticAssertions(analyses).forEach(add);
    for (const d of result.compare?.differences.values() ?? []) {
      const record = result.analysis.records.find((r) => r.name === d.record);
      const [a, b] = [result.analysis.abi, result.compare!.analysis.abi];
      const sizes = d.sizes[0] === d.sizes[1] ? `${d.sizes[0]} bytes on both` : `${d.sizes[0]} bytes on ${a}, ${d.sizes[1]} on ${b}`;
      add({
        severity: 'warning',
        message: `${d.record} is laid out differently on ${a} and ${b} (${sizes}): ${d.field ? `first difference at \`${d.field}\`: ` : ''}${d.reason}`,
        location: record?.location ?? { file: d.file, line: d.line, column: 1 },
      });
    }
  }
  return [...problems.values()];
}

/**
 * Errors and warnings; one reported by one ABI only says which. A failed static assertion
 * is left to failedStaticAssertions, which says on which ABIs it fails and holds.
 */
function engineDiagnostics(analyses: readonly HeaderAnalysis[]): HeaderProblem[] {
  const byKey = new Map<string, { problem: HeaderProblem; abis: AbiName[] }>();
  for (const analysis of analyses) {
    const failedAsserts = new Set(analysis.staticAssertions.filter((s) => s.passed === false).map((s) => locationKey(s.location)));
    for (const d of analysis.diagnostics) {
      if (d.severity === 'info') continue;
      if (failedAsserts.has(locationKey(d.location)) && d.message.startsWith('static assertion failed')) continue;
      const key = `${locationKey(d.location)}|${d.severity}|${d.message}`;
      const entry = byKey.get(key) ?? { problem: { severity: d.severity, message: d.message, location: d.location }, abis: [] };
      entry.abis.push(analysis.abi);
      byKey.set(key, entry);
    }
  }
  return [...byKey.values()].map(({ problem, abis }) =>
    abis.length === analyses.length ? problem : { ...problem, message: `${problem.message} (on ${abis.join(', ')} only)` },
  );
}

function failedStaticAssertions(analyses: readonly HeaderAnalysis[]): HeaderProblem[] {
  const byKey = new Map<string, { location: SourceLocation; message: string; failed: AbiName[]; held: AbiName[] }>();
  for (const analysis of analyses) {
    for (const s of analysis.staticAssertions) {
      const key = `${locationKey(s.location)}|${s.message}`;
      const entry = byKey.get(key) ?? { location: s.location, message: s.message, failed: [], held: [] };
      if (s.passed === false) entry.failed.push(analysis.abi);
      if (s.passed === true) entry.held.push(analysis.abi);
      byKey.set(key, entry);
    }
  }
  const problems: HeaderProblem[] = [];
  for (const { location, message, failed, held } of byKey.values()) {
    if (failed.length === 0) continue;
    const where = held.length ? `on ${failed.join(', ')} only (it holds on ${held.join(', ')})` : `on ${failed.join(' and ')}`;
    problems.push({ severity: 'error', message: `static assertion fails ${where}${message ? `: ${message}` : ''}`, location });
  }
  return problems;
}

function locationKey({ file, line, column }: SourceLocation): string {
  return `${file}:${line}:${column}`;
}
