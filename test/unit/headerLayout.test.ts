import * as assert from 'node:assert/strict';
import { headerProblems } from '../../extension/headers/headerProblems';
import { compareRecord, comparisonSummary, sizeSummary, type HeaderResult } from '../../extension/headers/headerResults';
import { memberAt } from '../../extension/headers/recordMembers';
import { buildStructLayoutTable } from '../../extension/headers/structLayoutModel';
import type { AbiName } from '../../extension/protocol/abi';
import { diffAbis } from '../../extension/protocol/report/abiDiff';
import { isHostToStructLayoutMessage, isStructLayoutToHostMessage, type StructLayoutRow } from '../../webviews/shared/protocol';
import { analyzeSources, record } from './protocol/inMemoryHeaders';

// The pure parts behind the editor features: the Struct Layout table, which member a
// hover is over, and what goes to the Problems view.

const HEADER = '/ws/include/proto.h';
const SOURCE = [
  '#include <stdint.h>',
  'typedef struct Cmd {',
  '    uint32_t type;',
  '    long value;    /**< 4 bytes on Windows, 8 on Linux */',
  '    uint8_t flag;',
  '} Cmd;',
  '_Static_assert(sizeof(Cmd) == 12, "Cmd is 12 bytes on Windows");',
  'typedef struct Region {',
  '    uint16_t id;',
  '    struct {',
  '        uint32_t width;',
  '        uint32_t height;',
  '    } mode;',
  '    struct Point { int16_t x, y; } points[3];',
  '    uint32_t lo : 3;',
  '    uint32_t    : 2;',
  '    uint32_t hi : 4;',
  '} Region;',
].join('\n');

async function resultFor(source: string, abi: AbiName = 'msvc-x64', compareAbi: AbiName | null = 'sysv-x86_64'): Promise<HeaderResult> {
  const analysis = await analyzeSources({ [HEADER]: source }, abi);
  if (!compareAbi) return { header: HEADER, folder: '/ws', analysis, compare: undefined };
  const compared = await analyzeSources({ [HEADER]: source }, compareAbi);
  return { header: HEADER, folder: '/ws', analysis, compare: { analysis: compared, differences: new Map(diffAbis(analysis, compared).map((d) => [d.record, d])) } };
}

function table(result: HeaderResult, name: string) {
  const primary = record(result.analysis, name);
  const compared = result.compare && record(result.compare.analysis, name);
  return buildStructLayoutTable(
    { abi: result.analysis.abi, record: primary, engine: result.analysis.layoutEngine },
    result.compare && compared ? { abi: result.compare.analysis.abi, record: compared, engine: result.compare.analysis.layoutEngine } : undefined,
    result.compare?.differences.get(name),
    'include/proto.h:2',
  );
}

/** `name offset+size` per row, bits as `offset+size@bit:width`, compare side after `|`. */
function rowText(row: StructLayoutRow): string {
  const place = (p: StructLayoutRow['primary']) => (p ? `${p.offset}+${p.size}${p.bitWidth !== undefined ? `@${p.bitOffset}:${p.bitWidth}` : ''}` : '-');
  const name = row.kind === 'field' ? row.name : `(${row.kind})`;
  return `${row.differs ? '!' : ''}${name} ${place(row.primary)}${row.compare ? ` | ${place(row.compare)}` : ''}`;
}

describe('Struct Layout table', () => {
  it('lists each leaf with the compared ABI beside it, marks divergent rows and shows holes and padding', async () => {
    const { view, locations } = table(await resultFor(SOURCE), 'Cmd');
    assert.deepEqual(view.rows.map(rowText), ['type 0+4 | 0+4', '!value 4+4 | 8+8', '!flag 8+1 | 16+1', '(padding) 9+3']);
    assert.deepEqual([view.size, view.align, view.compare?.size, view.compare?.align], [12, 4, 24, 8]);
    assert.match(view.compare?.difference ?? '', /long is 4 bytes on Windows, 8 on Linux/);
    assert.deepEqual(locations.map((l) => l?.line), [3, 4, 5, undefined]);
    assert.equal(view.source, 'include/proto.h:2');
    assert.deepEqual(
      view.rows.map((r) => r.comment),
      [undefined, '4 bytes on Windows, 8 on Linux', undefined, undefined],
    );
  });

  it('enters nested records, counts an array of records as one block and finds bit holes', async () => {
    const { view } = table(await resultFor(SOURCE, 'msvc-x64', null), 'Region');
    assert.deepEqual(view.rows.map(rowText), [
      'id 0+2',
      '(hole) 2+2',
      'mode.width 4+4',
      'mode.height 8+4',
      'points[0].x 12+2',
      'points[0].y 14+2',
      'lo 24+4@0:3',
      '(hole) 24+0@3:2',
      'hi 24+4@5:4',
      '(padding) 25+0@1:23',
    ]);
    assert.equal(view.compare, undefined);
    assert.ok(view.rows.every((r) => !r.differs));
  });

  it('shows a field that exists on the compared ABI only where it belongs', async () => {
    const source = '#include <stdint.h>\nstruct S { uint32_t a;\n#ifdef __linux__\n uint32_t linux_only;\n#endif\n uint32_t b; };';
    const { view } = table(await resultFor(source), 'struct S');
    assert.deepEqual(view.rows.map(rowText), ['a 0+4 | 0+4', '!linux_only - | 4+4', '!b 4+4 | 8+4']);
  });
});

