// A driver package's INF, read the way Windows Setup reads it, and what a deploy needs from
// it: the catalog, the hardware ids of the models Windows would pick for an architecture,
// the files the install sections copy, the UMD names and the service. Untrusted input: a
// mistake is a problem with its line number, never an exception. Pure: no `vscode` import.
//
// Syntax (Microsoft's "General Syntax Rules for INF Files"): `[Section]` names are
// case-insensitive and a section written twice is one section; `;` starts a comment outside
// double quotes; a `\` ending a line continues it; `""` inside quotes is a quote; `%key%` is
// replaced from [Strings.<locale>] or [Strings], `%%` is a percent sign, and `%13%` (a number)
// is a directory id left for Setup to resolve. An .inx (stampinf's input) becomes an INF once
// its `$ARCH$` is replaced.

export type InfArchitecture = 'x86' | 'amd64' | 'arm' | 'arm64' | 'ia64';

export const INF_ARCHITECTURES: readonly InfArchitecture[] = ['x86', 'amd64', 'arm', 'arm64', 'ia64'];

export type InfEncoding = 'utf-16le' | 'utf-16be' | 'utf-8' | 'windows-1252';

export interface InfProblem {
  readonly severity: 'error' | 'warning';
  /** 1-based, the first physical line of the logical line. */
  readonly line: number;
  readonly message: string;
}

/** One logical line: `key = values` or a value-only line; strings substituted, quotes removed. */
export interface InfEntry {
  readonly line: number;
  readonly key?: string;
  readonly values: readonly string[];
}

export interface InfSection {
  /** As first written. */
  readonly name: string;
  /** Where it was first opened. */
  readonly line: number;
  readonly entries: readonly InfEntry[];
}

export interface InfFile {
  readonly encoding: InfEncoding;
  /** By lower-case name; repeated sections merged in file order. */
  readonly sections: ReadonlyMap<string, InfSection>;
  /** Syntax and [Strings] problems. */
  readonly problems: readonly InfProblem[];
}

export interface InfParseOptions {
  /** Read an .inx: `$ARCH$` becomes this architecture, as stampinf does. */
  readonly inxArchitecture?: InfArchitecture;
  /** The [Strings.<locale>] tried first; default 0409 (English, United States). */
  readonly locale?: string;
}

/** The operating system a models section is chosen for. */
export interface InfTargetOs {
  readonly major: number;
  readonly minor: number;
  readonly build: number;
  /** VER_NT_WORKSTATION 1, VER_NT_DOMAIN_CONTROLLER 2, VER_NT_SERVER 3. */
  readonly productType: number;
}

/** A current Windows 11 client (24H2), what a GPU-PV test guest usually runs. */
export const DEFAULT_TARGET_OS: InfTargetOs = { major: 10, minor: 0, build: 26100, productType: 1 };

export interface InfVersion {
  readonly signature?: string;
  readonly class?: string;
  readonly classGuid?: string;
  readonly provider?: string;
  /** `DriverVer = mm/dd/yyyy,w.x.y.z`: the date as yyyy-mm-dd. */
  readonly driverDate?: string;
  readonly driverVersion?: string;
  /** The catalog for the architecture: `CatalogFile.NTamd64` before `CatalogFile.NT` before `CatalogFile`. */
  readonly catalogFile?: string;
  readonly catalogFileLine?: number;
  readonly pnpLockdown?: boolean;
}

export interface InfDevice {
  readonly description: string;
  /** As the models line names it, undecorated. */
  readonly installSection: string;
  readonly hardwareId?: string;
  readonly compatibleIds: readonly string[];
  readonly modelsSection: string;
  readonly line: number;
}

export interface InfManufacturer {
  readonly name: string;
  readonly line: number;
  /** The models section Windows picks for the architecture and OS; absent when none applies. */
  readonly modelsSection?: string;
  /** Every models section the line names, decorated, whether it applies or not. */
  readonly candidates: readonly string[];
}

export interface InfDestination {
  readonly dirid: number;
  readonly subdir?: string;
}

export interface InfCopiedFile {
  /** The name it gets in the destination. */
  readonly name: string;
  /** The name in the package (the source file), with its SourceDisks subfolder: `amd64/x.sys`. */
  readonly packagePath: string;
  /** The file-list section; absent for `CopyFiles=@file`. */
  readonly listSection?: string;
  readonly destination?: InfDestination;
  readonly line: number;
}

