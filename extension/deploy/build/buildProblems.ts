import * as path from 'node:path';

// Build output to Problems: what MSBuild, cl, link, infverif, stampinf and Inf2Cat print, and
// what gcc, GNU ld and collect2 print for builds by a custom command. VS Code's `$msCompile`
// misses lines without a location (`LINK : fatal error LNK1181`), the `N>` prefix of parallel
// MSBuild, infverif's own shapes and every linker; these patterns catch them.
//
// One table, BUILD_PROBLEM_PATTERNS, drives both this parser and the problemMatcher
// contributions (problemMatcherContributions()), so the terminal's matchers and the
// pipeline's own Problems cannot drift apart. The patterns are written so that no line is
// claimed by two of them: VS Code runs every matcher of a task on every line, and two
// matches would be two markers. Pure: no `vscode` import.

export type BuildProblemSeverity = 'error' | 'warning' | 'info';

export interface BuildProblem {
  /** Absolute when the tool printed a path the base folder resolves; absent for a problem of no file. */
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly endLine?: number;
  readonly severity: BuildProblemSeverity;
  /** `C2065`, `LNK2019`, `1209` (infverif), `22.9.7` (Inf2Cat). */
  readonly code?: string;
  readonly message: string;
  /** The MSBuild project of the ` [C:\src\proj.vcxproj]` suffix. */
  readonly project?: string;
  /** The pattern that matched, e.g. `msvc-location`. */
  readonly pattern: string;
}

/** One problem shape. Group indices are those of `regexp`; absent: the shape has no such part. */
export interface BuildProblemPattern {
  readonly id: string;
  /** `location`: a file and a line; `file`: the problem belongs to a file as a whole. */
  readonly kind: 'location' | 'file';
  readonly regexp: RegExp;
  readonly file?: number;
  readonly line?: number;
  readonly column?: number;
  readonly endLine?: number;
  readonly severity?: number;
  readonly code?: number;
  readonly message: number;
  /** Used when the line carries no severity word VS Code knows (`fatal error` captures just `error`). */
  readonly defaultSeverity: BuildProblemSeverity;
  /** Parser only: VS Code has no such property. */
  readonly project?: number;
}

// The pieces the patterns share. No flags: VS Code builds each regexp with `new RegExp(source)`.
// The node number of parallel MSBuild; Visual Studio's Output window copies it as a bare `>`.
const NODE_PREFIX = String.raw`^\s*(?:\d*>)?\s*`;
const PROJECT_SUFFIX = String.raw`(?:\s+\[([^\]]+?\.(?:[A-Za-z]*proj|sln|targets|props))(?:::[^\]]*)?\])?\s*$`;
/** What a file-level message is about when the file itself is worth opening, in either case (FOO.INF). */
const SOURCE_EXTENSIONS = ['inf', 'inx', 'c', 'cc', 'cpp', 'cxx', 'h', 'hh', 'hpp', 'hxx', 'rc', 'def', 'idl', 'asm', 'mc', 'man', 'vcxproj', 'sln', 'props', 'targets']
  .map((extension) => extension.replace(/[a-z]/g, (letter) => `[${letter}${letter.toUpperCase()}]`))
  .join('|');
/** A file or tool name before ` : error`: may hold spaces and a drive letter, never ends in a space. */
const ORIGIN = String.raw`(?:[A-Za-z]:)?[^:\s](?:[^:]*[^:\s])?`;
const LINKER_SYMBOL_PROBLEM = String.raw`(?:undefined reference to|multiple definition of|relocation truncated to fit)`;
const LD = String.raw`(?:\S*[\\/])?(?:[\w.+-]*-)?ld(?:\.bfd|\.gold)?(?:\.exe)?`;
const OBJECT_PREFIX = String.raw`(?:(?:[A-Za-z]:)?[^:\s][^:]*\.o(?:bj)?:)?`;

