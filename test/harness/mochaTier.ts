import Mocha from 'mocha';
import type { TierResult } from './tierResults';

/** Runs compiled mocha files in this process and counts them as one tier. */
export function runMochaTier(tier: string, files: readonly string[], timeoutMs: number): Promise<TierResult> {
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', timeout: timeoutMs, color: process.stdout.isTTY });
  for (const file of files) mocha.addFile(file);
  return new Promise((resolve) => {
    const failures: string[] = [];
    try {
      const runner = mocha.run((failed) => {
        mocha.dispose();
        resolve({ tier, passed: runner.stats?.passes ?? 0, failed, failures });
      });
      runner.on('fail', (test) => failures.push(`${tier}: ${test.fullTitle()}`));
    } catch (error) {
      resolve({ tier, passed: 0, failed: 1, failures: [`${tier}: could not load the suite: ${String(error)}`] });
    }
  });
}
