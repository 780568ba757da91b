import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { describeLifetimeProblem, ResourceLifetimes, type LifetimeProblem } from '../../../extension/protocol/analysis/resourceLifetimes';
import { readHeaderFile } from '../../../extension/protocol/localFiles';
import { loadProtocol, type LoadedProtocol } from '../../../extension/protocol/profile/loadProtocol';
import { repoRoot } from '../../harness/paths';
import { seededRandom } from '../seededRandom';
import { demoCommand } from '../../harness/demoCommands';
import { ScriptedTraceSource } from './scriptedSource';

const PROFILE = join(repoRoot, 'demo', 'gpupv.json');

/** Each problem as [kind, resource kind, id, [seq, role, field]...] for a readable comparison. */
function brief(problems: readonly LifetimeProblem[]): unknown[] {
  return problems.map((p) => [p.kind, p.resourceKind, p.id, ...p.rows.map((r) => `${r.seq} ${r.role} ${r.field}`), ...(p.uses !== undefined ? [`uses ${p.uses}`] : [])]);
}

describe('resource lifetimes', () => {
  let protocol: LoadedProtocol;
  let c: (name: string, fields?: Record<string, number | bigint>) => Uint8Array;

  before(async () => {
    protocol = await loadProtocol(PROFILE, readHeaderFile);
    c = (name, fields) => demoCommand(protocol, name, fields);
  });

  it('finds use after destroy, double destroy, a create of a live id and leaks, each with its rows', () => {
    const source = new ScriptedTraceSource(protocol);
    const rows = [
      c('CREATE_RESOURCE', { 'hdr.resource_id': 1 }), // 0
      c('COPY_RESOURCE', { 'hdr.resource_id': 2, src_resource_id: 1 }), // 1: 2 is of unknown origin
      c('DESTROY_RESOURCE', { 'hdr.resource_id': 1 }), // 2
      c('MAP_RESOURCE', { 'hdr.resource_id': 1 }), // 3: use after destroy
      c('SET_VERTEX_BUFFERS', { num_buffers: 2, 'buffers[1].resource_id': 1 }), // 4: the same, counted
      c('DESTROY_RESOURCE', { 'hdr.resource_id': 1 }), // 5: double destroy
      c('CREATE_RESOURCE', { 'hdr.resource_id': 7 }), // 6: never destroyed
      c('CREATE_RENDER_TARGET_VIEW', { 'hdr.resource_id': 7, view_id: 3 }), // 7
      c('SET_RENDER_TARGETS', { num_rtvs: 2, 'rtv_ids[0]': 3, 'rtv_ids[1]': 0, 'rtv_ids[2]': 99, dsv_id: 0 }), // 8: 0 is no view, 99 is past num_rtvs
      c('DESTROY_VIEW', { view_id: 3 }), // 9
      c('CLEAR_RENDER_TARGET_VIEW', { rtv_id: 3 }), // 10: use after destroy
      c('CREATE_SHADER', { shader_id: 5 }), // 11
      c('CREATE_SHADER', { shader_id: 5 }), // 12: created again while alive
      c('DESTROY_SHADER', { shader_id: 40 }), // 13: of unknown origin, not a problem
      c('SET_SHADER', { shader_id: 40 }), // 14: but a use after that destroy is
      c('CREATE_SAMPLER', { sampler_id: 8 }), // 15
      c('SET_SAMPLERS', { num_samplers: 1, 'sampler_ids[0]': 8 }), // 16
      c('DESTROY_STATE_OBJECT', { object_id: 8 }), // 17
      c('DESTROY_SHADER', { shader_id: 5 }), // 18
    ];
    for (const bytes of rows) source.push(bytes);
    const lifetimes = new ResourceLifetimes(source, protocol.resources!);
    lifetimes.update();
    const expected = [
      ['useAfterDestroy', 'resource', 1, '2 destroyed hdr.resource_id', '3 used hdr.resource_id', 'uses 2'],
      ['doubleDestroy', 'resource', 1, '2 destroyed hdr.resource_id', '5 destroyed hdr.resource_id'],
      ['useAfterDestroy', 'view', 3, '9 destroyed view_id', '10 used rtv_id', 'uses 1'],
      ['recreated', 'shader', 5, '11 created shader_id', '12 created shader_id'],
      ['useAfterDestroy', 'shader', 40, '13 destroyed shader_id', '14 used shader_id', 'uses 1'],
    ];
    const live = lifetimes.report();
    assert.deepEqual(brief(live.problems), expected, 'while the trace goes on, nothing is a leak yet');
    const resource = live.kinds.find((k) => k.name === 'resource')!;
    assert.deepEqual([resource.created, resource.destroyed, resource.alive, resource.unknownOrigin.count], [2, 2, 1, 1]);
    assert.deepEqual(resource.unknownOrigin.first, [{ id: 2, row: { seq: 1, opcode: 0x6, role: 'used', field: 'hdr.resource_id' } }]);
    assert.equal(live.kinds.find((k) => k.name === 'view')!.used, 2, 'rtv_ids[0] and rtv_id: not the invalid id, not past num_rtvs');
    assert.match(live.notes.join('\n'), /2 ids were used or destroyed with no create before them .*captures often start late/);

    source.end();
    const ended = lifetimes.report();
    assert.deepEqual(brief(ended.problems), [...expected, ['neverDestroyed', 'resource', 7, '6 created hdr.resource_id']]);
    assert.equal(ended.problemCount, 6);
    assert.deepEqual(ended.kinds.map((k) => [k.name, k.problems]), [
      ['resource', { useAfterDestroy: 1, doubleDestroy: 1, recreated: 0, neverDestroyed: 1 }],
      ['state object', { useAfterDestroy: 0, doubleDestroy: 0, recreated: 0, neverDestroyed: 0 }],
      ['view', { useAfterDestroy: 1, doubleDestroy: 0, recreated: 0, neverDestroyed: 0 }],
      ['shader', { useAfterDestroy: 1, doubleDestroy: 0, recreated: 1, neverDestroyed: 0 }],
    ]);
    assert.equal(
      describeLifetimeProblem(ended.problems[0]!, (opcode) => source.opcodeName(opcode)),
      'resource 1 used after it was destroyed: destroyed at #2 (DESTROY_RESOURCE hdr.resource_id), used at #3 (MAP_RESOURCE hdr.resource_id), 2 uses in all',
    );
    source.close();
  });

  it('gives an id a new life when it is created again after its destroy', () => {
    const source = new ScriptedTraceSource(protocol);
    const rows = [
      c('CREATE_SHADER', { shader_id: 5 }),
      c('DESTROY_SHADER', { shader_id: 5 }),
      c('CREATE_SHADER', { shader_id: 5 }),
      c('SET_SHADER', { shader_id: 5 }),
      c('DESTROY_SHADER', { shader_id: 5 }),
    ];
    for (const bytes of rows) source.push(bytes);
    source.end();
    const lifetimes = new ResourceLifetimes(source, protocol.resources!);
    lifetimes.update();
    assert.deepEqual(lifetimes.report().problems, []);
    source.close();
  });

  /** Creates, destroys and uses of a handful of ids of every kind, in an order that makes every problem. */
  function script(seed: number, count: number): Uint8Array[] {
    const random = seededRandom(seed);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
    const id = () => 1 + Math.floor(random() * 12);
    const makers: (() => Uint8Array)[] = [
      () => c('CREATE_RESOURCE', { 'hdr.resource_id': id() }),
      () => c('DESTROY_RESOURCE', { 'hdr.resource_id': id() }),
      () => c('COPY_RESOURCE', { 'hdr.resource_id': id(), src_resource_id: id() }),
      () => c('SET_CONSTANT_BUFFERS', { num_buffers: 3, 'buffer_ids[0]': id(), 'buffer_ids[2]': id() }),
      () => c('CREATE_SHADER_RESOURCE_VIEW', { 'hdr.resource_id': id(), view_id: id() }),
      () => c('DESTROY_VIEW', { view_id: id() }),
      () => c('SET_SHADER_RESOURCES', { num_views: 2, 'view_ids[0]': id(), 'view_ids[1]': id() }),
      () => c('CREATE_BLEND_STATE', { state_id: id() }),
      () => c('SET_BLEND_STATE', { state_id: id() }),
      () => c('DESTROY_STATE_OBJECT', { object_id: id() }),
      () => c('DRAW'),
    ];
    return Array.from({ length: count }, () => pick(makers)());
  }

  it('reports the same whether the rows come at once or in random slices', () => {
    const rows = script(3, 6000);
    const whole = new ScriptedTraceSource(protocol);
    for (const bytes of rows) whole.push(bytes);
    whole.end();
    const once = new ResourceLifetimes(whole, protocol.resources!);
    once.update();

    const sliced = new ScriptedTraceSource(protocol);
    const incremental = new ResourceLifetimes(sliced, protocol.resources!);
    const random = seededRandom(5);
    for (let i = 0; i < rows.length; ) {
      const end = Math.min(rows.length, i + 1 + Math.floor(random() * 300));
      for (; i < end; i++) sliced.push(rows[i]!);
      incremental.update();
    }
    sliced.end();
    const expected = once.report();
    for (const kind of ['useAfterDestroy', 'doubleDestroy', 'recreated', 'neverDestroyed']) assert.ok(expected.problems.some((p) => p.kind === kind), `the script makes a ${kind}`);
    assert.deepEqual(incremental.report(), expected);
    whole.close();
    sliced.close();
  });

  it('forgets what it knew of every id when a live window drops rows it had not read, rather than guess', () => {
    const source = new ScriptedTraceSource(protocol);
    const lifetimes = new ResourceLifetimes(source, protocol.resources!);
    source.push(c('CREATE_RESOURCE', { 'hdr.resource_id': 4 }));
    source.push(c('DESTROY_RESOURCE', { 'hdr.resource_id': 4 }));
    lifetimes.update();
    // Unread, then dropped: resource 4 is created again.
    source.push(c('CREATE_RESOURCE', { 'hdr.resource_id': 4 }));
    source.push(c('DRAW'));
    source.dropBefore(4);
    source.push(c('MAP_RESOURCE', { 'hdr.resource_id': 4 }));
    lifetimes.update();
    const report = lifetimes.report();
    assert.deepEqual(report.problems, [], 'the use is of the resource created in the gap, not a use after destroy');
    assert.equal(report.unread, 2);
    assert.match(report.notes.join('\n'), /2 rows were dropped from the live window before they were read/);
    assert.equal(report.kinds[0]!.unknownOrigin.count, 1);
    source.close();
  });

  it('reads the kinds from the header when gpupv.json has none, and says so', async () => {
    const inferred = await loadProtocol(PROFILE, (path) => {
      const text = readHeaderFile(path);
      if (!path.endsWith('gpupv.json') || text === undefined) return text;
      const config = JSON.parse(text) as { protocol: Record<string, unknown> };
      delete config.protocol.resources;
      return JSON.stringify(config);
    });
    assert.equal(inferred.resources?.origin, 'header');
    assert.equal(protocol.resources?.origin, 'gpupv.json');
    const shape = (p: LoadedProtocol) => p.resources!.kinds.map((k) => [k.name, [...k.creates.keys()], [...k.destroys.keys()], [...k.uses].map(([op, fields]) => [op, fields.map((f) => f.field)])]);
    assert.deepEqual(shape(inferred), shape(protocol), 'the demo profile is what the header suggests');
    const source = new ScriptedTraceSource(inferred);
    const lifetimes = new ResourceLifetimes(source, inferred.resources);
    lifetimes.update();
    assert.match(lifetimes.report().notes.join('\n'), /inferred from the header: confirm them in gpupv.json/);
    source.close();
  });
});
