import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ABIS, type AbiName } from '../../../extension/protocol/abi';
import { rustMirror } from '../../../extension/protocol/codegen/rustCodegen';
import { analyzeHeader, type HeaderAnalysis } from '../../../extension/protocol/headerAnalysis';
import { readHeaderFile } from '../../../extension/protocol/localFiles';
import { diffRustMirror, type MirrorReport } from '../../../extension/protocol/rust/mirrorDiff';
import { layOutRust, type RustLayouts } from '../../../extension/protocol/rust/rustLayout';
import { readRustSource } from '../../../extension/protocol/rust/rustSource';
import { rustcErrors } from '../../compilerJudge/rustc';
import { repoRoot } from '../../harness/paths';
import { seededRandom } from '../seededRandom';
import { analyzeText } from '../protocol/inMemoryHeaders';
import { gpupv } from '../protocol/runGpupv';

// The host's Rust mirror of the guest header, checked: the demo mirror's planted drifts are
// found and nothing else; the Rust side's layout is what rustc computes (judged by rustc with
// assertions made from our view of it); the C side's is judged by gcc and clang in
// layoutsMatchCompilers.test.ts ("sample protocol header on msvc-x64 / sysv-x86_64").

const HEADER = join(repoRoot, 'demo', 'include', 'pvgpu_protocol.h');
const MIRROR = join(repoRoot, 'demo', 'host', 'src', 'protocol.rs');

async function compare(analysis: HeaderAnalysis, file: string, text: string): Promise<{ report: MirrorReport; layouts: RustLayouts; notes: string[] }> {
  const source = await readRustSource(file, text);
  const layouts = layOutRust(source, ABIS[analysis.abi]);
  return { report: diffRustMirror(analysis, source, layouts), layouts, notes: [...source.diagnostics, ...layouts.diagnostics].map((d) => `${d.location.line}: ${d.message}`) };
}

/** `const _` assertions of every repr(C) struct's size, alignment and field offsets as the check computed them. */
function layoutAssertions(layouts: RustLayouts): string {
  const lines: string[] = [];
  for (const [name, layout] of layouts.records) {
    if (!layout.record.repr.c) continue; // a Rust-layout struct's offsets are rustc's choice, not a fact to assert
    lines.push(`const _: () = assert!(core::mem::size_of::<${name}>() == ${layout.size});`, `const _: () = assert!(core::mem::align_of::<${name}>() == ${layout.align});`);
    for (const member of layout.members) lines.push(`const _: () = assert!(core::mem::offset_of!(${name}, ${/^(type|match|fn|ref|move|loop|impl|box)$/.test(member.name) ? `r#${member.name}` : member.name}) == ${member.offset});`);
  }
  return lines.join('\n');
}

function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  assert.ok(index >= 0, `${needle} not in the mirror`);
  return index + 1;
}