export interface InfRegistryNames {
  /** Values as written, `%13%\x.dll` included. */
  readonly values: readonly string[];
  readonly section: string;
  readonly line: number;
}

export interface InfService {
  readonly name: string;
  readonly flags: number;
  readonly installSection: string;
  /** `%12%\x.sys` as written. */
  readonly serviceBinary?: string;
  readonly line: number;
}

export interface InfInstall {
  /** As the models line names it. */
  readonly name: string;
  /** The section Windows uses for the architecture: `X.NTamd64`, `X.NT` or `X`. */
  readonly section: string;
  readonly line: number;
  readonly copyFiles: readonly InfCopiedFile[];
  readonly userModeDriverName?: InfRegistryNames;
  readonly userModeDriverNameWow?: InfRegistryNames;
  readonly installedDisplayDrivers?: InfRegistryNames;
  readonly services: readonly InfService[];
}

export interface InfPackage {
  readonly architecture: InfArchitecture;
  readonly version: InfVersion;
  readonly manufacturers: readonly InfManufacturer[];
  /** The devices of the chosen models sections. */
  readonly devices: readonly InfDevice[];
  /** Each device's hardware id, once, in file order. */
  readonly hardwareIds: readonly string[];
  readonly compatibleIds: readonly string[];
  readonly installs: readonly InfInstall[];
  /** Every file the installs copy, by package path, once. */
  readonly files: readonly string[];
  /** The file's own problems and those found reading it for the architecture, by line. */
  readonly problems: readonly InfProblem[];
}

/** Where a DIRID puts a file, for messages. */
export const DIRID_NAMES: Readonly<Record<number, string>> = {
  10: '%SystemRoot%',
  11: 'System32',
  12: 'System32\\drivers',
  13: 'the driver store',
  17: '%SystemRoot%\\INF',
};

/** The setup classes a GPU driver package installs under, with the GUID each must name. */
const CLASS_GUIDS: Readonly<Record<string, string>> = {
  display: '{4d36e968-e325-11ce-bfc1-08002be10318}',
  system: '{4d36e97d-e325-11ce-bfc1-08002be10318}',
  softwarecomponent: '{5c4c3332-344d-483c-8739-259e934c9cc8}',
};

/** Whether Windows defines `dirid` (setup's own ids, the shell folders from 16384, the printer ones from 66000). */
function isKnownDirid(dirid: number): boolean {
  return [-1, 1, 10, 11, 12, 13, 17, 18, 20, 21, 23, 24, 25, 30, 50, 51, 52, 53, 54, 55].includes(dirid) || (dirid >= 16384 && dirid <= 16429) || (dirid >= 66000 && dirid <= 66004);
}

const ARCH_BY_PLATFORM: Readonly<Record<string, InfArchitecture>> = { x64: 'amd64', amd64: 'amd64', win32: 'x86', x86: 'x86', arm64: 'arm64', arm: 'arm', ia64: 'ia64' };

/** The INF architecture of an MSBuild platform (x64, Win32, ARM64 ...). */
export function infArchitectureForPlatform(platform: string): InfArchitecture | undefined {
  return ARCH_BY_PLATFORM[platform.toLowerCase()];
}

/** Windows' rule: a file that starts with a byte-order mark is Unicode; otherwise it is the ANSI code page. */
export function decodeWindowsText(bytes: Uint8Array): { text: string; encoding: InfEncoding } {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' };
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8' };
  // Editors sometimes drop the mark of a UTF-16 file; ASCII text then has every odd byte zero.
  if (bytes.length >= 4 && bytes[0] !== 0 && bytes[1] === 0 && bytes[3] === 0) return { text: new TextDecoder('utf-16le').decode(bytes), encoding: 'utf-16le' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: new TextDecoder('windows-1252').decode(bytes), encoding: 'windows-1252' };
  }
}

interface RawLine {
  readonly line: number;
  readonly text: string;
}

interface RawSection {
  name: string;
  line: number;
  lines: RawLine[];
}

