import { HeaderError, type SourceLocation } from '../diagnostics';
import { HideSet, matchingParen, tokenize, type Token } from './tokens';

// Macro definitions and their expansion (C11 6.10.3), with per-token hide sets so that
// self-referencing macros stop and rescanning sees tokens that follow an expansion.

export interface Macro {
  readonly name: string;
  /** Parameter names for function-like macros; undefined for object-like ones. */
  readonly parameters?: readonly string[];
  readonly variadic: boolean;
  /** What the body calls the variable arguments: `__VA_ARGS__`, or GNU's named `args` of `args...`. */
  readonly variadicName?: string;
  readonly body: readonly Token[];
  readonly location: SourceLocation;
  /** Predefined by the ABI or a -D option, not by the header. */
  readonly predefined: boolean;
}

/**
 * Stops runaway expansion of hostile input. The step budget is shared by every expansion
 * in one analysis (a macro bomb used on many lines must not cost each line the whole
 * budget); real headers stay orders of magnitude below both limits.
 */
export const EXPANSION_BUDGET = 200_000;
const MAX_EXPANDED_TOKENS = 2_000_000;

export class MacroTable {
  private readonly macros = new Map<string, Macro>();
  /** Expansion steps left for this analysis. */
  budget = EXPANSION_BUDGET;

  get(name: string): Macro | undefined {
    return this.macros.get(name);
  }

  has(name: string): boolean {
    return this.macros.has(name);
  }

  define(macro: Macro): void {
    this.macros.set(macro.name, macro);
  }

  undefine(name: string): void {
    this.macros.delete(name);
  }

  all(): IterableIterator<Macro> {
    return this.macros.values();
  }

  /** `NAME=VALUE` from the command line or gpupv.json: an object-like macro. */
  definePredefined(name: string, value: string): void {
    const location = { file: '<command line>', line: 1, column: 1 };
    this.define({ name, variadic: false, body: tokenize(value, location.file).filter(isCodeToken), location, predefined: true });
  }
}

/** Parses the rest of a `#define` line (tokens after the directive name). */
export function parseDefine(tokens: readonly Token[], location: SourceLocation): Macro {
  const nameToken = tokens[0];
  if (nameToken?.kind !== 'identifier') throw new HeaderError('#define needs a macro name', nameToken?.location ?? location);
  const name = nameToken.text;
  if (name === 'defined') throw new HeaderError('"defined" cannot be used as a macro name', nameToken.location);
  // Function-like only when "(" follows the name with no space between.
  if (tokens[1]?.text === '(' && !tokens[1].spaceBefore) {
    const parameters: string[] = [];
    let variadicName: string | undefined;
    let i = 2;
    for (;;) {
      const t = tokens[i];
      if (!t) throw new HeaderError(`missing ")" in the parameter list of macro ${name}`, nameToken.location);
      if (t.text === ')' && parameters.length === 0) break;
      if (t.text === '...') {
        variadicName = '__VA_ARGS__';
      } else if (t.kind === 'identifier' && tokens[i + 1]?.text === '...') {
        // GNU's named variable arguments: `#define F(fmt, args...)`.
        variadicName = t.text;
        i++;
      } else if (t.kind === 'identifier') {
        parameters.push(t.text);
      } else {
        throw new HeaderError(`unexpected "${t.text}" in the parameter list of macro ${name}`, t.location);
      }
      const separator = tokens[++i];
      if (separator?.text === ')') break;
      if (separator?.text !== ',' || variadicName !== undefined) throw new HeaderError(`expected "," or ")" in the parameter list of macro ${name}`, separator?.location ?? t.location);
      i++;
    }
    const variadic = variadicName !== undefined;
    return { name, parameters, variadic, ...(variadic ? { variadicName } : {}), body: tokens.slice(i + 1).filter(isCodeToken), location: nameToken.location, predefined: false };
  }
  return { name, variadic: false, body: tokens.slice(1).filter(isCodeToken), location: nameToken.location, predefined: false };
}

