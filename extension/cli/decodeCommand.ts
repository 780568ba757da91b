import { resolve } from 'node:path';
import type { DecodedCommand } from '../protocol/decode/commandDecoder';
import type { CommandFieldRef } from '../protocol/decode/commandFilterScope';
import type { DecodedValue } from '../protocol/decode/decoderCompiler';
import type { CompiledFilter } from '../protocol/filter/compileFilter';
import { CaptureTraceSource } from '../protocol/trace/captureSource';
import { openTraceFile, type TraceFileSource } from '../protocol/trace/openTrace';
import type { TraceRow } from '../protocol/trace/traceSource';
import { loadProtocolForCli } from './cliProtocol';

// `gpupv decode <capture.pcapng|snapshot.bin> [--profile gpupv.json] [--format table|jsonl|csv] [--filter EXPR] [--limit N]`
// Exit status: 0 fine, 1 some commands could not be decoded, 2 bad input.

export const DECODE_USAGE = `usage: gpupv decode <capture.pcapng|snapshot.bin> [options]

  --profile FILE        gpupv.json describing the protocol (default ./gpupv.json)
  --format FORMAT       table (default), jsonl or csv
  --filter EXPR         only commands matching, e.g. 'opcode == DRAW_INDEXED && index_count > 1000'
  --limit N             stop after N commands`;

interface DecodeOptions {
  file: string;
  profile: string;
  format: 'table' | 'jsonl' | 'csv';
  filter?: string;
  limit: number;
}

export class DecodeUsageError extends Error {}

export function parseDecodeArguments(args: readonly string[]): DecodeOptions {
  const options: DecodeOptions = { file: '', profile: resolve('gpupv.json'), format: 'table', limit: Number.POSITIVE_INFINITY };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = (): string => {
      const next = args[++i];
      if (next === undefined) throw new DecodeUsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--profile') options.profile = resolve(value());
    else if (arg === '--format') {
      const format = value();
      if (format !== 'table' && format !== 'jsonl' && format !== 'csv') throw new DecodeUsageError(`--format is table, jsonl or csv, not "${format}"`);
      options.format = format;
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
  return options;
}

export async function runDecode(args: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
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
    const writer = formatWriter(options.format, out);
    let shown = 0;
    let failures = 0;
    const index = source.index;
    // Rows are printed as the capture is indexed and then forgotten, so memory stays bounded whatever the file's size.
    const print = () => {
      source.matchRows(filter, index.firstSeq, index.endSeq, (seq, row, view, at, size) => {
        if (shown >= options.limit) return false;
        const decoded = source.rowAt(seq, row, view, at, size);
        if (decoded.error) failures++;
        writer(decoded);
        shown++;
        return true;
      });
      index.dropBefore(index.endSeq);
    };
    if (source instanceof CaptureTraceSource) {
      while (shown < options.limit && source.indexNext()) print();
    }
    print();
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

type RowWriter = (row: TraceRow) => void;

function formatWriter(format: DecodeOptions['format'], out: (s: string) => void): RowWriter {
  if (format === 'jsonl') {
    return (row) =>
      out(
        JSON.stringify({
          seq: row.seq,
          offset: plain(row.offset),
          ...(row.time !== undefined ? { time: plain(row.time) } : {}),
          ...(row.kind === 'command' ? { opcode: row.opcode, opcodeName: row.opcodeName, size: row.size, fields: plainValue(row.decoded!.fields), labels: row.decoded!.labels } : { kind: row.kind, size: row.size }),
          ...(row.error ? { error: row.error } : {}),
          ...(row.recovered ? { recovered: true } : {}),
        }),
      );
  }
  if (format === 'csv') {
    out('seq,offset,time,opcode,opcodeName,size,error,recovered,fields');
    return (row) =>
      out([row.seq, row.offset, row.time ?? '', row.kind === 'command' ? row.opcode : '', row.opcodeName, row.size, row.error ?? '', row.recovered ? 'true' : '', JSON.stringify(row.decoded ? plainValue(row.decoded.fields) : {})].map((v) => csvCell(String(v))).join(','));
  }
  out(`${'seq'.padStart(8)}  ${'offset'.padStart(12)}  ${'opcode'.padEnd(28)} ${'size'.padStart(6)}  fields`);
  return (row) => {
    const name = `${row.kind === 'command' ? row.opcodeName : row.kind}${row.recovered ? ' (recovered)' : ''}`;
    const summary = row.error ? `!! ${row.error}` : summarise(row.decoded!);
    out(`${String(row.seq).padStart(8)}  ${String(row.offset).padStart(12)}  ${name.padEnd(28)} ${String(row.size).padStart(6)}  ${summary}`);
  };
}

/** The first few top-level fields after the header, labels preferred: enough to scan a table. */
function summarise(decoded: DecodedCommand): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(decoded.fields)) {
    if (parts.length >= 5) break;
    if (typeof value === 'object' && !Array.isArray(value)) continue; // the header struct
    const shown = decoded.labels[name] ?? (Array.isArray(value) ? `[${value.length}]` : String(value));
    parts.push(`${name}=${shown}`);
  }
  return parts.join(' ');
}

function plain(value: number | bigint): number | string {
  return typeof value === 'bigint' ? (value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString()) : value;
}

/** Decoded values as JSON can hold them: u64 above 2^53 as decimal strings. */
function plainValue(value: DecodedValue): unknown {
  if (typeof value === 'bigint') return plain(value);
  if (Array.isArray(value)) return value.map(plainValue);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainValue(v)]));
  return value;
}

function csvCell(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
