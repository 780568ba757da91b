import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runProcess } from '../../../extension/common/processRunner';
import {
  BUILD_PROBLEM_MATCHER_NAMES,
  BUILD_PROBLEM_PATTERNS,
  BuildProblemParser,
  parseBuildLine,
  parseBuildOutput,
  problemMatcherContributions,
  resolveAgainst,
  severityFromWord,
  type BuildProblem,
  type BuildProblemSeverity,
} from '../../../extension/deploy/build/buildProblems';
import { HOSTILE_NAMES } from '../../fixtures/hostileNames';
import { repoRoot } from '../../harness/paths';
import { runSampleBuild, SAMPLE_PACKAGE_SOURCE, sampleBuildCommand } from '../../harness/samplePackage';
import { seededRandom } from '../seededRandom';

// Build output to Problems. The gcc and ld lines come from the real mingw-w64 build of the
// sample package; the MSBuild, cl, link, infverif and Inf2Cat lines are written in the shapes
// those tools print (as quoted in their documentation and in public bug reports).

const WIN_BASE = 'C:\\src\\pvgpu';

/** Lines of Windows tools, each with the problem it must give (base folder WIN_BASE). */
const RECORDED: readonly { line: string; expect: Omit<BuildProblem, 'pattern'> & { pattern: string } }[] = [
  {
    line: "C:\\src\\pvgpu\\kmd\\adapter.c(10,5): error C2065: 'pDevExt': undeclared identifier [C:\\src\\pvgpu\\kmd\\pvgpu.vcxproj]",
    expect: { file: 'C:\\src\\pvgpu\\kmd\\adapter.c', line: 10, column: 5, severity: 'error', code: 'C2065', message: "'pDevExt': undeclared identifier", project: 'C:\\src\\pvgpu\\kmd\\pvgpu.vcxproj', pattern: 'msvc-location' },
  },
  {
    line: "  12>C:\\src\\pvgpu\\umd\\device.cpp(233): warning C4100: 'hDevice': unreferenced formal parameter [C:\\src\\pvgpu\\umd\\pvgpu_umd.vcxproj]",
    expect: { file: 'C:\\src\\pvgpu\\umd\\device.cpp', line: 233, severity: 'warning', code: 'C4100', message: "'hDevice': unreferenced formal parameter", project: 'C:\\src\\pvgpu\\umd\\pvgpu_umd.vcxproj', pattern: 'msvc-location' },
  },
  {
    line: "3>kmd\\ring.c(44,1): fatal error C1083: Cannot open include file: 'd3dkmddi.h': No such file or directory",
    expect: { file: 'C:\\src\\pvgpu\\kmd\\ring.c', line: 44, column: 1, severity: 'error', code: 'C1083', message: "Cannot open include file: 'd3dkmddi.h': No such file or directory", pattern: 'msvc-location' },
  },
  {
    // Relative to the project's folder, where MSBuild ran the tool.
    line: '2>ring.c(7): warning C4201: nonstandard extension used: nameless struct/union [C:\\src\\pvgpu\\kmd\\pvgpu.vcxproj]',
    expect: { file: 'C:\\src\\pvgpu\\kmd\\ring.c', line: 7, severity: 'warning', code: 'C4201', message: 'nonstandard extension used: nameless struct/union', project: 'C:\\src\\pvgpu\\kmd\\pvgpu.vcxproj', pattern: 'msvc-location' },
  },
  {
    line: '1>D:\\drv\\pvgpu.inf(13-13): error 1209: Section [destinationdirs] is defined multiple times.',
    expect: { file: 'D:\\drv\\pvgpu.inf', line: 13, endLine: 13, severity: 'error', code: '1209', message: 'Section [destinationdirs] is defined multiple times.', pattern: 'msvc-location' },
  },
  {
    line: '>UDEMbimClientSample\\UDEMbimClient.inf(7-7): warning 1324: [Version] section should specify PnpLockdown=1 to prevent external apps from modifying installed driver files.',
    expect: { file: 'C:\\src\\pvgpu\\UDEMbimClientSample\\UDEMbimClient.inf', line: 7, endLine: 7, severity: 'warning', code: '1324', message: '[Version] section should specify PnpLockdown=1 to prevent external apps from modifying installed driver files.', pattern: 'msvc-location' },
  },
  {
    line: 'C:\\Program Files\\Microsoft Visual Studio\\2022\\Community\\MSBuild\\Microsoft\\VC\\v170\\Microsoft.CppBuild.targets(456,5): error MSB8020: The build tools for WindowsKernelModeDriver10.0 cannot be found. [C:\\src\\pvgpu\\kmd\\pvgpu.vcxproj]',
    expect: { file: 'C:\\Program Files\\Microsoft Visual Studio\\2022\\Community\\MSBuild\\Microsoft\\VC\\v170\\Microsoft.CppBuild.targets', line: 456, column: 5, severity: 'error', code: 'MSB8020', message: 'The build tools for WindowsKernelModeDriver10.0 cannot be found.', project: 'C:\\src\\pvgpu\\kmd\\pvgpu.vcxproj', pattern: 'msvc-location' },
  },
  {
    line: '1>D:\\drv\\fmm.inf : error 1420: [DefaultInstall]-based INF cannot be processed as Primitive.',
    expect: { file: 'D:\\drv\\fmm.inf', severity: 'error', code: '1420', message: '[DefaultInstall]-based INF cannot be processed as Primitive.', pattern: 'msvc-file' },
  },
  {
    line: "LINK : fatal error LNK1181: cannot open input file 'wdmsec.lib' [C:\\src\\pvgpu\\kmd\\pvgpu.vcxproj]",
    expect: { file: 'C:\\src\\pvgpu\\kmd\\pvgpu.vcxproj', severity: 'error', code: 'LNK1181', message: "cannot open input file 'wdmsec.lib'", project: 'C:\\src\\pvgpu\\kmd\\pvgpu.vcxproj', pattern: 'msvc-tool' },
  },
  {
    line: '4>adapter.obj : error LNK2019: unresolved external symbol PvgpuStartRing referenced in function DriverEntry [C:\\src\\pvgpu\\kmd\\pvgpu.vcxproj]',
    expect: { file: 'C:\\src\\pvgpu\\kmd\\pvgpu.vcxproj', severity: 'error', code: 'LNK2019', message: 'unresolved external symbol PvgpuStartRing referenced in function DriverEntry', project: 'C:\\src\\pvgpu\\kmd\\pvgpu.vcxproj', pattern: 'msvc-tool' },
  },
  {
    line: 'C:\\src\\pvgpu\\kmd\\x64\\Debug\\ring.obj : error LNK2001: unresolved external symbol __security_cookie',
    expect: { severity: 'error', code: 'LNK2001', message: 'unresolved external symbol __security_cookie', pattern: 'msvc-tool' },
  },
  {
    line: 'cl : command line error D8016: \'/ZI\' and \'/Gy-\' command-line options are incompatible',
    expect: { severity: 'error', code: 'D8016', message: "'/ZI' and '/Gy-' command-line options are incompatible", pattern: 'msvc-tool' },
  },
  {
    line: "cl : command line warning D9025 : overriding '/W3' with '/W4'",
    expect: { severity: 'warning', code: 'D9025', message: "overriding '/W3' with '/W4'", pattern: 'msvc-tool' },
  },
  {
    line: 'MSBUILD : error MSB1009: Project file does not exist.',
    expect: { severity: 'error', code: 'MSB1009', message: 'Project file does not exist.', pattern: 'msvc-tool' },
  },
  {
    line: 'ERROR(1100) in pvgpu.inf, line  78: Source and destination directory must match for file \'pvgpu.sys\' when using CopyFiles with DIRID 13.',
    expect: { file: 'C:\\src\\pvgpu\\pvgpu.inf', line: 78, severity: 'error', code: '1100', message: "Source and destination directory must match for file 'pvgpu.sys' when using CopyFiles with DIRID 13.", pattern: 'infverif' },
  },
  {
    line: 'WARN (2083) in pvgpu.inf, line 110: Section [pvgpu_coinfo] not referenced or used.',
    expect: { file: 'C:\\src\\pvgpu\\pvgpu.inf', line: 110, severity: 'warning', code: '2083', message: 'Section [pvgpu_coinfo] not referenced or used.', pattern: 'infverif' },
  },
  {
    line: '22.9.7: DriverVer set to incorrect date (must be postdated to 4/21/2009 for newest OS) in \\pvgpu.inf',
    expect: { file: 'C:\\src\\pvgpu\\pvgpu.inf', severity: 'error', code: '22.9.7', message: 'DriverVer set to incorrect date (must be postdated to 4/21/2009 for newest OS) in \\pvgpu.inf', pattern: 'inf2cat' },
  },
  {
    line: '22.9.10: pvgpu.sys missing from [SourceDisksFiles]',
    expect: { severity: 'error', code: '22.9.10', message: 'pvgpu.sys missing from [SourceDisksFiles]', pattern: 'inf2cat' },
  },
];

