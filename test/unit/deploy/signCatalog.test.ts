import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runProcess } from '../../../extension/common/processRunner';
import { buildCatalog, CatalogError, catalogMismatches, catalogOsAttribute, readCatalog, type CatalogFile } from '../../../extension/deploy/sign/catalog';
import { hasAuthenticodeSignature, readPeFile } from '../../../extension/deploy/pe/peFile';
import { authenticodeDigest, isPortableExecutable, PeFormatError } from '../../../extension/deploy/sign/peDigest';
import { DriverVerError, stampDriverVer } from '../../../extension/deploy/sign/driverVer';
import { ensureTestCertificate } from '../../../extension/deploy/sign/testCertificate';
import { buildSamplePackage, SAMPLE_HARDWARE_ID, type SamplePackage } from '../../harness/samplePackage';
import { seededRandom } from '../seededRandom';

// The catalog a Linux host makes in place of Inf2Cat, and the Authenticode PE digest it lists
// PE files by, checked against osslsigncode: its digest of the real mingw-built images, its
// signature over our catalog, and its own check of a file against a catalog (-catalog).

describe('driver catalogs without Inf2Cat', function () {
  this.timeout(120_000);
  let root: string;
  let sample: SamplePackage;
  let certificate: Awaited<ReturnType<typeof ensureTestCertificate>>;

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'gpupv-catalog-'));
    sample = await buildSamplePackage(path.join(root, 'package'));
    certificate = await ensureTestCertificate({ folder: path.join(root, 'certificates'), workspaceName: 'catalog tests', keyBits: 2048 });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const packageFiles = (): CatalogFile[] => [sample.inf, sample.sys, sample.dll].map((file) => ({ name: path.basename(file), bytes: readFileSync(file) }));

  async function osslsigncode(args: string[], input?: string) {
    return runProcess('osslsigncode', args, { timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) });
  }

  async function signCatalog(catalog: Buffer, name: string): Promise<string> {
    const unsigned = path.join(root, `${name}.unsigned.cat`);
    const signed = path.join(root, `${name}.cat`);
    writeFileSync(unsigned, catalog);
    const result = await osslsigncode(['sign', '-pkcs12', certificate.pfx, '-readpass', '-', '-h', 'sha256', '-in', unsigned, '-out', signed], certificate.password);
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    return signed;
  }

  it('computes the Authenticode digest osslsigncode computes, the same before and after an embedded signature', async () => {
    for (const file of [sample.sys, sample.dll]) {
      const signed = path.join(root, `signed-${path.basename(file)}`);
      const result = await osslsigncode(['sign', '-pkcs12', certificate.pfx, '-readpass', '-', '-h', 'sha256', '-in', file, '-out', signed], certificate.password);
      assert.equal(result.exitCode, 0, result.stderr);
      const verified = await osslsigncode(['verify', '-CAfile', certificate.pem, '-in', signed]);
      const calculated = /Calculated message digest\s*:\s*([0-9A-F]+)/.exec(verified.stdout)?.[1];
      assert.ok(calculated, verified.stdout);
      assert.equal(authenticodeDigest(readFileSync(file), 'sha256').toString('hex').toUpperCase(), calculated, `${file} unsigned`);
      assert.equal(authenticodeDigest(readFileSync(signed), 'sha256').toString('hex').toUpperCase(), calculated, `${file} signed`);
      const signedness = (image: string) => {
        const parsed = readPeFile(image);
        return parsed.ok && hasAuthenticodeSignature(parsed.pe);
      };
      assert.equal(signedness(file), false);
      assert.equal(signedness(signed), true);
    }
    assert.equal(isPortableExecutable(readFileSync(sample.inf)), false);
    assert.throws(() => authenticodeDigest(readFileSync(sample.inf), 'sha1'), PeFormatError);
  });

  it('makes a catalog that osslsigncode signs and checks the package\u2019s PE files against, and rejects a changed one', async () => {
    const signed = await signCatalog(buildCatalog({ files: packageFiles(), catalogOs: ['10_X64', 'ServerRS5_X64'], hardwareIds: [SAMPLE_HARDWARE_ID] }), 'sample');
    const catalogVerify = await osslsigncode(['verify', '-CAfile', certificate.pem, '-in', signed]);
    assert.equal(catalogVerify.exitCode, 0, catalogVerify.stdout + catalogVerify.stderr);
    for (const file of [sample.sys, sample.dll]) {
      const member = await osslsigncode(['verify', '-CAfile', certificate.pem, '-catalog', signed, '-in', file]);
      assert.equal(member.exitCode, 0, `${file}: ${member.stdout}${member.stderr}`);
    }
    const tampered = path.join(root, 'tampered.dll');
    copyFileSync(sample.dll, tampered);
    const bytes = readFileSync(tampered);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
    writeFileSync(tampered, bytes);
    const rejected = await osslsigncode(['verify', '-CAfile', certificate.pem, '-catalog', signed, '-in', tampered]);
    assert.notEqual(rejected.exitCode, 0);
    assert.match(rejected.stdout, /Catalog verification: failed/);
  });

  it('lists each member with its file name, kind and hash, and the OS and hardware ids as Inf2Cat does', () => {
    const time = new Date(Date.UTC(2026, 11, 1, 12, 0, 0));
    const listing = readCatalog(buildCatalog({ files: packageFiles(), catalogOs: ['10_x64', 'ServerRS5_X64', '10_X64'], hardwareIds: [SAMPLE_HARDWARE_ID, SAMPLE_HARDWARE_ID.toLowerCase()], time }));
    assert.equal(listing.signed, false);
    assert.deepEqual(listing.attributes, { HWID1: 'pci\\ven_1af4&dev_10f0', OS: '_v100_X64,Server_v100_X64_RS5' });
    const byName = new Map(listing.members.map((m) => [m.fileName, m]));
    assert.deepEqual([...byName.keys()].sort(), ['pvsample.inf', 'pvsample.sys', 'pvsample_umd.dll']);
    assert.equal(byName.get('pvsample.inf')!.kind, 'flat');
    assert.equal(byName.get('pvsample.sys')!.kind, 'pe');
    assert.equal(byName.get('pvsample.sys')!.digest.toString('hex'), authenticodeDigest(readFileSync(sample.sys), 'sha1').toString('hex'));
    for (const member of listing.members) assert.equal(member.tag, member.digest.toString('hex').toUpperCase());
    const tags = listing.members.map((m) => m.tag);
    assert.deepEqual(tags, [...tags].sort(), 'members are in tag order');
  });

  it('finds every file that is missing from the catalog or changed after it was made, the INF included', async () => {
    const files = packageFiles();
    const listing = readCatalog(readFileSync(await signCatalog(buildCatalog({ files, catalogOs: ['10_X64'], hardwareIds: [] }), 'check')));
    assert.equal(listing.signed, true);
    assert.deepEqual(catalogMismatches(listing, files), []);
    const inf = files[0]!;
    const edited = { name: inf.name, bytes: Buffer.concat([inf.bytes, Buffer.from('; edited\r\n')]) };
    const stranger = { name: 'extra.dll', bytes: readFileSync(sample.sys).subarray(0, 512) };
    assert.deepEqual(catalogMismatches(listing, [edited, files[1]!, stranger]), [
      'pvsample.inf changed after the catalog was made: its hash is no longer the one the catalog lists',
      'extra.dll is not listed in the catalog',
    ]);
  });

  it('names the OS identifiers it cannot make a catalog for, and refuses an empty package', () => {
    assert.equal(catalogOsAttribute(['10_GE_ARM64']), '_v100_ARM64_24H2');
    assert.throws(() => catalogOsAttribute(['7_X64', '10_X64', 'Vista_X86']), (error: Error) => error instanceof CatalogError && /Unknown catalog OS "7_X64", "Vista_X86".*10_X64/.test(error.message));
    assert.throws(() => buildCatalog({ files: [], catalogOs: ['10_X64'], hardwareIds: [] }), CatalogError);
  });

  it('reads damaged catalogs and PE images as errors, never a crash or a hang (seeded fuzz)', () => {
    const catalog = buildCatalog({ files: packageFiles(), catalogOs: ['10_X64'], hardwareIds: [SAMPLE_HARDWARE_ID] });
    const pe = readFileSync(sample.sys);
    const random = seededRandom(0x5ca7a109);
    let rejected = 0;
    for (let round = 0; round < 3000; round++) {
      for (const [original, read, expected] of [
        [catalog, (b: Buffer) => readCatalog(b), CatalogError],
        [pe, (b: Buffer) => authenticodeDigest(b, 'sha256'), PeFormatError],
      ] as const) {
        const bytes = Buffer.from(original);
        const edits = 1 + Math.floor(random() * 8);
        for (let i = 0; i < edits; i++) bytes[Math.floor(random() * Math.min(bytes.length, 600))] = Math.floor(random() * 256);
        const cut = random() < 0.3 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
        try {
          read(cut);
        } catch (error) {
          assert.ok(error instanceof expected, `round ${round}: ${String(error)}`);
          rejected++;
        }
      }
    }
    assert.ok(rejected > 500, `only ${rejected} mutations were rejected: the fuzzing does not reach the checks`);
  });

  it('stamps DriverVer into [Version], keeping the INF\u2019s encoding and line endings', () => {
    const date = new Date(2026, 10, 30);
    const crlf = Buffer.from('[Version]\r\nSignature="$WINDOWS NT$"\r\nDriverVer = 01/01/2020,1.0.0.0 ; old\r\n[Strings]\r\n', 'latin1');
    assert.equal(stampDriverVer(crlf, date, '2.3.4.5').toString('latin1'), '[Version]\r\nSignature="$WINDOWS NT$"\r\nDriverVer = 11/30/2026,2.3.4.5 ; old\r\n[Strings]\r\n');
    const utf16 = Buffer.concat([Buffer.of(0xff, 0xfe), Buffer.from('[Strings]\nA="\u00e9"\n[version]\nClass=Display\n', 'utf16le')]);
    const stamped = stampDriverVer(utf16, date, '7.0');
    assert.deepEqual([...stamped.subarray(0, 2)], [0xff, 0xfe]);
    assert.equal(stamped.subarray(2).toString('utf16le'), '[Strings]\nA="\u00e9"\n[version]\nDriverVer = 11/30/2026,7.0\nClass=Display\n');
    const bigEndian = Buffer.concat([Buffer.of(0xfe, 0xff), Buffer.from('[Version]\r\nDriverVer=1/1/2020,1.0\r\n', 'utf16le').swap16()]);
    assert.equal(stampDriverVer(bigEndian, date, '3.0').subarray(2).swap16().toString('utf16le'), '[Version]\r\nDriverVer=11/30/2026,3.0\r\n');
    assert.throws(() => stampDriverVer(crlf, date, '1.2.3.70000'), DriverVerError);
    assert.throws(() => stampDriverVer(Buffer.from('[Strings]\n'), date, '1.0'), /no \[Version\] section/);
  });
});