describe('Rust host mirror: gpupv layout --diff-rust and codegen --lang rust', function () {
  this.timeout(120_000);
  const analyses = new Map<AbiName, HeaderAnalysis>();
  const mirrorText = readFileSync(MIRROR, 'utf8');
  before(async () => {
    for (const abi of ['msvc-x64', 'sysv-x86_64'] as const) analyses.set(abi, await analyzeHeader(HEADER, { abi, readFile: readHeaderFile }));
  });

  it('finds exactly the five drifts planted in the demo mirror, each at its Rust line with the header\u2019s value', async () => {
    const { report, notes } = await compare(analyses.get('msvc-x64')!, MIRROR, mirrorText);
    assert.deepEqual(notes, []);
    const expected: [string, RegExp, number][] = [
      ['missing repr(C)', /^Viewport has no #\[repr\(C\)\]/, lineOf(mirrorText, 'pub struct Viewport ')],
      ['missing field', /^PvgpuCmdCopyResource\.src_resource_id \(offset 16, 4 bytes\) is in the header only: CmdCopyResource lacks it \(16 bytes in Rust, 20 in the header\)/, lineOf(mirrorText, 'pub struct CmdCopyResource ')],
      ['reordered pair', /^CmdDrawIndexed\.start_index and CmdDrawIndexed\.index_count are in the other order than in the header/, lineOf(mirrorText, '    pub start_index: u32,')],
      ['u32 for uint64_t', /^CmdFence\.fence_value is `u32` \(4 bytes\) in Rust, `uint64_t` \(8 bytes\) in the header; CmdFence is 20 bytes, PvgpuCmdFence 24/, lineOf(mirrorText, '    pub fence_value: u32,')],
      ['constant off by one', /^CMD_WAIT_FENCE is 773 \(0x305\) in Rust, 772 \(0x304\) in the header \(PVGPU_CMD_WAIT_FENCE\)/, lineOf(mirrorText, 'pub const CMD_WAIT_FENCE')],
    ];
    const messages = report.differences.map((d) => `${d.rustLocation?.line ?? '?'}: ${d.message}`);
    assert.equal(report.differences.length, expected.length, messages.join('\n'));
    for (const [what, pattern, line] of expected) {
      const found = report.differences.find((d) => pattern.test(d.message));
      assert.ok(found, `${what} not reported; got:\n${messages.join('\n')}`);
      assert.equal(found.rustLocation?.line, line, `${what} is reported on the wrong Rust line`);
      assert.ok(found.headerLocation?.file.endsWith('pvgpu_protocol.h'), `${what} does not say where the header has it`);
    }
  });

  it('says how it paired each name that is not the same on both sides', async () => {
    const { report } = await compare(analyses.get('msvc-x64')!, MIRROR, mirrorText);
    const how = (rust: string) => report.matches.find((m) => m.rust === rust)?.how;
    assert.match(how('CmdDrawIndexed') ?? '', /without the prefix `Pvgpu`/);
    assert.match(how('CMD_DRAW_INDEXED') ?? '', /without the prefix `PVGPU_`/);
    assert.match(how('ResourceType::Texture2d') ?? '', /without the prefix `PVGPU_RESOURCE_TYPE_`/);
    assert.match(how('CmdPresent.vsync_interval') ?? '', /^renamed: the same offset \(20\) and size \(4\)$/);
    assert.match(how('CmdCreateShaderResourceView.anonymous0.texture2d.mip_levels') ?? '', /anonymous member, named `anonymous0`/);
    // Nothing of the header is left unpaired: every struct, enum and constant has its counterpart.
    assert.equal(report.matches.filter((m) => m.kind === 'struct').length, analyses.get('msvc-x64')!.records.filter((r) => !r.decl.nested).length);
  });

  it('rustc lays out the demo mirror as the check does: sizes, alignments and every field offset', async () => {
    const { layouts } = await compare(analyses.get('sysv-x86_64')!, MIRROR, mirrorText);
    const assertions = layoutAssertions(layouts);
    assert.ok(assertions.split('\n').length > 300, 'too few assertions to judge anything');
    assert.deepEqual(rustcErrors(`${mirrorText}\n${assertions}\n`), []);
    // And rustc refuses an assertion that is off, so the judge can fail.
    assert.notDeepEqual(rustcErrors(`${mirrorText}\nconst _: () = assert!(core::mem::size_of::<CmdFence>() == 24);\n`), []);
  });

  for (const abi of ['msvc-x64', 'sysv-x86_64'] as const) {
    it(`a mirror written by gpupv codegen --lang rust on ${abi} matches the header exactly, and rustc accepts its own layout assertions`, async () => {
      const analysis = analyses.get(abi)!;
      const generated = rustMirror(analysis, HEADER);
      assert.match(generated, /const _: \(\) = assert!\(core::mem::offset_of!\(PvgpuCmdDrawIndexed, index_count\) == 16\);/);
      const { report, notes } = await compare(analysis, '/generated.rs', generated);
      assert.deepEqual(notes, []);
      assert.deepEqual(report.differences.map((d) => d.message), []);
      // The Rust target here is x86_64 Linux; the header's fixed-width types make the layouts the same on both ABIs.
      assert.deepEqual(rustcErrors(generated), []);
    });
  }

  it('compares enums by value and lists variants one side lacks', async () => {
    const analysis = await analyzeText('typedef enum Mode { MODE_OFF = 0, MODE_ON = 1, MODE_AUTO = 4 } Mode;\ntypedef struct Cfg { unsigned int mode; } Cfg;\n');
    const rust = '#[repr(u32)]\npub enum Mode { Off = 0, On = 2, Turbo = 3 }\n#[repr(C)]\npub struct Cfg { pub mode: u32 }\n';
    const { report } = await compare(analysis, '/m.rs', rust);
    const messages = report.differences.map((d) => d.message).sort();
    assert.deepEqual(messages, ['MODE_AUTO (4) of Mode has no variant in Mode', 'Mode::On is 2 in Rust, 1 in the header (MODE_ON)', 'Mode::Turbo is in Rust only']);
  });

  it('lays out packed, aligned and union reprs and the C types of core::ffi as rustc does', async () => {
    const rust = [
      'pub const N: usize = 3 * 2;',
      '#[repr(C, packed(2))] pub struct P { pub a: u8, pub b: u64, pub c: [u16; N - 1] }',
      '#[repr(C, align(32))] pub struct A { pub a: u8, pub p: *const u8 }',
      '#[repr(C)] pub union U { pub f: f32, pub w: [u8; 5], pub l: core::ffi::c_long }',
      '#[repr(C)] pub struct Outer { pub x: u8, pub u: U, pub a: A, pub flag: bool, pub big: u128 }',
      '#[repr(C, packed)] pub struct Tight { pub a: u8, pub b: u32 }',
    ].join('\n');
    const source = await readRustSource('/r.rs', rust);
    const layouts = layOutRust(source, ABIS['sysv-x86_64']);
    assert.deepEqual(layouts.diagnostics, []);
    assert.equal(layouts.records.get('P')!.size, 20);
    assert.equal(layouts.records.get('Tight')!.size, 5);
    assert.deepEqual(rustcErrors(`${rust}\n${layoutAssertions(layouts)}\n`), []);
    // c_long is 4 bytes on Windows, so the union shrinks there.
    assert.equal(layOutRust(source, ABIS['msvc-x64']).records.get('U')!.size, 8);
  });

  it('gpupv layout --diff-rust exits 1 on a drift (JSON for CI), 0 when the mirror is in step, 2 when it cannot read it', async () => {
    const drifted = await gpupv('layout', '--diff-rust', MIRROR, HEADER, '--json');
    assert.equal(drifted.code, 1, drifted.err);
    const json = JSON.parse(drifted.out) as { abi: string; differences: { message: string }[] };
    assert.equal(json.abi, 'msvc-x64');
    assert.equal(json.differences.length, 5);
    const text = await gpupv('layout', '--diff-rust', MIRROR, HEADER);
    assert.match(text.out, /^matched 57 structs: the header name without the prefix `Pvgpu`/m);
    assert.match(text.out, /5 differences between the mirror and the header on msvc-x64/);
    const generated = await gpupv('codegen', '--lang', 'rust', HEADER, '--abi', 'sysv-x86_64');
    assert.equal(generated.code, 0, generated.err);
    assert.match(generated.out, /^#\[repr\(C\)\]$/m);
    const missing = await gpupv('layout', '--diff-rust', '/nonexistent/protocol.rs', HEADER);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /cannot read the Rust mirror \/nonexistent\/protocol\.rs/);
    const wrongLanguage = await gpupv('codegen', '--lang', 'go', HEADER);
    assert.equal(wrongLanguage.code, 2);
  });

  it('reads broken, truncated and hostile Rust without throwing, with located notes for what it cannot use', async () => {
    const analysis = analyses.get('msvc-x64')!;
    const odd = await compare(analysis, '/odd.rs', '#[repr(C)] pub struct S { pub a: Vec<u8>, pub b: [u8; FOO] }\npub struct T(u32);\npub const X: u32 = some_fn();\n#[repr(simd)] pub struct V { pub a: f32 }\nfn broken( {');
    assert.ok(odd.notes.some((n) => n.includes('S cannot be laid out: the type `Vec<u8>` has no C layout')), odd.notes.join('\n'));
    assert.ok(odd.notes.some((n) => n.includes('const X: `some_fn()` is not a constant expression')), odd.notes.join('\n'));
    assert.ok(odd.notes.some((n) => n.includes('repr hint `simd`')), odd.notes.join('\n'));
    const random = seededRandom(1302);
    for (let round = 0; round < 60; round++) {
      const cut = Math.floor(random() * mirrorText.length);
      const bytes = Array.from(mirrorText.slice(0, cut));
      for (let flips = 0; flips < 20; flips++) bytes[Math.floor(random() * bytes.length)] = String.fromCharCode(Math.floor(random() * 128));
      const { report } = await compare(analysis, '/fuzzed.rs', bytes.join(''));
      assert.ok(Array.isArray(report.differences));
    }
  });
});