/** Lines that are output, not problems. */
const NOT_PROBLEMS = [
  "1>------ Build started: Project: pvgpu, Configuration: Debug x64 ------",
  "1>  Building 'pvgpu' with toolset 'WindowsKernelModeDriver10.0' and the 'Desktop' target platform.",
  '1>  Stamping x64\\Debug\\pvgpu.inf [Version] section with DriverVer=06/29/2017,14.34.28.16',
  'Stamping [Version] section with DriverVer=09/27/2023,7.10.24.529',
  '   stampinf: found Section-Line 8: [Version]',
  '   stampinf: REPLACE       Line 14:',
  '========== Build: 0 succeeded, 1 failed, 0 up-to-date, 0 skipped ==========',
  'Build FAILED.',
  '    3 Warning(s)',
  'Signability test failed.',
  'Errors:',
  'broken_compile.c: In function ‘DriverEntry’:',
  '    7 |     driverObject->DriverUnload = PvSampleUnloadMissing;',
  '      |                                  ^~~~~~~~~~~~~~~~~~~~~',
  "/usr/bin/x86_64-w64-mingw32-ld: broken_link.o: in function `DriverEntry':",
  'make: *** [Makefile:51: pvsample.sys] Error 1',
  '',
];

describe('build problems: the patterns', () => {
  it('turns each recorded MSBuild, cl, link, infverif and Inf2Cat line into its problem', () => {
    for (const { line, expect } of RECORDED) assert.deepEqual(parseBuildLine(line, WIN_BASE), expect, line);
  });

  it('finds no problem in progress, context and summary lines', () => {
    for (const line of NOT_PROBLEMS) assert.equal(parseBuildLine(line, WIN_BASE), undefined, line);
  });

  it('lets no line be claimed by two patterns (VS Code runs every matcher on every line)', () => {
    for (const line of [...RECORDED.map((r) => r.line), ...NOT_PROBLEMS, ...GCC_LINES]) {
      const claimed = BUILD_PROBLEM_PATTERNS.filter((pattern) => pattern.regexp.test(line)).map((pattern) => pattern.id);
      assert.ok(claimed.length <= 1, `${line}\n  claimed by ${claimed.join(', ')}`);
    }
  });

  it('keeps hostile folder names whole in every shape that carries a path', () => {
    for (const raw of HOSTILE_NAMES.filter(Boolean)) {
      const name = raw.replace(/[\\/\r\n]/g, '_');
      const windows = `C:\\Program Files (x86)\\${name}\\adapter.c`;
      assert.equal(parseBuildLine(`1>${windows}(10,5): error C2065: 'x': undeclared identifier [C:\\src\\${name}\\p.vcxproj]`, WIN_BASE)?.file, windows, name);
      assert.equal(parseBuildLine(`ERROR(1203) in C:\\drv\\${name}\\x.inf, line 4: Section [x] not found.`, WIN_BASE)?.file, `C:\\drv\\${name}\\x.inf`, name);
      // A POSIX path may hold colons, which gcc's own format cannot tell from its separators.
      if (name.includes(':')) continue;
      const posix = `/home/dev/${name}/broken.c`;
      assert.equal(parseBuildLine(`${posix}:7:34: error: 'x' undeclared`, '/home/dev')?.file, posix, name);
      assert.equal(parseBuildLine(`${posix}:10: undefined reference to \`f'`, '/home/dev')?.file, posix, name);
    }
  });

  it('reads severity words the way VS Code does', () => {
    const cases: [string | undefined, BuildProblemSeverity][] = [
      ['error', 'error'], ['ERROR', 'error'], ['E', 'error'], ['warning', 'warning'], ['WARN', 'warning'], ['W', 'warning'],
      ['note', 'info'], ['Info', 'info'], ['hint', 'info'], ['I', 'info'], ['fatal', 'warning'], [undefined, 'warning'], ['e', 'warning'],
    ];
    for (const [word, expected] of cases) assert.equal(severityFromWord(word, 'warning'), expected, String(word));
  });

  it('resolves relative paths in the base folder’s own flavour and keeps absolute ones', () => {
    assert.equal(resolveAgainst('C:\\src', 'kmd\\a.c'), 'C:\\src\\kmd\\a.c');
    assert.equal(resolveAgainst('C:\\src', 'D:\\x\\a.c'), 'D:\\x\\a.c');
    assert.equal(resolveAgainst('C:\\src', '\\\\server\\share\\a.c'), '\\\\server\\share\\a.c');
    assert.equal(resolveAgainst('/home/dev/drv', 'kmd/a.c'), '/home/dev/drv/kmd/a.c');
    assert.equal(resolveAgainst('/home/dev/drv', 'kmd\\a.c'), '/home/dev/drv/kmd/a.c');
    assert.equal(resolveAgainst('/home/dev/drv', '/usr/include/x.h'), '/usr/include/x.h');
  });
});

