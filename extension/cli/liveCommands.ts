import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { PcapngWriter } from '../protocol/capture/pcapngWriter';
import { RingSnooper, SnoopError } from '../protocol/live/ringSnooper';
import { fenceTarget, RingSimulator } from '../protocol/simulate/ringSimulator';
import type { StreamPattern } from '../protocol/simulate/commandStream';
import { fenceCompletedMarker, overrunMarker } from '../protocol/trace/traceEvents';
import { loadProtocolForCli } from './cliProtocol';
import { readHeaderFile } from './nodeFiles';

// `gpupv simulate` and `gpupv snoop`: a live ring without a VM, and a capture of one.

const EMPTY = new Uint8Array(0);

export const LIVE_USAGE = `usage: gpupv simulate --shm FILE [--profile gpupv.json] [--rate N] [--pattern frames|random|stress]
                      [--fence-latency MS] [--duration S] [--ring-size BYTES] [--seed N]
       gpupv snoop <shm-file> --out capture.pcapng [--profile gpupv.json] [--duration S] [--interval MS]`;

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
  const loaded = await loadProtocolForCli(resolve(flags.get('profile') ?? 'gpupv.json'), err);
  if (!loaded) return 2;
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const simulator = new RingSimulator({
      file: resolve(file),
      protocol: loaded.protocol,
      fence: fenceTarget(loaded.protocol, loaded.fence),
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
  const { flags, positional } = parseFlags(args, ['out', 'profile', 'duration', 'interval']);
  const shm = positional[0];
  const output = flags.get('out');
  if (!shm || positional.length > 1) throw new LiveUsageError('give one shared-memory file to snoop');
  if (!output) throw new LiveUsageError('--out capture.pcapng is required');
  const loaded = await loadProtocolForCli(resolve(flags.get('profile') ?? 'gpupv.json'), err);
  if (!loaded) return 2;
  const fence = fenceTarget(loaded.protocol, loaded.fence);
  let snooper: RingSnooper;
  try {
    snooper = new RingSnooper(resolve(shm), loaded.protocol, fence ? { opcode: fence.opcode.value, valueOffset: fence.value.offset, valueSize: fence.value.size } : undefined);
  } catch (error) {
    if (error instanceof SnoopError) {
      err(error.message);
      return 2;
    }
    throw error;
  }
  const fd = openSync(resolve(output), 'w');
  // The capture names the profile it was taken with, so a decoder can tell it has the right one.
  const profileHash = createHash('sha256').update(readHeaderFile(resolve(flags.get('profile') ?? 'gpupv.json')) ?? '').digest('hex');
  const writer = new PcapngWriter((chunk) => writeSync(fd, chunk), { interfaceName: shm, description: 'GPU-PV command ring', application: 'gpupv snoop', profileHash });
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const summary = { commands: 0, overruns: 0, lostBytes: 0n, errors: 0, fences: [] as number[] };
  const interval = number(flags, 'interval', 1);
  const deadline = performance.now() + number(flags, 'duration', Number.POSITIVE_INFINITY) * 1000;
  try {
    while (!controller.signal.aborted && performance.now() < deadline) {
      let failed = false;
      const events = snooper.pollCommands((bytes, _position, ringOffset, timeNs) => {
        writer.writePacket({ timestampNs: timeNs, data: bytes, ringOffset });
        summary.commands++;
      });
      for (const event of events) {
        if (event.kind === 'overrun') {
          // In-band event markers: empty packets whose comment says what happened (see traceEvents.ts).
          writer.writePacket({ timestampNs: event.timeNs, data: EMPTY, comment: overrunMarker(event.lostBytes) });
          summary.overruns++;
          summary.lostBytes += event.lostBytes;
          err(`overrun: ${event.lostBytes} bytes written and overwritten between two polls were lost; resynchronised at the consumer`);
        } else if (event.kind === 'fence') {
          writer.writePacket({ timestampNs: event.completedNs, data: EMPTY, comment: fenceCompletedMarker(event.value) });
          summary.fences.push(Number(event.completedNs - event.seenNs) / 1e6);
        } else if (event.kind === 'error') {
          summary.errors++;
          err(event.message);
          failed = event.message.includes('mapping');
        }
      }
      if (failed) break;
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    snooper.close();
    writer.close();
    closeSync(fd);
  }
  summary.fences.sort((a, b) => a - b);
  const pct = (p: number) => summary.fences[Math.min(summary.fences.length - 1, Math.floor(p * summary.fences.length))];
  out(JSON.stringify({ commands: summary.commands, overruns: summary.overruns, lostBytes: summary.lostBytes.toString(), errors: summary.errors, fences: summary.fences.length, fenceLatencyMs: summary.fences.length ? { p50: pct(0.5), p99: pct(0.99), max: summary.fences.at(-1) } : null }));
  return summary.errors || summary.overruns ? 1 : 0;
}
