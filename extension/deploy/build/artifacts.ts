import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { DriverPackageConfig } from '../../protocol/config/driverConfigParser';
import { hasAuthenticodeSignature, readPeFile, type PeInfo, type PeMachine } from '../pe/peFile';
import { defaultMsBuildOutputDir } from './msbuild';

// After Build (and again after Sign): the files a package ships, found in its output folder
// and checked before anything is signed or copied. A kernel driver must be a native-subsystem
// image of the package's machine that imports the kernel and nothing of user mode; a UMD must
// be a DLL of that machine. Each file is listed with its size and SHA-256 (what Copy checks
// in the guest). A mistake here is cheap to explain and expensive to meet as Code 39 or 31.

export type ArtifactKind = 'kernel-driver' | 'user-mode-dll' | 'executable' | 'inf' | 'catalog' | 'symbols' | 'other';

export interface Artifact {
  /** As the package names it (its `files` entry or the INF's CopyFiles). */
  readonly name: string;
  readonly kind: ArtifactKind;
  /** Where it is, or would be, in the output folder. */
  readonly path: string;
  readonly exists: boolean;
  readonly size?: number;
  readonly sha256?: string;
  readonly pe?: PeInfo;
  /** What is wrong with it, each a sentence that names the file. */
  readonly problems: readonly string[];
}

export interface ArtifactReport {
  readonly outputDir: string;
  readonly artifacts: readonly Artifact[];
  /** Every problem of every artifact, in order. */
  readonly problems: readonly string[];
}

export interface ArtifactCheck {
  readonly outputDir: string;
  /** Relative to `outputDir`: the package's `files`, or what its INFs copy (see shippedFiles). */
  readonly files: readonly string[];
  /** The package's MSBuild platform: x64, ARM64, Win32 … */
  readonly platform: string;
  /** `built`: right after Build (no catalog yet); `signed`: after Sign (catalog present, images signed). */
  readonly stage: 'built' | 'signed';
}

const KIND_BY_EXTENSION: Readonly<Record<string, ArtifactKind>> = {
  '.sys': 'kernel-driver',
  '.dll': 'user-mode-dll',
  '.exe': 'executable',
  '.inf': 'inf',
  '.cat': 'catalog',
  '.pdb': 'symbols',
};
const MACHINE_BY_PLATFORM: Readonly<Record<string, PeMachine>> = { x64: 'x64', amd64: 'x64', arm64: 'arm64', win32: 'x86', x86: 'x86', arm: 'arm' };
/** A kernel image can only link against the kernel; these are the user-mode DLLs mingw and MSVC drag in by mistake. */
const USER_MODE_DLL = /^(?:kernel32|kernelbase|user32|gdi32|advapi32|ntdll|msvcrt|ucrtbased?|vcruntime\d*d?|msvcp\d*d?|api-ms-win-.*|ext-ms-win-.*)\.dll$/i;

/** The machine an image of `platform` must be; undefined for a platform this does not know. */
export function machineForPlatform(platform: string): PeMachine | undefined {
  return MACHINE_BY_PLATFORM[platform.toLowerCase()];
}

/** A command build has no platform setting: its images are taken to be x64, like MSBuild's default. */
export function packagePlatform(pkg: DriverPackageConfig): string {
  return pkg.build.kind === 'msbuild' ? pkg.build.platform : 'x64';
}

/** The package's output folder: its `outputDir`, or MSBuild's default beside the project. */
export function packageOutputDir(pkg: DriverPackageConfig, workspaceDir: string): string {
  if (pkg.outputDir) return path.resolve(workspaceDir, pkg.outputDir.value);
  if (pkg.build.kind === 'msbuild') return defaultMsBuildOutputDir(path.resolve(workspaceDir, pkg.build.project.value), pkg.build.platform, pkg.build.configuration);
  // The parser requires outputDir for command builds; this is only reached by a hand-made config.
  return path.resolve(workspaceDir);
}

/**
 * What the package ships: its `files` when it names them, else what its INFs copy, and the
 * INFs themselves (by file name: a build puts its stamped INF in the output folder).
 * Duplicates (in any letter case) are listed once.
 */
