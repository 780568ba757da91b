import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandDecoder } from '../../../extension/protocol/decode/commandDecoder';
import { analyzeHeader } from '../../../extension/protocol/headerAnalysis';
import { resolveCommandProfile } from '../../../extension/protocol/profile/commandProfile';
import { repoRoot } from '../../harness/paths';

async function sampleDecoder(meanings?: Record<string, string>): Promise<CommandDecoder> {
  const analysis = await analyzeHeader(join(repoRoot, 'demo', 'include', 'pvgpu_protocol.h'), { abi: 'msvc-x64', readFile: (p) => readFileSync(p, 'utf8') });
  const { profile, diagnostics } = resolveCommandProfile(analysis, { header: 'PvgpuCommandHeader', opcodeField: 'type', sizeField: 'size', opcodes: { macroPrefix: 'PVGPU_CMD_' }, payloads: { structPrefix: 'PvgpuCmd' }, ...(meanings ? { meanings } : {}) });
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
  return new CommandDecoder(analysis, profile!);
}

function commandBytes(decoder: CommandDecoder, shortName: string, fill: (view: DataView, offsetOf: (path: string) => number) => void, extra = 0): Uint8Array {
  const info = [...decoder.profile.opcodes.values()].find((o) => o.shortName === shortName)!;
  const bytes = new Uint8Array(info.payload!.size + extra);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, Number(info.value), true);
  view.setUint32(4, bytes.length, true);
  fill(view, (path) => info.payload!.fields.find((f) => f.path === path)!.offset);
  return bytes;
}

describe('command decoder', () => {
  it('decodes a command by its opcode\u2019s struct, with labels from enum and flag annotations', async () => {
    const decoder = await sampleDecoder();
    const bytes = commandBytes(decoder, 'CREATE_RESOURCE', (view, at) => {
      view.setUint32(at('resource_type'), 3, true);
      view.setUint32(at('format'), 28, true);
      view.setUint32(at('usage'), 2, true);
      view.setUint32(at('bind_flags'), 0x28 | 0x400, true);
      view.setUint32(at('width'), 1920, true);
      view.setBigUint64(at('heap_offset'), 0xffff_ffff_ffff_fff1n, true);
    });
    const decoded = decoder.decode(bytes, new DataView(bytes.buffer).getUint32(0, true));
    assert.equal(decoded.opcodeName, 'CREATE_RESOURCE');
    assert.equal(decoded.error, undefined);
    assert.equal((decoded.fields.hdr as Record<string, unknown>).size, bytes.length);
    assert.equal(decoded.fields.width, 1920);
    assert.equal(decoded.fields.heap_offset, 0xffff_ffff_ffff_fff1n);
    assert.match(decoded.labels.resource_type ?? '', /^PVGPU_RESOURCE_/);
    assert.equal(decoded.labels.bind_flags, 'PVGPU_BIND_SHADER_RESOURCE|PVGPU_BIND_RENDER_TARGET|0x400');
    // Enums from the Windows SDK the header cites without declaring.
    assert.equal(decoded.labels.format, 'DXGI_FORMAT_R8G8B8A8_UNORM');
    assert.equal(decoded.labels.usage, 'D3D11_USAGE_DYNAMIC');
  });

  it('takes field meanings from the profile where the header gives none', async () => {
    const decoder = await sampleDecoder({ sample_count: 'D3D11_USAGE', 'hdr.resource_id': 'PvgpuResourceType' });
    const bytes = commandBytes(decoder, 'CREATE_RESOURCE', (view, at) => view.setUint8(at('sample_count'), 3));
    new DataView(bytes.buffer).setUint32(8, 3, true);
    const decoded = decoder.decode(bytes, new DataView(bytes.buffer).getUint32(0, true));
    assert.equal(decoded.labels.sample_count, 'D3D11_USAGE_STAGING');
    assert.match(decoded.labels['hdr.resource_id'] ?? '', /^PVGPU_RESOURCE_/);
  });

  it('shows an unknown opcode\u2019s header and payload bytes, and a too-short record with the reason', async () => {
    const decoder = await sampleDecoder();
    const unknown = new Uint8Array(20);
    new DataView(unknown.buffer).setUint32(0, 0x7777, true);
    unknown.set([0xde, 0xad, 0xbe, 0xef], 16);
    const a = decoder.decode(unknown, 0x7777);
    assert.deepEqual([a.opcodeName, a.error, a.fields.payload], ['0x7777', 'unknown opcode 0x7777', 'deadbeef']);
    assert.equal((a.fields.hdr as Record<string, unknown>).type, 0x7777, 'the header under the same name payload structs give it');
    const short = commandBytes(decoder, 'DRAW_INDEXED', () => undefined).subarray(0, 18);
    const b = decoder.decode(short, new DataView(short.buffer).getUint32(0, true));
    assert.match(b.error ?? '', /^18 bytes, but PvgpuCmdDrawIndexed needs \d+$/);
    // What can be read is still shown: the command header.
    assert.equal((b.fields.hdr as Record<string, unknown>).type, new DataView(short.buffer).getUint32(0, true));
  });
});
