import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { FenceAnalysis, type FenceReport } from '../../../extension/protocol/analysis/fenceAnalysis';
import { readHeaderFile } from '../../../extension/protocol/localFiles';
import { loadProtocol, type LoadedProtocol } from '../../../extension/protocol/profile/loadProtocol';
import { OpcodeGroups } from '../../../extension/protocol/profile/opcodeGroups';
import { repoRoot } from '../../harness/paths';
import { analyzeText } from '../protocol/inMemoryHeaders';
import { resolveCommandProfile } from '../../../extension/protocol/profile/commandProfile';
import { seededRandom } from '../seededRandom';
import { demoCommand } from '../../harness/demoCommands';
import { ScriptedTraceSource } from './scriptedSource';

const PROFILE = join(repoRoot, 'demo', 'gpupv.json');

/** Histogram percentiles are within 0.05% of the exact value. */
function near(actual: number | undefined, expected: number, what: string): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= expected * 5e-4 + 1e-9, `${what}: ${actual} is not ${expected}`);
}

function group(report: FenceReport, name: string) {
  const found = report.groups.find((g) => g.group === name);
  assert.ok(found, `no group ${name}; have ${report.groups.map((g) => g.group).join(', ')}`);
  return found;
}

describe('fence analysis', () => {
  let protocol: LoadedProtocol;

  before(async () => {
    protocol = await loadProtocol(PROFILE, readHeaderFile);
  });

  it('groups the demo opcodes by the header\u2019s value blocks, each named by its telling word', () => {
    const groups = new OpcodeGroups(protocol.command);
    assert.deepEqual(
      groups.groups.map((g) => [g.name, Number(g.first), Number(g.last), g.opcodes.length]),
      [
        ['resource', 0x1, 0x8, 8],
        ['state', 0x10, 0x15, 6],
        ['view', 0x20, 0x24, 5],
        ['shader', 0x30, 0x31, 2],
        ['set', 0x101, 0x10f, 15],
        ['draw', 0x201, 0x207, 7],
        ['fence', 0x301, 0x304, 4],
      ],
    );
    assert.equal(groups.nameOf(groups.indexOf(0x7777)), 'other');
  });

  it('groups opcodes numbered without gaps by their first word', async () => {
    const names = ['CREATE_BUF', 'CREATE_TEX', 'DESTROY_BUF', 'DESTROY_TEX', 'BIND_BUF', 'BIND_TEX', 'DRAW', 'DRAW_LINES', 'DRAW_POINTS'];
    const header = `#include <stdint.h>
      struct hdr { uint32_t op; uint32_t len; };
      enum op { ${names.map((n, i) => `OP_${n} = ${i}`).join(', ')} };
      ${names.map((n) => `struct op_${n.toLowerCase()} { struct hdr h; uint32_t x; };`).join('\n')}`;
    const analysis = await analyzeText(header);
    const command = resolveCommandProfile(analysis, { header: 'hdr', opcodeField: 'op', sizeField: 'len', opcodes: { enum: 'op' }, payloads: { structPrefix: 'op_' } }).profile!;
    assert.deepEqual(
      new OpcodeGroups(command).groups.map((g) => [g.name, g.opcodes.map((o) => o.shortName)]),
      [
        ['create', ['CREATE_BUF', 'CREATE_TEX']],
        ['destroy', ['DESTROY_BUF', 'DESTROY_TEX']],
        ['bind', ['BIND_BUF', 'BIND_TEX']],
        ['draw', ['DRAW', 'DRAW_LINES', 'DRAW_POINTS']],
      ],
    );
  });

  it('times each command to the first fence at or after it completing, per opcode group', () => {
    const source = new ScriptedTraceSource(protocol);
    const c = (name: string, fields?: Record<string, number | bigint>) => demoCommand(protocol, name, fields);
    source.push(c('DRAW'), 0);
    source.push(c('DRAW'), 1);
    source.push(c('CREATE_RESOURCE'), 2);
    source.push(c('FENCE', { fence_value: 1 }), 3);
    source.completeFences(1n, 10);
    source.push(c('SET_SHADER'), 20);
    source.push(c('FENCE', { fence_value: 2 }), 21);
    source.completeFences(2n, 41);
    source.push(c('DRAW'), 50);
    source.push(c('FENCE', { fence_value: 3 }), 51);
    source.push(c('DRAW'), 60);
    const analysis = new FenceAnalysis(source);
    analysis.update();
    const report = analysis.report();
    assert.deepEqual(report.groups.map((g) => [g.group, g.commands]), [['resource', 1], ['set', 1], ['draw', 2], ['fence', 2]]);
    const draw = group(report, 'draw').latencyMs!;
    near(draw.p50, 9, 'draw p50');
    near(draw.p99, 10, 'draw p99');
    assert.equal(draw.max, 10);
    assert.equal(group(report, 'resource').latencyMs!.max, 8);
    near(group(report, 'set').latencyMs!.p50, 21, 'set p50');
    near(group(report, 'fence').latencyMs!.p50, 7, 'fence p50');
    assert.equal(group(report, 'fence').latencyMs!.max, 20);
    assert.deepEqual(report.latencyMs, { p50: 7, p90: 20, p99: 20, max: 20 });
    assert.deepEqual(report.slowest, [
      { seq: 5, value: 2n, latencyMs: 20 },
      { seq: 3, value: 1n, latencyMs: 7 },
    ]);
    assert.deepEqual(report.unfinished, { state: 'pending', count: 1, first: [{ seq: 7, value: 3n }] });
    assert.equal(report.awaitingFence, 3);
    source.end();
    assert.equal(analysis.report().unfinished.state, 'never completed');
    source.close();
  });

  it('counts commands completed at an unknown time (a snapshot) apart, in no percentile', () => {
    const source = new ScriptedTraceSource(protocol);
    source.push(demoCommand(protocol, 'DRAW'));
    source.push(demoCommand(protocol, 'FENCE', { fence_value: 9 }));
    source.completeFences(9n, Number.NaN);
    const analysis = new FenceAnalysis(source);
    analysis.update();
    const report = analysis.report();
    assert.deepEqual(report.groups, [
      { group: 'draw', first: 0x201, last: 0x207, commands: 0, untimed: 1 },
      { group: 'fence', first: 0x301, last: 0x304, commands: 0, untimed: 1 },
    ]);
    assert.deepEqual(report.slowest, []);
    source.close();
  });

  /** Draws, state and resource commands with a fence every few, each completed some rows later. */
  function script(seed: number, count: number): ((source: ScriptedTraceSource) => void)[] {
    const random = seededRandom(seed);
    const names = ['DRAW', 'DRAW_INDEXED', 'SET_SHADER', 'CREATE_RESOURCE', 'PRESENT'];
    const steps: ((source: ScriptedTraceSource) => void)[] = [];
    let fence = 0n;
    let completed = 0n;
    let ms = 0;
    for (let i = 0; i < count; i++) {
      ms += random() * 0.3;
      const at = ms;
      if (random() < 0.1) {
        const value = ++fence;
        steps.push((s) => s.push(demoCommand(protocol, 'FENCE', { fence_value: value }), at));
      } else {
        const bytes = demoCommand(protocol, names[Math.floor(random() * names.length)]!);
        steps.push((s) => s.push(bytes, at));
      }
      if (completed < fence && random() < 0.08) {
        const value = (completed += 1n + BigInt(Math.floor(random() * Number(fence - completed))));
        const doneAt = at + random() * 0.01;
        steps.push((s) => s.completeFences(value, doneAt));
      }
    }
    return steps;
  }

  it('reports the same whether the rows come at once or in random slices', () => {
    const steps = script(7, 20_000);
    const whole = new ScriptedTraceSource(protocol);
    for (const step of steps) step(whole);
    const once = new FenceAnalysis(whole);
    once.update();

    const sliced = new ScriptedTraceSource(protocol);
    const incremental = new FenceAnalysis(sliced);
    const random = seededRandom(11);
    for (let i = 0; i < steps.length; ) {
      const end = Math.min(steps.length, i + 1 + Math.floor(random() * 400));
      for (; i < end; i++) steps[i]!(sliced);
      incremental.update();
    }
    const expected = once.report();
    assert.ok(expected.groups.length >= 4 && expected.groups.every((g) => g.commands > 100), 'the script exercises several groups');
    assert.deepEqual(incremental.report(), expected);
    whole.close();
    sliced.close();
  });

  it('counts the rows a live window dropped before their fence completed as missed, in no group', () => {
    const source = new ScriptedTraceSource(protocol);
    const analysis = new FenceAnalysis(source);
    source.push(demoCommand(protocol, 'DRAW'), 0);
    source.push(demoCommand(protocol, 'FENCE', { fence_value: 1 }), 1);
    source.completeFences(1n, 2);
    analysis.update();
    for (let i = 0; i < 10; i++) source.push(demoCommand(protocol, 'DRAW'), 3 + i);
    source.push(demoCommand(protocol, 'FENCE', { fence_value: 2 }), 20);
    // The window lets go of seqs 2..7 before the fence covering them completes.
    source.dropBefore(8);
    assert.ok(analysis.neededFrom <= 2, 'the analysis still wanted those rows');
    source.completeFences(2n, 30);
    analysis.update();
    const report = analysis.report();
    assert.equal(report.missed, 6);
    assert.deepEqual(report.groups.map((g) => [g.group, g.commands]), [['draw', 1 + 4], ['fence', 2]]);
    assert.equal(group(report, 'draw').latencyMs!.max, 30 - 9, 'the oldest draw still held, seen at 9 ms');
    assert.equal(analysis.neededFrom, 13);
    source.close();
  });
});
