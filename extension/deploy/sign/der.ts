// The little of ASN.1 DER that a Windows catalog needs, both ways: writing the catalog's
// structures and reading them back to check what a catalog lists. Definite lengths only
// (DER has no other), tags below 31 (every universal and context tag a catalog uses).
// The reader takes untrusted bytes: every length is checked against its container and
// nesting is bounded, so a damaged file is a DerError, never a crash or a hang.

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  sequence: 0x30,
  set: 0x31,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  bmpString: 0x1e,
} as const;

const CONSTRUCTED = 0x20;
const CONTEXT = 0x80;
const MAX_DEPTH = 64;

export function tlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.of(tag), encodeLength(content.length), content]);
}

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.of(length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export const der = {
  sequence: (...items: Buffer[]): Buffer => tlv(TAG.sequence, Buffer.concat(items)),
  /** A SET OF: DER orders the members by their encodings. */
  set: (...items: Buffer[]): Buffer => tlv(TAG.set, Buffer.concat([...items].sort((a, b) => Buffer.compare(a, b)))),
  /** `[n] EXPLICIT`: the items wrapped in a constructed context tag. */
  explicit: (n: number, ...items: Buffer[]): Buffer => tlv(CONTEXT | CONSTRUCTED | n, Buffer.concat(items)),
  /** `[n] IMPLICIT` of a primitive type: the content under a context tag. */
  implicit: (n: number, content: Uint8Array): Buffer => tlv(CONTEXT | n, content),
  null: (): Buffer => Buffer.of(TAG.null, 0),
  octetString: (bytes: Uint8Array): Buffer => tlv(TAG.octetString, bytes),
  /** Whole bytes only: no unused bits. */
  bitString: (bytes: Uint8Array): Buffer => tlv(TAG.bitString, Buffer.concat([Buffer.of(0), bytes])),
  /** UTF-16 big-endian, as BMPString is. */
  bmpString: (text: string): Buffer => tlv(TAG.bmpString, utf16be(text)),
  integer(value: number): Buffer {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`DER integer out of range: ${value}`);
    const bytes: number[] = [];
    for (let rest = value; ; rest = Math.floor(rest / 256)) {
      bytes.unshift(rest & 0xff);
      if (rest < 256) break;
    }
    // A set top bit would read as negative.
    if (bytes[0]! & 0x80) bytes.unshift(0);
    return tlv(TAG.integer, Buffer.from(bytes));
  },
  oid(dotted: string): Buffer {
    const arcs = dotted.split('.').map(Number);
    if (arcs.length < 2 || arcs.some((arc) => !Number.isSafeInteger(arc) || arc < 0)) throw new RangeError(`not an object identifier: ${dotted}`);
    const body: number[] = [];
    for (const arc of [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)]) {
      const base128: number[] = [arc & 0x7f];
      for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) base128.unshift((rest & 0x7f) | 0x80);
      body.push(...base128);
    }
    return tlv(TAG.oid, Buffer.from(body));
  },
  /** UTCTime, YYMMDDHHMMSSZ: the years 1950 to 2049, as catalogs use it. */
  utcTime(when: Date): Buffer {
    const year = when.getUTCFullYear();
    if (year < 1950 || year > 2049) throw new RangeError(`UTCTime cannot hold the year ${year}`);
    const two = (n: number) => String(n).padStart(2, '0');
    const text = `${two(year % 100)}${two(when.getUTCMonth() + 1)}${two(when.getUTCDate())}${two(when.getUTCHours())}${two(when.getUTCMinutes())}${two(when.getUTCSeconds())}Z`;
    return tlv(TAG.utcTime, Buffer.from(text, 'ascii'));
  },
};

export function utf16be(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf16le');
  bytes.swap16();
  return bytes;
}

/** One decoded element; `children` for constructed ones. Offsets are into the buffer parsed. */
export interface DerNode {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
  readonly content: Buffer;
  readonly children?: readonly DerNode[];
}

/** Decodes one element at `offset` (with everything inside it) and checks it ends within `limit`. */
export function readDer(bytes: Buffer, offset = 0, limit = bytes.length): DerNode {
  return readAt(bytes, offset, limit, 0);
}

function readAt(bytes: Buffer, offset: number, limit: number, depth: number): DerNode {
  if (depth > MAX_DEPTH) throw new DerError(`nesting deeper than ${MAX_DEPTH} at byte ${offset}`);
  if (offset + 2 > limit) throw new DerError(`truncated element at byte ${offset}`);
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte tag at byte ${offset}`);
  let length = bytes[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) throw new DerError(`indefinite length at byte ${offset} (not DER)`);
    if (count > 4) throw new DerError(`length of ${count} bytes at byte ${offset}`);
    if (offset + 2 + count > limit) throw new DerError(`truncated length at byte ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 2 + i]!;
    header += count;
  }
  const start = offset + header;
  const end = start + length;
  if (end > limit) throw new DerError(`element at byte ${offset} claims ${length} bytes, past its end at byte ${limit}`);
  const content = bytes.subarray(start, end);
  if (!(tag & CONSTRUCTED)) return { tag, start: offset, end, content };
  const children: DerNode[] = [];
  for (let at = start; at < end; ) {
    const child = readAt(bytes, at, end, depth + 1);
    children.push(child);
    at = child.end;
  }
  return { tag, start: offset, end, content, children };
}

/** The children of a constructed node with the expected tag, or a DerError naming `what`. */
export function childrenOf(node: DerNode | undefined, tag: number, what: string): readonly DerNode[] {
  if (node?.tag !== tag || !node.children) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found ${node ? `0x${node.tag.toString(16)}` : 'nothing'}`);
  return node.children;
}

export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (node?.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found ${node ? `0x${node.tag.toString(16)}` : 'nothing'}`);
  return node;
}

export function decodeOid(node: DerNode): string {
  const body = node.content;
  if (node.tag !== TAG.oid || body.length === 0) throw new DerError('not an object identifier');
  const arcs: number[] = [];
  let value = 0;
  for (const byte of body) {
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) throw new DerError('object identifier arc too large');
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  if (body[body.length - 1]! & 0x80) throw new DerError('object identifier ends mid-arc');
  const first = arcs.shift()!;
  const top = first < 80 ? Math.floor(first / 40) : 2;
  return [top, first - top * 40, ...arcs].join('.');
}

export function decodeBmpString(node: DerNode): string {
  if (node.tag !== TAG.bmpString || node.content.length % 2) throw new DerError('not a BMPString');
  const copy = Buffer.from(node.content);
  copy.swap16();
  return copy.toString('utf16le');
}

export function decodeInteger(node: DerNode): number {
  if (node.tag !== TAG.integer || node.content.length === 0 || node.content.length > 6) throw new DerError('not a small INTEGER');
  return node.content.readIntBE(0, node.content.length);
}
