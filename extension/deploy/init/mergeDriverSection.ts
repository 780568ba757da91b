import { parseJsonc, positionAt, type JsonValue } from '../../protocol/config/jsonc';

// Puts a proposed `driver` section into gpupv.json's text as an edit, not a rewrite, so the
// user's other sections, comments, trailing commas and indentation stay as they were. Pure:
// no `vscode` import, no file access.

export type MergeResult = { readonly ok: true; readonly text: string; readonly replaced: boolean } | { readonly ok: false; readonly message: string };

export interface MergeOptions {
  /** Replace a `driver` section the file already has. */
  readonly force?: boolean;
  /** For messages; default gpupv.json. */
  readonly fileName?: string;
}

export function mergeDriverSection(existing: string | undefined, driver: unknown, options: MergeOptions = {}): MergeResult {
  const fileName = options.fileName ?? 'gpupv.json';
  if (existing === undefined || existing.trim() === '') return { ok: true, text: `${JSON.stringify({ driver }, null, 2)}\n`, replaced: false };
  const parsed = parseJsonc(existing);
  if (parsed.error) {
    const at = positionAt(existing, parsed.error.offset);
    return { ok: false, message: `${fileName} is not valid JSON (line ${at.line + 1}: ${parsed.error.message}); fix it first, or paste the section in by hand` };
  }
  const root = parsed.value;
  if (root.kind !== 'object') return { ok: false, message: `${fileName} holds ${root.kind === 'array' ? 'an array' : `a ${root.kind}`}, not an object; it must be { "protocol": …, "driver": … }` };
  const indent = indentUnit(existing, root);
  const current = root.properties.find((p) => p.key === 'driver');
  let text: string;
  if (current) {
    if (!options.force) {
      return { ok: false, message: `${fileName} already has a "driver" section (line ${positionAt(existing, current.keySpan.offset).line + 1}); give --force to replace it` };
    }
    const lineIndent = leadingWhitespace(existing, current.keySpan.offset);
    text = splice(existing, current.value.offset, current.value.length, format(driver, indent, lineIndent));
  } else if (root.properties.length === 0) {
    const open = root.offset + 1;
    const property = `\n${indent}"driver": ${format(driver, indent, indent)}`;
    text = splice(existing, open, 0, existing[open] === '}' ? `${property}\n` : property);
  } else {
    const last = root.properties[root.properties.length - 1]!;
    const lineIndent = leadingWhitespace(existing, last.keySpan.offset);
    const valueEnd = last.value.offset + last.value.length;
    let at = skipSpaces(existing, valueEnd);
    const hasComma = existing[at] === ',';
    if (hasComma) at = skipSpaces(existing, at + 1);
    // A comment on the last property's line stays with it.
    at = skipLineComment(existing, at);
    const property = `\n${lineIndent}"driver": ${format(driver, indent, lineIndent)}`;
    text = splice(existing, at, 0, property);
    if (!hasComma) text = splice(text, valueEnd, 0, ',');
  }
  if (parseJsonc(text).error) return { ok: false, message: `the edit would break ${fileName}; paste the section in by hand` };
  return { ok: true, text, replaced: current !== undefined };
}

function format(value: unknown, indent: string, lineIndent: string): string {
  return JSON.stringify(value, null, indent).split('\n').join(`\n${lineIndent}`);
}

/** The file's own indentation step, read off its first property; two spaces when it has none. */
function indentUnit(text: string, root: Extract<JsonValue, { kind: 'object' }>): string {
  const first = root.properties[0];
  if (!first) return '  ';
  const own = leadingWhitespace(text, first.keySpan.offset);
  const rootIndent = leadingWhitespace(text, root.offset);
  const unit = own.startsWith(rootIndent) ? own.slice(rootIndent.length) : own;
  return unit === '' || positionAt(text, first.keySpan.offset).line === positionAt(text, root.offset).line ? '  ' : unit;
}

function leadingWhitespace(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, offset))![0];
}

function skipSpaces(text: string, at: number): number {
  while (at < text.length && (text[at] === ' ' || text[at] === '\t')) at++;
  return at;
}

function skipLineComment(text: string, at: number): number {
  if (text.startsWith('//', at)) {
    const end = text.indexOf('\n', at);
    const stop = end < 0 ? text.length : end;
    return text[stop - 1] === '\r' ? stop - 1 : stop;
  }
  if (text.startsWith('/*', at)) {
    const end = text.indexOf('*/', at + 2);
    const lineEnd = text.indexOf('\n', at);
    // Only a comment that closes on the same line; a longer one is the next property's.
    if (end >= 0 && (lineEnd < 0 || end < lineEnd)) return skipLineComment(text, skipSpaces(text, end + 2));
  }
  return at;
}

function splice(text: string, at: number, remove: number, insert: string): string {
  return text.slice(0, at) + insert + text.slice(at + remove);
}