export function parseInf(input: Uint8Array | string, options: InfParseOptions = {}): InfFile {
  const decoded = typeof input === 'string' ? { text: input.replace(/^\uFEFF/, ''), encoding: 'utf-8' as const } : decodeWindowsText(input);
  const text = options.inxArchitecture ? decoded.text.replace(/\$ARCH\$/gi, options.inxArchitecture) : decoded.text;
  const problems: InfProblem[] = [];
  const raw = readRawSections(text, problems);
  const strings = readStrings(raw, options.locale ?? '0409', problems);
  const sections = new Map<string, InfSection>();
  for (const [key, section] of raw) {
    const isStrings = /^strings(\.|$)/.test(key);
    const entries: InfEntry[] = [];
    for (const { line, text: content } of section.lines) {
      const undefinedKeys = new Set<string>();
      const substitute = isStrings ? undefined : (name: string): string | undefined => {
        const found = strings.get(name.toLowerCase());
        if (found === undefined) undefinedKeys.add(name);
        return found;
      };
      entries.push(readEntry(content, line, substitute));
      for (const name of undefinedKeys) problems.push({ severity: 'error', line, message: `%${name}% is not defined in [Strings]: add ${name} = "…" there` });
    }
    sections.set(key, { name: section.name, line: section.line, entries });
  }
  return { encoding: decoded.encoding, sections, problems: sortProblems(problems) };
}

/** Splits the text into sections of logical lines, comments and continuations resolved. */
function readRawSections(text: string, problems: InfProblem[]): Map<string, RawSection> {
  const sections = new Map<string, RawSection>();
  const physical = text.split(/\r\n|\r|\n/);
  let current: RawSection | undefined;
  let warnedOutside = false;
  for (let index = 0; index < physical.length; index++) {
    const line = index + 1;
    let content = stripComment(physical[index]!, line, problems).trimEnd();
    while (content.endsWith('\\') && index + 1 < physical.length) {
      index++;
      content = content.slice(0, -1) + stripComment(physical[index]!, index + 1, problems).trim();
      content = content.trimEnd();
    }
    const trimmed = content.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('[')) {
      const close = trimmed.indexOf(']');
      if (close < 0) {
        problems.push({ severity: 'error', line, message: `section header ${trimmed} has no closing ]` });
        current = undefined;
        continue;
      }
      const name = trimmed.slice(1, close).trim().replace(/^"(.*)"$/, '$1');
      if (trimmed.slice(close + 1).trim() !== '') problems.push({ severity: 'warning', line, message: `text after [${name}] on the same line is ignored` });
      if (name === '') {
        problems.push({ severity: 'error', line, message: 'a section header with no name: []' });
        current = undefined;
        continue;
      }
      const key = name.toLowerCase();
      current = sections.get(key);
      if (!current) {
        current = { name, line, lines: [] };
        sections.set(key, current);
      }
      continue;
    }
    if (!current) {
      if (!warnedOutside) problems.push({ severity: 'warning', line, message: 'a line before the first [section] is ignored' });
      warnedOutside = true;
      continue;
    }
    current.lines.push({ line, text: trimmed });
  }
  return sections;
}

function stripComment(text: string, line: number, problems: InfProblem[]): string {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === ';' && !quoted) return text.slice(0, i);
  }
  if (quoted) problems.push({ severity: 'warning', line, message: 'a quoted string is not closed on this line' });
  return text;
}

/** [Strings.<locale>] first, then [Strings], then English (United States). */
function readStrings(raw: ReadonlyMap<string, RawSection>, locale: string, problems: InfProblem[]): Map<string, string> {
  const strings = new Map<string, string>();
  const order = [...new Set([`strings.${locale.toLowerCase()}`, 'strings', 'strings.0409'])];
  for (const name of order) {
    for (const { text, line } of raw.get(name)?.lines ?? []) {
      // A string is everything after its `=`, commas included.
      const equals = indexOutsideQuotes(text, '=');
      if (equals < 0) {
        problems.push({ severity: 'warning', line, message: `a [Strings] line needs key = "text"; "${text}" is ignored` });
        continue;
      }
      const key = fieldValue(text.slice(0, equals), undefined).toLowerCase();
      if (!strings.has(key)) strings.set(key, fieldValue(text.slice(equals + 1), undefined));
    }
  }
  return strings;
}

