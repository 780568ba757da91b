// Patterns after `~`: JavaScript regular expressions, case-insensitive and unanchored, so
// a plain word matches wherever it occurs (`name ~ "draw"` finds PVGPU_CMD_DRAW_INDEXED).
// A quantified group that itself holds a quantifier, the classic `(a+)+`, can take
// exponential time in a backtracking engine; it is refused so a filter cannot hang the viewer.

export function compilePattern(text: string): RegExp | string {
  const nested = nestedQuantifier(text);
  if (nested) return `"${nested}" repeats a repetition, which can take exponential time; simplify the pattern`;
  try {
    return new RegExp(text, 'i');
  } catch (error) {
    return `not a valid regular expression: ${error instanceof Error ? error.message.replace(/^Invalid regular expression: /, '') : String(error)}`;
  }
}

/** The first group that contains a quantifier and is quantified itself, as written; undefined if none. */
function nestedQuantifier(text: string): string | undefined {
  const groups: { start: number; quantified: boolean }[] = [];
  let inClass = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else if (c === '(') {
      groups.push({ start: i, quantified: false });
    } else if (c === ')') {
      const group = groups.pop();
      if (group && group.quantified && isQuantifier(text, i + 1)) return text.slice(group.start, i + 2);
      // A group containing a quantifier makes its enclosing group contain one too.
      const outer = groups[groups.length - 1];
      if (outer && group?.quantified) outer.quantified = true;
    } else if (isQuantifier(text, i)) {
      const inner = groups[groups.length - 1];
      if (inner) inner.quantified = true;
    }
  }
  return undefined;
}

function isQuantifier(text: string, at: number): boolean {
  const c = text[at];
  return c === '*' || c === '+' || (c === '{' && /^\{\d+,?\d*\}/.test(text.slice(at)));
}
