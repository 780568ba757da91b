import { open, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { Confidence, Explanation } from '../../protocol/profile/inference/names';
import { defaultMsBuildOutputDir } from '../build/msbuild';
import {
  baseName,
  decodeWindowsText,
  describeInfPackage,
  DIRID_NAMES,
  infArchitectureForPlatform,
  parseInf,
  type InfArchitecture,
  type InfCopiedFile,
  type InfInstall,
  type InfPackage,
  type InfProblem,
} from '../inf/infFile';
import {
  defaultIntDir,
  defaultOutDir,
  expandProperties,
  readSlnx,
  readSolution,
  readVcxproj,
  type ConfigurationPlatform,
  type ProjectProperty,
  type SolutionFile,
  type SolutionProject,
  type VcxProject,
} from './msbuildFiles';

// `gpupv driver init` and "Configure Driver Deployment": a `driver` section for gpupv.json
// proposed from what a workspace folder holds. Solutions and WDK projects say what is built
// and how; the INFs say what a package ships and which devices it installs on. Every guess is
// explained with the file and line it comes from and what else was seen, as `profile init`
// explains its guesses. Files are read through a small interface so tests can lay out any
// tree; nothing is run and nothing is written. No `vscode` import.

export interface WorkspaceEntry {
  readonly name: string;
  readonly isDirectory: boolean;
  readonly isFile: boolean;
}

export interface WorkspaceFileSystem {
  readDirectory(folder: string): Promise<readonly WorkspaceEntry[]>;
  /** At most `limit` bytes from the start of the file. */
  readFile(file: string, limit: number): Promise<Uint8Array>;
}

export const nodeFileSystem: WorkspaceFileSystem = {
  // A symbolic link is neither a directory nor a file here, so a link loop cannot trap the scan.
  readDirectory: async (folder) => (await readdir(folder, { withFileTypes: true })).map((d) => ({ name: d.name, isDirectory: d.isDirectory(), isFile: d.isFile() })),
  readFile: async (file, limit) => {
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(limit, (await handle.stat()).size));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  },
};

export interface DriverGuess extends Explanation {
  /** Where the guess comes from: `path:line` or a path, relative to the folder. */
  readonly evidence: readonly string[];
  /** What else could have been chosen. */
  readonly alternatives: readonly string[];
}

export interface InitProblem {
  readonly file: string;
  readonly line: number;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

/** One package as gpupv.json writes it (see driverConfigParser.ts). */
export interface ProposedPackage {
  name: string;
  project?: string;
  configuration?: string;
  platform?: string;
  command?: string[];
  cwd?: string;
  outputDir?: string;
  infs: string[];
  files?: string[];
  hardwareIds?: string[];
}

export interface ProposedDriverSection {
  packages: ProposedPackage[];
  signing: { certificate: 'create'; catalogOs?: string[] };
}

export interface DriverProposal {
  /** Absent when nothing that builds or installs a driver was found. */
  readonly driver?: ProposedDriverSection;
  readonly explanations: readonly DriverGuess[];
  /** What the INFs and projects got wrong, and what could not be read. */
  readonly problems: readonly InitProblem[];
  readonly found: {
    readonly solutions: readonly string[];
    readonly projects: readonly string[];
    readonly infs: readonly string[];
    readonly buildFiles: readonly string[];
    /** The scan stopped at its depth or entry limit. */
    readonly truncated: boolean;
  };
}

export interface ProposeOptions {
  readonly fileSystem?: WorkspaceFileSystem;
  /** Folder levels below the workspace folder that are looked into; default 8. */
  readonly maxDepth?: number;
  /** Directory entries looked at before the scan stops; default 20000. */
  readonly maxEntries?: number;
}

const DEFAULT_MAX_DEPTH = 8;
const DEFAULT_MAX_ENTRIES = 20_000;
/** A bigger "INF" or project is not one; reading it would only cost memory. */
const MAX_FILE_BYTES = 8 * 1024 * 1024;
/** Tools' and builds' own folders: their INFs are copies and their projects are not the user's. */
const SKIPPED_FOLDER = /^(?:node_modules|out|bin|obj|build|builddir|debug|release|x64|x86|win32|arm64|arm|packages|objfre_.*|objchk_.*)$/i;
const BUILD_FILES = new Map([
  ['makefile', 'make'],
  ['gnumakefile', 'make'],
  ['cmakelists.txt', 'cmake'],
  ['meson.build', 'meson'],
]);
/** make variables that name an output folder, in the order they are believed. */
const MAKE_OUTPUT_VARIABLES = ['OUT', 'OUTDIR', 'OUT_DIR', 'OUTPUT', 'OUTPUT_DIR', 'O', 'BUILDDIR', 'BUILD_DIR', 'BINDIR', 'BIN_DIR'];
const DISPLAY_CLASS_GUID = '{4d36e968-e325-11ce-bfc1-08002be10318}';
/** Inf2Cat's /os for a platform other than x64 (whose 10_X64 is the default). */
const CATALOG_OS_BY_PLATFORM: Readonly<Record<string, string>> = { win32: '10_X86', x86: '10_X86', arm64: '10_GE_ARM64' };

interface Found {
  /** Relative to the workspace folder, `/`-separated, never starting with `./`. */
  readonly rel: string;
  readonly abs: string;
}

interface LoadedSolution extends Found {
  readonly dir: string;
  readonly file: SolutionFile;
}

interface LoadedProject extends Found {
  readonly dir: string;
  readonly name: string;
  readonly project: VcxProject;
}

interface LoadedInf extends Found {
  readonly bytes: Uint8Array;
  readonly inx: boolean;
  readonly isDisplay: boolean;
}

interface DriverProject {
  readonly project: LoadedProject;
  readonly infs: PackageInf[];
}

interface PackageInf {
  readonly inf: LoadedInf;
  /** Why it belongs to the package, as a phrase. */
  readonly source: string;
  /** Where that was seen: `path:line` or a path. */
  readonly evidence: string;
}

export async function proposeDriverSection(folder: string, options: ProposeOptions = {}): Promise<DriverProposal> {
  return new Proposer(folder, options).propose();
}

class Proposer {
  private readonly fs: WorkspaceFileSystem;
  private readonly explanations: DriverGuess[] = [];
  private readonly problems: InitProblem[] = [];