/** gcc/ld lines in the shapes the sample's real build prints, for the overlap check. */
const GCC_LINES = [
  "broken_compile.c:7:34: error: ‘PvSampleUnloadMissing’ undeclared (first use in this function)",
  'broken_compile.c:7:34: note: each undeclared identifier is reported only once for each function it appears in',
  "/tmp/w.c:1:25: warning: unused variable ‘x’ [-Wunused-variable]",
  "/work/x/broken_link.c:10: undefined reference to `PvSampleStartAdapter'",
  "/usr/bin/x86_64-w64-mingw32-ld: broken_link.o:broken_link.c:(.text+0x1): undefined reference to `PvSampleStartAdapter'",
  '/usr/bin/x86_64-w64-mingw32-ld: cannot find -lnotthere: No such file or directory',
  'collect2: error: ld returned 1 exit status',
  'x86_64-w64-mingw32-gcc: fatal error: no input files',
];

describe('build problems: the real mingw-w64 compiler and linker', function () {
  this.timeout(60_000);
  let root: string;
  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'gpupv-problems-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('reports the compiler error at its source line and column, and the note as info', async () => {
    const outDir = path.join(root, 'compile');
    const result = await runSampleBuild(outDir, { broken: 'compile' });
    assert.notEqual(result.exitCode, 0);
    const problems = parseBuildOutput(result.stdout + result.stderr, outDir);
    const source = path.join(SAMPLE_PACKAGE_SOURCE, 'broken_compile.c');
    assert.deepEqual(problems[0], { file: source, line: 7, column: 34, severity: 'error', message: '‘PvSampleUnloadMissing’ undeclared (first use in this function)', pattern: 'gcc' });
    assert.deepEqual(problems.slice(1).map((p) => `${p.severity} ${p.file}:${p.line}:${p.column}`), [`info ${source}:7:34`]);
  });

  it('resolves the relative paths of a build run in the source folder against that folder', async () => {
    const result = await runProcess('make', ['--no-print-directory', '-C', SAMPLE_PACKAGE_SOURCE, `OUT=${path.join(root, 'relative')}`, 'BROKEN=compile'], { timeoutMs: 30_000 });
    assert.match(result.stderr, /^broken_compile\.c:7:34: error/m, 'gcc printed the path as make gave it');
    const [first] = parseBuildOutput(result.stderr, SAMPLE_PACKAGE_SOURCE);
    assert.equal(first?.file, path.join(SAMPLE_PACKAGE_SOURCE, 'broken_compile.c'));
  });

  it('reports the undefined reference at its source line (objects with -g) and collect2’s failure without a file', async () => {
    const outDir = path.join(root, 'link');
    const result = await runSampleBuild(outDir, { broken: 'link' });
    const problems = parseBuildOutput(result.stderr, outDir);
    assert.deepEqual(problems, [
      { file: path.join(SAMPLE_PACKAGE_SOURCE, 'broken_link.c'), line: 10, severity: 'error', message: "undefined reference to `PvSampleStartAdapter'", pattern: 'ld-location' },
      { severity: 'error', message: 'ld returned 1 exit status', pattern: 'compiler-driver' },
    ]);
  });

  it('reports the undefined reference at its source file when the objects have no line information', async () => {
    const outDir = path.join(root, 'link-nodebug');
    const { command, args, cwd } = sampleBuildCommand(outDir, { broken: 'link' });
    await runProcess('mkdir', ['-p', outDir]);
    const result = await runProcess(command, [...args, 'CFLAGS=-O2'], { cwd, timeoutMs: 30_000 });
    assert.match(result.stderr, /:\(\.text\+0x[0-9a-f]+\): undefined reference/, 'ld printed the section form');
    const [first] = parseBuildOutput(result.stderr, outDir);
    assert.deepEqual(first, { file: path.join(outDir, 'broken_link.c'), severity: 'error', message: "undefined reference to `PvSampleStartAdapter'", pattern: 'ld-section' });
  });

  it('gives the same problems however the output is split into chunks, with CRLF or colour codes', async () => {
    const outDir = path.join(root, 'chunks');
    const result = await runSampleBuild(outDir, { broken: 'compile' });
    const whole = parseBuildOutput(result.stderr, outDir);
    assert.ok(whole.length >= 2);
    const random = seededRandom(11);
    const variants = [result.stderr, result.stderr.replace(/\n/g, '\r\n'), result.stderr.replace(/error:/g, '\u001b[01;31m\u001b[Kerror:\u001b[m\u001b[K')];
    for (const text of variants) {
      const parser = new BuildProblemParser({ baseDir: outDir });
      for (let at = 0; at < text.length; ) {
        const size = 1 + Math.floor(random() * 40);
        parser.push(text.slice(at, at + size));
        at += size;
      }
      assert.deepEqual(parser.end(), whole);
    }
  });

  it('streams each new problem once, even when MSBuild repeats it in its summary', () => {
    const seen: BuildProblem[] = [];
    const parser = new BuildProblemParser({ baseDir: WIN_BASE, onProblem: (p) => seen.push(p) });
    const line = RECORDED[0]!.line;
    parser.push(`${line}\r\n\r\nBuild FAILED.\r\n\r\n"C:\\src\\pvgpu\\pvgpu.sln" (default target) (1) ->\r\n       ${line}\r\n`);
    parser.end();
    assert.equal(seen.length, 1);
  });

  it('follows Inf2Cat’s Errors: and Warnings: sections', () => {
    const output = ['Signability test failed.', '', 'Errors:', '22.9.7: DriverVer set to a date in the future in \\pvgpu.inf', '', 'Warnings:', '22.9.10: pvgpu_umd.dll missing from [SourceDisksFiles]'].join('\r\n');
    assert.deepEqual(parseBuildOutput(output, WIN_BASE).map((p) => `${p.severity} ${p.code}`), ['error 22.9.7', 'warning 22.9.10']);
  });
});

