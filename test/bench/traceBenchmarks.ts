import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readHeaderFile } from '../../extension/protocol/localFiles';
import { PcapngWriter } from '../../extension/protocol/capture/pcapngWriter';
import { CommandDecoder } from '../../extension/protocol/decode/commandDecoder';
import { loadProtocol } from '../../extension/protocol/profile/loadProtocol';
import { walkRing } from '../../extension/protocol/ring/ringWalker';
import { CommandStream } from '../../extension/protocol/simulate/commandStream';
import { CommandSynthesizer } from '../../extension/protocol/simulate/commandSynthesizer';
import { TraceAnalyses } from '../../extension/protocol/analysis/traceAnalyses';
import { writeUnsigned } from '../../extension/protocol/ring/recordFraming';
import { CaptureTraceSource } from '../../extension/protocol/trace/captureSource';
import { fenceCompletedMarker } from '../../extension/protocol/trace/traceEvents';
import { repoRoot } from '../harness/paths';
import { cliBenchmarks } from './cliBenchmarks';

/** tshark reads this many of the commands (it is slow), and the rates are compared. */
const TSHARK_COMMANDS = 200_000;

// The trace side of `npm run bench`: a ring image and a capture of N commands of the sample
// protocol (10 million by default; GPUPV_BENCH_COMMANDS changes it), walked and indexed by the
// engine (the capture from its file, as the viewer and the CLI read it) and by the same walk
// in C (gcc -O2), then fully decoded and paged, and analysed (fence latency per opcode group,
// resource lifetimes) as the viewer and `gpupv stats` do; then `gpupv decode` end to end
// beside tshark.

export interface TraceBenchmarks {
  readonly rows: [string, string][];
  /** The capture the benchmarks wrote, for the viewer's. */
  readonly capture: { readonly file: string; readonly count: number };
}

