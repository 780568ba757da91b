import { testClosure, valueClosure } from './closures';
import { OPCODE_GROUP, type FieldRef, type FilterError, type FilterRecord, type FilterScope, type FilterSymbol } from './filterApi';
import type { ArithmeticOperator, CompareOperator, NumericType, PseudoField, Test, Value } from './ir';
import { FilterSyntaxError } from './lexer';
import { parseFilter, type BinaryOperator, type Span, type Syntax } from './parser';
import { compilePattern } from './patterns';
import { ValueSet } from './runtime';
import { closestName } from './suggest';

// Syntax to meaning: names resolved (pseudo-field, then header field, then symbol), types
// checked, constants folded. Errors are collected, not thrown, so the viewer underlines all
// of them at once; an operand that already failed is `invalid` and raises nothing more.

export interface CheckedFilter<F extends FieldRef> {
  readonly test: Test;
  readonly fields: readonly F[];
  readonly fieldPaths: readonly string[];
  readonly warnings: readonly FilterError[];
}

const PSEUDO_FIELDS: ReadonlyMap<string, PseudoField | 'opcodeName'> = new Map([
  ['opcode', 'opcode'], ['opcodeName', 'opcodeName'], ['name', 'opcodeName'], ['size', 'size'], ['offset', 'offset'],
  ['seq', 'seq'], ['time', 'time'], ['error', 'error'], ['recovered', 'recovered'],
] as const);
const WORDS = ['and', 'or', 'not', 'in', 'true', 'false'];
const COMPARE_OPERATORS = new Set<string>(['==', '!=', '<', '<=', '>', '>=']);
const INTEGER_OPERATORS = new Set<string>(['&', '|', '^', '<<', '>>']);
const MAX_ERRORS = 20;
const MAX_SUGGESTIONS = 5;

type Checked =
  | { readonly kind: 'value'; readonly value: Value; readonly span: Span }
  | { readonly kind: 'test'; readonly test: Test; readonly span: Span }
  | { readonly kind: 'string'; readonly text: string; readonly span: Span }
  | { readonly kind: 'opcodeName'; readonly span: Span }
  | { readonly kind: 'bytes'; readonly field: number; readonly path: string; readonly span: Span }
  | { readonly kind: 'invalid'; readonly span: Span };

/** What a name that reads a value stands for: a pseudo-field of the record, or a field of the scope. */
export type FieldMeaning<F> = { readonly pseudo: PseudoField | 'opcodeName' } | { readonly field: F };

/** The pseudo-fields' names, for suggestions. */
export const PSEUDO_FIELD_NAMES: readonly string[] = [...PSEUDO_FIELDS.keys()];

/** A record for folding constants: nothing in a constant reads it. */
const NO_RECORD: FilterRecord = { get: () => undefined, opcode: 0, size: 0, offset: 0, seq: 0, time: 0, error: false, recovered: false };

/**
 * What `text`, a name alone (`seq`, `name`, `hdr.type`, `.size`, `viewports[2].x`), means
 * where a filter reads a value, resolved just as in a filter; else why not, with the
 * closest of `candidates` as a did-you-mean.
 */
export function resolveFieldName<F extends FieldRef>(text: string, scope: FilterScope<F>, candidates: Iterable<string>): FieldMeaning<F> | FilterError {
  let syntax: Syntax;
  try {
    syntax = parseFilter(text);
  } catch (error) {
    if (error instanceof FilterSyntaxError) return { message: error.message, start: error.start, end: error.end };
    throw error;
  }
  if (syntax.kind !== 'name') return { message: `"${text}" is not a field name`, start: 0, end: text.length };
  const found = lookupName(scope, syntax.path, syntax.explicitField);
  if (found) return found;
  const suggestion = closestName(syntax.path, candidates);
  return { message: `no command has a field "${text}"${suggestion ? ` — did you mean "${suggestion}"?` : ''}`, start: syntax.start, end: syntax.end };
}

function lookupName<F extends FieldRef>(scope: FilterScope<F>, path: string, explicitField: boolean): FieldMeaning<F> | undefined {
  const pseudo = explicitField ? undefined : PSEUDO_FIELDS.get(path);
  if (pseudo) return { pseudo };
  const field = scope.field(path);
  return field ? { field } : undefined;
}

export function checkFilter<F extends FieldRef>(syntax: Syntax, scope: FilterScope<F>): CheckedFilter<F> | FilterError[] {
  const checker = new Checker(scope);
  const test = checker.asTest(checker.check(syntax));
  if (checker.errors.length || !test) return checker.errors;
  return { test, fields: checker.fields, fieldPaths: checker.paths, warnings: checker.warnings };
}

