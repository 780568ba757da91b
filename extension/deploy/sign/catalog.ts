import { createHash, randomBytes } from 'node:crypto';
import { childrenOf, decodeBmpString, decodeInteger, decodeOid, der, DerError, expectTag, readDer, TAG, type DerNode } from './der';
import { authenticodeDigest, isPortableExecutable, type DigestAlgorithm } from './peDigest';

// A driver package's catalog (.cat) made without Inf2Cat, for hosts where Inf2Cat does not
// exist (Linux, macOS), and read back to check that it lists every file of the package.
//
// A catalog is a PKCS#7 SignedData whose content is a Certificate Trust List (szOID_CTL)
// of usage szOID_CATALOG_LIST. Each member is tagged with its hash as upper-case hex
// (UTF-16) and carries the attributes Inf2Cat writes: its file name, the OS attribute, the
// subject interface package (SIP) that hashes it and the hash itself as Authenticode
// SpcIndirectData: the Authenticode image hash for PE files, a plain hash of the bytes for
// the INF and other flat files. The catalog's own attributes name the target OSes and the
// hardware ids. Made unsigned, the way Inf2Cat leaves it: signing it (osslsigncode, signtool)
// is a separate step.
//
// Members are hashed with SHA-1 in a version-1 catalog (szOID_CATALOG_LIST_MEMBER): the
// format every Windows 10 and 11 release reads for test-signed packages. The catalog's
// signature itself uses whatever digest the signing step asks for (SHA-256).

const OID = {
  signedData: '1.2.840.113549.1.7.2',
  ctl: '1.3.6.1.4.1.311.10.1',
  catalogList: '1.3.6.1.4.1.311.12.1.1',
  catalogListMember: '1.3.6.1.4.1.311.12.1.2',
  catalogListMember2: '1.3.6.1.4.1.311.12.1.3',
  nameValue: '1.3.6.1.4.1.311.12.2.1',
  memberInfo: '1.3.6.1.4.1.311.12.2.2',
  indirectData: '1.3.6.1.4.1.311.2.1.4',
  peImageData: '1.3.6.1.4.1.311.2.1.15',
  cabData: '1.3.6.1.4.1.311.2.1.25',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

/** A version-1 (SHA-1) or version-2 (SHA-256) catalog's member list. */
const MEMBER_ALGORITHMS = new Set<string>([OID.catalogListMember, OID.catalogListMember2]);

/** The SIPs Windows hashes members with: PE images, and flat files (hashed whole). */
const SIP = {
  pe: '{C689AAB8-8E78-11D0-8C47-00C04FC295EE}',
  flat: '{DE351A42-8E59-11D0-8C47-00C04FC295EE}',
} as const;

/** CRYPTCAT_ATTR_AUTHENTICATED | NAMEASCII | DATAASCII: a name/value pair stored as text. */
const TEXT_ATTRIBUTE = 0x10010001;
const MEMBER_INFO_VERSION = 512;
const MEMBER_DIGEST: DigestAlgorithm = 'sha1';

/** What Inf2Cat writes as the OS attribute for each /os identifier (Windows 10 and later). */
const CATALOG_OS: Readonly<Record<string, string>> = {
  '10_X86': '_v100',
  '10_X64': '_v100_X64',
  'Server10_X64': 'Server_v100_X64',
  'Server10_ARM64': 'Server_v100_ARM64',
  '10_AU_X86': '_v100_RS1',
  '10_AU_X64': '_v100_X64_RS1',
  'Server2016_X64': 'Server_v100_X64_RS1',
  '10_RS2_X86': '_v100_RS2',
  '10_RS2_X64': '_v100_X64_RS2',
  '10_RS3_X86': '_v100_RS3',
  '10_RS3_X64': '_v100_X64_RS3',
  '10_RS3_ARM64': '_v100_ARM64_RS3',
  '10_RS4_X86': '_v100_RS4',
  '10_RS4_X64': '_v100_X64_RS4',
  '10_RS4_ARM64': '_v100_ARM64_RS4',
  '10_RS5_X86': '_v100_RS5',
  '10_RS5_X64': '_v100_X64_RS5',
  '10_RS5_ARM64': '_v100_ARM64_RS5',
  'ServerRS5_X64': 'Server_v100_X64_RS5',
  'ServerRS5_ARM64': 'Server_v100_ARM64_RS5',
  '10_19H1_X86': '_v100_19H1',
  '10_19H1_X64': '_v100_X64_19H1',
  '10_19H1_ARM64': '_v100_ARM64_19H1',
  '10_VB_X86': '_v100_Vb',
  '10_VB_X64': '_v100_X64_Vb',
  '10_VB_ARM64': '_v100_ARM64_Vb',
  'ServerFE_X64': 'Server_v100_X64_21H2',
  'ServerFE_ARM64': 'Server_v100_ARM64_21H2',
  '10_CO_X64': '_v100_X64_21H2',
  '10_CO_ARM64': '_v100_ARM64_21H2',
  '10_NI_X64': '_v100_X64_22H2',
  '10_NI_ARM64': '_v100_ARM64_22H2',
  '10_GE_X64': '_v100_X64_24H2',
  '10_GE_ARM64': '_v100_ARM64_24H2',
  'Server2025_X64': 'Server_v100_X64_24H2',
  'Server2025_ARM64': 'Server_v100_ARM64_24H2',
  // By the pattern of the releases before it.
  '10_25H2_X64': '_v100_X64_25H2',
  '10_25H2_ARM64': '_v100_ARM64_25H2',
};
/** Inf2Cat ignores the case of the identifiers. */
const CATALOG_OS_BY_ID = new Map(Object.entries(CATALOG_OS).map(([id, os]) => [id.toLowerCase(), os]));
/** The NT version every Windows 10 and 11 release reports. */
const OS_VERSION_ATTRIBUTE = '2:10.0';

export class CatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}