function readEntry(text: string, line: number, substitute: ((name: string) => string | undefined) | undefined): InfEntry {
  const fields = splitOutsideQuotes(text, ',');
  const equals = indexOutsideQuotes(text, '=');
  if (equals < 0) return { line, values: fields.map((f) => fieldValue(f, substitute)) };
  const key = fieldValue(text.slice(0, equals), substitute);
  const rest = text.slice(equals + 1);
  const values = rest.trim() === '' ? [] : splitOutsideQuotes(rest, ',').map((f) => fieldValue(f, substitute));
  return { line, key, values };
}

function indexOutsideQuotes(text: string, char: string): number {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (text[i] === char && !quoted) return i;
  }
  return -1;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (text[i] === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * A field's value: outer white space dropped, quotes removed (`""` inside them is a quote),
 * `%%` a percent sign, `%key%` replaced when `substitute` knows it. A number between percent
 * signs is a DIRID and stays for Setup; so does an unknown key, which `substitute` reports.
 */
function fieldValue(raw: string, substitute: ((name: string) => string | undefined) | undefined): string {
  const text = raw.trim();
  let out = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      if (quoted && text[i + 1] === '"') {
        out += '"';
        i++;
      } else quoted = !quoted;
      continue;
    }
    if (c === '%') {
      if (text[i + 1] === '%') {
        out += '%';
        i++;
        continue;
      }
      const close = text.indexOf('%', i + 1);
      const name = close > i ? text.slice(i + 1, close) : '';
      if (!STRING_KEY.test(name)) {
        out += c;
        continue;
      }
      if (!substitute || /^\d+$/.test(name)) {
        out += `%${name}%`;
      } else {
        out += substitute(name) ?? `%${name}%`;
      }
      i = close;
      continue;
    }
    out += c;
  }
  return out;
}