class Checker<F extends FieldRef> {
  readonly errors: FilterError[] = [];
  readonly warnings: FilterError[] = [];
  readonly fields: F[] = [];
  readonly paths: string[] = [];
  private readonly fieldIndexes = new Map<string, number>();
  private suggestionsLeft = MAX_SUGGESTIONS;
  private opcodeList: readonly FilterSymbol[] | undefined;

  constructor(private readonly scope: FilterScope<F>) {}

  /** `group`: the symbol group of the field this operand is compared with, for ambiguous names. */
  check(syntax: Syntax, group?: string): Checked {
    const span = { start: syntax.start, end: syntax.end };
    switch (syntax.kind) {
      case 'int':
        return { kind: 'value', value: { op: 'const', type: 'int', value: syntax.value }, span };
      case 'float':
        return { kind: 'value', value: { op: 'const', type: 'float', value: syntax.value }, span };
      case 'string':
        return { kind: 'string', text: syntax.text, span };
      case 'name':
        return this.checkName(syntax.path, syntax.explicitField, span, group);
      case 'unary':
        return this.checkUnary(syntax.op, this.check(syntax.operand, group), span);
      case 'logical': {
        const tests = syntax.operands.map((o) => this.asTest(this.check(o)));
        if (tests.some((t) => !t)) return { kind: 'invalid', span };
        return { kind: 'test', test: foldLogical(syntax.op === '&&' ? 'all' : 'any', tests as Test[]), span };
      }
      case 'in':
        return this.checkIn(syntax.operand, syntax.items, syntax.negated, span);
      case 'binary':
        return this.checkBinary(syntax.op, syntax.left, syntax.right, span, group);
    }
  }

  asTest(checked: Checked): Test | undefined {
    if (checked.kind === 'test') return checked.test;
    const value = this.asValue(checked);
    return value && foldTest({ op: 'truthy', value });
  }

  private asValue(checked: Checked): Value | undefined {
    switch (checked.kind) {
      case 'value':
        return checked.value;
      case 'test':
        return { op: 'test', type: 'int', test: checked.test };
      case 'string':
        this.error('a string can only be compared with name (the opcode name) or a char array field, with ==, != or ~', checked.span);
        return undefined;
      case 'opcodeName':
        this.error('name is the opcode name, text: compare it with a string, like name == "PVGPU_CMD_DRAW" or name ~ "draw"', checked.span);
        return undefined;
      case 'bytes':
        this.error(`${checked.path} is a char array: compare it with a string, like ${checked.path} == "TEXT" or ~ "pattern"`, checked.span);
        return undefined;
      case 'invalid':
        return undefined;
    }
  }

  // ---- names ----

