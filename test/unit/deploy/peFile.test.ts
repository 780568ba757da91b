import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expectExitCode, runProcess } from '../../../extension/common/processRunner';
import { hasAuthenticodeSignature, parsePeBuffer, readPeFile, type PeInfo } from '../../../extension/deploy/pe/peFile';
import { buildSamplePackage, type SamplePackage } from '../../harness/samplePackage';
import { seededRandom } from '../seededRandom';

// The PE reader on the sample package's real images, with the toolchain's own objdump as the
// independent witness, on an image osslsigncode really signed, and on junk.

async function objdump(file: string): Promise<string> {
  return expectExitCode(await runProcess('x86_64-w64-mingw32-objdump', ['-p', file], { timeoutMs: 20_000 })).stdout;
}

function parsed(file: string): PeInfo {
  const result = readPeFile(file);
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return result.pe;
}

/**
 * A minimal PE32 (x86) DLL laid out by hand: this machine's mingw-w64 links x86-64 only, so
 * the 32-bit header layout is checked on bytes written from the specification.
 */
function handMadePe32Dll(): Buffer {
  const image = Buffer.alloc(0x400);
  image.write('MZ', 0, 'latin1');
  image.writeUInt32LE(0x80, 0x3c);
  image.write('PE\0\0', 0x80, 'latin1');
  const coff = 0x84;
  image.writeUInt16LE(0x014c, coff); // i386
  image.writeUInt16LE(1, coff + 2); // one section
  image.writeUInt32LE(0x5f5e1000, coff + 4); // TimeDateStamp
  image.writeUInt16LE(224, coff + 16); // SizeOfOptionalHeader
  image.writeUInt16LE(0x2102, coff + 18); // EXECUTABLE_IMAGE | 32BIT_MACHINE | DLL
  const optional = coff + 20;
  image.writeUInt16LE(0x10b, optional);
  image.writeUInt16LE(2, optional + 68); // Windows GUI
  image.writeUInt32LE(16, optional + 92); // NumberOfRvaAndSizes
  image.writeUInt32LE(0x1000, optional + 96 + 8); // import directory RVA
  image.writeUInt32LE(40, optional + 96 + 12);
  const section = optional + 224;
  image.write('.idata', section, 'latin1');
  image.writeUInt32LE(0x200, section + 8); // VirtualSize
  image.writeUInt32LE(0x1000, section + 12); // VirtualAddress
  image.writeUInt32LE(0x200, section + 16); // SizeOfRawData
  image.writeUInt32LE(0x200, section + 20); // PointerToRawData
  image.writeUInt32LE(0x1100, 0x200 + 12); // descriptor 0: Name RVA
  image.writeUInt32LE(0x1080, 0x200 + 16); // FirstThunk, so the descriptor is not all zero
  image.write('KERNEL32.dll\0', 0x300, 'latin1');
  return image;
}

