import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { locateBitField, parseRecordDump, type DumpedRecord } from '../compilerJudge/clangRecordDump';
import { judge } from '../compilerJudge/judge';
import { integerLiteral, planChecks, staticAssertSource, type AbiName, type LayoutField, type LayoutJson, type LayoutRecord } from '../compilerJudge/layoutChecks';

const PROTOCOL_HEADER = `#include <stdint.h>

typedef struct PvgpuHeader { uint32_t type; uint32_t size; } PvgpuHeader;

typedef struct PvgpuViewport {
  float x;
  float y;
  uint32_t enabled : 1;
  uint32_t layer : 7;
} PvgpuViewport;

typedef struct PvgpuCmdDraw {
  PvgpuHeader hdr;
  PvgpuViewport viewports[2];
  union {
    uint32_t u;
    float f;
  };
  uint32_t constants[2][2];
  uint16_t flags : 3;
  int16_t bias : 5;
  uint8_t data[];
} PvgpuCmdDraw;

/* Where MSVC and System V part ways: bit-fields of different types share a unit only in
   System V, and long is 4 bytes in MSVC. */
typedef struct PvgpuAbiSplit {
  char a : 3;
  int b : 3;
  unsigned long word;
} PvgpuAbiSplit;

#define PVGPU_RING_SIZE 4096u
enum PvgpuOp { PVGPU_OP_NOP = 0, PVGPU_OP_DRAW = 7 };
`;

const isMsvc = (abi: AbiName): boolean => abi.startsWith('msvc');

function record(name: string, size: number, align: number, fields: LayoutField[]): LayoutRecord {
  return { name, kind: 'struct', size, align, file: 'proto.h', line: 1, fields };
}

function field(path: string, offset: number, size: number, type: string, extra: Partial<LayoutField> = {}): LayoutField {
  return { path, offset, size, type, ...extra };
}

/** The layout the engine should print for PROTOCOL_HEADER, worked out by hand per ABI. */
function correctLayout(abi: AbiName): LayoutJson {
  const msvc = isMsvc(abi);
  const viewportFields = (prefix: string, base: number, count?: number): LayoutField[] => [
    field(`${prefix}x`, base, 4, 'float', count === undefined ? {} : { count }),
    field(`${prefix}y`, base + 4, 4, 'float', count === undefined ? {} : { count }),
    field(`${prefix}enabled`, base + 8, 4, 'uint32_t', { bitOffset: (base + 8) * 8, bitWidth: 1 }),
    field(`${prefix}layer`, base + 8, 4, 'uint32_t', { bitOffset: (base + 8) * 8 + 1, bitWidth: 7 }),
  ];
  return {
    abi,
    records: [
      record('PvgpuHeader', 8, 4, [field('type', 0, 4, 'uint32_t'), field('size', 4, 4, 'uint32_t')]),
      record('struct PvgpuViewport', 12, 4, viewportFields('', 0)),
      record('PvgpuCmdDraw', 56, 4, [
        field('hdr.type', 0, 4, 'uint32_t'),
        field('hdr.size', 4, 4, 'uint32_t'),
        ...viewportFields('viewports[0].', 8, 2),
        field('u', 32, 4, 'uint32_t'),
        field('f', 32, 4, 'float'),
        field('constants', 36, 16, 'uint32_t', { count: 4 }),
        field('flags', 52, 2, 'uint16_t', { bitOffset: 416, bitWidth: 3 }),
        field('bias', 52, 2, 'int16_t', { bitOffset: 419, bitWidth: 5 }),
        // MSVC ends the bit-field unit where its declared type ends; System V at the last bit used.
        field('data', msvc ? 54 : 53, 0, 'uint8_t', { count: 0 }),
      ]),
      record('PvgpuAbiSplit', msvc ? 12 : 16, msvc ? 4 : 8, [
        field('a', 0, 1, 'char', { bitOffset: 0, bitWidth: 3 }),
        msvc ? field('b', 4, 4, 'int', { bitOffset: 32, bitWidth: 3 }) : field('b', 0, 4, 'int', { bitOffset: 3, bitWidth: 3 }),
        field('word', 8, msvc ? 4 : 8, 'unsigned long'),
      ]),
    ],
    enums: [{ name: 'enum PvgpuOp', values: { PVGPU_OP_NOP: 0, PVGPU_OP_DRAW: 7 } }],
    constants: { PVGPU_RING_SIZE: 4096 },
  };
}

