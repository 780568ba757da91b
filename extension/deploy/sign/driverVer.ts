import { decodeWindowsText } from '../inf/infFile';

// Writes an INF's DriverVer (date and version), what stampinf does on Windows, for hosts
// without stampinf. The INF keeps its encoding (UTF-16 either way round, UTF-8 or an ANSI
// code page, read as Windows reads it) and its line endings; only the DriverVer line of
// [Version] changes, or is added right after the section header when there is none.

export class DriverVerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriverVerError';
  }
}

const VERSION = /^\d{1,5}(\.\d{1,5}){0,3}$/;

/** `mm/dd/yyyy` of the local date, the form DriverVer takes. */
export function driverVerDate(when: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(when.getMonth() + 1)}/${two(when.getDate())}/${when.getFullYear()}`;
}

/** Checks a DriverVer version: up to four dot-separated numbers, each at most 65535. */
export function checkDriverVersion(version: string): string | undefined {
  if (!VERSION.test(version) || version.split('.').some((part) => Number(part) > 65535)) return `"${version}" is not a driver version: up to four numbers 0 to 65535 separated by dots, such as 1.2.3.4`;
  return undefined;
}

export function stampDriverVer(inf: Buffer, date: Date, version: string): Buffer {
  const problem = checkDriverVersion(version);
  if (problem) throw new DriverVerError(problem);
  const value = `${driverVerDate(date)},${version}`;
  const { text, encoding } = decodeWindowsText(inf);
  if (encoding === 'utf-16le' || encoding === 'utf-16be') {
    const bom = inf[0] === 0xff || inf[0] === 0xfe;
    const bytes = Buffer.from(`${bom ? '\uFEFF' : ''}${stampText(text, value)}`, 'utf16le');
    return encoding === 'utf-16be' ? bytes.swap16() : bytes;
  }
  // An 8-bit or UTF-8 INF is edited byte for byte (latin1 maps each byte to one character and
  // back), so whatever its code page, every byte outside the DriverVer line stays as it was.
  return Buffer.from(stampText(inf.toString('latin1'), value), 'latin1');
}

function stampText(text: string, value: string): string {
  const lines = text.split(/(?<=\n)/);
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  let section = '';
  let header = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const sectionMatch = /^\s*\[([^\]]*)\]/.exec(line);
    if (sectionMatch) {
      section = sectionMatch[1]!.trim().toLowerCase();
      if (section === 'version' && header < 0) header = i;
      continue;
    }
    if (section === 'version' && /^\s*DriverVer\s*=/i.test(line)) {
      const ending = /\r?\n$/.exec(line)?.[0] ?? '';
      const comment = /\s;.*$/.exec(line.slice(0, line.length - ending.length))?.[0] ?? '';
      lines[i] = `${/^\s*DriverVer\s*=\s*/i.exec(line)![0]}${value}${comment}${ending}`;
      return lines.join('');
    }
  }
  if (header < 0) throw new DriverVerError('the INF has no [Version] section to stamp DriverVer into');
  const headerLine = lines[header]!;
  if (!headerLine.endsWith("\n")) lines[header] = `${headerLine}${newline}`;
  lines.splice(header + 1, 0, `DriverVer = ${value}${newline}`);
  return lines.join('');
}
