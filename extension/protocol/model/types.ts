import type { SourceLocation } from '../diagnostics';

// The C type model the declaration reader builds and the layout engine measures. One
// model per ABI: built-in sizes (long, wchar_t, char signedness) are already concrete.

export type ByteOrder = 'little' | 'big';

export interface IntegerType {
  readonly kind: 'integer';
  /** The spelling that produced it: `unsigned long`, `uint32_t`, `__le32`. */
  readonly name: string;
  readonly size: number;
  readonly align: number;
  readonly signed: boolean;
  readonly byteOrder: ByteOrder;
  readonly isBool?: boolean;
  readonly isChar?: boolean;
}

export interface FloatType {
  readonly kind: 'float';
  readonly name: string;
  readonly size: number;
  readonly align: number;
}

export interface VoidType {
  readonly kind: 'void';
}

export interface FunctionType {
  readonly kind: 'function';
}

export interface PointerType {
  readonly kind: 'pointer';
  readonly target: CType;
}

export interface ArrayType {
  readonly kind: 'array';
  readonly element: CType;
  /** Undefined for a flexible array member (`data[]`). */
  readonly length: number | undefined;
}

export interface RecordType {
  readonly kind: 'record';
  readonly decl: RecordDecl;
}

export interface EnumType {
  readonly kind: 'enum';
  readonly decl: EnumDecl;
}

export interface TypedefType {
  readonly kind: 'typedef';
  readonly name: string;
  readonly target: CType;
  /** `typedef int x __attribute__((aligned(8)))` */
  readonly alignAttribute?: number;
}

export type CType = IntegerType | FloatType | VoidType | FunctionType | PointerType | ArrayType | RecordType | EnumType | TypedefType;

export interface MemberDecl {
  /** Undefined for anonymous struct/union members and unnamed bit-fields. */
  readonly name: string | undefined;
  readonly type: CType;
  readonly bitWidth?: number;
  /** `aligned(n)` / `__declspec(align(n))` on the member. */
  readonly alignAttribute?: number;
  readonly packedAttribute?: boolean;
  readonly location: SourceLocation;
  /** A comment on the same line after the member: the header's own annotation (`/* DXGI_FORMAT *\/`). */
  readonly comment?: string;
}

export class RecordDecl {
  members: MemberDecl[] | undefined;
  readonly typedefNames: string[] = [];
  /** `__attribute__((packed))` on the record. */
  packedAttribute = false;
  /** `aligned(n)` on the record (GCC) or `__declspec(align(n))` (MSVC). */
  alignAttribute: number | undefined;
  /** `#pragma pack` in effect where the record was defined. */
  pack: number | undefined;
  /** Where it was defined, or first named if it never was. */
  location: SourceLocation;
  /** Declared without a tag inside another record (`struct { ... };` members). */
  readonly nested: boolean;

  constructor(
    readonly kind: 'struct' | 'union',
    readonly tag: string | undefined,
    location: SourceLocation,
    nested: boolean,
  ) {
    this.location = location;
    this.nested = nested;
  }

  get complete(): boolean {
    return this.members !== undefined;
  }

  /** The name C code uses for it: its first typedef, else `struct tag`. */
  get displayName(): string | undefined {
    return this.typedefNames[0] ?? (this.tag ? `${this.kind} ${this.tag}` : undefined);
  }
}

export interface EnumConstant {
  readonly name: string;
  readonly value: bigint;
  readonly location: SourceLocation;
}

export class EnumDecl {
  constants: EnumConstant[] | undefined;
  readonly typedefNames: string[] = [];
  /** C23 / MSVC `enum E : type`. */
  underlying: IntegerType | undefined;
  location: SourceLocation;

  constructor(
    readonly tag: string | undefined,
    location: SourceLocation,
  ) {
    this.location = location;
  }

  get displayName(): string | undefined {
    return this.typedefNames[0] ?? (this.tag ? `enum ${this.tag}` : undefined);
  }
}

/** Follows typedefs to the type they name. */
export function resolveTypedefs(type: CType): Exclude<CType, TypedefType> {
  let t = type;
  for (let guard = 0; t.kind === 'typedef' && guard < 1000; guard++) t = t.target;
  return t as Exclude<CType, TypedefType>;
}

/** How the type is written in C, keeping typedef names: `uint32_t`, `struct foo`, `char *`, `float[4]`. */
export function typeSpelling(type: CType): string {
  switch (type.kind) {
    case 'integer':
    case 'float':
    case 'typedef':
      return type.name;
    case 'void':
      return 'void';
    case 'function':
      return 'function';
    case 'pointer':
      return `${typeSpelling(type.target)} *`;
    case 'array': {
      // int x[2][3] is an array of 2 arrays of 3: dimensions read outermost first.
      let element: CType = type;
      let dimensions = '';
      while (element.kind === 'array') {
        dimensions += `[${element.length ?? ''}]`;
        element = element.element;
      }
      return `${typeSpelling(element)}${dimensions}`;
    }
    case 'record':
      return type.decl.tag ? `${type.decl.kind} ${type.decl.tag}` : (type.decl.typedefNames[0] ?? `${type.decl.kind} <anonymous>`);
    case 'enum':
      return type.decl.tag ? `enum ${type.decl.tag}` : (type.decl.typedefNames[0] ?? 'enum <anonymous>');
  }
}
