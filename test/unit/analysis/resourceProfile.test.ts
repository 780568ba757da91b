import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProtocolConfig } from '../../../extension/protocol/config/protocolConfigParser';
import { analyzeHeader } from '../../../extension/protocol/headerAnalysis';
import { readHeaderFile } from '../../../extension/protocol/localFiles';
import { loadProtocol, ProtocolLoadError, type LoadedProtocol } from '../../../extension/protocol/profile/loadProtocol';
import { inferProfile, type InferredProfile } from '../../../extension/protocol/profile/profileInference';
import { resolveResourceProfile, type ResourcesConfig } from '../../../extension/protocol/profile/resourceProfile';
import { repoRoot } from '../../harness/paths';
import { analyzeText } from '../protocol/inMemoryHeaders';

const DEMO = join(repoRoot, 'demo');

function explained(inferred: InferredProfile, property: string): string {
  const found = inferred.explanations.filter((e) => e.property === property);
  assert.equal(found.length, 1, `one explanation for ${property}; have ${inferred.explanations.map((e) => e.property).join(', ')}`);
  return `${found[0]!.message} (${found[0]!.confidence})`;
}

/** Another house style: an enum of opcodes, ALLOC/FREE and NEW/RELEASE after the object, handles, a count named X_count, no "invalid" constant. */
const GX = `#include <stdint.h>
typedef struct { uint16_t opcode; uint16_t length; uint32_t ctx; } gx_hdr;
enum gx_op { GX_OP_NOP = 0, GX_OP_BUFFER_ALLOC = 0x10, GX_OP_BUFFER_FREE = 0x11, GX_OP_BUFFER_WRITE = 0x12,
             GX_OP_SURFACE_NEW = 0x20, GX_OP_SURFACE_RELEASE = 0x21, GX_OP_BLIT = 0x30, GX_OP_FENCE = 0x40 };
typedef struct { gx_hdr h; uint32_t buffer_handle; uint32_t bytes; } gx_buffer_alloc;
typedef struct { gx_hdr h; uint32_t buffer_handle; } gx_buffer_free;
typedef struct { gx_hdr h; uint32_t buffer_handle; uint32_t offset; } gx_buffer_write;
typedef struct { gx_hdr h; uint32_t surface_handle; uint32_t backing_buffer_handle; uint32_t width, height; } gx_surface_new;
typedef struct { gx_hdr h; uint32_t surface_handle; } gx_surface_release;
typedef struct { gx_hdr h; uint32_t surface_count; uint32_t surface_handles[4]; uint32_t dst_surface_handle; } gx_blit;
typedef struct { gx_hdr h; uint64_t seq; } gx_fence;
`;

