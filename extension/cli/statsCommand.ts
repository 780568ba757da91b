import { resolve } from 'node:path';
import { CaptureTraceSource } from '../protocol/trace/captureSource';
import { openTraceFile, type TraceFileSource } from '../protocol/trace/openTrace';
import { loadProtocolForCli } from './cliProtocol';

// `gpupv stats <capture.pcapng|snapshot.bin> [--profile gpupv.json] [--json]`: per-opcode counts and
// bytes, fence latency (from the fence command being seen to the host completing it),
// commands that could not be framed, and overruns the snooper recorded.

export const STATS_USAGE = 'usage: gpupv stats <capture.pcapng|snapshot.bin> [--profile gpupv.json] [--json]';

export class StatsUsageError extends Error {}

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
  const protocol = await loadProtocolForCli(profile, err);
  if (!protocol) return 2;
  let source: TraceFileSource;
  try {
    source = openTraceFile(file, protocol);
  } catch (error) {
    err(`${file}: cannot read it (${error instanceof Error ? error.message : String(error)})`);
    return 2;
  }
  try {
    // Statistics cover the whole trace; the rows themselves are not needed once counted.
    if (source instanceof CaptureTraceSource) while (source.indexNext()) source.index.dropBefore(source.index.endSeq);
    const stats = source.statistics();
    if (json) out(JSON.stringify(stats, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2));
    else {
      out(`${stats.commands} commands, ${stats.bytes} bytes, ${stats.errors} unreadable, ${stats.overruns.count} overruns (${stats.overruns.lostBytes} bytes lost)`);
      for (const o of stats.opcodes) out(`  ${o.name.padEnd(32)} ${String(o.count).padStart(10)} ${String(o.bytes).padStart(14)} bytes`);
      const l = stats.fences.latencyMs;
      out(`fences: ${stats.fences.completed} completed, ${stats.fences.pending} never completed${l ? `; latency ms p50 ${l.p50.toFixed(3)}, p90 ${l.p90.toFixed(3)}, p99 ${l.p99.toFixed(3)}, max ${l.max.toFixed(3)}` : ''}`);
    }
    if (source.problem) {
      err(source.problem);
      return 2;
    }
    return stats.errors || stats.overruns.count ? 1 : 0;
  } finally {
    source.close();
  }
}