export const BUILD_PROBLEM_PATTERNS: readonly BuildProblemPattern[] = [
  {
    // C:\src\a.c(10,5): error C2065: 'x': undeclared identifier [C:\src\proj.vcxproj]
    // C:\src\a.c(12): fatal error C1083: Cannot open include file ...
    // D:\drv\x.inf(13-13): error 1209: Section [destinationdirs] is defined multiple times.
    id: 'msvc-location',
    kind: 'location',
    regexp: new RegExp(
      NODE_PREFIX +
        String.raw`([^\s>].*?)\((\d+)(?:-(\d+))?(?:,(\d+)(?:-\d+|,\d+,\d+)?)?\)\s*:\s*(?:fatal\s+)?(error|warning)(?:\s+([A-Za-z]*\d+))?\s*:\s*(.*?)` +
        PROJECT_SUFFIX,
    ),
    file: 1,
    line: 2,
    endLine: 3,
    column: 4,
    severity: 5,
    code: 6,
    message: 7,
    project: 8,
    defaultSeverity: 'error',
  },
  {
    // D:\drv\fmm.inf : error 1420: [DefaultInstall]-based INF cannot be processed as Primitive.
    id: 'msvc-file',
    kind: 'file',
    regexp: new RegExp(
      NODE_PREFIX +
        String.raw`(${ORIGIN}\.(?:${SOURCE_EXTENSIONS}))\s+:\s+(?:fatal\s+)?(error|warning)(?:\s+([A-Za-z]*\d+))?\s*:\s*(.*?)` +
        PROJECT_SUFFIX,
    ),
    file: 1,
    severity: 2,
    code: 3,
    message: 4,
    project: 5,
    defaultSeverity: 'error',
  },
  {
    // LINK : fatal error LNK1181: cannot open input file 'x.lib' [C:\src\proj.vcxproj]
    // a.obj : error LNK2019: unresolved external symbol foo referenced in function bar
    // cl : command line error D8016: '/ZI' and '/Gy-' command-line options are incompatible
    // MSBUILD : error MSB1009: Project file does not exist.
    // No source to point at: the problem belongs to the project of the suffix, when there is one.
    id: 'msvc-tool',
    kind: 'file',
    regexp: new RegExp(
      NODE_PREFIX +
        String.raw`${ORIGIN}(?<!\.(?:${SOURCE_EXTENSIONS}))(?<!\(\d+(?:[-,]\d+)*\))\s+:\s+(?:fatal\s+|command\s+line\s+)?(error|warning)(?:\s+([A-Za-z]*\d+))?\s*:\s*(.*?)` +
        PROJECT_SUFFIX,
    ),
    file: 4,
    severity: 1,
    code: 2,
    message: 3,
    project: 4,
    defaultSeverity: 'error',
  },
  {
    // ERROR(1100) in toastpkg.inf, line  78: Source and destination directory must match ...
    // WARN (2083) in toastpkg.inf, line 110: Section [toastcoinfo] not referenced or used.
    id: 'infverif',
    kind: 'location',
    regexp: new RegExp(NODE_PREFIX + String.raw`(ERROR|WARN|WARNING|INFO)\s*\((\d+)\)\s+in\s+(.+?),\s+line\s+(\d+):\s*(.*?)\s*$`),
    severity: 1,
    code: 2,
    file: 3,
    line: 4,
    message: 5,
    defaultSeverity: 'error',
  },
  {
    // Inf2Cat, under "Errors:" or "Warnings:" (the parser follows which; VS Code cannot); the
    // file is relative to the /driver: folder and always starts with a backslash:
    // 22.9.7: DriverVer set to incorrect date (must be postdated to 4/21/2009 for newest OS) in \toaster.inf
    id: 'inf2cat',
    kind: 'file',
    regexp: new RegExp(NODE_PREFIX + String.raw`(\d+\.\d+\.\d+)\s*:\s*(.*?(?:\s+in\s+\\([^\\\s].*?))?)\.?\s*$`),
    code: 1,
    message: 2,
    file: 3,
    defaultSeverity: 'error',
  },
  {
    // broken_compile.c:7:34: error: 'PvSampleUnloadMissing' undeclared (first use in this function)
    // a.c:3:10: fatal error: ddk/wdm.h: No such file or directory
    // a.c:5:12: warning: unused variable 'x' [-Wunused-variable]
    id: 'gcc',
    kind: 'location',
    regexp: /^((?:[A-Za-z]:)?[^:\s][^:]*?):(\d+):(?:(\d+):)?\s+(?:fatal\s+)?(error|warning|note)\s*:\s*(.*?)(?:\s+\[(-W[^\]\s]+)\])?\s*$/,
    file: 1,
    line: 2,
    column: 3,
    severity: 4,
    message: 5,
    code: 6,
    defaultSeverity: 'error',
  },
  {
    // /src/broken_link.c:10: undefined reference to `PvSampleStartAdapter'  (objects built with -g)
    id: 'ld-location',
    kind: 'location',
    regexp: new RegExp(String.raw`^(?:${LD}:\s+)?${OBJECT_PREFIX}((?:[A-Za-z]:)?[^:\s][^:]*?):(\d+):\s+(${LINKER_SYMBOL_PROBLEM}.*?)\s*$`),
    file: 1,
    line: 2,
    message: 3,
    defaultSeverity: 'error',
  },
  {
    // ld: pvsample.o:broken_link.c:(.text+0x1): undefined reference to `PvSampleStartAdapter'  (no -g)
    id: 'ld-section',
    kind: 'file',
    regexp: new RegExp(String.raw`^(?:${LD}:\s+)?${OBJECT_PREFIX}((?:[A-Za-z]:)?[^:\s][^:]*?):\(\.[^)+\s]*\+0x[0-9a-fA-F]+\):\s+(${LINKER_SYMBOL_PROBLEM}.*?)\s*$`),
    file: 1,
    message: 2,
    defaultSeverity: 'error',
  },
  {
    // ld: cannot find -lntoskrnl: No such file or directory
    // ld: warning: cannot find entry symbol DriverEntry; defaulting to 0000000140001000
    // Not its "in function `f':" context lines, nor what ld-location and ld-section take.
    id: 'ld',
    kind: 'file',
    regexp: new RegExp(
      String.raw`^${LD}:\s+(?!.*:\s+in function\s)(?!.*(?::\d+|:\(\.[^)]*\)):\s+${LINKER_SYMBOL_PROBLEM})(?:(error|warning):\s+)?(.*?)\s*$`,
    ),
    severity: 1,
    message: 2,
    defaultSeverity: 'error',
  },
  {
    // collect2: error: ld returned 1 exit status
    // x86_64-w64-mingw32-gcc: fatal error: no input files
    id: 'compiler-driver',
    kind: 'file',
    regexp: /^(?:\S*[\\/])?(?:[\w.+-]*-)?(?:collect2|gcc|g\+\+|cc|c\+\+|clang|clang\+\+|cpp)(?:-\d+(?:\.\d+)*)?(?:\.exe)?:\s+(?:fatal\s+)?(error|warning):\s+(.*?)\s*$/,
    severity: 1,
    message: 2,
    defaultSeverity: 'error',
  },
];

