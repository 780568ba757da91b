import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { expectExitCode, isProcessError, runProcess, type RunOptions, type RunResult } from '../../common/processRunner';
import { Settings } from '../../common/contributions';

// The Build step's MSBuild: found through vswhere (Visual Studio or Build Tools with the WDK)
// or in an Enterprise WDK folder the user names, and its command line planned here. The
// EWDK is a folder, not an installation: its BuildEnv\SetupBuildEnv.cmd sets the environment
// MSBuild needs (WDK paths, toolsets), so that environment is captured once and MSBuild runs
// in it. No user value is ever part of a cmd.exe line: the script is run by its fixed name
// from its own folder. Pure apart from the look-ups, which go through the process runner.

export type MsBuildTool =
  | { readonly kind: 'vswhere'; readonly msbuild: string }
  | { readonly kind: 'ewdk'; readonly msbuild: string; readonly root: string; readonly setupScript: string };

export interface MsBuildLookupOptions {
  /** The EWDK folder setting; when given it is used, never silently passed over. */
  readonly ewdkRoot?: string;
  /** Where `ProgramFiles(x86)` is read; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** The host's architecture (process.arch): picks MSBuild's amd64 or arm64 build. */
  readonly arch?: string;
  readonly signal?: AbortSignal;
  /** Stands in for runProcess in tests. */
  readonly run?: (command: string, args: readonly string[], options?: RunOptions) => Promise<RunResult>;
}

export class MsBuildNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MsBuildNotFoundError';
  }
}

/** vswhere's fixed home since Visual Studio 2017 15.2. */
export const VSWHERE_RELATIVE = path.join('Microsoft Visual Studio', 'Installer', 'vswhere.exe');
export const EWDK_SETUP_RELATIVE = path.join('BuildEnv', 'SetupBuildEnv.cmd');

/** The documented MSBuild query (Microsoft/vswhere wiki, "Find MSBuild"), with Build Tools and previews, in UTF-8. */
export const VSWHERE_ARGS: readonly string[] = [
  '-latest',
  '-prerelease',
  '-products',
  '*',
  '-requires',
  'Microsoft.Component.MSBuild',
  '-find',
  'MSBuild\\**\\Bin\\MSBuild.exe',
  '-utf8',
];

/** The setting that names an EWDK folder (shown as "GPU-PV › Build: EWDK Root"). */
export const EWDK_ROOT_SETTING = Settings.buildEwdkRoot;

const VSWHERE_TIMEOUT_MS = 30_000;
const NEITHER_FOUND =
  'Install Visual Studio 2022 (or its Build Tools) with the "Desktop development with C++" workload and the Windows Driver Kit, ' +
  `or set ${EWDK_ROOT_SETTING} to the folder of an Enterprise WDK, ` +
  'or build the package with your own "command" and "outputDir" in gpupv.json.';

export async function findMsBuild(options: MsBuildLookupOptions = {}): Promise<MsBuildTool> {
  if (options.ewdkRoot) return findEwdkMsBuild(options.ewdkRoot, options.arch ?? process.arch);
  const env = options.env ?? process.env;
  const programFiles = env['ProgramFiles(x86)'] ?? env.ProgramFiles;
  const vswhere = programFiles ? path.join(programFiles, VSWHERE_RELATIVE) : undefined;
  if (!vswhere || !existsSync(vswhere)) {
    throw new MsBuildNotFoundError(`MSBuild was not found: there is no Visual Studio installer (${vswhere ?? 'no %ProgramFiles(x86)%'}). ${NEITHER_FOUND}`);
  }
  const run = options.run ?? runProcess;
  let result: RunResult;
  try {
    result = expectExitCode(await run(vswhere, VSWHERE_ARGS, { timeoutMs: VSWHERE_TIMEOUT_MS, ...(options.signal ? { signal: options.signal } : {}) }));
  } catch (error) {
    if (isProcessError(error, 'cancelled')) throw error;
    throw new MsBuildNotFoundError(`MSBuild was not found: ${error instanceof Error ? error.message : String(error)} ${NEITHER_FOUND}`);
  }
  const found = result.stdout.split(/\r?\n/).map((line) => line.trim()).filter((line) => /msbuild\.exe$/i.test(line));
  const [first] = found;
  if (!first) throw new MsBuildNotFoundError(`MSBuild was not found: vswhere lists no Visual Studio with MSBuild. ${NEITHER_FOUND}`);
  return { kind: 'vswhere', msbuild: nativeBuild(first, options.arch ?? process.arch) };
}

