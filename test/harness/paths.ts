import * as path from 'node:path';

// Compiled harness files live in out/test/harness/; every path is taken from the repo root.
export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const compiledTests = path.join(repoRoot, 'out', 'test');
export const screenshotsDir = path.join(repoRoot, 'test-results', 'screenshots');
export const codeServerBin = path.join(repoRoot, 'test', 'vscode-host', 'node_modules', '.bin', 'code-server');
export const demoWorkspace = path.join(repoRoot, 'demo');
