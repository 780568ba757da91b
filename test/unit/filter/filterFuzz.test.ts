import * as assert from 'node:assert/strict';
import {
  compileFilter,
  OPCODE_GROUP,
  SymbolTable,
  type FieldRef,
  type FilterError,
  type FilterRecord,
  type FilterScope,
  type FilterValue,
} from '../../../extension/protocol/filter/compileFilter';
import { seededRandom } from '../seededRandom';

// Random and mutated filters through the compiler and both back ends. Whatever the text:
// compileFilter returns (never throws, never an internal error), errors and warnings point
// inside the text, compiling stays fast however deep the nesting, and a compiled filter
// matches any record without throwing, generated code and closures giving the same answer.
// Seeded, so a failure reproduces; the seed, the case and the text are in the message.
// filterFuzzLong.ts runs the same cases by the hundred thousand.


interface FuzzField extends FieldRef {
  readonly name: string;
}

const FIELDS: readonly FuzzField[] = [
  { name: 'hdr.type', kind: 'int', signed: false, bits: 32, group: OPCODE_GROUP },
  { name: 'flags', kind: 'int', signed: false, bits: 32, group: 'FLAG' },
  { name: 'count', kind: 'int', signed: false, bits: 32 },
  { name: 'delta', kind: 'int', signed: true, bits: 32 },
  { name: 'fence', kind: 'int', signed: false, bits: 64 },
  { name: 'big', kind: 'int', signed: true, bits: 64 },
  { name: 'mode', kind: 'int', signed: false, bits: 8, group: 'MODE' },
  { name: 'vp[0].w', kind: 'float' },
  { name: 'vp[1].w', kind: 'float' },
  { name: 'enabled', kind: 'bool' },
  { name: 'label', kind: 'bytes' },
];
const OPCODES = [
  { name: 'CMD_DRAW', value: 1n },
  { name: 'CMD_DRAW_INDEXED', value: 2n },
  { name: 'CMD_FENCE', value: 3n },
  { name: 'CMD_WAIT_FENCE', value: 4n },
  { name: 'CMD_BIG', value: 1n << 40n },
];
const symbols = new SymbolTable([
  ...OPCODES.map((o) => ({ ...o, group: OPCODE_GROUP })),
  { name: 'FLAG_SYNC', value: 1n, group: 'FLAG' },
  { name: 'FLAG_NO_FENCE', value: 2n, group: 'FLAG' },
  { name: 'FLAG_TOP', value: 0x80000000n, group: 'FLAG' },
  { name: 'MODE_READ', value: 1n, group: 'MODE' },
  { name: 'MODE_WRITE', value: 2n, group: 'MODE' },
  { name: 'ACCESS_READ', value: 0x10n },
  { name: 'ACCESS_WRITE', value: 0x20n },
  { name: 'MAX_U64', value: (1n << 64n) - 1n },
]);

export const FUZZ_SCOPE: FilterScope<FuzzField> = {
  field: (path) => FIELDS.find((f) => f.name === path),
  symbols: (name) => symbols.lookup(name),
  opcodes: () => OPCODES,
  names: function* () {
    yield* FIELDS.map((f) => f.name);
    yield* symbols.names();
  },
};

const VALID = [
  'opcode == DRAW_INDEXED && count > 1000',
  'hdr.type != CMD_FENCE || !(flags & NO_FENCE)',
  'count in (3, 4) and not (delta < -5)',
  'fence >= 0x1_0000_0000 || fence == MAX_U64',
  'vp[0].w >= 1920.5 && vp[1].w < vp[0].w * 2',
  'name ~ "draw" || name == "CMD_FENCE"',
  'mode == READ && enabled',
  'label == "POSITION" || label ~ "^tex"',
  '(flags & (SYNC | TOP)) == TOP',
  'big < -0x8000_0000 || big >> 3 == 7 || -big % 5 != 0',
  'size > 256 && seq % 2 == 0 && time / 1000 > 5 || error || recovered',
  '.count not in (1, count + 1) && offset != 0',
  'opcode in (DRAW, FENCE, BIG) && ~flags & 3',
  'count * count > 0xFFFF_FFFF && 1e3 < count / 2.5',
];

