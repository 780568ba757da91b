import { resolve } from 'node:path';
import { ABI_NAMES, DEFAULT_ABI, isAbiName, type AbiName } from '../protocol/abi';
import { formatDiagnostic } from '../protocol/diagnostics';
import { analyzeHeader, type HeaderAnalysis } from '../protocol/headerAnalysis';
import { diffAbis } from '../protocol/report/abiDiff';
import { cCommandCodecs } from '../protocol/codegen/cCodegen';
import { rustMirror } from '../protocol/codegen/rustCodegen';
import { tsCodecs } from '../protocol/codegen/tsCodegen';
import type { CommandProfile } from '../protocol/profile/commandProfile';
import { loadProtocol, ProtocolLoadError } from '../protocol/profile/loadProtocol';
import { printRustMirrorDiff } from './mirrorCommand';
import { layoutJson } from '../protocol/report/layoutJson';
import { paholeText } from '../protocol/report/paholeText';
import { DECODE_USAGE, DecodeUsageError, runDecode } from './decodeCommand';
import { runDriverCommand } from './driverCommand';
import type { OutputSink } from './decodeOutput';
import { LIVE_USAGE, LiveUsageError, runSimulate, runSnoop } from './liveCommands';
import { readHeaderFile } from '../protocol/localFiles';
import { runProfileInit } from './profileCommand';
import { runStats, STATS_USAGE, StatsUsageError } from './statsCommand';

// `gpupv`: the protocol engine on the command line, for CI and for people outside VS Code.
// Exit status: 0 fine, 1 the compared ABIs differ, 2 the header has errors (what could be
// read is still printed) or the command line is wrong.

const USAGE = `usage: gpupv layout <header.h> [options]
       gpupv layout --diff-rust <mirror.rs> <header.h> [options]   (does a Rust mirror still match?)
       gpupv codegen --lang c|rust|ts <header.h> [options] | --profile gpupv.json   (code from the header)
       gpupv decode <capture.pcapng|snapshot.bin> [options]   (gpupv decode --help)
       gpupv simulate --shm FILE ... | gpupv snoop <shm-file> --out capture.pcapng ...
       gpupv stats <capture.pcapng> [--profile gpupv.json] [--json]
       gpupv profile init <header.h> [--write gpupv.json]   (propose a decoding profile)
       gpupv driver init [folder] [--write] [--json]   (propose the driver section)

  --abi ABI             ${ABI_NAMES.join(', ')} (default ${DEFAULT_ABI})
  --struct NAME         only this record (tag or typedef name); repeatable
  -I DIR                add an include directory; repeatable
  -D NAME[=VALUE]       define a macro; repeatable
  --json                print layouts as JSON
  --diff-abi A,B        list every record whose layout differs between ABIs A and B
  --diff-rust FILE.rs   compare a Rust mirror's structs, enums and consts with the header on --abi
  -h, --help            this text`;

interface LayoutCommand {
  header: string;
  abi: AbiName;
  structs: Set<string>;
  includeDirs: string[];
  defines: Record<string, string | undefined>;
  json: boolean;
  diff: [AbiName, AbiName] | undefined;
  /** `--diff-rust`: the Rust mirror to compare. */
  rustMirror: string | undefined;
}

class UsageError extends Error {}

/**
 * Runs a command: `out` and `err` take lines, `sink` the bulk output of `decode` (chunks of
 * whole lines; by default handed to `out` a chunk at a time).
 */
