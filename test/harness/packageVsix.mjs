// `npm run package`: the release build packed by @vscode/vsce, then a check of what went
// in. .vscodeignore is an allowlist; this refuses a VSIX that holds sources, tests, the
// test host or node_modules, that lacks a file loaded at run time, or that is 2 MB or more.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const vsix = join(root, `${name}-${version}.vsix`);
const MAX_BYTES = 2 * 1024 * 1024;
const FORBIDDEN = [/\.ts$/, /^extension\//, /^webviews\//, /^test\//, /^node_modules\//, /^out\//, /^demo\//];
// What the extension loads at run time besides its bundles; without any of them a feature is dead.
const REQUIRED = ['dist/extension.js', 'dist/GpuPv.psm1', 'dist/gpupv.schema.json', 'dist/tree-sitter.wasm', 'dist/tree-sitter-c.wasm'];

const vsce = join(root, 'node_modules', '.bin', 'vsce');
// The bundles carry every dependency, so vsce must not pull node_modules in.
const pack = spawnSync(vsce, ['package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', vsix], { cwd: root, stdio: 'inherit' });
if (pack.status !== 0) process.exit(pack.status ?? 1);

const listing = spawnSync('unzip', ['-Z1', vsix], { encoding: 'utf8' });
const files = listing.status === 0
  ? listing.stdout.split('\n').filter((f) => f.startsWith('extension/')).map((f) => f.slice('extension/'.length))
  : listFilesWithVsce();
const bad = files.filter((f) => FORBIDDEN.some((pattern) => pattern.test(f)));
const size = statSync(vsix).size;

console.log(`\n${vsix}\n${(size / 1024).toFixed(1)} KiB, ${files.length} files:`);
for (const file of files.sort()) console.log(`  ${file}`);
if (bad.length) {
  console.error(`\nThe VSIX holds files that must not ship:\n  ${bad.join('\n  ')}`);
  process.exit(1);
}
const missing = REQUIRED.filter((f) => !files.includes(f));
if (missing.length) {
  console.error(`\nThe VSIX lacks files the extension loads:\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
if (size >= MAX_BYTES) {
  console.error(`\nThe VSIX is ${size} bytes; the limit is ${MAX_BYTES}.`);
  process.exit(1);
}

function listFilesWithVsce() {
  const ls = spawnSync(vsce, ['ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' });
  return ls.stdout.split('\n').filter(Boolean);
}