const FRAGMENTS = [
  ...FIELDS.map((f) => f.name), 'opcode', 'name', 'opcodeName', 'size', 'offset', 'seq', 'time', 'error', 'recovered',
  'DRAW', 'FENCE', 'SYNC', 'READ', 'MAX_U64', 'CMD_BIG', 'unknown_thing', 'Count', 'AND', 'constructor', '__proto__', 'toString',
  '0', '1', '-1', '42', '0x', '0xFFFF_FFFF_FFFF_FFFF', '0x1_0000_0000_0000_0000', '18446744073709551616', '1__0', '010', '0b102', '1.5', '.5', '1e400', '1e-3', '2.5f', '3u', '1.2.3', '12ab',
  '"draw"', '"(a+)+"', '"["', '"', "'x'", '"\\\\"', '"POSITION"', '""',
  '==', '!=', '<', '<=', '>', '>=', '&&', '||', '!', '&', '|', '^', '~', '<<', '>>', '+', '-', '*', '/', '%', '=', '===',
  'and', 'or', 'not', 'in', 'true', 'false', '(', ')', '(', ')', '[', ']', '[0]', ',', '.', '@', '#', '€', '\u0000', '😀', '\n', '\t',
];

function pick<T>(items: readonly T[], next: () => number): T {
  return items[Math.floor(next() * items.length)]!;
}

function tokenSoup(next: () => number): string {
  const length = 1 + Math.floor(next() * 30);
  return Array.from({ length }, () => pick(FRAGMENTS, next)).join(next() < 0.3 ? '' : ' ');
}

function mutate(source: string, next: () => number): string {
  const tokens = source.match(/"[^"]*"|[A-Za-z_][\w.[\]]*|0x[\w]+|[\d._]+\w*|&&|\|\||[=!<>]=|<<|>>|\S|\s+/g) ?? [source];
  const edits = 1 + Math.floor(next() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * tokens.length);
    const choice = next();
    if (choice < 0.25) tokens.splice(at, 1);
    else if (choice < 0.5) tokens.splice(at, 0, pick(FRAGMENTS, next));
    else if (choice < 0.65) tokens.splice(at, 0, tokens[Math.floor(next() * tokens.length)] ?? '');
    else if (choice < 0.8) tokens[at] = pick(FRAGMENTS, next);
    else if (choice < 0.9) [tokens[at], tokens[at + 1]] = [tokens[at + 1] ?? '', tokens[at] ?? ''];
    else return tokens.join('').slice(0, Math.floor(next() * source.length));
  }
  return tokens.join('');
}

/** Well-formed filters of random shape, most of which compile: these exercise matching. */
function randomTest(next: () => number, depth: number): string {
  const choice = depth <= 0 ? next() * 0.5 : next();
  if (choice < 0.3) return `${randomValue(next, depth - 1)} ${pick(['==', '!=', '<', '<=', '>', '>='], next)} ${randomValue(next, depth - 1)}`;
  if (choice < 0.38) return `${pick(['flags', 'count', 'fence', 'big', 'mode', '~flags'], next)} & ${pick(['SYNC', 'TOP', 'NO_FENCE', '0x80000000', '1 << 40', '-1'], next)}`;
  if (choice < 0.46) {
    const items = Array.from({ length: 1 + Math.floor(next() * 4) }, () => randomValue(next, depth - 1));
    return `${randomValue(next, depth - 1)} ${next() < 0.3 ? 'not in' : 'in'} (${items.join(', ')})`;
  }
  if (choice < 0.52) return pick(['name ~ "draw"', 'name ~ "^cmd_(draw|big)$"', 'name == "CMD_FENCE"', 'name != "CMD_DRAW"', 'label == "POSITION"', 'label ~ "pos"', 'label in ("A", "")', 'name in ("CMD_BIG")'], next);
  if (choice < 0.6) return `!(${randomTest(next, depth - 1)})`;
  if (choice < 0.8) return `(${randomTest(next, depth - 1)} ${pick(['&&', '||', 'and', 'or'], next)} ${randomTest(next, depth - 1)})`;
  return randomValue(next, depth - 1);
}

function randomValue(next: () => number, depth: number): string {
  const choice = depth <= 0 ? next() * 0.6 : next();
  if (choice < 0.3) return pick([...FIELDS.filter((f) => f.kind !== 'bytes').map((f) => f.name), 'opcode', 'size', 'offset', 'seq', 'time', 'error', 'recovered'], next);
  if (choice < 0.6) {
    return pick(['0', '1', '-1', '7', '1000', '0xFFFFFFFF', '0x80000000', '0xFFFF_FFFF_FFFF_FFFF', '9007199254740993', '-0x8000000000000000', '1.5', '-0.0', '1e300', 'DRAW', 'SYNC', 'MAX_U64', 'CMD_BIG', 'true'], next);
  }
  if (choice < 0.85) return `(${randomValue(next, depth - 1)} ${pick(['+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>'], next)} ${randomValue(next, depth - 1)})`;
  if (choice < 0.93) return `${pick(['-', '~', '!', '+'], next)}${randomValue(next, depth - 1)}`;
  return `(${randomTest(next, depth - 1)})`;
}

