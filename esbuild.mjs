// The build: two bundles that ship (the extension for Node, the webviews for the browser)
// and, with --tests, the test suites. Type-checking is `tsc --noEmit` (npm run typecheck);
// esbuild only transpiles and bundles.
//
//   node esbuild.mjs             development build, source maps
//   node esbuild.mjs --release   minified, source maps without embedded sources (what ships)
//   node esbuild.mjs --watch     development build, rebuilt on every change
//   node esbuild.mjs --tests     development build plus out/test/**
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const args = new Set(process.argv.slice(2));
const release = args.has('--release');
const watch = args.has('--watch');
const tests = args.has('--tests');

/** Logs each rebuild in the shape the `$esbuild-watch` problem matcher of tasks.json reads. */
/** @type {esbuild.Plugin} */
const reportRebuilds = {
  name: 'report-rebuilds',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

/**
 * ssh2 tries two native add-ons inside try/catch (cpu-features, to order ciphers, and its own
 * crypto binding) and falls back to Node's crypto without them. Neither is built for VS Code's
 * Electron, so the bundle gets a module that throws as a missing one would, and ssh2 takes its
 * fallback, as it does wherever the add-ons failed to build.
 */
/** @type {esbuild.Plugin} */
const withoutNativeAddons = {
  name: 'without-native-addons',
  setup(build) {
    build.onResolve({ filter: /^cpu-features$|\.node$/ }, (resolved) => ({ path: resolved.path, namespace: 'missing-native-addon' }));
    build.onLoad({ filter: /.*/, namespace: 'missing-native-addon' }, (loaded) => ({
      contents: `throw Object.assign(new Error(${JSON.stringify(`Cannot find module '${loaded.path}' (not bundled)`)}), { code: 'MODULE_NOT_FOUND' });`,
      loader: 'js',
    }));
  },
};

/** @type {esbuild.BuildOptions} */
const common = {
  bundle: true,
  minify: release,
  sourcemap: true,
  sourcesContent: !release,
  logLevel: watch ? 'silent' : 'warning',
  plugins: watch ? [reportRebuilds] : [],
  absWorkingDir: root,
};

/** @type {esbuild.BuildOptions} */
const extension = {
  ...common,
  entryPoints: { extension: 'extension/extension.ts' },
  outdir: 'dist',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // koffi loads its prebuilt native binary from its own folder, so it cannot be bundled.
  external: ['vscode', 'koffi'],
  plugins: [...(common.plugins ?? []), withoutNativeAddons],
  // web-tree-sitter's ES module reads import.meta.url, which a CommonJS bundle lacks.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('url').pathToFileURL(__filename).href;" },
};

/** @type {esbuild.BuildOptions} */
const cli = {
  ...extension,
  entryPoints: { gpupv: 'extension/cli/gpupv.ts' },
  banner: { js: `#!/usr/bin/env node\n${extension.banner?.js ?? ''}` },
};

/** @type {esbuild.BuildOptions} */
const webviews = {
  ...common,
  entryPoints: webviewNames().flatMap((name) => [
    { in: `webviews/${name}/main.ts`, out: name },
    { in: `webviews/${name}/${name}.css`, out: name },
  ]),
  outdir: 'dist/webviews',
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
};

/** Each test file becomes its own script; packages stay external and load from node_modules. */
/** @type {esbuild.BuildOptions} */
const testSuites = {
  ...common,
  entryPoints: filesUnder('test', (file) => file.endsWith('.ts') && !file.startsWith('test/vscode-host/')),
  outbase: 'test',
  outdir: 'out/test',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  external: ['vscode'],
};

function webviewNames() {
  return readdirSync(join(root, 'webviews'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== 'shared')
    .map((entry) => entry.name);
}

/**
 * @param {string} dir
 * @param {(file: string) => boolean} keep
 */
function filesUnder(dir, keep) {
  return readdirSync(join(root, dir), { recursive: true })
    .map((file) => `${dir}/${String(file).replaceAll('\\', '/')}`)
    .filter(keep);
}

/**
 * Files the bundles load at run time: the codicon font (webviews may load nothing remote),
 * tree-sitter's runtime and its C and Rust grammars (WebAssembly, found beside the bundle), the
 * gpupv.json schema, the INF language files and the Hyper-V PowerShell module.
 */
function copyRuntimeFiles() {
  /** @type {[string, string][]} */
  const copies = [
    ['node_modules/@vscode/codicons/dist/codicon.css', 'dist/webviews/codicons/codicon.css'],
    ['node_modules/@vscode/codicons/dist/codicon.ttf', 'dist/webviews/codicons/codicon.ttf'],
    ['node_modules/web-tree-sitter/tree-sitter.wasm', 'dist/tree-sitter.wasm'],
    ['node_modules/tree-sitter-c/tree-sitter-c.wasm', 'dist/tree-sitter-c.wasm'],
    ['node_modules/tree-sitter-rust/tree-sitter-rust.wasm', 'dist/tree-sitter-rust.wasm'],
    // The gpupv.json schema VS Code validates against (contributes.jsonValidation).
    ['extension/protocol/config/gpupv.schema.json', 'dist/gpupv.schema.json'],
    // The INF language VS Code lacks: brackets and comments, and a grammar over its ini one.
    ['extension/deploy/inf/inf.language-configuration.json', 'dist/inf.language-configuration.json'],
    ['extension/deploy/inf/inf.tmLanguage.json', 'dist/inf.tmLanguage.json'],
    // The PowerShell module every Hyper-V call goes through, and the Windows seam it imports
    // by name (its folder is the one PowerShellSession puts on PSModulePath).
    ['extension/hyperv/GpuPv.psm1', 'dist/GpuPv.psm1'],
    ['extension/hyperv/GpuPvPlatform/GpuPvPlatform.psm1', 'dist/GpuPvPlatform/GpuPvPlatform.psm1'],
    // What Deploy and Test runs inside the guest: the module, the SSH runner beside it, and
    // the fixed script block PowerShell Direct sends.
    ['extension/deploy/guest/GpuPvGuest.psm1', 'dist/guest/GpuPvGuest.psm1'],
    ['extension/deploy/guest/Invoke-GpuPvGuest.ps1', 'dist/guest/Invoke-GpuPvGuest.ps1'],
    ['extension/deploy/guest/GpuPvGuestDirect.ps1', 'dist/guest/GpuPvGuestDirect.ps1'],
  ];
  for (const [from, to] of copies) {
    mkdirSync(dirname(join(root, to)), { recursive: true });
    copyFileSync(join(root, from), join(root, to));
  }
}

const builds = [extension, cli, webviews, ...(tests ? [testSuites] : [])];
rmSync(join(root, 'dist'), { recursive: true, force: true });
if (tests) rmSync(join(root, 'out'), { recursive: true, force: true });
copyRuntimeFiles();

if (watch) {
  const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
  await Promise.all(contexts.map((context) => context.watch()));
  console.log('[watch] watching extension/, webviews/' + (tests ? ', test/' : ''));
} else {
  const started = Date.now();
  await Promise.all(builds.map((options) => esbuild.build(options)));
  console.log(`build: ${release ? 'release' : 'development'} bundles in ${Date.now() - started} ms`);
}