  constructor(
    private readonly folder: string,
    private readonly options: ProposeOptions,
  ) {
    this.fs = options.fileSystem ?? nodeFileSystem;
  }

  private explain(property: string, message: string, confidence: Confidence, evidence: readonly string[] = [], alternatives: readonly string[] = []): void {
    this.explanations.push({ property, message, confidence, evidence, alternatives });
  }

  async propose(): Promise<DriverProposal> {
    const scan = await this.scan();
    const found = {
      solutions: scan.solutions.map((f) => f.rel),
      projects: scan.projects.map((f) => f.rel),
      infs: scan.infs.map((f) => f.rel),
      buildFiles: scan.buildFiles.map((f) => f.rel),
      truncated: scan.truncated,
    };
    if (scan.truncated) {
      this.explain('driver', `stopped looking after ${this.options.maxEntries ?? DEFAULT_MAX_ENTRIES} entries or ${this.options.maxDepth ?? DEFAULT_MAX_DEPTH} folder levels; run it on the driver's own folder to see everything`, 'guess');
    }
    const solutions = await this.loadSolutions(scan.solutions);
    const projects = await this.loadProjects(scan.projects);
    const infs = await this.loadInfs(scan.infs);
    const packages = await this.packages(solutions, projects, infs, scan.buildFiles);
    const driver = packages.length > 0 ? { packages, signing: this.signing(packages) } : undefined;
    if (!driver) this.explainNothing(found);
    return { ...(driver ? { driver } : {}), explanations: this.explanations, problems: this.problems, found };
  }

  private async scan(): Promise<{ solutions: Found[]; projects: Found[]; infs: Found[]; buildFiles: Found[]; truncated: boolean }> {
    const maxDepth = this.options.maxDepth ?? DEFAULT_MAX_DEPTH;
    const maxEntries = this.options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    const result = { solutions: [] as Found[], projects: [] as Found[], infs: [] as Found[], buildFiles: [] as Found[], truncated: false };
    const queue: { abs: string; rel: string; depth: number }[] = [{ abs: this.folder, rel: '', depth: 0 }];
    let seen = 0;
    while (queue.length > 0) {
      const dir = queue.shift()!;
      let entries: readonly WorkspaceEntry[];
      try {
        entries = [...(await this.fs.readDirectory(dir.abs))].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      } catch (error) {
        this.problems.push({ file: dir.rel || '.', line: 0, severity: 'warning', message: `cannot list the folder (${errorText(error)}); it was skipped` });
        continue;
      }
      for (const entry of entries) {
        if (++seen > maxEntries) {
          result.truncated = true;
          return result;
        }
        const rel = dir.rel ? `${dir.rel}/${entry.name}` : entry.name;
        const abs = path.join(dir.abs, entry.name);
        if (entry.isDirectory) {
          if (entry.name.startsWith('.') || SKIPPED_FOLDER.test(entry.name)) continue;
          if (dir.depth + 1 > maxDepth) result.truncated = true;
          else queue.push({ abs, rel, depth: dir.depth + 1 });
          continue;
        }
        if (!entry.isFile) continue;
        const lower = entry.name.toLowerCase();
        if (lower.endsWith('.sln') || lower.endsWith('.slnx')) result.solutions.push({ rel, abs });
        else if (lower.endsWith('.vcxproj')) result.projects.push({ rel, abs });
        else if (lower.endsWith('.inf') || lower.endsWith('.inx')) result.infs.push({ rel, abs });
        else if (BUILD_FILES.has(lower)) result.buildFiles.push({ rel, abs });
      }
    }
    for (const list of [result.solutions, result.projects, result.infs, result.buildFiles]) list.sort((a, b) => comparePaths(a.rel, b.rel));
    return result;
  }

  private async read(file: Found): Promise<Uint8Array | undefined> {
    try {
      const bytes = await this.fs.readFile(file.abs, MAX_FILE_BYTES + 1);
      if (bytes.length > MAX_FILE_BYTES) {
        this.problems.push({ file: file.rel, line: 0, severity: 'warning', message: `is over ${MAX_FILE_BYTES} bytes, too big to be what its name says; it was skipped` });
        return undefined;
      }
      return bytes;
    } catch (error) {
      this.problems.push({ file: file.rel, line: 0, severity: 'warning', message: `cannot be read (${errorText(error)}); it was skipped` });
      return undefined;
    }
  }

  private async loadSolutions(files: readonly Found[]): Promise<LoadedSolution[]> {
    const loaded: LoadedSolution[] = [];
    for (const f of files) {
      const bytes = await this.read(f);
      if (!bytes) continue;
      const text = decodeWindowsText(bytes).text;
      loaded.push({ ...f, dir: posixDir(f.rel), file: /\.slnx$/i.test(f.rel) ? readSlnx(text) : readSolution(text) });
    }
    return loaded;
  }