/** What can stand between percent signs: no quote, no percent sign, no white space at either end. */
const STRING_KEY = /^[^\s%"](?:[^%"]*[^\s%"])?$/;

function sortProblems(problems: readonly InfProblem[]): InfProblem[] {
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const key = `${p.line}\0${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.line - b.line);
}

/** A section by name, any letter case. */
export function infSection(inf: InfFile, name: string): InfSection | undefined {
  return inf.sections.get(name.toLowerCase());
}

/** The first `key = …` of a section, any letter case. */
export function infEntry(section: InfSection | undefined, key: string): InfEntry | undefined {
  const wanted = key.toLowerCase();
  return section?.entries.find((e) => e.key?.toLowerCase() === wanted);
}

interface Decoration {
  readonly text: string;
  readonly architecture?: InfArchitecture;
  readonly version: readonly number[];
  readonly productType?: number;
  readonly build?: number;
}

/** `NTamd64.10.0...16299` -> architecture amd64, version 10.0, build 16299; undefined when not a TargetOSVersion. */
function parseDecoration(text: string): Decoration | undefined {
  const match = /^nt(x86|amd64|arm64|arm|ia64)?((?:\.[^.]*){0,5})$/i.exec(text.trim());
  if (!match) return undefined;
  const fields = match[2] ? match[2].slice(1).split('.') : [];
  const numbers = fields.map((f) => (f.trim() === '' ? undefined : Number(f.trim())));
  if (numbers.some((n) => n !== undefined && !Number.isFinite(n))) return undefined;
  const [major, minor, productType, , build] = numbers;
  return {
    text: text.trim(),
    ...(match[1] ? { architecture: match[1].toLowerCase() as InfArchitecture } : {}),
    version: [major ?? 0, minor ?? 0],
    ...(productType !== undefined ? { productType } : {}),
    ...(build !== undefined ? { build } : {}),
  };
}

function decorationApplies(d: Decoration, architecture: InfArchitecture, os: InfTargetOs): boolean {
  // Since Windows Server 2003 SP1 a non-x86 system only uses models sections decorated with its architecture.
  if (d.architecture ? d.architecture !== architecture : architecture !== 'x86') return false;
  const [major = 0, minor = 0] = d.version;
  if (major > os.major || (major === os.major && minor > os.minor)) return false;
  if (d.productType !== undefined && d.productType !== 0 && d.productType !== os.productType) return false;
  return d.build === undefined || d.build <= os.build;
}

/** Higher OS version first, then build, then architecture-specific over plain `NT`. */
function compareDecorations(a: Decoration, b: Decoration): number {
  return (b.version[0]! - a.version[0]!) || (b.version[1]! - a.version[1]!) || ((b.build ?? 0) - (a.build ?? 0)) || (Number(!!b.architecture) - Number(!!a.architecture));
}

export interface InfPackageOptions {
  readonly architecture: InfArchitecture;
  readonly os?: InfTargetOs;
}

/** What installing the INF on `architecture` involves, as Windows would choose it. */
export function describeInfPackage(inf: InfFile, options: InfPackageOptions): InfPackage {
  const { architecture } = options;
  const os = options.os ?? DEFAULT_TARGET_OS;
  const problems: InfProblem[] = [...inf.problems];
  const problem = (severity: InfProblem['severity'], line: number, message: string) => problems.push({ severity, line, message });
  const version = readVersion(inf, architecture, problem);
  const manufacturers: InfManufacturer[] = [];
  const devices: InfDevice[] = [];
  const manufacturer = infSection(inf, 'Manufacturer');
  if (!manufacturer) problem('error', 1, 'no [Manufacturer] section: the INF installs no device');
  for (const entry of manufacturer?.entries ?? []) {
    const chosen = chooseModels(inf, entry, architecture, os, problem);
    manufacturers.push(chosen.manufacturer);
    const section = chosen.manufacturer.modelsSection ? infSection(inf, chosen.manufacturer.modelsSection) : undefined;
    for (const model of section?.entries ?? []) {
      const [installSection = '', hardwareId, ...compatibleIds] = model.values;
      if (model.key === undefined || installSection === '') {
        problem('error', model.line, `a models line needs "device description = install section, hardware id": [${section!.name}]`);
        continue;
      }
      devices.push({
        description: model.key,
        installSection,
        ...(hardwareId ? { hardwareId } : {}),
        compatibleIds: compatibleIds.filter((id) => id !== ''),
        modelsSection: section!.name,
        line: model.line,
      });
      if (!hardwareId) problem('warning', model.line, `"${model.key}" has no hardware id, so no device will match it`);
    }
  }
  const installs: InfInstall[] = [];
  const readInstall = new Map<string, InfInstall | undefined>();
  for (const device of devices) {
    const key = device.installSection.toLowerCase();
    if (!readInstall.has(key)) {
      const install = describeInstall(inf, device, architecture, problem);
      readInstall.set(key, install);
      if (install) installs.push(install);
    }
  }
  const files: string[] = [];
  for (const copied of installs.flatMap((i) => i.copyFiles)) {
    if (!files.some((f) => f.toLowerCase() === copied.packagePath.toLowerCase())) files.push(copied.packagePath);
  }
  return {
    architecture,
    version,
    manufacturers,
    devices,
    hardwareIds: unique(devices.flatMap((d) => (d.hardwareId ? [d.hardwareId] : []))),
    compatibleIds: unique(devices.flatMap((d) => d.compatibleIds)),
    installs,
    files,
    problems: sortProblems(problems),
  };
}

type Report = (severity: InfProblem['severity'], line: number, message: string) => void;

function readVersion(inf: InfFile, architecture: InfArchitecture, problem: Report): InfVersion {
  const section = infSection(inf, 'Version');
  if (!section) {
    problem('error', 1, 'no [Version] section: every INF starts with [Version] and Signature = "$Windows NT$"');
    return {};
  }
  const value = (key: string) => infEntry(section, key)?.values.join(',');
  const signature = value('Signature');
  if (signature === undefined) problem('warning', section.line, '[Version] has no Signature: add Signature = "$Windows NT$"');
  const catalog = infEntry(section, `CatalogFile.NT${architecture}`) ?? infEntry(section, 'CatalogFile.NT') ?? infEntry(section, 'CatalogFile');
  const catalogFile = catalog?.values[0];
  if (!catalogFile) {
    problem('error', catalog?.line ?? section.line, `[Version] names no CatalogFile for ${architecture}: add CatalogFile = <name>.cat, the catalog Inf2Cat makes and the package is signed through`);
  }
  const driverVer = infEntry(section, 'DriverVer');
  let driverDate: string | undefined;
  let driverVersion: string | undefined;
  if (driverVer && driverVer.values.length > 0) {
    const date = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(driverVer.values[0]!);
    if (date && Number(date[1]) >= 1 && Number(date[1]) <= 12 && Number(date[2]) >= 1 && Number(date[2]) <= 31) {
      driverDate = `${date[3]}-${date[1]!.padStart(2, '0')}-${date[2]!.padStart(2, '0')}`;
    } else problem('error', driverVer.line, `DriverVer's date "${driverVer.values[0]!}" is not mm/dd/yyyy`);
    const number = driverVer.values[1];
    if (number !== undefined && number !== '') {
      if (/^\d{1,5}(\.\d{1,5}){0,3}$/.test(number) && number.split('.').every((n) => Number(n) <= 65535)) driverVersion = number;
      else problem('error', driverVer.line, `DriverVer's version "${number}" is not w.x.y.z with each part at most 65535`);
    }
  } else {
    problem('warning', driverVer?.line ?? section.line, `[Version] has ${driverVer ? 'an empty' : 'no'} DriverVer: stampinf sets it at build time, or write DriverVer = mm/dd/yyyy,w.x.y.z`);
  }
  const className = value('Class');
  const classGuid = value('ClassGuid');
  const expectedGuid = className === undefined ? undefined : CLASS_GUIDS[className.toLowerCase()];
  if (expectedGuid && classGuid?.toLowerCase() !== expectedGuid) {
    problem('error', (infEntry(section, 'ClassGuid') ?? infEntry(section, 'Class'))!.line, `Class = ${className!} goes with ClassGuid = ${expectedGuid}${classGuid ? `, not ${classGuid}` : ''}: Windows files the device under the GUID`);
  }
  const lockdown = value('PnpLockdown');
  return {
    ...(signature !== undefined ? { signature } : {}),
    ...optional('class', className),
    ...optional('classGuid', classGuid),
    ...optional('provider', value('Provider')),
    ...optional('driverDate', driverDate),
    ...optional('driverVersion', driverVersion),
    ...(catalog && catalogFile ? { catalogFile, catalogFileLine: catalog.line } : {}),
    ...(lockdown !== undefined ? { pnpLockdown: lockdown.trim() === '1' } : {}),
  };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return (value === undefined ? {} : { [key]: value }) as Partial<Record<K, string>>;
}

