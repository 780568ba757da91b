import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeHeader } from '../../../extension/protocol/headerAnalysis';
import { resolveCommandProfile, type CommandProfileConfig } from '../../../extension/protocol/profile/commandProfile';
import { repoRoot } from '../../harness/paths';
import { analyzeText } from '../protocol/inMemoryHeaders';

const SAMPLE = join(repoRoot, 'demo', 'include', 'pvgpu_protocol.h');
const SAMPLE_PROFILE: CommandProfileConfig = {
  header: 'PvgpuCommandHeader',
  opcodeField: 'type',
  sizeField: 'size',
  sizeIncludesHeader: true,
  opcodes: { macroPrefix: 'PVGPU_CMD_' },
  payloads: { structPrefix: 'PvgpuCmd' },
};

async function sample() {
  return analyzeHeader(SAMPLE, { abi: 'msvc-x64', readFile: (p) => readFileSync(p, 'utf8') });
}

describe('command profile', () => {
  it('finds the framing fields and a payload struct for every opcode of the sample protocol', async () => {
    const { profile, diagnostics } = resolveCommandProfile(await sample(), SAMPLE_PROFILE);
    assert.ok(profile);
    assert.deepEqual(profile.framing, { headerSize: 16, opcode: { offset: 0, size: 4, byteOrder: 'little' }, size: { offset: 4, size: 4, byteOrder: 'little', includesHeader: true }, alignment: 1 });
    const byName = new Map([...profile.opcodes.values()].map((o) => [o.shortName, o]));
    assert.equal(byName.get('DRAW_INDEXED')?.payload?.name, 'PvgpuCmdDrawIndexed');
    assert.equal(byName.get('DRAW_INDEXED')?.match, 'convention');
    // Plural and `State` suffix: a unique near match, reported so the user can confirm it.
    assert.equal(byName.get('SET_SAMPLERS')?.payload?.name, 'PvgpuCmdSetSamplerState');
    assert.equal(byName.get('SET_SAMPLERS')?.match, 'near');
    assert.ok(diagnostics.some((d) => d.severity === 'info' && d.message.includes('PVGPU_CMD_SET_SAMPLERS decodes with PvgpuCmdSetSamplerState')));
    // Abbreviated names cannot be guessed: they are listed for the user to map.
    assert.equal(byName.get('CREATE_DEPTH_STENCIL_STATE')?.match, 'none');
    assert.ok(diagnostics.some((d) => d.property === 'protocol.command.payloads.map.PVGPU_CMD_CREATE_DEPTH_STENCIL_STATE'));
    // Flag macros share the prefix but are not opcodes only if the profile says so; the sample's have distinct values.
    assert.ok(byName.has('FENCE') && byName.get('FENCE')!.payload?.name === 'PvgpuCmdFence');
  });

  it('uses the map first, by full or short opcode name', async () => {
    const { profile } = resolveCommandProfile(await sample(), {
      ...SAMPLE_PROFILE,
      payloads: { structPrefix: 'PvgpuCmd', map: { PVGPU_CMD_CREATE_DEPTH_STENCIL_STATE: 'PvgpuCmdCreateDSState', CLEAR_DEPTH_STENCIL_VIEW: 'PvgpuCmdClearDepthStencil' } },
    });
    const byName = new Map([...profile!.opcodes.values()].map((o) => [o.shortName, o]));
    assert.deepEqual([byName.get('CREATE_DEPTH_STENCIL_STATE')?.payload?.name, byName.get('CREATE_DEPTH_STENCIL_STATE')?.match], ['PvgpuCmdCreateDSState', 'map']);
    assert.equal(byName.get('CLEAR_DEPTH_STENCIL_VIEW')?.payload?.name, 'PvgpuCmdClearDepthStencil');
  });

  it('takes opcodes from an enum, and framing without a size field (virtio-gpu)', async () => {
    const analysis = await analyzeHeader('/usr/include/linux/virtio_gpu.h', { abi: 'sysv-x86_64', readFile: (p) => readFileSync(p, 'utf8') });
    const { profile, diagnostics } = resolveCommandProfile(analysis, {
      header: 'struct virtio_gpu_ctrl_hdr',
      opcodeField: 'type',
      opcodes: { enum: 'virtio_gpu_ctrl_type' },
      payloads: { structPrefix: 'struct virtio_gpu_' },
    });
    assert.ok(profile, diagnostics.map((d) => d.message).join('\n'));
    assert.equal(profile.framing.size, undefined);
    assert.equal(profile.opcodePrefix, 'VIRTIO_GPU_');
    assert.equal([...profile.opcodes.values()].find((o) => o.name === 'VIRTIO_GPU_CMD_RESOURCE_CREATE_2D')?.payload?.name, 'struct virtio_gpu_resource_create_2d');
  });

  it('names the gpupv.json property to fix, with a suggestion, when the profile does not fit the header', async () => {
    const analysis = await analyzeText('#include <stdint.h>\ntypedef struct Hdr { uint32_t kind; uint32_t length; float f; } Hdr;\n#define OP_A 1');
    const check = (config: Partial<CommandProfileConfig>) => resolveCommandProfile(analysis, { header: 'Hdr', opcodeField: 'kind', opcodes: { macroPrefix: 'OP_' }, ...config }).diagnostics.filter((d) => d.severity === 'error');
    assert.deepEqual(check({ header: 'Hd' }).map((d) => [d.property, d.message]), [['protocol.command.header', 'no struct or union named "Hd" in the protocol header (did you mean "Hdr"?)']]);
    assert.deepEqual(check({ opcodeField: 'knd' }).map((d) => d.message), ['Hdr has no field "knd" (did you mean "kind"?)']);
    assert.deepEqual(check({ sizeField: 'f' }).map((d) => d.message), ['Hdr.f must be a plain unsigned integer field, not float']);
    assert.deepEqual(check({ opcodes: { macroPrefix: 'NOPE_' } }).map((d) => d.property), ['protocol.command.opcodes']);
    assert.deepEqual(check({ recordAlignment: 3 }).map((d) => d.property), ['protocol.command.recordAlignment']);
  });
});
