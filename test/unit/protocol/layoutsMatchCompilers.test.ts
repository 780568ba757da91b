import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gpupv } from './runGpupv';
import type { AbiName } from '../../../extension/protocol/abi';
import { judge } from '../../compilerJudge/judge';
import type { LayoutJson } from '../../compilerJudge/layoutChecks';
import { repoRoot } from '../../harness/paths';

// The acceptance test of the protocol engine: `gpupv layout --json` for three real headers,
// checked field by field by gcc (System V) and clang (MSVC and AArch64 targets).

const SAMPLE = join(repoRoot, 'demo', 'include', 'pvgpu_protocol.h');
const TRICKY = join(repoRoot, 'test', 'fixtures', 'headers', 'tricky.h');
const VIRTIO = '/usr/include/linux/virtio_gpu.h';
const ALL_ABIS: AbiName[] = ['msvc-x64', 'sysv-x86_64', 'msvc-arm64', 'sysv-aarch64'];


describe('protocol engine: layouts match the compilers', () => {
  const cases: [string, string, AbiName[]][] = [
    ['sample protocol header', SAMPLE, ALL_ABIS],
    ['tricky layouts', TRICKY, ALL_ABIS],
    // virtio_gpu.h includes <linux/types.h>, which exists here for the host (x86_64) only.
    ['linux/virtio_gpu.h', VIRTIO, ['sysv-x86_64']],
  ];
  for (const [title, header, abis] of cases) {
    for (const abi of abis) {
      it(`${title} on ${abi}: every leaf field of every record agrees`, async function () {
        this.timeout(60_000);
        assert.ok(existsSync(header), `${header} is missing (Debian linux-libc-dev provides virtio_gpu.h; npm test installs it)`);
        const { code, out, err } = await gpupv('layout', '--json', '--abi', abi, header);
        assert.equal(code, 0, err);
        const layout = JSON.parse(out) as LayoutJson;
        const verdict = judge({ header, layout, abi });
        console.log(`      ${verdict.records} records, ${verdict.fields} leaf fields, ${verdict.checks} compiler checks`);
        assert.ok(verdict.records > 30 && verdict.fields > verdict.records, `too little was checked: ${JSON.stringify(verdict)}`);
        assert.deepEqual(verdict.mismatches, []);
      });
    }
  }

  it('--diff-abi finds every MSVC/System V divergence in the tricky header', async function () {
    this.timeout(30_000);
    const { code, out } = await gpupv('layout', '--diff-abi', 'msvc-x64,sysv-x86_64', TRICKY);
    assert.equal(code, 1);
    const differing = [...out.matchAll(/struct (\w+): \d+ bytes on msvc-x64/g)].map((m) => m[1]).sort();
    // The header documents each of these as laid out differently by MSVC and GCC (checked by the tests above).
    assert.deepEqual(differing, [
      'TrickyConditional', 'TrickyEnumMembers', 'TrickyLongBitfield', 'TrickyLongLongBitfields', 'TrickyMixedBitfields',
      'TrickyPackVsAlignedMember', 'TrickyPackedBitfields', 'TrickyPlatformTypes', 'TrickyShortThenInt', 'TrickySignedAndEnumBitfields',
      'TrickyStraddle', 'TrickyTypeSpellings', 'TrickyWideString', 'TrickyZeroWidthAfterBitfield', 'TrickyZeroWidthAfterMember',
    ]);
    assert.match(out, /TrickyPlatformTypes: .*`long l`: 4 bytes on msvc-x64, 8 on sysv-x86_64/);
    assert.match(out, /TrickyWideString: .*`wchar_t text`: 2 bytes on msvc-x64, 4 on sysv-x86_64/);
  });

  it('--diff-abi finds no divergence in virtio_gpu.h, whose structs use fixed-width types only', async function () {
    this.timeout(30_000);
    const { code, out } = await gpupv('layout', '--diff-abi', 'msvc-x64,sysv-x86_64', VIRTIO);
    assert.equal(code, 0);
    assert.match(out, /^\d+ records, identical on msvc-x64 and sysv-x86_64$/);
  });
});
