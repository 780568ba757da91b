import type { Abi } from '../abi';
import type { SourceLocation } from '../diagnostics';
import { RecordDecl, type ByteOrder, type CType, type FloatType, type IntegerType, type MemberDecl } from './types';

// Types that exist without reading any system header: C's own, <stdint.h>/<stddef.h>/
// <stdbool.h>, the Windows driver typedefs and the Linux __u32/__le32 family. Windows
// typedefs keep their Windows widths on every ABI (ULONG is 32 bits, as Wine and every
// cross-platform driver header define it), while C's own `long` and `wchar_t` follow the ABI.

export const BUILTIN_LOCATION: SourceLocation = { file: '<built-in>', line: 1, column: 1 };

/** An integer type of `size` bytes, aligned to its size, little-endian. */
export function int(name: string, size: number, signed: boolean, extra: Partial<IntegerType> = {}): IntegerType {
  return { kind: 'integer', name, size, align: size, signed, byteOrder: 'little', ...extra };
}

export function float(name: string, size: number, align: number): FloatType {
  return { kind: 'float', name, size, align };
}

/** The C keyword types, by their normalised spelling (see `normaliseKeywords`). */
export function keywordTypes(abi: Abi): Map<string, CType> {
  const long = abi.longSize;
  const types: [string, CType][] = [
    ['void', { kind: 'void' }],
    ['char', int('char', 1, abi.charSigned, { isChar: true })],
    ['signed char', int('signed char', 1, true, { isChar: true })],
    ['unsigned char', int('unsigned char', 1, false, { isChar: true })],
    ['short', int('short', 2, true)],
    ['unsigned short', int('unsigned short', 2, false)],
    ['int', int('int', 4, true)],
    ['unsigned int', int('unsigned int', 4, false)],
    ['long', int('long', long, true)],
    ['unsigned long', int('unsigned long', long, false)],
    ['long long', int('long long', 8, true)],
    ['unsigned long long', int('unsigned long long', 8, false)],
    ['_Bool', int('_Bool', 1, false, { isBool: true })],
    ['float', float('float', 4, 4)],
    ['double', float('double', 8, 8)],
    ['long double', float('long double', abi.longDouble.size, abi.longDouble.align)],
    ['__int8', int('__int8', 1, true)],
    ['unsigned __int8', int('unsigned __int8', 1, false)],
    ['__int16', int('__int16', 2, true)],
    ['unsigned __int16', int('unsigned __int16', 2, false)],
    ['__int32', int('__int32', 4, true)],
    ['unsigned __int32', int('unsigned __int32', 4, false)],
    ['__int64', int('__int64', 8, true)],
    ['unsigned __int64', int('unsigned __int64', 8, false)],
  ];
  return new Map(types);
}

/**
 * Canonical spelling of a keyword type specifier list, or undefined if it is not one:
 * `long unsigned int` -> `unsigned long`, `signed` -> `int`, `short int` -> `short`.
 */
export function normaliseKeywords(words: readonly string[]): string | undefined {
  const count = (w: string) => words.filter((x) => x === w || x === `__${w}__` || x === `__${w}`).length;
  const known = new Set(['signed', 'unsigned', 'char', 'short', 'int', 'long', 'float', 'double', 'void', '_Bool', '__int8', '__int16', '__int32', '__int64', '__signed__', '__signed']);
  if (words.length === 0 || words.some((w) => !known.has(w))) return undefined;
  const unsigned = count('unsigned') > 0;
  const signed = count('signed') > 0;
  if (unsigned && signed) return undefined;
  const longs = count('long');
  for (const base of ['void', '_Bool', 'float']) if (count(base)) return words.length === 1 ? base : undefined;
  if (count('double')) return longs === 1 ? 'long double' : longs === 0 && words.length === 1 ? 'double' : undefined;
  const msvcInt = ['__int8', '__int16', '__int32', '__int64'].find((w) => words.includes(w));
  if (msvcInt) return unsigned ? `unsigned ${msvcInt}` : msvcInt;
  let base: string;
  if (count('char')) base = 'char';
  else if (count('short')) base = 'short';
  else if (longs === 1) base = 'long';
  else if (longs === 2) base = 'long long';
  else if (longs > 2) return undefined;
  else base = 'int';
  if (base === 'char') return unsigned ? 'unsigned char' : signed ? 'signed char' : 'char';
  return unsigned ? `unsigned ${base}` : base;
}

