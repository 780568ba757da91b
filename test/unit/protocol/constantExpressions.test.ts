import * as assert from 'node:assert/strict';
import { analyzeText, errors } from './inMemoryHeaders';
import type { AbiName } from '../../../extension/protocol/abi';

/** Evaluates each expression as an enum value and as a macro constant, on one ABI. */
async function values(expressions: string[], abi: AbiName = 'msvc-x64', prelude = ''): Promise<(bigint | string | undefined)[]> {
  const source = `${prelude}\n${expressions.map((e, i) => `#define V${i} (${e})`).join('\n')}\n`;
  const analysis = await analyzeText(source, abi);
  assert.deepEqual(errors(analysis), []);
  return expressions.map((_, i) => analysis.constants.get(`V${i}`));
}

describe('protocol engine: integer constant expressions', () => {
  it('reads literals in every base with their suffixes', async () => {
    assert.deepEqual(await values(['0x1F', '017', '42u', '0xFFFFFFFFul', '18446744073709551615ULL', "'A'", "'\\n'", "'\\x7f'", '1LL << 40']), [31n, 15n, 42n, 0xffffffffn, 18446744073709551615n, 65n, 10n, 127n, 1n << 40n]);
  });

  it('wraps and converts exactly like C: unsigned int, long per ABI, casts', async () => {
    const expressions = ['1u << 31', '~0u', '-1 >> 1', '(uint16_t)-1', '(int8_t)200', '0xFFFFFFFF + 1', '-1L < 1UL', '(unsigned long)-1', '4294967295 + 1'];
    const prelude = '#include <stdint.h>';
    assert.deepEqual(await values(expressions, 'msvc-x64', prelude), [2147483648n, 4294967295n, -1n, 65535n, -56n, 0n, 0n, 4294967295n, 4294967296n]);
    // On LP64, -1L < 1UL compares as unsigned long too: 0xffff... < 1 is false; (unsigned long)-1 is 64 bits.
    assert.deepEqual(await values(expressions, 'sysv-x86_64', prelude), [2147483648n, 4294967295n, -1n, 65535n, -56n, 0n, 0n, 18446744073709551615n, 4294967296n]);
  });

  it('evaluates sizeof, _Alignof, offsetof, ternaries and logical operators', async () => {
    const prelude = '#include <stddef.h>\nstruct S { char c; double d; int a[4]; };';
    assert.deepEqual(
      await values(['sizeof(struct S)', '_Alignof(struct S)', 'offsetof(struct S, a[2])', 'sizeof(((struct S *)0)->a)', 'sizeof(long) == 4 ? 1 : 2', '!0 && (3 || 1/0)', 'sizeof(int[3][2])', 'sizeof(char *)'], 'msvc-x64', prelude),
      [32n, 8n, 24n, 16n, 1n, 1n, 24n, 8n],
    );
  });

  it('gives enum constants their values, referring to earlier constants and macros', async () => {
    const analysis = await analyzeText('#define BASE 0x100\nenum E { A = BASE, B, C = A + B * 2, D = -5, E2 = sizeof(int) << 8 };\nstruct S { int x[C - 0x200]; };');
    assert.deepEqual(errors(analysis), []);
    assert.deepEqual(Object.fromEntries(analysis.enums[0]!.values), { A: 256n, B: 257n, C: 770n, D: -5n, E2: 1024n });
    assert.equal(analysis.records[0]!.size, 0x102 * 4);
  });

  it('reports division by zero, bad shifts and unknown names at their place', async () => {
    const analysis = await analyzeText('struct A { int x[1 / 0]; };\nstruct B { int y[1 << 40]; };\nstruct C { int z[NOPE]; };\n#if 1 +\n#endif');
    assert.deepEqual(errors(analysis).sort(), [
      '1:20 division by zero in constant expression',
      '2:20 shift count 40 is out of range for a 32-bit value',
      '3:18 "NOPE" is not a constant known here',
      '4:7 expression ends too early',
    ]);
  });
});