  private checkName(path: string, explicitField: boolean, span: Span, group: string | undefined): Checked {
    const found = this.lookup(path, explicitField);
    if (found && 'pseudo' in found) {
      if (this.scope.field(path)) {
        this.warnings.push({ message: `"${path}" is the record's ${path}; the header field of that name is .${path}`, ...span });
      }
      if (found.pseudo === 'opcodeName') return { kind: 'opcodeName', span };
      return { kind: 'value', value: { op: 'pseudo', type: 'int', name: found.pseudo }, span };
    }
    if (found) {
      const index = this.useField(path, found.field);
      if (found.field.kind === 'bytes') return { kind: 'bytes', field: index, path, span };
      return { kind: 'value', value: { op: 'field', type: found.field.kind === 'float' ? 'float' : 'int', field: index }, span };
    }
    if (explicitField || /[.[]/.test(path)) return this.unknown(`unknown field "${explicitField ? '.' : ''}${path}"`, path, span);
    return this.checkSymbol(path, span, group);
  }

  private lookup(path: string, explicitField: boolean): FieldMeaning<F> | undefined {
    return lookupName(this.scope, path, explicitField);
  }

  private useField(path: string, field: F): number {
    let index = this.fieldIndexes.get(path);
    if (index === undefined) {
      index = this.fields.length;
      this.fields.push(field);
      this.paths.push(path);
      this.fieldIndexes.set(path, index);
    }
    return index;
  }

  private checkSymbol(name: string, span: Span, group: string | undefined): Checked {
    let candidates = this.scope.symbols(name);
    if (candidates.length === 0) return this.unknown(`unknown field or symbol "${name}"`, name, span);
    const exact = candidates.filter((c) => c.name === name);
    if (exact.length) candidates = exact;
    const inGroup = group === undefined ? [] : candidates.filter((c) => c.group === group);
    if (inGroup.length) candidates = inGroup;
    const meanings = new Map<bigint, FilterSymbol>();
    for (const c of candidates) if (!meanings.has(c.value)) meanings.set(c.value, c);
    if (meanings.size > 1) {
      const listed = [...meanings.values()].slice(0, 4).map((c) => `${c.name} (${formatInteger(c.value)})`);
      const more = meanings.size > 4 ? ` and ${meanings.size - 4} more` : '';
      this.error(`"${name}" is ambiguous: ${listed.join(', ')}${more}; write the full name`, span);
      return { kind: 'invalid', span };
    }
    return { kind: 'value', value: { op: 'const', type: 'int', value: candidates[0]!.value }, span };
  }

  private unknown(message: string, word: string, span: Span): Checked {
    let suggestion: string | undefined;
    if (this.suggestionsLeft > 0) {
      this.suggestionsLeft--;
      suggestion = closestName(word, this.suggestionPool());
    }
    this.error(suggestion ? `${message} — did you mean "${suggestion}"?` : message, span);
    return { kind: 'invalid', span };
  }

  private *suggestionPool(): Iterable<string> {
    yield* PSEUDO_FIELDS.keys();
    yield* WORDS;
    yield* this.scope.names();
  }

  /** The symbol group a name compared with an operand should be read in: that of the field it reads. */
  private groupOf(syntax: Syntax): string | undefined {
    if (syntax.kind === 'name') {
      const found = this.lookup(syntax.path, syntax.explicitField);
      if (!found) return undefined;
      return 'pseudo' in found ? (found.pseudo === 'opcode' ? OPCODE_GROUP : undefined) : found.field.group;
    }
    if (syntax.kind === 'binary' && INTEGER_OPERATORS.has(syntax.op)) return this.groupOf(syntax.left) ?? this.groupOf(syntax.right);
    if (syntax.kind === 'unary') return this.groupOf(syntax.operand);
    return undefined;
  }

  // ---- operators ----

  private checkUnary(op: '!' | '~' | '-' | '+', operand: Checked, span: Span): Checked {
    if (op === '!') {
      const test = this.asTest(operand);
      return test ? { kind: 'test', test: foldTest({ op: 'not', operand: test }), span } : { kind: 'invalid', span };
    }
    const value = this.asValue(operand);
    if (!value) return { kind: 'invalid', span };
    if (op === '+') return { kind: 'value', value, span };
    if (op === '~' && value.type === 'float') {
      this.error('"~" needs a whole number, not a float (as a prefix it is bitwise not; as "a ~ b" it matches a pattern)', operand.span);
      return { kind: 'invalid', span };
    }
    return this.folded({ op: op === '-' ? 'negate' : 'complement', type: value.type, operand: value }, span);
  }

  private checkBinary(op: BinaryOperator, leftSyntax: Syntax, rightSyntax: Syntax, span: Span, outerGroup: string | undefined): Checked {
    const group = this.groupOf(leftSyntax) ?? this.groupOf(rightSyntax) ?? outerGroup;
    const left = this.check(leftSyntax, group);
    const right = this.check(rightSyntax, group);
    if (op === '~') return this.checkMatch(left, right, span);
    if (COMPARE_OPERATORS.has(op)) return this.checkComparison(op as CompareOperator, left, right, span);
    const l = this.asValue(left);
    const r = this.asValue(right);
    if (!l || !r) return { kind: 'invalid', span };
    if (INTEGER_OPERATORS.has(op)) {
      const float = l.type === 'float' ? left : r.type === 'float' ? right : undefined;
      if (float) {
        this.error(`"${op}" needs whole numbers, and this is a float`, float.span);
        return { kind: 'invalid', span };
      }
    }
    const type: NumericType = l.type === 'float' || r.type === 'float' ? 'float' : 'int';
    return this.folded({ op: 'arithmetic', type, operator: op as ArithmeticOperator, left: l, right: r }, span);
  }

  private checkComparison(op: CompareOperator, left: Checked, right: Checked, span: Span): Checked {
    const textual = (c: Checked) => c.kind === 'string' || c.kind === 'opcodeName' || c.kind === 'bytes';
    if (textual(left) || textual(right)) {
      // Text on either side: `"X" == name` reads as `name == "X"`.
      const [subject, text] = left.kind === 'string' ? [right, left] : [left, right];
      return this.checkTextEquality(op, subject, text, span);
    }
    const l = this.asValue(left);
    const r = this.asValue(right);
    if (!l || !r) return { kind: 'invalid', span };
    if (!this.checkSignedness(l, right) || !this.checkSignedness(r, left)) return { kind: 'invalid', span };
    return { kind: 'test', test: foldTest({ op: 'compare', operator: op, left: l, right: r }), span };
  }

  private checkTextEquality(op: CompareOperator, subject: Checked, text: Checked, span: Span): Checked {
    if (subject.kind === 'invalid' || text.kind === 'invalid') return { kind: 'invalid', span };
    if (text.kind !== 'string') {
      // `name > 3`, `name == size`: the text side is what is wrong; asValue says how.
      this.asValue(subject.kind === 'opcodeName' || subject.kind === 'bytes' ? subject : text);
      return { kind: 'invalid', span };
    }
    if (subject.kind !== 'opcodeName' && subject.kind !== 'bytes') {
      this.error('a string can only be compared with name (the opcode name) or a char array field', text.span);
      return { kind: 'invalid', span };
    }
    if (op !== '==' && op !== '!=') {
      this.error(`text is compared with ==, != or ~, not ${op}`, span);
      return { kind: 'invalid', span };
    }
    const negated = op === '!=';
    if (subject.kind === 'bytes') return { kind: 'test', test: { op: 'bytesEqual', field: subject.field, text: text.text, negated }, span };
    const set = new ValueSet();
    if (!this.addOpcodesNamed(text.text, text.span, set)) return { kind: 'invalid', span };
    return { kind: 'test', test: { op: 'member', value: OPCODE, set, negated }, span };
  }

  private checkMatch(subject: Checked, pattern: Checked, span: Span): Checked {
    if (subject.kind === 'invalid' || pattern.kind === 'invalid') return { kind: 'invalid', span };
    if (subject.kind === 'string' && (pattern.kind === 'opcodeName' || pattern.kind === 'bytes')) {
      this.error('put the pattern on the right: name ~ "pattern"', subject.span);
      return { kind: 'invalid', span };
    }
    if (subject.kind !== 'opcodeName' && subject.kind !== 'bytes') {
      this.error('"~" matches a pattern against name (the opcode name) or a char array field; for bitwise not write ~x', subject.span);
      return { kind: 'invalid', span };
    }
    if (pattern.kind !== 'string') {
      this.error('"~" needs a pattern in quotes: name ~ "draw"', pattern.span);
      return { kind: 'invalid', span };
    }
    const regex = compilePattern(pattern.text);
    if (typeof regex === 'string') {
      this.error(regex, pattern.span);
      return { kind: 'invalid', span };
    }
    if (subject.kind === 'bytes') return { kind: 'test', test: { op: 'bytesMatch', field: subject.field, pattern: regex }, span };
    const set = new ValueSet();
    for (const opcode of this.opcodes()) if (regex.test(opcode.name)) set.add(opcode.value);
    if (set.size === 0) {
      this.error(`no opcode name matches ${pattern.text ? `"${pattern.text}"` : 'the empty pattern'}`, pattern.span);
      return { kind: 'invalid', span };
    }
    return { kind: 'test', test: { op: 'member', value: OPCODE, set, negated: false }, span };
  }

  private checkIn(operandSyntax: Syntax, itemSyntax: readonly Syntax[], negated: boolean, span: Span): Checked {
    const group = this.groupOf(operandSyntax);
    const operand = this.check(operandSyntax, group);
    const items = itemSyntax.map((item) => this.check(item, group));
    if (operand.kind === 'invalid' || items.some((i) => i.kind === 'invalid')) return { kind: 'invalid', span };
    if (operand.kind === 'opcodeName' || operand.kind === 'bytes') return this.checkTextIn(operand, items, negated, span);
    const value = this.asValue(operand);
    if (!value) return { kind: 'invalid', span };
    const set = new ValueSet();
    const dynamic: Test[] = [];
    for (const item of items) {
      const itemValue = this.asValue(item);
      if (!itemValue || !this.checkSignedness(value, item)) return { kind: 'invalid', span };
      if (itemValue.op === 'const') set.add(itemValue.value);
      else dynamic.push({ op: 'compare', operator: negated ? '!=' : '==', left: value, right: itemValue });
    }
    const tests: Test[] = set.size || !dynamic.length ? [foldTest({ op: 'member', value, set, negated }), ...dynamic] : dynamic;
    return { kind: 'test', test: foldLogical(negated ? 'all' : 'any', tests), span };
  }

  private checkTextIn(subject: Checked & { kind: 'opcodeName' | 'bytes' }, items: readonly Checked[], negated: boolean, span: Span): Checked {
    const texts: { text: string; span: Span }[] = [];
    for (const item of items) {
      if (item.kind !== 'string') {
        this.error(`the list holds text here: ${subject.kind === 'bytes' ? subject.path : 'name'} in ("A", "B")`, item.span);
        return { kind: 'invalid', span };
      }
      texts.push(item);
    }
    if (subject.kind === 'bytes') {
      const tests: Test[] = texts.map(({ text }) => ({ op: 'bytesEqual', field: subject.field, text, negated }));
      return { kind: 'test', test: foldLogical(negated ? 'all' : 'any', tests), span };
    }
    const set = new ValueSet();
    for (const { text, span: at } of texts) if (!this.addOpcodesNamed(text, at, set)) return { kind: 'invalid', span };
    return { kind: 'test', test: { op: 'member', value: OPCODE, set, negated }, span };
  }

  /** Adds the opcodes whose name is exactly `text`; false, with an error naming the likely intended one, if none. */
  private addOpcodesNamed(text: string, span: Span, set: ValueSet): boolean {
    let found = false;
    for (const opcode of this.opcodes()) {
      if (opcode.name !== text) continue;
      set.add(opcode.value);
      found = true;
    }
    if (found) return true;
    const upper = text.toUpperCase();
    const names = this.opcodes().map((o) => o.name);
    const suggestion = names.find((n) => n.toUpperCase() === upper || n.toUpperCase().endsWith(`_${upper}`)) ?? closestName(text, names);
    this.error(`no opcode is named "${text}"${suggestion ? ` — did you mean "${suggestion}"?` : ''} (name ~ "${text}" matches part of a name)`, span);
    return false;
  }

  private opcodes(): readonly FilterSymbol[] {
    return (this.opcodeList ??= this.scope.opcodes());
  }

  /**
   * An unsigned field against a negative constant: C converts the constant (`u32 == -1` is
   * `u32 == 0xFFFFFFFF`), exact arithmetic does not, so the filter would silently never match.
   */
  private checkSignedness(value: Value, other: Checked): boolean {
    if (value.op !== 'field' || other.kind !== 'value' || other.value.op !== 'const') return true;
    const field = this.fields[value.field]!;
    const constant = other.value.value;
    if (field.kind !== 'int' || field.signed !== false || constant >= 0 || !Number.isInteger(Number(constant))) return true;
    const path = this.paths[value.field]!;
    const wrapped = field.bits ? ` write ${formatHex(BigInt.asUintN(field.bits, BigInt(constant)))} for what C means by ${String(constant)}` : ' write the unsigned value';
    this.error(`${path} is unsigned and never negative;${wrapped}`, other.span);
    return false;
  }

  private folded(value: Value, span: Span): Checked {
    const result = foldValue(value);
    if (result) return { kind: 'value', value: result, span };
    this.error(value.op === 'arithmetic' && (value.operator === '<<' || value.operator === '>>') ? 'shift count must be 0 to 63' : 'division by zero', span);
    return { kind: 'invalid', span };
  }

  private error(message: string, span: Span): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push({ message, start: span.start, end: span.end });
  }
}

