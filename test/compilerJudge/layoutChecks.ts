// Turns the layout JSON printed by `gpupv layout --json` into C source whose compilation
// (or execution) tells whether a real compiler agrees with every number in it. Pure: no I/O,
// so the generated text can be inspected in tests; judge.ts runs the compilers.

export type AbiName = 'msvc-x64' | 'msvc-arm64' | 'sysv-x86_64' | 'sysv-aarch64';

/** Numbers beyond 2^53 arrive as decimal strings. */
export type JsonInteger = number | string;

export interface LayoutField {
  path: string;
  offset: number;
  size: number;
  type: string;
  bitOffset?: number;
  bitWidth?: number;
  count?: number;
}

export interface LayoutRecord {
  name: string;
  kind: 'struct' | 'union';
  size: number;
  align: number;
  file: string;
  line: number;
  fields: LayoutField[];
}

export interface LayoutJson {
  abi: AbiName;
  records: LayoutRecord[];
  enums: { name: string; values: Record<string, JsonInteger> }[];
  constants: Record<string, JsonInteger>;
}

/** A claim checked by one `_Static_assert(expression == literal)`. */
export interface StaticCheck {
  id: number;
  /** What a mismatch names, e.g. "PvgpuCmdDraw.hdr.size: offset". */
  description: string;
  expression: string;
  /** The value as the JSON states it, for messages. */
  expected: string;
  /** The same value as a C literal. */
  literal: string;
  /** Whether the expression is a small non-negative size, so a second compile can reveal its value. */
  revealable: boolean;
}

/** A bit-field leaf; offsetof cannot reach it, so its bits are measured another way. */
export interface BitFieldCheck {
  id: number;
  description: string;
  recordIndex: number;
  recordName: string;
  field: LayoutField & { bitOffset: number; bitWidth: number };
}

export interface CheckPlan {
  staticChecks: StaticCheck[];
  bitFields: BitFieldCheck[];
  recordCount: number;
  fieldCount: number;
}

/** C source plus the line each check sits on, so an error on that line maps back to the check. */
export interface GeneratedSource {
  text: string;
  checkIdByLine: Map<number, number>;
}

const CHECK_TOKEN = 'GPUPV_CHECK';

export function isBitField(field: LayoutField): field is BitFieldCheck['field'] {
  return field.bitWidth !== undefined && field.bitOffset !== undefined;
}

export function planChecks(layout: LayoutJson): CheckPlan {
  const staticChecks: StaticCheck[] = [];
  const bitFields: BitFieldCheck[] = [];
  let nextId = 1;
  const addStatic = (description: string, expression: string, expected: JsonInteger, literal = String(expected), revealable = true): void => {
    staticChecks.push({ id: nextId++, description, expression, expected: String(expected), literal, revealable });
  };
  layout.records.forEach((record, recordIndex) => {
    const type = record.name;
    addStatic(`${type}: size`, `sizeof(${type})`, record.size);
    addStatic(`${type}: align`, `_Alignof(${type})`, record.align);
    for (const field of record.fields) {
      const subject = `${type}.${field.path}`;
      if (isBitField(field)) {
        bitFields.push({ id: nextId++, description: subject, recordIndex, recordName: type, field });
        continue;
      }
      // __builtin_offsetof is what <stddef.h>'s offsetof expands to in gcc and clang; calling
      // it directly means neither the header's own macros nor include order can change it.
      addStatic(`${subject}: offset`, `__builtin_offsetof(${type}, ${field.path})`, field.offset);
      // sizeof is an error on a flexible array member, which the JSON marks with size 0 and count 0.
      if (!(field.size === 0 && field.count === 0)) {
        addStatic(`${subject}: size`, `sizeof(((${type} *)0)->${field.path})`, field.size);
      }
    }
  });
  for (const [name, value] of Object.entries(layout.constants)) {
    const literal = integerLiteral(value);
    if (literal !== undefined) addStatic(`constant ${name}: value`, `(${name})`, value, literal, false);
  }
  for (const enumeration of layout.enums) {
    for (const [name, value] of Object.entries(enumeration.values)) {
      const literal = integerLiteral(value);
      if (literal !== undefined) addStatic(`${enumeration.name}.${name}: value`, `(${name})`, value, literal, false);
    }
  }
  const fieldCount = layout.records.reduce((sum, record) => sum + record.fields.length, 0);
  return { staticChecks, bitFields, recordCount: layout.records.length, fieldCount };
}

/** A C literal with the value of a JSON integer, typed wide enough that comparing it keeps its value. */
export function integerLiteral(value: JsonInteger): string | undefined {
  if (typeof value === 'number' && !Number.isInteger(value)) return undefined;
  if (typeof value === 'string' && !/^-?\d+$/.test(value)) return undefined;
  const big = BigInt(value);
  if (big < -(2n ** 63n) || big >= 2n ** 64n) return undefined;
  // -9223372036854775808LL would negate a literal that does not fit in long long.
  if (big === -(2n ** 63n)) return '(-9223372036854775807LL - 1)';
  if (big < 0n) return `(${big}LL)`;
  return big >= 2n ** 63n ? `${big}ULL` : `${big}LL`;
}