/** VS Code rejects a matcher without a file group: problems of no file are the parser's alone. */
const CONTRIBUTED_PATTERNS = BUILD_PROBLEM_PATTERNS.filter((pattern) => pattern.file !== undefined);

/** The names the task definitions reference, `$gpupv-build-<id>`. */
export const BUILD_PROBLEM_MATCHER_NAMES: readonly string[] = CONTRIBUTED_PATTERNS.map((pattern) => matcherName(pattern));

/**
 * The `contributes.problemMatchers` entries for package.json, one per pattern that has a file.
 * Every group index is written out because VS Code fills an absent `file`, `line` or `column`
 * with 1, 2 and 3; a location pattern with no column points it past its last group, which
 * stays empty.
 */
export function problemMatcherContributions(): Record<string, unknown>[] {
  return CONTRIBUTED_PATTERNS.map((pattern) => {
    const groups: Record<string, number> = {};
    for (const key of ['file', 'line', 'column', 'endLine', 'severity', 'code', 'message'] as const) {
      const index = pattern[key];
      if (index !== undefined) groups[key] = index;
    }
    if (pattern.kind === 'location' && pattern.column === undefined) groups.column = groupCount(pattern.regexp) + 1;
    return {
      name: matcherName(pattern),
      owner: 'gpupv-build',
      source: 'gpupv',
      fileLocation: ['autoDetect', '${workspaceFolder}'],
      severity: pattern.defaultSeverity,
      pattern: { regexp: pattern.regexp.source, ...(pattern.kind === 'file' ? { kind: 'file' } : {}), ...groups },
    };
  });
}

/**
 * Severity words as VS Code reads them (Severity.fromValue plus its E/W/I, hint and note),
 * so this parser and the terminal's matchers agree on every line.
 */
export function severityFromWord(word: string | undefined, fallback: BuildProblemSeverity): BuildProblemSeverity {
  if (!word) return fallback;
  const lower = word.toLowerCase();
  if (lower === 'error' || word === 'E') return 'error';
  if (lower === 'warning' || lower === 'warn' || word === 'W') return 'warning';
  if (lower === 'info' || lower === 'hint' || lower === 'note' || word === 'I') return 'info';
  return fallback;
}

export interface BuildProblemParserOptions {
  /** Where relative paths are resolved: the folder the build ran in. */
  readonly baseDir: string;
  readonly onProblem?: (problem: BuildProblem) => void;
}

/** Keeps a 1 MiB line from costing more than a glance: problem lines are short. */
const MAX_LINE_CHARS = 4_096;
// eslint-disable-next-line no-control-regex -- terminal colour sequences are exactly what is removed
const ANSI_ESCAPE = /\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

/**
 * Reads build output as it streams: `push` takes chunks split anywhere, `end` flushes the
 * last line. A problem MSBuild prints twice (as it happens and again in its summary) is
 * reported once.
 */
export class BuildProblemParser {
  private pending = '';
  private inf2catSection: BuildProblemSeverity | undefined;
  private readonly seen = new Set<string>();
  private readonly found: BuildProblem[] = [];

  constructor(private readonly options: BuildProblemParserOptions) {}

  get problems(): readonly BuildProblem[] {
    return this.found;
  }

