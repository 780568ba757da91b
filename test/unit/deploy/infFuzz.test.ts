import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { decodeWindowsText, describeInfPackage, INF_ARCHITECTURES, parseInf } from '../../../extension/deploy/inf/infFile';
import { repoRoot } from '../../harness/paths';
import { seededRandom } from '../seededRandom';

// An INF comes from the user's tree, or from a repository they just cloned: whatever it
// holds, reading it ends, quickly, with problems and not an exception. Mutations are drawn
// from a seeded generator, so a failure names the seed that reproduces it.

const FIXTURES = path.join(repoRoot, 'test', 'fixtures');
const SEEDS = 40;
const MUTANTS_PER_SEED = 25;
/** Far above what a mutant of a few-kilobyte INF takes; a quadratic slip would blow it. */

function infFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return infFiles(full);
    return /\.in[fx]$/i.test(name) ? [full] : [];
  });
}

const TOKENS = ['[', ']', '[Strings]', '[Manufacturer]', '"', '""', ';', '\\', '\\\r\n', '%', '%%', '%13%', '%Undefined%', '=', ',', '\r\n', '\n', '\r', '\u0000', '$ARCH$', '.NTamd64', 'NTamd64.10.0...16299', 'NTarm64.', '@', 'CopyFiles=', 'AddReg=', 'AddService=', '🚀', '\uFEFF', '\uD800', ' '.repeat(200)];

function mutate(text: string, next: () => number): string {
  const below = (n: number) => Math.floor(next() * n);
  let out = text;
  const edits = 1 + below(8);
  for (let i = 0; i < edits; i++) {
    const at = below(out.length + 1);
    const kind = below(5);
    if (kind === 0) out = out.slice(0, at) + TOKENS[below(TOKENS.length)]! + out.slice(at);
    else if (kind === 1) out = out.slice(0, at) + out.slice(at + below(40));
    else if (kind === 2) {
      const lines = out.split('\n');
      const line = below(lines.length);
      lines.splice(line, 0, ...Array.from({ length: 1 + below(30) }, () => lines[line] ?? ''));
      out = lines.join('\n');
    } else if (kind === 3) out = out.slice(0, at);
    else out = out.slice(0, at) + String.fromCharCode(below(0x3000)) + out.slice(at);
  }
  return out;
}

describe('INF reader: seeded fuzzing', () => {
  const sources = infFiles(FIXTURES).map((file) => ({ file: path.relative(FIXTURES, file), bytes: readFileSync(file) }));

  it('has fixtures to mutate, UTF-16 among them', () => {
    assert.ok(sources.length >= 6, `only ${sources.length} INF fixtures`);
    assert.ok(sources.some((s) => decodeWindowsText(s.bytes).encoding === 'utf-16le'));
  });

  it('never throws or stalls on mutated INF text, and every problem has a line in the file', function () {
    this.timeout(60_000);
    for (let seed = 1; seed <= SEEDS; seed++) {
      const next = seededRandom(seed);
      for (let n = 0; n < MUTANTS_PER_SEED; n++) {
        const source = sources[Math.floor(next() * sources.length)]!;
        const text = mutate(decodeWindowsText(source.bytes).text, next);
        const lines = text.split(/\r\n|\r|\n/).length;
        for (const inxArchitecture of [undefined, 'amd64'] as const) {
          const file = parseInf(text, inxArchitecture ? { inxArchitecture } : {});
          for (const architecture of INF_ARCHITECTURES) {
            const pkg = describeInfPackage(file, { architecture });
            for (const p of pkg.problems) {
              assert.ok(Number.isInteger(p.line) && p.line >= 1 && p.line <= lines, `seed ${seed}, ${source.file}: line ${p.line} of ${lines} for "${p.message}"`);
              assert.ok(p.message.length > 0);
            }
            assert.ok(pkg.files.every((f) => typeof f === 'string'));
          }
        }
      }
    }
  });

  it('never throws on mutated bytes: broken byte-order marks, odd lengths, lone surrogates', () => {
    const next = seededRandom(4242);
    const below = (n: number) => Math.floor(next() * n);
    for (let n = 0; n < 400; n++) {
      const source = sources[below(sources.length)]!;
      const bytes = Buffer.from(source.bytes.subarray(0, below(source.bytes.length + 1)));
      for (let i = below(12); i > 0; i--) if (bytes.length) bytes[below(bytes.length)] = below(256);
      const pkg = describeInfPackage(parseInf(bytes), { architecture: 'amd64' });
      assert.ok(Array.isArray(pkg.problems), `mutant ${n} of ${source.file}`);
    }
  });

  // Quadratic work on 20,000 models would run past mocha's timeout.
  it('reads an INF of 20,000 models whole', () => {
    const models = Array.from({ length: 20_000 }, (_, i) => `%D% = I, PCI\\VEN_1AF4&DEV_${(i % 0xffff).toString(16).padStart(4, '0')}&SUBSYS_${i}`);
    const text = ['[Version]', 'Signature="$Windows NT$"', 'CatalogFile=x.cat', 'DriverVer=01/01/2026,1.0.0.0', '[Manufacturer]', '%M% = M, NTamd64', '[M.NTamd64]', ...models, '[I]', '[Strings]', 'M = "m"', 'D = "d"'].join('\r\n');
    const pkg = describeInfPackage(parseInf(text), { architecture: 'amd64' });
    assert.equal(pkg.hardwareIds.length, 20_000);
  });
});
