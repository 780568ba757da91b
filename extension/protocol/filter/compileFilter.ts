import { checkFilter } from './checker';
import { testClosure } from './closures';
import type { CompiledFilter, FieldRef, FilterError, FilterScope } from './filterApi';
import { canGenerateCode, generateMatcher } from './generated';
import { FilterSyntaxError } from './lexer';
import { parseFilter } from './parser';

// The filter language's front door, shared by the trace viewer and the CLI. Text in, a
// matcher or located errors out; it never throws.
//
// THE LANGUAGE
//   opcode == DRAW_INDEXED && index_count > 1000        resource_id in (3, 4)
//   hdr.type != PVGPU_CMD_FENCE || !(flags & NO_FENCE)   name ~ "draw"
//   viewports[0].width >= 1920.5                         fence_value >= 0x1_0000_0000
//
// Operators, loosest first, as in C: || (or) · && (and) · | · ^ · & · == != ~ in, not in ·
// < <= > >= · << >> · + - · * / % · prefix ! (not) ~ - +. `a & b == c` and `a < b < c`
// are refused: C would read them as `a & (b == c)` and `(a < b) < c`; parenthesise.
// `=` is refused with a hint to `==`.
//
// Numbers: decimal, hex 0x, binary 0b, `_` between digits, C suffixes u/l/ull ignored; no
// octal (a leading 0 is an error). Up to 2^64-1; a minus sign makes negatives. A point or
// an exponent makes a float (1920.5, 1e9). Strings: "..." or '...'. true, false are 1, 0.
//
// Values are exact. Integers are arbitrary-precision (u64 fields arrive as BigInt; nothing
// wraps at 64 bits, so an unsigned field compared with a negative number is an error that
// names the value C would have meant). Floats are doubles; an integer compared with a float
// is compared exactly (2^53 + 1 > 9007199254740992.0). Division truncates; division by zero
// and shift counts outside 0..63 give no value. Bitwise operators need integers.
//
// Names, in this order: a pseudo-field (opcode, name / opcodeName, size, offset, seq,
// time in ns, error, recovered); a header field path (`hdr.size`, `viewports[2].x`; `.x`
// means the header field even where a pseudo-field has the name); a symbol of the profile
// (enum constant, macro, flag, opcode), by full name or any tail after an `_`
// (DRAW_INDEXED, SYNC, R8G8B8A8_UNORM). A tail several constants share is ambiguous unless
// it is compared with a field whose group holds one of them; ambiguous or unknown names are
// errors with the candidates or a "did you mean".
//
// A missing value (a field this command does not have) makes every comparison with it
// false, `!=` and `not in` too; `!` is plain negation, so `!(index_count > 5)` matches
// commands without an index_count. A bare value is true when present and not zero.
//
// Text: `name` (the opcode name as the viewer shows it) and char-array fields compare with
// strings by ==, != and in (...), and match with `~`: a JavaScript regular expression,
// case-insensitive and unanchored, so a plain word matches anywhere in the name. Patterns
// that nest repetition (`(a+)+`) are refused. `name` tests are resolved to opcode sets
// when compiling; a name or pattern no opcode has is an error.

export type { CompiledFilter, FieldRef, FilterError, FilterRecord, FilterScope, FilterSymbol, FilterValue } from './filterApi';
export { OPCODE_GROUP } from './filterApi';
export { PSEUDO_FIELD_NAMES, resolveFieldName, type FieldMeaning } from './checker';
export { SymbolTable } from './symbolTable';

export interface CompileOptions {
  /** `auto` (default): generated code where allowed, else closures. The others are for tests and measurements. */
  readonly backend?: 'auto' | 'generated' | 'closures';
}

export function compileFilter<F extends FieldRef>(source: string, scope: FilterScope<F>, options: CompileOptions = {}): CompiledFilter<F> | FilterError[] {
  try {
    const checked = checkFilter(parseFilter(source), scope);
    if (Array.isArray(checked)) return checked;
    const backend = options.backend === 'closures' || (options.backend !== 'generated' && !canGenerateCode()) ? 'closures' : 'generated';
    const fields: readonly FieldRef[] = checked.fields;
    const matches = backend === 'generated' ? generateMatcher(checked.test, fields) : testClosure(checked.test, fields);
    return {
      // The record's `get` receives exactly the refs the scope handed out.
      matches,
      fieldsUsed: checked.fieldPaths,
      warnings: checked.warnings,
      backend,
    };
  } catch (error) {
    if (error instanceof FilterSyntaxError) return [{ message: error.message, start: error.start, end: error.end }];
    // A bug here, or a scope that threw: still an answer the viewer can show.
    return [{ message: `internal error: ${error instanceof Error ? error.message : String(error)}`, start: 0, end: source.length }];
  }
}
