import { resolve } from 'node:path';
import type { FenceReport } from '../protocol/analysis/fenceAnalysis';
import { describeLifetimeProblem, LIFETIME_PROBLEM_KINDS, type LifetimeProblemKind, type LifetimeReport } from '../protocol/analysis/resourceLifetimes';
import { TraceAnalyses, type TraceAnalysisReport } from '../protocol/analysis/traceAnalyses';
import { CaptureTraceSource } from '../protocol/trace/captureSource';
import { openTraceFile, type TraceFileSource } from '../protocol/trace/openTrace';
import { loadProtocolForCli } from './cliProtocol';

// `gpupv stats <capture.pcapng|snapshot.bin> [--profile gpupv.json] [--json]`: per-opcode counts and
// bytes, fence latency (from the fence command being seen to the host completing it) overall
// and per opcode group, resource lifetime problems, commands that could not be framed, and
// overruns the snooper recorded.

export const STATS_USAGE = `usage: gpupv stats <capture.pcapng|snapshot.bin> [--profile gpupv.json] [--json]

Per-opcode counts and bytes; fence latency overall and per opcode group (a command waits for
the first fence at or after it), the slowest fences and those never completed; resource
lifetimes (use after destroy, double destroy, created again while alive, never destroyed).
Exit status: 0 fine, 1 commands that could not be framed, overruns, or a use after destroy,
double destroy or create of a live id (objects never destroyed are listed, not counted: a
capture usually ends before the driver tears down), 2 bad input.`;

export class StatsUsageError extends Error {}

/** The rows a command waits in before its fence completes, at most: a fence that never completes must not hold the whole capture. */
const MAX_ROWS_AWAITING_FENCE = 4_000_000;
/** Problems of each kind printed as text (all of them are in --json, up to the analysis's limit). */
const SHOWN = 5;

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
    const analyses = new TraceAnalyses(source);
    if (source instanceof CaptureTraceSource) {
      // Analysed a chunk at a time; rows are dropped as soon as no analysis needs them.
      while (source.indexNext()) {
        analyses.update();
        source.index.dropBefore(Math.max(analyses.neededFrom, source.index.endSeq - MAX_ROWS_AWAITING_FENCE));
      }
    }
    analyses.update();
    const report = analyses.report();
    if (json) out(JSON.stringify(jsonReport(report), (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2));
    else printReport(report, (opcode) => source.opcodeName(opcode), out);
    if (source.problem) {
      err(source.problem);
      return 2;
    }
    const stats = report.statistics;
    return stats.errors || stats.overruns.count || countedProblems(report.lifetimes) ? 1 : 0;
  } finally {
    source.close();
  }
}

const COUNTED: readonly LifetimeProblemKind[] = ['useAfterDestroy', 'doubleDestroy', 'recreated'];

function countedProblems(lifetimes: LifetimeReport | undefined): number {
  return lifetimes?.kinds.reduce((n, k) => n + COUNTED.reduce((m, p) => m + k.problems[p], 0), 0) ?? 0;
}

/** The trace's statistics as before, the opcode rows with their groups, and the analyses beside them. */
function jsonReport(report: TraceAnalysisReport): unknown {
  const { statistics, opcodes, fences, lifetimes } = report;
  return {
    ...statistics,
    opcodes,
    fences: { ...statistics.fences, groups: fences.groups, slowest: fences.slowest, unfinished: fences.unfinished, awaitingFence: fences.awaitingFence },
    ...(lifetimes ? { resources: lifetimes } : {}),
  };
}

const PROBLEM_NAMES: Readonly<Record<LifetimeProblemKind, string>> = {
  useAfterDestroy: 'used after destroy',
  doubleDestroy: 'destroyed twice',
  recreated: 'created again while alive',
  neverDestroyed: 'never destroyed',
};

function printReport(report: TraceAnalysisReport, opcodeName: (opcode: number) => string, out: (s: string) => void): void {
  const stats = report.statistics;
  out(`${stats.commands} commands, ${stats.bytes} bytes, ${stats.errors} unreadable, ${stats.overruns.count} overruns (${stats.overruns.lostBytes} bytes lost)`);
  for (const o of report.opcodes) out(`  ${o.name.padEnd(32)} ${o.group.padEnd(12)} ${String(o.count).padStart(10)} ${String(o.bytes).padStart(14)} bytes ${(o.countShare * 100).toFixed(1).padStart(5)}%`);
  const l = stats.fences.latencyMs;
  out(`fences: ${stats.fences.completed} completed, ${stats.fences.pending} never completed${l ? `; latency ms p50 ${l.p50.toFixed(3)}, p90 ${l.p90.toFixed(3)}, p99 ${l.p99.toFixed(3)}, max ${l.max.toFixed(3)}` : ''}`);
  printFences(report.fences, out);
  if (report.lifetimes) printLifetimes(report.lifetimes, opcodeName, out);
}

function printFences(fences: FenceReport, out: (s: string) => void): void {
  const timed = fences.groups.filter((g) => g.latencyMs);
  if (timed.length > 0) {
    out('  per opcode group, from a command to its fence completing, ms:');
    for (const g of timed) {
      const l = g.latencyMs!;
      const range = g.first === undefined ? '' : `0x${g.first.toString(16)}-0x${g.last!.toString(16)}`;
      out(`    ${g.group.padEnd(12)} ${range.padEnd(14)} ${String(g.commands).padStart(10)} commands  p50 ${l.p50.toFixed(3)}  p90 ${l.p90.toFixed(3)}  p99 ${l.p99.toFixed(3)}  max ${l.max.toFixed(3)}`);
    }
  }
  if (fences.slowest.length > 0) out(`  slowest: ${fences.slowest.slice(0, SHOWN).map((f) => `#${f.seq} (value ${f.value}) ${f.latencyMs.toFixed(3)} ms`).join(', ')}`);
  if (fences.unfinished.count > 0) out(`  ${fences.unfinished.state}: ${fences.unfinished.first.slice(0, SHOWN).map((f) => `#${f.seq} (value ${f.value})`).join(', ')}${fences.unfinished.count > SHOWN ? ` and ${fences.unfinished.count - SHOWN} more` : ''}`);
}

function printLifetimes(lifetimes: LifetimeReport, opcodeName: (opcode: number) => string, out: (s: string) => void): void {
  out(`resources (kinds ${lifetimes.origin === 'gpupv.json' ? 'from gpupv.json' : 'inferred from the header'}):`);
  for (const k of lifetimes.kinds) {
    const problems = LIFETIME_PROBLEM_KINDS.filter((p) => k.problems[p] > 0).map((p) => `${k.problems[p]} ${PROBLEM_NAMES[p]}`);
    out(`  ${k.name}: ${k.created} created, ${k.destroyed} destroyed, ${k.used} uses, ${k.alive} alive, ${k.unknownOrigin.count} of unknown origin${problems.length ? `; ${problems.join(', ')}` : ''}`);
  }
  for (const kind of LIFETIME_PROBLEM_KINDS) {
    const found = lifetimes.problems.filter((p) => p.kind === kind);
    for (const problem of found.slice(0, SHOWN)) out(`    ${describeLifetimeProblem(problem, opcodeName)}`);
    if (found.length > SHOWN) out(`    ... and ${found.length - SHOWN} more ${PROBLEM_NAMES[kind]}`);
  }
  for (const note of lifetimes.notes) out(`  note: ${note}`);
}
