// Just enough of Visual Studio's solution (.sln, .slnx) and C++ project (.vcxproj) files to
// tell which projects build drivers, for which configurations and platforms, with which INF
// items and into which folder. Not MSBuild: imports are not followed and only the conditions
// a project writes for its configurations ('$(Configuration)|$(Platform)'=='Debug|x64') are
// evaluated, so every answer is a guess the caller explains. Untrusted input: never throws.
// Pure: no `vscode` import.

export interface ConfigurationPlatform {
  readonly configuration: string;
  readonly platform: string;
}

/** A property's value for one configuration, and where it was set (1-based line). */
export interface ProjectProperty {
  readonly value: string;
  readonly line: number;
}

export interface VcxProject {
  readonly guid?: string;
  /** The ProjectConfiguration items, in file order. */
  readonly configurations: readonly (ConfigurationPlatform & { readonly line: number })[];
  /** `<Inf Include="…">` values, one per `;`-separated entry, as written. */
  readonly infItems: readonly { readonly include: string; readonly line: number }[];
  /** The properties a configuration ends up with, later definitions winning; unknown ones absent. */
  properties(configuration: string, platform: string): ReadonlyMap<string, ProjectProperty>;
}

export interface SolutionProject {
  readonly name: string;
  /** As the solution writes it, with forward slashes, relative to the solution's folder. */
  readonly path: string;
  readonly guid?: string;
  readonly line: number;
}

export interface SolutionFile {
  /** C++ projects only; solution folders and other project kinds are left out. */
  readonly projects: readonly SolutionProject[];
  readonly configurations: readonly (ConfigurationPlatform & { readonly line: number })[];
  /** The project configuration a solution configuration builds (ActiveCfg); undefined when the solution does not say. */
  projectConfiguration(project: SolutionProject, solution: ConfigurationPlatform): ConfigurationPlatform | undefined;
}

interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: XmlElement[];
  text: string;
  readonly line: number;
}

const TOKEN = /<!--[\s\S]*?(?:-->|$)|<!\[CDATA\[([\s\S]*?)(?:\]\]>|$)|<\?[\s\S]*?(?:\?>|$)|<![^>]*>|<\/([\w:.-]+)\s*>|<([\w:.-]+)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
const ATTRIBUTE = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** A forgiving XML reader: mismatched or unknown markup is skipped, never fatal. */
function parseXml(text: string): XmlElement {
  const root: XmlElement = { name: '', attributes: new Map(), children: [], text: '', line: 1 };
  const stack: XmlElement[] = [root];
  const lines = lineStarts(text);
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const top = stack[stack.length - 1]!;
    top.text += decodeEntities(text.slice(last, match.index));
    last = match.index + match[0].length;
    if (match[1] !== undefined) top.text += match[1];
    else if (match[2] !== undefined) {
      const at = stack.map((e) => e.name).lastIndexOf(match[2]);
      if (at > 0) stack.length = at;
    } else if (match[3] !== undefined) {
      const attributes = new Map<string, string>();
      for (const a of (match[4] ?? '').matchAll(ATTRIBUTE)) attributes.set(a[1]!, decodeEntities(a[2] ?? a[3] ?? ''));
      const element: XmlElement = { name: match[3], attributes, children: [], text: '', line: lineOf(lines, match.index) };
      top.children.push(element);
      if (match[5] !== '/') stack.push(element);
    }
  }
  return root;
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (whole, name: string) => {
    const lower = name.toLowerCase();
    if (lower.startsWith('#x')) return codePoint(Number.parseInt(lower.slice(2), 16), whole);
    if (lower.startsWith('#')) return codePoint(Number(lower.slice(1)), whole);
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[lower] ?? whole;
  });
}

function codePoint(value: number, fallback: string): string {
  return Number.isInteger(value) && value >= 0 && value <= 0x10ffff ? String.fromCodePoint(value) : fallback;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function lineOf(starts: readonly number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid]! <= offset) low = mid;
    else high = mid - 1;
  }
  return low + 1;
}

