import type { Num, ValueSet } from './runtime';

// What a filter means once every name is resolved and every type checked: the input of
// both back ends. Values produce a number (or nothing); tests produce true or false.
// Fields are indexes into the compiled filter's field table, never names.

export type NumericType = 'int' | 'float';

export type PseudoField = 'opcode' | 'size' | 'offset' | 'seq' | 'time' | 'error' | 'recovered';

export type ArithmeticOperator = '+' | '-' | '*' | '/' | '%' | '<<' | '>>' | '&' | '|' | '^';

export type CompareOperator = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type Value =
  | { readonly op: 'const'; readonly type: NumericType; readonly value: Num }
  | { readonly op: 'field'; readonly type: NumericType; readonly field: number }
  | { readonly op: 'pseudo'; readonly type: 'int'; readonly name: PseudoField }
  | { readonly op: 'negate' | 'complement'; readonly type: NumericType; readonly operand: Value }
  | { readonly op: 'arithmetic'; readonly type: NumericType; readonly operator: ArithmeticOperator; readonly left: Value; readonly right: Value }
  /** A test used as a number: 1 or 0, as in C. */
  | { readonly op: 'test'; readonly type: 'int'; readonly test: Test };

export type Test =
  | { readonly op: 'constant'; readonly value: boolean }
  | { readonly op: 'truthy'; readonly value: Value }
  | { readonly op: 'compare'; readonly operator: CompareOperator; readonly left: Value; readonly right: Value }
  | { readonly op: 'not'; readonly operand: Test }
  | { readonly op: 'all' | 'any'; readonly operands: readonly Test[] }
  /** `in (...)` over constants; negated is `not in`, still false when the value is absent. */
  | { readonly op: 'member'; readonly value: Value; readonly set: ValueSet; readonly negated: boolean }
  | { readonly op: 'bytesEqual'; readonly field: number; readonly text: string; readonly negated: boolean }
  | { readonly op: 'bytesMatch'; readonly field: number; readonly pattern: RegExp };
