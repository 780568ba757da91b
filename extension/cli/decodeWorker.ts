import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { CommandDecoder } from '../protocol/decode/commandDecoder';
import { CommandFilterScope } from '../protocol/decode/commandFilterScope';
import { readHeaderFile } from '../protocol/localFiles';
import { loadProtocol } from '../protocol/profile/loadProtocol';
import { packetBlockStore } from '../protocol/trace/captureSource';
import { FileRecordStore } from '../protocol/trace/recordStore';
import { fieldsPrinter, jsonLinePrinter, resolveFields, TextBuffer } from './decodeOutput';
import { ReceivedRows, type RowBatchData } from './rowBatch';

// The second core for `gpupv decode`: a worker thread that prints every other batch of rows
// of a capture while the main thread indexes, filters and prints the rest. It loads the same
// profile and reads the rows' bytes from the same file; the main thread writes the batches'
// text out in order.

export interface DecodeWorkerSetup {
  readonly profile: string;
  readonly file: string;
  readonly format: 'jsonl' | 'fields';
  readonly fields: readonly string[];
}

/** The text of a batch, and how many of its rows did not decode whole. */
export interface PrintedBatch {
  readonly bytes: Uint8Array;
  readonly failures: number;
}

/** What marks a worker thread started by DecodeWorker in its workerData. */
const SETUP_KEY = 'gpupvDecodeWorker';

/** The main thread's end of a worker. */
export class DecodeWorker {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve(batch: PrintedBatch): void; reject(error: Error): void }>();
  /** Why the worker can print nothing more, once it failed. */
  private failure: Error | undefined;

  /** `script`: a file that calls `serveDecodeWorker` first (dist/gpupv.js does). */
  constructor(script: string, setup: DecodeWorkerSetup) {
    this.worker = new Worker(script, { workerData: { [SETUP_KEY]: setup } });
    this.worker.on('message', (message: PrintedBatch & { id: number } | { id: number; error: string }) => {
      const waiting = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if ('error' in message) waiting?.reject(new Error(message.error));
      else waiting?.resolve(message);
    });
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', (code) => this.failAll(new Error(`the decode worker stopped (exit code ${code})`)));
  }

  /** Batches sent and not yet printed. */
  get backlog(): number {
    return this.waiting.size;
  }

  print(batch: RowBatchData): Promise<PrintedBatch> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      const columns = [batch.seqs, batch.offsets, batch.sizes, batch.codes, batch.opcodes, batch.times];
      this.worker.postMessage({ id, batch }, columns.map((column) => column.buffer as ArrayBuffer));
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private failAll(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
  }
}

/** In a thread DecodeWorker started: serves it (until terminated) and returns true. Elsewhere false. */
export function serveDecodeWorker(): boolean {
  const setup = isMainThread ? undefined : (workerData as Record<string, DecodeWorkerSetup> | undefined)?.[SETUP_KEY];
  if (!setup || !parentPort) return false;
  const port = parentPort;
  const ready = prepare(setup);
  port.on('message', (message: { id: number; batch: RowBatchData }) => {
    ready.then(
      (print) => {
        const printed = print(message.batch);
        port.postMessage({ id: message.id, ...printed }, [printed.bytes.buffer as ArrayBuffer]);
      },
      (error: unknown) => port.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) }),
    );
  });
  return true;
}

async function prepare(setup: DecodeWorkerSetup): Promise<(batch: RowBatchData) => PrintedBatch> {
  const protocol = await loadProtocol(setup.profile, readHeaderFile);
  const decoder = new CommandDecoder(protocol.analysis, protocol.command);
  const fields = setup.format === 'fields' ? resolveFields(setup.fields, new CommandFilterScope(protocol.analysis, protocol.command)) : [];
  if (typeof fields === 'string') throw new Error(fields);
  const records = new FileRecordStore(setup.file);
  const blocks = packetBlockStore(setup.file);
  const buffer = new TextBuffer();
  return (batch) => {
    const rows = new ReceivedRows(decoder, batch, blocks);
    const print = setup.format === 'jsonl' ? jsonLinePrinter(rows, buffer) : fieldsPrinter(rows, buffer, fields);
    let failures = 0;
    if (batch.count > 0) {
      // The rows are in file order: one read for the span they cover.
      const start = batch.offsets[0]!;
      const bytes = records.read(start, batch.offsets[batch.count - 1]! + batch.sizes[batch.count - 1]! - start);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < batch.count; i++) if (!print(batch.seqs[i]!, i, view, batch.offsets[i]! - start, batch.sizes[i]!)) failures++;
    }
    return { bytes: buffer.take(), failures };
  };
}