function chooseModels(inf: InfFile, entry: InfEntry, architecture: InfArchitecture, os: InfTargetOs, problem: Report): { manufacturer: InfManufacturer } {
  // `manufacturer-name` alone names its own models section.
  const name = entry.key ?? entry.values[0] ?? '';
  const [base = '', ...decorationTexts] = entry.key === undefined ? [name] : entry.values;
  if (base === '') {
    problem('error', entry.line, `manufacturer "${name}" names no models section`);
    return { manufacturer: { name, line: entry.line, candidates: [] } };
  }
  const decorations: Decoration[] = [];
  for (const text of decorationTexts.filter((t) => t.trim() !== '')) {
    const decoration = parseDecoration(text);
    if (decoration) decorations.push(decoration);
    else problem('error', entry.line, `"${text}" is not a TargetOSVersion such as NTamd64 or NTamd64.10.0...16299${text.includes('$') ? ' (an .inx is read with its $ARCH$ replaced)' : ''}`);
  }
  // With decorations the plain section is optional: it serves only x86 systems no decoration applies to.
  const candidates = decorations.length > 0 ? decorations.map((d) => `${base}.${d.text}`) : [base];
  for (const candidate of candidates) {
    if (!infSection(inf, candidate)) problem('error', entry.line, `[${candidate}] is named by [Manufacturer] but not in the file`);
  }
  const applicable = decorations.filter((d) => decorationApplies(d, architecture, os)).sort(compareDecorations);
  let chosen: string | undefined = applicable.length > 0 ? `${base}.${applicable[0]!.text}` : undefined;
  if (!chosen && architecture === 'x86' && infSection(inf, base)) chosen = base;
  if (!chosen) {
    const listed = decorations.map((d) => d.text).join(', ') || 'none';
    problem('error', entry.line, `manufacturer "${name}" has no models section for ${architecture} on Windows ${os.major}.${os.minor} build ${os.build} (decorations: ${listed}): add NT${architecture} to its line and a [${base}.NT${architecture}] section`);
  }
  const present = chosen && infSection(inf, chosen) ? infSection(inf, chosen)!.name : undefined;
  return { manufacturer: { name, line: entry.line, ...(present ? { modelsSection: present } : {}), candidates } };
}