/**
 * VS Code's single-line matcher as src/vs/workbench/contrib/tasks/common/problemMatcher.ts
 * runs it: `new RegExp(source)`, each group taken when its index exists and it participated,
 * trimmed; no marker without a file and a message, nor for a location without a line.
 */
function vscodeMatch(contribution: Record<string, unknown>, line: string): Record<string, string> | undefined {
  const pattern = contribution.pattern as Record<string, unknown>;
  const matches = new RegExp(pattern.regexp as string).exec(line);
  if (!matches) return undefined;
  const data: Record<string, string> = {};
  for (const key of ['file', 'message', 'code', 'severity', 'line', 'column', 'endLine']) {
    const index = pattern[key];
    if (typeof index === 'number' && index < matches.length && matches[index] !== undefined) data[key] = matches[index].trim();
  }
  if (!data.file || !data.message) return undefined;
  if (pattern.kind !== 'file' && !data.line) return undefined;
  return data;
}

describe('build problems: the problemMatcher contributions', () => {
  it('give, in VS Code, the problems the parser gives for every line that has a file', () => {
    const contributions = problemMatcherContributions();
    for (const line of [...RECORDED.map((r) => r.line), ...GCC_LINES, ...NOT_PROBLEMS]) {
      const parsed = parseBuildLine(line, WIN_BASE);
      const markers = contributions.map((c) => ({ name: c.name, data: vscodeMatch(c, line), severity: c.severity as BuildProblemSeverity })).filter((m) => m.data);
      if (!parsed?.file) {
        assert.deepEqual(markers, [], `${line}: no marker, as the parser finds no file`);
        continue;
      }
      assert.equal(markers.length, 1, line);
      const { name, data, severity } = markers[0]!;
      assert.equal(name, `gpupv-build-${parsed.pattern}`);
      // VS Code resolves a relative path against the workspace folder; the parser knows the project's folder.
      assert.equal(resolveAgainst(parsed.project ? path.win32.dirname(parsed.project) : WIN_BASE, data!.file!), parsed.file, line);
      assert.equal(data!.line && Number(data!.line), parsed.line, line);
      assert.equal(data!.column && Number(data!.column), parsed.column, line);
      assert.equal(data!.endLine && Number(data!.endLine), parsed.endLine, line);
      assert.equal(data!.code, parsed.code, line);
      assert.equal(data!.message, parsed.message, line);
      assert.equal(severityFromWord(data!.severity, severity), parsed.severity, line);
    }
  });

  it('name one matcher per pattern and spell out every group, so VS Code fills in none of its defaults', () => {
    const contributions = problemMatcherContributions();
    assert.deepEqual(contributions.map((c) => c.name), BUILD_PROBLEM_MATCHER_NAMES);
    for (const contribution of contributions) {
      const pattern = contribution.pattern as Record<string, unknown>;
      assert.equal(typeof pattern.file, 'number', String(contribution.name));
      assert.equal(typeof pattern.message, 'number', String(contribution.name));
      if (pattern.kind !== 'file') {
        assert.equal(typeof pattern.line, 'number', String(contribution.name));
        assert.equal(typeof pattern.column, 'number', String(contribution.name));
      }
    }
  });

  it('are what package.json contributes', () => {
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { contributes?: { problemMatchers?: { name: string }[] } };
    const contributed = (manifest.contributes?.problemMatchers ?? []).filter((m) => m.name.startsWith('gpupv-build-'));
    assert.deepEqual(contributed, problemMatcherContributions());
  });
});

