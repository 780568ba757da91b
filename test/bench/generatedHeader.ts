// A large, realistic protocol header for benchmarks: opcode macros, enums, command structs
// embedding a header, nested anonymous unions, arrays of structs, bit-fields, static
// asserts. Deterministic: the same line count always gives the same text.

export function generateProtocolHeader(targetLines: number): string {
  const lines: string[] = [
    '#pragma once',
    '#include <stdint.h>',
    '#include <stddef.h>',
    '#define BENCH_MAX_TARGETS 8',
    '#define BENCH_ALIGN_UP(x, a) (((x) + (a) - 1) & ~((a) - 1))',
    'typedef struct BenchHeader { uint32_t type; uint32_t size; uint32_t resource_id; uint32_t flags; } BenchHeader;',
    'typedef struct BenchViewport { float x, y, w, h, min_depth, max_depth; } BenchViewport;',
    '_Static_assert(sizeof(BenchHeader) == 16, "header");',
  ];
  const BLOCK_LINES = 18;
  for (let i = 0; lines.length + BLOCK_LINES <= targetLines; i++) {
    lines.push(`#define BENCH_CMD_OP_${i} 0x${(0x100 + i).toString(16)}u`);
    lines.push(`typedef enum BenchMode${i} { BENCH_MODE${i}_A = ${i}, BENCH_MODE${i}_B, BENCH_MODE${i}_C = BENCH_MODE${i}_A << 2 } BenchMode${i};`);
    lines.push(`/* Command ${i}: exercises nesting, unions, arrays and bit-fields. */`);
    lines.push(`typedef struct BenchCmdOp${i} {`);
    lines.push('    BenchHeader hdr;');
    lines.push(`    uint32_t count;              /* BenchMode${i} */`);
    lines.push('    uint16_t kind : 4, level : 6, enabled : 1;');
    lines.push('    union {');
    lines.push('        struct { uint64_t address; uint32_t length; } buffer;');
    lines.push('        struct { uint32_t width, height; uint16_t depth; } image;');
    lines.push('    };');
    lines.push(`    BenchViewport viewports[${(i % 4) + 1}];`);
    lines.push(`    uint8_t payload[BENCH_ALIGN_UP(${(i % 37) + 3}, 4)][2];`);
    lines.push(`    uint32_t targets[BENCH_MAX_TARGETS];`);
    lines.push(`    uint64_t fence_value;`);
    lines.push(`} BenchCmdOp${i};`);
    lines.push(`_Static_assert(offsetof(BenchCmdOp${i}, hdr.size) == 4, "size field");`);
    lines.push('');
  }
  while (lines.length < targetLines) lines.push('/* padding to the requested line count */');
  return lines.join('\n') + '\n';
}
