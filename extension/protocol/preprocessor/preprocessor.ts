import { dirname, isAbsolute, join, normalize } from 'node:path';
import type { Abi } from '../abi';
import { DiagnosticSink, HeaderError, type SourceLocation } from '../diagnostics';
import { parseExpression } from '../expressions/expressionParser';
import { evaluate } from '../expressions/evaluate';
import { BUILTIN_HEADER_MACROS, BUILTIN_HEADERS } from './builtinHeaders';
import { expandMacros, isCodeToken, MacroTable, parseDefine } from './macros';
import { rewriteExtensionKeywords } from './extensionKeywords';
import { HideSet, matchingParen, tokenize, type Token } from './tokens';

// The preprocessor subset real protocol headers use. Its output is one text (what the
// C parser reads) plus a map from every output line back to its file and line, the pack
// state in effect at each line, and the final macro table.

export interface PreprocessorOptions {
  readonly abi: Abi;
  readonly includeDirs: readonly string[];
  /** -D values; an undefined value means `1`. */
  readonly defines: Readonly<Record<string, string | undefined>>;
  /** Reads a file, or returns undefined when there is none. Lets the editor supply unsaved text. */
  readonly readFile: (path: string) => string | undefined;
  /** Refuse more than this many bytes of source in total (all includes together). */
  readonly maxSourceBytes?: number;
}

export interface OutputLine {
  readonly file: string;
  readonly line: number;
  /** Pairs [output column, source column] (1-based), ascending by output column. */
  readonly anchors: readonly (readonly [number, number])[];
}

export interface PackChange {
  /** The output line from which on this pack value applies (0-based). */
  readonly outputLine: number;
  /** Maximum member alignment, or undefined for the default (natural) packing. */
  readonly pack: number | undefined;
  readonly location: SourceLocation;
}

export interface PreprocessedHeader {
  readonly text: string;
  readonly lines: readonly OutputLine[];
  readonly packChanges: readonly PackChange[];
  readonly macros: MacroTable;
  readonly files: readonly string[];
  readonly diagnostics: DiagnosticSink;
}

const HAS_OPERATORS = new Set(['__has_include', '__has_include_next', '__has_attribute', '__has_builtin', '__has_feature', '__has_extension', '__has_c_attribute', '__has_declspec_attribute']);
const DEFAULT_MAX_SOURCE_BYTES = 32 * 1024 * 1024;
/** gcc's and clang's limit: legal C includes guarded headers from each other; only an unguarded recursion reaches it. */
const MAX_INCLUDE_DEPTH = 200;
const SILENT_PRAGMAS = new Set(['warning', 'region', 'endregion', 'message', 'GCC', 'clang', 'comment', 'intrinsic', 'optimize', 'push_macro', 'pop_macro', 'prefast', 'code_seg', 'data_seg', 'alloc_text', 'section']);

interface Conditional {
  /** Some branch of this #if chain was taken already. */
  taken: boolean;
  /** The current branch is active (and every enclosing one is). */
  active: boolean;
  sawElse: boolean;
  readonly location: SourceLocation;
}

export function preprocess(entryFile: string, options: PreprocessorOptions): PreprocessedHeader {
  return new Preprocessor(options).run(entryFile);
}

class Preprocessor {
  private readonly macros = new MacroTable();
  private readonly diagnostics = new DiagnosticSink();
  private readonly onceFiles = new Set<string>();
  /** The index in includeDirs each file was found in, for #include_next. */
  private readonly includeDirOf = new Map<string, number>();
  /** Files wholly inside `#ifndef GUARD` … `#endif`: not read again while GUARD is defined, as compilers do. */
  private readonly guardOf = new Map<string, string>();
  private readonly files: string[] = [];
  private readonly includeStack: string[] = [];
  private readonly packStack: (number | undefined)[] = [];
  private pack: number | undefined;
  private readonly packChanges: PackChange[] = [];
  private readonly outText: string[] = [];
  private readonly outLines: OutputLine[] = [];
  private sourceBytes = 0;

  constructor(private readonly options: PreprocessorOptions) {
    for (const [name, value] of Object.entries(options.abi.predefinedMacros)) this.macros.definePredefined(name, value);
    for (const [name, value] of Object.entries(options.defines)) this.macros.definePredefined(name, value ?? '1');
  }

