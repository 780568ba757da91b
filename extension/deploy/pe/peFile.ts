import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

// Just enough of a PE image (the Microsoft PE/COFF specification) to check a driver package
// before it is signed and copied: the machine, PE32 or PE32+, the subsystem (a kernel driver
// is "native"), the DLL flag, the imported and exported names, the link time, and whether
// an Authenticode signature is attached (the security directory). Built files are untrusted
// input like any other: every read is bounded, every offset checked, and junk gives a
// reason, never an exception. Pure apart from readPeFile's few small reads.

export type PeMachine = 'x86' | 'x64' | 'arm64' | 'arm' | 'unknown';
export type PeSubsystem = 'native' | 'windows-gui' | 'windows-cui' | 'efi' | 'other';

export interface PeSection {
  readonly name: string;
  readonly virtualAddress: number;
  readonly virtualSize: number;
  readonly rawOffset: number;
  readonly rawSize: number;
}

export interface PeSignature {
  /** A file offset, unlike every other directory. */
  readonly offset: number;
  readonly size: number;
  /** WIN_CERTIFICATE wRevision, 0x0200 for Authenticode. */
  readonly revision: number;
  /** WIN_CERTIFICATE wCertificateType, 2 = PKCS#7 SignedData. */
  readonly certificateType: number;
}

export interface PeInfo {
  readonly machine: PeMachine;
  readonly machineCode: number;
  readonly format: 'PE32' | 'PE32+';
  readonly subsystem: PeSubsystem;
  readonly subsystemCode: number;
  readonly isDll: boolean;
  readonly characteristics: number;
  readonly dllCharacteristics: number;
  /** The link time; absent when the linker wrote 0 (reproducible builds may write a hash instead). */
  readonly timestamp?: Date;
  readonly timestampRaw: number;
  readonly sections: readonly PeSection[];
  /** DLL names as the import table spells them, e.g. `ntoskrnl.exe`. */
  readonly imports: readonly string[];
  readonly delayImports: readonly string[];
  readonly exports: readonly string[];
  /** Present when the security directory is non-empty and lies inside the file. */
  readonly signature?: PeSignature;
  /**
   * Where the parts that signing changes sit, which the Authenticode digest leaves out: the
   * optional header's CheckSum and the Certificate Table entry (file offsets), and that
   * entry's raw value. Absent when the data directory has no Certificate Table entry.
   */
  readonly signingLayout?: { readonly checksumOffset: number; readonly certificateEntryOffset: number; readonly certificateTable: { readonly address: number; readonly size: number } };
  /** Parts that could not be read (a corrupt import table, …); the rest is still right. */
  readonly warnings: readonly string[];
}

export type PeParseResult = { readonly ok: true; readonly pe: PeInfo } | { readonly ok: false; readonly reason: string };

/** Bytes of an image by offset; may return fewer than asked at the end. */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
}

const MACHINES: Readonly<Record<number, PeMachine>> = { 0x014c: 'x86', 0x8664: 'x64', 0xaa64: 'arm64', 0x01c4: 'arm' };
const SUBSYSTEMS: Readonly<Record<number, PeSubsystem>> = { 1: 'native', 2: 'windows-gui', 3: 'windows-cui', 10: 'efi', 11: 'efi', 12: 'efi', 13: 'efi' };
const IMAGE_FILE_DLL = 0x2000;
const DIRECTORY_EXPORT = 0;
const DIRECTORY_IMPORT = 1;
const DIRECTORY_SECURITY = 4;
const DIRECTORY_DELAY_IMPORT = 13;
const MAX_SECTIONS = 96; // the loader's own limit
const MAX_IMPORTS = 1_024;
const MAX_EXPORTS = 16_384;
const MAX_NAME = 256;
const NAME_STEP = 32;
/** What one parse may read in all, so a hostile table cannot make it read a whole disk. */
const READ_BUDGET = 4 << 20;

