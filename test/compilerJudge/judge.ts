// Judges a layout JSON against real compilers: static asserts for sizes, alignments, offsets
// and constants; bit-fields measured by running a gcc-built program (System V x86-64, the
// host) or read from clang's record-layout dump (targets that cannot run here).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { locateBitField, parseRecordDump, probeKey, recordProbeSource, type BitFieldPlacement, type DumpedRecord } from './clangRecordDump';
import { bitFieldProgramSource, compilerErrors, failedAssertCheckId, planChecks, revealSource, staticAssertSource } from './layoutChecks';
import type { AbiName, BitFieldCheck, CompilerError, GeneratedSource, LayoutJson, StaticCheck } from './layoutChecks';

export interface JudgeOptions {
  header: string;
  includeDirs?: string[];
  layout: LayoutJson;
  /** Defaults to layout.abi. */
  abi?: AbiName;
  /** Per compiler or program run. */
  timeoutMs?: number;
}

export interface JudgeResult {
  records: number;
  fields: number;
  checks: number;
  mismatches: string[];
}

interface Toolchain {
  compiler: 'gcc' | 'clang';
  targetFlags: string[];
  bitFields: 'run' | 'dump';
}

const HOST_IS_SYSV_X64 = process.platform === 'linux' && process.arch === 'x64';

/** -nostdlibinc keeps the host's /usr/include (x86-64 glibc) out of cross targets; clang's own stdint.h, stddef.h and friends remain. */
const TOOLCHAINS: Record<AbiName, Toolchain> = {
  'sysv-x86_64': HOST_IS_SYSV_X64
    ? { compiler: 'gcc', targetFlags: [], bitFields: 'run' }
    : { compiler: 'clang', targetFlags: ['--target=x86_64-linux-gnu', '-nostdlibinc'], bitFields: 'dump' },
  'sysv-aarch64': { compiler: 'clang', targetFlags: ['--target=aarch64-linux-gnu', '-nostdlibinc'], bitFields: 'dump' },
  'msvc-x64': { compiler: 'clang', targetFlags: ['--target=x86_64-pc-windows-msvc', '-nostdlibinc'], bitFields: 'dump' },
  'msvc-arm64': { compiler: 'clang', targetFlags: ['--target=aarch64-pc-windows-msvc', '-nostdlibinc'], bitFields: 'dump' },
};

/** Report every error, not the first few; plain one-line diagnostics. */
const DIAGNOSTIC_FLAGS = {
  gcc: ['-fmax-errors=0', '-fdiagnostics-plain-output'],
  clang: ['-ferror-limit=0', '-fno-caret-diagnostics', '-fno-color-diagnostics'],
};

interface JudgeContext {
  workDir: string;
  header: string;
  includeFlags: string[];
  toolchain: Toolchain;
  timeoutMs: number;
}

