import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runProcess } from '../../../extension/common/processRunner';
import { checkArtifacts, shippedFiles } from '../../../extension/deploy/build/artifacts';
import { mergeDriverSection } from '../../../extension/deploy/init/mergeDriverSection';
import { readSolution, readVcxproj } from '../../../extension/deploy/init/msbuildFiles';
import { nodeFileSystem, proposeDriverSection, type DriverProposal, type WorkspaceFileSystem } from '../../../extension/deploy/init/proposeDriverSection';
import { parseProtocolConfig } from '../../../extension/protocol/config/protocolConfigParser';
import { HOSTILE_NAMES } from '../../fixtures/hostileNames';
import { repoRoot } from '../../harness/paths';
import { SAMPLE_HARDWARE_ID, SAMPLE_PACKAGE_SOURCE, SAMPLE_SHIPPED_FILES } from '../../harness/samplePackage';
import { gpupv } from '../protocol/runGpupv';
import { seededRandom } from '../seededRandom';

// `gpupv driver init`: a `driver` section proposed from a workspace folder. The layouts under
// test/fixtures/driver-layouts/ are small re-creations of real display driver repositories:
//   kmdod/      microsoft/Windows-driver-samples video/KMDOD: solution above the project, the
//               INF picked up by `<Inf Include="*.inf">`, OutDir = $(IntDir), NTamd64 + NTarm64
//   viogpu/     virtio-win/kvm-guest-drivers-windows viogpu: .inx files stamped per $ARCH$,
//               Release-only "Win10 Release" configurations, OutDir objfre_win10_amd64\amd64\,
//               a UMD-bearing 3D driver outside the solution, and a non-display driver
//   wddm-umd/   a full WDDM KMD + UMD + WOW64 UMD solution (the INF shaped like uXen's uxendisp
//               and Microsoft's x64 display INF example), saved as UTF-16LE
//   make-mingw/ a driver built by make with mingw-w64

const LAYOUTS = path.join(repoRoot, 'test', 'fixtures', 'driver-layouts');

/** The proposal as gpupv.json would hold it, read back by the product's own parser: no errors, no warnings about the section. */
function assertParses(proposal: DriverProposal): void {
  assert.ok(proposal.driver, 'a driver section was proposed');
  const text = JSON.stringify({ driver: proposal.driver }, null, 2);
  const parsed = parseProtocolConfig(text);
  const about = parsed.problems.filter((p) => !p.message.includes('no "protocol" section')).map((p) => `${p.severity}: ${p.message}`);
  assert.deepEqual(about, []);
  assert.equal(parsed.driver?.packages.length, proposal.driver.packages.length);
}

function explained(proposal: DriverProposal, property: string, pattern: RegExp): void {
  const found = proposal.explanations.filter((e) => e.property === property);
  assert.ok(
    found.some((e) => pattern.test(e.message)),
    `no explanation of ${property} matches ${pattern}:\n${found.map((e) => `  ${e.message}`).join('\n') || '  (none)'}`,
  );
}

type Tree = Record<string, string | Uint8Array | Error>;

/** A workspace laid out in memory; a value that is an Error makes reading that file (or, with a trailing /, listing that folder) fail. */
function memoryFileSystem(root: string, tree: Tree): WorkspaceFileSystem & { readonly read: string[] } {
  const entries = new Map(Object.entries(tree).map(([rel, value]) => [path.join(root, ...rel.split('/')) + (rel.endsWith('/') ? path.sep : ''), value]));
  const read: string[] = [];
  return {
    read,
    readDirectory: (folder) => {
      const prefix = folder.endsWith(path.sep) ? folder : folder + path.sep;
      const failure = entries.get(prefix);
      if (failure instanceof Error) return Promise.reject(failure);
      const children = new Map<string, boolean>();
      for (const key of entries.keys()) {
        if (!key.startsWith(prefix) || key === prefix) continue;
        const [first, ...rest] = key.slice(prefix.length).split(path.sep);
        children.set(first!, (children.get(first!) ?? false) || rest.length > 0);
      }
      return Promise.resolve([...children].map(([name, isDirectory]) => ({ name, isDirectory, isFile: !isDirectory })));
    },
    readFile: (file, limit) => {
      const value = entries.get(file);
      read.push(path.relative(root, file).split(path.sep).join('/'));
      if (value instanceof Error) return Promise.reject(value);
      if (value === undefined) return Promise.reject(new Error(`ENOENT: ${file}`));
      const bytes = typeof value === 'string' ? Buffer.from(value) : value;
      return Promise.resolve(bytes.subarray(0, limit));
    },
  };
}

const ROOT = path.join(tmpdir(), 'gpupv-memory-workspace');