function descendants(element: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const visit = (e: XmlElement) => {
    for (const child of e.children) {
      if (child.name === name) found.push(child);
      visit(child);
    }
  };
  visit(element);
  return found;
}

/**
 * MSBuild's `'left' == 'right'` and `!=`, joined by `and` / `or`, after `$(Name)` is
 * replaced from `properties`. Anything else (Exists(), HasTrailingSlash() ...) is not known
 * here and counts as false, so a guessed value never comes from a branch MSBuild might skip.
 */
export function evaluateCondition(condition: string, properties: (name: string) => string | undefined): boolean {
  const expand = (s: string) => s.replace(/\$\(([\w.]+)\)/g, (_, name: string) => properties(name) ?? '');
  const disjuncts = condition.split(/\s+or\s+/i);
  return disjuncts.some((part) =>
    part.split(/\s+and\s+/i).every((clause) => {
      const match = /^\s*\(?\s*'([^']*)'\s*(==|!=)\s*'([^']*)'\s*\)?\s*$/.exec(clause);
      if (!match) return false;
      const equal = expand(match[1]!).toLowerCase() === expand(match[3]!).toLowerCase();
      return match[2] === '==' ? equal : !equal;
    }),
  );
}

export function readVcxproj(text: string): VcxProject {
  const root = parseXml(text);
  const project = root.children.find((e) => e.name === 'Project') ?? root;
  const configurations = descendants(project, 'ProjectConfiguration').flatMap((e) => {
    const include = e.attributes.get('Include') ?? '';
    const [configuration, platform] = include.split('|');
    return configuration && platform ? [{ configuration, platform, line: e.line }] : [];
  });
  const infItems = descendants(project, 'Inf')
    .filter((e) => e.attributes.has('Include'))
    .flatMap((e) =>
      e.attributes
        .get('Include')!
        .split(';')
        .map((s) => s.trim())
        .filter((s) => s !== '')
        .map((include) => ({ include, line: e.line })),
    );
  const guidElement = descendants(project, 'ProjectGuid')[0];
  return {
    ...(guidElement ? { guid: guidElement.text.trim() } : {}),
    configurations,
    infItems,
    properties: (configuration, platform) => evaluateProperties(project, configuration, platform),
  };
}

function evaluateProperties(project: XmlElement, configuration: string, platform: string): Map<string, ProjectProperty> {
  const properties = new Map<string, ProjectProperty>();
  const lookup = (name: string): string | undefined => {
    if (/^configuration$/i.test(name)) return configuration;
    if (/^platform$/i.test(name)) return platform;
    return properties.get(name)?.value;
  };
  const applies = (e: XmlElement) => {
    const condition = e.attributes.get('Condition');
    return condition === undefined || evaluateCondition(condition, lookup);
  };
  for (const group of project.children) {
    if (group.name !== 'PropertyGroup' || !applies(group)) continue;
    for (const property of group.children) {
      // The project's own Configuration/Platform defaults never override the one asked for.
      if (/^(configuration|platform)$/i.test(property.name) || !applies(property)) continue;
      properties.set(property.name, { value: property.text.trim(), line: property.line });
    }
  }
  return properties;
}

/** Project type GUIDs of C++ projects in .sln files (VS 2010 and later, and the older one). */
const CPP_PROJECT_TYPES = new Set(['{8bc9ceb8-8b4a-11d0-8d11-00a0c91bc942}']);

