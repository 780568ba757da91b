import type { FieldRef, FilterRecord } from './filterApi';
import type { ArithmeticOperator, CompareOperator, PseudoField, Test, Value } from './ir';
import * as rt from './runtime';

// The closure back end: each node becomes a function of the record. It runs where generated
// code may not (a webview's CSP forbids `new Function`), folds constants for the compiler,
// and checks the generated code in the fuzz tests by giving the same answers.

type AnyRecord = FilterRecord;
export type ValueFn = (r: AnyRecord) => rt.Num | undefined;
export type TestFn = (r: AnyRecord) => boolean;
type Binary = (a: rt.Num | undefined, b: rt.Num | undefined) => rt.Num | undefined;

const INT_OPERATORS: Readonly<Record<ArithmeticOperator, Binary>> = {
  '+': rt.intAdd, '-': rt.intSubtract, '*': rt.intMultiply, '/': rt.intDivide, '%': rt.intRemainder,
  '<<': rt.intShiftLeft, '>>': rt.intShiftRight, '&': rt.intAnd, '|': rt.intOr, '^': rt.intXor,
};
const FLOAT_OPERATORS: Readonly<Partial<Record<ArithmeticOperator, Binary>>> = {
  '+': rt.floatAdd, '-': rt.floatSubtract, '*': rt.floatMultiply, '/': rt.floatDivide, '%': rt.floatRemainder,
};
const COMPARISONS: Readonly<Record<CompareOperator, (a: rt.Num | undefined, b: rt.Num | undefined) => boolean>> = {
  '==': rt.equal, '!=': rt.notEqual, '<': rt.less, '<=': rt.lessOrEqual, '>': rt.greater, '>=': rt.greaterOrEqual,
};

export function valueClosure(node: Value, fields: readonly FieldRef[]): ValueFn {
  switch (node.op) {
    case 'const': {
      const value = rt.runtimeConstant(node.value);
      return () => value;
    }
    case 'field': {
      const field = fields[node.field]!;
      return (r) => rt.numeric(r.get(field));
    }
    case 'pseudo':
      return pseudoClosure(node.name);
    case 'negate': {
      const operand = valueClosure(node.operand, fields);
      const negate = node.type === 'int' ? rt.intNegate : rt.floatNegate;
      return (r) => negate(operand(r));
    }
    case 'complement': {
      const operand = valueClosure(node.operand, fields);
      return (r) => rt.intComplement(operand(r));
    }
    case 'arithmetic': {
      const left = valueClosure(node.left, fields);
      const right = valueClosure(node.right, fields);
      const apply = (node.type === 'float' ? FLOAT_OPERATORS[node.operator] : undefined) ?? INT_OPERATORS[node.operator];
      return (r) => apply(left(r), right(r));
    }
    case 'test': {
      const test = testClosure(node.test, fields);
      return (r) => (test(r) ? 1 : 0);
    }
  }
}

function pseudoClosure(name: PseudoField): ValueFn {
  switch (name) {
    case 'opcode':
      return (r) => r.opcode;
    case 'size':
      return (r) => r.size;
    case 'offset':
      return (r) => r.offset;
    case 'seq':
      return (r) => r.seq;
    case 'time':
      return (r) => r.time;
    case 'error':
      return (r) => (r.error ? 1 : 0);
    case 'recovered':
      return (r) => (r.recovered ? 1 : 0);
  }
}

export function testClosure(node: Test, fields: readonly FieldRef[]): TestFn {
  switch (node.op) {
    case 'constant': {
      const value = node.value;
      return () => value;
    }
    case 'truthy': {
      const value = valueClosure(node.value, fields);
      return (r) => rt.truthy(value(r));
    }
    case 'compare':
      return compareClosure(node.operator, node.left, node.right, fields);
    case 'not': {
      const operand = testClosure(node.operand, fields);
      return (r) => !operand(r);
    }
    case 'all':
    case 'any':
      return balanced(node.operands.map((o) => testClosure(o, fields)), node.op === 'all');
    case 'member': {
      const value = valueClosure(node.value, fields);
      const set = node.set;
      if (!node.negated) return (r) => set.has(value(r));
      return (r) => {
        const v = value(r);
        return v !== undefined && !set.has(v);
      };
    }
    case 'bytesEqual': {
      const field = fields[node.field]!;
      const text = node.text;
      return node.negated ? (r) => rt.bytesNotEqual(r.get(field), text) : (r) => rt.bytesEqual(r.get(field), text);
    }
    case 'bytesMatch': {
      const field = fields[node.field]!;
      const pattern = node.pattern;
      return (r) => rt.bytesMatch(r.get(field), pattern);
    }
  }
}

/** `a && b && ...` as a balanced tree: thousands of clauses stay a few calls deep. */
function balanced(tests: readonly TestFn[], all: boolean): TestFn {
  if (tests.length === 1) return tests[0]!;
  const middle = tests.length >> 1;
  const a = balanced(tests.slice(0, middle), all);
  const b = balanced(tests.slice(middle), all);
  return all ? (r) => a(r) && b(r) : (r) => a(r) || b(r);
}

/** The common case, a field against a constant, gets a closure of its own. */
function compareClosure(operator: CompareOperator, leftNode: Value, rightNode: Value, fields: readonly FieldRef[]): TestFn {
  const left = valueClosure(leftNode, fields);
  const compare = COMPARISONS[operator];
  if (rightNode.op === 'const') {
    const k = rt.runtimeConstant(rightNode.value);
    return (r) => compare(left(r), k);
  }
  const right = valueClosure(rightNode, fields);
  return (r) => compare(left(r), right(r));
}
