import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readHeaderFile } from '../../extension/protocol/localFiles';
import { PcapngWriter } from '../../extension/protocol/capture/pcapngWriter';
import { FileMapping } from '../../extension/protocol/live/fileMapping';
import { RingSnooper } from '../../extension/protocol/live/ringSnooper';
import { loadProtocol } from '../../extension/protocol/profile/loadProtocol';
import { compiledTests, repoRoot } from '../harness/paths';

// Live: a simulator process writes 1M commands/s into a shared-memory file; this process
// snoops it every millisecond and writes the capture, as `gpupv snoop` does. Lost commands
// and the delay from a command's publication (the producer pointer moving past it) to the
// snooper seeing it.

/** A simulator process writing `rate` commands/s into the ring at `shm` for `seconds`, once told to start. */
export interface LiveProducer {
  /** Starts the writing; resolves with what it wrote, once done. */
  run(): Promise<{ commands: number }>;
  /** [producer after the batch, commands written, epoch ms] per published batch; read after run(). */
  publishLog(): Float64Array;
  kill(): void;
}

export async function startLiveProducer(profile: string, shm: string, rate: number, seconds: number, dir: string): Promise<LiveProducer> {
  const log = join(dir, `publish-${Date.now()}.bin`);
  const child = spawn(process.execPath, [join(compiledTests, 'bench', 'liveSimulatorProcess.js'), profile, shm, String(rate), String(seconds), log], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  for (let waited = 0; !output.includes('ready\n'); waited += 10) {
    if (waited > 20_000 || child.exitCode !== null) throw new Error(`the simulator did not create its ring ${shm}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    run: async () => {
      child.stdin.end('go\n');
      const code = await exited;
      if (code !== 0) throw new Error(`the simulator exited with code ${code}`);
      return JSON.parse(output.slice(output.indexOf('ready\n') + 6)) as { commands: number };
    },
    publishLog: () => new Float64Array(new Uint8Array(readFileSync(log)).buffer),
    kill: () => child.kill(),
  };
}

export async function liveBenchmark(dir: string): Promise<[string, string][]> {
  const rate = Number(process.env.GPUPV_BENCH_LIVE_RATE ?? 1_000_000);
  const seconds = 3;
  const profile = join(repoRoot, 'demo', 'gpupv.json');
  const protocol = await loadProtocol(profile, readHeaderFile);
  const shm = process.platform === 'linux' ? `/dev/shm/gpupv-bench-${process.pid}` : join(dir, 'ring.shm');
  const producer = await startLiveProducer(profile, shm, rate, seconds, dir);

  const snooper = new RingSnooper(FileMapping.open(shm), protocol);
  let captured = 0;
  const writer = new PcapngWriter(() => (captured += 1));
  // Typed arrays, not objects: the measurement must not add garbage-collection pauses of its own.
  const capacity = Math.ceil(rate * seconds * 1.2) + 1024;
  const seenEnd = new Float64Array(capacity);
  const seenMs = new Float64Array(capacity);
  let seenCount = 0;
  let overruns = 0;
  const state = { running: true };
  const written = producer.run().finally(() => (state.running = false));
  const poll = () => {
    const events = snooper.pollCommands((pending, at, size, position, ringOffset, timeNs) => {
      writer.writePacket({ timestampNs: timeNs, data: pending.subarray(at, at + size), ringOffset });
      if (seenCount < capacity) {
        seenEnd[seenCount] = position + size;
        seenMs[seenCount++] = Number(timeNs / 1000n) / 1000;
      }
    });
    for (const event of events) if (event.kind === 'overrun') overruns++;
  };
  while (state.running) {
    poll();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  poll();
  snooper.close();
  writer.close();
  rmSync(shm, { force: true });
  const stats = await written;

  // Each command was published with the first batch whose producer value reaches its end.
  const triples = producer.publishLog();
  const latencies: number[] = [];
  let batch = 0;
  for (let i = 0; i < seenCount; i++) {
    while (batch * 3 < triples.length && triples[batch * 3]! < seenEnd[i]!) batch++;
    const publishedMs = triples[batch * 3 + 2];
    if (publishedMs !== undefined) latencies.push(seenMs[i]! - publishedMs);
  }
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  return [
    [`live: simulator at ${rate.toLocaleString('en')} commands/s for ${seconds} s, snooped every 1 ms`, `${stats.commands.toLocaleString('en')} written, ${seenCount.toLocaleString('en')} seen, ${stats.commands - seenCount} lost, ${overruns} overruns`],
    ['live: publication to seen, p50 / p99 / max', `${pct(0.5).toFixed(2)} / ${pct(0.99).toFixed(2)} / ${(latencies.at(-1) ?? Number.NaN).toFixed(2)} ms (target p99 within 20 ms)`],
  ];
}