  private async loadProjects(files: readonly Found[]): Promise<LoadedProject[]> {
    const loaded: LoadedProject[] = [];
    for (const f of files) {
      const bytes = await this.read(f);
      if (bytes) loaded.push({ ...f, dir: posixDir(f.rel), name: fileName(f.rel).replace(/\.vcxproj$/i, ''), project: readVcxproj(decodeWindowsText(bytes).text) });
    }
    return loaded;
  }

  private async loadInfs(files: readonly Found[]): Promise<LoadedInf[]> {
    const loaded: LoadedInf[] = [];
    for (const f of files) {
      const bytes = await this.read(f);
      if (!bytes) continue;
      const inx = /\.inx$/i.test(f.rel);
      const version = describeInfPackage(parseInf(bytes, inx ? { inxArchitecture: 'amd64' } : {}), { architecture: 'amd64' }).version;
      const isDisplay = version.class?.toLowerCase() === 'display' || version.classGuid?.toLowerCase() === DISPLAY_CLASS_GUID;
      loaded.push({ ...f, bytes, inx, isDisplay });
    }
    return loaded;
  }

  /** Driver projects with their INFs first; a custom build for the INFs no project claims. */
  private async packages(solutions: readonly LoadedSolution[], projects: readonly LoadedProject[], infs: readonly LoadedInf[], buildFiles: readonly Found[]): Promise<ProposedPackage[]> {
    const drivers = this.driverProjects(projects, infs);
    const claimed = new Set(drivers.flatMap((d) => d.infs.map((i) => i.inf.rel)));
    const unclaimed = infs.filter((inf) => !claimed.has(inf.rel));
    const displayOnly = [...drivers.flatMap((d) => d.infs.map((i) => i.inf)), ...unclaimed].some((inf) => inf.isDisplay);
    const keep = (inf: LoadedInf) => !displayOnly || inf.isDisplay;
    const left = [...drivers.filter((d) => !d.infs.some((i) => keep(i.inf))).map((d) => d.project.rel), ...unclaimed.filter((inf) => !keep(inf)).map((inf) => inf.rel)];
    if (left.length > 0) {
      this.explain('driver.packages', `only display drivers are proposed (a GPU-PV package is Class=Display); left out: ${left.join(', ')}`, 'likely', left);
    }
    const packages: ProposedPackage[] = [];
    for (const driver of drivers.filter((d) => d.infs.some((i) => keep(i.inf)))) {
      packages.push(this.msbuildPackage(`driver.packages[${packages.length}]`, { ...driver, infs: driver.infs.filter((i) => keep(i.inf)) }, solutions, projects));
    }
    const loose = unclaimed.filter(keep);
    if (loose.length > 0 && packages.length > 0) {
      this.explain('driver.packages', `${loose.map((i) => i.rel).join(', ')} ${loose.length === 1 ? 'is' : 'are'} in no project's Inf items, so no package installs ${loose.length === 1 ? 'it' : 'them'}; add one by hand if it should be`, 'likely', loose.map((i) => i.rel));
    } else if (loose.length > 0) {
      const commandPackage = await this.commandPackage(`driver.packages[${packages.length}]`, loose, buildFiles);
      if (commandPackage) packages.push(commandPackage);
    }
    this.explainSharedDevices(packages);
    const names = new Set<string>();
    for (const pkg of packages) {
      let name = pkg.name;
      for (let n = 2; names.has(name.toLowerCase()); n++) name = `${pkg.name}-${n}`;
      names.add(name.toLowerCase());
      pkg.name = name;
    }
    return packages;
  }

  /** Two packages for one device: both get installed and Windows keeps the better-ranked driver. */
  private explainSharedDevices(packages: readonly ProposedPackage[]): void {
    const byId = new Map<string, string[]>();
    for (const pkg of packages) {
      for (const id of pkg.hardwareIds ?? []) byId.set(id.toLowerCase(), [...(byId.get(id.toLowerCase()) ?? []), pkg.name]);
    }
    for (const [id, names] of byId) {
      if (names.length < 2) continue;
      const shown = packages.flatMap((p) => p.hardwareIds ?? []).find((h) => h.toLowerCase() === id)!;
      this.explain('driver.packages', `${names.join(' and ')} both install on ${shown}: each deploy installs both and Windows keeps the one it ranks best; remove the package you are not testing`, 'sure', [], names);
    }
  }

  private driverProjects(projects: readonly LoadedProject[], infs: readonly LoadedInf[]): DriverProject[] {
    const drivers: DriverProject[] = [];
    for (const project of projects) {
      const sample = project.project.configurations.find((c) => c.platform.toLowerCase() === 'x64') ?? project.project.configurations[0] ?? { configuration: 'Debug', platform: 'x64' };
      const properties = project.project.properties(sample.configuration, sample.platform);
      const toolset = properties.get('PlatformToolset')?.value ?? '';
      const isKernel = /^WindowsKernelModeDriver/i.test(toolset) || /^driver$/i.test(properties.get('ConfigurationType')?.value ?? '');
      const items: DriverProject['infs'] = [];
      for (const item of project.project.infItems) {
        const pattern = expandProperties(item.include, (name) => projectNameProperty(name, project, properties));
        if (pattern === undefined) {
          this.problems.push({ file: project.rel, line: item.line, severity: 'warning', message: `Inf item "${item.include}" uses a property init cannot evaluate; name the INF in gpupv.json by hand` });
          continue;
        }
        const matches = matchInfItem(posixJoin(project.dir, pattern.replace(/\\/g, '/')), infs);
        if (matches.length === 0) this.problems.push({ file: project.rel, line: item.line, severity: 'warning', message: `Inf item "${item.include}" matches no INF in the workspace` });
        for (const inf of matches) if (!items.some((i) => i.inf === inf)) items.push({ inf, source: `an Inf item of ${project.rel}:${item.line}`, evidence: `${project.rel}:${item.line}` });
      }
      if (items.length === 0 && isKernel) {
        // An older layout keeps the INF beside a kernel project that does not list it.
        for (const inf of infs.filter((i) => posixDir(i.rel) === project.dir)) items.push({ inf, source: `beside ${project.rel}, which lists no Inf item`, evidence: inf.rel });
      }
      if (items.length > 0) drivers.push({ project, infs: items });
    }
    return drivers;
  }

