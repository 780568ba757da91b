import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { compiledTests, demoWorkspace, repoRoot } from './paths';

// `npm run test:desktop`: the extension-host suite under VS Code desktop, downloaded by
// @vscode/test-electron (a machine with internet access, e.g. a developer's Windows box).
// The suite is the very one code-server's harness loads through the URL payload.

const VERSIONS = ['1.100.3', 'stable'];

async function main(): Promise<void> {
  for (const version of VERSIONS) {
    console.log(`Extension-host suite on VS Code ${version}`);
    await runTests({
      version,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: path.join(compiledTests, 'extension-host', 'index.js'),
      launchArgs: [demoWorkspace, '--disable-extensions', '--disable-workspace-trust'],
    });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
