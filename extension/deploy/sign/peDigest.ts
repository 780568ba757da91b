import { createHash } from 'node:crypto';
import { parsePeBuffer } from '../pe/peFile';

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

/** True when the bytes are a PE image the digest can be taken of. */
export function isPortableExecutable(bytes: Buffer): boolean {
  return parsePeBuffer(bytes).ok;
}

export function authenticodeDigest(bytes: Buffer, algorithm: DigestAlgorithm): Buffer {
  const parsed = parsePeBuffer(bytes);
  if (!parsed.ok) throw new PeFormatError(`not a PE image: it ${parsed.reason}`);
  const layout = parsed.pe.signingLayout;
  if (!layout) throw new PeFormatError('the data directory has no Certificate Table entry');
  const { checksumOffset, certificateEntryOffset, certificateTable } = layout;
  let hashedEnd = bytes.length;
  if (certificateTable.size !== 0) {
    // The digest must cover exactly what a signer covers: a table outside the file has no such answer.
    if (certificateTable.address < certificateEntryOffset + 8 || certificateTable.address + certificateTable.size > bytes.length) throw new PeFormatError('the Certificate Table entry points outside the file');
    hashedEnd = certificateTable.address;
  }
  return createHash(algorithm)
    .update(bytes.subarray(0, checksumOffset))
    .update(bytes.subarray(checksumOffset + 4, certificateEntryOffset))
    .update(bytes.subarray(certificateEntryOffset + 8, hashedEnd))
    .digest();
}