  run(entryFile: string): PreprocessedHeader {
    const text = this.options.readFile(entryFile);
    if (text === undefined) {
      this.diagnostics.error(`cannot read ${entryFile}`, { file: entryFile, line: 1, column: 1 });
    } else {
      try {
        this.processFile(normalize(entryFile), text);
      } catch (error) {
        this.reportError(error, { file: entryFile, line: 1, column: 1 });
      }
    }
    return {
      text: this.outText.join('\n'),
      lines: this.outLines,
      packChanges: this.packChanges,
      macros: this.macros,
      files: this.files,
      diagnostics: this.diagnostics,
    };
  }

  private processFile(file: string, text: string): void {
    this.sourceBytes += text.length;
    if (this.sourceBytes > (this.options.maxSourceBytes ?? DEFAULT_MAX_SOURCE_BYTES)) {
      throw new HeaderError(`the headers are larger than ${(this.options.maxSourceBytes ?? DEFAULT_MAX_SOURCE_BYTES) >> 20} MiB in total; refusing to read more`, { file, line: 1, column: 1 });
    }
    if (!this.files.includes(file)) this.files.push(file);
    this.includeStack.push(file);
    let tokens: Token[];
    try {
      tokens = tokenize(text, file);
    } catch (error) {
      this.reportError(error, { file, line: 1, column: 1 });
      tokens = [];
    }
    const conditionals: Conditional[] = [];
    const lines = splitLines(tokens);
    let pendingText: Token[] = [];
    const flushText = () => {
      if (pendingText.length === 0) return;
      try {
        this.emit(rewriteExtensionKeywords(expandMacros(pendingText, this.macros)), file);
      } catch (error) {
        this.reportError(error, pendingText[0]!.location);
        this.emit(pendingText.filter((t) => t.kind === 'comment'), file);
      }
      pendingText = [];
    };
    for (const line of lines) {
      const first = line.find(isCodeToken);
      const active = conditionals.every((c) => c.active);
      if (first?.text === '#' ) {
        flushText();
        try {
          this.directive(line.slice(line.indexOf(first) + 1), first.location, conditionals, active, file);
        } catch (error) {
          this.reportError(error, first.location);
        }
      } else if (active) {
        pendingText.push(...line);
      }
    }
    flushText();
    for (const open of conditionals) this.diagnostics.error('#if without #endif', open.location);
    const guard = includeGuard(lines);
    if (guard !== undefined) this.guardOf.set(file, guard);
    this.includeStack.pop();
  }

  private directive(tokens: Token[], hash: SourceLocation, conditionals: Conditional[], active: boolean, file: string): void {
    const code = tokens.filter(isCodeToken);
    const nameToken = code[0];
    const name = nameToken?.text ?? '';
    const rest = code.slice(1);
    const location = nameToken?.location ?? hash;
    switch (name) {
      case 'if':
      case 'ifdef':
      case 'ifndef': {
        let condition = false;
        if (active) {
          condition = this.guardedCondition(() => (name === 'if' ? this.evaluateCondition(rest, location) : this.macros.has(this.macroName(rest, location)) === (name === 'ifdef')), location);
        }
        conditionals.push({ taken: condition, active: active && condition, sawElse: false, location });
        return;
      }
      case 'elif':
      case 'elifdef':
      case 'elifndef':
      case 'else': {
        const top = conditionals[conditionals.length - 1];
        if (!top) throw new HeaderError(`#${name} without #if`, location);
        if (top.sawElse) throw new HeaderError(`#${name} after #else`, location);
        const outerActive = conditionals.slice(0, -1).every((c) => c.active);
        let condition = !top.taken;
        if (condition && name !== 'else') {
          condition = outerActive && this.guardedCondition(() => (name === 'elif' ? this.evaluateCondition(rest, location) : this.macros.has(this.macroName(rest, location)) === (name === 'elifdef')), location);
        }
        top.sawElse = name === 'else';
        top.active = outerActive && condition;
        top.taken ||= condition;
        return;
      }
      case 'endif':
        if (!conditionals.pop()) throw new HeaderError('#endif without #if', location);
        return;
      default:
        break;
    }
    if (!active) return;
    switch (name) {
      case '':
        return; // the null directive
      case 'define':
        this.macros.define(parseDefine(tokens.slice(tokens.indexOf(nameToken!) + 1).filter((t) => t.kind !== 'newline'), location));
        return;
      case 'undef':
        this.macros.undefine(this.macroName(rest, location));
        return;
      case 'include':
      case 'include_next':
        this.include(rest, location, file, name === 'include_next');
        return;
      case 'pragma':
        this.pragma(rest, location);
        return;
      case 'error':
        this.diagnostics.error(`#error ${rest.map((t) => t.text).join(' ')}`, location);
        return;
      case 'warning':
        this.diagnostics.warning(`#warning ${rest.map((t) => t.text).join(' ')}`, location);
        return;
      case 'line':
        this.diagnostics.warning('#line is ignored: locations refer to the real file and line', location);
        return;
      default:
        this.diagnostics.warning(`unknown directive #${name} ignored`, location);
    }
  }