/** MSBuild's own build for the host (Bin\amd64, Bin\arm64) when it is there, else the x86 one vswhere names. */
function nativeBuild(x86MsBuild: string, arch: string): string {
  const folder = arch === 'x64' ? 'amd64' : arch === 'arm64' ? 'arm64' : undefined;
  if (!folder) return x86MsBuild;
  const native = path.join(path.dirname(x86MsBuild), folder, path.basename(x86MsBuild));
  return existsSync(native) ? native : x86MsBuild;
}

function findEwdkMsBuild(root: string, arch: string): MsBuildTool {
  if (!path.isAbsolute(root)) throw new MsBuildNotFoundError(`${EWDK_ROOT_SETTING} must be an absolute path (the folder of the mounted or copied EWDK), not "${root}".`);
  const setupScript = path.join(root, EWDK_SETUP_RELATIVE);
  if (!existsSync(setupScript)) {
    throw new MsBuildNotFoundError(
      `${EWDK_ROOT_SETTING} "${root}" is not an Enterprise WDK: ${EWDK_SETUP_RELATIVE} is missing. Point it at the EWDK's top folder (the one with LaunchBuildEnv.cmd).`,
    );
  }
  // <root>\Program Files\Microsoft Visual Studio\<2022|2019>\BuildTools\MSBuild\<Current|15.0>\Bin\[amd64\]MSBuild.exe
  const studio = path.join(root, 'Program Files', 'Microsoft Visual Studio');
  for (const version of listDescending(studio)) {
    const msbuildRoot = path.join(studio, version, 'BuildTools', 'MSBuild');
    for (const toolset of ['Current', ...listDescending(msbuildRoot).filter((name) => name !== 'Current')]) {
      const x86 = path.join(msbuildRoot, toolset, 'Bin', 'MSBuild.exe');
      if (existsSync(x86)) return { kind: 'ewdk', msbuild: nativeBuild(x86, arch), root, setupScript };
    }
  }
  throw new MsBuildNotFoundError(`The Enterprise WDK at "${root}" has no MSBuild under ${path.join('Program Files', 'Microsoft Visual Studio', '<version>', 'BuildTools', 'MSBuild')}; the copy may be incomplete.`);
}

function listDescending(folder: string): string[] {
  try {
    return readdirSync(folder, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
  } catch {
    return [];
  }
}

/**
 * How to capture the EWDK's environment: cmd.exe runs SetupBuildEnv.cmd by its fixed name in
 * its own folder, then `set` prints the result (in UTF-8, after chcp). /d keeps the user's
 * AutoRun commands out.
 */
export function ewdkEnvironmentCommand(tool: Extract<MsBuildTool, { kind: 'ewdk' }>, env: NodeJS.ProcessEnv = process.env): { command: string; args: string[]; cwd: string } {
  return {
    command: env.ComSpec ?? 'cmd.exe',
    args: ['/d', '/c', 'chcp', '65001', '>nul', '&&', 'call', path.basename(EWDK_SETUP_RELATIVE), '>nul', '2>&1', '&&', 'set'],
    cwd: path.dirname(tool.setupScript),
  };
}

/** `set`'s output as an environment. Windows' hidden per-drive variables (`=C:=C:\src`) are left out. */
export function parseSetOutput(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf('=');
    if (at <= 0) continue;
    env[line.slice(0, at)] = line.slice(at + 1);
  }
  return env;
}

/** Runs SetupBuildEnv.cmd and returns the environment MSBuild must run in. */
export async function captureEwdkEnvironment(tool: Extract<MsBuildTool, { kind: 'ewdk' }>, options: Pick<MsBuildLookupOptions, 'signal' | 'run'> = {}): Promise<Record<string, string>> {
  if (process.platform !== 'win32' && !options.run) throw new MsBuildNotFoundError('The Enterprise WDK runs on Windows only: build on the Windows host, or use your own "command" for this package.');
  const { command, args, cwd } = ewdkEnvironmentCommand(tool);
  const run = options.run ?? runProcess;
  const result = await run(command, args, { cwd, timeoutMs: 120_000, ...(options.signal ? { signal: options.signal } : {}) });
  if (result.exitCode !== 0) {
    throw new MsBuildNotFoundError(`The Enterprise WDK's ${EWDK_SETUP_RELATIVE} failed (exit code ${result.exitCode}) in "${tool.root}". Run LaunchBuildEnv.cmd there by hand to see why.`);
  }
  const env = parseSetOutput(result.stdout);
  if (!Object.keys(env).some((name) => name.toLowerCase() === 'path')) {
    throw new MsBuildNotFoundError(`The Enterprise WDK's ${EWDK_SETUP_RELATIVE} printed no environment in "${tool.root}".`);
  }
  return env;
}