describe('PE files', function () {
  this.timeout(60_000);
  let root: string;
  let sample: SamplePackage;
  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'gpupv-pe-'));
    sample = await buildSamplePackage(path.join(root, 'sample'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('reads the kernel driver as objdump does: x64, PE32+, native, not a DLL, importing ntoskrnl.exe, unsigned', async () => {
    const pe = parsed(sample.sys);
    const witness = await objdump(sample.sys);
    assert.equal(pe.machine, 'x64');
    assert.equal(pe.format, 'PE32+');
    assert.equal(pe.subsystem, 'native');
    assert.equal(pe.isDll, false);
    assert.deepEqual(pe.imports, [...witness.matchAll(/DLL Name: (\S+)/g)].map((m) => m[1]));
    assert.deepEqual(pe.imports, ['ntoskrnl.exe']);
    assert.equal(pe.characteristics, Number.parseInt(/^Characteristics 0x([0-9a-f]+)/m.exec(witness)![1]!, 16));
    assert.equal(pe.dllCharacteristics, Number.parseInt(/^DllCharacteristics\s+([0-9a-f]+)/m.exec(witness)![1]!, 16));
    assert.equal(pe.dllCharacteristics & 0x2000, 0x2000, 'marked as a WDM driver');
    assert.equal(pe.signature, undefined);
    assert.equal(hasAuthenticodeSignature(pe), false);
    assert.deepEqual(pe.warnings, []);
    const stamp = /^Time\/Date\s+(.+)$/m.exec(witness)![1]!;
    assert.ok(pe.timestamp && Math.abs(pe.timestamp.getTime() - Date.now()) < 3_600_000, `linked just now (objdump: ${stamp})`);
    const sectionTable = expectExitCode(await runProcess('x86_64-w64-mingw32-objdump', ['-h', sample.sys], { timeoutMs: 20_000 })).stdout;
    assert.deepEqual(pe.sections.map((s) => s.name), [...sectionTable.matchAll(/^\s*\d+\s+(\S+)/gm)].map((m) => m[1]));
  });

  it('reads the UMD as a GUI-subsystem x64 DLL exporting OpenAdapter10_2', async () => {
    const pe = parsed(sample.dll);
    const witness = await objdump(sample.dll);
    assert.equal(pe.machine, 'x64');
    assert.equal(pe.isDll, true);
    assert.equal(pe.subsystem, 'windows-gui');
    assert.deepEqual(pe.exports, ['OpenAdapter10_2']);
    assert.deepEqual(pe.imports, [...witness.matchAll(/DLL Name: (\S+)/g)].map((m) => m[1]));
    assert.ok(pe.imports.includes('KERNEL32.dll'));
  });

  it('sees the Authenticode signature osslsigncode attaches', async () => {
    const key = path.join(root, 'test.key');
    const cert = path.join(root, 'test.crt');
    expectExitCode(await runProcess('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=GPU-PV Dev Kit PE test', '-days', '1'], { timeoutMs: 30_000 }));
    const signed = path.join(root, 'pvsample.signed.sys');
    expectExitCode(await runProcess('osslsigncode', ['sign', '-certs', cert, '-key', key, '-h', 'sha256', '-in', sample.sys, '-out', signed], { timeoutMs: 30_000 }));
    const pe = parsed(signed);
    assert.ok(pe.signature, 'a certificate table');
    assert.equal(pe.signature.revision, 0x0200);
    assert.equal(pe.signature.certificateType, 2);
    assert.equal(pe.signature.offset + pe.signature.size, readFileSync(signed).length, 'osslsigncode appends it at the end');
    assert.equal(hasAuthenticodeSignature(pe), true);
    assert.deepEqual(pe.imports, ['ntoskrnl.exe'], 'the rest reads the same');
  });

  it('reads a PE32 image’s header layout', () => {
    const result = parsePeBuffer(handMadePe32Dll());
    assert.ok(result.ok, result.ok ? '' : result.reason);
    assert.equal(result.pe.format, 'PE32');
    assert.equal(result.pe.machine, 'x86');
    assert.equal(result.pe.isDll, true);
    assert.equal(result.pe.subsystem, 'windows-gui');
    assert.deepEqual(result.pe.imports, ['KERNEL32.dll']);
    assert.equal(result.pe.timestamp?.getTime(), 0x5f5e1000 * 1000);
  });

  it('names other machines by the COFF machine field', () => {
    const bytes = readFileSync(sample.sys);
    const coff = bytes.readUInt32LE(0x3c) + 4;
    for (const [code, machine] of [[0xaa64, 'arm64'], [0x014c, 'x86'], [0x01c4, 'arm'], [0x0200, 'unknown']] as const) {
      const copy = Buffer.from(bytes);
      copy.writeUInt16LE(code, coff);
      const result = parsePeBuffer(copy);
      assert.ok(result.ok);
      assert.equal(result.pe.machine, machine);
      assert.equal(result.pe.machineCode, code);
    }
  });

  it('gives a reason, not an exception, for what is not a PE image', () => {
    const cases: [Uint8Array, RegExp][] = [
      [Buffer.alloc(0), /no MZ header/],
      [Buffer.from('MZ'), /no MZ header/],
      [Buffer.from(readFileSync(sample.inf)), /no MZ header/],
      [Buffer.concat([Buffer.from('MZ'), Buffer.alloc(62, 0xff)]), /no PE signature/],
    ];
    for (const [bytes, reason] of cases) {
      const result = parsePeBuffer(bytes);
      assert.ok(!result.ok);
      assert.match(result.reason, reason);
    }
    const image = readFileSync(sample.sys);
    const headersOnly = parsePeBuffer(image.subarray(0, 0x100));
    assert.ok(!headersOnly.ok);
    assert.match(headersOnly.reason, /optional header/);
    const importsCut = image.subarray(0, image.length - 0x200);
    const cut = parsePeBuffer(importsCut);
    assert.ok(cut.ok, 'the headers are all there');
    assert.deepEqual(cut.pe.imports, []);
    assert.match(cut.pe.warnings.join('\n'), /import table lies outside the file/);
    const missing = readPeFile(path.join(root, 'nothing.sys'));
    assert.ok(!missing.ok);
    assert.match(missing.reason, /cannot be opened/);
  });

  it('never throws or runs away on mutated images (seeded)', () => {
    const random = seededRandom(0x5ee);
    const originals = [readFileSync(sample.sys), readFileSync(sample.dll), handMadePe32Dll()];
    let parsedCount = 0;
    for (let i = 0; i < 3_000; i++) {
      const copy = Buffer.from(originals[i % originals.length]!);
      const headerSpan = Math.min(copy.length, 0x600);
      for (let edits = 1 + Math.floor(random() * 12); edits > 0; edits--) {
        const at = random() < 0.8 ? Math.floor(random() * headerSpan) : Math.floor(random() * copy.length);
        const value = random() < 0.3 ? 0xff : random() < 0.5 ? 0 : Math.floor(random() * 256);
        copy[at] = value;
      }
      const cut = random() < 0.1 ? copy.subarray(0, Math.floor(random() * copy.length)) : copy;
      const result = parsePeBuffer(cut);
      if (result.ok) {
        parsedCount++;
        assert.ok(result.pe.imports.length <= 1_024 && result.pe.exports.length <= 16_384 && result.pe.sections.length <= 96);
      } else assert.ok(result.reason.length > 0);
    }
    assert.ok(parsedCount > 100, 'most mutations leave a readable image');
    const random2 = seededRandom(7);
    for (let i = 0; i < 500; i++) {
      const junk = Buffer.alloc(Math.floor(random2() * 4096), 0);
      for (let b = 0; b < junk.length; b++) junk[b] = Math.floor(random2() * 256);
      if (junk.length > 2 && random2() < 0.5) junk.write('MZ', 0, 'latin1');
      parsePeBuffer(junk);
    }
    writeFileSync(path.join(root, 'junk.sys'), Buffer.from('MZ this is not an image'));
    assert.equal(readPeFile(path.join(root, 'junk.sys')).ok, false);
  });
});