function describeInstall(inf: InfFile, device: InfDevice, architecture: InfArchitecture, problem: Report): InfInstall | undefined {
  const name = device.installSection;
  const section = infSection(inf, `${name}.NT${architecture}`) ?? infSection(inf, `${name}.NT`) ?? infSection(inf, name);
  if (!section) {
    problem('error', device.line, `install section [${name}] (or [${name}.NT${architecture}]) named by "${device.description}" is not in the file`);
    return undefined;
  }
  const copyFiles: InfCopiedFile[] = [];
  const registry: { umd?: InfRegistryNames; wow?: InfRegistryNames; installed?: InfRegistryNames } = {};
  for (const entry of section.entries) {
    const directive = entry.key?.toLowerCase();
    if (directive === 'copyfiles') {
      for (const item of entry.values.filter((v) => v !== '')) copyFiles.push(...readCopyFiles(inf, item, entry.line, architecture, problem));
    } else if (directive === 'addreg') {
      for (const item of entry.values.filter((v) => v !== '')) readDisplayRegistry(inf, item, entry.line, registry, problem);
    }
  }
  const services: InfService[] = [];
  const servicesSection = infSection(inf, `${section.name}.Services`);
  for (const entry of servicesSection?.entries ?? []) {
    if (entry.key?.toLowerCase() !== 'addservice') continue;
    const [serviceName = '', flagText = '', installSection = ''] = entry.values;
    if (serviceName === '' || installSection === '') {
      problem('error', entry.line, 'AddService needs a service name, flags and a service-install section: AddService = name, 0x00000002, name_Service');
      continue;
    }
    const serviceSection = infSection(inf, installSection);
    if (!serviceSection) problem('error', entry.line, `service-install section [${installSection}] is not in the file`);
    const binary = infEntry(serviceSection, 'ServiceBinary')?.values[0];
    if (serviceSection && !binary) problem('error', serviceSection.line, `[${serviceSection.name}] has no ServiceBinary: name the driver, e.g. ServiceBinary = %13%\\${serviceName}.sys`);
    const missing = ['ServiceType', 'StartType', 'ErrorControl'].filter((key) => serviceSection && !infEntry(serviceSection, key));
    if (missing.length > 0) problem('error', serviceSection!.line, `[${serviceSection!.name}] has no ${missing.join(', ')}: Setup refuses a service without them (a kernel driver: ServiceType = 1, StartType = 3, ErrorControl = 1)`);
    services.push({ name: serviceName, flags: parseNumber(flagText) ?? 0, installSection, ...(binary ? { serviceBinary: binary } : {}), line: entry.line });
  }
  if (!servicesSection && copyFiles.some((f) => /\.sys$/i.test(f.name))) {
    problem('warning', section.line, `[${section.name}] copies a driver but there is no [${section.name}.Services] with AddService, so nothing loads it`);
  }
  const copiedNames = new Set(copyFiles.map((f) => f.name.toLowerCase()));
  for (const names of [registry.umd, registry.wow]) {
    for (const value of names?.values ?? []) {
      const file = baseName(value);
      if (file !== '' && !copiedNames.has(file.toLowerCase()) && !copiedNames.has(`${file.toLowerCase()}.dll`)) {
        problem('warning', names!.line, `${value} is a user-mode driver but [${section.name}] copies no ${file}`);
      }
    }
  }
  return {
    name,
    section: section.name,
    line: section.line,
    copyFiles,
    ...(registry.umd ? { userModeDriverName: registry.umd } : {}),
    ...(registry.wow ? { userModeDriverNameWow: registry.wow } : {}),
    ...(registry.installed ? { installedDisplayDrivers: registry.installed } : {}),
    services,
  };
}

