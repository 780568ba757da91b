// The four ABIs a GPU-PV protocol header is compiled for: the guest driver is built by
// MSVC, the host backend often by GCC/Clang. Only facts that change a layout or a
// constant's value are here; the layout rules that differ live in layout/.

export const ABI_NAMES = ['msvc-x64', 'msvc-arm64', 'sysv-x86_64', 'sysv-aarch64'] as const;
export type AbiName = (typeof ABI_NAMES)[number];
export const DEFAULT_ABI: AbiName = 'msvc-x64';

export interface Abi {
  readonly name: AbiName;
  /** How bit-fields are allocated and `#pragma pack` is applied. */
  readonly family: 'msvc' | 'sysv';
  readonly pointerSize: 8;
  /** 4 on Windows (LLP64), 8 on Linux (LP64). */
  readonly longSize: 4 | 8;
  readonly wcharSize: 2 | 4;
  readonly wcharSigned: boolean;
  readonly charSigned: boolean;
  readonly longDouble: { readonly size: number; readonly align: number };
  /** Unnamed bit-fields (including `:0`) raise the record's alignment. */
  readonly unnamedBitFieldsAlignRecord: boolean;
  /** Macros the compiler predefines for this target. */
  readonly predefinedMacros: Readonly<Record<string, string>>;
}

const GCC_MACROS = {
  __GNUC__: '12', __GNUC_MINOR__: '2', __STDC__: '1', __STDC_VERSION__: '201710L', __linux__: '1', __unix__: '1', __LP64__: '1', _LP64: '1', __CHAR_BIT__: '8',
  // What gcc predefines on both LP64 targets, which glibc's and the kernel's headers test.
  __SCHAR_MAX__: '0x7f', __SHRT_MAX__: '0x7fff', __INT_MAX__: '0x7fffffff', __LONG_MAX__: '0x7fffffffffffffffL', __LONG_LONG_MAX__: '0x7fffffffffffffffLL',
  __SIZEOF_SHORT__: '2', __SIZEOF_INT__: '4', __SIZEOF_LONG__: '8', __SIZEOF_LONG_LONG__: '8', __SIZEOF_POINTER__: '8', __SIZEOF_SIZE_T__: '8',
  __SIZEOF_FLOAT__: '4', __SIZEOF_DOUBLE__: '8', __SIZEOF_LONG_DOUBLE__: '16', __SIZEOF_INT128__: '16',
  __ORDER_LITTLE_ENDIAN__: '1234', __ORDER_BIG_ENDIAN__: '4321', __ORDER_PDP_ENDIAN__: '3412', __BYTE_ORDER__: '__ORDER_LITTLE_ENDIAN__',
};
const MSVC_MACROS = { _MSC_VER: '1940', _MSC_EXTENSIONS: '1', _WIN32: '1', _WIN64: '1', __STDC__: '1', __STDC_VERSION__: '201710L', __CHAR_BIT__: '8' };

const MSVC_64 = {
  family: 'msvc',
  pointerSize: 8,
  longSize: 4,
  wcharSize: 2,
  wcharSigned: false,
  charSigned: true,
  longDouble: { size: 8, align: 8 },
  unnamedBitFieldsAlignRecord: true,
} as const;

const SYSV_64 = {
  family: 'sysv',
  pointerSize: 8,
  longSize: 8,
  wcharSize: 4,
  longDouble: { size: 16, align: 16 },
} as const;

export const ABIS: Readonly<Record<AbiName, Abi>> = {
  'msvc-x64': { name: 'msvc-x64', ...MSVC_64, predefinedMacros: { ...MSVC_MACROS, _M_X64: '100', _M_AMD64: '100', _AMD64_: '1' } },
  'msvc-arm64': { name: 'msvc-arm64', ...MSVC_64, predefinedMacros: { ...MSVC_MACROS, _M_ARM64: '1', _ARM64_: '1' } },
  'sysv-x86_64': {
    name: 'sysv-x86_64',
    ...SYSV_64,
    wcharSigned: true,
    charSigned: true,
    unnamedBitFieldsAlignRecord: false,
    predefinedMacros: { ...GCC_MACROS, __x86_64__: '1', __x86_64: '1', __amd64__: '1', __amd64: '1', __SIZEOF_WCHAR_T__: '4' },
  },
  'sysv-aarch64': {
    name: 'sysv-aarch64',
    ...SYSV_64,
    // AAPCS64: plain char and wchar_t are unsigned, and unnamed bit-fields count towards alignment.
    wcharSigned: false,
    charSigned: false,
    unnamedBitFieldsAlignRecord: true,
    predefinedMacros: { ...GCC_MACROS, __aarch64__: '1', __ARM_64BIT_STATE: '1', __CHAR_UNSIGNED__: '1', __SIZEOF_WCHAR_T__: '4' },
  },
};

export function isAbiName(value: string): value is AbiName {
  return (ABI_NAMES as readonly string[]).includes(value);
}
