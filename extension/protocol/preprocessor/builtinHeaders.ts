// System headers a protocol header includes whose contents are built into the engine
// (their types come from model/builtinTypes.ts). They serve when no include directory has
// the header, so a protocol header lays out without any SDK installed; where the include
// directories do have it, the real header is read, as the compiler would.

export const BUILTIN_HEADERS = new Set([
  'stdint.h', 'stddef.h', 'stdbool.h', 'inttypes.h', 'stdalign.h', 'assert.h', 'limits.h', 'uchar.h', 'wchar.h', 'float.h',
  'windows.h', 'windef.h', 'winnt.h', 'minwindef.h', 'basetsd.h', 'ntdef.h', 'ntddk.h', 'wdm.h', 'ntifs.h', 'guiddef.h', 'initguid.h', 'sal.h', 'specstrings.h', 'dxgiformat.h',
  'linux/types.h', 'asm/types.h', 'sys/types.h', 'linux/virtio_types.h', 'linux/const.h', 'asm-generic/int-ll64.h',
]);

/** Macros a built-in header defines when it is included. */
export const BUILTIN_HEADER_MACROS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'stdbool.h': { true: '1', false: '0', __bool_true_false_are_defined: '1' },
  'stdalign.h': { alignas: '_Alignas', alignof: '_Alignof', __alignas_is_defined: '1', __alignof_is_defined: '1' },
  'stddef.h': { NULL: '((void*)0)' },
  'assert.h': { static_assert: '_Static_assert' },
  // The limits every one of the four ABIs shares; LONG_* and CHAR_MIN/MAX differ between them and are left out.
  'limits.h': {
    CHAR_BIT: '8', SCHAR_MIN: '(-128)', SCHAR_MAX: '127', UCHAR_MAX: '255', SHRT_MIN: '(-32768)', SHRT_MAX: '32767', USHRT_MAX: '65535',
    INT_MIN: '(-2147483647-1)', INT_MAX: '2147483647', UINT_MAX: '4294967295U', LLONG_MIN: '(-9223372036854775807LL-1)', LLONG_MAX: '9223372036854775807LL', ULLONG_MAX: '18446744073709551615ULL',
  },
  'stdint.h': {
    INT8_MAX: '127', INT16_MAX: '32767', INT32_MAX: '2147483647', INT64_MAX: '9223372036854775807LL',
    UINT8_MAX: '255', UINT16_MAX: '65535', UINT32_MAX: '4294967295U', UINT64_MAX: '18446744073709551615ULL',
    INT8_MIN: '(-127-1)', INT16_MIN: '(-32767-1)', INT32_MIN: '(-2147483647-1)', INT64_MIN: '(-9223372036854775807LL-1)',
  },
};
