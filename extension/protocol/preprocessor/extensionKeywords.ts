import { matchingParen, type Token } from './tokens';

// Compiler spellings the C grammar does not know, rewritten after macro expansion.
// MSVC: __declspec(align(N))  ->  __attribute__((__gpupv_declspec_align__(N)))
// (a marker, because MSVC applies it to the type, where GCC's aligned attribute at the
// start of a declaration would apply to the declared object); other __declspec(...) and
// calling-convention keywords are dropped: they never change a layout.
// GNU: the alternate keywords (__signed__, __const, __volatile__, __restrict) become the
// standard ones, and __extension__ and __inline__ go, as they change no layout either.

const DROPPED_KEYWORDS = new Set(['__cdecl', '__stdcall', '__fastcall', '__vectorcall', '__ptr32', '__ptr64', '__unaligned', '__forceinline', '__inline', '__w64', '__inline__', '__extension__']);
const GNU_KEYWORDS: ReadonlyMap<string, string> = new Map([
  ['__signed__', 'signed'], ['__signed', 'signed'],
  ['__const__', 'const'], ['__const', 'const'],
  ['__volatile__', 'volatile'], ['__volatile', 'volatile'],
  ['__restrict__', 'restrict'], ['__restrict', 'restrict'],
]);

export const DECLSPEC_ALIGN_MARKER = '__gpupv_declspec_align__';

export function rewriteExtensionKeywords(tokens: readonly Token[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'identifier' && DROPPED_KEYWORDS.has(t.text)) continue;
    const standard = t.kind === 'identifier' ? GNU_KEYWORDS.get(t.text) : undefined;
    if (standard !== undefined) {
      out.push({ ...t, text: standard });
      continue;
    }
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
    i = close;
    if (inner[0]?.text !== 'align' || inner[1]?.text !== '(' || inner[inner.length - 1]?.text !== ')') continue;
    const attribute: Token = { ...t, kind: 'other', text: `__attribute__((${DECLSPEC_ALIGN_MARKER}(${inner.slice(2, -1).map((x) => x.text).join(' ')})))` };
    // Before `struct`/`union` (possibly after typedef or qualifiers) it aligns the record type:
    // move it behind the keyword, where the C grammar takes record attributes.
    let k = i + 1;
    while (k < tokens.length && (!isCode(tokens[k]!) || ['typedef', 'const', 'volatile'].includes(tokens[k]!.text))) k++;
    if (tokens[k]?.text === 'struct' || tokens[k]?.text === 'union') {
      out.push(...tokens.slice(i + 1, k + 1), attribute);
      i = k;
    } else {
      out.push(attribute);
    }
  }
  return out;
}

function isCode(token: Token): boolean {
  return token.kind !== 'newline' && token.kind !== 'comment';
}