export async function traceBenchmarks(dir: string): Promise<TraceBenchmarks> {
  const count = Number(process.env.GPUPV_BENCH_COMMANDS ?? 10_000_000);
  const protocol = await loadProtocol(join(repoRoot, 'demo', 'gpupv.json'), readHeaderFile);
  const stream = new CommandStream(new CommandSynthesizer(protocol.analysis.layoutEngine, protocol.command, 3), protocol.command, 'frames', protocol.fence);
  const templates = Array.from({ length: 4096 }, () => stream.next().bytes);

  // A ring image holding all N commands back to back, starting mid-ring so the walk wraps.
  const total = Array.from({ length: count }, (_, i) => templates[i % templates.length]!.length).reduce((a, b) => a + b, 0);
  const ring = new Uint8Array(total);
  const start = Math.floor(total / 3);
  let at = start;
  for (let i = 0; i < count; i++) {
    const bytes = templates[i % templates.length]!;
    const first = Math.min(bytes.length, total - at);
    ring.set(bytes.subarray(0, first), at);
    if (first < bytes.length) ring.set(bytes.subarray(first), 0);
    at = (at + bytes.length) % total;
  }
  const ringFile = join(dir, 'ring.bin');
  writeFileSync(ringFile, ring);

  // The same commands as a capture, each fence with a value of its own and completed 50 µs
  // after it was seen; and its first ones on their own for tshark.
  const fence = protocol.fence!;
  const captureOf = (commands: number) => {
    const chunks: Uint8Array[] = [];
    const writer = new PcapngWriter((chunk) => chunks.push(chunk.slice()));
    let fenceValue = 0n;
    for (let i = 0; i < commands; i++) {
      const timestampNs = 1_700_000_000_000_000_000n + BigInt(i) * 1000n;
      const template = templates[i % templates.length]!;
      if (BigInt(new DataView(template.buffer, template.byteOffset).getUint32(protocol.command.framing.opcode.offset, true)) !== fence.opcode.value) {
        writer.writePacket({ timestampNs, data: template });
        continue;
      }
      const data = template.slice();
      writeUnsigned(data, 0, fence.value, ++fenceValue);
      writer.writePacket({ timestampNs, data });
      writer.writePacket({ timestampNs: timestampNs + 50_000n, data: new Uint8Array(0), comment: fenceCompletedMarker(fenceValue) });
    }
    writer.close();
    return Buffer.concat(chunks);
  };
  const capture = captureOf(count);
  const captureFile = join(dir, 'capture.pcapng');
  writeFileSync(captureFile, capture);
  const prefixCount = Math.min(count, TSHARK_COMMANDS);
  const prefixFile = join(dir, 'capture-prefix.pcapng');
  writeFileSync(prefixFile, captureOf(prefixCount));

  const framing = protocol.command.framing;
  const best = (runs: number, body: () => void) => {
    let fastest = Number.POSITIVE_INFINITY;
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      body();
      fastest = Math.min(fastest, performance.now() - t);
    }
    return fastest;
  };
  let walked = 0;
  const ringMs = best(3, () => {
    walked = 0;
    for (const item of walkRing(ring, BigInt(start), BigInt(start + total), framing, { pointers: 'monotonic', onError: 'stop' })) if ('record' in item) walked++;
  });
  let source = new CaptureTraceSource(captureFile, protocol);
  const captureMs = best(3, () => {
    source.close();
    source = new CaptureTraceSource(captureFile, protocol);
    while (source.indexNext());
  });
  const captureIndex = source.index;
  captureIndex.trim();
  if (walked !== count || captureIndex.count !== count) throw new Error(`walked ${walked} / indexed ${captureIndex.count} of ${count} commands`);

  const walker = join(dir, 'ringWalk');
  const compiled = spawnSync('gcc', ['-O2', '-o', walker, join(repoRoot, 'test', 'bench', 'ringWalk.c')], { encoding: 'utf8' });
  const cWalk = (args: string[]) => {
    if (compiled.status !== 0) return undefined;
    let fastest = Number.POSITIVE_INFINITY;
    for (let r = 0; r < 3; r++) {
      const run = spawnSync(walker, args, { encoding: 'utf8' });
      const [records, ns] = run.stdout.trim().split(' ').map(Number);
      if (records !== count) throw new Error(`the C walk found ${records} commands: ${run.stderr}`);
      fastest = Math.min(fastest, ns! / 1e6);
    }
    return fastest;
  };
  const cRingMs = cWalk(['ring', ringFile, String(start), String(start + total)]);
  const cCaptureMs = cWalk(['pcapng', captureFile]);

  // Full decode: every command of the first two million, from the capture in memory.
  const decoder = new CommandDecoder(protocol.analysis, protocol.command);
  const view = new DataView(capture.buffer, capture.byteOffset, capture.byteLength);
  const decodeCount = Math.min(count, 2_000_000);
  const decodeMs = best(2, () => {
    for (let i = 0; i < decodeCount; i++) decoder.decodeAt(view, captureIndex.offsets[i]!, captureIndex.sizes[i]!, captureIndex.opcodeAt(i));
  });

  // A page of 50 rows anywhere in the trace, names from the index and the rows decoded.
  const names = new Map([...protocol.command.opcodes.values()].map((o) => [Number(o.value), o.shortName]));
  const pages = 1000;
  let shown = 0;
  const pageMs = best(1, () => {
    for (let p = 0; p < pages; p++) {
      const first = Math.floor(((p * 7919) % 1000) / 1000 * (count - 50));
      for (let i = first; i < first + 50; i++) {
        const name = names.get(captureIndex.opcodeAt(i)) ?? '';
        const row = decoder.decodeAt(view, captureIndex.offsets[i]!, captureIndex.sizes[i]!, captureIndex.opcodeAt(i));
        shown += name.length + Object.keys(row.labels).length;
      }
    }
  }) / pages;
  if (shown === 0) throw new Error('the page benchmark decoded nothing');

  // Every analysis over the whole indexed capture, as the viewer runs them when it opens one.
  let report: ReturnType<TraceAnalyses['report']> | undefined;
  const analysisMs = best(3, () => {
    const analyses = new TraceAnalyses(source);
    analyses.update();
    report = analyses.report();
  });
  if (!report || report.fences.groups.reduce((n, g) => n + g.commands, 0) < count * 0.9) throw new Error('the analyses timed fewer commands than the capture holds');
  const uses = report.lifetimes?.kinds.reduce((n, k) => n + k.used, 0) ?? 0;

  const cli = cliBenchmarks({ capture: captureFile, count, prefix: prefixFile, prefixCount });

  const mb = (bytes: number, ms: number) => `${((bytes / 1e6) / (ms / 1000)).toFixed(0)} MB/s`;
  const rate = (n: number, ms: number) => `${((n / 1e6) / (ms / 1000)).toFixed(1)} M commands/s`;
  const rows: [string, string][] = [
    [`trace: commands / ring image / capture`, `${count.toLocaleString('en')} / ${(total / 1e6).toFixed(0)} MB / ${(capture.length / 1e6).toFixed(0)} MB`],
    ['walk of the ring image (the snapshot reader)', `${ringMs.toFixed(0)} ms: ${rate(count, ringMs)}, ${mb(total, ringMs)}`],
    ['index pass, capture read from its file', `${captureMs.toFixed(0)} ms: ${rate(count, captureMs)}, ${mb(capture.length, captureMs)}`],
    ['reference: same walk in C (gcc -O2), ring image in memory', cRingMs === undefined ? 'gcc not installed' : `${cRingMs.toFixed(0)} ms: ratio ${(ringMs / cRingMs).toFixed(2)}x`],
    ['reference: same walk in C (gcc -O2), capture read 4 MiB at a time', cCaptureMs === undefined ? 'gcc not installed' : `${cCaptureMs.toFixed(0)} ms: ratio ${(captureMs / cCaptureMs).toFixed(2)}x (target within 3x)`],
    ['index memory per command beyond the raw bytes', `${captureIndex.bytesPerRow.toFixed(1)} bytes (target at most 24)`],
    [`full decode into field trees (${decodeCount.toLocaleString('en')} commands)`, `${rate(decodeCount, decodeMs)} (target at least 5M/s)`],
    ['a page of 50 rows anywhere in the trace, decoded', `${(pageMs * 1000).toFixed(0)} µs (a frame is 16,000 µs)`],
    [`analyses: fence latency per group + resource lifetimes (${(uses / 1e6).toFixed(1)} M id reads)`, `${analysisMs.toFixed(0)} ms: ${rate(count, analysisMs)}`],
    ...cli,
  ];
  return { rows, capture: { file: captureFile, count } };
}