/** Changes one field of one record of a layout, in place. */
function editField(layout: LayoutJson, recordName: string, fieldPath: string, change: Partial<LayoutField>): void {
  const target = layout.records.find((r) => r.name === recordName)!.fields.find((f) => f.path === fieldPath)!;
  Object.assign(target, change);
}

describe('compiler judge', function () {
  // Every judge run starts a compiler two or three times.
  this.timeout(60_000);
  let workDir: string;
  let header: string;

  before(() => {
    workDir = mkdtempSync(path.join(tmpdir(), 'gpupv-judge-test-'));
    header = path.join(workDir, 'proto.h');
    writeFileSync(header, PROTOCOL_HEADER);
  });

  after(() => rmSync(workDir, { recursive: true, force: true }));

  for (const abi of ['sysv-x86_64', 'msvc-x64', 'sysv-aarch64', 'msvc-arm64'] as const) {
    it(`finds no mismatch in a correct ${abi} layout`, () => {
      const layout = correctLayout(abi);
      const result = judge({ header, layout, abi });
      assert.deepEqual(result.mismatches, []);
      assert.equal(result.records, 4);
      assert.equal(result.fields, layout.records.reduce((sum, r) => sum + r.fields.length, 0));
      // 2 per record, 2 per plain field (the flexible array has no size check), 1 per bit-field, 3 values.
      assert.equal(result.checks, 4 * 2 + 13 * 2 - 1 + 8 + 3);
    });
  }

  for (const abi of ['sysv-x86_64', 'msvc-x64'] as const) {
    it(`names record and field of each wrong number on ${abi}`, () => {
      const layout = correctLayout(abi);
      editField(layout, 'PvgpuCmdDraw', 'hdr.size', { offset: 5 });
      editField(layout, 'PvgpuCmdDraw', 'viewports[0].y', { size: 8 });
      editField(layout, 'PvgpuCmdDraw', 'bias', { bitOffset: 420 });
      editField(layout, 'PvgpuCmdDraw', 'viewports[0].layer', { bitOffset: 130, bitWidth: 6 });
      layout.records[0]!.align = 8;
      const { mismatches } = judge({ header, layout, abi });
      assert.deepEqual([...mismatches].sort(), [
        'PvgpuCmdDraw.bias: bit offset expected 420, compiler says 419',
        'PvgpuCmdDraw.hdr.size: offset expected 5, compiler says 4',
        'PvgpuCmdDraw.viewports[0].layer: bit offset expected 130, compiler says 129',
        'PvgpuCmdDraw.viewports[0].layer: bit width expected 6, compiler says 7',
        'PvgpuCmdDraw.viewports[0].y: size expected 8, compiler says 4',
        'PvgpuHeader: align expected 8, compiler says 4',
      ]);
    });
  }

  it('tells MSVC and System V apart where they genuinely differ', () => {
    const systemVLayoutClaimedForMsvc = { ...correctLayout('sysv-x86_64'), abi: 'msvc-x64' as const };
    const { mismatches } = judge({ header, layout: systemVLayoutClaimedForMsvc });
    assert.ok(mismatches.includes('PvgpuAbiSplit.b: bit offset expected 3, compiler says 32'), mismatches.join('\n'));
    assert.ok(mismatches.includes('PvgpuAbiSplit.word: size expected 8, compiler says 4'), mismatches.join('\n'));
    assert.ok(mismatches.includes('PvgpuCmdDraw.data: offset expected 53, compiler says 54'), mismatches.join('\n'));
  });

  it('flags a bit-field whose storage unit does not hold it', () => {
    const layout = correctLayout('msvc-x64');
    editField(layout, 'PvgpuAbiSplit', 'b', { offset: 0 });
    assert.deepEqual(judge({ header, layout }).mismatches, [
      "PvgpuAbiSplit.b: storage unit (offset 0, size 4) does not hold bit 32, where the compiler starts the field",
    ]);
  });

  it('reports wrong constants and enum values', () => {
    const layout = correctLayout('sysv-x86_64');
    layout.constants.PVGPU_RING_SIZE = 8192;
    layout.enums[0]!.values.PVGPU_OP_DRAW = 8;
    assert.deepEqual(judge({ header, layout }).mismatches, [
      'constant PVGPU_RING_SIZE: value expected 8192',
      'enum PvgpuOp.PVGPU_OP_DRAW: value expected 8',
    ]);
  });

  for (const abi of ['sysv-x86_64', 'msvc-x64'] as const) {
    it(`reports a field the compiler does not know on ${abi}`, () => {
      const layout = correctLayout(abi);
      editField(layout, 'PvgpuCmdDraw', 'u', { path: 'missing' });
      editField(layout, 'PvgpuCmdDraw', 'flags', { path: 'flagz' });
      const { mismatches } = judge({ header, layout });
      assert.equal(mismatches.length, 3, mismatches.join('\n'));
      assert.match(mismatches.find((m) => m.startsWith('PvgpuCmdDraw.missing: offset'))!, /could not be checked: .*missing/);
      assert.match(mismatches.find((m) => m.startsWith('PvgpuCmdDraw.flagz'))!, /flagz/);
    });
  }

  for (const abi of ['sysv-x86_64', 'msvc-x64'] as const) {
    it(`reports a header that does not compile on ${abi}`, () => {
      const broken = path.join(workDir, 'broken.h');
      writeFileSync(broken, `${PROTOCOL_HEADER}\ntypedef struct Oops { uint32_t a; undefined_type_t b; } Oops;\n`);
      const { mismatches } = judge({ header: broken, layout: correctLayout(abi) });
      assert.ok(mismatches.length > 0);
      assert.ok(mismatches.some((m) => m.startsWith('compiler error: ') && m.includes('broken.h:') && m.includes('undefined_type_t')), mismatches.join('\n'));
    });
  }

  it('reports a header it cannot find', () => {
    const { mismatches } = judge({ header: path.join(workDir, 'absent.h'), layout: correctLayout('msvc-arm64') });
    assert.deepEqual(mismatches, [`compiler error: generated check file: fatal error: '${path.join(workDir, 'absent.h')}' file not found`]);
  });

  it('reports a compiler it cannot start instead of passing', () => {
    const savedPath = process.env.PATH;
    process.env.PATH = path.join(workDir, 'no-compilers-here');
    try {
      const { mismatches } = judge({ header, layout: correctLayout('msvc-x64') });
      assert.ok(mismatches.length > 0);
      assert.ok(mismatches.every((m) => m.includes('clang could not run') && m.includes('ENOENT')), mismatches.join('\n'));
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it('finds headers through the include directories it is given', () => {
    const includeDir = path.join(workDir, 'include');
    mkdirSync(includeDir, { recursive: true });
    writeFileSync(path.join(includeDir, 'proto_inner.h'), PROTOCOL_HEADER);
    const outer = path.join(workDir, 'outer.h');
    writeFileSync(outer, '#include <proto_inner.h>\n');
    assert.deepEqual(judge({ header: outer, includeDirs: [includeDir], layout: correctLayout('sysv-x86_64') }).mismatches, []);
  });
});

describe('compiler judge: generated checks', () => {
  it('tags each static assert with a unique check id', () => {
    const plan = planChecks(correctLayout('msvc-x64'));
    const source = staticAssertSource('/tmp/proto.h', plan.staticChecks);
    const tokens = [...source.text.matchAll(/"GPUPV_CHECK (\d+) \w+"/g)].map((match) => match[1]);
    assert.equal(tokens.length, plan.staticChecks.length);
    assert.equal(new Set(tokens).size, tokens.length);
    assert.match(source.text, /_Static_assert\(__builtin_offsetof\(PvgpuCmdDraw, viewports\[0\]\.y\) == 12, "GPUPV_CHECK \d+ offset"\);/);
    assert.ok(!source.text.includes('->data)'), 'no sizeof of a flexible array member');
  });

  it('writes integers as literals that keep their value', () => {
    assert.equal(integerLiteral(7), '7LL');
    assert.equal(integerLiteral(-7), '(-7LL)');
    assert.equal(integerLiteral('18446744073709551615'), '18446744073709551615ULL');
    assert.equal(integerLiteral('-9223372036854775808'), '(-9223372036854775807LL - 1)');
    assert.equal(integerLiteral(1.5), undefined);
    assert.equal(integerLiteral('18446744073709551616'), undefined);
    assert.equal(integerLiteral('"text"'), undefined);
  });
});

describe('clang record layout dump', () => {
  // Captured from clang 14, --target=x86_64-pc-windows-msvc, for probes of a record whose
  // array of anonymous structs holds bit-fields, one of them in a nested anonymous struct.
  const DUMP = `
*** Dumping AST Record Layout
         0 | struct gpupv_probe_1
         0 |   struct E probe
         0 |     char a
       1:- |     int 
    4:0-19 |     int b
     6:4-8 |     unsigned int 
     8:0-0 |     _Bool ok
   16:0-39 |     uint64_t big
        24 |     struct (unnamed struct at ./sp ace/e.h:6:3)[2][3] anon_arr
       120 |     uint8_t[] tail
           | [sizeof=120, align=8]

*** Dumping AST Record Layout
         0 | struct gpupv_probe_2
         0 |   struct E::(unnamed at ./sp ace/e.h:6:3) probe
     0:0-1 |     unsigned int q
         4 |     struct E::(anonymous at ./sp ace/e.h:6:26) 
     4:0-2 |       unsigned int r
           | [sizeof=8, align=4]
`;

  it('parses titles, nesting, unnamed members, bit ranges and sizes', () => {
    const [outer, element] = parseRecordDump(DUMP);
    assert.equal(outer!.type, 'struct gpupv_probe_1');
    assert.deepEqual([outer!.size, outer!.align], [120, 8]);
    const members = outer!.members[0]!.children;
    assert.deepEqual(
      members.map((m) => [m.name, m.byteOffset, m.bits]),
      [
        ['a', 0, undefined],
        ['', 1, { first: 0, last: -1 }],
        ['b', 4, { first: 0, last: 19 }],
        ['', 6, { first: 4, last: 8 }],
        ['ok', 8, { first: 0, last: 0 }],
        ['big', 16, { first: 0, last: 39 }],
        ['anon_arr', 24, undefined],
        ['tail', 120, undefined],
      ],
    );
    assert.equal(element!.members[0]!.children[1]!.children[0]!.name, 'r');
  });

  it('locates bit-fields through nested records and array elements', () => {
    const [outer, element] = parseRecordDump(DUMP);
    const probes = new Map<string, DumpedRecord>([
      ['', outer!],
      ['anon_arr[1][2]', element!],
    ]);
    const probeFor = (prefix: string): DumpedRecord | undefined => probes.get(prefix);
    assert.deepEqual(locateBitField('big', probeFor), { bitOffset: 128, bitWidth: 40 });
    // Element [1][2] of a [2][3] array of 8-byte elements at 24: 24 + 5 * 8 = 64, then r at 4.
    assert.deepEqual(locateBitField('anon_arr[1][2].r', probeFor), { bitOffset: (64 + 4) * 8, bitWidth: 3 });
    assert.deepEqual(locateBitField('a', probeFor), { problem: 'clang does not lay it out as a bit-field' });
    assert.deepEqual(locateBitField('nope', probeFor), { problem: "clang's layout has no member nope" });
  });
});
