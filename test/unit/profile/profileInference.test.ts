import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runProfileInit } from '../../../extension/cli/profileCommand';
import { readHeaderFile } from '../../../extension/protocol/localFiles';
import { analyzeHeader } from '../../../extension/protocol/headerAnalysis';
import { loadProtocol } from '../../../extension/protocol/profile/loadProtocol';
import { abbreviates } from '../../../extension/protocol/profile/inference/payloadMap';
import { inferProfile, type InferredProfile } from '../../../extension/protocol/profile/profileInference';
import { repoRoot } from '../../harness/paths';
import { analyzeText } from '../protocol/inMemoryHeaders';

const DEMO_HEADER = join(repoRoot, 'demo', 'include', 'pvgpu_protocol.h');
const VIRTIO_HEADER = '/usr/include/linux/virtio_gpu.h';

interface DemoConfig {
  protocol: { command: unknown; fence: unknown; ring: unknown };
}

/** Another house style: snake_case, a 4-byte header, a size counted in dwords, `OP_*` macros, a wrapping ring. */
const SYNTHETIC = `#include <stdint.h>
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

struct msg_hdr { u16 kind; u16 len_dwords; };

#define OP_NOP         0
#define OP_WRITE_REG   1
#define OP_SIGNAL      2
#define OP_COPY_BUF    3
#define OP_FLAG_URGENT 0x100
#define OP_FLAG_QUIET  0x200

struct msg_nop { struct msg_hdr hdr; };
struct msg_write_reg { struct msg_hdr hdr; u32 reg; u32 value; };
struct msg_signal { struct msg_hdr hdr; u32 pad; u64 seq; };

struct ring_ctl { u32 head; u32 tail; u32 ring_size; u32 completed_fence; };
`;

