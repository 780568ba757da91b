import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Language, Parser } from 'web-tree-sitter';

// tree-sitter's C grammar, compiled to WebAssembly: no native module, so the same code
// runs in the extension host, the CLI and plain Node. The two .wasm files ship next to
// the bundle (esbuild.mjs copies them); in tests they come from node_modules.

let loading: Promise<Parser> | undefined;

export function loadCParser(): Promise<Parser> {
  loading ??= (async () => {
    const runtime = locate('tree-sitter.wasm', 'web-tree-sitter/tree-sitter.wasm');
    await Parser.init({ locateFile: () => runtime, wasmBinary: readFileSync(runtime) });
    const language = await Language.load(readFileSync(locate('tree-sitter-c.wasm', 'tree-sitter-c/tree-sitter-c.wasm')));
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  return loading;
}

function locate(file: string, packagePath: string): string {
  const besideBundle = join(__dirname, file);
  return existsSync(besideBundle) ? besideBundle : require.resolve(packagePath);
}
