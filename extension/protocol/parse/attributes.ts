import { DECLSPEC_ALIGN_MARKER } from '../preprocessor/extensionKeywords';

// `__attribute__((...))` lists as tree-sitter hands them over (node text). Only the
// attributes that change a layout are understood; the rest are reported as ignored by
// the caller.

export interface LayoutAttributes {
  packed: boolean;
  /** Expression text of aligned(N); '' for a bare `aligned` (the target's largest alignment). */
  aligned?: string;
  /** Expression text of __declspec(align(N)). */
  declspecAlign?: string;
  /** Names of attributes that do not affect layout. */
  ignored: string[];
}

export function parseAttributes(texts: readonly string[]): LayoutAttributes {
  const result: LayoutAttributes = { packed: false, ignored: [] };
  for (const text of texts) {
    const inner = /^__attribute__\s*\(\s*\((.*)\)\s*\)$/s.exec(text.trim())?.[1] ?? '';
    for (const item of splitTopLevel(inner)) {
      const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$/s.exec(item);
      if (!match) continue;
      const name = match[1]!.replace(/^__(.*)__$/, '$1');
      const argument = match[2];
      if (name === 'packed') result.packed = true;
      else if (name === 'aligned') result.aligned = argument ?? '';
      else if (match[1] === DECLSPEC_ALIGN_MARKER) result.declspecAlign = argument ?? '';
      else result.ignored.push(name);
    }
  }
  return result;
}

/** Splits `a, b(c, d)` at its top-level commas, dropping empty parts. */
export function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.filter((p) => p.trim() !== '');
}