describe('member under the cursor', () => {
  it('finds members of tagless nested records in the record around them, and tagged ones in their own', async () => {
    const { analysis } = await resultFor(SOURCE, 'msvc-x64', null);
    const at = (line: number, column: number) => {
      const found = memberAt(analysis, HEADER, line, column);
      return found && `${found.record.name}.${found.placement.path}@${found.placement.offset}`;
    };
    assert.equal(at(11, 18), 'Region.mode.width@4');
    assert.equal(at(13, 7), 'Region.mode@4');
    assert.equal(at(14, 28), 'struct Point.x@0');
    assert.equal(at(14, 31), 'struct Point.y@2');
    assert.equal(at(14, 36), 'Region.points@12');
    assert.equal(at(4, 10), 'Cmd.value@4');
    assert.equal(at(4, 9), undefined, 'not at the start of the name');
    assert.equal(at(7, 1), undefined, 'a static assertion is no member');
  });
});

describe('summaries and problems', () => {
  it('summarises a record for its CodeLens', async () => {
    const result = await resultFor(SOURCE);
    const cmd = record(result.analysis, 'Cmd');
    assert.equal(sizeSummary(cmd), '12 bytes · align 4');
    assert.equal(comparisonSummary(compareRecord(result, cmd)!), 'differs on sysv-x86_64 at `value`');
    assert.equal(comparisonSummary(compareRecord(result, record(result.analysis, 'struct Point'))!), 'same on sysv-x86_64');
  });

  it('reports a static assertion that fails on the compared ABI only, and the divergence', async () => {
    const problems = headerProblems([await resultFor(SOURCE)]);
    const text = problems.map((p) => `${p.location.line} ${p.severity} ${p.message}`);
    assert.ok(text.includes('7 error static assertion fails on sysv-x86_64 only (it holds on msvc-x64): Cmd is 12 bytes on Windows'), text.join('\n'));
    const divergence = text.find((t) => t.startsWith('2 warning Cmd is laid out differently'));
    assert.ok(divergence, text.join('\n'));
    assert.match(divergence, /\(12 bytes on msvc-x64, 24 on sysv-x86_64\): first difference at `value`/);
  });

  it('says a static assertion fails on both ABIs, and reports each problem once', async () => {
    const source = '#include <stdint.h>\nstruct T { uint32_t a; };\n_Static_assert(sizeof(struct T) == 8, "T is 8 bytes");\nint broken(;';
    const result = await resultFor(source);
    const problems = headerProblems([result, result]);
    const asserts = problems.filter((p) => p.message.startsWith('static assertion'));
    assert.deepEqual(
      asserts.map((p) => p.message),
      ['static assertion fails on msvc-x64 and sysv-x86_64: T is 8 bytes'],
    );
    const keys = problems.map((p) => `${p.location.line}:${p.location.column} ${p.message}`);
    assert.equal(new Set(keys).size, keys.length, keys.join('\n'));
  });
});

describe('Struct Layout messages', () => {
  it('accepts what the table sends and nothing else', () => {
    for (const message of [{ type: 'ready' }, { type: 'pickRecord' }, { type: 'revealRow', row: 0 }, { type: 'revealRow', row: 17 }, { type: 'runCommand', command: 'gpupv.showLog' }]) {
      assert.equal(isStructLayoutToHostMessage(message), true, JSON.stringify(message));
    }
    for (const message of [
      null,
      'ready',
      {},
      { type: 'revealRow' },
      { type: 'revealRow', row: -1 },
      { type: 'revealRow', row: 1.5 },
      { type: 'revealRow', row: '3' },
      { type: 'revealRow', row: Number.MAX_VALUE },
      { type: 'runCommand', command: 'workbench.action.terminal.new' },
      { type: 'openFile', path: '/etc/passwd' },
    ]) {
      assert.equal(isStructLayoutToHostMessage(message), false, JSON.stringify(message));
    }
  });

  it('recognises the host\u2019s layout message', () => {
    assert.equal(isHostToStructLayoutMessage({ type: 'showLayout', state: {} }), true);
    assert.equal(isHostToStructLayoutMessage({ type: 'showLayout' }), false);
    assert.equal(isHostToStructLayoutMessage({ type: 'showState', state: {} }), false);
  });
});
