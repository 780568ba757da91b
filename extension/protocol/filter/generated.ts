import type { FieldRef, FilterRecord } from './filterApi';
import type { ArithmeticOperator, PseudoField, Test, Value } from './ir';
import * as rt from './runtime';

// The generated-code back end: the whole filter becomes one JavaScript function, which V8
// optimises as a unit. On a million records it matches the closures for the first filter a
// process compiles and runs 2 to 3 times faster once a few filters have been used, as in a
// viewer: the closures' code is shared by every filter and its call sites go megamorphic,
// each generated function has its own.
// No text of the filter reaches the code: fields are `f0, f1...` taken from the field table,
// every literal and symbol is `k0, k1...` taken from a constant table, helpers come from
// runtime.ts by their own names. What is spliced in is only this file's own spellings.

type Matcher = (record: FilterRecord) => boolean;

const INT_HELPERS: Readonly<Record<ArithmeticOperator, keyof typeof rt>> = {
  '+': 'intAdd', '-': 'intSubtract', '*': 'intMultiply', '/': 'intDivide', '%': 'intRemainder',
  '<<': 'intShiftLeft', '>>': 'intShiftRight', '&': 'intAnd', '|': 'intOr', '^': 'intXor',
};
const FLOAT_HELPERS: Readonly<Partial<Record<ArithmeticOperator, keyof typeof rt>>> = {
  '+': 'floatAdd', '-': 'floatSubtract', '*': 'floatMultiply', '/': 'floatDivide', '%': 'floatRemainder',
};
const PSEUDO_READS: Readonly<Record<PseudoField, string>> = {
  opcode: 'r.opcode', size: 'r.size', offset: 'r.offset', seq: 'r.seq', time: 'r.time', error: '(r.error ? 1 : 0)', recovered: '(r.recovered ? 1 : 0)',
};

let generationAllowed: boolean | undefined;

/** False where a Content-Security-Policy without 'unsafe-eval' forbids `new Function`. */
export function canGenerateCode(): boolean {
  if (generationAllowed === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- probing whether code generation is allowed here
      generationAllowed = (new Function('return true') as () => boolean)();
    } catch {
      generationAllowed = false;
    }
  }
  return generationAllowed;
}

export function generateMatcher(test: Test, fields: readonly FieldRef[]): Matcher {
  const emitter = new Emitter();
  const body = emitter.test(test);
  const source = [
    '"use strict";',
    `const { ${Object.keys(rt).join(', ')} } = H;`,
    ...fields.map((_, i) => `const f${i} = F[${i}];`),
    ...emitter.constants.map((_, i) => `const k${i} = K[${i}];`),
    'return function matches(r) {',
    emitter.temps ? `  let ${Array.from({ length: emitter.temps }, (_, i) => `t${i}`).join(', ')};` : '',
    `  return ${body};`,
    '};',
  ].join('\n');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the point of this back end; see the comment at the top
  const factory = new Function('F', 'K', 'H', source) as (f: readonly FieldRef[], k: readonly unknown[], h: typeof rt) => Matcher;
  return factory(fields, emitter.constants, rt);
}

/** Long chains of clauses as balanced parentheses, so nothing that parses the code recurses deeply. */
function balanced(parts: readonly string[], operator: string): string {
  if (parts.length <= 8) return `(${parts.join(operator)})`;
  const middle = parts.length >> 1;
  return `(${balanced(parts.slice(0, middle), operator)}${operator}${balanced(parts.slice(middle), operator)})`;
}

class Emitter {
  readonly constants: unknown[] = [];
  temps = 0;

  test(node: Test): string {
    switch (node.op) {
      case 'constant':
        return node.value ? 'true' : 'false';
      case 'truthy':
        return `truthy(${this.value(node.value)})`;
      case 'compare': {
        const left = this.value(node.left);
        const right = this.value(node.right);
        if (node.operator === '==') {
          const t = this.temp();
          return `((${t} = ${left}) !== undefined && ${t} == ${right})`;
        }
        if (node.operator === '!=') {
          const a = this.temp();
          const b = node.right.op === 'const' ? right : this.temp();
          return `((${a} = ${left}) !== undefined && ${b === right ? '' : `(${b} = ${right}) !== undefined && `}${a} != ${b})`;
        }
        // Relational operators are false with undefined on either side, and exact between number and bigint.
        return `(${left} ${node.operator} ${right})`;
      }
      case 'not':
        return `!${this.test(node.operand)}`;
      case 'all':
      case 'any':
        return balanced(node.operands.map((o) => this.test(o)), node.op === 'all' ? ' && ' : ' || ');
      case 'member': {
        const set = this.constant(node.set);
        if (!node.negated) return `${set}.has(${this.value(node.value)})`;
        const t = this.temp();
        return `((${t} = ${this.value(node.value)}) !== undefined && !${set}.has(${t}))`;
      }
      case 'bytesEqual':
        return `${node.negated ? 'bytesNotEqual' : 'bytesEqual'}(r.get(f${node.field}), ${this.constant(node.text)})`;
      case 'bytesMatch':
        return `bytesMatch(r.get(f${node.field}), ${this.constant(node.pattern)})`;
    }
  }

  private value(node: Value): string {
    switch (node.op) {
      case 'const':
        return this.constant(rt.runtimeConstant(node.value));
      case 'field':
        return `numeric(r.get(f${node.field}))`;
      case 'pseudo':
        return PSEUDO_READS[node.name];
      case 'negate':
        return `${node.type === 'int' ? 'intNegate' : 'floatNegate'}(${this.value(node.operand)})`;
      case 'complement':
        return `intComplement(${this.value(node.operand)})`;
      case 'arithmetic': {
        const helper = (node.type === 'float' ? FLOAT_HELPERS[node.operator] : undefined) ?? INT_HELPERS[node.operator];
        return `${helper}(${this.value(node.left)}, ${this.value(node.right)})`;
      }
      case 'test':
        return `(${this.test(node.test)} ? 1 : 0)`;
    }
  }

  private constant(value: unknown): string {
    this.constants.push(value);
    return `k${this.constants.length - 1}`;
  }

  private temp(): string {
    return `t${this.temps++}`;
  }
}
