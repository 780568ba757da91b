import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readHeaderFile } from '../../extension/protocol/localFiles';
import { AnalysisCache } from '../../extension/protocol/analysisCache';
import { analyzeHeader } from '../../extension/protocol/headerAnalysis';
import { compiledTests, repoRoot } from '../harness/paths';
import { generateProtocolHeader } from './generatedHeader';
import { hyperVBenchmark } from './hyperVBenchmark';
import { liveBenchmark } from './liveBenchmark';
import { deployBenchmark } from './deployBenchmark';
import { sshCopyBenchmark } from './sshCopyBenchmark';
import { traceBenchmarks } from './traceBenchmarks';

// `npm run bench`: how fast the protocol engine reads headers, next to a reference run
// on the same machine in the same run (gcc and clang parsing the same file), so the
// figures mean something on any machine. Medians of several runs; nothing here asserts.

const RUNS = 15;

async function median(runs: number, body: () => unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await body();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function compilerMs(command: string, args: string[]): number | undefined {
  const probe = spawnSync(command, ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) return undefined;
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    const result = spawnSync(command, args, { encoding: 'utf8' });
    times.push(performance.now() - start);
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr}`);
  }
  times.sort((a, b) => a - b);
  return times[2];
}

/**
 * The viewer's benchmarks drive a browser: a script of their own (with DOM types), printing
 * its rows as JSON. When it fails (its stderr says where), the figures measured before it still print.
 */
function viewerBenchmarks(dir: string, capture: string, count: number): [string, string][] {
  const run = spawnSync(process.execPath, [join(compiledTests, 'bench', 'viewer', 'viewerBenchmarks.js'), dir, capture, String(count)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  if (run.status !== 0) {
    process.exitCode = 1;
    return [['viewer', `the viewer benchmarks failed (exit code ${run.status}); their output above says at which step`]];
  }
  return JSON.parse(run.stdout) as [string, string][];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gpupv-bench-'));
  try {
    const generated = join(dir, 'generated5000.h');
    writeFileSync(generated, generateProtocolHeader(5000));
    const sample = join(repoRoot, 'demo', 'include', 'pvgpu_protocol.h');
    const options = { abi: 'msvc-x64' as const, readFile: readHeaderFile };

    const first = performance.now();
    const warm = await analyzeHeader(generated, options);
    const coldMs = performance.now() - first;
    const errors = warm.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) throw new Error(`the generated header has errors: ${errors[0]!.message}`);

    const generatedMs = await median(RUNS, () => analyzeHeader(generated, options));
    const generatedSysvMs = await median(RUNS, () => analyzeHeader(generated, { ...options, abi: 'sysv-x86_64' }));
    const sampleMs = await median(RUNS, () => analyzeHeader(sample, options));
    const cache = new AnalysisCache();
    await cache.analyze(generated, options);
    const hitMs = await median(200, () => cache.analyze(generated, options));

    const gccMs = compilerMs('gcc', ['-std=c11', '-fsyntax-only', generated]);
    const clangMs = compilerMs('clang', ['--target=x86_64-pc-windows-msvc', '-std=c11', '-fsyntax-only', generated]);

    const rows: [string, string][] = [
      ['generated header: lines / records / leaf fields', `5000 / ${warm.records.length} / ${warm.records.reduce((n, r) => n + r.fields.length, 0)}`],
      ['first analysis (loads the WebAssembly parser)', `${coldMs.toFixed(1)} ms`],
      ['parse + layout, 5,000-line header, msvc-x64 (target < 300 ms)', `${generatedMs.toFixed(1)} ms`],
      ['parse + layout, 5,000-line header, sysv-x86_64', `${generatedSysvMs.toFixed(1)} ms`],
      [`parse + layout, demo/include/pvgpu_protocol.h (${warm.records.length ? '' : ''}sample header)`, `${sampleMs.toFixed(2)} ms`],
      ['cache hit (re-read + hash the files, 5,000-line header)', `${hitMs.toFixed(3)} ms`],
      ['reference: gcc -fsyntax-only, same header (whole process)', gccMs === undefined ? 'gcc not installed' : `${gccMs.toFixed(1)} ms`],
      ['reference: clang --target=x86_64-pc-windows-msvc -fsyntax-only', clangMs === undefined ? 'clang not installed' : `${clangMs.toFixed(1)} ms`],
    ];
    if (gccMs !== undefined) rows.push(['ratio: gpupv parse + layout / gcc -fsyntax-only', `${(generatedMs / gccMs).toFixed(2)}x`]);
    if (clangMs !== undefined) rows.push(['ratio: gpupv parse + layout / clang (MSVC target)', `${(generatedMs / clangMs).toFixed(2)}x`]);
    const traces = await traceBenchmarks(dir);
    rows.push(['', ''], ...traces.rows, ['', ''], ...(await liveBenchmark(dir)));
    rows.push(['', ''], ...viewerBenchmarks(dir, traces.capture.file, traces.capture.count));
    rows.push(['', ''], ...(await hyperVBenchmark(dir)));
    rows.push(['', ''], ...(await sshCopyBenchmark(dir)));
    rows.push(['', ''], ...(await deployBenchmark(dir)));
    const width = Math.max(...rows.map(([k]) => k.length));
    console.log(`Protocol engine benchmarks (Node ${process.version}; headers: median of ${RUNS} runs; traces: best of 3)\n`);
    for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
