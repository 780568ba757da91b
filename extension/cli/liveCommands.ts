import { resolve } from 'node:path';
import { SnoopError } from '../protocol/live/ringSnooper';
import { RingSimulator } from '../protocol/simulate/ringSimulator';
import type { StreamPattern } from '../protocol/simulate/commandStream';
import type { LiveTraceSource } from '../protocol/trace/liveSource';
import { openLiveRing } from '../protocol/trace/openTrace';
import { loadProtocolForCli } from './cliProtocol';

// `gpupv simulate` and `gpupv snoop`: a live ring without a VM, and a capture of one.

export const LIVE_USAGE = `usage: gpupv simulate --shm FILE [--profile gpupv.json] [--rate N] [--pattern frames|random|stress]
                      [--fence-latency MS] [--duration S] [--ring-size BYTES] [--seed N]
       gpupv snoop <shm-file> --out capture.pcapng [--profile gpupv.json] [--duration S] [--interval MS]
       gpupv snoop --mapping 'Global\\pvgpu_shmem_vm1' --out capture.pcapng [...]   (a Windows named mapping)`;

export class LiveUsageError extends Error {}

type Flags = Map<string, string>;

function parseFlags(args: readonly string[], known: readonly string[]): { flags: Flags; positional: string[] } {
  const flags: Flags = new Map();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const name = arg.slice(2);
    if (!known.includes(name)) throw new LiveUsageError(`unknown option ${arg}`);
    const value = args[++i];
    if (value === undefined) throw new LiveUsageError(`${arg} needs a value`);
    flags.set(name, value);
  }
  return { flags, positional };
}

function number(flags: Flags, name: string, fallback: number, min = 0): number {
  const text = flags.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) throw new LiveUsageError(`--${name} needs a number of at least ${min}, not "${text}"`);
  return value;
}

export async function runSimulate(args: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const { flags } = parseFlags(args, ['shm', 'profile', 'rate', 'pattern', 'fence-latency', 'duration', 'ring-size', 'seed', 'consumer-lag']);
  const file = flags.get('shm');
  if (!file) throw new LiveUsageError('--shm FILE is required: the shared-memory file to create (for example /dev/shm/gpupv-ring)');
  const pattern = (flags.get('pattern') ?? 'frames') as StreamPattern;
  if (!['frames', 'random', 'stress'].includes(pattern)) throw new LiveUsageError('--pattern is frames, random or stress');
  const protocol = await loadProtocolForCli(resolve(flags.get('profile') ?? 'gpupv.json'), err);
  if (!protocol) return 2;
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const simulator = new RingSimulator({
      file: resolve(file),
      protocol,
      rate: number(flags, 'rate', 10_000, 1),
      pattern,
      ringSize: number(flags, 'ring-size', 1 << 20, 64),
      consumerLagMs: number(flags, 'consumer-lag', 1),
      fenceLatencyMs: number(flags, 'fence-latency', 2),
      seed: number(flags, 'seed', 1),
    });
    err(`simulating ${pattern} at ${number(flags, 'rate', 10_000, 1)} commands/s into ${resolve(file)} (ring of ${simulator.geometry.ringSize} bytes at ${simulator.geometry.ringOffset}); Ctrl+C stops`);
    const stats = await simulator.run(number(flags, 'duration', Number.POSITIVE_INFINITY) * 1000, controller.signal);
    out(JSON.stringify(stats));
    return 0;
  } catch (error) {
    err(`gpupv simulate: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

export async function runSnoop(args: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const { flags, positional } = parseFlags(args, ['out', 'profile', 'duration', 'interval', 'mapping']);
  const shm = positional[0];
  const mapping = flags.get('mapping');
  const output = flags.get('out');
  if ((shm === undefined) === (mapping === undefined) || positional.length > 1) throw new LiveUsageError('give one shared-memory file to snoop, or --mapping NAME for a Windows named mapping');
  if (!output) throw new LiveUsageError('--out capture.pcapng is required');
  const protocol = await loadProtocolForCli(resolve(flags.get('profile') ?? 'gpupv.json'), err);
  if (!protocol) return 2;
  let live: LiveTraceSource;
  try {
    // Only recording: no row is kept for viewing.
    live = openLiveRing(mapping === undefined ? { path: resolve(shm!) } : { mapping }, protocol, { keepRows: 0 });
  } catch (error) {
    if (error instanceof SnoopError) {
      err(error.message);
      return 2;
    }
    throw error;
  }
  const summary = { errors: 0, fences: [] as number[] };
  live.onEvent((event) => {
    if (event.kind === 'overrun') err(`overrun: ${event.lostBytes} bytes written and overwritten between two polls were lost; resynchronised at the consumer`);
    else if (event.kind === 'fence') summary.fences.push(event.latencyMs);
    else if (event.kind === 'error') {
      summary.errors++;
      err(event.message);
    }
  });
  live.startRecording(resolve(output));
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const interval = number(flags, 'interval', 1);
  const deadline = performance.now() + number(flags, 'duration', Number.POSITIVE_INFINITY) * 1000;
  try {
    while (!controller.signal.aborted && performance.now() < deadline && live.status.state !== 'ended') {
      live.poll();
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    live.close();
  }
  const status = live.status;
  summary.fences.sort((a, b) => a - b);
  const pct = (p: number) => summary.fences[Math.min(summary.fences.length - 1, Math.floor(p * summary.fences.length))];
  const overruns = live.index.overrunCount;
  out(JSON.stringify({ commands: status.commands, overruns, lostBytes: status.lostBytes.toString(), errors: summary.errors, fences: summary.fences.length, fenceLatencyMs: summary.fences.length ? { p50: pct(0.5), p99: pct(0.99), max: summary.fences.at(-1) } : null }));
  return summary.errors || overruns ? 1 : 0;
}