/** The include line every generated file starts with. */
export function includeHeader(headerPath: string): string {
  if (/["\n]/.test(headerPath)) throw new Error(`header path cannot be #included: ${headerPath}`);
  return `#include "${headerPath}"`;
}

/** Builds source line by line, remembering which check each line belongs to. */
export class SourceBuilder {
  private readonly lines: string[] = [];
  private readonly checkIdByLine = new Map<number, number>();

  add(line: string, checkId?: number): void {
    this.lines.push(line);
    if (checkId !== undefined) this.checkIdByLine.set(this.lines.length, checkId);
  }

  build(): GeneratedSource {
    return { text: this.lines.join('\n') + '\n', checkIdByLine: this.checkIdByLine };
  }
}

/** One `_Static_assert` per check; its message carries the check id so an error names it. */
export function staticAssertSource(headerPath: string, checks: readonly StaticCheck[]): GeneratedSource {
  const source = new SourceBuilder();
  source.add(includeHeader(headerPath));
  for (const check of checks) {
    const token = `${CHECK_TOKEN} ${check.id} ${check.description.replace(/^.*: /, '')}`;
    source.add(`_Static_assert(${check.expression} == ${check.literal}, "${token}");`, check.id);
  }
  return source.build();
}

/**
 * Makes the compiler print the value of each expression: the error for multiplying a
 * `char (*)[N]` by 1 spells out N. A failed static assert only says "no" (clang 14 and
 * gcc 12 do not print the operands), and a mismatch is far easier to act on with the number.
 */
export function revealSource(headerPath: string, checks: readonly StaticCheck[]): GeneratedSource {
  const source = new SourceBuilder();
  source.add(includeHeader(headerPath));
  source.add('void gpupv_reveal(void) {');
  for (const check of checks) source.add(`  (void)((char (*)[${check.expression}])0 * 1);`, check.id);
  source.add('}');
  return source.build();
}

/**
 * A program that sets each bit-field to all ones in an otherwise zeroed object and prints
 * `id firstBit width` of the bits that changed (little-endian numbering, as bitOffset is).
 * -1 is all ones for any width and signedness: signed fields take it as is, unsigned ones
 * convert it modulo 2^width, and a 1-bit _Bool field takes it as true.
 */
export function bitFieldProgramSource(headerPath: string, bitFields: readonly BitFieldCheck[]): GeneratedSource {
  const source = new SourceBuilder();
  source.add(includeHeader(headerPath));
  source.add('#include <stdio.h>');
  source.add('#include <string.h>');
  source.add('static void gpupv_report(int id, const unsigned char *bytes, size_t size) {');
  source.add('  long first = -1, last = -1;');
  source.add('  for (size_t bit = 0; bit < size * 8; bit++) {');
  source.add('    if ((bytes[bit / 8] >> (bit % 8)) & 1) { if (first < 0) first = (long)bit; last = (long)bit; }');
  source.add('  }');
  source.add('  printf("%d %ld %ld\\n", id, first, first < 0 ? 0L : last - first + 1);');
  source.add('}');
  source.add('int main(void) {');
  for (const check of bitFields) {
    // static: records can be large, and a record with a flexible array member can still be declared.
    const object = `gpupv_object_${check.id}`;
    source.add(
      `  { static ${check.recordName} ${object}; memset(&${object}, 0, sizeof ${object}); ` +
        `${object}.${check.field.path} = -1; gpupv_report(${check.id}, (const unsigned char *)&${object}, sizeof ${object}); }`,
      check.id,
    );
  }
  source.add('  return 0;');
  source.add('}');
  return source.build();
}

/** An error line of a compiler's output, tied to a check when it is on that check's generated line. */
export interface CompilerError {
  message: string;
  /** The whole line, its location made stable (see compilerErrors). */
  raw: string;
  checkId?: number;
}

/** The check whose static assert failed, from the token in the assert's message. */
export function failedAssertCheckId(message: string): number | undefined {
  const id = new RegExp(`${CHECK_TOKEN} (\\d+) `).exec(message)?.[1];
  return id === undefined ? undefined : Number(id);
}

// Driver errors without a location ("clang: error: ...") are left to the exit status, which
// carries the whole output.
const ERROR_LINE = /^(?:(.+?):(\d+):(?:\d+:)? )?((?:fatal )?error: .*)$/;

/**
 * The error lines of a compiler's output about `source`, compiled from `generatedFile`. Its
 * errors are located by role rather than temporary path, so the same header problem reads
 * the same whichever generated file ran into it (and is reported once).
 */
export function compilerErrors(stderr: string, generatedFile: string, source: GeneratedSource): CompilerError[] {
  const errors: CompilerError[] = [];
  for (const line of stderr.split('\n')) {
    const match = ERROR_LINE.exec(line);
    if (!match) continue;
    const [, file, lineNumber, error = line] = match;
    const inGeneratedFile = file === generatedFile;
    const checkId = inGeneratedFile ? source.checkIdByLine.get(Number(lineNumber)) : undefined;
    errors.push({ message: error.replace(/^(fatal )?error: /, ''), raw: inGeneratedFile ? `generated check file: ${error}` : line, checkId });
  }
  return errors;
}