const OPCODE: Value = { op: 'pseudo', type: 'int', name: 'opcode' };

function isConstant(value: Value): value is Value & { op: 'const' } {
  return value.op === 'const';
}

/** A constant expression becomes its value; undefined when it has none (division by zero). */
function foldValue(value: Value): Value | undefined {
  const operands = value.op === 'arithmetic' ? [value.left, value.right] : value.op === 'negate' || value.op === 'complement' ? [value.operand] : [];
  if (operands.length === 0 || !operands.every(isConstant)) return value;
  const result = valueClosure(value, [])(NO_RECORD);
  return result === undefined ? undefined : { op: 'const', type: value.type, value: result };
}

function foldTest(test: Test): Test {
  const constantOperands =
    (test.op === 'compare' && isConstant(test.left) && isConstant(test.right)) ||
    (test.op === 'truthy' && isConstant(test.value)) ||
    (test.op === 'not' && test.operand.op === 'constant') ||
    (test.op === 'member' && isConstant(test.value));
  return constantOperands ? { op: 'constant', value: testClosure(test, [])(NO_RECORD) } : test;
}

function foldLogical(op: 'all' | 'any', tests: readonly Test[]): Test {
  if (tests.length === 1) return tests[0]!;
  if (tests.every((t) => t.op === 'constant')) return { op: 'constant', value: op === 'all' ? tests.every((t) => t.value) : tests.some((t) => t.value) };
  return { op, operands: tests };
}

function formatInteger(value: bigint): string {
  return value >= 0n && value < 10n ? String(value) : value < 0n ? String(value) : formatHex(value);
}

function formatHex(value: bigint): string {
  return `0x${value.toString(16).toUpperCase()}`;
}