export function readSolution(text: string): SolutionFile {
  const lines = text.split(/\r\n|\r|\n/);
  const projects: SolutionProject[] = [];
  const configurations: (ConfigurationPlatform & { line: number })[] = [];
  const active = new Map<string, ConfigurationPlatform>();
  let section: string | undefined;
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    const project = /^Project\("([^"]*)"\)\s*=\s*"([^"]*)"\s*,\s*"([^"]*)"\s*,\s*"([^"]*)"/.exec(line);
    if (project) {
      const path = project[3]!.replace(/\\/g, '/');
      if (CPP_PROJECT_TYPES.has(project[1]!.toLowerCase()) || /\.vcxproj$/i.test(path)) {
        projects.push({ name: project[2]!, path, guid: project[4]!.toUpperCase(), line: index + 1 });
      }
      continue;
    }
    const start = /^GlobalSection\(([^)]*)\)/.exec(line);
    if (start) {
      section = start[1];
      continue;
    }
    if (line.startsWith('EndGlobalSection')) {
      section = undefined;
      continue;
    }
    if (section === 'SolutionConfigurationPlatforms') {
      const match = /^([^|=]+)\|([^=]+?)\s*=/.exec(line);
      if (match) configurations.push({ configuration: match[1]!.trim(), platform: match[2]!.trim(), line: index + 1 });
    } else if (section === 'ProjectConfigurationPlatforms') {
      const match = /^(\{[^}]+\})\.([^|]+)\|(.+?)\.ActiveCfg\s*=\s*([^|]+)\|(.+)$/.exec(line);
      if (match) active.set(`${match[1]!.toUpperCase()}|${match[2]!.trim()}|${match[3]!.trim()}`.toLowerCase(), { configuration: match[4]!.trim(), platform: match[5]!.trim() });
    }
  }
  return {
    projects,
    configurations,
    projectConfiguration: (project, solution) => active.get(`${project.guid ?? ''}|${solution.configuration}|${solution.platform}`.toLowerCase()),
  };
}

/** The XML solution format of Visual Studio 2022 17.13 and later. */
export function readSlnx(text: string): SolutionFile {
  const root = parseXml(text);
  const projects = descendants(root, 'Project')
    .filter((e) => /\.vcxproj$/i.test(e.attributes.get('Path') ?? ''))
    .map((e) => {
      const path = e.attributes.get('Path')!.replace(/\\/g, '/');
      return { name: path.replace(/^.*\//, '').replace(/\.vcxproj$/i, ''), path, line: e.line };
    });
  const names = (element: string) => descendants(root, element).flatMap((e) => (e.attributes.get('Name') ? [{ name: e.attributes.get('Name')!, line: e.line }] : []));
  // Without its own lists a solution has Visual Studio's defaults.
  const buildTypes = names('BuildType');
  const platforms = names('Platform');
  const configurationNames = buildTypes.length > 0 ? buildTypes : [{ name: 'Debug', line: 1 }, { name: 'Release', line: 1 }];
  const platformNames = platforms.length > 0 ? platforms : [{ name: 'x64', line: 1 }, { name: 'x86', line: 1 }];
  const configurations = configurationNames.flatMap((c) => platformNames.map((p) => ({ configuration: c.name, platform: p.name, line: Math.max(c.line, p.line) })));
  return { projects, configurations, projectConfiguration: () => undefined };
}

/** MSBuild's defaults for a C++ project: IntDir under the project, OutDir under the solution. */
export function defaultIntDir(platform: string): string {
  return platform.toLowerCase() === 'win32' ? '$(Configuration)\\' : '$(Platform)\\$(Configuration)\\';
}

export function defaultOutDir(platform: string): string {
  return platform.toLowerCase() === 'win32' ? '$(SolutionDir)$(Configuration)\\' : '$(SolutionDir)$(Platform)\\$(Configuration)\\';
}

/** `$(Name)` replaced from `properties`; undefined when a name is not known there. */
export function expandProperties(value: string, properties: (name: string) => string | undefined, depth = 0): string | undefined {
  const unknown: string[] = [];
  const expanded = value.replace(/\$\(([\w.]+)\)/g, (whole, name: string) => {
    const found = depth < 8 ? properties(name) : undefined;
    const inner = found === undefined ? undefined : expandProperties(found, properties, depth + 1);
    if (inner === undefined) unknown.push(name);
    return inner ?? whole;
  });
  return unknown.length > 0 ? undefined : expanded;
}