describe('resource kinds: inferred, configured, resolved', () => {
  let protocol: LoadedProtocol;

  before(async () => {
    protocol = await loadProtocol(join(DEMO, 'gpupv.json'), readHeaderFile);
  });

  it('reads the demo\u2019s kinds off its header, with the evidence for each', async () => {
    const inferred = inferProfile(await analyzeHeader(join(DEMO, 'include', 'pvgpu_protocol.h'), { abi: 'msvc-x64', readFile: readHeaderFile }));
    const demo = JSON.parse(readFileSync(join(DEMO, 'gpupv.json'), 'utf8')) as { protocol: { resources: unknown } };
    assert.deepEqual(inferred.protocol.resources, demo.protocol.resources);
    assert.equal(
      explained(inferred, 'protocol.resources.kinds[0]'),
      'resource — created by CREATE_RESOURCE, OPEN_SHARED_RESOURCE, destroyed by DESTROY_RESOURCE: the same object (resource); each a resource (DESTROY_RESOURCE\u2019s object) (sure)'.replace('\u2019', "'"),
    );
    assert.equal(
      explained(inferred, 'protocol.resources.kinds[1]'),
      'state object — created by CREATE_BLEND_STATE, CREATE_RASTERIZER_STATE, CREATE_DEPTH_STENCIL_STATE, CREATE_SAMPLER, CREATE_INPUT_LAYOUT, destroyed by DESTROY_STATE_OBJECT: DESTROY_STATE_OBJECT is the one destroy of their opcode family (0x10–0x15) and its object_kind lists them (likely)',
    );
    assert.equal(explained(inferred, 'protocol.resources.kinds[1].create.PVGPU_CMD_CREATE_SAMPLER'), 'sampler_id — named like the id of the sampler it creates (sure)');
    assert.equal(explained(inferred, 'protocol.resources.kinds[0].create.PVGPU_CMD_CREATE_RESOURCE'), 'hdr.resource_id — named like the id of the resource it creates (sure)');
    assert.equal(
      explained(inferred, 'protocol.resources.kinds[0].uses[0]'),
      'hdr.resource_id — in every command (the header): "resource" what CREATE_RESOURCE is about; its comment: "primary resource, or PVGPU_INVALID_ID" (sure)',
    );
    assert.equal(
      explained(inferred, 'protocol.resources.kinds[0].uses[2]'),
      'buffer_ids[num_buffers] — in SET_CONSTANT_BUFFERS: "buffer" one of the types CREATE_RESOURCE\'s resource_type lists; the first num_buffers of its 14 elements (likely)',
    );
    assert.equal(
      explained(inferred, 'protocol.resources.kinds[2].uses[0]'),
      'rtv_ids[num_rtvs] — in SET_RENDER_TARGETS: "rtv" abbreviates RENDER_TARGET_VIEW; the first num_rtvs of its 8 elements (likely)',
    );
    assert.equal(explained(inferred, 'protocol.resources.invalidIds'), 'PVGPU_INVALID_ID (0) — named like an id meaning "none"; never tracked (sure)');
  });

  it('reads another naming convention: verbs after the object, handles, X_count, no invalid-id constant', async () => {
    const inferred = inferProfile(await analyzeText(GX));
    assert.deepEqual(inferred.protocol.resources, {
      invalidIds: [0],
      kinds: [
        { name: 'buffer', create: { GX_OP_BUFFER_ALLOC: 'buffer_handle' }, destroy: { GX_OP_BUFFER_FREE: 'buffer_handle' }, uses: ['buffer_handle', 'backing_buffer_handle'] },
        { name: 'surface', create: { GX_OP_SURFACE_NEW: 'surface_handle' }, destroy: { GX_OP_SURFACE_RELEASE: 'surface_handle' }, uses: ['surface_handles[surface_count]', 'dst_surface_handle'] },
      ],
    });
    assert.match(explained(inferred, 'protocol.resources.invalidIds'), /^0 — no constant is named like an id meaning "none".*\(guess\)$/);
    assert.equal(explained(inferred, 'protocol.resources.kinds[1].uses[0]'), 'surface_handles[surface_count] — in BLIT: "surface" what SURFACE_NEW is about; the first surface_count of its 4 elements (sure)');
  });

  it('says so when no opcodes pair up, instead of inventing kinds', async () => {
    const inferred = inferProfile(await analyzeText(`#include <stdint.h>
      struct hdr { uint32_t type; uint32_t size; };
      #define OP_CREATE_THING 1
      #define OP_DRAW 2
      #define OP_CLEAR 3
      struct op_create_thing { struct hdr h; uint32_t thing_id; };
      struct op_draw { struct hdr h; uint32_t thing_id; };
      struct op_clear { struct hdr h; };`));
    assert.ok(inferred.protocol.command);
    assert.equal(inferred.protocol.resources, undefined);
    const notes = inferred.explanations.filter((e) => e.property === 'protocol.resources').map((e) => e.message);
    assert.deepEqual(notes, [
      'CREATE_THING: no destroy opcode pairs with it, so its ids are not tracked',
      'not inferred: no opcodes named like a create (create/alloc/allocate/new/open) and a destroy (destroy/free/release/delete/unref/dealloc/deallocate/close) of the same object',
    ]);
  });

  it('resolves each use to the paths of the ids it holds, and each kind to its opcodes', () => {
    const view = protocol.resources!.kinds.find((k) => k.name === 'view')!;
    const setRenderTargets = [...protocol.command.opcodes.values()].find((o) => o.shortName === 'SET_RENDER_TARGETS')!.value;
    assert.deepEqual(view.uses.get(setRenderTargets), [
      { field: 'rtv_ids[num_rtvs]', paths: Array.from({ length: 8 }, (_, i) => `rtv_ids[${i}]`), countPath: 'num_rtvs' },
      { field: 'dsv_id', paths: ['dsv_id'] },
      { field: 'uav_ids[num_uavs]', paths: Array.from({ length: 8 }, (_, i) => `uav_ids[${i}]`), countPath: 'num_uavs' },
    ]);
    const resource = protocol.resources!.kinds[0]!;
    assert.equal(resource.uses.get(0x1n), undefined, 'the id CREATE_RESOURCE creates is no use of it');
    assert.deepEqual(resource.uses.get(0x20n), [{ field: 'hdr.resource_id', paths: ['hdr.resource_id'] }], 'a view is created on a resource');
    assert.deepEqual(resource.uses.get(0x10bn)?.map((f) => [f.field, f.paths[1], f.paths.length, f.countPath]), [
      ['hdr.resource_id', undefined, 1, undefined],
      ['buffers[num_buffers].resource_id', 'buffers[1].resource_id', 16, 'num_buffers'],
    ]);
    assert.deepEqual(protocol.resources!.invalidIds, [0n]);
  });

  it('names the property to fix when the configuration does not match the header', () => {
    const resolve = (config: ResourcesConfig) => resolveResourceProfile(protocol.analysis, protocol.command, config, 'gpupv.json').diagnostics.map((d) => `${d.property}: ${d.message}`);
    const kind = (over: Partial<ResourcesConfig['kinds'][0]>) => ({ kinds: [{ name: 'resource', create: { PVGPU_CMD_CREATE_RESOURCE: 'hdr.resource_id' }, destroy: { DESTROY_RESOURCE: 'hdr.resource_id' }, ...over }] });
    assert.deepEqual(resolve(kind({})), []);
    assert.deepEqual(resolve(kind({ create: { PVGPU_CMD_CREATE_RESOURCES: 'hdr.resource_id' } })), [
      'protocol.resources.kinds[0].create.PVGPU_CMD_CREATE_RESOURCES: no opcode named "PVGPU_CMD_CREATE_RESOURCES" (did you mean "PVGPU_CMD_CREATE_RESOURCE"?)',
    ]);
    assert.deepEqual(resolve(kind({ destroy: { DESTROY_RESOURCE: 'resource_id' } })), ['protocol.resources.kinds[0].destroy.DESTROY_RESOURCE: PvgpuCmdDestroyResource has no field "resource_id" (did you mean "hdr.resource_id"?)']);
    assert.deepEqual(resolve(kind({ create: { CREATE_RESOURCE: 'hdr' } })), ['protocol.resources.kinds[0].create.CREATE_RESOURCE: PvgpuCmdCreateResource has no field "hdr"']);
    assert.deepEqual(resolve(kind({ uses: ['rtv_ids', 'view_ids[num_rtvs]', 'viewports[].x', 'src_resource_idx', 'a..b'] })), [
      'protocol.resources.kinds[0].uses[0]: PvgpuCmdSetRenderTargets.rtv_ids holds an array: write rtv_ids[]',
      'protocol.resources.kinds[0].uses[1]: PvgpuCmdSetShaderResources has view_ids but no integer field "num_rtvs" saying how many are in use',
      'protocol.resources.kinds[0].uses[2]: PvgpuCmdSetViewports.viewports must be a fixed-length array of integer ids (or of structs with an integer x)',
      'protocol.resources.kinds[0].uses[3]: no command has a field "src_resource_idx" (did you mean "src_resource_id"?)',
      'protocol.resources.kinds[0].uses[4]: "a..b" is not a field path: write name, name[], name[count_field] or name[].field',
    ]);
    assert.deepEqual(resolve({ ...kind({}), invalidIds: ['PVGPU_INVALID', 7] }), ['protocol.resources.invalidIds[0]: no integer constant named "PVGPU_INVALID" in the header (did you mean "PVGPU_INVALID_ID"?)']);
  });

  it('refuses to load a gpupv.json whose resources do not match the header, naming file and property', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpupv-resources-'));
    try {
      const config = JSON.parse(readFileSync(join(DEMO, 'gpupv.json'), 'utf8')) as { protocol: { headers: string[]; resources: { kinds: { uses: string[] }[] } } };
      config.protocol.headers = [join(DEMO, 'include', 'pvgpu_protocol.h')];
      config.protocol.resources.kinds[2]!.uses.push('rtv_idz[]');
      const file = join(dir, 'gpupv.json');
      writeFileSync(file, JSON.stringify(config));
      await assert.rejects(loadProtocol(file, readHeaderFile), (error: unknown) => {
        assert.ok(error instanceof ProtocolLoadError);
        assert.deepEqual(error.problems, [`${file}: protocol.resources.kinds[2].uses[5]: no command has a field "rtv_idz[]" (did you mean "rtv_ids"?)`]);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads protocol.resources by shape, each mistake at its property, the good kinds kept', () => {
    const parse = (resources: unknown) => {
      const text = JSON.stringify({ protocol: { headers: ['p.h'], resources } }, null, 1);
      const parsed = parseProtocolConfig(text);
      return { resources: parsed.protocol?.resources, problems: parsed.problems.map((p) => [p.message, text.slice(p.offset, p.offset + p.length)]) };
    };
    const good = { name: 'shader', create: { CREATE_SHADER: 'shader_id' }, destroy: { DESTROY_SHADER: 'shader_id' }, uses: ['shader_id'] };
    assert.deepEqual(parse({ invalidIds: ['NONE', 0], kinds: [good] }), { resources: { invalidIds: ['NONE', 0], kinds: [good] }, problems: [] });
    assert.deepEqual(parse({}).problems, [['"protocol.resources" needs "kinds"', '{}']]);
    const mixed = parse({ invalidIds: [-1], kinds: [good, { name: 'view', create: {}, destroy: { DESTROY_VIEW: 'view_id' } }, { ...good, uses: [3] }, { ...good, use: [] }, good] });
    assert.deepEqual(mixed.resources, { invalidIds: [], kinds: [good] });
    assert.deepEqual(mixed.problems, [
      ['each entry of "protocol.resources.invalidIds" must be a constant of the header (PVGPU_INVALID_ID) or a whole number', '-1'],
      ['"protocol.resources.kinds[1].create" must map at least one opcode to the field holding the id: { "MY_CMD_CREATE_X": "x_id" }', '{}'],
      ['each entry of "protocol.resources.kinds[2].uses" must be a field path (src_resource_id, rtv_ids[num_rtvs], buffers[].resource_id)', '3'],
      ['"protocol.resources.kinds[3].use" is not a known setting; known: name, create, destroy, uses', '"use"'],
      ['"protocol.resources.kinds[4].name": "shader" names another kind already', '"shader"'],
    ]);
  });
});
