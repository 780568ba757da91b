import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { readHeaderFile } from '../../../extension/protocol/localFiles';
import {
  compileFilter,
  OPCODE_GROUP,
  SymbolTable,
  type CompiledFilter,
  type FieldRef,
  type FilterError,
  type FilterRecord,
  type FilterScope,
  type FilterSymbol,
  type FilterValue,
} from '../../../extension/protocol/filter/compileFilter';
import { analyzeHeader, type HeaderAnalysis } from '../../../extension/protocol/headerAnalysis';
import type { LeafField } from '../../../extension/protocol/layout/flatten';
import { repoRoot } from '../../harness/paths';

// The filter language against the demo protocol header, read by the real engine: its
// commands' fields, its enums and macros as symbols, plus a few DXGI formats the way a
// profile would add them. The scope below is what a decoder provides, kept small.

/** A field as this test's scope hands it out: `path` is the key of the record's values. */
interface DemoField extends FieldRef {
  readonly path: string;
}

const DXGI_FORMATS: FilterSymbol[] = [
  { name: 'DXGI_FORMAT_R8G8B8A8_UNORM', value: 28n, group: 'DXGI_FORMAT' },
  { name: 'DXGI_FORMAT_R32_UINT', value: 42n, group: 'DXGI_FORMAT' },
  { name: 'DXGI_FORMAT_R16_UINT', value: 57n, group: 'DXGI_FORMAT' },
];

/** The group a field's values come from: its enum type, or the annotation `/* PVGPU_BIND_* flags *\/`. */
function fieldGroup(leaf: LeafField): string | undefined {
  if (leaf.path === 'hdr.type') return OPCODE_GROUP;
  if (leaf.resolved.kind === 'enum') return leaf.resolved.decl.displayName;
  const annotation = (leaf.comment ?? '').replace(/^\/\*|\*\/$/g, '');
  return /^\s*([A-Za-z_][A-Za-z0-9_]*?)(?:_\*)?(?:\s|$)/.exec(annotation)?.[1];
}

function fieldKind(leaf: LeafField): FieldRef['kind'] | undefined {
  const type = leaf.resolved;
  if (type.kind === 'float') return 'float';
  if (type.kind === 'enum') return 'int';
  if (type.kind !== 'integer') return undefined;
  if (type.isChar && leaf.dimensions) return 'bytes';
  return type.isBool ? 'bool' : 'int';
}

function demoScope(analysis: HeaderAnalysis): FilterScope<DemoField> {
  const fields = new Map<string, DemoField & { count?: number }>();
  const groups = new Set(DXGI_FORMATS.map((s) => s.group!));
  for (const record of analysis.records.filter((r) => r.name.startsWith('PvgpuCmd'))) {
    for (const leaf of record.fields) {
      const kind = fieldKind(leaf);
      if (!kind || fields.has(leaf.path)) continue;
      const type = leaf.resolved;
      const group = fieldGroup(leaf);
      if (group) groups.add(group);
      const ref = { path: leaf.path, kind, signed: type.kind === 'integer' ? type.signed : undefined, bits: leaf.size * 8, group, count: leaf.count };
      fields.set(leaf.path, ref);
      // Arrays of scalars are read per element: rtv_ids[3].
      if (leaf.dimensions && kind !== 'bytes') {
        for (let i = 0; i < leaf.dimensions[0]!; i++) fields.set(`${leaf.path}[${i}]`, { ...ref, path: `${leaf.path}[${i}]`, bits: (leaf.size / leaf.count!) * 8 });
      }
      // The header's fields by their own names: flags, resource_id.
      if (leaf.path.startsWith('hdr.')) fields.set(leaf.path.slice(4), ref);
    }
  }
  const symbols: FilterSymbol[] = [...DXGI_FORMATS];
  for (const e of analysis.enums) for (const [name, value] of e.values) symbols.push({ name, value, group: e.name });
  const opcodes: FilterSymbol[] = [];
  for (const [name, value] of analysis.constants) {
    if (typeof value !== 'bigint') continue;
    const isOpcode = name.startsWith('PVGPU_CMD_') && !name.startsWith('PVGPU_CMD_FLAG_') && name !== 'PVGPU_CMD_ALIGNMENT';
    const group = isOpcode ? OPCODE_GROUP : [...groups].find((g) => name.startsWith(`${g}_`));
    symbols.push({ name, value, ...(group ? { group } : {}) });
    if (isOpcode) opcodes.push({ name, value });
  }
  const table = new SymbolTable(symbols);
  return {
    field(path) {
      // Arrays of records are laid out at element 0: viewports[5].width reads like viewports[0].width, further on.
      const element = /^([A-Za-z_]\w*)\[(\d+)\]\./.exec(path);
      const leaf = fields.get(element ? path.replace(/\[\d+\]/, '[0]') : path);
      if (!leaf || (element && Number(element[2]) >= (leaf.count ?? 1))) return undefined;
      return element ? { ...leaf, path } : leaf;
    },
    symbols: (name) => table.lookup(name),
    opcodes: () => opcodes,
    names: function* () {
      yield* fields.keys();
      yield* table.names();
    },
  };
}