export function judge(options: JudgeOptions): JudgeResult {
  const abi = options.abi ?? options.layout.abi;
  const plan = planChecks(options.layout);
  const mismatches: string[] = [];
  if (abi !== options.layout.abi) mismatches.push(`layout JSON is for ${options.layout.abi} but is judged as ${abi}`);
  const workDir = mkdtempSync(path.join(tmpdir(), 'gpupv-judge-'));
  const context: JudgeContext = {
    workDir,
    header: path.resolve(options.header),
    includeFlags: (options.includeDirs ?? []).map((dir) => `-I${path.resolve(dir)}`),
    toolchain: TOOLCHAINS[abi],
    timeoutMs: options.timeoutMs ?? 60_000,
  };
  try {
    mismatches.push(...judgeStaticChecks(context, plan.staticChecks));
    if (plan.bitFields.length > 0) {
      const measure = context.toolchain.bitFields === 'run' ? measureBitFieldsByRunning : measureBitFieldsFromDump;
      mismatches.push(...judgeBitFields(plan.bitFields, measure(context, plan.bitFields)));
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const checks = plan.staticChecks.length + plan.bitFields.length;
  // The same header error shows up in every file that includes the header; report it once.
  return { records: plan.recordCount, fields: plan.fieldCount, checks, mismatches: [...new Set(mismatches)] };
}

function judgeStaticChecks(context: JudgeContext, checks: StaticCheck[]): string[] {
  if (checks.length === 0) return [];
  const source = staticAssertSource(context.header, checks);
  const run = compile(context, 'asserts.c', source, ['-fsyntax-only']);
  const byId = new Map(checks.map((check) => [check.id, check]));
  const failed = run.failedCheckIds.flatMap((id) => byId.get(id) ?? []);
  const actual = revealValues(context, failed.filter((check) => check.revealable));
  const mismatches = failed.map((check) => {
    const value = actual.get(check.id);
    return `${check.description} expected ${check.expected}${value === undefined ? '' : `, compiler says ${value}`}`;
  });
  return [...mismatches, ...unexpectedErrors(run.otherErrors, byId)];
}

/** Errors that are not failed asserts: a check that does not compile, or a problem elsewhere. */
function unexpectedErrors(errors: CompilerError[], checks: Map<number, StaticCheck>): string[] {
  return errors.flatMap((error, index) => {
    const check = error.checkId === undefined ? undefined : checks.get(error.checkId);
    if (!check) return [`compiler error: ${error.raw}`];
    // gcc may follow the first error on a line with consequential ones; the first is the one that explains.
    const isFirstOnItsLine = errors.findIndex((other) => other.checkId === error.checkId) === index;
    return isFirstOnItsLine ? [`${check.description} could not be checked: ${error.message}`] : [];
  });
}

/** Compiles the failed checks' expressions once more so each mismatch can say what the compiler got. */
function revealValues(context: JudgeContext, checks: StaticCheck[]): Map<number, string> {
  const values = new Map<number, string>();
  if (checks.length === 0) return values;
  const source = revealSource(context.header, checks);
  for (const error of compile(context, 'reveal.c', source, ['-fsyntax-only']).otherErrors) {
    const value = /char \(\*\)\[(\d+)\]/.exec(error.message)?.[1];
    if (error.checkId !== undefined && value !== undefined) values.set(error.checkId, value);
  }
  return values;
}

/** Bit positions by check id, and problems that concern no single bit-field (e.g. the header does not compile). */
interface Measurements {
  byId: Map<number, BitFieldPlacement>;
  general: string[];
}

function measureBitFieldsByRunning(context: JudgeContext, bitFields: BitFieldCheck[]): Measurements {
  const program = path.join(context.workDir, 'bitfields');
  // -w: assigning -1 to an unsigned bit-field warns, on purpose here.
  const build = (checks: BitFieldCheck[]): CompileOutcome =>
    compile(context, 'bitfields.c', bitFieldProgramSource(context.header, checks), ['-O0', '-w', '-o', program]);
  let outcome = build(bitFields);
  const measurements = buildErrorsAsMeasurements(bitFields, outcome.otherErrors);
  // One field the compiler rejects must not cost the others their measurement: build again without it.
  if (!outcome.ok && measurements.general.length === 0 && measurements.byId.size > 0) {
    outcome = build(bitFields.filter((check) => !measurements.byId.has(check.id)));
  }
  if (!outcome.ok) return measurements;
  const run = runTool(program, [], context);
  if (run.problem) measurements.general.push(`bit-field program ${run.problem}`);
  for (const line of run.stdout.split('\n')) {
    const [id, first, width] = line.trim().split(' ').map(Number);
    if (id !== undefined && first !== undefined && width !== undefined) measurements.byId.set(id, { bitOffset: first, bitWidth: width });
  }
  return measurements;
}

function measureBitFieldsFromDump(context: JudgeContext, bitFields: BitFieldCheck[]): Measurements {
  const { source, probeNames } = recordProbeSource(context.header, bitFields);
  const dump = compile(context, 'probes.c', source, ['-fsyntax-only', '-Xclang', '-fdump-record-layouts']);
  const measurements = buildErrorsAsMeasurements(bitFields, dump.otherErrors);
  const dumped = new Map<string, DumpedRecord>(parseRecordDump(dump.stdout).map((record) => [record.type, record]));
  for (const check of bitFields) {
    if (measurements.byId.has(check.id)) continue;
    const probeFor = (prefix: string): DumpedRecord | undefined => {
      const name = probeNames.get(probeKey(check.recordIndex, prefix));
      return name === undefined ? undefined : dumped.get(`struct ${name}`);
    };
    const placement = locateBitField(check.field.path, probeFor);
    // After a compile error elsewhere a missing dump is its consequence, already reported.
    if ('problem' in placement && measurements.general.length > 0) continue;
    measurements.byId.set(check.id, placement);
  }
  return measurements;
}

/** An error on a bit-field's own generated line is that field's result; any other is general. */
function buildErrorsAsMeasurements(bitFields: BitFieldCheck[], errors: CompilerError[]): Measurements {
  const measurements: Measurements = { byId: new Map(), general: [] };
  const ids = new Set(bitFields.map((check) => check.id));
  for (const error of errors) {
    if (error.checkId !== undefined && ids.has(error.checkId)) {
      if (measurements.byId.has(error.checkId)) continue;
      measurements.byId.set(error.checkId, { problem: `could not be checked: ${error.message}` });
    } else {
      measurements.general.push(`compiler error: ${error.raw}`);
    }
  }
  return measurements;
}

function judgeBitFields(bitFields: BitFieldCheck[], measurements: Measurements): string[] {
  const mismatches = [...measurements.general];
  for (const { id, description, field } of bitFields) {
    const measured = measurements.byId.get(id);
    if (!measured) {
      // Without a general problem to explain it, a missing result is a mismatch of its own.
      if (measurements.general.length === 0) mismatches.push(`${description}: the compiler gave no bit position`);
      continue;
    }
    if ('problem' in measured) {
      mismatches.push(`${description}: ${measured.problem}`);
      continue;
    }
    if (measured.bitOffset !== field.bitOffset) mismatches.push(`${description}: bit offset expected ${field.bitOffset}, compiler says ${measured.bitOffset}`);
    if (measured.bitWidth !== field.bitWidth) mismatches.push(`${description}: bit width expected ${field.bitWidth}, compiler says ${measured.bitWidth}`);
    // Only the first bit must lie in the claimed storage unit: in a packed record a field may
    // straddle units, and no unit of the declared size then holds all of it.
    const bitsFromUnitStart = measured.bitOffset - field.offset * 8;
    if (bitsFromUnitStart < 0 || bitsFromUnitStart >= field.size * 8) {
      mismatches.push(`${description}: storage unit (offset ${field.offset}, size ${field.size}) does not hold bit ${measured.bitOffset}, where the compiler starts the field`);
    }
  }
  return mismatches;
}

interface CompileOutcome {
  ok: boolean;
  stdout: string;
  failedCheckIds: number[];
  otherErrors: CompilerError[];
}

function compile(context: JudgeContext, fileName: string, source: GeneratedSource, flags: string[]): CompileOutcome {
  const file = path.join(context.workDir, fileName);
  writeFileSync(file, source.text);
  const { compiler, targetFlags } = context.toolchain;
  // gcc's default dialect, which the engine's predefines model (__STDC_VERSION__ 201710L, no
  // __STRICT_ANSI__): glibc's headers define other constants under a strict -std=c11.
  const args = [...targetFlags, '-std=gnu17', ...DIAGNOSTIC_FLAGS[compiler], ...context.includeFlags, ...flags, file];
  const run = runTool(compiler, args, context);
  const errors = compilerErrors(run.stderr, file, source);
  const failedCheckIds = errors.flatMap((error) => failedAssertCheckId(error.message) ?? []);
  const otherErrors = errors.filter((error) => failedAssertCheckId(error.message) === undefined);
  if (run.problem && errors.length === 0) otherErrors.push({ message: `${compiler} ${run.problem}`, raw: `${compiler} ${run.problem}` });
  return { ok: !run.problem, stdout: run.stdout, failedCheckIds, otherErrors };
}

interface ToolRun {
  stdout: string;
  stderr: string;
  /** Set when the tool could not start, timed out, or exited unsuccessfully. */
  problem?: string;
}

function runTool(command: string, args: string[], context: JudgeContext): ToolRun {
  // LC_ALL=C: gcc quotes with ‘’ in a UTF-8 locale; plain ASCII keeps the parsing simple.
  const result = spawnSync(command, args, {
    cwd: context.workDir,
    encoding: 'utf8',
    timeout: context.timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, LC_ALL: 'C' },
  });
  const run: ToolRun = { stdout: textOrEmpty(result.stdout), stderr: textOrEmpty(result.stderr) };
  const timedOut = result.error !== undefined && 'code' in result.error && result.error.code === 'ETIMEDOUT';
  if (timedOut) run.problem = `did not finish within ${context.timeoutMs} ms`;
  else if (result.error) run.problem = `could not run: ${result.error.message}`;
  else if (result.signal) run.problem = `was stopped by ${result.signal}`;
  else if (result.status !== 0) run.problem = `exited with status ${result.status}: ${run.stderr.trim().slice(0, 2000)}`;
  return run;
}

/** spawnSync's output is null, whatever its type says, when the tool could not be started at all. */
function textOrEmpty(output: string | null): string {
  return output ?? '';
}
