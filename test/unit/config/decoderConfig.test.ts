import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseProtocolConfig } from '../../../extension/protocol/config/protocolConfigParser';
import { repoRoot } from '../../harness/paths';

function problemsOf(protocol: Record<string, unknown>): string[] {
  return parseProtocolConfig(JSON.stringify({ protocol: { headers: ['p.h'], ...protocol } })).problems.map((p) => p.message);
}

describe('gpupv.json: the trace decoder sections', () => {
  it('reads the demo\u2019s command, fence and ring sections', () => {
    const parsed = parseProtocolConfig(readFileSync(path.join(repoRoot, 'demo', 'gpupv.json'), 'utf8'));
    assert.deepEqual(parsed.problems, []);
    const { command, fence, ring } = parsed.protocol!;
    assert.deepEqual(command!.opcodes, { macroPrefix: 'PVGPU_CMD_' });
    assert.equal(command!.payloads!.map!.PVGPU_CMD_SET_SAMPLERS, 'PvgpuCmdSetSamplerState');
    assert.deepEqual(fence, { opcode: 'PVGPU_CMD_FENCE', valueField: 'fence_value' });
    assert.deepEqual([ring!.ringSizeField, ring!.pointers], ['ring_size', 'monotonic']);
  });

  it('points at what is wrong: missing, unknown or mistyped settings', () => {
    assert.deepEqual(problemsOf({ command: { header: 'H', opcodeField: 'type' } }), ['"protocol.command" needs "opcodes"']);
    assert.deepEqual(problemsOf({ command: { header: 'H', opcodeField: 'type', opcodes: { prefix: 'X_' } } }), ['"protocol.command.opcodes" must be { "macroPrefix": "MY_CMD_" } or { "enum": "my_cmd_type" }']);
    assert.deepEqual(problemsOf({ command: { header: 'H', opcodeField: 'type', opcodes: { enum: 'E' }, sizeInclude: true } }), ['"protocol.command.sizeInclude" is not a known setting; known: header, opcodeField, sizeField, sizeIncludesHeader, recordAlignment, opcodes, payloads, meanings']);
    assert.deepEqual(problemsOf({ fence: { opcode: 3, valueField: 'v' } }), ['"protocol.fence.opcode" must be a non-empty string']);
    assert.deepEqual(problemsOf({ ring: { control: 'C', producerField: 'p', consumerField: 'c', ringOffset: 4096, ringOffsetField: 'o', ringSize: 65536 } }), ['"protocol.ring" needs exactly one of "ringOffsetField" (a field of the control region) and "ringOffset" (a number)']);
    assert.deepEqual(problemsOf({ ring: { control: 'C', producerField: 'p', consumerField: 'c', ringOffset: 4096, ringSize: 65536, pointers: 'circular' } }), ['"protocol.ring.pointers" must be "monotonic" or "wrapped"']);
  });
});

describe('gpupv.json: the ring magic', () => {
  const ring = { control: 'C', producerField: 'p', consumerField: 'c', ringOffset: 4096, ringSize: 65536 };

  it('takes a number, numeric text or a constant\u2019s name beside its field', () => {
    for (const magic of [0x50564750, '0x50564750', 'PVGPU_MAGIC']) {
      const parsed = parseProtocolConfig(JSON.stringify({ protocol: { headers: ['p.h'], ring: { ...ring, magicField: 'magic', magic } } }));
      assert.deepEqual(parsed.problems, []);
      assert.equal(parsed.protocol!.ring!.magic, magic);
    }
  });

  it('wants the field and the value together, and a value that is a number or a name', () => {
    assert.deepEqual(problemsOf({ ring: { ...ring, magicField: 'magic' } }), ['"protocol.ring.magicField" needs "protocol.ring.magic" beside it: the control region\'s magic field and the value it holds']);
    assert.deepEqual(problemsOf({ ring: { ...ring, magic: 1 } }), ['"protocol.ring.magic" needs "protocol.ring.magicField" beside it: the control region\'s magic field and the value it holds']);
    assert.deepEqual(problemsOf({ ring: { ...ring, magicField: 'magic', magic: 'PVGP as text' } }), [
      '"protocol.ring.magic" must be a whole number of 0 or more ("0x50564750" as text for values above 2^53), or the name of a macro or enum constant of the header such as "PVGPU_MAGIC"',
    ]);
    assert.equal(problemsOf({ ring: { ...ring, magicField: 'magic', magic: -1 } }).length, 1);
  });
});