  /** A condition that cannot be evaluated is reported and taken as false; the #if still nests. */
  private guardedCondition(condition: () => boolean, location: SourceLocation): boolean {
    try {
      return condition();
    } catch (error) {
      this.reportError(error, location);
      return false;
    }
  }

  private macroName(tokens: readonly Token[], location: SourceLocation): string {
    const token = tokens[0];
    if (token?.kind !== 'identifier') throw new HeaderError('expected a macro name', token?.location ?? location);
    return token.text;
  }

  private evaluateCondition(tokens: readonly Token[], location: SourceLocation): boolean {
    // `defined X` must see X before expansion: protect those names with a hide set.
    const protectedTokens: Token[] = [];
    const answered = this.answerHasOperators(tokens, location);
    for (let i = 0; i < answered.length; i++) {
      const t = answered[i]!;
      protectedTokens.push(t);
      if (t.text !== 'defined') continue;
      const hasParen = answered[i + 1]?.text === '(';
      const target = answered[i + (hasParen ? 2 : 1)];
      if (hasParen) protectedTokens.push(answered[++i]!);
      if (target?.kind === 'identifier') {
        protectedTokens.push({ ...target, hideSet: HideSet.of(target.text) });
        i++;
      }
    }
    // Feature tests that macros produced (glibc's `__glibc_has_attribute (x)` is `__has_attribute (x)`).
    const expanded = this.answerHasOperators(expandMacros(protectedTokens, this.macros), location);
    const expression = parseExpression(expanded, { preprocessor: true, isTypeName: () => false }, location);
    const value = evaluate(expression, {
      abi: this.options.abi,
      preprocessor: true,
      isDefined: (macro) => this.macros.has(macro) || HAS_OPERATORS.has(macro),
      identifierValue: () => undefined,
      typeFacts: () => {
        throw new HeaderError('types are not allowed in #if', location);
      },
      offsetOf: () => {
        throw new HeaderError('offsetof is not allowed in #if', location);
      },
      sizeOfExpression: () => {
        throw new HeaderError('sizeof is not allowed in #if', location);
      },
    });
    return value.value !== 0n;
  }

  /** Replaces each `__has_*(...)` with its answer, 1 or 0; its operand is never macro-expanded. */
  private answerHasOperators(tokens: readonly Token[], location: SourceLocation): Token[] {
    const out: Token[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (!HAS_OPERATORS.has(t.text) || tokens[i + 1]?.text !== '(') {
        out.push(t);
        continue;
      }
      const close = matchingParen(tokens, i + 1);
      if (close < 0) throw new HeaderError(`${t.text} is missing its ")"`, t.location);
      const answer = this.hasOperator(t.text, tokens.slice(i + 2, close), location);
      out.push({ ...t, kind: 'number', text: answer ? '1' : '0' });
      i = close;
    }
    return out;
  }

  /**
   * `__has_include(<x.h>)` looks where #include would; `__has_attribute(packed)` knows the
   * layout attributes on GCC ABIs; the other feature tests answer 0, so headers take their
   * portable path.
   */
  private hasOperator(operator: string, args: readonly Token[], location: SourceLocation): boolean {
    if (operator === '__has_include' || operator === '__has_include_next') {
      const text = args.map((t) => t.text).join('');
      const system = text.startsWith('<');
      const target = text.replace(/^[<"]|[>"]$/g, '');
      if (system && BUILTIN_HEADERS.has(target)) return true;
      const candidates = [...(system ? [] : [join(dirname(location.file), target)]), ...this.options.includeDirs.map((dir) => join(dir, target))];
      return candidates.some((candidate) => this.options.readFile(normalize(candidate)) !== undefined);
    }
    if (operator === '__has_attribute') {
      return this.options.abi.family === 'sysv' && ['packed', 'aligned', '__packed__', '__aligned__'].includes(args.map((t) => t.text).join(''));
    }
    return false;
  }