/** A decoded command: header fields by their canonical paths, the rest of the record's pseudo-fields defaulted. */
class Command implements FilterRecord<DemoField> {
  readonly size: number | bigint;
  readonly offset: number | bigint;
  readonly seq: number | bigint;
  readonly time: number | bigint;
  readonly error: boolean;
  readonly recovered: boolean;

  constructor(
    readonly opcode: number | bigint,
    private readonly values: Readonly<Record<string, FilterValue>>,
    pseudo: Partial<Pick<FilterRecord, 'size' | 'offset' | 'seq' | 'time' | 'error' | 'recovered'>> = {},
  ) {
    this.size = pseudo.size ?? 16;
    this.offset = pseudo.offset ?? 0x1000;
    this.seq = pseudo.seq ?? 0;
    this.time = pseudo.time ?? 0;
    this.error = pseudo.error ?? false;
    this.recovered = pseudo.recovered ?? false;
  }

  get(field: DemoField): FilterValue {
    return this.values[field.path];
  }
}

const MAX_U64 = (1n << 64n) - 1n;

describe('filter language', () => {
  let scope: FilterScope<DemoField>;
  let op: (name: string) => number;
  let trace: Record<string, Command>;

  before(async function () {
    this.timeout(30_000);
    const analysis = await analyzeHeader(join(repoRoot, 'demo', 'include', 'pvgpu_protocol.h'), { abi: 'msvc-x64', readFile: readHeaderFile });
    scope = demoScope(analysis);
    op = (name) => Number(analysis.constants.get(`PVGPU_CMD_${name}`));
    const hdr = (type: string, flags: number, resourceId: number) => ({ 'hdr.type': op(type), 'hdr.flags': flags, 'hdr.resource_id': resourceId, 'hdr.size': 32 });
    trace = {
      bigDraw: new Command(op('DRAW_INDEXED'), { ...hdr('DRAW_INDEXED', 1, 3), index_count: 2000, start_index: 0, base_vertex: -5 }, { seq: 0, size: 28, time: 1_000n }),
      smallDraw: new Command(op('DRAW_INDEXED'), { ...hdr('DRAW_INDEXED', 0, 4), index_count: 999, start_index: 12, base_vertex: 0 }, { seq: 1, size: 28, time: 2_000n }),
      fence: new Command(op('FENCE'), { ...hdr('FENCE', 0, 0), fence_value: 0x1_0000_0000n }, { seq: 2, size: 24, time: 3_000n }),
      quietFence: new Command(op('FENCE'), { ...hdr('FENCE', 2, 0), fence_value: MAX_U64 }, { seq: 3, size: 24, time: 4_000n }),
      viewports: new Command(op('SET_VIEWPORTS'), { ...hdr('SET_VIEWPORTS', 0, 0), num_viewports: 2, 'viewports[0].width': 1920.5, 'viewports[0].height': 1080, 'viewports[1].width': 1280 }, { seq: 4, size: 404 }),
      texture: new Command(op('CREATE_RESOURCE'), { ...hdr('CREATE_RESOURCE', 0, 7), format: 28, bind_flags: 0x28, resource_type: 3, heap_offset: MAX_U64, width: 0x80000000 }, { seq: 5, size: 72 }),
      inputLayout: new Command(op('CREATE_INPUT_LAYOUT'), { ...hdr('CREATE_INPUT_LAYOUT', 0, 0), 'elements[0].semantic_name': new Uint8Array([...Buffer.from('POSITION'), 0, 0x41]), element_count: 1 }, { seq: 6, size: 892, error: true }),
      indexBuffer: new Command(op('SET_INDEX_BUFFER'), { ...hdr('SET_INDEX_BUFFER', 0, 9), format: 42, offset: 16 }, { seq: 7, size: 24, offset: 0x2000, recovered: true }),
      map: new Command(op('MAP_RESOURCE'), { ...hdr('MAP_RESOURCE', 0, 7), map_type: 1, heap_offset: 2n ** 53n + 1n }, { seq: 8, size: 40 }),
    };
  });

  function compile(source: string, backend: 'generated' | 'closures' = 'generated'): CompiledFilter<DemoField> {
    const compiled = compileFilter(source, scope, { backend });
    if (Array.isArray(compiled)) assert.fail(`${source}: ${compiled.map((e) => e.message).join('; ')}`);
    return compiled;
  }

  /** The commands a filter keeps, by name; both back ends must keep the same ones. */
  function matching(source: string): string[] {
    const kept = (backend: 'generated' | 'closures') => Object.entries(trace).filter(([, command]) => compile(source, backend).matches(command)).map(([name]) => name);
    const generated = kept('generated');
    assert.deepEqual(kept('closures'), generated, `${source}: the back ends disagree`);
    return generated;
  }

  /** Whether a filter without fields holds: constant expressions fold to true or false. */
  function holds(source: string): boolean {
    return compile(source).matches(trace.bigDraw!);
  }

  function errorsOf(source: string): FilterError[] {
    const result = compileFilter(source, scope);
    assert.ok(Array.isArray(result), `${source}: expected errors`);
    return result;
  }

  describe('the examples', () => {
    const examples: [string, string[]][] = [
      ['opcode == DRAW_INDEXED && index_count > 1000', ['bigDraw']],
      ['resource_id in (3, 4)', ['bigDraw', 'smallDraw']],
      ['flags & SYNC', ['bigDraw']],
      ['size > 256', ['viewports', 'inputLayout']],
      ['viewports[0].width >= 1920.5', ['viewports']],
      ['hdr.type != PVGPU_CMD_FENCE || !(flags & NO_FENCE)', ['bigDraw', 'smallDraw', 'fence', 'viewports', 'texture', 'inputLayout', 'indexBuffer', 'map']],
      ['format == DXGI_FORMAT_R8G8B8A8_UNORM', ['texture']],
      ['fence_value >= 0x1_0000_0000', ['fence', 'quietFence']],
      ['name ~ "Draw"', ['bigDraw', 'smallDraw']],
      ['base_vertex < -1', ['bigDraw']],
      ['not (opcode == FENCE) and (index_count > 1000 or num_viewports == 2)', ['bigDraw', 'viewports']],
    ];
    for (const [source, expected] of examples) {
      it(source, () => assert.deepEqual(matching(source), expected));
    }
  });

  describe('parsing and precedence', () => {
    it('follows C precedence and associativity', () => {
      for (const source of [
        '1 + 2 * 3 == 7', '(1 + 2) * 3 == 9', '1 << 2 + 1 == 8', '10 - 4 - 3 == 3', '100 / 10 / 5 == 2', '(6 & 3 ^ 1 | 8) == 11',
        '-2 * -3 == 6', '~0 == -1', '- -5 == 5', '!0 && 1 || 0', '0 || 1 && 1', '!(0 || 1 && 0)', 'not 1 == 0', '2 + 3 in (5)', '7 % 4 * 2 == 6',
        '(1 < 2) == (1 > 0 - 1)', 'true && !false', '(((((1)))))',
      ]) {
        assert.equal(holds(source), true, source);
      }
      for (const source of ['0 || 1 && 0', '1 + 1 == 3', '!1', '5 in (1, 2)', '1 && 0']) assert.equal(holds(source), false, source);
    });

    it('truncates division and keeps the dividend\'s sign, as C does', () => {
      for (const source of ['-7 / 2 == -3', '-7 % 3 == -1', '7 / -2 == -3', '7.0 / 2 == 3.5']) assert.equal(holds(source), true, source);
    });

    it('reads hex, binary, decimal with separators and C suffixes, floats with exponents', () => {
      for (const source of ['0x1F == 31', '0b1010 == 10', '1_000_000 == 1000000', '0x10u == 16', '5ull == 5', '1e3 == 1000', '1.5e-1 == 0.15', '.5 == 0.5', '2.5f == 2.5', '0 == 0']) {
        assert.equal(holds(source), true, source);
      }
    });

    it('takes word aliases and normalises paths: spaces and hex indexes', () => {
      assert.deepEqual(matching('opcode == DRAW_INDEXED and not (index_count < 1000) or opcode == FENCE and fence_value == 0x1_0000_0000'), ['bigDraw', 'fence']);
      assert.deepEqual(matching('viewports [ 0x1 ] . width == 1280'), ['viewports']);
      assert.deepEqual(compile('viewports[0x1].width > 0 || hdr . size > 0').fieldsUsed, ['viewports[1].width', 'hdr.size']);
    });

    it('keeps a long chain of clauses flat instead of nesting it', () => {
      const source = Array.from({ length: 2000 }, (_, i) => `resource_id == ${i + 100}`).join(' || ') + ' || resource_id == 3';
      assert.deepEqual(matching(source), ['bigDraw']);
    });
  });

  describe('exact values', () => {
    it('compares u64 values near 2^64 exactly', () => {
      assert.equal(holds('0xFFFFFFFFFFFFFFFF == 18446744073709551615'), true);
      assert.equal(holds('0xFFFF_FFFF_FFFF_FFFF - 1 == 18446744073709551614'), true);
      assert.deepEqual(matching('fence_value == 0xFFFFFFFFFFFFFFFF'), ['quietFence']);
      assert.deepEqual(matching('fence_value > 0xFFFFFFFFFFFFFFFE'), ['quietFence']);
      assert.deepEqual(matching('fence_value != 18446744073709551614 && opcode == FENCE'), ['fence', 'quietFence']);
      assert.deepEqual(matching('heap_offset == PVGPU_NO_HEAP_OFFSET'), ['texture']);
    });

    it('does not wrap at 64 bits, and does not round beyond 2^53', () => {
      assert.deepEqual(matching('fence_value + 1 > 0xFFFFFFFFFFFFFFFF'), ['quietFence']);
      assert.deepEqual(matching('fence_value * 3 / 3 == fence_value && fence_value > 5'), ['fence', 'quietFence']);
      assert.deepEqual(matching('heap_offset == 9007199254740993'), ['map']);
      assert.deepEqual(matching('heap_offset == 9007199254740992'), []);
      assert.deepEqual(matching('heap_offset - 1 == 1 << 53'), ['map']);
      assert.deepEqual(matching('fence_value >> 32 == 1'), ['fence']);
      assert.deepEqual(matching('(fence_value & (1 << 63)) != 0'), ['quietFence']);
    });

    it('compares integers with floats exactly, and floats with floats as doubles', () => {
      assert.deepEqual(matching('index_count > 999.5'), ['bigDraw']);
      assert.deepEqual(matching('index_count == 999.0'), ['smallDraw']);
      assert.deepEqual(matching('heap_offset > 9007199254740992.0 && heap_offset < 9007199254740994.0'), ['map']);
      assert.deepEqual(matching('heap_offset == 9007199254740992.0'), []);
      assert.deepEqual(matching('viewports[0].width > 1920'), ['viewports']);
      assert.deepEqual(matching('viewports[0].width == 1920.5 && viewports[0].height == 1080'), ['viewports']);
      assert.deepEqual(matching('viewports[0].width * 2 == 3841'), ['viewports']);
      assert.deepEqual(matching('viewports[0].width in (1920.5, 7)'), ['viewports']);
    });

    it('gives NaN no order and no equality, as C does', () => {
      const nan = new Command(op('CREATE_RASTERIZER_STATE'), { depth_bias_clamp: Number.NaN });
      const check = (source: string) => compile(source).matches(nan) && compile(source, 'closures').matches(nan);
      assert.deepEqual(['depth_bias_clamp < 0', 'depth_bias_clamp >= 0', 'depth_bias_clamp == depth_bias_clamp', 'depth_bias_clamp != 0', 'depth_bias_clamp'].map(check), [false, false, false, true, true]);
    });

    it('treats a u32 with bit 31 set as the positive number it is', () => {
      assert.deepEqual(matching('(width & 0x80000000) == 0x80000000'), ['texture']);
      assert.deepEqual(matching('width & 0x80000000'), ['texture']);
      assert.deepEqual(matching('(width | 1) == 0x80000001'), ['texture']);
      assert.deepEqual(matching('(width ^ 0xFFFFFFFF) == 0x7FFFFFFF'), ['texture']);
      assert.deepEqual(matching('~width == -0x80000001'), ['texture']);
      assert.deepEqual(matching('width >> 31 == 1'), ['texture']);
    });
  });

  describe('in, bits and symbols', () => {
    it('tests membership with constants, symbols, expressions and not in', () => {
      assert.deepEqual(matching('resource_id in (3, 4)'), ['bigDraw', 'smallDraw']);
      assert.deepEqual(matching('resource_id not in (0, 3)'), ['smallDraw', 'texture', 'indexBuffer', 'map']);
      assert.deepEqual(matching('opcode in (DRAW_INDEXED, PVGPU_CMD_FENCE)'), ['bigDraw', 'smallDraw', 'fence', 'quietFence']);
      assert.deepEqual(matching('index_count in (start_index + 987, 2000)'), ['bigDraw', 'smallDraw']);
      assert.deepEqual(matching('index_count not in (start_index + 987, 5)'), ['bigDraw']);
      assert.deepEqual(matching('name in ("PVGPU_CMD_FENCE", "PVGPU_CMD_MAP_RESOURCE")'), ['fence', 'quietFence', 'map']);
      assert.deepEqual(matching('name not in ("PVGPU_CMD_DRAW_INDEXED") && size < 30'), ['fence', 'quietFence', 'indexBuffer']);
    });

    it('tests bits with flag names, masks and complements', () => {
      assert.deepEqual(matching('flags & SYNC'), ['bigDraw']);
      assert.deepEqual(matching('flags & (SYNC | NO_FENCE)'), ['bigDraw', 'quietFence']);
      assert.deepEqual(matching('(flags & PVGPU_CMD_FLAG_MASK) == NO_FENCE'), ['quietFence']);
      assert.deepEqual(matching('bind_flags & RENDER_TARGET && !(bind_flags & ~(RENDER_TARGET | SHADER_RESOURCE))'), ['texture']);
      assert.deepEqual(matching('(flags ^ 3) == 1'), ['quietFence']);
    });

    it('resolves opcode names with or without the prefix, and other symbols by their tails', () => {
      assert.deepEqual(matching('opcode == PVGPU_CMD_DRAW_INDEXED'), matching('opcode == DRAW_INDEXED'));
      assert.deepEqual(matching('opcode == CMD_DRAW_INDEXED'), ['bigDraw', 'smallDraw']);
      // FENCE is PVGPU_CMD_FENCE: PVGPU_CMD_WAIT_ is no family (one constant), so WAIT_FENCE keeps its WAIT_.
      assert.deepEqual(matching('opcode == FENCE'), ['fence', 'quietFence']);
      assert.deepEqual(matching('opcode == WAIT_FENCE'), []);
      assert.deepEqual(matching('format == R8G8B8A8_UNORM'), ['texture']);
      assert.deepEqual(matching('resource_type == TEXTURE2D'), ['texture']);
      assert.deepEqual(matching('hdr.type == SET_VIEWPORTS'), ['viewports']);
    });

    it('settles a shared tail by the group of the field it is compared with', () => {
      // READ is PVGPU_MAP_READ and PVGPU_CPU_ACCESS_READ; map_type holds PvgpuMapType values.
      assert.deepEqual(matching('map_type == READ'), ['map']);
      assert.deepEqual(matching('map_type in (READ, WRITE)'), ['map']);
      // BUFFER: a resource type, a view dimension and more; resource_type holds PvgpuResourceType.
      assert.deepEqual(matching('resource_type != BUFFER'), ['texture']);
      const [error] = errorsOf('size > READ');
      assert.match(error!.message, /"READ" is ambiguous: PVGPU_MAP_READ \(1\), PVGPU_CPU_ACCESS_READ \(0x20000\)/);
    });
  });

  describe('pseudo-fields and text', () => {
    it('reads opcode, size, offset, seq, time, error and recovered from the record', () => {
      assert.deepEqual(matching('seq >= 7'), ['indexBuffer', 'map']);
      assert.deepEqual(matching('time > 2000 && time <= 3_000'), ['fence']);
      assert.deepEqual(matching('error || recovered'), ['inputLayout', 'indexBuffer']);
      assert.deepEqual(matching('offset == 0x2000'), ['indexBuffer']);
      assert.deepEqual(matching('size == 28 && opcode == 0x202'), ['bigDraw', 'smallDraw']);
      assert.deepEqual(matching('error == true'), ['inputLayout']);
    });

    it('matches opcode names by exact name and by case-insensitive pattern', () => {
      assert.deepEqual(matching('name == "PVGPU_CMD_FENCE"'), ['fence', 'quietFence']);
      assert.deepEqual(matching('opcodeName != "PVGPU_CMD_FENCE" && size < 30'), ['bigDraw', 'smallDraw', 'indexBuffer']);
      assert.deepEqual(matching('name ~ "^pvgpu_cmd_(map|set_v)"'), ['viewports', 'map']);
      assert.deepEqual(matching('name ~ "RESOURCE$"'), ['texture', 'map']);
      assert.deepEqual(matching('"PVGPU_CMD_FENCE" == name'), ['fence', 'quietFence']);
      assert.deepEqual(matching('!(name ~ "draw|fence")'), ['viewports', 'texture', 'inputLayout', 'indexBuffer', 'map']);
    });

    it('compares char arrays as text up to the first NUL', () => {
      assert.deepEqual(matching('elements[0].semantic_name == "POSITION"'), ['inputLayout']);
      assert.deepEqual(matching('elements[0].semantic_name ~ "^pos"'), ['inputLayout']);
      assert.deepEqual(matching('elements[0].semantic_name != "NORMAL"'), ['inputLayout']);
      assert.deepEqual(matching('elements[0].semantic_name in ("TEXCOORD", "POSITION")'), ['inputLayout']);
    });

    it('warns when a pseudo-field hides a header field, and reads the field as .name', () => {
      const record = compile('offset == 16');
      assert.deepEqual(record.warnings.map((w) => [w.message, w.start, w.end]), [['"offset" is the record\'s offset; the header field of that name is .offset', 0, 6]]);
      assert.deepEqual(matching('offset == 16'), []);
      assert.deepEqual(matching('.offset == 16'), ['indexBuffer']);
      assert.deepEqual(compile('.offset == 16').warnings, []);
    });
  });

  describe('missing fields', () => {
    it('make comparisons false, != and not in included', () => {
      assert.deepEqual(matching('index_count > 1000'), ['bigDraw']);
      assert.deepEqual(matching('index_count != 5'), ['bigDraw', 'smallDraw']);
      assert.deepEqual(matching('index_count not in (5)'), ['bigDraw', 'smallDraw']);
      assert.deepEqual(matching('index_count + 1 > 0'), ['bigDraw', 'smallDraw']);
      assert.deepEqual(matching('index_count == index_count'), ['bigDraw', 'smallDraw']);
      assert.deepEqual(matching('index_count'), ['bigDraw', 'smallDraw']);
    });

    it('leave ! as plain negation: !(a > b) keeps the commands without a', () => {
      assert.deepEqual(matching('!(index_count > 1000) && size < 30'), ['smallDraw', 'fence', 'quietFence', 'indexBuffer']);
      assert.deepEqual(matching('!index_count && opcode == FENCE'), ['fence', 'quietFence']);
    });
  });

  describe('what the decoder learns', () => {
    it('lists the header fields used, in order, once each', () => {
      assert.deepEqual(compile('opcode == FENCE && fence_value > 1 || fence_value < 0 && flags & SYNC || size > 4').fieldsUsed, ['fence_value', 'flags']);
    });

    it('runs as generated code where it may', () => {
      const compiled = compileFilter('size > 1', scope);
      assert.ok(!Array.isArray(compiled));
      assert.equal(compiled.backend, 'generated');
    });

    it('never puts filter text into the generated code', () => {
      const hostile = [
        'elements[0].semantic_name == "\\"; globalThis.pwned = 1; \\""',
        "elements[0].semantic_name != '`; globalThis.pwned = 1; `'",
        `name ~ "FENCE|'; globalThis.pwned = 1; '"`,
      ];
      for (const source of hostile) {
        const compiled = compile(source);
        assert.equal(compiled.matches(trace.inputLayout!), source.includes('!='));
      }
      assert.equal((globalThis as { pwned?: number }).pwned, undefined);
    });
  });

  describe('errors', () => {
    const deep = `${'('.repeat(150)}size${')'.repeat(150)}`;
    const cases: [source: string, message: RegExp, underlined: string][] = [
      ['', /empty/, ''],
      ['   ', /empty/, '   '],
      ['(opcode == 1', /"\(" is never closed/, '('],
      ['opcode == 1)', /unmatched "\)"/, ')'],
      ['index_count >', /">" needs a value after it/, '>'],
      ['index_count > 5 &&', /"&&" needs a value after it/, '&&'],
      ['index_cnt > 5', /unknown field or symbol "index_cnt" — did you mean "index_count"\?/, 'index_cnt'],
      ['hdr.sise > 5', /unknown field "hdr.sise" — did you mean "hdr.size"\?/, 'hdr.sise'],
      ['resource_id in 3', /"in" needs a list in parentheses/, '3'],
      ['resource_id in', /"in" needs a list in parentheses/, 'in'],
      ['resource_id in ()', /list after "in" is empty/, '()'],
      ['size > 0x', /bad number "0x"/, '0x'],
      ['size > 12ab', /bad number "12ab"/, '12ab'],
      ['size > 1__0', /"_" goes only between digits/, '1__0'],
      ['size > 010', /leading zeros/, '010'],
      ['size > 1.2.3', /more than one decimal point/, '1.2.3'],
      ['size > 5uu', /"uu" is not an integer suffix/, '5uu'],
      ['fence_value > 0x1_0000_0000_0000_0000', /does not fit in 64 bits/, '0x1_0000_0000_0000_0000'],
      ['opcode = DRAW', /"=" is not a comparison: did you mean "=="\?/, '='],
      ['opcode === DRAW', /"===" is JavaScript: write "=="/, '==='],
      ['size > 1 AND size < 5', /lower case: write "and"/, 'AND'],
      ['flags & SYNC == 0', /put the comparison in parentheses/, 'SYNC == 0'],
      ['1 < size < 5', /comparisons do not chain/, '1 < size'],
      ['size == 3 in (1)', /comparisons do not chain/, 'size == 3'],
      ['name == "DRAW"', /no opcode is named "DRAW" — did you mean "PVGPU_CMD_DRAW"\?/, '"DRAW"'],
      ['name ~ "(a+)+"', /exponential/, '"(a+)+"'],
      ['name ~ "["', /not a valid regular expression/, '"["'],
      ['name ~ "zzz"', /no opcode name matches "zzz"/, '"zzz"'],
      ['name ~ "draw', /string is not closed/, '"draw'],
      ['name > 3', /name is the opcode name, text/, 'name'],
      ['size ~ "x"', /matches a pattern against name/, 'size'],
      ['viewports[0].width & 1', /needs whole numbers, and this is a float/, 'viewports[0].width'],
      ['viewports[99].width > 1', /unknown field "viewports\[99\].width"/, 'viewports[99].width'],
      ['resource_id == -1', /resource_id is unsigned and never negative; write 0xFFFFFFFF/, '-1'],
      ['"abc"', /a string can only be compared/, '"abc"'],
      ['size > 1 << 64', /shift count must be 0 to 63/, '1 << 64'],
      ['size > 1 / 0', /division by zero/, '1 / 0'],
      ['size > @3', /unexpected character "@"/, '@'],
      ['size > 3 size', /unexpected "size": expected an operator/, 'size'],
      [deep, /nested too deeply/, '('],
    ];
    for (const [source, message, underlined] of cases) {
      const label = source.length > 40 ? `${source.slice(0, 37)}...` : source.trim() ? source : JSON.stringify(source);
      it(`${label}  →  error at ${JSON.stringify(underlined)}`, () => {
        const errors = errorsOf(source);
        assert.match(errors[0]!.message, message);
        assert.equal(source.slice(errors[0]!.start, errors[0]!.end), underlined);
      });
    }

    it('reports every unknown name at once, each at its place', () => {
      const source = 'index_cnt > 1 && fence_valu == 2 || bogus';
      assert.deepEqual(errorsOf(source).map((e) => source.slice(e.start, e.end)), ['index_cnt', 'fence_valu', 'bogus']);
    });
  });

  describe('speed', () => {
    it('matches a million records with a three-clause filter; generated code and closures agree', function () {
      this.timeout(60_000);
      const count = 1_000_000;
      // One record object over a DataView, moved along the ring as a decoder's cursor would.
      const view = new DataView(new ArrayBuffer(count * 24));
      const opcodes = [op('DRAW_INDEXED'), op('FENCE'), op('SET_VIEWPORTS')];
      let seed = 7;
      const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
      for (let i = 0; i < count; i++) {
        view.setUint32(i * 24, opcodes[Math.floor(next() * 3)]!, true);
        view.setUint32(i * 24 + 12, Math.floor(next() * 4), true);
        view.setUint32(i * 24 + 16, Math.floor(next() * 3000), true);
      }
      const offsets: Readonly<Record<string, number>> = { 'hdr.type': 0, 'hdr.flags': 12, index_count: 16 };
      const cursor = new (class implements FilterRecord<DemoField> {
        base = 0;
        size = 24;
        seq = 0;
        time = 0;
        error = false;
        recovered = false;
        get opcode() {
          return view.getUint32(this.base, true);
        }
        get offset() {
          return this.base;
        }
        get(field: DemoField): FilterValue {
          const at = offsets[field.path];
          if (at === undefined || (field.path === 'index_count' && this.opcode !== opcodes[0])) return undefined;
          return view.getUint32(this.base + at, true);
        }
      })();
      const source = 'opcode == DRAW_INDEXED && index_count > 1000 && flags & SYNC';
      const rates: string[] = [];
      const counts = new Set<number>();
      for (const backend of ['closures', 'generated'] as const) {
        const filter = compile(source, backend);
        let best = Infinity;
        for (let run = 0; run < 3; run++) {
          let kept = 0;
          const start = performance.now();
          for (let i = 0; i < count; i++) {
            cursor.base = i * 24;
            if (filter.matches(cursor)) kept++;
          }
          best = Math.min(best, performance.now() - start);
          counts.add(kept);
        }
        rates.push(`${backend} ${(count / best / 1000).toFixed(1)} M matches/s`);
      }
      console.log(`      ${source}: ${rates.join(', ')}`);
      assert.equal(counts.size, 1);
    });
  });
});
