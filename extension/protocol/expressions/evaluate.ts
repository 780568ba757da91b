import type { Abi } from '../abi';
import { HeaderError, type SourceLocation } from '../diagnostics';
import type { Designator, Expression, TypeName } from './expressionParser';
import { commonType, intOf, parseCharacterLiteral, parseIntegerLiteral, promote, wrap, type IntValue } from './integers';

// Evaluates a parsed constant expression exactly, the way the compiler does for the ABI
// at hand. Anything that is not an integer constant expression is a HeaderError at the
// offending token, never a guess.

/** What a type name stands for, as far as constant expressions care. */
export interface TypeFacts {
  readonly size: bigint | undefined;
  readonly align: bigint;
  /** For integer (and enum, bool) types: the width and signedness a cast converts to. */
  readonly integer?: { readonly bits: number; readonly unsigned: boolean };
  readonly isPointer: boolean;
}

export interface EvaluationContext {
  readonly abi: Abi;
  readonly preprocessor: boolean;
  /** `#if`: whether a macro is defined. */
  isDefined(name: string): boolean;
  /** An enum constant (or another named integer constant) in scope. */
  identifierValue(name: string, location: SourceLocation): IntValue | undefined;
  typeFacts(type: TypeName): TypeFacts;
  offsetOf(type: TypeName, designators: readonly Designator[], index: (e: Expression) => bigint, location: SourceLocation): bigint;
  sizeOfExpression(operand: Expression, location: SourceLocation): bigint;
}

export function evaluate(expression: Expression, context: EvaluationContext): IntValue {
  return new Evaluator(context).run(expression);
}

const SIZE_T = { bits: 64, unsigned: true } as const;

class Evaluator {
  constructor(private readonly context: EvaluationContext) {}

  run(e: Expression): IntValue {
    switch (e.kind) {
      case 'number': {
        const value = parseIntegerLiteral(e.text, this.context.abi, this.context.preprocessor);
        if (typeof value === 'string') {
          throw new HeaderError(/[.eEpP]/.test(e.text) && !/^0x/i.test(e.text) ? `floating constant ${e.text} in an integer constant expression` : value, e.location);
        }
        return value;
      }
      case 'char': {
        const value = parseCharacterLiteral(e.text);
        if (typeof value === 'string') throw new HeaderError(value, e.location);
        return this.widen(value);
      }
      case 'string':
        throw new HeaderError('a string literal is not an integer constant', e.location);
      case 'identifier': {
        if (this.context.preprocessor) {
          // C11 6.10.1p4: identifiers left after macro expansion are 0 in #if.
          return this.widen(intOf(e.name === 'true' ? 1 : 0));
        }
        const value = this.context.identifierValue(e.name, e.location);
        if (!value) throw new HeaderError(`"${e.name}" is not a constant known here`, e.location);
        return value;
      }
      case 'defined':
        return this.widen(intOf(this.context.isDefined(e.name)));
      case 'unary':
        return this.unary(e.op, e.operand, e.location);
      case 'binary':
        return this.binary(e.op, e.left, e.right, e.location);
      case 'conditional': {
        const test = this.run(e.test);
        const then = this.run(e.then);
        const otherwise = this.run(e.otherwise);
        const type = commonType(then, otherwise);
        return intOf(test.value !== 0n ? then.value : otherwise.value, type);
      }
      case 'cast': {
        const facts = this.context.typeFacts(e.type);
        if (!facts.integer) throw new HeaderError('a cast in a constant expression must be to an integer type', e.location);
        return intOf(this.run(e.operand).value, facts.integer);
      }
      case 'sizeofType': {
        const { size } = this.context.typeFacts(e.type);
        if (size === undefined) throw new HeaderError('sizeof applied to an incomplete type', e.location);
        return intOf(size, SIZE_T);
      }
      case 'alignofType':
        return intOf(this.context.typeFacts(e.type).align, SIZE_T);
      case 'sizeofExpression':
        return intOf(this.context.sizeOfExpression(e.operand, e.location), SIZE_T);
      case 'offsetof':
        return intOf(this.context.offsetOf(e.type, e.designators, (index) => this.run(index).value, e.location), SIZE_T);
      case 'member':
      case 'index':
        throw new HeaderError('member access is not an integer constant (did you mean offsetof or sizeof?)', e.location);
    }
  }

  /** In #if every value is intmax_t or uintmax_t. */
  private widen(v: IntValue): IntValue {
    return this.context.preprocessor ? intOf(v.value, { bits: 64, unsigned: v.unsigned }) : v;
  }

  private unary(op: string, operand: Expression, location: SourceLocation): IntValue {
    const v = promote(this.run(operand));
    switch (op) {
      case '-':
        return intOf(-v.value, v);
      case '+':
        return v;
      case '~':
        return intOf(~v.value, v);
      case '!':
        return this.widen(intOf(v.value === 0n));
      default:
        throw new HeaderError(`operator ${op} is not allowed in a constant expression`, location);
    }
  }

  private binary(op: string, leftExpression: Expression, rightExpression: Expression, location: SourceLocation): IntValue {
    const left = this.run(leftExpression);
    if (op === '&&' || op === '||') {
      // Short-circuit: `defined(X) && X > 2` must not evaluate the right side's errors.
      if (op === '&&' && left.value === 0n) return this.widen(intOf(0));
      if (op === '||' && left.value !== 0n) return this.widen(intOf(1));
      return this.widen(intOf(this.run(rightExpression).value !== 0n));
    }
    const right = this.run(rightExpression);
    if (op === '<<' || op === '>>') return this.shift(op, promote(left), promote(right), location);
    const type = commonType(left, right);
    const a = wrap(left.value, type.bits, type.unsigned);
    const b = wrap(right.value, type.bits, type.unsigned);
    switch (op) {
      case '+':
        return intOf(a + b, type);
      case '-':
        return intOf(a - b, type);
      case '*':
        return intOf(a * b, type);
      case '/':
      case '%':
        if (b === 0n) throw new HeaderError(`division by zero in constant expression`, location);
        return intOf(op === '/' ? a / b : a % b, type);
      case '&':
        return intOf(a & b, type);
      case '|':
        return intOf(a | b, type);
      case '^':
        return intOf(a ^ b, type);
      case '==':
        return this.widen(intOf(a === b));
      case '!=':
        return this.widen(intOf(a !== b));
      case '<':
        return this.widen(intOf(a < b));
      case '>':
        return this.widen(intOf(a > b));
      case '<=':
        return this.widen(intOf(a <= b));
      case '>=':
        return this.widen(intOf(a >= b));
      default:
        throw new HeaderError(`operator ${op} is not allowed in a constant expression`, location);
    }
  }

  private shift(op: string, left: IntValue, right: IntValue, location: SourceLocation): IntValue {
    const count = right.value;
    if (count < 0n || count >= BigInt(left.bits)) {
      throw new HeaderError(`shift count ${count} is out of range for a ${left.bits}-bit value`, location);
    }
    // `>>` of a negative value is arithmetic on every compiler we model.
    return intOf(op === '<<' ? left.value << count : left.value >> count, left);
  }
}
