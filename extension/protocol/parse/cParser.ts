import type { Parser } from 'web-tree-sitter';
import { loadGrammar } from '../../common/treeSitterRuntime';

// tree-sitter's C grammar, compiled to WebAssembly (see treeSitterRuntime.ts).

let loading: Promise<Parser> | undefined;

export function loadCParser(): Promise<Parser> {
  loading ??= loadGrammar('tree-sitter-c.wasm', 'tree-sitter-c/tree-sitter-c.wasm');
  return loading;
}