function readCopyFiles(inf: InfFile, item: string, line: number, architecture: InfArchitecture, problem: Report): InfCopiedFile[] {
  const destinations = infSection(inf, 'DestinationDirs');
  const destinationOf = (key: string): InfDestination | undefined => {
    const entry = infEntry(destinations, key);
    const dirid = entry ? parseNumber(entry.values[0] ?? '') : undefined;
    if (entry && dirid === undefined) problem('error', entry.line, `${key} in [DestinationDirs] needs a DIRID such as 12 (System32\\drivers) or 13 (the driver store)`);
    else if (entry && dirid !== undefined && !isKnownDirid(dirid)) problem('warning', entry.line, `${key} in [DestinationDirs] names DIRID ${dirid}, which Windows does not define: a driver's files go to 13 (the driver store) or 11 / 12 (System32, System32\\drivers)`);
    return dirid === undefined ? undefined : { dirid, ...(entry!.values[1] ? { subdir: entry!.values[1] } : {}) };
  };
  if (item.startsWith('@')) {
    const file = item.slice(1).trim();
    const destination = destinationOf('DefaultDestDir');
    if (!destination) problem('error', line, `CopyFiles=@${file} needs a DefaultDestDir in [DestinationDirs], e.g. DefaultDestDir = 13 (the driver store)`);
    return [{ name: file, packagePath: packagePath(inf, file, line, architecture, problem), ...withDestination(destination), line }];
  }
  const list = infSection(inf, item);
  if (!list) {
    problem('error', line, `CopyFiles names [${item}], which is not in the file`);
    return [];
  }
  const destination = destinationOf(list.name) ?? destinationOf('DefaultDestDir');
  if (!destination) problem('error', line, `[DestinationDirs] gives no folder for [${list.name}] and no DefaultDestDir: add ${list.name} = 13 (the driver store)`);
  return list.entries.flatMap((entry): InfCopiedFile[] => {
    const fields = entry.key === undefined ? entry.values : [entry.key, ...entry.values];
    const [name = '', source] = fields;
    if (name === '') return [];
    const from = source && source !== '' ? source : name;
    return [{ name, packagePath: packagePath(inf, from, entry.line, architecture, problem), listSection: list.name, ...withDestination(destination), line: entry.line }];
  });
}

function withDestination(destination: InfDestination | undefined): { destination?: InfDestination } {
  return destination ? { destination } : {};
}

/** Where the file sits in the package: the disk's path and the file's subfolder from [SourceDisksFiles]. */
function packagePath(inf: InfFile, file: string, line: number, architecture: InfArchitecture, problem: Report): string {
  const entry = infEntry(infSection(inf, `SourceDisksFiles.${architecture}`), file) ?? infEntry(infSection(inf, 'SourceDisksFiles'), file);
  if (!entry) {
    problem('warning', line, `${file} is copied but [SourceDisksFiles] does not list it, so Setup cannot find it in the package`);
    return file;
  }
  const disk = entry.values[0] ?? '';
  const diskEntry = infEntry(infSection(inf, `SourceDisksNames.${architecture}`), disk) ?? infEntry(infSection(inf, 'SourceDisksNames'), disk);
  if (!diskEntry) problem('warning', entry.line, `${file} is on disk ${disk || '(none)'}, which [SourceDisksNames] does not list`);
  const parts = [diskEntry?.values[3] ?? '', entry.values[1] ?? '', file].flatMap((p) => p.split(/[\\/]+/)).filter((p) => p !== '' && p !== '.');
  return parts.join('/');
}

function readDisplayRegistry(inf: InfFile, item: string, line: number, found: { umd?: InfRegistryNames; wow?: InfRegistryNames; installed?: InfRegistryNames }, problem: Report): void {
  const section = infSection(inf, item);
  if (!section) {
    problem('error', line, `AddReg names [${item}], which is not in the file`);
    return;
  }
  for (const entry of section.entries) {
    const fields = entry.key === undefined ? entry.values : [entry.key, ...entry.values];
    const [root = '', subkey = '', valueName = '', , ...values] = fields;
    if (root.toUpperCase() !== 'HKR' || subkey !== '') continue;
    const names: InfRegistryNames = { values: values.filter((v) => v !== ''), section: section.name, line: entry.line };
    const which = valueName.toLowerCase();
    if (which === 'usermodedrivername') found.umd = names;
    else if (which === 'usermodedrivernamewow') found.wow = names;
    else if (which === 'installeddisplaydrivers') found.installed = names;
  }
}

function parseNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^0x[0-9a-f]+$/i.test(trimmed)) return Number.parseInt(trimmed.slice(2), 16);
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  return undefined;
}

/** `%13%\viogpu_d3d10.dll` -> viogpu_d3d10.dll */
export function baseName(value: string): string {
  return value.replace(/^.*[\\/]/, '').trim();
}

function unique(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = v.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
