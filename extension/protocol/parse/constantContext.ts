import type { Abi } from '../abi';
import { HeaderError, type SourceLocation } from '../diagnostics';
import { evaluate, type EvaluationContext, type TypeFacts } from '../expressions/evaluate';
import { parseExpression, type Designator, type Expression, type TypeName } from '../expressions/expressionParser';
import type { IntValue } from '../expressions/integers';
import type { LayoutEngine } from '../layout/recordLayout';
import { EnumDecl, RecordDecl, resolveTypedefs, type CType } from '../model/types';
import type { Token } from '../preprocessor/tokens';

// Integer constant expressions inside declarations: array sizes, bit-field widths, enum
// values, alignments and static assertions. They may use sizeof, _Alignof, offsetof and
// casts, so they need the types read so far and the layout engine.

export interface ScopeLookups {
  enumConstant(name: string): IntValue | undefined;
  lookupTypedef(name: string): CType | undefined;
  lookupTag(kind: 'struct' | 'union' | 'enum', tag: string): RecordDecl | EnumDecl | undefined;
  keywordType(words: readonly string[]): CType | undefined;
}

const QUALIFIERS = new Set(['const', 'volatile', 'restrict', '__restrict', '_Atomic', '__const', '__volatile__']);

export class ConstantContext {
  constructor(
    private readonly abi: Abi,
    private readonly layout: LayoutEngine,
    private readonly scope: ScopeLookups,
  ) {}

  evaluate(tokens: readonly Token[], location: SourceLocation): IntValue {
    const expression = parseExpression(tokens, { preprocessor: false, isTypeName: (name) => this.scope.lookupTypedef(name) !== undefined }, location);
    return evaluate(expression, this.context());
  }

  context(): EvaluationContext {
    return {
      abi: this.abi,
      preprocessor: false,
      isDefined: () => false,
      identifierValue: (name) => this.scope.enumConstant(name),
      typeFacts: (type) => this.typeFacts(this.typeName(type)),
      offsetOf: (type, designators, index, at) => this.offsetOf(this.typeName(type), designators, index, at),
      sizeOfExpression: (operand, at) => {
        const size = this.layout.sizeOf(this.typeOf(operand, at));
        if (size === undefined) throw new HeaderError('sizeof applied to an incomplete type', at);
        return BigInt(size);
      },
    };
  }

  resolve(type: CType): Exclude<CType, { kind: 'typedef' }> {
    return resolveTypedefs(type);
  }

  private typeFacts(type: CType): TypeFacts {
    const resolved = resolveTypedefs(type);
    const size = this.layout.sizeOf(type);
    const integer =
      resolved.kind === 'integer'
        ? { bits: resolved.size * 8, unsigned: !resolved.signed }
        : resolved.kind === 'enum'
          ? { bits: this.layout.enumType(resolved.decl).size * 8, unsigned: !this.layout.enumType(resolved.decl).signed }
          : resolved.kind === 'pointer'
            ? { bits: 64, unsigned: true }
            : undefined;
    return {
      size: size === undefined ? undefined : BigInt(size),
      align: BigInt(resolved.kind === 'void' ? 1 : this.layout.alignOf(type)),
      ...(integer ? { integer } : {}),
      isPointer: resolved.kind === 'pointer',
    };
  }

  /** A type name as written in casts, sizeof and offsetof: specifiers, then `*`s and `[N]`s. */
  typeName(name: TypeName): CType {
    const tokens = name.tokens.filter((t) => !QUALIFIERS.has(t.text));
    let index = 0;
    let type: CType | undefined;
    const first = tokens[0];
    if (!first) throw new HeaderError('expected a type name', name.location);
    if (first.text === 'struct' || first.text === 'union' || first.text === 'enum') {
      const tag = tokens[1];
      if (tag?.kind !== 'identifier') throw new HeaderError(`expected a tag after "${first.text}"`, first.location);
      const decl = this.scope.lookupTag(first.text, tag.text);
      if (!decl) throw new HeaderError(`${first.text} ${tag.text} is not declared before this point`, tag.location);
      type = decl instanceof RecordDecl ? { kind: 'record', decl } : { kind: 'enum', decl };
      index = 2;
    } else if (first.kind === 'identifier' && this.scope.lookupTypedef(first.text) && this.scope.keywordType([first.text]) === undefined) {
      type = this.scope.lookupTypedef(first.text);
      index = 1;
    } else {
      const words: string[] = [];
      while (tokens[index]?.kind === 'identifier') words.push(tokens[index++]!.text);
      type = this.scope.keywordType(words);
      if (!type) throw new HeaderError(`unknown type "${words.join(' ')}"`, first.location);
    }
    for (; index < tokens.length; index++) {
      const t = tokens[index]!;
      if (t.text === '*') {
        type = { kind: 'pointer', target: type! };
      } else if (t.text === '[') {
        const close = tokens.findIndex((x, i) => i > index && x.text === ']');
        if (close < 0) throw new HeaderError('missing "]"', t.location);
        const length = Number(this.evaluate(tokens.slice(index + 1, close), t.location).value);
        type = { kind: 'array', element: type!, length };
        index = close;
      } else {
        throw new HeaderError(`unsupported type name "${name.tokens.map((x) => x.text).join(' ')}"`, t.location);
      }
    }
    return type!;
  }

