import { existsSync } from 'node:fs';
import * as path from 'node:path';

// Compiled test files live at any depth under out/test/; every path is taken from the repo
// root, the nearest folder above with the extension's package.json.
export const repoRoot = findRepoRoot(__dirname);

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'esbuild.mjs'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no repository root above ${start}`);
  }
}

export const compiledTests = path.join(repoRoot, 'out', 'test');
export const screenshotsDir = path.join(repoRoot, 'test-results', 'screenshots');
export const codeServerBin = path.join(repoRoot, 'test', 'vscode-host', 'node_modules', '.bin', 'code-server');
export const demoWorkspace = path.join(repoRoot, 'demo');