  private msbuildPackage(property: string, driver: DriverProject, solutions: readonly LoadedSolution[], projects: readonly LoadedProject[]): ProposedPackage {
    const { project } = driver;
    const containing = solutions
      .flatMap((s) => {
        const entry = s.file.projects.find((p) => posixJoin(s.dir, p.path).toLowerCase() === project.rel.toLowerCase());
        return entry ? [{ solution: s, entry }] : [];
      })
      .sort((a, b) => solutionRank(a.solution, project) - solutionRank(b.solution, project) || comparePaths(a.solution.rel, b.solution.rel));
    const chosen = containing[0];
    const buildFile = chosen ? chosen.solution.rel : project.rel;
    if (chosen) {
      const others = containing.slice(1).map((c) => c.solution.rel);
      this.explain(
        `${property}.project`,
        `${buildFile}: the solution that builds ${project.rel} (${chosen.solution.rel}:${chosen.entry.line})${others.length ? `; also in ${others.join(', ')}, farther from the project` : ''}`,
        others.length ? 'likely' : 'sure',
        [`${chosen.solution.rel}:${chosen.entry.line}`],
        others,
      );
    } else {
      this.explain(`${property}.project`, `${buildFile}: no solution in the folder lists it, so MSBuild builds the project itself`, 'likely', [project.rel]);
    }
    const configurations = this.configurationCandidates(chosen, project);
    const { choice: solutionConfiguration, alternatives } = chooseConfiguration(configurations.list);
    const projectConfiguration = chosen
      ? (chosen.solution.file.projectConfiguration(chosen.entry, solutionConfiguration) ?? { configuration: solutionConfiguration.configuration, platform: /^x86$/i.test(solutionConfiguration.platform) ? 'Win32' : solutionConfiguration.platform })
      : solutionConfiguration;
    const mapped = projectConfiguration.configuration !== solutionConfiguration.configuration || projectConfiguration.platform !== solutionConfiguration.platform;
    this.explain(
      `${property}.platform`,
      `${solutionConfiguration.platform}: ${/^x64$/i.test(solutionConfiguration.platform) ? 'x64 is what a GPU-PV guest runs' : 'the first platform listed (no x64 one)'}${configurations.where}${alsoListed(unique(configurations.list.map((c) => c.platform)).filter((p) => p !== solutionConfiguration.platform))}`,
      configurations.guessed ? 'guess' : 'likely',
      configurations.evidence,
      unique(configurations.list.map((c) => c.platform)).filter((p) => p !== solutionConfiguration.platform),
    );
    this.explain(
      `${property}.configuration`,
      `${solutionConfiguration.configuration}: ${/debug/i.test(solutionConfiguration.configuration) ? 'a debug build for the test loop' : 'no debug configuration is listed'}${alsoListed(alternatives)}${mapped ? `; the solution builds ${project.rel} as ${projectConfiguration.configuration}|${projectConfiguration.platform} there` : ''}`,
      configurations.guessed ? 'guess' : 'likely',
      configurations.evidence,
      alternatives,
    );
    const properties = project.project.properties(projectConfiguration.configuration, projectConfiguration.platform);
    this.explainProjectKind(property, project, properties, projectConfiguration);
    const outputDir = this.outputDir(property, project, chosen?.solution, properties, projectConfiguration, { buildFile, ...solutionConfiguration });
    const outputFolder = outputDir ?? defaultMsBuildOutputDir(buildFile, solutionConfiguration.platform, solutionConfiguration.configuration);
    const architecture = infArchitectureForPlatform(projectConfiguration.platform) ?? 'amd64';
    const pkg: ProposedPackage = {
      name: fileName(driver.infs[0]!.inf.rel).replace(/\.in[fx]$/i, ''),
      project: buildFile,
      configuration: solutionConfiguration.configuration,
      platform: solutionConfiguration.platform,
      ...(outputDir !== undefined ? { outputDir } : {}),
      infs: [],
    };
    const builders = chosen
      ? projects.filter((p) => chosen.solution.file.projects.some((e) => posixJoin(chosen.solution.dir, e.path).toLowerCase() === p.rel.toLowerCase()))
      : [project];
    this.describePackage(property, pkg, driver.infs, architecture, outputFolder, (file) => this.builderOf(file, builders, projects, chosen?.solution, solutionConfiguration));
    return pkg;
  }

  private configurationCandidates(chosen: { solution: LoadedSolution; entry: SolutionProject } | undefined, project: LoadedProject) {
    if (chosen && chosen.solution.file.configurations.length > 0) {
      const all = chosen.solution.file.configurations;
      const built = all.filter((c) => chosen.solution.file.projectConfiguration(chosen.entry, c) !== undefined);
      const list = built.length > 0 ? built : all;
      return { list, where: ` (solution configurations of ${chosen.solution.rel}:${list[0]!.line})`, evidence: [`${chosen.solution.rel}:${list[0]!.line}`], guessed: false };
    }
    if (project.project.configurations.length > 0) {
      const list = project.project.configurations;
      return { list, where: ` (ProjectConfiguration items of ${project.rel}:${list[0]!.line})`, evidence: [`${project.rel}:${list[0]!.line}`], guessed: false };
    }
    return { list: [{ configuration: 'Debug', platform: 'x64', line: 0 }], where: ' (MSBuild\u2019s default: no configuration is listed)', evidence: [], guessed: true };
  }