  private offsetOf(type: CType, designators: readonly Designator[], index: (e: Expression) => bigint, location: SourceLocation): bigint {
    let current = type;
    let offset = 0n;
    for (const designator of designators) {
      const resolved = resolveTypedefs(current);
      if ('member' in designator) {
        if (resolved.kind !== 'record') throw new HeaderError(`offsetof: "${designator.member}" is not inside a struct or union`, location);
        const found = this.findMember(resolved.decl, designator.member, location);
        if (found.bitField) throw new HeaderError(`offsetof cannot be applied to bit-field "${designator.member}"`, location);
        offset += BigInt(found.offset);
        current = found.type;
      } else {
        if (resolved.kind !== 'array') throw new HeaderError('offsetof: subscript of something that is not an array', location);
        const size = this.layout.sizeOf(resolved.element);
        if (size === undefined) throw new HeaderError('offsetof: array of incomplete type', location);
        offset += index(designator.index) * BigInt(size);
        current = resolved.element;
      }
    }
    return offset;
  }

  /** A member by name, looking through anonymous struct and union members as C does. */
  findMember(decl: RecordDecl, name: string, location: SourceLocation): { offset: number; type: CType; bitField: boolean } {
    const layout = this.layout.layoutOf(decl);
    for (const m of layout.members) {
      if (m.member.name === name) return { offset: m.offset, type: m.member.type, bitField: m.member.bitWidth !== undefined };
      const inner = resolveTypedefs(m.member.type);
      if (m.member.name === undefined && inner.kind === 'record') {
        try {
          const found = this.findMember(inner.decl, name, location);
          return { ...found, offset: m.offset + found.offset };
        } catch {
          // Not in this anonymous member; keep looking.
        }
      }
    }
    throw new HeaderError(`${decl.displayName ?? `anonymous ${decl.kind}`} has no member "${name}"`, location);
  }

  /** The type of an expression, for `sizeof expr` (typically `sizeof(((T *)0)->member)`). */
  private typeOf(e: Expression, location: SourceLocation): CType {
    switch (e.kind) {
      case 'cast':
        return this.typeName(e.type);
      case 'unary':
        if (e.op === '*') {
          const inner = resolveTypedefs(this.typeOf(e.operand, location));
          if (inner.kind === 'pointer') return inner.target;
          if (inner.kind === 'array') return inner.element;
          throw new HeaderError('dereference of something that is not a pointer', e.location);
        }
        return this.integerType(e);
      case 'member': {
        const object = resolveTypedefs(this.typeOf(e.object, location));
        if (object.kind !== 'record') throw new HeaderError(`"${e.member}" is not a member of a struct or union`, e.location);
        return this.findMember(object.decl, e.member, e.location).type;
      }
      case 'index': {
        const object = resolveTypedefs(this.typeOf(e.object, location));
        if (object.kind === 'array') return object.element;
        if (object.kind === 'pointer') return object.target;
        throw new HeaderError('subscript of something that is not an array', e.location);
      }
      case 'string':
        return { kind: 'array', element: this.scope.keywordType(['char'])!, length: e.text.length - 1 };
      default:
        return this.integerType(e);
    }
  }

  private integerType(e: Expression): CType {
    const value = evaluate(e, this.context());
    const words = value.bits === 64 ? ['long', 'long'] : ['int'];
    return this.scope.keywordType(value.unsigned ? ['unsigned', ...words] : words)!;
  }
}
