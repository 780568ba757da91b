import { runSuiteIn } from './suiteRunner';

/** The `extensionTestsPath` entry point, for code-server's harness and @vscode/test-electron alike. */
export function run(): Promise<void> {
  return runSuiteIn(__dirname);
}