/** The catalog's OS attribute for Inf2Cat /os identifiers, or a CatalogError naming the unknown ones. */
export function catalogOsAttribute(catalogOs: readonly string[]): string {
  const unknown = catalogOs.filter((id) => !CATALOG_OS_BY_ID.has(id.toLowerCase()));
  if (unknown.length || catalogOs.length === 0) {
    const known = Object.keys(CATALOG_OS).join(', ');
    throw new CatalogError(`${unknown.length ? `Unknown catalog OS ${unknown.map((u) => `"${u}"`).join(', ')}` : 'No catalog OS given'}: without Inf2Cat, catalogs are made for Windows 10 and later, one of ${known}.`);
  }
  return [...new Set(catalogOs.map((id) => CATALOG_OS_BY_ID.get(id.toLowerCase())!))].join(',');
}

export interface CatalogFile {
  /** The file's name in the package (no folders: a package is flat, as Inf2Cat expects). */
  readonly name: string;
  readonly bytes: Buffer;
}

export interface CatalogContents {
  /** The INF and every file it installs. */
  readonly files: readonly CatalogFile[];
  /** Inf2Cat /os identifiers, such as 10_X64. */
  readonly catalogOs: readonly string[];
  readonly hardwareIds: readonly string[];
  /** The catalog's time; default now. */
  readonly time?: Date;
  /** The list identifier (16 bytes); default random, as Inf2Cat makes it. */
  readonly identifier?: Buffer;
}

/** An unsigned catalog listing `files`, ready to be signed. */
export function buildCatalog(contents: CatalogContents): Buffer {
  const os = catalogOsAttribute(contents.catalogOs);
  if (contents.files.length === 0) throw new CatalogError('A catalog needs at least one file (the INF).');
  const members = contents.files.map((file) => catalogMember(file)).sort((a, b) => Buffer.compare(a.tag, b.tag));
  const tags = new Set(members.map((m) => m.tag.toString('hex')));
  if (tags.size !== members.length) throw new CatalogError('Two files of the package have the same contents; a catalog lists each hash once.');
  const extensions = [
    ...[...new Set(contents.hardwareIds.map((id) => id.toLowerCase()))].map((id, index) => catalogAttribute(`HWID${index + 1}`, id)),
    catalogAttribute('OS', os),
  ];
  const ctl = der.sequence(
    der.sequence(der.oid(OID.catalogList)),
    der.octetString(contents.identifier ?? randomBytes(16)),
    der.utcTime(contents.time ?? new Date()),
    der.sequence(der.oid(OID.catalogListMember), der.null()),
    der.sequence(...members.map((m) => m.encoded)),
    der.explicit(0, der.sequence(...extensions)),
  );
  const signedData = der.sequence(
    der.integer(1),
    der.set(),
    der.sequence(der.oid(OID.ctl), der.explicit(0, ctl)),
    der.set(),
  );
  return der.sequence(der.oid(OID.signedData), der.explicit(0, signedData));
}