export interface MsBuildInvocation {
  /** Absolute: MSBuild would take a relative path that starts with `-` or `/` for a switch. */
  readonly project: string;
  readonly configuration: string;
  readonly platform: string;
  /** Where to write a binary log (/bl), when wanted. */
  readonly binaryLog?: string;
  /** Targets, default MSBuild's own (Build); e.g. ['Rebuild']. */
  readonly targets?: readonly string[];
}

/**
 * MSBuild's arguments: the project, the configuration and platform, a parallel build, and
 * the console kept to errors, warnings and the summary at full width, which is what the
 * problem patterns read. Each value is escaped the MSBuild way (%3B for `;`, …), so a
 * configuration name cannot add a property.
 */
export function msbuildArguments(invocation: MsBuildInvocation): string[] {
  if (!path.win32.isAbsolute(invocation.project) && !path.posix.isAbsolute(invocation.project)) {
    throw new Error(`the MSBuild project must be an absolute path, not "${invocation.project}"`);
  }
  if (!invocation.configuration || !invocation.platform) throw new Error('MSBuild needs both a configuration and a platform');
  const args = [
    invocation.project,
    `/p:Configuration=${escapeMsBuild(invocation.configuration)}`,
    `/p:Platform=${escapeMsBuild(invocation.platform)}`,
    '/m',
    '/nologo',
    '/v:minimal',
    // Summary repeats every error at the end (the parser reports each once); ForceNoAlign
    // stops MSBuild wrapping long lines at the console's width, which would split a problem.
    '/clp:Summary;ForceNoAlign',
  ];
  if (invocation.targets?.length) args.push(`/t:${invocation.targets.map(escapeMsBuild).join(';')}`);
  if (invocation.binaryLog) args.push(`/bl:${invocation.binaryLog}`);
  return args;
}

/** MSBuild's own escaping (%XX) of its special characters and of the /p: separators. */
export function escapeMsBuild(value: string): string {
  return value.replace(/[%;,$@'*?]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** The environment MSBuild runs in: a plain console logger, whatever the user's shell has set. */
export function msbuildEnvironment(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...base, MSBUILDTERMINALLOGGER: 'off' };
}

/**
 * Where a WDK project puts its output when the package names no folder: `<folder>\<platform>\<configuration>`,
 * except Win32, which Visual Studio's C++ templates leave out (`<folder>\<configuration>`).
 */
export function defaultMsBuildOutputDir(project: string, platform: string, configuration: string): string {
  const api = path.win32.isAbsolute(project) && !project.startsWith('/') ? path.win32 : path.posix;
  const folder = api.dirname(project);
  return platform.toLowerCase() === 'win32' ? api.join(folder, configuration) : api.join(folder, platform, configuration);
}

/**
 * The whole MSBuild run for a found tool: its arguments, the project's folder, and the
 * environment (the EWDK's, captured from SetupBuildEnv.cmd, or the given one), terminal
 * logger off.
 */
export async function planMsBuild(
  tool: MsBuildTool,
  invocation: MsBuildInvocation,
  options: Pick<MsBuildLookupOptions, 'env' | 'signal' | 'run'> = {},
): Promise<{ command: string; args: string[]; cwd: string; env: NodeJS.ProcessEnv }> {
  const args = msbuildArguments(invocation);
  const base = tool.kind === 'ewdk' ? await captureEwdkEnvironment(tool, options) : (options.env ?? process.env);
  const api = path.win32.isAbsolute(invocation.project) && !invocation.project.startsWith('/') ? path.win32 : path.posix;
  return { command: tool.msbuild, args, cwd: api.dirname(invocation.project), env: msbuildEnvironment(base) };
}