  private explainProjectKind(property: string, project: LoadedProject, properties: ReadonlyMap<string, ProjectProperty>, configuration: ConfigurationPlatform): void {
    const at = (name: string) => {
      const p = properties.get(name);
      return p ? `${name} ${p.value} (${project.rel}:${p.line})` : undefined;
    };
    const facts = ['PlatformToolset', 'DriverType', 'ConfigurationType'].map(at).filter((f): f is string => f !== undefined);
    const toolset = properties.get('PlatformToolset')?.value ?? '';
    const kind = /^WindowsKernelModeDriver/i.test(toolset) ? 'a kernel-mode driver (KMD) project' : /^WindowsUserModeDriver/i.test(toolset) ? 'a user-mode driver project' : 'a project with INF items';
    this.explain(
      property,
      `${project.rel} is ${kind} for ${configuration.configuration}|${configuration.platform}${facts.length ? `: ${facts.join(', ')}` : ' (its toolset is set in an imported .props init does not read)'}`,
      facts.length ? 'sure' : 'likely',
      facts.length ? [`${project.rel}:${properties.get('PlatformToolset')?.line ?? 0}`] : [project.rel],
    );
  }

  private outputDir(
    property: string,
    project: LoadedProject,
    solution: LoadedSolution | undefined,
    properties: ReadonlyMap<string, ProjectProperty>,
    configuration: ConfigurationPlatform,
    build: ConfigurationPlatform & { buildFile: string },
  ): string | undefined {
    const defaultDir = defaultMsBuildOutputDir(build.buildFile, build.platform, build.configuration);
    const outDir = properties.get('OutDir');
    const raw = outDir?.value ?? defaultOutDir(configuration.platform);
    const lookup = (name: string): string | undefined => {
      const lower = name.toLowerCase();
      if (lower === 'configuration') return configuration.configuration;
      if (lower === 'platform') return configuration.platform;
      if (lower === 'platformtarget') return /^win32$/i.test(configuration.platform) ? 'x86' : configuration.platform;
      if (lower === 'projectdir') return `${WORKSPACE}${dirPrefix(project.dir)}`;
      if (lower === 'msbuildprojectdirectory' || lower === 'msbuildthisfiledirectory') return `${WORKSPACE}${project.dir === '.' ? '' : project.dir}`;
      if (lower === 'solutiondir') return `${WORKSPACE}${dirPrefix(solution?.dir ?? project.dir)}`;
      if (lower === 'intdir') return properties.get('IntDir')?.value ?? defaultIntDir(configuration.platform);
      return projectNameProperty(name, project, properties);
    };
    const expanded = expandProperties(raw, lookup);
    const where = outDir ? `OutDir ${outDir.value} (${project.rel}:${outDir.line})` : `MSBuild's default OutDir ${raw}`;
    if (expanded === undefined) {
      this.explain(`${property}.outputDir`, `not set: ${where} uses a property init cannot evaluate (from an imported .props?); MSBuild's default would be ${defaultDir}, set "outputDir" if the files land elsewhere`, 'guess', outDir ? [`${project.rel}:${outDir.line}`] : []);
      return undefined;
    }
    const folder = resolveOutput(expanded, project.dir);
    if (folder.toLowerCase() === defaultDir.toLowerCase()) {
      this.explain(`${property}.outputDir`, `left to the default ${defaultDir}: ${where} for ${configuration.configuration}|${configuration.platform}`, 'likely', outDir ? [`${project.rel}:${outDir.line}`] : []);
      return undefined;
    }
    this.explain(`${property}.outputDir`, `${folder}: ${where} for ${configuration.configuration}|${configuration.platform}, not the default ${defaultDir}`, 'likely', outDir ? [`${project.rel}:${outDir.line}`] : [project.rel]);
    return folder;
  }

  /** Reads each INF for the architecture and fills in infs, files and hardware ids, explaining each. */
  private describePackage(
    property: string,
    pkg: ProposedPackage,
    infs: readonly PackageInf[],
    architecture: InfArchitecture,
    outputFolder: string,
    builderOf: (file: string) => string | undefined,
  ): void {
    const files: string[] = [];
    const ids: string[] = [];
    for (const { inf, source, evidence } of infs) {
      const parsed = describeInfPackage(parseInf(inf.bytes, inf.inx ? { inxArchitecture: architecture } : {}), { architecture });
      this.addInfProblems(inf.rel, parsed.problems);
      const stamped = `${outputFolder}/${fileName(inf.rel).replace(/\.inx$/i, '.inf')}`;
      pkg.infs.push(inf.inx ? stamped : inf.rel);
      this.explain(
        `${property}.infs`,
        inf.inx
          ? `${stamped}: the INF stampinf makes in the output folder from ${inf.rel} (${source}); read here with $ARCH$ = ${architecture}`
          : `${inf.rel}: ${source}${parsed.version.class ? `, Class=${parsed.version.class}` : ''}${parsed.version.driverVersion ? `, DriverVer ${parsed.version.driverDate ?? '?'} ${parsed.version.driverVersion}` : ''}`,
        'sure',
        [evidence, inf.rel],
      );
      for (const install of parsed.installs) {
        for (const copied of install.copyFiles) {
          if (files.some((f) => f.toLowerCase() === copied.packagePath.toLowerCase())) continue;
          files.push(copied.packagePath);
          this.explain(`${property}.files`, `${copied.packagePath}: ${describeCopy(inf.rel, install, copied)}${roleOf(install, copied)}; ${builderOf(copied.packagePath) ?? 'no project here builds it: put it in the output folder before Sign'}`, 'sure', [`${inf.rel}:${copied.line}`]);
        }
      }
      if (parsed.version.catalogFile && !files.some((f) => f.toLowerCase() === parsed.version.catalogFile!.toLowerCase())) {
        files.push(parsed.version.catalogFile);
        this.explain(`${property}.files`, `${parsed.version.catalogFile}: the CatalogFile of [Version] (${inf.rel}:${parsed.version.catalogFileLine}); Sign makes it with Inf2Cat`, 'sure', [`${inf.rel}:${parsed.version.catalogFileLine}`]);
      }
      this.explainHardwareIds(property, inf.rel, parsed);
      for (const id of parsed.hardwareIds) if (!ids.some((i) => i.toLowerCase() === id.toLowerCase())) ids.push(id);
    }
    if (files.length > 0) pkg.files = files;
    if (ids.length > 0) pkg.hardwareIds = ids;
  }

