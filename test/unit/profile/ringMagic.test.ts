import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { analyzeHeader, type HeaderAnalysis } from '../../../extension/protocol/headerAnalysis';
import { readHeaderFile } from '../../../extension/protocol/localFiles';
import { inferProfile, type InferredProfile } from '../../../extension/protocol/profile/profileInference';
import { resolveRingProfile, type RingProfileConfig } from '../../../extension/protocol/profile/ringProfile';
import { initialControlRegion } from '../../../extension/protocol/ring/ringGeometry';
import { magicMismatch } from '../../../extension/protocol/ring/ringMagic';
import { repoRoot } from '../../harness/paths';
import { analyzeText } from '../protocol/inMemoryHeaders';

// protocol.ring.magicField + protocol.ring.magic: resolved against the header (a number or
// a constant's name), proposed by `gpupv profile init`, and checked on control regions.

const DEMO_RING: RingProfileConfig = { control: 'PvgpuControlRegion', producerField: 'producer_ptr', consumerField: 'consumer_ptr', ringOffsetField: 'ring_offset', ringSizeField: 'ring_size' };

/** A control region with a magic, the house style of many drivers: a `*_MAGIC` macro and an enum. */
function header(magicComment: string, extra = ''): string {
  return `#include <stdint.h>
#define XGPU_MAGIC 0x58475055u
#define XGPU_BIG_MAGIC 0x1234567890ull
enum xgpu_ids { XGPU_ID_BASE = 0x1000, XGPU_NEGATIVE = -1 };
${extra}
struct xgpu_cmd { uint32_t op; uint32_t len; };
#define XGPU_OP_NOP 0
#define XGPU_OP_DRAW 1
struct xgpu_cmd_draw { struct xgpu_cmd hdr; uint32_t count; };
struct xgpu_ctl {
  uint32_t signature; ${magicComment}
  uint32_t ring_size;
  uint64_t producer;
  uint64_t consumer;
};`;
}

const CTL: RingProfileConfig = { control: 'struct xgpu_ctl', producerField: 'producer', consumerField: 'consumer', ringOffset: 4096, ringSizeField: 'ring_size' };

