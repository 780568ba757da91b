import { resolve } from 'node:path';
import type { CommandFieldRef, CommandFilterScope } from '../protocol/decode/commandFilterScope';
import { PSEUDO_FIELD_NAMES, resolveFieldName, type CompiledFilter, type FieldMeaning } from '../protocol/filter/compileFilter';
import { CaptureTraceSource } from '../protocol/trace/captureSource';
import { openTraceFile, type TraceFileSource } from '../protocol/trace/openTrace';
import { loadProtocolForCli } from './cliProtocol';
import { csvPrinter, fieldsPrinter, jsonLinePrinter, tablePrinter, TextBuffer, type OutputSink, type RowPrinter } from './decodeOutput';

// `gpupv decode <capture.pcapng|snapshot.bin> [--profile gpupv.json] [--format table|jsonl|csv | --fields a,b,c] [--filter EXPR] [--limit N]`
// Exit status: 0 fine, 1 some commands could not be decoded, 2 bad input.

export const DECODE_USAGE = `usage: gpupv decode <capture.pcapng|snapshot.bin> [options]

  --profile FILE        gpupv.json describing the protocol (default ./gpupv.json)
  --format FORMAT       table (default), jsonl or csv
  --fields A,B,...      only these values, tab-separated, one line per command (like tshark -T fields -e):
                        seq, time, offset, opcode, name, size, error, recovered, or a field (hdr.type,
                        index_count, viewports[0].x)
  --filter EXPR         only commands matching, e.g. 'opcode == DRAW_INDEXED && index_count > 1000'
  --limit N             stop after N commands`;

interface DecodeOptions {
  file: string;
  profile: string;
  format: 'table' | 'jsonl' | 'csv' | 'fields';
  fields: string[];
  filter?: string;
  limit: number;
}

export class DecodeUsageError extends Error {}

export function parseDecodeArguments(args: readonly string[]): DecodeOptions {
  const options: DecodeOptions = { file: '', profile: resolve('gpupv.json'), format: 'table', fields: [], limit: Number.POSITIVE_INFINITY };
  let format: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = (): string => {
      const next = args[++i];
      if (next === undefined) throw new DecodeUsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--profile') options.profile = resolve(value());
    else if (arg === '--format') {
      format = value();
      if (format !== 'table' && format !== 'jsonl' && format !== 'csv') throw new DecodeUsageError(`--format is table, jsonl or csv, not "${format}"`);
      options.format = format;
    } else if (arg === '--fields') {
      options.fields = value().split(',').map((name) => name.trim());
      if (options.fields.some((name) => name === '')) throw new DecodeUsageError('--fields takes names separated by commas, like seq,name,index_count');
    } else if (arg === '--filter') options.filter = value();
    else if (arg === '--limit') {
      const limit = Number(value());
      if (!Number.isSafeInteger(limit) || limit < 0) throw new DecodeUsageError('--limit needs a whole number');
      options.limit = limit;
    } else if (arg.startsWith('-')) throw new DecodeUsageError(`unknown option ${arg}`);
    else if (options.file) throw new DecodeUsageError(`only one trace, got "${options.file}" and "${arg}"`);
    else options.file = resolve(arg);
  }
  if (!options.file) throw new DecodeUsageError('no capture or snapshot given');
  if (options.fields.length) {
    if (format !== undefined) throw new DecodeUsageError('--fields prints its own format: leave out --format');
    options.format = 'fields';
  }
  return options;
}

/** Rows are matched and printed this many at a time, between looks at the output's backpressure. */
const ROWS_PER_TURN = 4096;

/** Prints the decoded trace to `sink`; messages go to `err`. */
export async function runDecode(args: readonly string[], sink: OutputSink, err: (s: string) => void): Promise<number> {
  const options = parseDecodeArguments(args);
  const protocol = await loadProtocolForCli(options.profile, err);
  if (!protocol) return 2;
  let source: TraceFileSource;
  try {
    source = openTraceFile(options.file, protocol);
  } catch (error) {
    err(`${options.file}: cannot read it (${error instanceof Error ? error.message : String(error)})`);
    return 2;
  }
  try {
    let filter: CompiledFilter<CommandFieldRef> | undefined;
    if (options.filter !== undefined) {
      const compiled = source.compileFilter(options.filter);
      if (Array.isArray(compiled)) {
        for (const e of compiled) err(`--filter: ${e.message}\n  ${options.filter}\n  ${' '.repeat(e.start)}${'^'.repeat(Math.max(1, e.end - e.start))}`);
        return 2;
      }
      filter = compiled;
    }
    const fields = options.format === 'fields' ? resolveFields(options.fields, source.filterScope) : [];
    const buffer = new TextBuffer(sink);
    const printRow = printerFor(options, source, buffer, fields);
    let shown = 0;
    let failures = 0;
    const index = source.index;
    // Rows are printed as the capture is indexed and then forgotten, so memory stays bounded whatever the file's size.
    const print = async () => {
      for (let from = index.firstSeq; from < index.endSeq && shown < options.limit; from += ROWS_PER_TURN) {
        source.matchRows(filter, from, Math.min(index.endSeq, from + ROWS_PER_TURN), (seq, row, view, at, size) => {
          if (shown >= options.limit) return false;
          if (!printRow(seq, row, view, at, size)) failures++;
          shown++;
          return true;
        });
        if (buffer.full) await buffer.flush();
      }
      index.dropBefore(index.endSeq);
    };
    if (source instanceof CaptureTraceSource) {
      while (shown < options.limit && source.indexNext()) await print();
    }
    await print();
    await buffer.flush();
    if (source.problem) {
      err(source.problem);
      return 2;
    }
    if (failures) err(`${failures} of ${shown} commands shown could not be decoded whole`);
    return failures ? 1 : 0;
  } finally {
    source.close();
  }
}

function printerFor(options: DecodeOptions, source: TraceFileSource, buffer: TextBuffer, fields: readonly FieldMeaning<CommandFieldRef>[]): RowPrinter {
  if (options.format === 'jsonl') return jsonLinePrinter(source, buffer);
  if (options.format === 'fields') return fieldsPrinter(source, buffer, fields);
  return options.format === 'csv' ? csvPrinter(source, buffer) : tablePrinter(source, buffer);
}

/** The `--fields` names, resolved as a filter resolves them; a name no command has is a usage error with a did-you-mean. */
function resolveFields(names: readonly string[], scope: CommandFilterScope): FieldMeaning<CommandFieldRef>[] {
  const paths = scope.fieldPaths();
  const candidates = [...PSEUDO_FIELD_NAMES, ...paths, ...paths.map((path) => path.slice(path.lastIndexOf('.') + 1))];
  return names.map((name) => {
    const meaning = resolveFieldName(name, scope, candidates);
    if ('message' in meaning) throw new DecodeUsageError(`--fields: ${meaning.message}`);
    return meaning;
  });
}