  private explainHardwareIds(property: string, infRel: string, parsed: InfPackage): void {
    for (const maker of parsed.manufacturers) {
      const seen = maker.candidates.filter((c) => c !== maker.modelsSection);
      if (!maker.modelsSection) {
        this.explain(`${property}.hardwareIds`, `manufacturer "${maker.name}" (${infRel}:${maker.line}) has no models section Windows would use on ${parsed.architecture}; see the problems`, 'sure', [`${infRel}:${maker.line}`], seen);
        continue;
      }
      const devices = parsed.devices.filter((d) => d.modelsSection === maker.modelsSection);
      const compatible = unique(devices.flatMap((d) => d.compatibleIds));
      this.explain(
        `${property}.hardwareIds`,
        `${unique(devices.flatMap((d) => (d.hardwareId ? [d.hardwareId] : []))).join(', ') || 'none'}: the models of [${maker.modelsSection}] (${infRel}:${devices[0]?.line ?? maker.line}), which Windows picks on ${parsed.architecture} for "${maker.name}" (${infRel}:${maker.line})${seen.length ? ` over ${seen.join(', ')}` : ''}${compatible.length ? `; compatible ids ${compatible.join(', ')} are left out (the health check looks for the device by hardware id)` : ''}`,
        'sure',
        [`${infRel}:${maker.line}`],
        seen,
      );
    }
  }

  private addInfProblems(file: string, problems: readonly InfProblem[]): void {
    for (const p of problems) this.problems.push({ file, line: p.line, severity: p.severity, message: p.message });
  }

  private builderOf(file: string, inSolution: readonly LoadedProject[], all: readonly LoadedProject[], solution: LoadedSolution | undefined, build: ConfigurationPlatform): string | undefined {
    const wanted = baseName(file).toLowerCase();
    const extension = wanted.slice(wanted.lastIndexOf('.'));
    if (extension === '.cat') return undefined;
    const outputOf = (project: LoadedProject, configuration: ConfigurationPlatform) => {
      const properties = project.project.properties(configuration.configuration, configuration.platform);
      const name = properties.get('TargetName')?.value ?? project.name;
      const type = (properties.get('ConfigurationType')?.value ?? '').toLowerCase();
      const ext = type === 'driver' ? '.sys' : type === 'dynamiclibrary' ? '.dll' : type === 'application' ? '.exe' : undefined;
      const expanded = expandProperties(name, (n) => projectNameProperty(n, project, properties));
      return ext && expanded ? expanded.toLowerCase() + ext : undefined;
    };
    for (const project of inSolution) {
      const entry = solution?.file.projects.find((e) => posixJoin(solution.dir, e.path).toLowerCase() === project.rel.toLowerCase());
      const configuration = (entry && solution?.file.projectConfiguration(entry, build)) ?? { configuration: build.configuration, platform: /^x86$/i.test(build.platform) ? 'Win32' : build.platform };
      if (outputOf(project, configuration) === wanted) return `built by ${project.rel}`;
    }
    for (const project of all) {
      const other = project.project.configurations.find((c) => outputOf(project, c) === wanted);
      if (other) {
        const inThis = inSolution.includes(project);
        return `only ${project.rel}${inThis ? '' : ', which this build does not include,'} builds it, as ${other.configuration}|${other.platform}: build that too and copy it into the output folder before Sign`;
      }
    }
    return undefined;
  }

  /** No MSBuild project claims these INFs: the user's own build system makes the package. */
  private async commandPackage(property: string, infs: readonly LoadedInf[], buildFiles: readonly Found[]): Promise<ProposedPackage | undefined> {
    const ranked = [...buildFiles].sort((a, b) => depth(a.rel) - depth(b.rel) || comparePaths(a.rel, b.rel));
    const covering = ranked.filter((f) => infs.some((inf) => isInside(inf.rel, posixDir(f.rel))));
    const chosen = covering[0] ?? ranked[0];
    const name = fileName(infs[0]!.rel).replace(/\.in[fx]$/i, '');
    if (!chosen) {
      this.explain('driver.packages', `${infs.map((i) => i.rel).join(', ')} found, but no .sln, .vcxproj, Makefile, CMakeLists.txt or meson.build builds ${infs.length === 1 ? 'it' : 'them'}: add "project" or "command" and "outputDir" to a package by hand`, 'sure', infs.map((i) => i.rel));
      return undefined;
    }
    const dir = posixDir(chosen.rel);
    const tool = BUILD_FILES.get(fileName(chosen.rel).toLowerCase())!;
    const others = ranked.filter((f) => f !== chosen).map((f) => f.rel);
    const plan = tool === 'make' ? await this.makePlan(chosen, dir) : tool === 'cmake' ? cmakePlan(dir) : mesonPlan(dir);
    this.explain(
      `${property}.command`,
      `${JSON.stringify(plan.command)}${dir === '.' ? '' : ` in ${dir}`}: no MSBuild project lists the INF${infs.length === 1 ? '' : 's'}, and ${chosen.rel} is ${covering.length ? 'the build file nearest above it' : 'the shallowest build file'}${others.length ? `; also seen: ${others.join(', ')}` : ''}${plan.note ? `; ${plan.note}` : ''}`,
      others.length ? 'guess' : 'likely',
      [chosen.rel],
      others,
    );
    this.explain(`${property}.outputDir`, `${plan.outputDir}: ${plan.outputReason}`, plan.outputConfidence, plan.evidence);
    const pkg: ProposedPackage = { name, command: plan.command, ...(dir !== '.' ? { cwd: dir } : {}), outputDir: plan.outputDir, infs: [] };
    this.describePackage(property, pkg, infs.map((inf) => ({ inf, source: 'no project lists it', evidence: inf.rel })), 'amd64', plan.outputDir, () => `the command is expected to build it into ${plan.outputDir}`);
    return pkg;
  }

