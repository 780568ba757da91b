import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { positionAt } from '../../../extension/protocol/config/jsonc';
import { resolveLiveConfig } from '../../../extension/protocol/config/liveConfigParser';
import { parseProtocolConfig } from '../../../extension/protocol/config/protocolConfigParser';
import { repoRoot } from '../../harness/paths';

// gpupv.json's top-level `live` section: the shared-memory rings the Ring Traces view follows.

function parse(live: unknown) {
  const text = JSON.stringify({ protocol: { headers: ['p.h'] }, live }, null, 2);
  const parsed = parseProtocolConfig(text);
  return { text, parsed, messages: parsed.problems.map((p) => `${p.severity} ${p.message}`) };
}

describe('gpupv.json: the live section', () => {
  it('reads the demo\u2019s ring and the discover switch', () => {
    const parsed = parseProtocolConfig(readFileSync(path.join(repoRoot, 'demo', 'gpupv.json'), 'utf8'));
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.live?.discover, true);
    assert.deepEqual(parsed.live.rings.map((r) => [r.name, r.location]), [['Win11 guest', { path: '/dev/shm/pvgpu_shmem_vm1' }]]);
  });

  it('reads file-backed and named mappings, names them after the file or mapping when unnamed, and resolves relative paths', () => {
    const { parsed, messages } = parse({ rings: [{ path: 'vm/ring.shm' }, { name: 'Host', mapping: 'Global\\pvgpu_shmem_vm2' }, { mapping: 'pvgpu_shmem_local' }], discover: false });
    assert.deepEqual(messages, []);
    const live = resolveLiveConfig(parsed.live!, '/work/project');
    assert.equal(live.discover, false);
    assert.deepEqual(
      live.rings.map((r) => [r.name, r.location]),
      [
        ['ring.shm', { path: '/work/project/vm/ring.shm' }],
        ['Host', { mapping: 'Global\\pvgpu_shmem_vm2' }],
        ['pvgpu_shmem_local', { mapping: 'pvgpu_shmem_local' }],
      ],
    );
    assert.deepEqual(resolveLiveConfig({ rings: [{ name: 'abs', location: { path: '/dev/shm/x' }, offset: 0, length: 1 }], discover: true }, '/elsewhere').rings[0]!.location, { path: '/dev/shm/x' });
  });

  it('discovers by default', () => {
    assert.equal(parse({ rings: [] }).parsed.live?.discover, true);
  });

  it('puts each problem at the offending property and leaves the bad ring out, never throwing', () => {
    const { text, parsed, messages } = parse({
      rings: [
        { name: 'both', path: '/dev/shm/a', mapping: 'Global\\a' },
        { name: 'neither' },
        { name: 'bad name', mapping: 'Global\\vm\\ring' },
        { name: '', path: '/dev/shm/b' },
        { path: '/dev/shm/c', size: 4096 },
        { path: '/dev/shm/c' },
        'not an object',
      ],
      discover: 'yes',
      follow: true,
    });
    assert.deepEqual(messages, [
      'error "live.rings[0]" gives both "path" and "mapping": a ring is either a file-backed mapping or a Windows named mapping',
      'error "live.rings[1]" needs "path" (a file-backed mapping such as /dev/shm/pvgpu_shmem_vm1) or "mapping" (a Windows named mapping such as Global\\\\pvgpu_shmem_vm1)',
      'error "live.rings[2].mapping" is not a Windows object name: a name without backslashes, optionally after "Global\\\\" or "Local\\\\" (in JSON, "Global\\\\pvgpu_shmem_vm1")',
      'error "live.rings[3].name" must be a non-empty string',
      'warning "live.rings[4].size" is not a known setting (ignored); known: name, path, mapping',
      'warning "/dev/shm/c" is listed twice in "live.rings"',
      'error "live.rings[6]" must be an object: { "name": "Win11 guest", "path": "/dev/shm/pvgpu_shmem_vm1" }',
      'error "live.discover" must be true or false',
      'warning "live.follow" is not a known setting (ignored); known: rings, discover',
    ]);
    assert.deepEqual(parsed.live?.rings.map((r) => r.location), [{ path: '/dev/shm/c' }]);
    const at = (i: number) => text.slice(parsed.problems[i]!.offset, parsed.problems[i]!.offset + parsed.problems[i]!.length);
    assert.equal(at(0), '"mapping"');
    assert.equal(at(2), '"Global\\\\vm\\\\ring"');
    assert.equal(at(7), '"yes"');
    assert.equal(positionAt(text, parsed.problems[8]!.offset).line, text.split('\n').findIndex((l) => l.includes('"follow"')));
  });

  it('refuses a live section that is not an object, and names live among the known top-level properties', () => {
    assert.deepEqual(parse(['/dev/shm/x']).messages, ['error "live" must be an object: { "rings": [{ "name": "Win11 guest", "path": "/dev/shm/pvgpu_shmem_vm1" }], "discover": true }']);
    const parsed = parseProtocolConfig('{ "protocol": { "headers": ["p.h"] }, "lives": {} }');
    assert.deepEqual(parsed.problems.map((p) => p.message), ['unknown property "lives" (ignored); gpupv.json holds "protocol", "live", "driver" and "$schema"']);
    assert.equal(parsed.live, undefined);
  });
});