/** Deep nesting, long chains and long lists: compile time must stay linear. */
function hostile(next: () => number): string {
  const n = 1 + Math.floor(next() * 4000);
  switch (Math.floor(next() * 8)) {
    case 0:
      return `${'('.repeat(n)}count${')'.repeat(n)}`;
    case 1:
      return `${'!'.repeat(n)}count`;
    case 2:
      return `${'-'.repeat(n)}1 == 1`;
    case 3:
      return `count ${'+ 1 '.repeat(n)}> 0`;
    case 4:
      return Array.from({ length: n }, (_, i) => `count == ${i}`).join(' || ');
    case 5:
      return `count in (${Array.from({ length: n }, (_, i) => (i % 3 ? String(i) : `count + ${i}`)).join(', ')})`;
    case 6:
      return '('.repeat(n);
    default:
      return `name ~ "${'(a|'.repeat(n % 200)}x${')*'.repeat(n % 200)}"`;
  }
}

export function fuzzFilter(next: () => number): string {
  const choice = next();
  if (choice < 0.3) return tokenSoup(next);
  if (choice < 0.6) return mutate(pick(VALID, next), next);
  if (choice < 0.97) return randomTest(next, 1 + Math.floor(next() * 4));
  return hostile(next);
}

function randomInt(next: () => number, bits: number, signed: boolean): FilterValue {
  const edges = signed ? [0n, -1n, 1n, -(1n << BigInt(bits - 1)), (1n << BigInt(bits - 1)) - 1n] : [0n, 1n, (1n << BigInt(bits)) - 1n, 1n << BigInt(bits - 1), (1n << 53n) + 1n];
  let value = next() < 0.4 ? pick(edges, next) : BigInt(Math.floor(next() * 2 ** 32)) * (bits > 32 ? BigInt(Math.floor(next() * 2 ** 32)) : 1n);
  value = signed ? BigInt.asIntN(bits, value) : BigInt.asUintN(bits, value);
  // Decoders hand out numbers up to 32 bits and BigInt beyond; either must work anywhere.
  return (bits <= 32) !== next() < 0.1 && Number.isSafeInteger(Number(value)) ? Number(value) : value;
}

function randomValueOf(field: FuzzField, next: () => number): FilterValue {
  switch (field.kind) {
    case 'int':
      return randomInt(next, field.bits ?? 32, field.signed ?? false);
    case 'float':
      return pick([Number.NaN, Infinity, -Infinity, -0, 0, 1920.5, 2 ** 53, 1e300, next() * 4000 - 2000], next);
    case 'bool':
      return next() < 0.5;
    case 'bytes':
      return Uint8Array.from({ length: Math.floor(next() * 12) }, () => (next() < 0.15 ? 0 : 32 + Math.floor(next() * 95)));
  }
}

export function fuzzRecord(next: () => number): FilterRecord<FuzzField> {
  const values = new Map<FuzzField, FilterValue>();
  for (const field of FIELDS) if (next() < 0.7) values.set(field, randomValueOf(field, next));
  const opcode = pick(OPCODES, next).value;
  return {
    get: (field) => values.get(field),
    opcode: next() < 0.8 && opcode < 2n ** 32n ? Number(opcode) : opcode,
    size: Math.floor(next() * 1024),
    offset: next() < 0.5 ? Math.floor(next() * 2 ** 40) : BigInt(Math.floor(next() * 2 ** 32)) << 24n,
    seq: Math.floor(next() * 1e6),
    time: BigInt(Math.floor(next() * 2 ** 52)) * 1000n,
    error: next() < 0.1,
    recovered: next() < 0.05,
  };
}

export interface FuzzSummary {
  cases: number;
  compiled: number;
  rejected: number;
  matched: number;
  matchCalls: number;
  slowestCompileMs: number;
  slowestSource: string;
  totalCompileMs: number;
  failures: string[];
}

/** Compile time above which a case counts as a failure: generous for slow machines, far below a blow-up. */
const COMPILE_BUDGET_MS = 500;