  push(text: string): void {
    const lines = (this.pending + text).split(/\r?\n|\r(?!$)/);
    this.pending = lines.pop() ?? '';
    // A line that never ends is cut so that memory stays bounded.
    if (this.pending.length > MAX_LINE_CHARS * 4) this.pending = this.pending.slice(0, MAX_LINE_CHARS);
    for (const line of lines) this.line(line);
  }

  end(): readonly BuildProblem[] {
    if (this.pending) this.line(this.pending.replace(/\r$/, ''));
    this.pending = '';
    return this.found;
  }

  /** One complete line; returns the problem it holds when it is a new one. */
  line(raw: string): BuildProblem | undefined {
    const text = raw.length > MAX_LINE_CHARS ? raw.slice(0, MAX_LINE_CHARS) : raw;
    const clean = text.includes('\u001b') ? text.replace(ANSI_ESCAPE, '') : text;
    this.followInf2CatSections(clean);
    const problem = parseBuildLine(clean, this.options.baseDir, this.inf2catSection);
    if (!problem) return undefined;
    const key = [problem.file, problem.line, problem.column, problem.severity, problem.code, problem.message].join('\u0000');
    if (this.seen.has(key)) return undefined;
    this.seen.add(key);
    this.found.push(problem);
    this.options.onProblem?.(problem);
    return problem;
  }

  private followInf2CatSections(line: string): void {
    const heading = /^\s*(?:\d+>)?\s*(Errors|Warnings):\s*$/.exec(line)?.[1];
    if (heading) this.inf2catSection = heading === 'Errors' ? 'error' : 'warning';
    else if (/^\s*(?:\d+>)?\s*(?:\*+\s*)?Signability test (?:failed|complete)/.test(line)) this.inf2catSection = undefined;
  }
}

/** All problems of a finished output. */
export function parseBuildOutput(text: string, baseDir: string): readonly BuildProblem[] {
  const parser = new BuildProblemParser({ baseDir });
  parser.push(text);
  return parser.end();
}

/**
 * The problem one line holds, by the first pattern that matches. `inf2catSeverity` is the
 * section ("Errors:" / "Warnings:") an Inf2Cat line stands in.
 */
export function parseBuildLine(line: string, baseDir: string, inf2catSeverity?: BuildProblemSeverity): BuildProblem | undefined {
  for (const pattern of BUILD_PROBLEM_PATTERNS) {
    const match = pattern.regexp.exec(line);
    if (!match) continue;
    const group = (index: number | undefined) => {
      const value = index === undefined ? undefined : match[index]?.trim();
      return value === '' ? undefined : value;
    };
    const message = group(pattern.message);
    if (!message) continue;
    const project = group(pattern.project);
    const projectPath = project ? resolveAgainst(baseDir, project) : undefined;
    // MSBuild runs a project's tools in the project's folder, so that is what their relative paths mean.
    const fileBase = projectPath ? dirnameOf(projectPath) : baseDir;
    const file = group(pattern.file);
    const fallback = pattern.id === 'inf2cat' && inf2catSeverity ? inf2catSeverity : pattern.defaultSeverity;
    return {
      ...(file ? { file: file === project ? projectPath : resolveAgainst(fileBase, file) } : {}),
      ...numberPart('line', group(pattern.line)),
      ...numberPart('column', group(pattern.column)),
      ...numberPart('endLine', group(pattern.endLine)),
      severity: severityFromWord(group(pattern.severity), fallback),
      ...(group(pattern.code) ? { code: group(pattern.code) } : {}),
      message,
      ...(projectPath ? { project: projectPath } : {}),
      pattern: pattern.id,
    };
  }
  return undefined;
}

function numberPart<K extends 'line' | 'column' | 'endLine'>(key: K, text: string | undefined): Partial<Record<K, number>> {
  if (!text) return {};
  const value = Number(text);
  return Number.isSafeInteger(value) && value > 0 ? ({ [key]: value } as Record<K, number>) : {};
}

const WINDOWS_ABSOLUTE = /^(?:[A-Za-z]:[\\/]|\\\\)/;

/** Joins with the base folder's own flavour: Windows paths stay Windows paths on any host. */
export function resolveAgainst(baseDir: string, file: string): string {
  if (WINDOWS_ABSOLUTE.test(file)) return path.win32.normalize(file);
  if (file.startsWith('/')) return path.posix.normalize(file);
  return WINDOWS_ABSOLUTE.test(baseDir) ? path.win32.resolve(baseDir, file) : path.posix.resolve(baseDir, file.replace(/\\/g, '/'));
}

function dirnameOf(file: string): string {
  return WINDOWS_ABSOLUTE.test(file) ? path.win32.dirname(file) : path.posix.dirname(file);
}

function matcherName(pattern: BuildProblemPattern): string {
  return `gpupv-build-${pattern.id}`;
}

function groupCount(regexp: RegExp): number {
  return new RegExp(`${regexp.source}|`).exec('')!.length - 1;
}
