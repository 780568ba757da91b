import * as assert from 'node:assert/strict';
import { PcapngError, PcapngReader, readPcapng, type PcapngContents, type PcapngErrorCode } from '../../../extension/protocol/capture/pcapngReader';
import { OPTION, PcapngWriter, type PcapngPacketInput } from '../../../extension/protocol/capture/pcapngWriter';
import {
  assertSameOutcome,
  block,
  concat,
  enhancedPacket,
  fields,
  interfaceDescription,
  obsoletePacket,
  packetValues,
  readInChunks,
  sectionHeader,
  simplePacket,
  u32Option,
  writeCapture,
} from './pcapngFuzzLong';
import { seededRandom as random } from '../seededRandom';

const PROFILE_HASH = '0123456789abcdef'.repeat(4);
const MAX_U64 = (1n << 64n) - 1n;

/** Reads `bytes` whole and in chunks of random sizes (1 to 97 bytes); both must agree. */
function readBothWays(bytes: Uint8Array, seed = 1): PcapngContents {
  const whole = readPcapng(bytes);
  const next = random(seed);
  assertSameOutcome(whole, readInChunks(bytes, () => 1 + Math.floor(next() * 97)), `chunked read (seed ${seed})`);
  return whole;
}

function variedPackets(count: number): PcapngPacketInput[] {
  const comments = [undefined, '', 'draw ✓ ünïcødé 🚀', 'x'.repeat(1001), 'gpupv-ring-offset=0xnot-hex', 'two\nlines'];
  const sizes = [0, 1, 2, 3, 4, 5, 7, 2000, 1999, 13];
  return Array.from({ length: count }, (_, i) => ({
    timestampNs: i === 0 ? 0n : i === 1 ? MAX_U64 : 1_700_000_000_123_456_789n + BigInt(i) * 1_000_003n,
    data: Uint8Array.from({ length: sizes[i] ?? (i * 37) % 2001 }, (_, j) => (i * 7 + j) & 0xff),
    ringOffset: i % 4 === 0 ? undefined : i % 4 === 1 ? i * 64 : i % 4 === 2 ? MAX_U64 - BigInt(i) : BigInt(i) << 40n,
    comment: comments[i % comments.length],
    flags: i % 5 === 0 ? undefined : [0, 1, 2, 0xffffffff][i % 4],
  }));
}

function assertPacketsMatch(contents: PcapngContents, inputs: readonly PcapngPacketInput[], interfaceId = 0): void {
  assert.equal(contents.packets.length, inputs.length, 'packet count');
  inputs.forEach((input, i) => {
    const packet = contents.packets[i]!;
    const label = `packet ${i}`;
    assert.equal(packet.index, i, label);
    assert.equal(packet.interfaceId, interfaceId, label);
    assert.equal(packet.timestampNs, input.timestampNs, label);
    assert.deepEqual(Array.from(packet.data), Array.from(input.data), label);
    assert.equal(packet.originalLength, input.data.length, label);
    assert.equal(packet.ringOffset, input.ringOffset === undefined ? undefined : BigInt(input.ringOffset), label);
    assert.equal(packet.comment, input.comment, label);
    assert.equal(packet.flags, input.flags, label);
  });
}

/** Offsets of the blocks of a little-endian file. */
function blockStarts(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const starts: number[] = [];
  for (let at = 0; at < bytes.length; at += view.getUint32(at + 4, true)) starts.push(at);
  return starts;
}

function setU32(bytes: Uint8Array, at: number, value: number): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(at, value, true);
  return bytes;
}

