import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readPcapng } from '../protocol/capture/pcapngReader';
import { readUnsigned } from '../protocol/ring/recordFraming';
import { fenceTarget } from '../protocol/simulate/ringSimulator';
import { traceEventOf } from '../protocol/trace/traceEvents';
import { loadProtocolForCli } from './cliProtocol';

// `gpupv stats <capture.pcapng> [--profile gpupv.json] [--json]`: per-opcode counts and
// bytes, fence latency (from the fence command being seen to the host completing it),
// commands that could not be framed, and overruns the snooper recorded.

export const STATS_USAGE = 'usage: gpupv stats <capture.pcapng> [--profile gpupv.json] [--json]';

export class StatsUsageError extends Error {}

export interface CaptureStats {
  commands: number;
  bytes: number;
  opcodes: { name: string; count: number; bytes: number }[];
  fences: { completed: number; pending: number; latencyMs?: { p50: number; p90: number; p99: number; max: number } };
  errors: number;
  overruns: { count: number; lostBytes: string };
}

export async function runStats(args: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let file: string | undefined;
  let profile = resolve('gpupv.json');
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--profile') profile = resolve(args[++i] ?? '');
    else if (arg === '--json') json = true;
    else if (arg.startsWith('-')) throw new StatsUsageError(`unknown option ${arg}`);
    else if (file) throw new StatsUsageError('only one capture');
    else file = resolve(arg);
  }
  if (!file) throw new StatsUsageError('no capture given');
  const loaded = await loadProtocolForCli(profile, err);
  if (!loaded) return 2;
  const { protocol } = loaded;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    err(`${file}: cannot read it (${error instanceof Error ? error.message : String(error)})`);
    return 2;
  }
  const capture = readPcapng(bytes);
  const fence = fenceTarget(protocol, loaded.fence);
  const framing = protocol.command.framing;
  const byOpcode = new Map<bigint, { count: number; bytes: number }>();
  const fenceSeen = new Map<bigint, bigint>();
  const latencies: number[] = [];
  const stats: CaptureStats = { commands: 0, bytes: 0, opcodes: [], fences: { completed: 0, pending: 0 }, errors: 0, overruns: { count: 0, lostBytes: '0' } };
  let lost = 0n;
  for (const packet of capture.packets) {
    const event = traceEventOf(packet.data, packet.comment);
    if (event?.kind === 'overrun') {
      stats.overruns.count++;
      lost += event.lostBytes;
      continue;
    }
    if (event?.kind === 'fenceCompleted') {
      // The host reports the highest completed value: every fence up to it is done.
      for (const [value, seen] of fenceSeen) {
        if (value > event.value) continue;
        latencies.push(Number(packet.timestampNs - seen) / 1e6);
        fenceSeen.delete(value);
      }
      continue;
    }
    if (packet.data.byteLength < framing.headerSize) {
      stats.errors++;
      continue;
    }
    const opcode = BigInt(readUnsigned(packet.data, 0, framing.opcode));
    const entry = byOpcode.get(opcode) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += packet.data.byteLength;
    byOpcode.set(opcode, entry);
    stats.commands++;
    stats.bytes += packet.data.byteLength;
    if (opcode === fence?.opcode.value && packet.data.byteLength >= fence.value.offset + fence.value.size) {
      fenceSeen.set(BigInt(readUnsigned(packet.data, 0, { offset: fence.value.offset, size: fence.value.size, byteOrder: 'little' })), packet.timestampNs);
    }
  }
  stats.opcodes = [...byOpcode].map(([value, e]) => ({ name: protocol.command.opcodes.get(value)?.shortName ?? `0x${value.toString(16)}`, ...e })).sort((a, b) => b.count - a.count);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)]!;
  stats.fences = { completed: latencies.length, pending: fenceSeen.size, ...(latencies.length ? { latencyMs: { p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), max: latencies.at(-1)! } } : {}) };
  stats.overruns.lostBytes = lost.toString();
  if (json) out(JSON.stringify(stats, null, 2));
  else {
    out(`${stats.commands} commands, ${stats.bytes} bytes, ${stats.errors} unreadable, ${stats.overruns.count} overruns (${lost} bytes lost)`);
    for (const o of stats.opcodes) out(`  ${o.name.padEnd(32)} ${String(o.count).padStart(10)} ${String(o.bytes).padStart(14)} bytes`);
    const l = stats.fences.latencyMs;
    out(`fences: ${stats.fences.completed} completed, ${stats.fences.pending} never completed${l ? `; latency ms p50 ${l.p50.toFixed(3)}, p90 ${l.p90.toFixed(3)}, p99 ${l.p99.toFixed(3)}, max ${l.max.toFixed(3)}` : ''}`);
  }
  if (capture.error) {
    err(`${file}: ${capture.error.message}`);
    return 2;
  }
  return stats.errors || stats.overruns.count ? 1 : 0;
}