function catalogMember(file: CatalogFile): { tag: Buffer; encoded: Buffer } {
  const pe = isPortableExecutable(file.bytes);
  const digest = pe ? authenticodeDigest(file.bytes, MEMBER_DIGEST) : createHash(MEMBER_DIGEST).update(file.bytes).digest();
  const tag = Buffer.from(`${digest.toString('hex').toUpperCase()}\0`, 'utf16le');
  // SpcLink { file: SpcString { unicode: "" } }, as the SIPs write it.
  const emptyFileLink = der.explicit(2, der.implicit(0, Buffer.alloc(0)));
  const data = pe ? der.sequence(der.oid(OID.peImageData), der.sequence(der.bitString(Buffer.alloc(0)), der.explicit(0, emptyFileLink))) : der.sequence(der.oid(OID.cabData), emptyFileLink);
  const indirectData = der.sequence(data, der.sequence(der.sequence(der.oid(OID.sha1), der.null()), der.octetString(digest)));
  const attributes = der.set(
    memberAttribute(OID.nameValue, nameValue('File', file.name.toLowerCase())),
    memberAttribute(OID.nameValue, nameValue('OSAttr', OS_VERSION_ATTRIBUTE)),
    memberAttribute(OID.memberInfo, der.sequence(der.bmpString(pe ? SIP.pe : SIP.flat), der.integer(MEMBER_INFO_VERSION))),
    memberAttribute(OID.indirectData, indirectData),
  );
  return { tag, encoded: der.sequence(der.octetString(tag), attributes) };
}

function nameValue(name: string, value: string): Buffer {
  return der.sequence(der.bmpString(name), der.integer(TEXT_ATTRIBUTE), der.octetString(Buffer.from(`${value}\0`, 'utf16le')));
}

function memberAttribute(oid: string, value: Buffer): Buffer {
  return der.sequence(der.oid(oid), der.set(value));
}

function catalogAttribute(name: string, value: string): Buffer {
  return der.sequence(der.oid(OID.nameValue), der.octetString(nameValue(name, value)));
}

export interface CatalogMember {
  /** The member's tag: its hash as upper-case hex. */
  readonly tag: string;
  readonly fileName?: string;
  readonly kind: 'pe' | 'flat' | 'other';
  readonly digestAlgorithm: DigestAlgorithm;
  readonly digest: Buffer;
}

export interface CatalogListing {
  /** Whether the SignedData carries a signer (an unsigned catalog has none). */
  readonly signed: boolean;
  readonly members: readonly CatalogMember[];
  /** The catalog's own name/value attributes: OS, HWID1, HWID2 … */
  readonly attributes: Readonly<Record<string, string>>;
}

/** Reads a catalog (signed or not); a CatalogError says what is wrong with a damaged one. */
export function readCatalog(bytes: Buffer): CatalogListing {
  try {
    return listCatalog(bytes);
  } catch (error) {
    if (error instanceof DerError) throw new CatalogError(`Not a readable catalog: ${error.message}.`);
    throw error;
  }
}

function listCatalog(bytes: Buffer): CatalogListing {
  const root = readDer(bytes);
  const [type, wrapped] = childrenOf(root, TAG.sequence, 'ContentInfo');
  if (!type || decodeOid(type) !== OID.signedData) throw new CatalogError('Not a catalog: the file is not PKCS#7 SignedData.');
  const [signedData] = childrenOf(wrapped, 0xa0, 'SignedData wrapper');
  const parts = childrenOf(signedData, TAG.sequence, 'SignedData');
  const [contentType, contentWrapper] = childrenOf(parts[2], TAG.sequence, 'encapsulated content');
  if (!contentType || decodeOid(contentType) !== OID.ctl) throw new CatalogError('Not a catalog: the signed content is not a certificate trust list.');
  const signerInfos = parts[parts.length - 1];
  const signed = signerInfos?.tag === TAG.set && (signerInfos.children?.length ?? 0) > 0;
  const [ctl] = childrenOf(contentWrapper, 0xa0, 'content wrapper');
  const fields = childrenOf(ctl, TAG.sequence, 'trust list');
  // The trust list's optional fields (version, sequence number, next update) shift the others,
  // so the usage and the member list are found by what they are, not by position.
  const usage = childrenOf(fields.find((field) => field.tag === TAG.sequence), TAG.sequence, 'subject usage');
  if (!usage[0] || decodeOid(usage[0]) !== OID.catalogList) throw new CatalogError('Not a catalog: the trust list is not a catalog list.');
  const algorithmAt = fields.findIndex((field) => field.tag === TAG.sequence && field.children?.[0]?.tag === TAG.oid && MEMBER_ALGORITHMS.has(decodeOid(field.children[0])));
  const memberList = algorithmAt >= 0 ? fields[algorithmAt + 1] : undefined;
  const members = (memberList?.tag === TAG.sequence ? (memberList.children ?? []) : []).map(readMember);
  const attributes: Record<string, string> = {};
  const extensions = fields.find((field) => field.tag === 0xa0);
  if (extensions) {
    for (const extension of childrenOf(extensions.children?.[0], TAG.sequence, 'catalog attributes')) {
      const [oid, value] = childrenOf(extension, TAG.sequence, 'catalog attribute');
      if (oid && decodeOid(oid) === OID.nameValue) {
        const pair = readNameValue(readDer(expectTag(value, TAG.octetString, 'catalog attribute value').content));
        attributes[pair.name] = pair.value;
      }
    }
  }
  return { signed, members, attributes };
}