describe('pcapng capture files', () => {
  describe('writer → reader round trip', () => {
    const inputs = variedPackets(400);
    const options = {
      linkType: 150,
      interfaceName: 'vm-guest1/ring0',
      description: 'GPU-PV command ring',
      profileHash: PROFILE_HASH.toUpperCase(),
      application: 'GPU-PV Dev Kit test',
      hardware: 'x86_64',
    };
    const file = writeCapture(inputs, options);

    it('gives back every packet, its timestamp, ring offset, comment and flags, as views into the file', () => {
      const contents = readPcapng(file);
      assert.equal(contents.error, undefined);
      assertPacketsMatch(contents, inputs);
      for (const packet of contents.packets) assert.equal(packet.data.buffer, file.buffer, 'packet data is a view, not a copy');
    });

    it('describes the section and the interface: link type, name, description, nanosecond tsresol, profile hash', () => {
      const { sections, interfaces } = readPcapng(file);
      assert.deepEqual(sections, [
        { index: 0, offset: 0, byteOrder: 'little', versionMajor: 1, versionMinor: 0, hardware: 'x86_64', application: 'GPU-PV Dev Kit test', comments: [] },
      ]);
      assert.deepEqual(interfaces, [
        {
          index: 0,
          section: 0,
          idInSection: 0,
          linkType: 150,
          snapLength: 0,
          name: 'vm-guest1/ring0',
          description: 'GPU-PV command ring',
          tsresol: 9,
          tsoffsetSeconds: 0n,
          profileHash: PROFILE_HASH,
          comments: [],
        },
      ]);
    });

    it('reads the same packets incrementally, whatever the chunk boundaries, copying the data out of the chunks', () => {
      for (let seed = 1; seed <= 6; seed++) readBothWays(file, seed);
      const oneByteAtATime = readInChunks(file, () => 1);
      assertPacketsMatch(oneByteAtATime, inputs);
      assert.ok(oneByteAtATime.packets.every((packet) => packet.data.buffer !== file.buffer));
    });

    it('writes 32-bit aligned blocks with the total length repeated at the end', () => {
      const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
      assert.equal(view.getUint32(0, true), 0x0a0d0d0a);
      assert.equal(view.getUint32(8, true), 0x1a2b3c4d);
      assert.equal(view.getBigInt64(16, true), -1n, 'section length unknown');
      for (const start of blockStarts(file)) {
        const length = view.getUint32(start + 4, true);
        assert.equal(length % 4, 0);
        assert.equal(view.getUint32(start + length - 4, true), length);
      }
    });

    it('uses 147 (LINKTYPE_USER0) by default and cuts records longer than the snap length, keeping the original length', () => {
      const data = Uint8Array.from({ length: 100 }, (_, i) => i);
      const contents = readPcapng(writeCapture([{ timestampNs: 5n, data }], { snapLength: 16 }));
      assert.equal(contents.interfaces[0]!.linkType, 147);
      assert.equal(contents.interfaces[0]!.snapLength, 16);
      assert.deepEqual(Array.from(contents.packets[0]!.data), Array.from(data.subarray(0, 16)));
      assert.equal(contents.packets[0]!.originalLength, 100);
    });
  });

  describe('writer', () => {
    it('hands the sink chunks it never touches again, about 1 MiB each, and counts bytes and packets', () => {
      const chunks: Uint8Array[] = [];
      const snapshots: number[][] = [];
      const writer = new PcapngWriter((chunk) => {
        chunks.push(chunk);
        snapshots.push(Array.from(chunk));
      });
      const data = new Uint8Array(1000).fill(0xab);
      for (let i = 0; i < 5000; i++) writer.writePacket({ timestampNs: BigInt(i), data, ringOffset: i });
      writer.writePacket({ timestampNs: 1n, data: new Uint8Array(3 * 1024 * 1024 + 1) });
      writer.close();
      chunks.forEach((chunk, i) => assert.deepEqual(Array.from(chunk), snapshots[i], `chunk ${i} changed after it was handed over`));
      assert.ok(chunks.length >= 5, `${chunks.length} chunks`);
      assert.ok(chunks.every((chunk) => chunk.length <= 4 * 1024 * 1024));
      const file = concat(chunks);
      assert.equal(writer.bytesWritten, file.length);
      assert.equal(writer.packetCount, 5001);
      const contents = readPcapng(file);
      assert.equal(contents.error, undefined);
      assert.equal(contents.packets.length, 5001);
      assert.equal(contents.packets[4999]!.ringOffset, 4999n);
      assert.equal(contents.packets[5000]!.data.length, 3 * 1024 * 1024 + 1);
    });

    it('flushes only on demand below 1 MiB, and refuses to write after close()', () => {
      const chunks: Uint8Array[] = [];
      const writer = new PcapngWriter((chunk) => chunks.push(chunk));
      writer.writePacket({ timestampNs: 1n, data: new Uint8Array(10) });
      assert.equal(chunks.length, 0);
      writer.flush();
      writer.flush();
      assert.equal(chunks.length, 1);
      writer.close();
      assert.throws(() => writer.writePacket({ timestampNs: 1n, data: new Uint8Array(1) }), /closed/);
    });

    it('refuses values the file cannot hold, with a message naming the value', () => {
      const sink = (): void => undefined;
      assert.throws(() => new PcapngWriter(sink, { linkType: 1 }), /link type 1 is not one of LINKTYPE_USER0..USER15/);
      assert.throws(() => new PcapngWriter(sink, { profileHash: 'abc' }), /profile hash "abc" is not a SHA-256/);
      assert.throws(() => new PcapngWriter(sink, { snapLength: -1 }), RangeError);
      assert.throws(() => new PcapngWriter(sink, { interfaceName: 'n'.repeat(70_000) }), /over the pcapng limit/);
      const writer = new PcapngWriter(sink);
      const data = new Uint8Array(4);
      assert.throws(() => writer.writePacket({ timestampNs: -1n, data }), /timestamp -1 ns/);
      assert.throws(() => writer.writePacket({ timestampNs: 1n << 64n, data }), RangeError);
      assert.throws(() => writer.writePacket({ timestampNs: 0n, data, ringOffset: -1 }), /ring offset -1/);
      assert.throws(() => writer.writePacket({ timestampNs: 0n, data, ringOffset: 1.5 }), RangeError);
      assert.throws(() => writer.writePacket({ timestampNs: 0n, data, ringOffset: 1n << 64n }), RangeError);
      assert.throws(() => writer.writePacket({ timestampNs: 0n, data, flags: 2 ** 32 }), /packet flags/);
      assert.throws(() => writer.writePacket({ timestampNs: 0n, data, comment: 'gpupv-ring-offset=0x1f' }), /would read back as a ring offset/);
      assert.throws(() => writer.writePacket({ timestampNs: 0n, data: new Uint8Array(64 * 1024 * 1024) }), /over the 67108864-byte limit/);
      assert.equal(writer.packetCount, 0);
    });

    it('drops a packet whose comment outgrows an option without damaging the file', () => {
      const inputs = [
        { timestampNs: 1n, data: Uint8Array.of(1, 2, 3) },
        { timestampNs: 3n, data: Uint8Array.of(4), comment: 'after' },
      ];
      const chunks: Uint8Array[] = [];
      const writer = new PcapngWriter((chunk) => chunks.push(chunk));
      writer.writePacket(inputs[0]!);
      // 30,000 characters but 90,000 bytes of UTF-8: over the 65,535-byte option limit.
      assert.throws(() => writer.writePacket({ timestampNs: 2n, data: Uint8Array.of(9), comment: '✓'.repeat(30_000) }), /90000 bytes/);
      writer.writePacket(inputs[1]!);
      writer.close();
      const contents = readBothWays(concat(chunks));
      assert.equal(contents.error, undefined);
      assertPacketsMatch(contents, inputs);
    });

    it('keeps a user comment that only looks like a ring offset a comment', () => {
      const comment = `gpupv-ring-offset=0x${'1'.repeat(17)}`;
      const contents = readPcapng(writeCapture([{ timestampNs: 0n, data: new Uint8Array(0), comment }]));
      assert.equal(contents.packets[0]!.comment, comment);
      assert.equal(contents.packets[0]!.ringOffset, undefined);
    });
  });

  describe('reader: files other tools write', () => {
    it('reads a big-endian section with Enhanced, Simple and obsolete Packet Blocks and skips unknown blocks', () => {
      const be = false;
      const file = concat([
        sectionHeader(be, [
          [OPTION.shbHardware, 'ppc64'],
          [OPTION.shbOs, 'AIX'],
          [OPTION.shbUserApplication, 'hand'],
          [OPTION.comment, 'big-endian'],
        ]),
        interfaceDescription(be, 160, 0, [
          [OPTION.ifName, 'ring\0'],
          [OPTION.ifTsresol, Uint8Array.of(9)],
          [OPTION.comment, `gpupv-profile-sha256=${PROFILE_HASH}`],
          [OPTION.comment, 'other'],
        ]),
        enhancedPacket(be, 0, 0x0123_4567_89ab_cdefn, Uint8Array.of(1, 2, 3), [
          [OPTION.comment, 'gpupv-ring-offset=0xABCdef0123'],
          [OPTION.comment, 'first'],
          [OPTION.comment, 'second\0\0'],
          u32Option(OPTION.packetFlags, 0x1234_5678, be),
          [2989, Uint8Array.of(0, 0, 0x7f, 0xff, 1, 2)],
        ]),
        block(0xbad, Uint8Array.of(1, 2, 3, 4, 5), be),
        simplePacket(be, Uint8Array.of(9, 8, 7, 6, 5)),
        obsoletePacket(be, 0, 42n, Uint8Array.of(0xee), [[OPTION.comment, 'old']]),
        block(5, new Uint8Array(20), be),
      ]);
      const contents = readBothWays(file);
      assert.equal(contents.error, undefined);
      assert.deepEqual(contents.sections[0], {
        index: 0,
        offset: 0,
        byteOrder: 'big',
        versionMajor: 1,
        versionMinor: 0,
        hardware: 'ppc64',
        os: 'AIX',
        application: 'hand',
        comments: ['big-endian'],
      });
      const [described] = contents.interfaces;
      assert.equal(described!.linkType, 160);
      assert.equal(described!.name, 'ring', 'a terminating NUL is dropped');
      assert.equal(described!.profileHash, PROFILE_HASH);
      assert.deepEqual(described!.comments, ['other']);
      assert.deepEqual(
        contents.packets.map(packetValues),
        [
          { index: 0, interfaceId: 0, timestampNs: 0x0123_4567_89ab_cdefn, data: [1, 2, 3], originalLength: 3, ringOffset: 0xabcdef0123n, comment: 'first\nsecond', flags: 0x1234_5678 },
          { index: 1, interfaceId: 0, timestampNs: 0n, data: [9, 8, 7, 6, 5], originalLength: 5, ringOffset: undefined, comment: undefined, flags: undefined },
          { index: 2, interfaceId: 0, timestampNs: 42n, data: [0xee], originalLength: 1, ringOffset: undefined, comment: 'old', flags: undefined },
        ],
      );
    });

    it('numbers interfaces across sections and converts every tsresol (powers of 10 and 2) and if_tsoffset to nanoseconds', () => {
      const le = true;
      const be = false;
      const file = concat([
        sectionHeader(le),
        interfaceDescription(le, 147, 0),
        interfaceDescription(le, 148, 0, [[OPTION.ifTsresol, Uint8Array.of(9)]]),
        enhancedPacket(le, 0, 1_700_000_000_123_456n, Uint8Array.of(1)),
        enhancedPacket(le, 1, 1_700_000_000_123_456_789n, Uint8Array.of(2)),
        sectionHeader(be),
        interfaceDescription(be, 149, 0, [[OPTION.ifTsresol, Uint8Array.of(0x8a)]]),
        interfaceDescription(be, 150, 0, [
          [OPTION.ifTsresol, Uint8Array.of(3)],
          [OPTION.ifTsoffset, fields(be).u64(100n).toBytes()],
        ]),
        interfaceDescription(be, 151, 0, [[OPTION.ifTsresol, Uint8Array.of(0x9e)]]),
        interfaceDescription(be, 152, 0, [[OPTION.ifTsresol, Uint8Array.of(12)]]),
        enhancedPacket(be, 0, 1536n, Uint8Array.of(3)),
        enhancedPacket(be, 1, 1234n, Uint8Array.of(4)),
        enhancedPacket(be, 2, 3n, Uint8Array.of(5)),
        enhancedPacket(be, 3, 5_000_999n, Uint8Array.of(6)),
        // A packet with no interface in the section: the packets before it still count.
        enhancedPacket(be, 4, 0n, Uint8Array.of(7)),
      ]);
      const contents = readBothWays(file);
      assert.deepEqual(
        contents.sections.map((s) => [s.index, s.byteOrder]),
        [
          [0, 'little'],
          [1, 'big'],
        ],
      );
      assert.deepEqual(
        contents.interfaces.map((i) => [i.index, i.section, i.idInSection, i.linkType, i.tsresol, i.tsoffsetSeconds]),
        [
          [0, 0, 0, 147, 6, 0n],
          [1, 0, 1, 148, 9, 0n],
          [2, 1, 0, 149, 0x8a, 0n],
          [3, 1, 1, 150, 3, 100n],
          [4, 1, 2, 151, 0x9e, 0n],
          [5, 1, 3, 152, 12, 0n],
        ],
      );
      assert.deepEqual(
        contents.packets.map((p) => [p.interfaceId, p.timestampNs]),
        [
          [0, 1_700_000_000_123_456_000n], // microseconds, the default
          [1, 1_700_000_000_123_456_789n],
          [2, 1_500_000_000n], // 1536 / 2^10 s
          [3, 101_234_000_000n], // 1234 ms + 100 s
          [4, 2n], // 3 / 2^30 s = 2.79 ns, rounded down
          [5, 5_000n], // picoseconds
        ],
      );
      assert.equal(contents.error?.code, 'UNKNOWN_INTERFACE');
      assert.match(contents.error.message, /packet on interface 4, but section 1 describes 4 interfaces/);
    });

    it('reads an empty section and a capture with no packets without error, and reports an empty file', () => {
      assert.deepEqual(readPcapng(sectionHeader(true)).packets, []);
      assert.equal(readPcapng(sectionHeader(true)).error, undefined);
      assert.equal(readPcapng(writeCapture([])).interfaces.length, 1);
      const empty = readBothWays(new Uint8Array(0));
      assert.equal(empty.error?.code, 'TRUNCATED');
      assert.match(empty.error.message, /^block 0 at byte 0: the file is empty/);
    });
  });

  describe('reader: damaged files give every packet before the damage, then a located PcapngError', () => {
    const inputs = Array.from({ length: 10 }, (_, i) => ({
      timestampNs: 1_000_000_000n * BigInt(i + 1),
      data: Uint8Array.from({ length: 10 + i }, (_, j) => j + i),
      ringOffset: i * 0x40,
    }));
    const good = writeCapture(inputs);
    const starts = blockStarts(good);
    /** Block index of packet k: after the SHB and the IDB. */
    const packetBlock = (k: number): number => k + 2;
    const lengthOf = (block: number): number => (starts[block + 1] ?? good.length) - starts[block]!;

    function expectDamage(bytes: Uint8Array, code: PcapngErrorCode, block: number, packetsBefore: number, message?: RegExp, offset = starts[block]!): void {
      const contents = readBothWays(bytes);
      assert.ok(contents.error instanceof PcapngError, `expected ${code}, read without error`);
      assert.equal(contents.error.code, code, contents.error.message);
      assert.equal(contents.error.offset, offset, contents.error.message);
      assert.equal(contents.error.blockIndex, block, contents.error.message);
      assert.ok(contents.error.message.startsWith(`block ${block} at byte ${offset}: `), contents.error.message);
      if (message) assert.match(contents.error.message, message);
      assertPacketsMatch(contents, inputs.slice(0, packetsBefore));
    }

    const damaged = (edit: (bytes: Uint8Array) => void): Uint8Array => {
      const copy = good.slice();
      edit(copy);
      return copy;
    };

    it('TRUNCATED: cut anywhere, it gives the complete packets before the cut', () => {
      for (let cut = 0; cut < good.length; cut++) {
        const contents = readPcapng(good.subarray(0, cut));
        const complete = starts.filter((start, b) => b >= 2 && start + good[start + 4]! + good[start + 5]! * 256 <= cut).length;
        assert.equal(contents.packets.length, complete, `cut at ${cut}`);
        const atBoundary = starts.includes(cut) && cut > 0;
        assert.equal(contents.error?.code, atBoundary ? undefined : 'TRUNCATED', `cut at ${cut}`);
      }
      expectDamage(good.subarray(0, starts[7]! + 10), 'TRUNCATED', 7, 5, new RegExp(`the file ends 10 bytes into the ${lengthOf(7)}-byte Enhanced Packet Block`));
      expectDamage(good.subarray(0, starts[7]! + 3), 'TRUNCATED', 7, 5, /the file ends 3 bytes into its header/);
      expectDamage(good.subarray(0, starts[7]! + 6), 'TRUNCATED', 7, 5, /the file ends 6 bytes into its 8-byte header/);
    });

    it('TRUNCATED: a block length past the end of the file', () => {
      const last = starts.length - 1;
      expectDamage(damaged((b) => setU32(b, starts[last]! + 4, 1024 * 1024)), 'TRUNCATED', last, 9, new RegExp(`the file ends ${lengthOf(last)} bytes into the 1048576-byte Enhanced Packet Block \\(a cut-off capture, or a corrupt length\\)`));
    });

    it('BAD_MAGIC: not a pcapng file, or a section with an unknown byte-order magic', () => {
      expectDamage(damaged((b) => (b[0] = 0xd4)), 'BAD_MAGIC', 0, 0, /not a pcapng file: it starts with block type 0x0a0d0dd4/);
      expectDamage(damaged((b) => setU32(b, 8, 0x1a2b3c4e)), 'BAD_MAGIC', 0, 0, /byte-order magic is 0x1a2b3c4e/);
      const second = writeCapture([]).slice();
      setU32(second, 8, 0);
      expectDamage(concat([good, second]), 'BAD_MAGIC', starts.length, 10, /magic is 0x00000000/, good.length);
    });

    it('UNSUPPORTED_VERSION: a section of pcapng 2.0', () => {
      expectDamage(damaged((b) => (b[12] = 2)), 'UNSUPPORTED_VERSION', 0, 0, /pcapng version 2.0 is not supported/);
    });

    it('LENGTH_NOT_MULTIPLE_OF_4, LENGTH_TOO_SMALL and LENGTH_TOO_LARGE', () => {
      const b5 = packetBlock(3);
      expectDamage(damaged((b) => setU32(b, starts[b5]! + 4, 45)), 'LENGTH_NOT_MULTIPLE_OF_4', b5, 3, /block length 45 is not a multiple of 4/);
      expectDamage(damaged((b) => setU32(b, starts[b5]! + 4, 28)), 'LENGTH_TOO_SMALL', b5, 3, /block length 28 is less than 32, the minimum for its type \(Enhanced Packet Block\)/);
      expectDamage(damaged((b) => setU32(b, starts[b5]!, 0xbad).fill(0, starts[b5]! + 4, starts[b5]! + 8)), 'LENGTH_TOO_SMALL', b5, 3, /length 0 is less than 12, the minimum for its type \(block of type 0x00000bad\)/);
      expectDamage(damaged((b) => setU32(b, starts[b5]! + 4, 64 * 1024 * 1024 + 4)), 'LENGTH_TOO_LARGE', b5, 3, /block length 67108868 is over the 67108864-byte limit/);
    });

    it('LENGTH_TOO_LARGE is reported as soon as the header arrives, without buffering the block', () => {
      const bytes = damaged((b) => setU32(b, starts[4]! + 4, 0xfffffffc));
      const reader = new PcapngReader();
      reader.push(bytes.subarray(0, starts[4]! + 8));
      assert.equal(reader.next()?.index, 0);
      assert.equal(reader.next()?.index, 1);
      assert.throws(
        () => reader.next(),
        (error) => error instanceof PcapngError && error.code === 'LENGTH_TOO_LARGE',
      );
      assert.throws(() => reader.next(), PcapngError, 'the error stays');
    });

    it('TRAILING_LENGTH_MISMATCH names both lengths and where they are', () => {
      const b = packetBlock(6);
      const end = starts[b + 1]!;
      expectDamage(damaged((bytes) => setU32(bytes, end - 4, 40)), 'TRAILING_LENGTH_MISMATCH', b, 6, new RegExp(`trailing length 40 does not match leading length ${lengthOf(b)} \\(the trailing copy is at byte ${end - 4}\\)`));
    });

    it('CAPTURED_LENGTH_EXCEEDS_BLOCK', () => {
      const b = packetBlock(2);
      expectDamage(damaged((bytes) => setU32(bytes, starts[b]! + 20, 100)), 'CAPTURED_LENGTH_EXCEEDS_BLOCK', b, 2, new RegExp(`captured length 100 does not fit in the block's ${lengthOf(b) - 32} bytes of packet data`));
      const spb = concat([good, simplePacket(true, Uint8Array.of(1, 2, 3, 4), 50)]);
      expectDamage(spb, 'CAPTURED_LENGTH_EXCEEDS_BLOCK', starts.length, 10, /captured length 50 \(original length 50, snap length 0\)/, good.length);
    });

    it('BAD_OPTION: an option running past the block, or a fixed-size option of the wrong size', () => {
      const b = packetBlock(1);
      // Packet 1 holds 11 bytes of data padded to 12; its ring-offset comment follows.
      const option = starts[b]! + 28 + 12;
      expectDamage(damaged((bytes) => setU32(bytes, option, OPTION.comment | (200 << 16))), 'BAD_OPTION', b, 1, /option 1 of 200 bytes runs \d+ bytes past the end of the block's options/);
      const badFlags = concat([good, enhancedPacket(true, 0, 0n, new Uint8Array(0), [[OPTION.packetFlags, Uint8Array.of(1, 2)]])]);
      expectDamage(badFlags, 'BAD_OPTION', starts.length, 10, /packet flags option is 2 bytes long, not 4/, good.length);
    });

    it('UNKNOWN_INTERFACE: a packet on an interface the section never described', () => {
      const b = packetBlock(8);
      expectDamage(damaged((bytes) => setU32(bytes, starts[b]! + 8, 3)), 'UNKNOWN_INTERFACE', b, 8, /packet on interface 3, but section 0 describes 1 interface$/);
    });
  });

  describe('reader: memory', () => {
    it('holds no more than the block being assembled when drained after every push', () => {
      const inputs = Array.from({ length: 2000 }, (_, i) => ({ timestampNs: BigInt(i), data: new Uint8Array(1000).fill(i & 0xff) }));
      const file = writeCapture(inputs);
      const outcome = readInChunks(file, () => 100);
      assert.equal(outcome.packets.length, 2000);
      assert.ok(outcome.peakPendingBytes <= 1032 + 100, `held ${outcome.peakPendingBytes} bytes`);
    });

    it('assembles a 10 MiB record from 64 KiB chunks and lets go of it once read', () => {
      const data = Uint8Array.from({ length: 10 * 1024 * 1024 }, (_, i) => i % 251);
      const file = writeCapture([{ timestampNs: 1n, data }, { timestampNs: 2n, data: Uint8Array.of(1) }]);
      const reader = new PcapngReader();
      const lengths: number[] = [];
      for (let at = 0; at < file.length; at += 65536) {
        reader.push(file.subarray(at, at + 65536));
        for (const packet of reader.packets()) lengths.push(packet.data.length);
      }
      reader.end();
      for (const packet of reader.packets()) lengths.push(packet.data.length);
      assert.deepEqual(lengths, [data.length, 1]);
      assert.equal(reader.pendingBytes, 0);
    });
  });
});
