import * as assert from 'node:assert/strict';
import { analyzeSources, analyzeText, errors, record } from './inMemoryHeaders';

describe('protocol engine: preprocessor', () => {
  it('follows #include "..." relative to the including file, then the include directories', async () => {
    const analysis = await analyzeSources(
      {
        '/p/main.h': '#include "sub/a.h"\n#include "b.h"\nstruct M { A a; B b; };',
        '/p/sub/a.h': '#pragma once\ntypedef struct A { int x; } A;',
        '/inc/b.h': '#ifndef B_H\n#define B_H\n#include "../p/sub/a.h"\ntypedef struct B { A a[2]; } B;\n#endif',
      },
      'msvc-x64',
      { includeDirs: ['/inc'] },
    );
    assert.deepEqual(errors(analysis), []);
    assert.equal(record(analysis, 'M').size, 12);
    assert.deepEqual(analysis.files, ['/p/main.h', '/p/sub/a.h', '/inc/b.h']);
  });

  it('reports a missing quoted include and an unguarded include recursion with file and line', async () => {
    const missing = await analyzeText('\n#include "nowhere.h"\nstruct S { int a; };');
    assert.match(errors(missing)[0]!, /^2:\d+ cannot find "nowhere.h"/);
    assert.equal(record(missing, 'S').size, 4, 'the rest still lays out');
    const cycle = await analyzeSources({ '/c/a.h': '#include "b.h"\n', '/c/b.h': '\n#include "a.h"\n' });
    assert.match(errors(cycle).join('\n'), /#include nested more than 200 deep: \/c\/a\.h -> \/c\/b\.h -> \/c\/a\.h repeats without an include guard/);
  });

  it('follows headers that include each other behind guards, as C allows, and reads a guarded one once', async () => {
    let reads = 0;
    const sources: Record<string, string> = {
      '/g/main.h': '#include "a.h"\n#include "b.h"\n#include "a.h"\n#include "else.h"\n#include "else.h"\nstruct M { A a; struct B b; };',
      '/g/a.h': '#ifndef A_H\n#define A_H\n#include "b.h"\ntypedef struct A { int x; } A;\n#endif\n',
      '/g/b.h': '#if !defined(B_H)\n#define B_H\n#include "a.h"\nstruct B { long long y; };\n#endif\n',
      // Not a guard: its #else holds what a second inclusion reads.
      '/g/else.h': '#ifndef E_H\n#define E_H\nstruct E1 { int e; };\n#else\nstruct E2 { char e; };\n#endif\n',
    };
    const counted = new Proxy(sources, { get: (target, key: string) => (key === '/g/a.h' && reads++, target[key]) });
    const analysis = await analyzeSources(counted, 'sysv-x86_64');
    assert.deepEqual(errors(analysis), []);
    assert.equal(record(analysis, 'M').size, 16);
    record(analysis, 'E1');
    record(analysis, 'E2');
    assert.deepEqual(analysis.files, ['/g/main.h', '/g/a.h', '/g/b.h', '/g/else.h']);
    assert.ok(reads <= 2, `a.h read ${reads} times`);
  });

  it('expands GNU named variable arguments, `, ## __VA_ARGS__`, __VA_OPT__ and #__VA_ARGS__', async () => {
    const analysis = await analyzeText(
      [
        '#define GROUP(TAG, MEMBERS...) union { struct { MEMBERS }; struct TAG { MEMBERS } named; }',
        '#define LIST(first, ...) int first, ## __VA_ARGS__;',
        '#define OPT(x, ...) int x __VA_OPT__(, __VA_ARGS__);',
        '#define NAME(...) #__VA_ARGS__',
        'struct S { GROUP(inner, int a; int b;); LIST(c) LIST(d, e, f) OPT(g) OPT(h, i) char n[sizeof(NAME(x, y))]; };',
      ].join('\n'),
      'sysv-x86_64',
    );
    assert.deepEqual(errors(analysis), []);
    assert.deepEqual(record(analysis, 'S').fields.map((f) => f.path).filter((p) => !p.includes('.')), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'n']);
    assert.equal(record(analysis, 'S').fields.find((f) => f.path === 'n')!.size, 5, '"x, y" and its NUL');
    assert.equal(record(analysis, 'inner').size, 8);
  });

  it('reads the real system headers where the include directories have them, #include_next and GNU keywords included', async () => {
    const analysis = await analyzeSources(
      {
        '/p/main.h': '#include <linux/types.h>\n#include <limits.h>\nstruct P { __kernel_pid_t pid; __s8 s; int a[INT_MAX > 0 ? 2 : 1]; };',
        '/inc/linux/types.h': '#ifndef _LINUX_TYPES_H\n#define _LINUX_TYPES_H\ntypedef __signed__ char __s8;\ntypedef int __kernel_pid_t;\n#endif\n',
        // glibc's limits.h hands on to the compiler's with #include_next, which is not there: the engine's own limits answer.
        '/inc/limits.h': '#ifndef _LIBC_LIMITS_H_\n#define _LIBC_LIMITS_H_ 1\n#include_next <limits.h>\n#endif\n',
      },
      'sysv-x86_64',
      { includeDirs: ['/inc'] },
    );
    assert.deepEqual(errors(analysis), []);
    assert.deepEqual(record(analysis, 'P').fields.map((f) => [f.path, f.offset, f.size]), [['pid', 0, 4], ['s', 4, 1], ['a', 8, 8]]);
    // Without the directories, the engine's built-in copy of <linux/types.h> still serves.
    const builtin = await analyzeText('#include <linux/types.h>\nstruct Q { __u32 a; __le16 b; };', 'sysv-x86_64');
    assert.deepEqual(errors(builtin), []);
  });

  it('answers a feature test that a macro produces, as glibc\u2019s __glibc_has_attribute (x) does', async () => {
    const analysis = await analyzeText('#define HAS(a) __has_attribute (a)\n#if HAS(__packed__) && !HAS(__no_such__)\nstruct Y { int y; };\n#endif\nstruct Z { int z; ; };', 'sysv-x86_64');
    assert.deepEqual(errors(analysis), []);
    record(analysis, 'Y');
    assert.equal(record(analysis, 'Z').size, 4, 'a stray ";" among the members is no error');
  });

  it('reads a macro that names itself through an enum, and a typedef aligned apart from its record, as gcc does', async () => {
    const analysis = await analyzeText(
      'enum { MODE_A, MODE_B, __MODE_MAX };\n#define __MODE_MAX (__MODE_MAX - 1)\n' +
        'struct desc { unsigned long long addr; };\ntypedef struct desc __attribute__((aligned(16))) desc_t;\nstruct ring { char c; desc_t d; };',
      'sysv-x86_64',
    );
    assert.deepEqual(errors(analysis), []);
    assert.equal(analysis.constants.get('__MODE_MAX'), 1n, 'the enum\u2019s 2, less one');
    assert.equal(record(analysis, 'desc').align, 8, 'the record keeps its own alignment');
    assert.deepEqual(record(analysis, 'desc').typedefNames, [], 'desc_t is no other name of struct desc');
    assert.deepEqual(record(analysis, 'ring').fields.map((f) => [f.path, f.offset]), [['c', 0], ['d.addr', 16]]);
  });

  it('builds in <stdint.h>, <stddef.h>, <stdbool.h> and the Windows and Linux base types', async () => {
    const analysis = await analyzeText(
      '#include <stdint.h>\n#include <stdbool.h>\n#include <windows.h>\n#include <linux/types.h>\n' +
        'struct T { bool b; ULONG u; __le16 le; __be32 be; LARGE_INTEGER li; GUID g; HANDLE h; WCHAR w; };\n#if true\nstruct Y { int y; };\n#endif',
    );
    assert.deepEqual(errors(analysis), []);
    assert.deepEqual(
      record(analysis, 'T').fields.map((f) => [f.path, f.offset, f.size]),
      [['b', 0, 1], ['u', 4, 4], ['le', 8, 2], ['be', 12, 4], ['li.LowPart', 16, 4], ['li.HighPart', 20, 4], ['li.u.LowPart', 16, 4], ['li.u.HighPart', 20, 4], ['li.QuadPart', 16, 8], ['g.Data1', 24, 4], ['g.Data2', 28, 2], ['g.Data3', 30, 2], ['g.Data4', 32, 8], ['h', 40, 8], ['w', 48, 2]],
    );
    const be = record(analysis, 'T').fields.find((f) => f.path === 'be')!.resolved;
    assert.equal(be.kind === 'integer' && be.byteOrder, 'big');
    record(analysis, 'Y');
  });

  it('evaluates #if, #elif, #else, defined() and nested conditionals, per ABI', async () => {
    const source = `
#define LEVEL 2
#if defined(_WIN64) && LEVEL >= 2
struct C { int windows; };
#elif defined __linux__
struct C { long linux_only; };
#else
struct C { char neither; };
#endif
#ifdef __cplusplus
#error never
#endif
#if !defined(LEVEL) || (LEVEL << 4) != 32
#error wrong
#endif`;
    const msvc = await analyzeText(source, 'msvc-x64');
    const gcc = await analyzeText(source, 'sysv-x86_64');
    assert.deepEqual([errors(msvc), errors(gcc)], [[], []]);
    assert.equal(record(msvc, 'C').fields[0]!.path, 'windows');
    assert.equal(record(gcc, 'C').fields[0]!.path, 'linux_only');
  });

  it('expands object-like and function-like macros, #, ## and macros built from macros', async () => {
    const analysis = await analyzeText(`
#define A 4
#define B (A * 2)
#define C (B << A | 1)
#define ROUND_UP(x, a) (((x) + (a) - 1) & ~((a) - 1))
#define FIELD(n) uint8_t f_##n
#define NAME(x) #x
#define SELF SELF
typedef unsigned char uint8_t;
struct M { uint8_t a[ROUND_UP(C, 16)]; FIELD(1); FIELD(2); };
#define MSG NAME(hello world)
#define S SELF`);
    assert.deepEqual(errors(analysis), []);
    assert.equal(record(analysis, 'M').size, 144 + 2);
    assert.equal(analysis.constants.get('C'), 129n);
    assert.equal(analysis.constants.get('MSG'), 'hello world');
    assert.equal(analysis.constants.has('S'), false, 'a self-referencing macro stops and is no constant');
  });

  it('applies #pragma pack(n), push/pop nesting and pack() reset where each record is defined', async () => {
    const analysis = await analyzeText(`
#pragma pack(push, 1)
struct P1 { char a; int b; };
#pragma pack(push, 2)
struct P2 { char a; int b; };
#pragma pack(pop)
struct P1b { char a; long long b; };
#pragma pack(pop)
struct N { char a; int b; };
#pragma pack(4)
struct P4 { char a; double b; };
#pragma pack()
struct N2 { char a; double b; };`);
    assert.deepEqual(errors(analysis), []);
    assert.deepEqual(['P1', 'P2', 'P1b', 'N', 'P4', 'N2'].map((n) => record(analysis, n).size), [5, 6, 9, 8, 12, 16]);
  });

  it('answers __has_include and __has_attribute the way the compiler for the ABI would', async () => {
    const source = `
#if defined(__has_include) && __has_include(<stdint.h>) && __has_include("sub.h") && !__has_include("none.h")
struct Inc { int found; };
#endif
#if defined(__has_attribute) && __has_attribute(packed)
struct Attr { int gcc; };
#else
struct Attr { int msvc; };
#endif`;
    for (const abi of ['msvc-x64', 'sysv-x86_64'] as const) {
      const analysis = await analyzeSources({ '/q/main.h': source, '/q/sub.h': '' }, abi);
      assert.deepEqual(errors(analysis), []);
      assert.equal(record(analysis, 'Inc').fields[0]!.path, 'found');
      assert.equal(record(analysis, 'Attr').fields[0]!.path, abi === 'msvc-x64' ? 'msvc' : 'gcc');
    }
  });

  it('warns about unknown directives and pragmas instead of guessing', async () => {
    const analysis = await analyzeText('#frobnicate now\n#pragma strange_thing\nstruct S { int a; };');
    const warnings = analysis.diagnostics.filter((d) => d.severity === 'warning').map((d) => `${d.location.line}: ${d.message}`);
    assert.deepEqual(warnings, ['1: unknown directive #frobnicate ignored', '2: #pragma strange_thing ignored: it does not change layouts']);
  });

  it('rewrites __declspec(align(n)) and drops calling conventions', async () => {
    const analysis = await analyzeText('typedef __declspec(align(16)) struct A { int x; } A;\nstruct B { char c; __declspec(align(32)) int y; };\ntypedef void (__cdecl *fn_t)(int);');
    assert.deepEqual(errors(analysis), []);
    assert.deepEqual([record(analysis, 'A').size, record(analysis, 'A').align], [16, 16]);
    assert.deepEqual([record(analysis, 'B').fields[1]!.offset, record(analysis, 'B').size], [32, 64]);
  });
});