  private include(tokens: readonly Token[], location: SourceLocation, includingFile: string, next = false): void {
    const expanded = tokens[0]?.kind === 'identifier' ? expandMacros(tokens, this.macros) : tokens;
    const first = expanded[0];
    let target: string;
    let system: boolean;
    if (first?.kind === 'string') {
      target = first.text.slice(1, -1);
      system = false;
    } else if (first?.text === '<') {
      const close = expanded.findIndex((t) => t.text === '>');
      if (close < 0) throw new HeaderError('#include <...> is missing its ">"', location);
      target = expanded.slice(1, close).map((t) => t.text).join('');
      system = true;
    } else {
      throw new HeaderError('#include expects "file" or <file>', location);
    }
    // #include_next (GNU) looks in the include directories after the one the including file came from.
    const foundIn = this.includeDirOf.get(includingFile);
    const firstDir = next && foundIn !== undefined ? foundIn + 1 : 0;
    const dirCandidates = this.options.includeDirs.slice(firstDir).map((dir, k) => ({ path: join(dir, target), dir: firstDir + k }));
    const candidates = [...(system || isAbsolute(target) || (next && foundIn !== undefined) ? [] : [{ path: join(dirname(includingFile), target), dir: undefined }]), ...dirCandidates];
    if (isAbsolute(target)) candidates.unshift({ path: target, dir: undefined });
    for (const candidate of candidates) {
      const path = normalize(candidate.path);
      if (this.onceFiles.has(path)) return;
      const guard = this.guardOf.get(path);
      if (guard !== undefined && this.macros.has(guard)) return;
      const text = this.options.readFile(path);
      if (text === undefined) continue;
      if (this.includeStack.length >= MAX_INCLUDE_DEPTH) throw new HeaderError(`#include nested more than ${MAX_INCLUDE_DEPTH} deep${describeRecursion(this.includeStack)}`, location);
      if (candidate.dir !== undefined) this.includeDirOf.set(path, candidate.dir);
      this.processFile(path, text);
      return;
    }
    // A system header the include directories lack: the engine's own copy of its types, if it has one.
    if (system && BUILTIN_HEADERS.has(target)) {
      for (const [name, value] of Object.entries(BUILTIN_HEADER_MACROS[target] ?? {})) {
        if (!this.macros.has(name)) this.macros.definePredefined(name, value);
      }
      return;
    }
    const message = `cannot find ${system ? `<${target}>` : `"${target}"`} (searched ${candidates.length ? candidates.map((c) => c.path).join(', ') : 'no include directories'})`;
    if (system) this.diagnostics.warning(`${message}; its declarations are missing`, location);
    else this.diagnostics.error(message, location);
  }

  private pragma(tokens: readonly Token[], location: SourceLocation): void {
    const kind = tokens[0]?.text;
    if (kind === 'once') {
      this.onceFiles.add(location.file);
      return;
    }
    if (kind === 'pack') {
      this.packPragma(tokens.slice(1), location);
      return;
    }
    if (kind !== undefined && SILENT_PRAGMAS.has(kind)) return;
    this.diagnostics.warning(`#pragma ${kind ?? ''} ignored: it does not change layouts`, location);
  }

  /** pack(n), pack(), pack(push[, n]), pack(pop), pack(push, id, n) and pack(pop, id). */
  private packPragma(tokens: readonly Token[], location: SourceLocation): void {
    const args = tokens.slice(1, -1).filter((t) => t.text !== ',');
    if (tokens[0]?.text !== '(' || tokens[tokens.length - 1]?.text !== ')') throw new HeaderError('malformed #pragma pack', location);
    const numeric = (t: Token | undefined): number | undefined => {
      if (!t) return undefined;
      const value = Number(t.text);
      if (![1, 2, 4, 8, 16].includes(value)) throw new HeaderError(`#pragma pack value must be 1, 2, 4, 8 or 16, not ${t.text}`, t.location);
      return value;
    };
    const verb = args[0]?.text;
    if (verb === 'push') {
      this.packStack.push(this.pack);
      const value = args.find((t, i) => i > 0 && t.kind === 'number');
      if (value) this.setPack(numeric(value), location);
    } else if (verb === 'pop') {
      if (this.packStack.length === 0) {
        this.diagnostics.warning('#pragma pack(pop) without a matching push', location);
        return;
      }
      this.setPack(this.packStack.pop(), location);
    } else if (verb === 'show') {
      return;
    } else {
      this.setPack(numeric(args[0]), location);
    }
  }

