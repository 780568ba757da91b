import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Language, Parser } from 'web-tree-sitter';

// tree-sitter's runtime, compiled to WebAssembly: no native module, so the same code runs in
// the extension host, the CLI and plain Node. It is initialised once per process, whichever
// grammar asks first. The .wasm files ship next to the bundle (esbuild.mjs copies them); in
// tests they come from node_modules.

let runtime: Promise<void> | undefined;

function initRuntime(): Promise<void> {
  runtime ??= (async () => {
    const wasm = locateWasm('tree-sitter.wasm', 'web-tree-sitter/tree-sitter.wasm');
    await Parser.init({ locateFile: () => wasm, wasmBinary: readFileSync(wasm) });
  })();
  return runtime;
}

/** A parser for the grammar in `file` (beside the bundle) or `packagePath` (in node_modules). */
export async function loadGrammar(file: string, packagePath: string): Promise<Parser> {
  await initRuntime();
  const language = await Language.load(readFileSync(locateWasm(file, packagePath)));
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

function locateWasm(file: string, packagePath: string): string {
  const besideBundle = join(__dirname, file);
  return existsSync(besideBundle) ? besideBundle : require.resolve(packagePath);
}
