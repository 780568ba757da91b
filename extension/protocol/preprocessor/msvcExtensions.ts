import type { Token } from './tokens';

// MSVC spellings the C grammar does not know, rewritten after macro expansion:
//   __declspec(align(N))  ->  __attribute__((__gpupv_declspec_align__(N)))
// (a marker, because MSVC applies it to the type, where GCC's aligned attribute at the
// start of a declaration would apply to the declared object), other __declspec(...) and
// calling-convention keywords are dropped: they never change a layout.

const DROPPED_KEYWORDS = new Set(['__cdecl', '__stdcall', '__fastcall', '__vectorcall', '__ptr32', '__ptr64', '__unaligned', '__forceinline', '__inline', '__w64']);

export const DECLSPEC_ALIGN_MARKER = '__gpupv_declspec_align__';

export function rewriteMsvcExtensions(tokens: readonly Token[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'identifier' && DROPPED_KEYWORDS.has(t.text)) continue;
    if (t.kind !== 'identifier' || t.text !== '__declspec') {
      out.push(t);
      continue;
    }
    const close = matchingParen(tokens, i + 1);
    if (close < 0) {
      out.push(t);
      continue;
    }
    const inner = tokens.slice(i + 2, close).filter((x) => x.kind !== 'newline' && x.kind !== 'comment');
    if (inner[0]?.text === 'align' && inner[1]?.text === '(' && inner[inner.length - 1]?.text === ')') {
      const replacement = `__attribute__((${DECLSPEC_ALIGN_MARKER}(${inner.slice(2, -1).map((x) => x.text).join(' ')})))`;
      out.push({ ...t, kind: 'other', text: replacement });
    }
    i = close;
  }
  return out;
}

function matchingParen(tokens: readonly Token[], open: number): number {
  if (tokens[open]?.text !== '(') return -1;
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i]!.text === '(') depth++;
    if (tokens[i]!.text === ')' && --depth === 0) return i;
  }
  return -1;
}