export async function main(argv: readonly string[], out: (s: string) => void, err: (s: string) => void, sink: OutputSink = linesTo(out)): Promise<number> {
  try {
    if (argv[0] === 'profile') return await runProfileInit(argv.slice(1), out, err);
    if (argv[0] === 'driver') return await runDriverCommand(argv.slice(1), out, err);
    if (argv[0] === 'decode' && (argv.includes('-h') || argv.includes('--help'))) {
      out(DECODE_USAGE);
      return 0;
    }
    if (argv.length === 0 || argv.includes('-h') || argv.includes('--help')) {
      out(USAGE);
      return argv.length === 0 ? 2 : 0;
    }
    if (argv[0] === 'decode') return await runDecode(argv.slice(1), sink, err);
    if (argv[0] === 'simulate') return await runSimulate(argv.slice(1), out, err);
    if (argv[0] === 'snoop') return await runSnoop(argv.slice(1), out, err);
    if (argv[0] === 'stats') return await runStats(argv.slice(1), out, err);
    if (argv[0] === 'codegen') return await runCodegen(argv.slice(1), out, err);
    if (argv[0] !== 'layout') throw new UsageError(`unknown command "${argv[0]!}"`);
    const command = parseLayoutArguments(argv.slice(1));
    if (command.rustMirror) {
      const analysis = await analyze(command, command.abi);
      const failed = reportDiagnostics(analysis, err);
      const code = await printRustMirrorDiff(analysis, command.rustMirror, command.json, out, err);
      return failed ? 2 : code;
    }
    return command.diff ? await runDiff(command, out, err) : await runLayout(command, out, err);
  } catch (error) {
    if (error instanceof StatsUsageError) {
      err(`gpupv: ${error.message}\n\n${STATS_USAGE}`);
      return 2;
    }
    if (error instanceof LiveUsageError) {
      err(`gpupv: ${error.message}\n\n${LIVE_USAGE}`);
      return 2;
    }
    if (error instanceof DecodeUsageError) {
      err(`gpupv: ${error.message}\n\n${DECODE_USAGE}`);
      return 2;
    }
    if (error instanceof UsageError) {
      err(`gpupv: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    err(`gpupv: internal error: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.GPUPV_DEBUG && error instanceof Error && error.stack) err(error.stack);
    return 2;
  }
}

function linesTo(out: (s: string) => void): OutputSink {
  const decoder = new TextDecoder();
  return {
    write: (chunk) => {
      // Chunks end with a newline, which `out` adds back.
      out(decoder.decode(chunk.subarray(0, chunk.length - 1)));
      return true;
    },
    drained: () => Promise.resolve(),
  };
}

/**
 * Standard output with its backpressure: at most a few megabytes queued in the stream. Once
 * the reader has gone (`| head`), waiting lets the stream's error reach its handler.
 */
function stdoutSink(): OutputSink {
  const queued = 8 * 1024 * 1024;
  const stdout = process.stdout;
  return {
    write: (chunk) => {
      stdout.write(chunk);
      return !stdout.destroyed && stdout.writableLength < queued;
    },
    drained: () =>
      new Promise((resolve) => {
        if (stdout.destroyed) {
          setImmediate(resolve);
          return;
        }
        const done = () => {
          stdout.off('drain', done).off('close', done);
          resolve();
        };
        stdout.once('drain', done).once('close', done);
      }),
  };
}

function parseLayoutArguments(args: readonly string[]): LayoutCommand {
  const command: LayoutCommand = { header: '', abi: DEFAULT_ABI, structs: new Set(), includeDirs: [], defines: {}, json: false, diff: undefined, rustMirror: undefined };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = (): string => {
      const attached = /^-[ID]./.test(arg) ? arg.slice(2) : undefined;
      if (attached !== undefined) return attached;
      const next = args[++i];
      if (next === undefined) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--abi') command.abi = abiName(value());
    else if (arg === '--struct') command.structs.add(value());
    else if (arg.startsWith('-I')) command.includeDirs.push(resolve(value()));
    else if (arg.startsWith('-D')) {
      const [name, ...rest] = value().split('=');
      if (!name || !/^[A-Za-z_]\w*$/.test(name)) throw new UsageError(`-D needs NAME or NAME=VALUE`);
      command.defines[name] = rest.length ? rest.join('=') : undefined;
    } else if (arg === '--json') command.json = true;
    else if (arg === '--diff-abi') {
      const names = value().split(',');
      if (names.length !== 2) throw new UsageError('--diff-abi takes two ABIs separated by a comma');
      command.diff = [abiName(names[0]!), abiName(names[1]!)];
    } else if (arg === '--diff-rust') command.rustMirror = resolve(value());
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else if (command.header) throw new UsageError(`only one header, got "${command.header}" and "${arg}"`);
    else command.header = resolve(arg);
  }
  if (!command.header) throw new UsageError('no header given');
  if (command.rustMirror && command.diff) throw new UsageError('--diff-rust and --diff-abi compare different things: give one');
  return command;
}

/**
 * `codegen --lang c|rust|ts`: from a header (`--abi`, `-I`, `-D` as for layout) or from the
 * profile that names it (`--profile gpupv.json`), which also says which struct each opcode
 * uses and so adds command writers and readers. C codecs need the profile.
 */
async function runCodegen(args: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const rest = [...args];
  const take = (option: string): string | undefined => {
    const at = rest.indexOf(option);
    if (at < 0) return undefined;
    const value = rest[at + 1];
    if (value === undefined) throw new UsageError(`${option} needs a value`);
    rest.splice(at, 2);
    return value;
  };
  const lang = take('--lang');
  const profilePath = take('--profile');
  if (lang !== 'c' && lang !== 'rust' && lang !== 'ts') throw new UsageError(lang === undefined ? 'codegen needs --lang c, rust or ts' : `codegen writes c, rust or ts; "${lang}" is not one of them`);
  let analysis: HeaderAnalysis;
  let header: string;
  let profile: CommandProfile | undefined;
  if (profilePath !== undefined) {
    if (rest.length) throw new UsageError('with --profile the header and ABI come from gpupv.json: give no header or layout options');
    try {
      const protocol = await loadProtocol(resolve(profilePath), readHeaderFile);
      ({ analysis, command: profile } = protocol);
      header = protocol.analysis.files[0]!;
    } catch (error) {
      if (!(error instanceof ProtocolLoadError)) throw error;
      for (const problem of error.problems) err(problem);
      return 2;
    }
  } else {
    if (lang === 'c') throw new UsageError('codegen --lang c writes command writers and readers, which need the profile: give --profile gpupv.json');
    const command = parseLayoutArguments(rest);
    analysis = await analyze(command, command.abi);
    header = command.header;
  }
  if (reportDiagnostics(analysis, err)) return 2;
  out(lang === 'rust' ? rustMirror(analysis, header) : lang === 'ts' ? tsCodecs(analysis, header, profile) : cCommandCodecs(header, profile!));
  return 0;
}

function abiName(value: string): AbiName {
  if (!isAbiName(value)) throw new UsageError(`unknown ABI "${value}"; use one of ${ABI_NAMES.join(', ')}`);
  return value;
}

function analyze(command: LayoutCommand, abi: AbiName): Promise<HeaderAnalysis> {
  return analyzeHeader(command.header, { abi, includeDirs: command.includeDirs, defines: command.defines, readFile: readHeaderFile });
}

/** Prints diagnostics to stderr; true when any is an error. */
function reportDiagnostics(analysis: HeaderAnalysis, err: (s: string) => void, label = ''): boolean {
  for (const d of analysis.diagnostics) if (d.severity !== 'info') err(`${formatDiagnostic(d)}${label}`);
  return analysis.diagnostics.some((d) => d.severity === 'error');
}

async function runLayout(command: LayoutCommand, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const analysis = await analyze(command, command.abi);
  const failed = reportDiagnostics(analysis, err);
  const only = command.structs.size ? command.structs : undefined;
  if (command.json) {
    out(JSON.stringify(layoutJson(analysis, only), null, 2));
  } else {
    const records = analysis.records.filter((r) => !only || only.has(r.name) || (r.tag !== undefined && only.has(r.tag)) || r.typedefNames.some((n) => only.has(n)));
    out(records.map(paholeText).join('\n\n'));
  }
  if (only) {
    for (const name of only) {
      if (!analysis.records.some((r) => r.name === name || r.tag === name || r.typedefNames.includes(name))) {
        err(`gpupv: no struct or union named "${name}" in ${command.header}`);
        return 2;
      }
    }
  }
  return failed ? 2 : 0;
}

async function runDiff(command: LayoutCommand, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const [a, b] = command.diff!;
  const left = await analyze(command, a);
  const right = await analyze(command, b);
  const leftFailed = reportDiagnostics(left, err, ` [${a}]`);
  const failed = reportDiagnostics(right, err, ` [${b}]`) || leftFailed;
  const only = command.structs.size ? command.structs : undefined;
  const differences = diffAbis(left, right).filter((d) => !only || only.has(d.record));
  if (command.json) {
    out(JSON.stringify({ abis: [a, b], differences }, null, 2));
  } else if (differences.length === 0) {
    out(`${left.records.length} records, identical on ${a} and ${b}`);
  } else {
    for (const d of differences) {
      out(`${d.file}:${d.line}: ${d.record}: ${d.sizes[0]} bytes on ${a}, ${d.sizes[1]} on ${b}; ${d.field ? `first difference at \`${d.field}\`: ` : ''}${d.reason}`);
    }
    out(`${differences.length} of ${left.records.length} records differ between ${a} and ${b}`);
  }
  if (failed) return 2;
  return differences.length ? 1 : 0;
}

if (require.main === module) {
  // `gpupv decode big.pcapng | head`: a reader that stops early is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  main(process.argv.slice(2), (s) => process.stdout.write(s + '\n'), (s) => process.stderr.write(s + '\n'), stdoutSink()).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = 2;
    },
  );
}