export function shippedFiles(pkg: DriverPackageConfig, infCopies: readonly string[] = []): string[] {
  const names = [...(pkg.files ?? infCopies), ...pkg.infs.map((inf) => inf.value.replace(/^.*[\\/]/, ''))];
  const seen = new Set<string>();
  return names.filter((name) => {
    const key = name.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export async function checkArtifacts(check: ArtifactCheck): Promise<ArtifactReport> {
  const outputDir = path.resolve(check.outputDir);
  const expected = machineForPlatform(check.platform);
  const artifacts: Artifact[] = [];
  for (const name of check.files) artifacts.push(await checkOne(outputDir, name, check, expected));
  const platformProblem = expected ? [] : [`The package platform "${check.platform}" is not one of x64, ARM64, Win32: the images' machine was not checked.`];
  return { outputDir, artifacts, problems: [...platformProblem, ...artifacts.flatMap((a) => a.problems)] };
}

async function checkOne(outputDir: string, name: string, check: ArtifactCheck, expected: PeMachine | undefined): Promise<Artifact> {
  const kind = KIND_BY_EXTENSION[path.extname(name).toLowerCase()] ?? 'other';
  const relative = name.replace(/[\\/]+/g, path.sep);
  const wanted = path.resolve(outputDir, relative);
  if (path.isAbsolute(relative) || (wanted !== outputDir && !wanted.startsWith(outputDir + path.sep))) {
    return { name, kind, path: wanted, exists: false, problems: [`${name} is not inside the output folder ${outputDir}: list the files the package ships by their path in that folder.`] };
  }
  const found = await findIgnoringCase(wanted);
  if (!found) {
    if (kind === 'catalog' && check.stage === 'built') return { name, kind, path: wanted, exists: false, problems: [] };
    const why =
      kind === 'catalog'
        ? 'Inf2Cat makes it when the package is signed: check the Sign step, and that the INF’s CatalogFile names it'
        : 'the build did not produce it: check the project’s output name and folder, or the package’s "files"';
    return { name, kind, path: wanted, exists: false, problems: [`${name} is missing from ${outputDir}: ${why}.`] };
  }
  const info = await stat(found);
  if (!info.isFile()) return { name, kind, path: found, exists: false, problems: [`${name} in ${outputDir} is a folder, not a file.`] };
  const sha256 = await sha256File(found);
  const problems: string[] = [];
  let pe: PeInfo | undefined;
  if (kind === 'kernel-driver' || kind === 'user-mode-dll' || kind === 'executable') {
    const parsed = readPeFile(found);
    if (!parsed.ok) problems.push(`${name} ${parsed.reason}: it is not a Windows image.`);
    else {
      pe = parsed.pe;
      problems.push(...imageProblems(name, kind, pe, check, expected));
    }
  }
  return { name, kind, path: found, exists: true, size: info.size, sha256, ...(pe ? { pe } : {}), problems };
}

function imageProblems(name: string, kind: ArtifactKind, pe: PeInfo, check: ArtifactCheck, expected: PeMachine | undefined): string[] {
  const problems: string[] = [];
  if (expected && pe.machine !== expected) {
    const image = pe.machine === 'unknown' ? `an image for machine 0x${pe.machineCode.toString(16)}` : `an ${pe.machine} image`;
    problems.push(`${name} is ${image} but the package platform is ${check.platform}: build it for ${check.platform}.`);
  }
  if (kind === 'kernel-driver') {
    if (pe.subsystem !== 'native') {
      problems.push(`${name} has the ${pe.subsystem} subsystem, not native: a kernel driver is linked with /SUBSYSTEM:NATIVE (/DRIVER), or --subsystem,native with GNU ld.`);
    }
    if (!pe.imports.some((dll) => dll.toLowerCase() === 'ntoskrnl.exe')) {
      problems.push(`${name} does not import ntoskrnl.exe: it is not a kernel driver (imports: ${pe.imports.join(', ') || 'none'}).`);
    }
    const userMode = [...pe.imports, ...pe.delayImports].filter((dll) => USER_MODE_DLL.test(dll));
    if (userMode.length) problems.push(`${name} imports ${userMode.join(', ')}, which exist in user mode only: Windows will refuse to load it (Code 39). Link it against the kernel alone.`);
  } else if (kind === 'user-mode-dll') {
    if (!pe.isDll) problems.push(`${name} is not a DLL (the DLL flag of its header is off): a user-mode driver is linked with /DLL.`);
    if (pe.subsystem === 'native') problems.push(`${name} has the native subsystem of a kernel image: a user-mode driver DLL is a Windows (GUI or console) image.`);
  } else if (kind === 'executable' && pe.isDll) {
    problems.push(`${name} is a DLL, not a program.`);
  }
  if (check.stage === 'signed' && !hasAuthenticodeSignature(pe)) {
    problems.push(`${name} is not signed: the Sign step must sign every image the package ships.`);
  }
  for (const warning of pe.warnings) problems.push(`${name}: ${warning}.`);
  return problems;
}

/** The path as given when it exists; else the one entry of its folder that differs only in case (INFs often say PVGPU.SYS). */
async function findIgnoringCase(wanted: string): Promise<string | undefined> {
  try {
    await stat(wanted);
    return wanted;
  } catch {
    // Look for it by another case below.
  }
  const folder = path.dirname(wanted);
  const base = path.basename(wanted).toLowerCase();
  try {
    const match = (await readdir(folder)).find((entry) => entry.toLowerCase() === base);
    return match === undefined ? undefined : path.join(folder, match);
  } catch {
    return undefined;
  }
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** The artifact list as the terminal shows it: one line a file, size and hash, then its problems. */
export function describeArtifacts(report: ArtifactReport): string[] {
  const lines: string[] = [];
  for (const artifact of report.artifacts) {
    if (!artifact.exists) {
      lines.push(`  ${artifact.name}  (${artifact.kind === 'catalog' && artifact.problems.length === 0 ? 'made when signing' : 'missing'})`);
    } else {
      const image = artifact.pe ? `  ${artifact.pe.machine} ${artifact.pe.subsystem}${artifact.pe.signature ? ' signed' : ''}` : '';
      lines.push(`  ${artifact.name}  ${formatSize(artifact.size ?? 0)}  sha256 ${artifact.sha256}${image}`);
    }
    for (const problem of artifact.problems) lines.push(`    ✗ ${problem}`);
  }
  return lines;
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
