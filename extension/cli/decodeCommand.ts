import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CommandDecoder, type DecodedCommand } from '../protocol/decode/commandDecoder';
import { DecodedFilterScope, filterRecord, type DecodedFieldRef } from '../protocol/decode/decodedFilterScope';
import type { DecodedValue } from '../protocol/decode/decoderCompiler';
import { compileFilter, type CompiledFilter } from '../protocol/filter/compileFilter';
import { visitTraceFile, type TraceRecord } from '../protocol/trace/traceFile';
import { loadProtocolForCli } from './cliProtocol';

// `gpupv decode <capture.pcapng|snapshot.bin> [--profile gpupv.json] [--format table|jsonl|csv] [--filter EXPR] [--limit N]`
// Exit status: 0 fine, 1 some commands could not be decoded, 2 bad input.

export const DECODE_USAGE = `usage: gpupv decode <capture.pcapng|snapshot.bin> [options]

  --profile FILE        gpupv.json describing the protocol (default ./gpupv.json)
  --format FORMAT       table (default), jsonl or csv
  --filter EXPR         only commands matching, e.g. 'opcode == DRAW_INDEXED && index_count > 1000'
  --limit N             stop after N commands`;

/** Captures are streamed whatever their size; a snapshot image is read whole, up to this. */
const MAX_SNAPSHOT_BYTES = 2 * 1024 * 1024 * 1024;

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
  const loaded = await loadProtocolForCli(options.profile, err);
  if (!loaded) return 2;
  const { protocol } = loaded;
  try {
    statSync(options.file);
  } catch (error) {
    err(`${options.file}: cannot read it (${error instanceof Error ? error.message : String(error)})`);
    return 2;
  }
  const decoder = new CommandDecoder(protocol.analysis, protocol.command);
  let filter: CompiledFilter<DecodedFieldRef> | undefined;
  if (options.filter !== undefined) {
    const compiled = compileFilter(options.filter, new DecodedFilterScope(protocol.analysis, protocol.command));
    if (Array.isArray(compiled)) {
      for (const e of compiled) err(`--filter: ${e.message}\n  ${options.filter}\n  ${' '.repeat(e.start)}${'^'.repeat(Math.max(1, e.end - e.start))}`);
      return 2;
    }
    filter = compiled;
  }

  const writer = formatWriter(options.format, out);
  let shown = 0;
  let failures = 0;
  let total = 0;
  let problem: string | undefined;
  try {
    problem = visitTraceFile(options.file, protocol, (record) => {
      if (shown >= options.limit) return false;
      total++;
      const decoded = record.error ? undefined : decoder.decode(record.bytes, record.opcode);
      const error = record.error ?? decoded?.error;
      if (error) failures++;
      if (filter && (!decoded || !filter.matches(filterRecord(decoded, { seq: record.seq, offset: record.offset, time: record.time ?? 0n, recovered: record.recovered ?? false })))) return true;
      writer(record, decoded, error);
      shown++;
      return true;
    }, () => readWholeSnapshot(options.file));
  } catch (error) {
    err(`${options.file}: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  if (problem) {
    err(problem);
    return 2;
  }
  if (failures) err(`${failures} of ${total} commands could not be decoded whole`);
  return failures ? 1 : 0;
}

/** A snapshot is one shared-memory image; refuse absurd ones rather than exhaust memory. */
function readWholeSnapshot(file: string): Uint8Array {
  if (statSync(file).size > MAX_SNAPSHOT_BYTES) throw new Error(`larger than ${MAX_SNAPSHOT_BYTES / 2 ** 30} GiB, too large for a shared-memory snapshot`);
  return readFileSync(file);
}

type RowWriter = (record: TraceRecord, decoded: DecodedCommand | undefined, error: string | undefined) => void;

function formatWriter(format: DecodeOptions['format'], out: (s: string) => void): RowWriter {
  if (format === 'jsonl') {
    return (record, decoded, error) =>
      out(
        JSON.stringify({
          seq: record.seq,
          offset: plain(record.offset),
          ...(record.time !== undefined ? { time: plain(record.time) } : {}),
          opcode: plain(decoded?.opcode ?? record.opcode),
          opcodeName: decoded?.opcodeName ?? null,
          size: decoded?.size ?? record.bytes.byteLength,
          fields: decoded ? plainValue(decoded.fields) : {},
          labels: decoded?.labels ?? {},
          ...(error ? { error } : {}),
          ...(record.recovered ? { recovered: true } : {}),
        }),
      );
  }
  if (format === 'csv') {
    out('seq,offset,time,opcode,opcodeName,size,error,recovered,fields');
    return (record, decoded, error) =>
      out([record.seq, record.offset, record.time ?? '', decoded?.opcode ?? record.opcode, decoded?.opcodeName ?? '', decoded?.size ?? record.bytes.byteLength, error ?? '', record.recovered ? 'true' : '', JSON.stringify(decoded ? plainValue(decoded.fields) : {})].map((v) => csvCell(String(v))).join(','));
  }
  out(`${'seq'.padStart(8)}  ${'offset'.padStart(12)}  ${'opcode'.padEnd(28)} ${'size'.padStart(6)}  fields`);
  return (record, decoded, error) => {
    const name = `${decoded?.opcodeName ?? '?'}${record.recovered ? ' (recovered)' : ''}`;
    const summary = error ? `!! ${error}` : summarise(decoded!);
    out(`${String(record.seq).padStart(8)}  ${String(record.offset).padStart(12)}  ${name.padEnd(28)} ${String(decoded?.size ?? record.bytes.byteLength).padStart(6)}  ${summary}`);
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
