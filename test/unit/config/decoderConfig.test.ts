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
