import { mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describeCommand, isProcessError, runProcess } from '../../common/processRunner';
import type { DriverPackageConfig } from '../../protocol/config/driverConfigParser';
import { checkArtifacts, describeArtifacts, packageOutputDir, packagePlatform, shippedFiles, type ArtifactReport } from '../build/artifacts';
import { BuildProblemParser, type BuildProblem } from '../build/buildProblems';
import { findMsBuild, MsBuildNotFoundError, planMsBuild, type MsBuildLookupOptions } from '../build/msbuild';
import { describeInfPackage, infArchitectureForPlatform, parseInf } from '../inf/infFile';
import { StepFailure, type StepContext } from '../pipeline/deployPipeline';

// Build: each package by MSBuild (found through vswhere or the EWDK) or by the package's own
// command, its output shown as it comes and read for problems; then the files the package
// ships are found in the output folder and checked (a kernel image that is not native x64, a
// DLL of the wrong machine). The task's problem matcher puts the same lines into Problems.

export interface BuildInput {
  readonly workspaceDir: string;
  readonly packages: readonly DriverPackageConfig[];
  readonly msbuild?: Pick<MsBuildLookupOptions, 'ewdkRoot' | 'env'>;
  /** Where MSBuild's binary log goes (one per package whose `binaryLog` is set). */
  readonly binaryLogDir?: string;
}

export interface BuiltPackage {
  readonly pkg: DriverPackageConfig;
  readonly artifacts: ArtifactReport;
}

/** Builds every package; resolves with what each shipped, or throws a StepFailure that says why. */
export async function buildPackages(input: BuildInput, { signal, report }: StepContext): Promise<readonly BuiltPackage[]> {
  const built: BuiltPackage[] = [];
  for (const pkg of input.packages) {
    const problems = await runBuild(pkg, input, signal, report);
    const errors = problems.filter((p) => p.severity === 'error');
    const warnings = problems.length - errors.length;
    if (warnings) report.warning(`${pkg.name}: ${warnings} warning(s), in Problems`);
    const located = await locatePackage(pkg, input.workspaceDir, 'built');
    for (const line of describeArtifacts(located.artifacts)) report.info(line);
    assertShippable(located, 'built, but its output is not a package to ship');
    built.push(located);
  }
  return built;
}

/**
 * The files a package ships, found and checked in its output folder: what Build just made, or,
 * for a step run on its own (`sign`, `deploy`), what an earlier build left there.
 */
export async function locatePackage(pkg: DriverPackageConfig, workspaceDir: string, stage: 'built' | 'signed'): Promise<BuiltPackage> {
  const outputDir = packageOutputDir(pkg, workspaceDir);
  const files = shippedFiles(pkg, pkg.files ? [] : await infCopies(pkg, workspaceDir, outputDir));
  return { pkg, artifacts: await checkArtifacts({ outputDir, files, platform: packagePlatform(pkg), stage }) };
}

/** Throws the step's failure when the package's files have problems; `what` says at which point. */
export function assertShippable({ pkg, artifacts }: BuiltPackage, what: string): void {
  if (artifacts.problems.length === 0) return;
  throw new StepFailure(`${pkg.name} ${what}: ${artifacts.problems[0]}${artifacts.problems.length > 1 ? ` (and ${artifacts.problems.length - 1} more)` : ''}`, `Look in ${artifacts.outputDir}; the package's "files" and "outputDir" in gpupv.json say what is expected there.`);
}

async function runBuild(pkg: DriverPackageConfig, input: BuildInput, signal: AbortSignal, report: StepContext['report']): Promise<readonly BuildProblem[]> {
  const { command, args, cwd, env } = await buildCommand(pkg, input, signal);
  const parser = new BuildProblemParser({ baseDir: cwd });
  report.command(describeCommand(command, args));
  try {
    const result = await runProcess(command, args, {
      cwd,
      ...(env ? { env } : {}),
      signal,
      onOutput: (text) => {
        report.output(text);
        parser.push(text);
      },
    });
    const problems = parser.end();
    if (result.exitCode !== 0) {
      const errors = problems.filter((p) => p.severity === 'error');
      const first = errors[0];
      throw new StepFailure(
        first
          ? `${pkg.name} did not build: ${errors.length} error(s), the first ${path.basename(first.file ?? '')}${first.line ? `:${first.line}` : ''}: ${first.code ? `${first.code} ` : ''}${first.message}`
          : `${pkg.name} did not build: ${path.basename(command)} exited with code ${result.exitCode ?? result.signal}`,
        first ? 'The errors are in Problems; fix them and run Deploy and Test again.' : 'Its output above says why.',
      );
    }
    return problems;
  } catch (error) {
    if (isProcessError(error, 'notFound')) throw new StepFailure(`${pkg.name} could not build: ${command} was not found`, pkg.build.kind === 'command' ? 'Install it, or give its full path as the first word of "command" in gpupv.json.' : undefined);
    throw error;
  }
}

/**
 * What the package's INFs copy, for a package that does not list its files: the built INF in
 * the output folder when there is one (stampinf may have changed it), else the source INF.
 */
async function infCopies(pkg: DriverPackageConfig, workspaceDir: string, outputDir: string): Promise<string[]> {
  const architecture = infArchitectureForPlatform(packagePlatform(pkg));
  if (!architecture) return [];
  const copies: string[] = [];
  for (const inf of pkg.infs) {
    const built = path.join(outputDir, path.basename(inf.value));
    const source = path.resolve(workspaceDir, inf.value);
    const bytes = await readFile(built).catch(() => readFile(source)).catch(() => {
      throw new StepFailure(`${pkg.name}: its INF ${inf.value} is neither in the output folder nor at ${source}`, 'Correct "infs" in gpupv.json, or list the package\'s "files" there.');
    });
    copies.push(...describeInfPackage(parseInf(bytes), { architecture }).files);
  }
  return copies;
}

async function buildCommand(pkg: DriverPackageConfig, input: BuildInput, signal: AbortSignal): Promise<{ command: string; args: string[]; cwd: string; env?: NodeJS.ProcessEnv }> {
  const build = pkg.build;
  if (build.kind === 'command') {
    // A fresh clone has no output folder yet, and the command often runs inside it.
    await mkdir(packageOutputDir(pkg, input.workspaceDir), { recursive: true });
    const [command, ...args] = build.command;
    return { command: command!, args, cwd: path.resolve(input.workspaceDir, build.cwd?.value ?? '.') };
  }
  const project = path.resolve(input.workspaceDir, build.project.value);
  try {
    const tool = await findMsBuild({ ...input.msbuild, signal });
    if (input.binaryLogDir && build.binaryLog) await mkdir(input.binaryLogDir, { recursive: true });
    const binaryLog = input.binaryLogDir && build.binaryLog ? { binaryLog: path.join(input.binaryLogDir, `${pkg.name}.binlog`) } : {};
    return await planMsBuild(tool, { project, configuration: build.configuration, platform: build.platform, ...binaryLog }, { ...(input.msbuild?.env ? { env: input.msbuild.env } : {}), signal });
  } catch (error) {
    if (error instanceof MsBuildNotFoundError) throw new StepFailure(error.message, 'Install Visual Studio with the WDK, or set "GPU-PV › Build: EWDK Root" to an Enterprise WDK folder; another build system can be given as "command" in gpupv.json.');
    throw error;
  }
}