  private async makePlan(makefile: Found, dir: string): Promise<CommandPlan> {
    const bytes = await this.read(makefile);
    const text = bytes ? decodeWindowsText(bytes).text : '';
    const lines = text.split(/\r\n|\r|\n/);
    for (const variable of MAKE_OUTPUT_VARIABLES) {
      const pattern = new RegExp(`^\\s*(?:override\\s+|export\\s+)?${variable}\\s*(?:\\?|::?|\\+)?=\\s*(\\S.*?)\\s*(?:#.*)?$`);
      for (const [index, line] of lines.entries()) {
        const value = pattern.exec(line)?.[1];
        if (value === undefined || /\$[({]/.test(value) || path.posix.isAbsolute(value) || path.win32.isAbsolute(value)) continue;
        return {
          command: ['make'],
          outputDir: posixJoin(dir, value),
          outputReason: `${makefile.rel}:${index + 1} sets ${variable} to ${value}`,
          outputConfidence: 'likely',
          evidence: [`${makefile.rel}:${index + 1}`],
        };
      }
    }
    for (const variable of MAKE_OUTPUT_VARIABLES) {
      const used = lines.findIndex((line) => line.includes(`$(${variable})`) || line.includes(`\${${variable}}`));
      if (used >= 0) {
        return {
          command: ['make', `${variable}=build`],
          outputDir: posixJoin(dir, 'build'),
          outputReason: `${makefile.rel}:${used + 1} uses $(${variable}) without giving it a value, so the command sets ${variable}=build`,
          outputConfidence: 'guess',
          evidence: [`${makefile.rel}:${used + 1}`],
        };
      }
    }
    return { command: ['make'], outputDir: dir, outputReason: `${makefile.rel} names no output folder variable (${MAKE_OUTPUT_VARIABLES.join(', ')}), so the files are looked for beside it`, outputConfidence: 'guess', evidence: [makefile.rel] };
  }

  private signing(packages: readonly ProposedPackage[]): ProposedDriverSection['signing'] {
    const platforms = unique(packages.map((p) => p.platform ?? 'x64'));
    const catalogOs = unique(platforms.flatMap((p) => (CATALOG_OS_BY_PLATFORM[p.toLowerCase()] ? [CATALOG_OS_BY_PLATFORM[p.toLowerCase()]!] : [])));
    this.explain(
      'driver.signing',
      `a test certificate made on first use ("create"); give { "pfx": … }, { "thumbprint": … } or { "subject": … } to sign with your own. ${catalogOs.length ? `Inf2Cat /os ${catalogOs.join(',')} for ${platforms.join(', ')}` : 'Inf2Cat /os 10_X64 (the default)'}; no timestamp, as offline test machines need`,
      'likely',
    );
    return { certificate: 'create', ...(catalogOs.length ? { catalogOs: [...(platforms.some((p) => /^x64$/i.test(p)) ? ['10_X64'] : []), ...catalogOs] } : {}) };
  }

  private explainNothing(found: DriverProposal['found']): void {
    if (found.infs.length === 0 && found.projects.length === 0) {
      this.explain('driver', `no INF (.inf, .inx) and no Visual Studio project (.vcxproj) under the folder${found.solutions.length ? ` (solutions seen: ${found.solutions.join(', ')})` : ''}: open the driver's folder, or write the "driver" section by hand`, 'sure');
    } else if (found.infs.length === 0) {
      this.explain('driver', `projects were found (${found.projects.join(', ')}) but no INF: a driver package needs one; add it to the project (an Inf item) or to the folder`, 'sure');
    }
  }
}

interface CommandPlan {
  readonly command: string[];
  readonly outputDir: string;
  readonly outputReason: string;
  readonly outputConfidence: Confidence;
  readonly evidence: readonly string[];
  readonly note?: string;
}

function cmakePlan(dir: string): CommandPlan {
  const outputDir = posixJoin(dir, 'build');
  return {
    command: ['cmake', '--build', 'build'],
    outputDir,
    outputReason: 'the usual CMake build folder; point it at the folder your targets write to',
    outputConfidence: 'guess',
    evidence: [`${dirPrefix(dir)}CMakeLists.txt`],
    note: `configure it once first: cmake -S ${dir} -B ${outputDir}`,
  };
}

function mesonPlan(dir: string): CommandPlan {
  const outputDir = posixJoin(dir, 'builddir');
  return {
    command: ['meson', 'compile', '-C', 'builddir'],
    outputDir,
    outputReason: 'the build folder meson is usually set up with',
    outputConfidence: 'guess',
    evidence: [`${dirPrefix(dir)}meson.build`],
    note: `set it up once first: meson setup ${outputDir}`,
  };
}

const WORKSPACE = '\u0000workspace/';

/** An expanded OutDir, relative to the project unless it starts at a folder property. */
function resolveOutput(expanded: string, projectDir: string): string {
  const slashed = expanded.replace(/\\/g, '/');
  if (slashed.startsWith(WORKSPACE)) return posixJoin('.', slashed.slice(WORKSPACE.length));
  if (path.win32.isAbsolute(slashed) || path.posix.isAbsolute(slashed)) return slashed.replace(/\/+$/, '');
  return posixJoin(projectDir, slashed);
}

/** The project-name family of properties, and any property the project itself sets. */
function projectNameProperty(name: string, project: LoadedProject, properties: ReadonlyMap<string, ProjectProperty>): string | undefined {
  const lower = name.toLowerCase();
  if (lower === 'projectname' || lower === 'msbuildprojectname') return project.name;
  const own = [...properties.entries()].find(([key]) => key.toLowerCase() === lower)?.[1].value;
  return own ?? (lower === 'targetname' || lower === 'rootnamespace' ? project.name : undefined);
}

/** A solution above the project beats one elsewhere; the nearest above beats the rest. */
function solutionRank(solution: LoadedSolution, project: LoadedProject): number {
  const above = solution.dir === '.' || isInside(project.rel, solution.dir);
  return above ? -depth(solution.rel) : 1000;
}

interface ConfigurationChoice {
  readonly choice: ConfigurationPlatform;
  readonly alternatives: readonly string[];
}

/** x64 first, then a Debug configuration, then the newest Windows a name mentions (Win10 over Win8). */
function chooseConfiguration(list: readonly ConfigurationPlatform[]): ConfigurationChoice {
  const platforms = unique(list.map((c) => c.platform));
  const platform = platforms.find((p) => /^x64$/i.test(p)) ?? platforms.find((p) => /^(amd64)$/i.test(p)) ?? platforms[0]!;
  const forPlatform = list.filter((c) => c.platform === platform);
  const score = (name: string) => {
    const kind = /^debug$/i.test(name) ? 3 : /debug/i.test(name) ? 2 : /release/i.test(name) ? 1 : 0;
    const windows = /win(?:dows)?\s*(\d+(?:\.\d+)?)/i.exec(name);
    return kind * 1000 + (windows ? Number(windows[1]) : 0);
  };
  const best = [...forPlatform].sort((a, b) => score(b.configuration) - score(a.configuration))[0]!;
  return { choice: best, alternatives: unique(forPlatform.map((c) => c.configuration)).filter((c) => c !== best.configuration) };
}

function matchInfItem(pattern: string, infs: readonly LoadedInf[]): LoadedInf[] {
  if (!/[*?]/.test(pattern)) return infs.filter((inf) => inf.rel.toLowerCase() === pattern.toLowerCase());
  const regex = new RegExp(
    `^${pattern
      .split(/(\*\*\/|\*|\?)/)
      .map((part) => (part === '**/' ? '(?:.*/)?' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    'i',
  );
  return infs.filter((inf) => regex.test(inf.rel));
}

function describeCopy(infRel: string, install: InfInstall, copied: InfCopiedFile): string {
  const via = copied.listSection ? `[${copied.listSection}] of [${install.section}]` : `CopyFiles=@ in [${install.section}]`;
  const where = copied.destination ? ` to ${DIRID_NAMES[copied.destination.dirid] ?? `DIRID ${copied.destination.dirid}`}${copied.destination.subdir ? `\\${copied.destination.subdir}` : ''}` : '';
  return `copied by ${via} (${infRel}:${copied.line})${where}`;
}

function roleOf(install: InfInstall, copied: InfCopiedFile): string {
  const name = copied.name.toLowerCase();
  const named = (values: readonly string[] | undefined) => (values ?? []).some((v) => baseName(v).toLowerCase() === name);
  const service = install.services.find((s) => s.serviceBinary !== undefined && baseName(s.serviceBinary).toLowerCase() === name);
  if (service) return `, the kernel-mode driver (ServiceBinary of service ${service.name})`;
  if (named(install.userModeDriverName?.values)) return `, the user-mode driver (UserModeDriverName in [${install.userModeDriverName!.section}], line ${install.userModeDriverName!.line})`;
  if (named(install.userModeDriverNameWow?.values)) return `, the 32-bit user-mode driver for WOW64 (UserModeDriverNameWow in [${install.userModeDriverNameWow!.section}], line ${install.userModeDriverNameWow!.line})`;
  return '';
}

function alsoListed(others: readonly string[]): string {
  return others.length ? `; also listed: ${others.join(', ')}` : '';
}

/** The last part of a workspace-relative path (`\\` is a name character there, as on Linux). */
function fileName(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

function posixDir(rel: string): string {
  const dir = path.posix.dirname(rel);
  return dir === '' ? '.' : dir;
}

function posixJoin(dir: string, rel: string): string {
  const joined = path.posix.normalize(path.posix.join(dir, rel)).replace(/\/+$/, '');
  return joined === '' ? '.' : joined.replace(/^\.\//, '');
}

function dirPrefix(dir: string): string {
  return dir === '.' ? '' : `${dir}/`;
}

function isInside(rel: string, dir: string): boolean {
  return dir === '.' || rel.toLowerCase().startsWith(`${dir.toLowerCase()}/`);
}

function depth(rel: string): number {
  return rel.split('/').length;
}

function comparePaths(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function unique(values: readonly string[]): string[] {
  return values.filter((v, i) => values.indexOf(v) === i);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
