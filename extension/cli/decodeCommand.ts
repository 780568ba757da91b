import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CommandFieldRef } from '../protocol/decode/commandFilterScope';
import type { CompiledFilter, FieldMeaning } from '../protocol/filter/compileFilter';
import { CaptureTraceSource } from '../protocol/trace/captureSource';
import { isPcapngFile, openTraceFile, type TraceFileSource } from '../protocol/trace/openTrace';
import { loadProtocolForCli } from './cliProtocol';
import { csvPrinter, fieldsPrinter, jsonLinePrinter, resolveFields, rowsOf, tablePrinter, TextBuffer, type OutputSink, type RowPrinter } from './decodeOutput';
import { DecodeWorker, type PrintedBatch } from './decodeWorker';
import { RowBatchBuilder } from './rowBatch';

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
/** Chunks of text waiting to go out (printed here or by the worker) before waiting for the oldest. */
const BATCHES_IN_FLIGHT = 8;
/** Batches the worker may have on hand: one printing, one waiting. */
const WORKER_BACKLOG = 2;

/** Printing with a second thread: the script it runs (one that calls serveDecodeWorker), for captures of at least this size. */
export interface DecodeParallelism {
  readonly script: string;
  readonly minimumBytes: number;
}

/** Prints the decoded trace to `sink`; messages go to `err`. */
export async function runDecode(args: readonly string[], sink: OutputSink, err: (s: string) => void, parallelism?: DecodeParallelism): Promise<number> {
  const options = parseDecodeArguments(args);
  // Started first: it loads the profile on the other core while this thread does.
  const worker = parallelism && (options.format === 'jsonl' || options.format === 'fields') && isLargeCapture(options.file, parallelism.minimumBytes) ? new DecodeWorker(parallelism.script, { profile: options.profile, file: options.file, format: options.format, fields: options.fields }) : undefined;
  try {
    return await decodeWith(options, sink, err, worker);
  } finally {
    await worker?.close();
  }
}

async function decodeWith(options: DecodeOptions, sink: OutputSink, err: (s: string) => void, worker: DecodeWorker | undefined): Promise<number> {
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
    let fields: FieldMeaning<CommandFieldRef>[] = [];
    if (options.format === 'fields') {
      const resolved = resolveFields(options.fields, source.filterScope);
      if (typeof resolved === 'string') throw new DecodeUsageError(`--fields: ${resolved}`);
      fields = resolved;
    }
    const buffer = new TextBuffer();
    const printRow = printerFor(options, source, buffer, fields);
    const batches = worker && new RowBatchBuilder(ROWS_PER_TURN);
    let shown = 0;
    let failures = 0;
    const index = source.index;
    // Text goes out in the order it was printed, whichever thread printed it.
    const queued: Promise<PrintedBatch>[] = [];
    const writeOut = async (keep: number) => {
      while (queued.length > keep) {
        const printed = await queued.shift()!;
        failures += printed.failures;
        if (!sink.write(printed.bytes)) await sink.drained();
      }
    };
    const queueText = () => {
      if (buffer.length > 0) queued.push(Promise.resolve({ bytes: buffer.take(), failures: 0 }));
    };
    // Rows are printed as the capture is indexed and then forgotten, so memory stays bounded whatever the file's size.
    const print = async () => {
      for (let from = index.firstSeq; from < index.endSeq && shown < options.limit; from += ROWS_PER_TURN) {
        const to = Math.min(index.endSeq, from + ROWS_PER_TURN);
        if (batches && worker.backlog < WORKER_BACKLOG) {
          // A turn's rows go to the worker, which reads their bytes from the file itself,
          // whenever it keeps up; this thread prints the others.
          source.matchRows(filter, from, to, (seq, row) => {
            if (shown >= options.limit) return false;
            batches.add(index, seq, row);
            shown++;
            return true;
          });
          const batch = batches.take();
          if (batch) {
            queueText();
            queued.push(worker.print(batch));
          }
        } else {
          source.matchRows(filter, from, to, (seq, row, view, at, size) => {
            if (shown >= options.limit) return false;
            if (!printRow(seq, row, view, at, size)) failures++;
            shown++;
            return true;
          });
          if (buffer.full) queueText();
        }
        await writeOut(BATCHES_IN_FLIGHT);
      }
      index.dropBefore(index.endSeq);
    };
    if (source instanceof CaptureTraceSource) {
      while (shown < options.limit && source.indexNext()) await print();
    }
    await print();
    queueText();
    await writeOut(0);
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

function isLargeCapture(file: string, minimumBytes: number): boolean {
  try {
    return isPcapngFile(file) && statSync(file).size >= minimumBytes;
  } catch {
    return false; // opening it again reports why it cannot be read
  }
}

function printerFor(options: DecodeOptions, source: TraceFileSource, buffer: TextBuffer, fields: readonly FieldMeaning<CommandFieldRef>[]): RowPrinter {
  if (options.format === 'jsonl') return jsonLinePrinter(rowsOf(source), buffer);
  if (options.format === 'fields') return fieldsPrinter(rowsOf(source), buffer, fields);
  return options.format === 'csv' ? csvPrinter(source, buffer) : tablePrinter(source, buffer);
}