/** Typedef-like names that need no declaration in the header. */
export function builtinTypedefs(abi: Abi): Map<string, CType> {
  const types = new Map<string, CType>();
  const add = (name: string, type: CType) => types.set(name, type);
  const fixed = (name: string, size: number, signed: boolean, byteOrder: ByteOrder = 'little') => add(name, int(name, size, signed, { byteOrder }));
  const pointer = (name: string) => add(name, { kind: 'typedef', name, target: { kind: 'pointer', target: { kind: 'void' } } });

  for (const bits of [8, 16, 32, 64]) {
    const size = bits / 8;
    for (const prefix of ['', '_least', '_fast']) {
      fixed(`int${prefix}${bits}_t`, size, true);
      fixed(`uint${prefix}${bits}_t`, size, false);
    }
    fixed(`__u${bits}`, size, false);
    fixed(`__s${bits}`, size, true);
    fixed(`u_int${bits}_t`, size, false);
    fixed(`UINT${bits}`, size, false);
    fixed(`INT${bits}`, size, true);
    if (bits > 8) {
      fixed(`__le${bits}`, size, false, 'little');
      fixed(`__be${bits}`, size, false, 'big');
    }
  }
  for (const name of ['size_t', 'uintptr_t', 'uintmax_t', 'SIZE_T', 'ULONG_PTR', 'UINT_PTR', 'DWORD_PTR', 'ULONG64', 'DWORD64', 'ULONGLONG', 'UINT64', '__kernel_size_t', 'QWORD']) fixed(name, 8, false);
  for (const name of ['ptrdiff_t', 'intptr_t', 'intmax_t', 'ssize_t', 'SSIZE_T', 'LONG_PTR', 'INT_PTR', 'LONG64', 'LONGLONG', 'INT64']) fixed(name, 8, true);
  fixed('wchar_t', abi.wcharSize, abi.wcharSigned);
  fixed('char16_t', 2, false);
  fixed('char32_t', 4, false);
  add('bool', int('bool', 1, false, { isBool: true }));
  for (const name of ['BYTE', 'UCHAR', 'BOOLEAN']) fixed(name, 1, false);
  for (const name of ['CHAR', 'CCHAR']) fixed(name, 1, true);
  for (const name of ['USHORT', 'WORD', 'WCHAR']) fixed(name, 2, false);
  for (const name of ['SHORT', 'CSHORT']) fixed(name, 2, true);
  for (const name of ['UINT', 'ULONG', 'DWORD', 'DWORD32', 'UINT32', 'ULONG32']) fixed(name, 4, false);
  for (const name of ['INT', 'LONG', 'BOOL', 'INT32', 'LONG32', 'NTSTATUS', 'HRESULT']) fixed(name, 4, true);
  add('FLOAT', float('FLOAT', 4, 4));
  add('DOUBLE', float('DOUBLE', 8, 8));
  for (const name of ['HANDLE', 'PVOID', 'LPVOID', 'PUCHAR', 'PULONG', 'PCHAR', 'PBYTE', 'PWCHAR', 'PUSHORT', 'HWND', 'HDC', 'PSTR', 'PWSTR', 'LPSTR', 'LPWSTR', 'PCSTR', 'PCWSTR']) pointer(name);

  const largeInteger = largeIntegerRecord(types);
  add('LARGE_INTEGER', { kind: 'typedef', name: 'LARGE_INTEGER', target: { kind: 'record', decl: largeInteger } });
  add('PHYSICAL_ADDRESS', { kind: 'typedef', name: 'PHYSICAL_ADDRESS', target: types.get('LARGE_INTEGER')! });
  add('ULARGE_INTEGER', { kind: 'typedef', name: 'ULARGE_INTEGER', target: { kind: 'record', decl: largeIntegerRecord(types, true) } });
  add('GUID', { kind: 'typedef', name: 'GUID', target: { kind: 'record', decl: guidRecord(types) } });
  return types;
}

function member(name: string | undefined, type: CType): MemberDecl {
  return { name, type, location: BUILTIN_LOCATION };
}

function largeIntegerRecord(types: Map<string, CType>, unsigned = false): RecordDecl {
  const high = types.get(unsigned ? 'DWORD' : 'LONG')!;
  const parts = new RecordDecl('struct', undefined, BUILTIN_LOCATION, true);
  parts.members = [member('LowPart', types.get('DWORD')!), member('HighPart', high)];
  const u = new RecordDecl('struct', undefined, BUILTIN_LOCATION, true);
  u.members = [member('LowPart', types.get('DWORD')!), member('HighPart', high)];
  const decl = new RecordDecl('union', unsigned ? '_ULARGE_INTEGER' : '_LARGE_INTEGER', BUILTIN_LOCATION, false);
  decl.members = [
    member(undefined, { kind: 'record', decl: parts }),
    member('u', { kind: 'record', decl: u }),
    member('QuadPart', types.get(unsigned ? 'ULONGLONG' : 'LONGLONG')!),
  ];
  decl.typedefNames.push(unsigned ? 'ULARGE_INTEGER' : 'LARGE_INTEGER');
  return decl;
}

function guidRecord(types: Map<string, CType>): RecordDecl {
  const decl = new RecordDecl('struct', '_GUID', BUILTIN_LOCATION, false);
  decl.members = [
    member('Data1', types.get('ULONG')!),
    member('Data2', types.get('USHORT')!),
    member('Data3', types.get('USHORT')!),
    member('Data4', { kind: 'array', element: types.get('UCHAR')!, length: 8 }),
  ];
  decl.typedefNames.push('GUID');
  return decl;
}
