import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../harness/paths';

// `gpupv decode` end to end, the way CI scripts run it: the whole process, from start to
// exit, printing to /dev/null. The reference is tshark reading the same commands with a
// small Lua dissector (test/bench/pvgpuDissector.lua: the header and DRAW_INDEXED's
// fields); tshark is slow, so it reads a prefix of the capture and the rates are compared.

/** The header's four fields and DRAW_INDEXED's three, as both tools name them. */
const FIELDS = ['hdr.type', 'hdr.size', 'hdr.resource_id', 'hdr.flags', 'index_count', 'start_index', 'base_vertex'];
const TSHARK_FIELDS = ['pvgpu.type', 'pvgpu.size', 'pvgpu.resource_id', 'pvgpu.flags', 'pvgpu.index_count', 'pvgpu.start_index', 'pvgpu.base_vertex'];
const RUNS = 2;

export interface BenchCaptures {
  /** The whole bench capture and how many commands it has. */
  readonly capture: string;
  readonly count: number;
  /** Its first commands, for tshark. */
  readonly prefix: string;
  readonly prefixCount: number;
}

export function cliBenchmarks(captures: BenchCaptures): [string, string][] {
  const gpupv = join(repoRoot, 'dist', 'gpupv.js');
  const profile = join(repoRoot, 'demo', 'gpupv.json');
  const decode = (...args: string[]) => wholeProcessSeconds(process.execPath, [gpupv, 'decode', captures.capture, '--profile', profile, ...args]);
  const jsonlSeconds = decode('--format', 'jsonl');
  const fieldsSeconds = decode('--fields', FIELDS.join(','));

  const rate = (count: number, seconds: number) => count / seconds;
  const shown = (count: number, seconds: number) => `${seconds.toFixed(2)} s: ${formatRate(rate(count, seconds))}`;
  const rows: [string, string][] = [
    [`gpupv decode --format jsonl, whole process, ${captures.count.toLocaleString('en')} commands`, `${shown(captures.count, jsonlSeconds)} (target at least 2 M/s)`],
    [`gpupv decode --fields ${FIELDS.join(',')}`, shown(captures.count, fieldsSeconds)],
  ];
  const probe = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) return [...rows, ['reference: tshark with a Lua dissector', 'tshark not installed (npm run bench installs it)']];
  const version = /TShark \(Wireshark\) (\S+)/.exec(probe.stdout)?.[1] ?? '';
  const tshark = (...args: string[]) => wholeProcessSeconds('tshark', ['-r', captures.prefix, '-X', `lua_script:${join(repoRoot, 'test', 'bench', 'pvgpuDissector.lua')}`, ...args]);
  const tsharkFieldsSeconds = tshark('-T', 'fields', ...TSHARK_FIELDS.flatMap((f) => ['-e', f]));
  const tsharkJsonSeconds = tshark('-T', 'json');
  const ratio = (ours: number, theirs: number) => `${(rate(captures.count, ours) / rate(captures.prefixCount, theirs)).toFixed(1)}x`;
  return [
    ...rows,
    [`reference: tshark ${version} -T fields -e (the same 7 fields, Lua dissector), ${captures.prefixCount.toLocaleString('en')} commands`, shown(captures.prefixCount, tsharkFieldsSeconds)],
    [`reference: tshark ${version} -T json (the same dissector)`, shown(captures.prefixCount, tsharkJsonSeconds)],
    ['ratio: gpupv --fields / tshark -T fields (commands/s)', `${ratio(fieldsSeconds, tsharkFieldsSeconds)} (goal at least 20x)`],
    ['ratio: gpupv --format jsonl / tshark -T json (commands/s)', `${ratio(jsonlSeconds, tsharkJsonSeconds)} (goal at least 20x)`],
  ];
}

/** The fastest of a few runs of the whole process, its output thrown away. */
function wholeProcessSeconds(command: string, args: string[]): number {
  let fastest = Number.POSITIVE_INFINITY;
  for (let run = 0; run < RUNS; run++) {
    const devNull = openSync('/dev/null', 'w');
    try {
      const start = performance.now();
      const result = spawnSync(command, args, { stdio: ['ignore', devNull, 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      const seconds = (performance.now() - start) / 1000;
      // gpupv exits 1 when some commands could not be decoded whole; anything else is a failed run.
      if (result.error || (result.status !== 0 && result.status !== 1)) throw new Error(`${command} ${args.join(' ')} failed: ${result.error?.message ?? result.stderr}`);
      fastest = Math.min(fastest, seconds);
    } finally {
      closeSync(devNull);
    }
  }
  return fastest;
}

function formatRate(perSecond: number): string {
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)} M commands/s` : `${(perSecond / 1e3).toFixed(1)} k commands/s`;
}
