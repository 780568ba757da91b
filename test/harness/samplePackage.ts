import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { expectExitCode, isProcessError, runProcess, type RunResult } from '../../extension/common/processRunner';
import { demoWorkspace } from './paths';

// The sample GPU-PV driver package (demo/driver/, which the demo deploys too), built for real by Debian's
// mingw-w64: a native-subsystem pvsample.sys importing ntoskrnl.exe, a UMD pvsample_umd.dll
// exporting OpenAdapter10_2, and pvsample.inf. make runs in the output folder with the
// Makefile named by path and `OUT=.`, so an output folder with any name (spaces, quotes,
// unicode) never passes through make's own syntax.

export const SAMPLE_PACKAGE_SOURCE = path.join(demoWorkspace, 'driver');
export const SAMPLE_MAKEFILE = path.join(SAMPLE_PACKAGE_SOURCE, 'Makefile');
/** The one device the sample INF's NTamd64 models section lists. */
export const SAMPLE_HARDWARE_ID = 'PCI\\VEN_1AF4&DEV_10F0';
export const SAMPLE_COMPILER = 'x86_64-w64-mingw32-gcc';
/** What the INF copies, in its CopyFiles order. */
export const SAMPLE_SHIPPED_FILES: readonly string[] = ['pvsample.sys', 'pvsample_umd.dll'];

export interface SamplePackage {
  readonly outDir: string;
  readonly sys: string;
  readonly dll: string;
  readonly inf: string;
}

export interface SampleBuildOptions {
  /** `compile`: a real gcc error in broken_compile.c; `link`: a real ld undefined reference from broken_link.c. */
  readonly broken?: 'compile' | 'link';
  /** Default x86_64-w64-mingw32-gcc. */
  readonly cc?: string;
  readonly signal?: AbortSignal;
  readonly onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
  readonly timeoutMs?: number;
}

/** The build as a package's custom `command` runs it, with `cwd` the output folder. */
export function sampleBuildCommand(outDir: string, options: Pick<SampleBuildOptions, 'broken' | 'cc'> = {}): { command: string; args: string[]; cwd: string } {
  const args = ['--no-print-directory', '-f', SAMPLE_MAKEFILE, 'OUT=.'];
  if (options.cc) args.push(`CC=${options.cc}`);
  if (options.broken) args.push(`BROKEN=${options.broken}`);
  return { command: 'make', args, cwd: outDir };
}

/** Runs the build and resolves with make's result whatever its exit code (for the broken variants). */
export async function runSampleBuild(outDir: string, options: SampleBuildOptions = {}): Promise<RunResult> {
  await requireMingw(options.cc ?? SAMPLE_COMPILER);
  mkdirSync(outDir, { recursive: true });
  const { command, args, cwd } = sampleBuildCommand(outDir, options);
  return runProcess(command, args, {
    cwd,
    timeoutMs: options.timeoutMs ?? 60_000,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
  });
}

/** Builds the sample into `outDir` (created if needed) and returns the paths of its files; rejects when make fails. */
export async function buildSamplePackage(outDir: string, options: Omit<SampleBuildOptions, 'broken'> = {}): Promise<SamplePackage> {
  expectExitCode(await runSampleBuild(outDir, options));
  return {
    outDir,
    sys: path.join(outDir, 'pvsample.sys'),
    dll: path.join(outDir, 'pvsample_umd.dll'),
    inf: path.join(outDir, 'pvsample.inf'),
  };
}

const checkedCompilers = new Set<string>();

async function requireMingw(cc: string): Promise<void> {
  if (checkedCompilers.has(cc)) return;
  try {
    expectExitCode(await runProcess(cc, ['--version'], { timeoutMs: 10_000 }));
  } catch (error) {
    if (isProcessError(error, 'notFound')) throw new Error(`${cc} was not found: install gcc-mingw-w64-x86-64 (and make) to build the sample driver package.`);
    throw error;
  }
  checkedCompilers.add(cc);
}
