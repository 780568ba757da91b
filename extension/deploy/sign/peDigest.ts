import { createHash } from 'node:crypto';

// The Authenticode digest of a PE image (.sys, .dll, .exe): what an embedded signature signs
// and what a catalog lists for a PE member. It is the file's hash without the three parts
// that signing itself changes: the optional header's CheckSum, the Certificate Table entry of
// the data directory, and the certificate table (the signatures) at the end. So a file
// hashes the same before and after it is signed, and a catalog made either side of the
// embedded signing still matches. Takes untrusted bytes: every offset is bounds-checked.

export type DigestAlgorithm = 'sha1' | 'sha256';

export class PeFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeFormatError';
  }
}

const PE32 = 0x10b;
const PE32_PLUS = 0x20b;
const CERTIFICATE_TABLE = 4;

interface PeLayout {
  readonly checksumOffset: number;
  readonly certificateEntryOffset: number;
  /** Where the hashed part ends: the certificate table's start, or the end of the file. */
  readonly hashedEnd: number;
}

/** True when the bytes start like a PE image (MZ header pointing at a PE signature). */
export function isPortableExecutable(bytes: Buffer): boolean {
  try {
    peLayout(bytes);
    return true;
  } catch {
    return false;
  }
}

export function authenticodeDigest(bytes: Buffer, algorithm: DigestAlgorithm): Buffer {
  const { checksumOffset, certificateEntryOffset, hashedEnd } = peLayout(bytes);
  return createHash(algorithm)
    .update(bytes.subarray(0, checksumOffset))
    .update(bytes.subarray(checksumOffset + 4, certificateEntryOffset))
    .update(bytes.subarray(certificateEntryOffset + 8, hashedEnd))
    .digest();
}

/** Whether the image carries a certificate table (an embedded signature). */
export function hasEmbeddedSignature(bytes: Buffer): boolean {
  return peLayout(bytes).hashedEnd < bytes.length;
}

function peLayout(bytes: Buffer): PeLayout {
  if (bytes.length < 0x40 || bytes.readUInt16LE(0) !== 0x5a4d) throw new PeFormatError('no MZ header: not a PE image');
  const peOffset = bytes.readUInt32LE(0x3c);
  if (peOffset + 24 > bytes.length || bytes.readUInt32LE(peOffset) !== 0x00004550) throw new PeFormatError('no PE signature where the MZ header points');
  const optionalSize = bytes.readUInt16LE(peOffset + 20);
  const optional = peOffset + 24;
  if (optional + optionalSize > bytes.length || optionalSize < 2) throw new PeFormatError('the optional header runs past the end of the file');
  const magic = bytes.readUInt16LE(optional);
  if (magic !== PE32 && magic !== PE32_PLUS) throw new PeFormatError(`unknown optional header magic 0x${magic.toString(16)}`);
  const directoryCountOffset = optional + (magic === PE32 ? 92 : 108);
  const directories = directoryCountOffset + 4;
  if (directories > optional + optionalSize) throw new PeFormatError('the optional header is too short for its data directory');
  const directoryCount = bytes.readUInt32LE(directoryCountOffset);
  const certificateEntryOffset = directories + CERTIFICATE_TABLE * 8;
  if (directoryCount <= CERTIFICATE_TABLE || certificateEntryOffset + 8 > optional + optionalSize) throw new PeFormatError('the data directory has no Certificate Table entry');
  const tableOffset = bytes.readUInt32LE(certificateEntryOffset);
  const tableSize = bytes.readUInt32LE(certificateEntryOffset + 4);
  let hashedEnd = bytes.length;
  if (tableSize !== 0) {
    if (tableOffset < certificateEntryOffset + 8 || tableOffset + tableSize > bytes.length) throw new PeFormatError('the Certificate Table entry points outside the file');
    hashedEnd = tableOffset;
  }
  return { checksumOffset: optional + 64, certificateEntryOffset, hashedEnd };
}