const minimalInf = (name: string, id = 'PCI\\VEN_1AF4&DEV_10F0') =>
  [
    '[Version]',
    'Signature="$Windows NT$"',
    'Class=Display',
    'ClassGuid={4d36e968-e325-11ce-bfc1-08002be10318}',
    `CatalogFile=${name}.cat`,
    'DriverVer=12/01/2026,1.0.0.0',
    '[DestinationDirs]',
    'DefaultDestDir=13',
    '[SourceDisksNames]',
    '1 = "disk"',
    '[SourceDisksFiles]',
    `${name}.sys = 1`,
    '[Manufacturer]',
    'M = M, NTamd64',
    '[M.NTamd64]',
    `D = I, ${id}`,
    '[I]',
    `CopyFiles = @${name}.sys`,
    '[I.Services]',
    `AddService = ${name}, 2, S`,
    '[S]',
    `ServiceBinary = %13%\\${name}.sys`,
    'ServiceType = 1',
    'StartType = 3',
    'ErrorControl = 1',
  ].join('\r\n');

const kernelProject = (inf: string, configurations = ['Debug|x64', 'Release|x64']) =>
  [
    '<Project xmlns="http://schemas.microsoft.com/developer/msbuild/2003">',
    '  <ItemGroup Label="ProjectConfigurations">',
    ...configurations.map((c) => `    <ProjectConfiguration Include="${c}"><Configuration>${c.split('|')[0]}</Configuration><Platform>${c.split('|')[1]}</Platform></ProjectConfiguration>`),
    '  </ItemGroup>',
    '  <PropertyGroup Label="Configuration"><PlatformToolset>WindowsKernelModeDriver10.0</PlatformToolset><ConfigurationType>Driver</ConfigurationType></PropertyGroup>',
    `  <ItemGroup><Inf Include="${inf}" /></ItemGroup>`,
    '</Project>',
  ].join('\n');

