import type { Node, Parser, Tree } from 'web-tree-sitter';
import { loadGrammar } from '../../../extension/common/treeSitterRuntime';

// tree-sitter-powershell (WebAssembly) as the judge of every PowerShell text we ship or send.
// It rejects a few valid forms (a digit in a parameter name, unquoted comma lists, one-line
// param blocks); our scripts avoid them, and any error it reports fails the test.

let loading: Promise<Parser> | undefined;

function loadPowerShellParser(): Promise<Parser> {
  loading ??= loadGrammar('tree-sitter-powershell.wasm', 'tree-sitter-powershell/tree-sitter-powershell.wasm');
  return loading;
}

export async function parsePowerShell(source: string): Promise<Tree> {
  const tree = (await loadPowerShellParser()).parse(source);
  if (!tree) throw new Error('tree-sitter returned no tree');
  return tree;
}

/** Every ERROR and MISSING node as `line:column: ...`; empty when the text parses clean. */
export async function powerShellSyntaxErrors(source: string): Promise<string[]> {
  const tree = await parsePowerShell(source);
  const errors: string[] = [];
  const visit = (node: Node) => {
    if (node.isError || node.isMissing) {
      const { row, column } = node.startPosition;
      errors.push(`${row + 1}:${column + 1}: ${node.isMissing ? `missing ${node.type}` : 'cannot parse'} near ${JSON.stringify(node.text.slice(0, 60))}`);
    }
    for (const child of node.children) if (child) visit(child);
  };
  visit(tree.rootNode);
  tree.delete();
  return errors;
}

/** All descendants of a type, in source order. */
export function descendantsOfType(node: Node, type: string): Node[] {
  return node.descendantsOfType(type).filter((n): n is Node => n !== null);
}