export function parsePe(source: ByteSource): PeParseResult {
  try {
    return parseBounded(new BudgetedReader(source));
  } catch (error) {
    // Only the budget throws on purpose; anything else would be a bug, reported the same way.
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

export function parsePeBuffer(bytes: Uint8Array): PeParseResult {
  return parsePe({ size: bytes.length, read: (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)) });
}

/** Reads the headers and tables of a file with positional reads; never loads the file whole. */
export function readPeFile(file: string): PeParseResult {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    return { ok: false, reason: `cannot be opened: ${error instanceof Error ? error.message : String(error)}` };
  }
  try {
    const size = fstatSync(fd).size;
    return parsePe({
      size,
      read(offset, length) {
        const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
        const got = buffer.length ? readSync(fd, buffer, 0, buffer.length, offset) : 0;
        return buffer.subarray(0, got);
      },
    });
  } catch (error) {
    return { ok: false, reason: `cannot be read: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    closeSync(fd);
  }
}

class BudgetedReader {
  private spent = 0;
  constructor(readonly source: ByteSource) {}

  get size(): number {
    return this.source.size;
  }

  /** Exactly `length` bytes at `offset`, or undefined when they are not all in the file. */
  bytes(offset: number, length: number): DataView | undefined {
    if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > this.source.size) return undefined;
    this.spent += length;
    if (this.spent > READ_BUDGET) throw new Error(`its tables ask for more than ${READ_BUDGET >> 20} MiB of reads`);
    const data = this.source.read(offset, length);
    if (data.length < length) return undefined;
    return new DataView(data.buffer, data.byteOffset, length);
  }
}

function parseBounded(reader: BudgetedReader): PeParseResult {
  const dos = reader.bytes(0, 64);
  if (dos?.getUint16(0, true) !== 0x5a4d) return { ok: false, reason: 'is not a PE image (no MZ header)' };
  const peOffset = dos.getUint32(0x3c, true);
  const coff = reader.bytes(peOffset, 24);
  if (coff?.getUint32(0, true) !== 0x00004550) return { ok: false, reason: 'is not a PE image (no PE signature where the MZ header points)' };
  const machineCode = coff.getUint16(4, true);
  const sectionCount = coff.getUint16(6, true);
  const timestampRaw = coff.getUint32(8, true);
  const optionalSize = coff.getUint16(20, true);
  const characteristics = coff.getUint16(22, true);
  const optionalOffset = peOffset + 24;
  const optional = reader.bytes(optionalOffset, Math.min(optionalSize, 240));
  if (!optional || optional.byteLength < 2) return { ok: false, reason: 'has no optional header: an object file or a truncated image' };
  const magic = optional.getUint16(0, true);
  if (magic !== 0x10b && magic !== 0x20b) return { ok: false, reason: `has an optional header of unknown kind 0x${magic.toString(16)}` };
  const format = magic === 0x20b ? 'PE32+' : 'PE32';
  const directoriesAt = format === 'PE32+' ? 112 : 96;
  if (optional.byteLength < directoriesAt) return { ok: false, reason: 'has a truncated optional header' };
  const subsystemCode = optional.getUint16(68, true);
  const dllCharacteristics = optional.getUint16(70, true);
  const directoryCount = Math.min(optional.getUint32(directoriesAt - 4, true), Math.floor((optional.byteLength - directoriesAt) / 8), 16);
  const directory = (index: number) =>
    index < directoryCount ? { address: optional.getUint32(directoriesAt + index * 8, true), size: optional.getUint32(directoriesAt + index * 8 + 4, true) } : { address: 0, size: 0 };

  const warnings: string[] = [];
  const sections = readSections(reader, optionalOffset + optionalSize, sectionCount, warnings);
  const map = (rva: number) => rvaToOffset(rva, sections, reader.size);
  const imports = readImportNames(reader, map, directory(DIRECTORY_IMPORT), 20, 12, 'import', warnings);
  const delayImports = readImportNames(reader, map, directory(DIRECTORY_DELAY_IMPORT), 32, 4, 'delay-load import', warnings);
  const exports = readExportNames(reader, map, directory(DIRECTORY_EXPORT), warnings);
  const signature = readSignature(reader, directory(DIRECTORY_SECURITY), warnings);
  const signingLayout =
    directoryCount > DIRECTORY_SECURITY
      ? { checksumOffset: optionalOffset + 64, certificateEntryOffset: optionalOffset + directoriesAt + DIRECTORY_SECURITY * 8, certificateTable: directory(DIRECTORY_SECURITY) }
      : undefined;

  return {
    ok: true,
    pe: {
      machine: MACHINES[machineCode] ?? 'unknown',
      machineCode,
      format,
      subsystem: SUBSYSTEMS[subsystemCode] ?? 'other',
      subsystemCode,
      isDll: (characteristics & IMAGE_FILE_DLL) !== 0,
      characteristics,
      dllCharacteristics,
      ...(timestampRaw ? { timestamp: new Date(timestampRaw * 1000) } : {}),
      timestampRaw,
      sections,
      imports,
      delayImports,
      exports,
      ...(signature ? { signature } : {}),
      ...(signingLayout ? { signingLayout } : {}),
      warnings,
    },
  };
}

function readSections(reader: BudgetedReader, at: number, count: number, warnings: string[]): PeSection[] {
  if (count > MAX_SECTIONS) warnings.push(`claims ${count} sections; only the first ${MAX_SECTIONS} are read`);
  const sections: PeSection[] = [];
  const table = reader.bytes(at, Math.min(count, MAX_SECTIONS) * 40);
  if (!table) {
    if (count) warnings.push('its section table lies outside the file');
    return sections;
  }
  for (let i = 0; i < table.byteLength / 40; i++) {
    const base = i * 40;
    let name = '';
    for (let c = 0; c < 8; c++) {
      const code = table.getUint8(base + c);
      if (code === 0) break;
      name += String.fromCharCode(code);
    }
    sections.push({
      name,
      virtualSize: table.getUint32(base + 8, true),
      virtualAddress: table.getUint32(base + 12, true),
      rawSize: table.getUint32(base + 16, true),
      rawOffset: table.getUint32(base + 20, true),
    });
  }
  return sections;
}

function rvaToOffset(rva: number, sections: readonly PeSection[], fileSize: number): number | undefined {
  for (const section of sections) {
    const span = Math.max(section.virtualSize, section.rawSize);
    if (rva >= section.virtualAddress && rva < section.virtualAddress + span) {
      const inside = rva - section.virtualAddress;
      if (inside >= section.rawSize) return undefined; // Uninitialised data: nothing in the file.
      const offset = section.rawOffset + inside;
      return offset < fileSize ? offset : undefined;
    }
  }
  // Below the first section: the headers, mapped as they are in the file.
  const first = sections.reduce((lowest, s) => Math.min(lowest, s.virtualAddress), Number.MAX_SAFE_INTEGER);
  return rva < first && rva < fileSize ? rva : undefined;
}

function readAscii(reader: BudgetedReader, offset: number | undefined): string | undefined {
  if (offset === undefined) return undefined;
  let text = '';
  // In small steps: names are short, and the read budget is for tables, not for slack.
  for (let at = offset; at < offset + MAX_NAME; at += NAME_STEP) {
    const view = reader.bytes(at, Math.min(NAME_STEP, reader.size - at));
    if (!view || view.byteLength === 0) return undefined;
    for (let i = 0; i < view.byteLength; i++) {
      const code = view.getUint8(i);
      if (code === 0) return text;
      if (code < 0x20 || code > 0x7e) return undefined;
      text += String.fromCharCode(code);
    }
  }
  return undefined; // No terminator within MAX_NAME: not a name.
}

/** Import and delay-import descriptors: fixed-size records holding a name RVA, ended by a zeroed one. */
function readImportNames(
  reader: BudgetedReader,
  map: (rva: number) => number | undefined,
  directory: { address: number; size: number },
  recordSize: number,
  nameField: number,
  what: string,
  warnings: string[],
): string[] {
  if (!directory.address) return [];
  const start = map(directory.address);
  if (start === undefined) {
    warnings.push(`its ${what} table lies outside the file`);
    return [];
  }
  const names: string[] = [];
  for (let i = 0; i < MAX_IMPORTS; i++) {
    const record = reader.bytes(start + i * recordSize, recordSize);
    if (!record) {
      warnings.push(`its ${what} table runs past the end of the file`);
      return names;
    }
    let empty = true;
    for (let b = 0; b < recordSize; b += 4) if (record.getUint32(b, true) !== 0) empty = false;
    if (empty) return names;
    const name = readAscii(reader, map(record.getUint32(nameField, true)));
    if (name === undefined) warnings.push(`${what} ${i + 1} has an unreadable DLL name`);
    else names.push(name);
  }
  warnings.push(`its ${what} table has more than ${MAX_IMPORTS} entries; the rest were not read`);
  return names;
}

function readExportNames(reader: BudgetedReader, map: (rva: number) => number | undefined, directory: { address: number; size: number }, warnings: string[]): string[] {
  if (!directory.address) return [];
  const header = reader.bytes(map(directory.address) ?? -1, 40);
  if (!header) {
    warnings.push('its export table lies outside the file');
    return [];
  }
  const count = header.getUint32(24, true);
  const namesAt = map(header.getUint32(32, true));
  if (count === 0) return [];
  const table = namesAt === undefined ? undefined : reader.bytes(namesAt, Math.min(count, MAX_EXPORTS) * 4);
  if (!table) {
    warnings.push('its export name table lies outside the file');
    return [];
  }
  if (count > MAX_EXPORTS) warnings.push(`exports ${count} names; only the first ${MAX_EXPORTS} were read`);
  const names: string[] = [];
  for (let i = 0; i < table.byteLength / 4; i++) {
    const name = readAscii(reader, map(table.getUint32(i * 4, true)));
    if (name !== undefined) names.push(name);
  }
  return names;
}

function readSignature(reader: BudgetedReader, directory: { address: number; size: number }, warnings: string[]): PeSignature | undefined {
  if (!directory.address || !directory.size) return undefined;
  if (directory.address + directory.size > reader.size || directory.size < 8) {
    warnings.push('its certificate table lies outside the file: the signature is damaged');
    return undefined;
  }
  const header = reader.bytes(directory.address, 8);
  if (!header) return undefined;
  return { offset: directory.address, size: directory.size, revision: header.getUint16(4, true), certificateType: header.getUint16(6, true) };
}

/** True when an Authenticode (PKCS#7) signature is attached; whether it verifies is signtool's or osslsigncode's to say. */
export function hasAuthenticodeSignature(pe: PeInfo): boolean {
  return pe.signature?.certificateType === 2;
}