  private setPack(pack: number | undefined, location: SourceLocation): void {
    this.pack = pack;
    this.packChanges.push({ outputLine: this.outLines.length, pack, location });
  }

  /** Writes expanded text tokens, one output line per source line they start on. */
  private emit(tokens: readonly Token[], file: string): void {
    let text = '';
    let anchors: [number, number][] = [];
    let sourceLine = -1;
    const flush = () => {
      if (sourceLine < 0) return;
      this.outText.push(text);
      this.outLines.push({ file, line: sourceLine, anchors });
      text = '';
      anchors = [];
    };
    for (const token of tokens) {
      if (token.kind === 'newline') continue;
      const at = token.expandedFrom ?? token.location;
      if (at.file !== file) continue;
      if (at.line !== sourceLine) {
        if (at.line < sourceLine && text !== '') {
          // An expansion from an earlier line (arguments spanning lines): keep it on this line.
        } else {
          flush();
          sourceLine = at.line;
        }
      }
      const body = token.kind === 'comment' ? token.text.replace(/\r?\n/g, ' ') : token.text;
      // Unexpanded tokens keep their column, so most positions map back one to one.
      if (!token.expandedFrom && text.length + 1 < at.column) text = text.padEnd(at.column - 1, ' ');
      else if (text !== '' && (token.spaceBefore || needsSeparator(text, body))) text += ' ';
      anchors.push([text.length + 1, at.column]);
      text += body;
    }
    flush();
  }

  private reportError(error: unknown, fallback: SourceLocation): void {
    if (error instanceof HeaderError) this.diagnostics.error(error.message, error.location);
    else this.diagnostics.error(`internal error: ${error instanceof Error ? error.message : String(error)}`, fallback);
  }
}

/** Tokens grouped by source line (directives are line-based); the newline token ends each group. */
function splitLines(tokens: readonly Token[]): Token[][] {
  const lines: Token[][] = [[]];
  for (const token of tokens) {
    lines[lines.length - 1]!.push(token);
    if (token.kind === 'newline') lines.push([]);
  }
  return lines;
}

function needsSeparator(before: string, next: string): boolean {
  return /[A-Za-z0-9_$]$/.test(before) && /^[A-Za-z0-9_$]/.test(next);
}

/**
 * The macro guarding a whole file (`#ifndef X` or `#if !defined X` first, its `#endif` last,
 * nothing outside), or undefined: the multiple-include optimization gcc and clang make.
 */
function includeGuard(lines: readonly (readonly Token[])[]): string | undefined {
  const directives = lines.map((line) => line.filter(isCodeToken)).filter((line) => line.length > 0);
  const first = directives[0];
  if (!first || first[0]?.text !== '#') return undefined;
  let guard: string | undefined;
  if (first[1]?.text === 'ifndef' && first.length === 3 && first[2]!.kind === 'identifier') guard = first[2]!.text;
  const negated = first.slice(1).map((t) => t.text).join(' ');
  const match = /^if ! defined (?:\( )?(\w+)(?: \))?$/.exec(negated);
  if (match) guard = match[1];
  if (guard === undefined) return undefined;
  let depth = 0;
  for (let i = 0; i < directives.length; i++) {
    const line = directives[i]!;
    if (line[0]?.text !== '#') continue;
    const word = line[1]?.text;
    if (word === 'if' || word === 'ifdef' || word === 'ifndef') depth++;
    // An #else of the guard's own #ifndef holds text that a second inclusion would read.
    else if ((word === 'else' || word === 'elif') && depth === 1) return undefined;
    else if (word === 'endif' && --depth === 0) return i === directives.length - 1 ? guard : undefined;
  }
  return undefined;
}

/** ": a.h -> b.h -> a.h, which has no include guard" for the first file the include stack repeats. */
function describeRecursion(stack: readonly string[]): string {
  for (let i = 0; i < stack.length; i++) {
    const again = stack.indexOf(stack[i]!, i + 1);
    if (again > 0) return `: ${stack.slice(i, again + 1).join(' -> ')} repeats without an include guard (#ifndef or #pragma once) to stop it`;
  }
  return '';
}
