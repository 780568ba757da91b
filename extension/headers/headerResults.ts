import type { AbiName } from '../protocol/abi';
import type { HeaderAnalysis, RecordInfo } from '../protocol/headerAnalysis';
import type { RecordDifference } from '../protocol/report/abiDiff';

// What the editor features read: one configured header analysed for the configured ABI
// and, when gpupv.json names one, the compared ABI. Pure: no `vscode` import.

export interface HeaderResult {
  /** Absolute path of the header gpupv.json lists. */
  readonly header: string;
  /** Absolute path of the workspace folder whose gpupv.json lists it. */
  readonly folder: string;
  readonly analysis: HeaderAnalysis;
  readonly compare: ComparedAbi | undefined;
}

export interface ComparedAbi {
  readonly analysis: HeaderAnalysis;
  /** By record name: only the records laid out differently. */
  readonly differences: ReadonlyMap<string, RecordDifference>;
}

export function recordsDeclaredIn(result: HeaderResult, file: string): RecordInfo[] {
  return result.analysis.records.filter((r) => r.location.file === file);
}

export function findRecord(analysis: HeaderAnalysis, name: string): RecordInfo | undefined {
  return analysis.records.find((r) => r.name === name);
}

/** `48 bytes · align 8` */
export function sizeSummary(record: RecordInfo): string {
  return `${record.size} byte${record.size === 1 ? '' : 's'} · align ${record.align}`;
}

export type Comparison =
  | { readonly kind: 'same'; readonly abi: AbiName }
  | { readonly kind: 'differs'; readonly abi: AbiName; readonly difference: RecordDifference }
  | { readonly kind: 'missing'; readonly abi: AbiName };

export function compareRecord(result: HeaderResult, record: RecordInfo): Comparison | undefined {
  if (!result.compare) return undefined;
  const abi = result.compare.analysis.abi;
  const difference = result.compare.differences.get(record.name);
  if (difference) return { kind: 'differs', abi, difference };
  return findRecord(result.compare.analysis, record.name) ? { kind: 'same', abi } : { kind: 'missing', abi };
}

/** `same on sysv-x86_64`, `differs on sysv-x86_64 at \`b\``. */
export function comparisonSummary(comparison: Comparison): string {
  switch (comparison.kind) {
    case 'same':
      return `same on ${comparison.abi}`;
    case 'missing':
      return `not declared on ${comparison.abi}`;
    case 'differs': {
      const { field, sizes } = comparison.difference;
      if (field) return `differs on ${comparison.abi} at \`${field}\``;
      return sizes[0] === sizes[1] ? `differs on ${comparison.abi}: alignment` : `differs on ${comparison.abi}: ${sizes[1]} bytes`;
    }
  }
}