describe('build problems: untrusted output', () => {
  // A pattern that backtracks catastrophically would hang here: mocha's timeout catches it.
  it('never throws or hangs on mutated and adversarial lines (seeded)', () => {
    const random = seededRandom(20261202);
    const seeds = [...RECORDED.map((r) => r.line), ...GCC_LINES, ...NOT_PROBLEMS];
    const alphabet = ['(', ')', ':', ' ', '\\', '/', '>', '[', ']', ',', '-', '0', '9', 'a', 'error', 'warning', '.o:', '+0x1', '\u001b[', '\r', '\n', '\u0000', '🚀'];
    const parser = new BuildProblemParser({ baseDir: WIN_BASE });
    for (let i = 0; i < 20_000; i++) {
      let line = seeds[Math.floor(random() * seeds.length)]!;
      for (let edits = 1 + Math.floor(random() * 6); edits > 0; edits--) {
        const at = Math.floor(random() * (line.length + 1));
        const piece = alphabet[Math.floor(random() * alphabet.length)]!;
        line = random() < 0.3 ? line.slice(0, at) + line.slice(at + 1 + Math.floor(random() * 5)) : line.slice(0, at) + piece + line.slice(at);
      }
      parser.push(line + '\n');
    }
    for (const unit of ['a', ' ', ':', '(1', 'a(1,', ' : ', 'x.o:', '\\', 'error ', '1>']) {
      const line = unit.repeat(Math.ceil(100_000 / unit.length));
      parser.line(line);
      parser.push(line);
    }
    parser.end();
    for (const problem of parser.problems) {
      assert.ok(problem.message.length > 0);
      assert.ok(['error', 'warning', 'info'].includes(problem.severity));
    }
  });
});
