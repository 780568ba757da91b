// @vscode/test-cli configuration, for machines with VS Code desktop (`npx vscode-test`
// after `npm run build:test`). It runs the same compiled mocha files the code-server
// harness runs, on the oldest VS Code we support.
import { defineConfig } from '@vscode/test-cli';

export default defineConfig({
  label: 'extension host',
  files: 'out/test/extension-host/**/*.test.js',
  version: '1.100.3',
  workspaceFolder: './demo',
  mocha: { ui: 'bdd', timeout: 30_000 },
});
