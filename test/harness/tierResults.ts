// Pure bookkeeping of the test run: how suites report their counts, how tiers add up, and
// the one closing line CI reads. Unit-tested in plain Node.

export interface TierResult {
  readonly tier: string;
  readonly passed: number;
  readonly failed: number;
  /** Titles of failed tests and harness errors, for the closing report. */
  readonly failures: readonly string[];
}

/** Prefix of the line a suite running inside a VS Code extension host prints when done. */
export const SUITE_RESULT_MARKER = 'GPUPV-SUITE-RESULT ';

export function formatSuiteResult(passed: number, failed: number, failures: readonly string[]): string {
  return SUITE_RESULT_MARKER + JSON.stringify({ passed, failed, failures });
}

/**
 * Reads the result line back out of a suite's log. Returns undefined when the suite never
 * got that far (crashed, hung, never loaded), which the caller must count as a failure.
 */
export function parseSuiteResult(
  lines: readonly string[],
): { passed: number; failed: number; failures: string[] } | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const at = lines[i]?.indexOf(SUITE_RESULT_MARKER) ?? -1;
    if (at < 0) continue;
    try {
      const value = JSON.parse(lines[i]!.slice(at + SUITE_RESULT_MARKER.length)) as unknown;
      if (isSuiteResult(value)) return value;
    } catch {
      // A torn or foreign line: keep looking further up.
    }
  }
  return undefined;
}

function isSuiteResult(value: unknown): value is { passed: number; failed: number; failures: string[] } {
  const v = value as { passed?: unknown; failed?: unknown; failures?: unknown } | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    Number.isInteger(v.passed) &&
    Number.isInteger(v.failed) &&
    Array.isArray(v.failures) &&
    v.failures.every((f) => typeof f === 'string')
  );
}

/**
 * Combines what the extension host printed with how it exited. A non-zero exit with no
 * failing test counted, or no result line at all, is itself one failure: a suite that
 * crashes before reporting must never pass.
 */
export function extensionHostTierResult(
  tier: string,
  exitCode: number | 'timeout',
  lines: readonly string[],
): TierResult {
  const reported = parseSuiteResult(lines);
  if (!reported) {
    const why = exitCode === 'timeout' ? 'timed out' : `exited with code ${exitCode}`;
    return { tier, passed: 0, failed: 1, failures: [`${tier}: suite ${why} without reporting a result`] };
  }
  if (exitCode !== 0 && reported.failed === 0) {
    const why = exitCode === 'timeout' ? 'timed out' : `exited with code ${exitCode}`;
    return { tier, ...reported, failed: 1, failures: [`${tier}: suite ${why} although no test failed`] };
  }
  return { tier, ...reported };
}

export function totals(results: readonly TierResult[]): { passed: number; failed: number } {
  return results.reduce((sum, r) => ({ passed: sum.passed + r.passed, failed: sum.failed + r.failed }), {
    passed: 0,
    failed: 0,
  });
}

/** The closing line: `N passed, N failed`, alone on its line. */
export function summaryLine(results: readonly TierResult[]): string {
  const { passed, failed } = totals(results);
  return `${passed} passed, ${failed} failed`;
}

export function exitCodeFor(results: readonly TierResult[]): number {
  const { passed, failed } = totals(results);
  // Zero tests is a broken harness, not a green run.
  return failed > 0 || passed === 0 ? 1 : 0;
}