export function isCodeToken(token: Token): boolean {
  return token.kind !== 'comment' && token.kind !== 'newline';
}

/**
 * Expands every macro in `input`. Newline and comment tokens pass through untouched except
 * inside a function-like macro's argument list, where they are whitespace.
 */
export function expandMacros(input: readonly Token[], macros: MacroTable): Token[] {
  const output: Token[] = [];
  // A stack of pending tokens, top at the end: expansions are pushed back for rescanning.
  const pending: Token[] = [...input].reverse();
  while (pending.length > 0) {
    const token = pending.pop()!;
    if (token.kind !== 'identifier') {
      output.push(token);
      continue;
    }
    const macro = macros.get(token.text);
    if (!macro || token.hideSet?.has(macro.name)) {
      output.push(token);
      continue;
    }
    if (--macros.budget < 0 || pending.length + output.length > MAX_EXPANDED_TOKENS) {
      macros.budget = 0;
      throw new HeaderError(`macro expansion does not end: more than ${EXPANSION_BUDGET} expansions in this header, or ${MAX_EXPANDED_TOKENS} tokens from one line`, token.location);
    }
    if (macro.parameters === undefined) {
      pushExpansion(pending, substitute(macro, token, new Map()), token, macro.name);
      continue;
    }
    // A function-like macro name not followed by "(" is an ordinary identifier.
    const parenIndex = findNextCodeToken(pending);
    if (parenIndex < 0 || pending[parenIndex]!.text !== '(') {
      output.push(token);
      continue;
    }
    pending.length = parenIndex; // drop whitespace tokens and the "("
    const args = collectArguments(pending, macro, token);
    const expandedArgs = new Map<string, Token[]>();
    const rawArgs = new Map<string, Token[]>();
    macro.parameters.forEach((parameter, index) => rawArgs.set(parameter, args[index] ?? []));
    if (macro.variadic) rawArgs.set(macro.variadicName ?? '__VA_ARGS__', joinWithCommas(args.slice(macro.parameters.length)));
    for (const [parameter, tokens] of rawArgs) expandedArgs.set(parameter, expandMacros(tokens, macros));
    pushExpansion(pending, substitute(macro, token, rawArgs, expandedArgs), token, macro.name);
  }
  return output;
}

function findNextCodeToken(pending: readonly Token[]): number {
  for (let i = pending.length - 1; i >= 0; i--) {
    if (isCodeToken(pending[i]!)) return i;
  }
  return -1;
}

function collectArguments(pending: Token[], macro: Macro, invocation: Token): Token[][] {
  const args: Token[][] = [[]];
  let depth = 0;
  for (;;) {
    const t = pending.pop();
    if (!t) throw new HeaderError(`unterminated call of macro ${macro.name}`, invocation.location);
    if (!isCodeToken(t)) continue;
    if (t.text === '(') depth++;
    if (t.text === ')') {
      if (depth === 0) break;
      depth--;
    }
    if (t.text === ',' && depth === 0) {
      args.push([]);
      continue;
    }
    args[args.length - 1]!.push(t);
  }
  const parameters = macro.parameters ?? [];
  const wanted = parameters.length;
  const given = args.length === 1 && args[0]!.length === 0 && wanted === 0 ? 0 : args.length;
  if (given < wanted || (given > wanted && !macro.variadic)) {
    throw new HeaderError(`macro ${macro.name} takes ${wanted} argument${wanted === 1 ? '' : 's'}, got ${given}`, invocation.location);
  }
  return given === 0 ? [] : args;
}

function joinWithCommas(args: Token[][]): Token[] {
  const joined: Token[] = [];
  args.forEach((arg, index) => {
    if (index > 0) joined.push({ kind: 'punctuator', text: ',', location: arg[0]?.location ?? joined[joined.length - 1]!.location, spaceBefore: false });
    joined.push(...arg);
  });
  return joined;
}