function checkSpans(kind: string, source: string, items: readonly FilterError[]): string | undefined {
  for (const e of items) {
    if (typeof e.message !== 'string' || e.message.length === 0) return `${kind} without a message`;
    if (e.message.startsWith('internal error')) return e.message;
    if (!Number.isInteger(e.start) || !Number.isInteger(e.end) || e.start < 0 || e.end > source.length || e.start > e.end) return `${kind} span ${e.start}-${e.end} outside 0-${source.length}: ${e.message}`;
    if (e.start === e.end && source.trim() !== '') return `${kind} with an empty span at ${e.start}: ${e.message}`;
  }
  return undefined;
}

/** One case: its problems as text (empty when all is well). */
function checkCase(source: string, records: readonly FilterRecord<FuzzField>[], summary: FuzzSummary): string | undefined {
  const started = performance.now();
  let generated;
  try {
    generated = compileFilter(source, FUZZ_SCOPE, { backend: 'generated' });
  } catch (error) {
    return `compileFilter threw: ${String(error)}`;
  }
  const elapsed = performance.now() - started;
  summary.totalCompileMs += elapsed;
  if (elapsed > summary.slowestCompileMs) {
    summary.slowestCompileMs = elapsed;
    summary.slowestSource = source.length > 80 ? `${source.slice(0, 77)}...` : source;
  }
  if (elapsed > COMPILE_BUDGET_MS) return `compiling took ${elapsed.toFixed(0)} ms`;
  if (Array.isArray(generated)) {
    summary.rejected++;
    if (generated.length === 0) return 'no filter and no error';
    return checkSpans('error', source, generated);
  }
  summary.compiled++;
  const closures = compileFilter(source, FUZZ_SCOPE, { backend: 'closures' });
  if (Array.isArray(closures)) return `the closure back end refused what the generated one took: ${closures[0]?.message ?? ''}`;
  const spanProblem = checkSpans('warning', source, generated.warnings);
  if (spanProblem) return spanProblem;
  for (const [i, record] of records.entries()) {
    let a: unknown;
    let b: unknown;
    try {
      a = generated.matches(record);
      b = closures.matches(record);
    } catch (error) {
      return `matching record ${i} threw: ${String(error)}`;
    }
    summary.matchCalls++;
    if (typeof a !== 'boolean' || a !== b) return `record ${i}: generated code says ${String(a)}, closures say ${String(b)}`;
    if (a) summary.matched++;
  }
  return undefined;
}

/** Runs `count` cases from `seed`; failures name the case and its text. */
export function runFuzz(seed: number, count: number, recordsPerCase = 8): FuzzSummary {
  const next = seededRandom(seed);
  const summary: FuzzSummary = { cases: 0, compiled: 0, rejected: 0, matched: 0, matchCalls: 0, slowestCompileMs: 0, slowestSource: '', totalCompileMs: 0, failures: [] };
  const records = Array.from({ length: 64 }, () => fuzzRecord(next));
  for (let i = 0; i < count; i++) {
    const source = fuzzFilter(next);
    const sample = Array.from({ length: recordsPerCase }, () => pick(records, next));
    const problem = checkCase(source, sample, summary);
    summary.cases++;
    if (problem) summary.failures.push(`seed ${seed} case ${i}: ${problem}\n  filter: ${JSON.stringify(source.length > 300 ? `${source.slice(0, 300)}...` : source)}`);
  }
  return summary;
}

// Mocha's globals exist only under mocha; filterFuzzLong.ts imports this file as a plain script.
if (typeof describe === 'function') {
  describe('filter language: fuzzing', () => {
    it('survives 3,000 random, mutated and hostile filters: no throw, located errors, fast compiles, back ends agree', function () {
      this.timeout(120_000);
      const summary = runFuzz(0xf117e5, 3000);
      assert.deepEqual(summary.failures.slice(0, 5), []);
      // The generator must keep producing both kinds, or the test tests little.
      assert.ok(summary.compiled > 600 && summary.rejected > 600, `compiled ${summary.compiled}, rejected ${summary.rejected}`);
      assert.ok(summary.matched > 100 && summary.matched < summary.matchCalls, `matched ${summary.matched} of ${summary.matchCalls}`);
    });

    it('refuses nesting beyond the limit, with the error at the innermost opening', () => {
      for (const depth of [101, 1000, 30_000]) {
        const source = `${'('.repeat(depth)}count${')'.repeat(depth)}`;
        const result = compileFilter(source, FUZZ_SCOPE);
        assert.ok(Array.isArray(result));
        assert.match(result[0]!.message, /nested too deeply/);
        assert.deepEqual([result[0]!.start, result[0]!.end], [100, 101]);
      }
      assert.ok(!Array.isArray(compileFilter(`${'('.repeat(100)}count${')'.repeat(100)}`, FUZZ_SCOPE)));
    });
  });
}