function explanation(inferred: InferredProfile, property: string) {
  const found = inferred.explanations.filter((e) => e.property === property);
  assert.ok(found.length > 0, `no explanation for ${property}; have ${inferred.explanations.map((e) => e.property).join(', ')}`);
  return found;
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

describe('profile inference', () => {
  it('proposes the demo profile from the demo header alone', async () => {
    const inferred = inferProfile(await analyzeHeader(DEMO_HEADER, { abi: 'msvc-x64', readFile: readHeaderFile }));
    const demo = readJson(join(repoRoot, 'demo', 'gpupv.json')) as DemoConfig;
    // The map holds the near match and the two abbreviated struct names, for the user to confirm.
    assert.deepEqual(inferred.protocol.command, demo.protocol.command);
    assert.deepEqual(inferred.protocol.fence, demo.protocol.fence);
    assert.deepEqual(inferred.protocol.ring, demo.protocol.ring);
    assert.deepEqual(explanation(inferred, 'protocol.command.header')[0], { property: 'protocol.command.header', message: 'PvgpuCommandHeader — embedded first by 47 structs', confidence: 'sure' });
    assert.match(explanation(inferred, 'protocol.command.opcodes')[0]!.message, /the comment on type names PVGPU_CMD_\*/);
    assert.ok(explanation(inferred, 'protocol.command.opcodes').some((e) => e.message.startsWith('PVGPU_CMD_FLAG_*')), 'the flag macros are excluded, and said so');
    assert.equal(explanation(inferred, 'protocol.command.payloads.map.PVGPU_CMD_SET_SAMPLERS')[0]!.confidence, 'likely');
    assert.equal(explanation(inferred, 'protocol.command.payloads.map.PVGPU_CMD_CREATE_DEPTH_STENCIL_STATE')[0]!.confidence, 'guess');
    assert.equal(explanation(inferred, 'protocol.ring.pointers')[0]!.message.split(' ')[0], 'monotonic');
  });

  it('proposes virtio-gpu: opcodes from its enum, no size field, no fence or ring, each explained', async () => {
    const inferred = inferProfile(await analyzeHeader(VIRTIO_HEADER, { abi: 'sysv-x86_64', readFile: readHeaderFile }));
    const command = inferred.protocol.command;
    assert.ok(command);
    assert.equal(command.header, 'struct virtio_gpu_ctrl_hdr');
    assert.equal(command.opcodeField, 'type');
    assert.equal(command.sizeField, undefined);
    assert.deepEqual(command.opcodes, { enum: 'virtio_gpu_ctrl_type' });
    assert.equal(command.payloads?.structPrefix, 'struct virtio_gpu_');
    assert.match(explanation(inferred, 'protocol.command.sizeField')[0]!.message, /^none — .*framing/);
    assert.equal(inferred.protocol.ring, undefined);
    assert.match(explanation(inferred, 'protocol.ring')[0]!.message, /^not inferred: no struct .* producer-like/);
    assert.equal(inferred.protocol.fence, undefined);
    assert.match(explanation(inferred, 'protocol.fence')[0]!.message, /fence_id/);
  });

  it('reads other naming conventions, and warns about a size counted in dwords', async () => {
    const inferred = inferProfile(await analyzeText(SYNTHETIC));
    assert.deepEqual(inferred.protocol, {
      command: { header: 'struct msg_hdr', opcodeField: 'kind', sizeField: 'len_dwords', sizeIncludesHeader: true, opcodes: { macroPrefix: 'OP_' }, payloads: { structPrefix: 'struct msg_' } },
      fence: { opcode: 'OP_SIGNAL', valueField: 'seq' },
      ring: { control: 'struct ring_ctl', producerField: 'head', consumerField: 'tail', ringSizeField: 'ring_size', pointers: 'wrapped', completedFenceField: 'completed_fence' },
    });
    const size = explanation(inferred, 'protocol.command.sizeField')[0]!;
    assert.equal(size.confidence, 'guess');
    assert.match(size.message, /^len_dwords — warning: it counts dwords/);
    assert.match(explanation(inferred, 'protocol.command.payloads.map')[0]!.message, /no payload struct for 1 opcode: OP_COPY_BUF/);
    assert.ok(explanation(inferred, 'protocol.command.opcodes').some((e) => e.message.startsWith('OP_FLAG_*')));
    assert.match(explanation(inferred, 'protocol.ring.ringOffset')[0]!.message, /^not inferred: struct ring_ctl has no field named like ring_offset/);
    assert.deepEqual(explanation(inferred, 'protocol.ring.pointers').map((e) => [e.message.split(' ')[0], e.confidence]), [['wrapped', 'guess']]);
  });

  it('says so when no struct starts other structs', async () => {
    const inferred = inferProfile(await analyzeText('#include <stdint.h>\nstruct a { uint32_t x; };\n'));
    assert.deepEqual(inferred.protocol, {});
    assert.match(explanation(inferred, 'protocol.command')[0]!.message, /^not inferred: no struct is embedded/);
  });

  it('matches abbreviated struct names word by word', () => {
    const split = (s: string) => s.split(' ');
    assert.ok(abbreviates(split('create ds state'), split('create depth stencil state')));
    assert.ok(abbreviates(split('clear depth stencil'), split('clear depth stencil view')), 'one trailing opcode word may be missing');
    assert.ok(abbreviates(split('set samplers'), split('set sampler')));
    assert.ok(!abbreviates(split('clear depth'), split('clear depth stencil view')));
    assert.ok(!abbreviates(split('create ds state'), split('clear depth stencil view')));
  });
});

describe('gpupv profile init', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gpupv-profile-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function run(...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const status = await runProfileInit(args, (s) => out.push(s), (s) => err.push(s));
    return { status, out: out.join('\n'), err: err.join('\n') };
  }

  it('writes a gpupv.json that decodes, with the header relative to it, and will not overwrite it', async () => {
    const file = join(dir, 'gpupv.json');
    const first = await run('init', DEMO_HEADER, '--abi', 'sysv-x86_64', '--write', file);
    assert.equal(first.status, 0, first.err);
    assert.equal(first.out, '');
    assert.match(first.err, /^protocol\.command\.header: PvgpuCommandHeader — embedded first by 47 structs \(sure\)$/m);
    const written = readJson(file) as { protocol: { headers: string[]; abi: string; command: { header: string } } };
    assert.deepEqual(written.protocol.headers, [relative(dir, DEMO_HEADER)]);
    assert.equal(written.protocol.abi, 'sysv-x86_64');
    const loaded = await loadProtocol(file, readHeaderFile);
    assert.equal(loaded.ring?.pointers, 'monotonic');
    assert.equal([...loaded.command.opcodes.values()].find((o) => o.shortName === 'CREATE_DEPTH_STENCIL_STATE')?.payload?.name, 'PvgpuCmdCreateDSState');

    writeFileSync(file, '{}');
    const again = await run(DEMO_HEADER, '--write', file);
    assert.equal(again.status, 2);
    assert.match(again.err, /already exists; give --force/);
    assert.equal(readFileSync(file, 'utf8'), '{}');
    assert.equal((await run(DEMO_HEADER, '--write', file, '--force')).status, 0);
    assert.notEqual(readFileSync(file, 'utf8'), '{}');
  });

  it('prints the proposal on stdout with the header relative to the current directory', async () => {
    const { status, out } = await run('init', DEMO_HEADER, '-I', join(repoRoot, 'demo', 'include'), '-DPVGPU_FEATURE_LEVEL=2');
    assert.equal(status, 0);
    const printed = JSON.parse(out) as { protocol: Record<string, unknown> };
    assert.deepEqual(printed.protocol.headers, [relative(process.cwd(), DEMO_HEADER)]);
    assert.deepEqual(printed.protocol.defines, { PVGPU_FEATURE_LEVEL: 2 });
    assert.equal(printed.protocol.abi, 'msvc-x64');
  });

  it('exits 2 with the usage on a bad command line, and with the error on an unreadable header', async () => {
    const usage = await run('init');
    assert.equal(usage.status, 2);
    assert.match(usage.err, /no header given[\s\S]*usage: gpupv profile init/);
    assert.equal((await run('init', DEMO_HEADER, '--abi', 'vax')).status, 2);
    const missing = await run('init', join(dir, 'nope.h'));
    assert.equal(missing.status, 2);
    assert.match(missing.err, /cannot read/);
  });
});