function resolve(analysis: HeaderAnalysis, magic: Partial<RingProfileConfig>) {
  const { profile, diagnostics } = resolveRingProfile(analysis, { ...CTL, ...magic });
  return { magic: profile?.magic, errors: diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.property}: ${d.message}`) };
}

function magicExplanations(inferred: InferredProfile) {
  return inferred.explanations.filter((e) => e.property === 'protocol.ring.magic').map((e) => [e.message, e.confidence]);
}

describe('ring magic', () => {
  let analysis: HeaderAnalysis;

  before(async () => {
    analysis = await analyzeText(header('/* XGPU_MAGIC */'));
  });

  it('resolves a macro, an enum constant, a number and numeric text to the field and its value', () => {
    assert.deepEqual(resolve(analysis, { magicField: 'signature', magic: 'XGPU_MAGIC' }).magic, { field: { offset: 0, size: 4, byteOrder: 'little' }, fieldName: 'struct xgpu_ctl.signature', value: 0x58475055n, shown: 'XGPU_MAGIC (0x58475055)' });
    assert.equal(resolve(analysis, { magicField: 'signature', magic: 'XGPU_ID_BASE' }).magic?.shown, 'XGPU_ID_BASE (0x00001000)');
    assert.equal(resolve(analysis, { magicField: 'signature', magic: 0x58475055 }).magic?.shown, '0x58475055');
    assert.equal(resolve(analysis, { magicField: 'signature', magic: '0x58475055' }).magic?.value, 0x58475055n);
  });

  it('names the property when the field, the constant or the value is wrong', () => {
    assert.deepEqual(resolve(analysis, { magicField: 'signatur', magic: 'XGPU_MAGIC' }).errors, ['protocol.ring.magicField: struct xgpu_ctl.signatur does not exist (did you mean "signature"?)']);
    assert.deepEqual(resolve(analysis, { magicField: 'signature', magic: 'XGPU_MAGC' }).errors, ['protocol.ring.magic: the header defines no macro or enum constant named "XGPU_MAGC" (did you mean "XGPU_MAGIC"?)']);
    assert.deepEqual(resolve(analysis, { magicField: 'signature', magic: 'XGPU_BIG_MAGIC' }).errors, ['protocol.ring.magic: XGPU_BIG_MAGIC (0x1234567890) does not fit the 4-byte struct xgpu_ctl.signature']);
    assert.deepEqual(resolve(analysis, { magicField: 'signature', magic: 'XGPU_NEGATIVE' }).errors, ['protocol.ring.magic: XGPU_NEGATIVE (-1) does not fit the 4-byte struct xgpu_ctl.signature']);
  });

  it('tells a control region of this protocol from another, and writes the magic into a fresh one', () => {
    const { profile } = resolveRingProfile(analysis, { ...CTL, magicField: 'signature', magic: 'XGPU_MAGIC' });
    const control = initialControlRegion(profile!, { ringOffset: 4096, ringSize: 65536 });
    assert.equal(magicMismatch(profile!, control), undefined);
    control[0] = 0;
    assert.equal(magicMismatch(profile!, control), 'struct xgpu_ctl.signature is 0x58475000, not XGPU_MAGIC (0x58475055): this is not a ring of this protocol (or the host has not initialised it yet)');
    const { profile: withoutMagic } = resolveRingProfile(analysis, CTL);
    assert.equal(magicMismatch(withoutMagic!, new Uint8Array(32)), undefined, 'without a magic nothing can be told');
  });

  it('is proposed from the demo header: the field whose comment names PVGPU_MAGIC', async () => {
    const demo = await analyzeHeader(join(repoRoot, 'demo', 'include', 'pvgpu_protocol.h'), { abi: 'msvc-x64', readFile: readHeaderFile });
    const inferred = inferProfile(demo);
    assert.deepEqual([inferred.protocol.ring?.magicField, inferred.protocol.ring?.magic], ['magic', 'PVGPU_MAGIC']);
    assert.deepEqual(magicExplanations(inferred), [["PVGPU_MAGIC — PvgpuControlRegion.magic's comment names it", 'sure']]);
    assert.ok(resolveRingProfile(demo, { ...DEMO_RING, magicField: 'magic', magic: 'PVGPU_MAGIC' }).profile?.magic);
  });

  it('is proposed from a number in the comment, or from the only *_MAGIC macro, and explained', async () => {
    const literal = inferProfile(await analyzeText(header('/* "XGPU" = 0x58475055 */')));
    assert.deepEqual([literal.protocol.ring?.magicField, literal.protocol.ring?.magic], ['signature', '0x58475055']);
    assert.deepEqual(magicExplanations(literal), [["0x58475055 — the number in struct xgpu_ctl.signature's comment", 'likely']]);

    const onlyMacro = inferProfile(await analyzeText(header('/* identifies the device */').replace('#define XGPU_BIG_MAGIC 0x1234567890ull', '')));
    assert.deepEqual([onlyMacro.protocol.ring?.magicField, onlyMacro.protocol.ring?.magic], ['signature', 'XGPU_MAGIC']);
    assert.deepEqual(magicExplanations(onlyMacro), [["XGPU_MAGIC — the header's only *_MAGIC macro, for struct xgpu_ctl.signature (its comment does not say)", 'likely']]);

    const several = inferProfile(await analyzeText(header('/* identifies the device */')));
    assert.equal(several.protocol.ring?.magic, undefined);
    assert.match(String(magicExplanations(several)[0]![0]), /^not inferred: struct xgpu_ctl\.signature is named like a magic, but its comment names no constant and XGPU_MAGIC, XGPU_BIG_MAGIC are all \*_MAGIC macros/);
  });

  it('says why no magic is proposed for a control region without such a field', async () => {
    const inferred = inferProfile(await analyzeText(header('').replace('uint32_t signature;', 'uint32_t flags_word;')));
    assert.equal(inferred.protocol.ring?.magicField, undefined);
    assert.match(String(magicExplanations(inferred)[0]![0]), /^not inferred: struct xgpu_ctl has no 32- or 64-bit field named like magic or signature/);
  });
});