/** Replaces parameters in the body, applying `#`, `##`, `__VA_OPT__` and GNU's `, ## __VA_ARGS__`. */
function substitute(macro: Macro, invocation: Token, raw: Map<string, Token[]>, expanded: Map<string, Token[]> = raw, body: readonly Token[] = macro.body): Token[] {
  const variadicName = macro.variadic ? (macro.variadicName ?? '__VA_ARGS__') : undefined;
  const result: Token[] = [];
  for (let i = 0; i < body.length; i++) {
    const t = body[i]!;
    if (variadicName !== undefined && t.text === '__VA_OPT__' && body[i + 1]?.text === '(') {
      // C23/C++20: the parenthesized tokens when the variable arguments are not empty.
      const close = matchingParen(body, i + 1);
      if (close < 0) throw new HeaderError(`__VA_OPT__ in macro ${macro.name} is missing its ")"`, t.location);
      if ((expanded.get(variadicName) ?? []).length > 0) result.push(...substitute(macro, invocation, raw, expanded, body.slice(i + 2, close)));
      i = close;
      continue;
    }
    if (macro.parameters && t.text === '#' && body[i + 1] && raw.has(body[i + 1]!.text)) {
      result.push(stringize(raw.get(body[++i]!.text)!, t));
      continue;
    }
    if (t.text === '##' && variadicName !== undefined && result.at(-1)?.text === ',' && body[i + 1]?.text === variadicName) {
      // GNU: `, ## __VA_ARGS__` drops the comma when there are no variable arguments, and pastes nothing.
      i++;
      const args = expanded.get(variadicName) ?? [];
      if (args.length === 0) result.pop();
      else result.push(...args);
      continue;
    }
    if (t.text === '##' && result.length > 0 && body[i + 1]) {
      const nextToken = body[++i]!;
      const right = raw.get(nextToken.text) ?? [nextToken];
      const left = result.pop()!;
      result.push(...paste(left, right, invocation));
      continue;
    }
    const nextIsPaste = body[i + 1]?.text === '##';
    const replacement = nextIsPaste ? raw.get(t.text) : expanded.get(t.text);
    if (replacement) result.push(...replacement.map((r, index) => (index === 0 ? { ...r, spaceBefore: t.spaceBefore } : r)));
    else result.push(t);
  }
  return result;
}

function stringize(tokens: readonly Token[], hash: Token): Token {
  const text = tokens.map((t, i) => (i > 0 && t.spaceBefore ? ' ' : '') + t.text.replace(/[\\"]/g, (c) => (t.kind === 'string' || t.kind === 'char' ? '\\' + c : c))).join('');
  return { kind: 'string', text: `"${text}"`, location: hash.location, spaceBefore: hash.spaceBefore };
}

function paste(left: Token, right: readonly Token[], invocation: Token): Token[] {
  const [first, ...rest] = right;
  if (!first) return [left];
  const merged = tokenize(left.text + first.text, left.location.file).filter(isCodeToken);
  if (merged.length !== 1) throw new HeaderError(`pasting "${left.text}" and "${first.text}" does not give a valid token`, invocation.location);
  return [{ ...merged[0]!, location: left.location, spaceBefore: left.spaceBefore }, ...rest];
}

function pushExpansion(pending: Token[], tokens: readonly Token[], invocation: Token, macroName: string): void {
  const expandedFrom = invocation.expandedFrom ?? invocation.location;
  // One shared hide set for the body's own tokens; only argument tokens that carry hide
  // sets of their own need a merged copy.
  const base = HideSet.of(macroName, invocation.hideSet);
  for (let i = tokens.length - 1; i >= 0; i--) {
    const t = tokens[i]!;
    const hideSet = t.hideSet && t.hideSet !== base ? base.union(t.hideSet) : base;
    pending.push({ ...t, hideSet, expandedFrom, location: expandedFrom, spaceBefore: i === 0 ? invocation.spaceBefore : true });
  }
}