function readMember(node: DerNode): CatalogMember {
  const [tagNode, attributeSet] = childrenOf(node, TAG.sequence, 'catalog member');
  const tag = decodeUtf16z(expectTag(tagNode, TAG.octetString, 'member tag').content);
  let fileName: string | undefined;
  let kind: CatalogMember['kind'] = 'other';
  let found: { algorithm: DigestAlgorithm; digest: Buffer } | undefined;
  for (const attribute of childrenOf(attributeSet, TAG.set, 'member attributes')) {
    const [oid, values] = childrenOf(attribute, TAG.sequence, 'member attribute');
    const value = childrenOf(values, TAG.set, 'member attribute values')[0];
    const type = oid ? decodeOid(oid) : '';
    if (type === OID.nameValue && value) {
      const pair = readNameValue(value);
      if (pair.name.toLowerCase() === 'file') fileName = pair.value;
    } else if (type === OID.indirectData && value) {
      const [data, digestInfo] = childrenOf(value, TAG.sequence, 'indirect data');
      const dataType = childrenOf(data, TAG.sequence, 'indirect data type')[0];
      const dataOid = dataType ? decodeOid(dataType) : '';
      kind = dataOid === OID.peImageData ? 'pe' : dataOid === OID.cabData ? 'flat' : 'other';
      const [algorithm, digest] = childrenOf(digestInfo, TAG.sequence, 'digest info');
      const algorithmOid = decodeOid(expectTag(childrenOf(algorithm, TAG.sequence, 'digest algorithm')[0], TAG.oid, 'digest algorithm'));
      const name = algorithmOid === OID.sha1 ? 'sha1' : algorithmOid === OID.sha256 ? 'sha256' : undefined;
      if (!name) throw new CatalogError(`Member ${tag} is hashed with an unsupported algorithm (${algorithmOid}).`);
      found = { algorithm: name, digest: Buffer.from(expectTag(digest, TAG.octetString, 'member digest').content) };
    }
  }
  if (!found) throw new CatalogError(`Member ${tag} has no hash (no SpcIndirectData attribute).`);
  return { tag, ...(fileName !== undefined ? { fileName } : {}), kind, digestAlgorithm: found.algorithm, digest: found.digest };
}

function readNameValue(node: DerNode): { name: string; value: string } {
  const [name, flags, value] = childrenOf(node, TAG.sequence, 'name/value attribute');
  decodeInteger(expectTag(flags, TAG.integer, 'name/value flags'));
  return { name: decodeBmpString(expectTag(name, TAG.bmpString, 'attribute name')), value: decodeUtf16z(expectTag(value, TAG.octetString, 'attribute value').content) };
}

function decodeUtf16z(bytes: Buffer): string {
  return bytes.subarray(0, bytes.length - (bytes.length % 2)).toString('utf16le').replace(/\0+$/, '');
}

/**
 * What is wrong between a catalog and the files it should list: each file whose hash it does
 * not hold (missing, or changed since the catalog was made). Empty when every file matches.
 */
export function catalogMismatches(listing: CatalogListing, files: readonly CatalogFile[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const pe = isPortableExecutable(file.bytes);
    const matches = listing.members.some((member) => {
      const digest = pe && member.kind !== 'flat' ? authenticodeDigest(file.bytes, member.digestAlgorithm) : createHash(member.digestAlgorithm).update(file.bytes).digest();
      return digest.equals(member.digest);
    });
    if (matches) continue;
    const named = listing.members.find((member) => member.fileName?.toLowerCase() === file.name.toLowerCase());
    problems.push(named ? `${file.name} changed after the catalog was made: its hash is no longer the one the catalog lists` : `${file.name} is not listed in the catalog`);
  }
  return problems;
}
