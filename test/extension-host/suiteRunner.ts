import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import { formatSuiteResult } from '../harness/tierResults';

/**
 * Runs every `*.test.js` beside `dir` with mocha and settles the way VS Code's
 * `extensionTestsPath` contract expects (reject = failures). It also prints one result
 * line, which code-server's harness reads to count tests; under @vscode/test-electron that
 * line is just output.
 */
export function runSuiteIn(dir: string): Promise<void> {
  // GPUPV_TEST_GREP (development only, like GPUPV_TEST_FILTER): the tests whose full title matches.
  const grep = process.env.GPUPV_TEST_GREP;
  const mocha = new Mocha({ ui: 'bdd', color: false, reporter: 'spec', timeout: 30_000, ...(grep ? { grep } : {}) });
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort()) {
    mocha.addFile(path.join(dir, file));
  }
  return new Promise((resolve, reject) => {
    const failures: string[] = [];
    try {
      const runner = mocha.run((failed) => {
        console.log(formatSuiteResult(runner.stats?.passes ?? 0, failed, failures));
        if (failed > 0) reject(new Error(`${failed} extension-host test(s) failed`));
        else resolve();
      });
      runner.on('fail', (test) => failures.push(test.fullTitle()));
    } catch (error) {
      // A test file that throws while loading never reaches the runner's callback.
      console.log(formatSuiteResult(0, 1, [`loading the suite: ${String(error)}`]));
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}