describe('gpupv driver init: real display driver repository layouts', () => {
  it('KMDOD (Windows-driver-samples): the solution above the project, a wildcard Inf item, OutDir = $(IntDir)', async () => {
    const proposal = await proposeDriverSection(path.join(LAYOUTS, 'kmdod'));
    assert.deepEqual(proposal.driver, {
      packages: [
        {
          name: 'displayonly',
          project: 'DisplayOnly.sln',
          configuration: 'Debug',
          platform: 'x64',
          outputDir: 'Sample/x64/Debug',
          infs: ['Sample/displayonly.inf'],
          files: ['DisplayOnly.sys', 'DisplayOnly.cat'],
          hardwareIds: ['PCI\\CC_0300', 'PCI\\CC_0301', 'ACPI\\CLS_0003&SUBCLS_0000'],
        },
      ],
      signing: { certificate: 'create' },
    });
    assertParses(proposal);
    assert.deepEqual(proposal.problems, []);
    assert.deepEqual(proposal.found.infs, ['Sample/displayonly.inf'], 'the stale copy under Sample/x64/Debug is not looked at');
    explained(proposal, 'driver.packages[0].project', /^DisplayOnly\.sln: the solution that builds Sample\/DisplayOnly\.vcxproj \(DisplayOnly\.sln:6\)$/);
    explained(proposal, 'driver.packages[0].platform', /^x64: .*; also listed: ARM64$/);
    explained(proposal, 'driver.packages[0].configuration', /^Debug: a debug build for the test loop; also listed: Release$/);
    explained(proposal, 'driver.packages[0]', /kernel-mode driver \(KMD\) project for Debug\|x64: PlatformToolset WindowsKernelModeDriver10\.0 \(Sample\/DisplayOnly\.vcxproj:32\), DriverType WDM/);
    explained(proposal, 'driver.packages[0].outputDir', /^Sample\/x64\/Debug: OutDir \$\(IntDir\) \(Sample\/DisplayOnly\.vcxproj:56\) for Debug\|x64, not the default x64\/Debug$/);
    explained(proposal, 'driver.packages[0].infs', /^Sample\/displayonly\.inf: an Inf item of Sample\/DisplayOnly\.vcxproj:65, Class=Display, DriverVer 2024-06-21 10\.0\.26100\.1$/);
    explained(proposal, 'driver.packages[0].files', /^DisplayOnly\.sys: copied by \[DisplayOnly\.Files\] of \[DisplayOnly_Inst\] \(Sample\/displayonly\.inf:41\) to System32\\drivers, the kernel-mode driver \(ServiceBinary of service DisplayOnly\); built by Sample\/DisplayOnly\.vcxproj$/);
    explained(proposal, 'driver.packages[0].files', /^DisplayOnly\.cat: the CatalogFile of \[Version\] \(Sample\/displayonly\.inf:12\)/);
    explained(proposal, 'driver.packages[0].hardwareIds', /the models of \[Standard\.NTamd64\] \(Sample\/displayonly\.inf:29\), which Windows picks on amd64 .* over Standard\.NTarm64$/);
  });

  it('viogpu (virtio-win): stamped .inx files, Release-only configurations, the nearer of two solutions, a UMD built elsewhere', async () => {
    const proposal = await proposeDriverSection(path.join(LAYOUTS, 'viogpu'));
    const id = 'PCI\\VEN_1AF4&DEV_1050&SUBSYS_11001AF4&REV_01';
    assert.deepEqual(proposal.driver?.packages, [
      {
        name: 'viogpu3d',
        project: 'viogpu/viogpu3d/viogpu3d.vcxproj',
        configuration: 'Win10 Debug',
        platform: 'x64',
        outputDir: 'viogpu/viogpu3d/objchk_win10_amd64/amd64',
        infs: ['viogpu/viogpu3d/objchk_win10_amd64/amd64/viogpu3d.inf'],
        files: ['viogpu3d.sys', 'viogpu_d3d10.dll', 'viogpu_wgl.dll', 'viogpu3d.cat'],
        hardwareIds: [id],
      },
      {
        name: 'viogpudo',
        project: 'viogpu/viogpu.sln',
        configuration: 'Win10 Release',
        platform: 'x64',
        outputDir: 'viogpu/viogpudo/objfre_win10_amd64/amd64',
        infs: ['viogpu/viogpudo/objfre_win10_amd64/amd64/viogpudo.inf'],
        files: ['viogpudo.sys', 'viogpudo.cat'],
        hardwareIds: [id],
      },
    ]);
    assertParses(proposal);
    assert.deepEqual(proposal.problems.filter((p) => p.severity === 'error'), []);
    explained(proposal, 'driver.packages', /^only display drivers are proposed .*; left out: pvpanic\/pvpanic\.vcxproj$/);
    explained(proposal, 'driver.packages', /^viogpu3d and viogpudo both install on PCI\\VEN_1AF4&DEV_1050&SUBSYS_11001AF4&REV_01: .*remove the package you are not testing$/);
    explained(proposal, 'driver.packages[0].project', /^viogpu\/viogpu3d\/viogpu3d\.vcxproj: no solution in the folder lists it/);
    explained(proposal, 'driver.packages[0].files', /^viogpu_d3d10\.dll: copied by \[VioGpu3D_Files\.Usermode\] .* to the driver store, the user-mode driver \(UserModeDriverName in \[VioGpu3D_DeviceSettings\], line 58\); no project here builds it: put it in the output folder before Sign$/);
    explained(proposal, 'driver.packages[1].project', /^viogpu\/viogpu\.sln: the solution that builds viogpu\/viogpudo\/viogpudo\.vcxproj \(viogpu\/viogpu\.sln:6\); also in virtio-win\.sln, farther from the project$/);
    explained(proposal, 'driver.packages[1].configuration', /^Win10 Release: no debug configuration is listed; also listed: Win8 Release$/);
    explained(proposal, 'driver.packages[1].platform', /^x64: .*also listed: ARM64, x86$/);
    explained(proposal, 'driver.packages[1].infs', /^viogpu\/viogpudo\/objfre_win10_amd64\/amd64\/viogpudo\.inf: the INF stampinf makes in the output folder from viogpu\/viogpudo\/viogpudo\.inx \(an Inf item of viogpu\/viogpudo\/viogpudo\.vcxproj:96\); read here with \$ARCH\$ = amd64$/);
    explained(proposal, 'driver.packages[1].outputDir', /OutDir objfre_win10_amd64\\amd64\\ \(viogpu\/viogpudo\/viogpudo\.vcxproj:70\) for Win10 Release\|x64/);
    explained(proposal, 'driver.packages[1].hardwareIds', /the models of \[VENDOR\.NTamd64\]/);
  });

  it('a WDDM KMD + UMD solution with a UTF-16 INF: the UMDs found through UserModeDriverName(Wow) and their projects', async () => {
    const proposal = await proposeDriverSection(path.join(LAYOUTS, 'wddm-umd'));
    assert.deepEqual(proposal.driver, {
      packages: [
        {
          name: 'pvgpu',
          project: 'pvgpu.sln',
          configuration: 'Debug',
          platform: 'x64',
          infs: ['kmd/pvgpu.inf'],
          files: ['pvgpu.sys', 'pvgpu_umd.dll', 'pvgpu_umd32.dll', 'pvgpu_x64.cat'],
          hardwareIds: ['PCI\\VEN_1AF4&DEV_10F0&SUBSYS_11001AF4', 'PCI\\VEN_1AF4&DEV_10F1'],
        },
      ],
      signing: { certificate: 'create' },
    });
    assertParses(proposal);
    assert.deepEqual(proposal.problems, []);
    explained(proposal, 'driver.packages[0].outputDir', /^left to the default x64\/Debug: MSBuild's default OutDir/);
    explained(proposal, 'driver.packages[0].files', /^pvgpu_umd\.dll: copied by \[PvGpu\.Umd\] of \[PvGpu_Inst\.NTamd64\] \(kmd\/pvgpu\.inf:77\) to the driver store, the user-mode driver \(UserModeDriverName in \[PvGpu_SoftwareDeviceSettings\], line 83\); built by umd\/pvgpu_umd\.vcxproj$/);
    explained(proposal, 'driver.packages[0].files', /^pvgpu_umd32\.dll: .* to %SystemRoot%\\SysWow64, the 32-bit user-mode driver for WOW64 \(UserModeDriverNameWow .*\); only umd\/pvgpu_umd\.vcxproj builds it, as Debug\|Win32: build that too/);
    explained(proposal, 'driver.packages[0].files', /^pvgpu_x64\.cat: the CatalogFile of \[Version\] \(kmd\/pvgpu\.inf:12\)/);
    explained(
      proposal,
      'driver.packages[0].hardwareIds',
      /the models of \[PvGpu\.NTamd64\.10\.0\.\.\.16299\] \(kmd\/pvgpu\.inf:40\), which Windows picks on amd64 .* over PvGpu\.NTx86\.6\.0, PvGpu\.NTamd64\.6\.0, PvGpu\.NTarm64\.10\.0\.\.\.22000; compatible ids PCI\\VEN_1AF4&DEV_10F0 are left out/,
    );
  });

  it('a mingw-w64 Makefile: a command build into the folder its OUT variable names', async () => {
    const proposal = await proposeDriverSection(path.join(LAYOUTS, 'make-mingw'));
    assert.deepEqual(proposal.driver?.packages, [
      { name: 'pvmini', command: ['make'], outputDir: 'build/x64', infs: ['inf/pvmini.inf'], files: ['pvmini.sys', 'pvmini_umd.dll', 'pvmini.cat'], hardwareIds: ['PCI\\VEN_1AF4&DEV_10F2'] },
    ]);
    assertParses(proposal);
    explained(proposal, 'driver.packages[0].command', /^\["make"\]: no MSBuild project lists the INF, and Makefile is the build file nearest above it$/);
    explained(proposal, 'driver.packages[0].outputDir', /^build\/x64: Makefile:4 sets OUT to build\/x64$/);
    explained(proposal, 'driver.packages[0].files', /^pvmini_umd\.dll: copied by CopyFiles=@ in \[PvMini_Inst\] .*UserModeDriverName/);
  });

  it('the suite\u2019s own sample package: the proposed command really builds everything the proposal lists', async function () {
    this.timeout(120_000);
    const scratch = mkdtempSync(path.join(tmpdir(), "gpupv-init 'sample' ü "));
    try {
      cpSync(SAMPLE_PACKAGE_SOURCE, scratch, { recursive: true });
      const proposal = await proposeDriverSection(scratch);
      assertParses(proposal);
      const [pkg] = proposal.driver!.packages;
      assert.deepEqual(pkg, { name: 'pvsample', command: ['make', 'OUT=build'], outputDir: 'build', infs: ['pvsample.inf'], files: [...SAMPLE_SHIPPED_FILES, 'pvsample.cat'], hardwareIds: [SAMPLE_HARDWARE_ID] });
      explained(proposal, 'driver.packages[0].outputDir', /^build: Makefile:10 uses \$\(OUT\) without giving it a value, so the command sets OUT=build$/);
      const [program, ...args] = pkg.command;
      const result = await runProcess(program!, args, { cwd: scratch, timeoutMs: 100_000 });
      assert.equal(result.exitCode, 0, result.stderr);
      const config = parseProtocolConfig(JSON.stringify({ driver: proposal.driver })).driver!.packages[0]!;
      const report = await checkArtifacts({ outputDir: path.join(scratch, pkg.outputDir), files: shippedFiles(config), platform: 'x64', stage: 'built' });
      assert.deepEqual(report.problems, []);
      assert.deepEqual(
        report.artifacts.map((a) => [a.name, a.kind, a.exists]),
        [
          ['pvsample.sys', 'kernel-driver', true],
          ['pvsample_umd.dll', 'user-mode-dll', true],
          ['pvsample.cat', 'catalog', false],
          ['pvsample.inf', 'inf', true],
        ],
      );
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('gpupv driver init: guesses on laid-out trees', () => {
  it('CMake and meson builds get a command, a build folder, and the one-time configure step in the explanation', async () => {
    const cmake = await proposeDriverSection(ROOT, { fileSystem: memoryFileSystem(ROOT, { 'CMakeLists.txt': 'project(pv C)\n', 'inf/pv.inf': minimalInf('pv') }) });
    assert.deepEqual(cmake.driver?.packages, [{ name: 'pv', command: ['cmake', '--build', 'build'], outputDir: 'build', infs: ['inf/pv.inf'], files: ['pv.sys', 'pv.cat'], hardwareIds: ['PCI\\VEN_1AF4&DEV_10F0'] }]);
    assertParses(cmake);
    explained(cmake, 'driver.packages[0].command', /configure it once first: cmake -S \. -B build$/);
    const meson = await proposeDriverSection(ROOT, { fileSystem: memoryFileSystem(ROOT, { 'drv/meson.build': "project('pv', 'c')\n", 'drv/pv.inf': minimalInf('pv'), 'tools/Makefile': 'all:\n' }) });
    assert.deepEqual(meson.driver?.packages[0], { name: 'pv', command: ['meson', 'compile', '-C', 'builddir'], cwd: 'drv', outputDir: 'drv/builddir', infs: ['drv/pv.inf'], files: ['pv.sys', 'pv.cat'], hardwareIds: ['PCI\\VEN_1AF4&DEV_10F0'] });
    explained(meson, 'driver.packages[0].command', /drv\/meson\.build is the build file nearest above it; also seen: tools\/Makefile; set it up once first: meson setup drv\/builddir$/);
    assertParses(meson);
  });

  it('keeps hostile folder names intact as data in the command\u2019s folder, the output folder and the INF path', async () => {
    for (const name of HOSTILE_NAMES.filter((n) => n.trim() !== '' && !n.startsWith('.'))) {
      const proposal = await proposeDriverSection(ROOT, { fileSystem: memoryFileSystem(ROOT, { [`${name}/Makefile`]: 'OUT := out-x64\nall:\n', [`${name}/${name}.inf`]: minimalInf('pv') }) });
      assert.deepEqual(proposal.driver?.packages[0], { name, command: ['make'], cwd: name, outputDir: `${name}/out-x64`, infs: [`${name}/${name}.inf`], files: ['pv.sys', 'pv.cat'], hardwareIds: ['PCI\\VEN_1AF4&DEV_10F0'] }, JSON.stringify(name));
      assertParses(proposal);
    }
  });

  it('looks past tools\u2019 and builds\u2019 folders, and stops at its depth and entry limits saying so', async () => {
    const tree: Tree = {
      'drv/drv.inf': minimalInf('drv'),
      'drv/Makefile': 'OUT = bin64\n',
      'node_modules/pkg/x.inf': minimalInf('x'),
      '.git/x.inf': minimalInf('x'),
      'build/x.inf': minimalInf('x'),
      'drv/x64/Debug/drv/drv.inf': minimalInf('drv'),
      'drv/objfre_win10_amd64/amd64/drv.inf': minimalInf('drv'),
    };
    const fs = memoryFileSystem(ROOT, tree);
    const proposal = await proposeDriverSection(ROOT, { fileSystem: fs });
    assert.deepEqual(proposal.found, { solutions: [], projects: [], infs: ['drv/drv.inf'], buildFiles: ['drv/Makefile'], truncated: false });
    assert.deepEqual(fs.read.sort(), ['drv/Makefile', 'drv/drv.inf']);

    const deep = await proposeDriverSection(ROOT, { fileSystem: memoryFileSystem(ROOT, { 'a/b/c/d/e.inf': minimalInf('e'), 'a/f.inf': minimalInf('f'), 'a/Makefile': '' }), maxDepth: 2 });
    assert.deepEqual([deep.found.infs, deep.found.truncated], [['a/f.inf'], true]);
    explained(deep, 'driver', /^stopped looking after 20000 entries or 2 folder levels; run it on the driver's own folder to see everything$/);
    const many = await proposeDriverSection(ROOT, { fileSystem: memoryFileSystem(ROOT, Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}.txt`, '']))), maxEntries: 10 });
    assert.equal(many.found.truncated, true);
  });

  it('goes on past a file or folder it cannot read or that is too big, and says which', async () => {
    const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    const huge = new Uint8Array(8 * 1024 * 1024 + 100);
    const fs = memoryFileSystem(ROOT, { 'locked/': denied, 'bad.vcxproj': denied, 'huge.inf': huge, 'drv/drv.inf': minimalInf('drv'), 'drv/Makefile': '' });
    const proposal = await proposeDriverSection(ROOT, { fileSystem: fs });
    assert.deepEqual(
      proposal.problems.map((p) => `${p.file}: ${p.severity}: ${p.message}`),
      [
        'locked: warning: cannot list the folder (EACCES: permission denied); it was skipped',
        'bad.vcxproj: warning: cannot be read (EACCES: permission denied); it was skipped',
        'huge.inf: warning: is over 8388608 bytes, too big to be what its name says; it was skipped',
      ],
    );
    assert.equal(proposal.driver?.packages[0]?.name, 'drv');
  });

  it('reads a real file no further than it is asked to', async () => {
    const file = path.join(LAYOUTS, 'wddm-umd', 'kmd', 'pvgpu.inf');
    const whole = readFileSync(file);
    assert.deepEqual(Buffer.from(await nodeFileSystem.readFile(file, 6)), whole.subarray(0, 6));
    assert.deepEqual(Buffer.from(await nodeFileSystem.readFile(file, whole.length + 10)), whole);
  });

  it('says why there is nothing to propose', async () => {
    const empty = await proposeDriverSection(ROOT, { fileSystem: memoryFileSystem(ROOT, { 'README.md': '# hi' }) });
    assert.equal(empty.driver, undefined);
    explained(empty, 'driver', /^no INF \(\.inf, \.inx\) and no Visual Studio project \(\.vcxproj\) under the folder: open the driver's folder/);
    const noInf = await proposeDriverSection(ROOT, { fileSystem: memoryFileSystem(ROOT, { 'k/k.vcxproj': kernelProject('k.inf') }) });
    assert.equal(noInf.driver, undefined);
    explained(noInf, 'driver', /^projects were found \(k\/k\.vcxproj\) but no INF/);
    assert.deepEqual(noInf.problems.map((p) => `${p.file}:${p.line}: ${p.message}`), ['k/k.vcxproj:7: Inf item "k.inf" matches no INF in the workspace']);
    const unbuilt = await proposeDriverSection(ROOT, { fileSystem: memoryFileSystem(ROOT, { 'pv.inf': minimalInf('pv') }) });
    assert.equal(unbuilt.driver, undefined);
    explained(unbuilt, 'driver.packages', /^pv\.inf found, but no \.sln, \.vcxproj, Makefile, CMakeLists\.txt or meson\.build builds it/);
  });

  it('reads an .slnx solution, and proposes ARM64\u2019s catalog OS when that is the only platform', async () => {
    const slnx = '<Solution>\n  <Configurations>\n    <BuildType Name="Debug" />\n    <BuildType Name="Release" />\n    <Platform Name="ARM64" />\n  </Configurations>\n  <Project Path="kmd\\k.vcxproj" />\n</Solution>\n';
    const proposal = await proposeDriverSection(ROOT, {
      fileSystem: memoryFileSystem(ROOT, { 'k.slnx': slnx, 'kmd/k.vcxproj': kernelProject('k.inf', ['Debug|ARM64', 'Release|ARM64']), 'kmd/k.inf': minimalInf('k').replace(/NTamd64/g, 'NTarm64') }),
    });
    assert.deepEqual(proposal.driver, {
      packages: [{ name: 'k', project: 'k.slnx', configuration: 'Debug', platform: 'ARM64', infs: ['kmd/k.inf'], files: ['k.sys', 'k.cat'], hardwareIds: ['PCI\\VEN_1AF4&DEV_10F0'] }],
      signing: { certificate: 'create', catalogOs: ['10_GE_ARM64'] },
    });
    assertParses(proposal);
    explained(proposal, 'driver.packages[0].platform', /^ARM64: the first platform listed \(no x64 one\)/);
  });

  it('reports the INF\u2019s problems with the file and line, and still proposes what it can', async () => {
    const broken = minimalInf('pv').replace('CatalogFile=pv.cat', '').replace('@pv.sys', '@pv.sys, Missing.Files');
    const proposal = await proposeDriverSection(ROOT, { fileSystem: memoryFileSystem(ROOT, { 'pv.inf': broken, Makefile: '' }) });
    assert.deepEqual(
      proposal.problems.map((p) => `${p.file}:${p.line}: ${p.severity}: ${p.message}`),
      ['pv.inf:1: error: [Version] names no CatalogFile for amd64: add CatalogFile = <name>.cat, the catalog Inf2Cat makes and the package is signed through', 'pv.inf:18: error: CopyFiles names [Missing.Files], which is not in the file'],
    );
    assert.deepEqual(proposal.driver?.packages[0]?.files, ['pv.sys']);
    assertParses(proposal);
  });
});

describe('gpupv driver init: the MSBuild readers on hostile input', () => {
  it('never throw on mutated project and solution files', () => {
    const sources = [
      readFileSync(path.join(LAYOUTS, 'kmdod', 'Sample', 'DisplayOnly.vcxproj'), 'utf8'),
      readFileSync(path.join(LAYOUTS, 'viogpu', 'viogpu', 'viogpudo', 'viogpudo.vcxproj'), 'utf8'),
      readFileSync(path.join(LAYOUTS, 'viogpu', 'virtio-win.sln'), 'utf8'),
    ];
    const next = seededRandom(7);
    const below = (n: number) => Math.floor(next() * n);
    const tokens = ['<', '>', '</', '/>', '"', "'", '&amp;', '&#x110000;', '<!--', ']]>', '$(', ')', '|', '==', ' or ', '\n', 'Project(', '{', '}'];
    for (let n = 0; n < 600; n++) {
      let text = sources[below(sources.length)]!;
      for (let i = 1 + below(6); i > 0; i--) {
        const at = below(text.length + 1);
        text = below(2) ? text.slice(0, at) + tokens[below(tokens.length)]! + text.slice(at) : text.slice(0, at) + text.slice(at + below(50));
      }
      const project = readVcxproj(text);
      for (const c of [...project.configurations, { configuration: 'Debug', platform: 'x64' }]) project.properties(c.configuration, c.platform);
      const solution = readSolution(text);
      for (const p of solution.projects) for (const c of solution.configurations) solution.projectConfiguration(p, c);
    }
  });
});

describe('gpupv driver init: merging into gpupv.json', () => {
  const driver = { packages: [{ name: 'pv', project: 'pv.sln', infs: ['pv.inf'] }], signing: { certificate: 'create' } };

  it('writes a new file, and adds the section to an existing one keeping its comments, trailing comma and indentation', () => {
    const fresh = mergeDriverSection(undefined, driver);
    assert.ok(fresh.ok);
    assert.deepEqual(JSON.parse(fresh.text), { driver });
    const empty = mergeDriverSection('{}', driver);
    assert.ok(empty.ok);
    assert.deepEqual(JSON.parse(empty.text), { driver });

    const existing = '// the viewer\u2019s settings\n{\n\t"protocol": { "headers": ["p.h"] }, // keep me\n\t/* live */ "live": {},\n}\n';
    const merged = mergeDriverSection(existing, driver);
    assert.ok(merged.ok && !merged.replaced);
    assert.ok(merged.text.startsWith('// the viewer\u2019s settings\n{\n\t"protocol": { "headers": ["p.h"] }, // keep me\n\t/* live */ "live": {},\n\t"driver": {\n\t\t"packages": ['), merged.text);
    const parsed = parseProtocolConfig(merged.text);
    assert.equal(parsed.driver?.packages[0]?.name, 'pv');
    assert.deepEqual(parsed.problems.filter((p) => p.severity === 'error'), []);

    const noComma = mergeDriverSection('{\n  "protocol": {} // last\n}', driver);
    assert.ok(noComma.ok);
    assert.match(noComma.text, /^\{\n {2}"protocol": \{\}, \/\/ last\n {2}"driver": \{\n {4}"packages"/);
  });

  it('will not replace a driver section unless forced, and then keeps everything around it', () => {
    const existing = '{\n  // mine\n  "driver": { "packages": [] }, // old\n  "protocol": {}\n}';
    const refused = mergeDriverSection(existing, driver);
    assert.deepEqual(refused, { ok: false, message: 'gpupv.json already has a "driver" section (line 3); give --force to replace it' });
    const forced = mergeDriverSection(existing, driver, { force: true });
    assert.ok(forced.ok && forced.replaced);
    assert.match(forced.text, /^\{\n {2}\/\/ mine\n {2}"driver": \{\n {4}"packages": \[[\s\S]*\n {2}\}, \/\/ old\n {2}"protocol": \{\}\n\}$/);
    assert.equal(parseProtocolConfig(forced.text).driver?.packages[0]?.name, 'pv');
  });

  it('refuses a file that is not JSON or not an object, saying where', () => {
    assert.deepEqual(mergeDriverSection('{\n  "protocol": {\n', driver, { fileName: 'ws/gpupv.json' }).ok, false);
    const bad = mergeDriverSection('{\n  "protocol": }', driver);
    assert.ok(!bad.ok && /^gpupv\.json is not valid JSON \(line 2: .*\); fix it first/.test(bad.message), JSON.stringify(bad));
    assert.deepEqual(mergeDriverSection('[1]', driver), { ok: false, message: 'gpupv.json holds an array, not an object; it must be { "protocol": …, "driver": … }' });
  });
});

describe('gpupv driver init (command line)', () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'gpupv-driver-init-'));
    cpSync(path.join(LAYOUTS, 'wddm-umd'), scratch, { recursive: true });
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it('prints the section on stdout and each guess, with its evidence, on stderr', async () => {
    const { code, out, err } = await gpupv('driver', 'init', scratch);
    assert.equal(code, 0, err);
    const printed = JSON.parse(out) as { driver: { packages: { name: string; files: string[] }[] } };
    assert.deepEqual(printed.driver.packages.map((p) => [p.name, p.files]), [['pvgpu', ['pvgpu.sys', 'pvgpu_umd.dll', 'pvgpu_umd32.dll', 'pvgpu_x64.cat']]]);
    assert.match(err, /^driver\.packages\[0\]\.project: pvgpu\.sln: the solution that builds kmd\/pvgpu_kmd\.vcxproj \(pvgpu\.sln:6\) \(sure\)$/m);
    assert.match(err, /^driver\.packages\[0\]\.files: pvgpu_umd\.dll: .*built by umd\/pvgpu_umd\.vcxproj \(sure\)$/m);
  });

  it('--json prints one document with the section, the explanations, the problems and what was found', async () => {
    writeFileSync(path.join(scratch, 'extra.inf'), '[Version]\r\nSignature="$Windows NT$"\r\nClass=Display\r\n');
    writeFileSync(path.join(scratch, 'tools', 'pvgpu_smoke.vcxproj'), '<Project><ItemGroup><Inf Include="$(Undefined).inf" /></ItemGroup></Project>');
    const { code, out, err } = await gpupv('driver', 'init', scratch, '--json');
    assert.equal(code, 0, err);
    assert.equal(err, '');
    const printed = JSON.parse(out) as DriverProposal;
    assert.equal(printed.driver?.packages[0]?.name, 'pvgpu');
    assert.ok(printed.explanations.every((e) => e.property.startsWith('driver') && ['sure', 'likely', 'guess'].includes(e.confidence) && Array.isArray(e.evidence) && Array.isArray(e.alternatives)));
    explained(printed, 'driver.packages', /^extra\.inf is in no project's Inf items, so no package installs it/);
    assert.deepEqual(printed.problems, [{ file: 'tools/pvgpu_smoke.vcxproj', line: 1, severity: 'warning', message: 'Inf item "$(Undefined).inf" uses a property init cannot evaluate; name the INF in gpupv.json by hand' }]);
    assert.deepEqual(printed.found, { solutions: ['pvgpu.sln'], projects: ['kmd/pvgpu_kmd.vcxproj', 'tools/pvgpu_smoke.vcxproj', 'umd/pvgpu_umd.vcxproj'], infs: ['extra.inf', 'kmd/pvgpu.inf'], buildFiles: [], truncated: false });
  });

  it('--write creates gpupv.json, merges into one that exists, and replaces a driver section only with --force', async () => {
    const file = path.join(scratch, 'gpupv.json');
    const created = await gpupv('driver', 'init', scratch, '--write');
    assert.equal(created.code, 0, created.err);
    assert.equal(created.out, '');
    assert.match(created.err, /gpupv: wrote .*gpupv\.json; check the guesses above/);
    assert.equal(parseProtocolConfig(readFileSync(file, 'utf8')).driver?.packages[0]?.name, 'pvgpu');

    const mine = '\uFEFF{\n  // decoding settings\n  "protocol": { "headers": ["include/pvgpu.h"] }\n}\n';
    writeFileSync(file, mine);
    const merged = await gpupv('driver', 'init', scratch, '--write');
    assert.equal(merged.code, 0, merged.err);
    assert.match(merged.err, /added a "driver" section to/);
    const text = readFileSync(file, 'utf8');
    assert.ok(text.startsWith('\uFEFF{\n  // decoding settings\n  "protocol": { "headers": ["include/pvgpu.h"] },\n  "driver": {'), text);

    const again = await gpupv('driver', 'init', scratch, '--write');
    assert.equal(again.code, 2);
    assert.match(again.err, /already has a "driver" section \(line 4\); give --force to replace it/);
    assert.equal(readFileSync(file, 'utf8'), text);
    const forced = await gpupv('driver', 'init', scratch, '--write', '--force');
    assert.equal(forced.code, 0, forced.err);
    assert.match(forced.err, /replaced the "driver" section of/);
    assert.equal(readFileSync(file, 'utf8'), text, 'the same proposal replaces the section with itself');
  });

  it('exits 2 on a bad command line and on a folder with nothing to propose', async () => {
    assert.match((await gpupv('--help')).out, /gpupv driver init \[folder\]/);
    const help = await gpupv('driver', '--help');
    assert.deepEqual([help.code, help.out.startsWith('usage: gpupv driver init')], [0, true]);
    for (const args of [['driver'], ['driver', 'list'], ['driver', 'init', 'a', 'b'], ['driver', 'init', '--force'], ['driver', 'init', '--nope']]) {
      const run = await gpupv(...args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.err, /^gpupv: .*\n\nusage: gpupv driver init/, args.join(' '));
    }
    const emptyFolder = path.join(scratch, 'empty');
    mkdirSync(emptyFolder);
    const nothing = await gpupv('driver', 'init', emptyFolder);
    assert.equal(nothing.code, 2);
    assert.equal(nothing.out, '');
    assert.match(nothing.err, /nothing to propose for .*empty; see above/);
  });
});
