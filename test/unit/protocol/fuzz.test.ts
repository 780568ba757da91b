import * as assert from 'node:assert/strict';
import { ABI_NAMES } from '../../../extension/protocol/abi';
import { analyzeSources } from './inMemoryHeaders';
import { seededRandom as random } from '../seededRandom';

// Random and mutated headers through the whole engine: it must always return, with
// located diagnostics, and never fail with an internal error. Seeded, so a failure
// reproduces; the seed and the input are in the assertion message.


const SEED_HEADER = `#pragma once
#include <stdint.h>
#include <stddef.h>
#define N 4
#define SHIFT(x) ((x) << 2)
#pragma pack(push, 2)
typedef struct Hdr { uint32_t type; uint32_t size : 24, flags : 8; } Hdr;
#pragma pack(pop)
enum Kind { K_A = -1, K_B = N, K_C };
typedef union U { float f; uint32_t u[2]; struct { uint16_t lo, hi; }; } U;
struct __attribute__((aligned(16))) Big { Hdr hdr; U u[SHIFT(N)]; unsigned long l; char c : 3; long long ll : 40; uint8_t data[]; };
_Static_assert(sizeof(Hdr) == 8, "hdr");
#if defined(_WIN32) && N > 2
struct Win { wchar_t w; };
#else
struct Win { long double d; };
#endif
`;

const FRAGMENTS = ['struct', 'union', 'enum', 'typedef', '{', '}', ';', '(', ')', '[', ']', ',', ':', '*', '#define', '#if', '#endif', '#else', '#include "x.h"', '#pragma pack(push, 1)', '#pragma pack(pop)', 'int', 'uint64_t', 'char', 'long', 'unsigned', '__attribute__((packed))', '__declspec(align(8))', 'sizeof', 'offsetof', '_Static_assert(', '0x7fffffff', '-1', '1 << 63', 'N', 'A', 'x', '/*', '*/', '"', "'", '\\\n', '\n', '0', '99999999999999999999999'];

function mutate(text: string, next: () => number): string {
  const tokens = text.split(/(\s+)/);
  const edits = 1 + Math.floor(next() * 6);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * tokens.length);
    const choice = next();
    if (choice < 0.3) tokens.splice(at, 1);
    else if (choice < 0.6) tokens.splice(at, 0, FRAGMENTS[Math.floor(next() * FRAGMENTS.length)]!, ' ');
    else if (choice < 0.8) tokens.splice(at, 0, tokens[Math.floor(next() * tokens.length)] ?? '');
    else tokens[at] = (tokens[at] ?? '').split('').reverse().join('');
  }
  return tokens.join('');
}

function soup(next: () => number): string {
  const length = 10 + Math.floor(next() * 200);
  return Array.from({ length }, () => FRAGMENTS[Math.floor(next() * FRAGMENTS.length)]).join(next() < 0.5 ? ' ' : '\n');
}

describe('protocol engine: fuzzing', () => {
  const CASES = 240;

  it(`survives ${CASES} mutated and random headers on every ABI with located diagnostics only`, async function () {
    this.timeout(120_000);
    const next = random(0x5eed);
    for (let i = 0; i < CASES; i++) {
      const text = i % 3 === 2 ? soup(next) : mutate(SEED_HEADER, next);
      const abi = ABI_NAMES[i % ABI_NAMES.length]!;
      const analysis = await analyzeSources({ '/f/fuzz.h': text, '/f/x.h': '#include "fuzz.h"\nstruct X { int x; };' }, abi);
      for (const d of analysis.diagnostics) {
        assert.ok(!d.message.startsWith('internal error'), `case ${i} (${abi}): ${d.message}\n--- input ---\n${text}`);
        assert.ok(d.location.line >= 1 && d.location.column >= 1, `case ${i}: unlocated diagnostic ${d.message}`);
      }
      for (const r of analysis.records) assert.ok(Number.isSafeInteger(r.size) && r.size >= 0 && r.align >= 1, `case ${i}: ${r.name} size ${r.size}`);
    }
  });

  it('refuses hostile inputs with a clear error instead of hanging or exhausting memory', async function () {
    this.timeout(60_000);
    const bomb = ['#define X0 1', ...Array.from({ length: 40 }, (_, i) => `#define X${i + 1} X${i} X${i}`), 'int a[X40];'].join('\n');
    const deepParens = `struct P { int a[${'('.repeat(5000)}1${')'.repeat(5000)}]; };`;
    const deepStructs = `${'struct { '.repeat(3000)}int x;${' } y;'.repeat(3000)}`;
    const huge = 'struct H { char a[0x7fffffff][0x7fffffff][0x7fffffff]; };';
    const recursive = '#define F(x) F(x) + 1\nint a[F(1)];\nstruct R { struct R r; };';
    for (const [name, text] of Object.entries({ bomb, deepParens, deepStructs, huge, recursive })) {
      const analysis = await analyzeSources({ '/f/hostile.h': text });
      const messages = analysis.diagnostics.map((d) => d.message);
      assert.ok(messages.length > 0, `${name}: no diagnostic`);
      assert.ok(!messages.some((m) => m.startsWith('internal error')), `${name}: ${messages.join('; ')}`);
    }
  });
});
