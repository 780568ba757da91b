import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  decodeWindowsText,
  describeInfPackage,
  infArchitectureForPlatform,
  infEntry,
  infSection,
  parseInf,
  type InfPackage,
  type InfProblem,
} from '../../../extension/deploy/inf/infFile';
import { repoRoot } from '../../harness/paths';
import { SAMPLE_PACKAGE_SOURCE } from '../../harness/samplePackage';

// The INF reader: the syntax Windows Setup accepts, and what Deploy and Test needs to know
// from a package's INF, chosen for an architecture the way Windows chooses it. The fixtures
// are laid out after real display driver repositories (see driverInit.test.ts).

const FIXTURES = path.join(repoRoot, 'test', 'fixtures');
const read = (...parts: string[]) => readFileSync(path.join(FIXTURES, ...parts));
const PVGPU = () => read('driver-layouts', 'wddm-umd', 'kmd', 'pvgpu.inf');

const errors = (problems: readonly InfProblem[]) => problems.filter((p) => p.severity === 'error').map((p) => `${p.line}: ${p.message}`);
const inf = (lines: string[]) => parseInf(lines.join('\r\n'));

describe('INF reader: syntax', () => {
  it('names sections in any letter case, merges a section written twice, and numbers lines from 1', () => {
    const file = inf(['; header', '[Version]', 'Signature="$Windows NT$"', '', '[files]', 'a.sys', '[VERSION]', 'Class = Display', '[Files]', 'b.dll']);
    assert.deepEqual([...file.sections.keys()], ['version', 'files']);
    assert.equal(infSection(file, 'FILES')!.name, 'files');
    assert.deepEqual(
      infSection(file, 'Files')!.entries.map((e) => [e.line, e.values]),
      [
        [6, ['a.sys']],
        [10, ['b.dll']],
      ],
    );
    assert.equal(infEntry(infSection(file, 'version'), 'class')!.values[0], 'Display');
    assert.equal(infSection(file, 'Version')!.line, 2);
  });

  it('ends a line at ; outside quotes only, and joins a line that ends in a backslash to the next', () => {
    const file = inf(['[S]', 'a = "x;y", z ; comment', 'b = one,\\', '    two, \\  ', '    three   ; done', 'c = "a ""quoted"" word", "k=v"']);
    const [a, b, c] = infSection(file, 'S')!.entries;
    assert.deepEqual(a!.values, ['x;y', 'z']);
    assert.deepEqual([b!.line, b!.values], [3, ['one', 'two', 'three']]);
    assert.deepEqual(c!.values, ['a "quoted" word', 'k=v']);
    assert.deepEqual(file.problems, []);
  });

  it('replaces %key% from [Strings.<locale>], then [Strings], then [Strings.0409]; keeps %13% and makes %% a percent sign', () => {
    const text = [
      '[S]',
      'a = %Greeting%, %Only0409%, %Plain%',
      'b = %13%\\x.dll, "%%SystemRoot%%\\System32", 100%',
      '%Greeting% = key',
      '[Strings]',
      'Greeting = "Hello, world"',
      'Plain = plain',
      '[Strings.0407]',
      'Greeting = "Hallo"',
      '[Strings.0409]',
      'Greeting = "Howdy"',
      'Only0409 = "from 0409"',
    ];
    const english = parseInf(text.join('\n'));
    assert.deepEqual(infSection(english, 'S')!.entries[0]!.values, ['Howdy', 'from 0409', 'plain']);
    assert.deepEqual(infSection(english, 'S')!.entries[1]!.values, ['%13%\\x.dll', '%SystemRoot%\\System32', '100%']);
    assert.equal(infSection(english, 'S')!.entries[2]!.key, 'Howdy');
    const german = parseInf(text.join('\n'), { locale: '0407' });
    assert.deepEqual(infSection(german, 'S')!.entries[0]!.values, ['Hallo', 'from 0409', 'plain']);
    assert.deepEqual(german.problems, []);
  });

  it('reports what is wrong with its line and carries on: an undefined %key%, an open header, lines outside sections', () => {
    const file = inf(['Orphan = 1', '[Version', '[A]', 'x = %Missing%, %Missing%', '[]', '[B] trailing', 'y = "open', '[Strings]', 'no equals here']);
    assert.deepEqual(
      file.problems.map((p) => [p.line, p.severity, p.message]),
      [
        [1, 'warning', 'a line before the first [section] is ignored'],
        [2, 'error', 'section header [Version has no closing ]'],
        [4, 'error', '%Missing% is not defined in [Strings]: add Missing = "…" there'],
        [5, 'error', 'a section header with no name: []'],
        [6, 'warning', 'text after [B] on the same line is ignored'],
        [7, 'warning', 'a quoted string is not closed on this line'],
        [9, 'warning', 'a [Strings] line needs key = "text"; "no equals here" is ignored'],
      ],
    );
    assert.deepEqual(infSection(file, 'A')!.entries[0]!.values, ['%Missing%', '%Missing%']);
  });

  it('decodes UTF-16LE and UTF-16BE with a mark, UTF-8 with or without one, UTF-16LE without one, and ANSI', () => {
    const text = '[Strings]\r\nName = "Grafikkarte für VMs 🚀"\r\n';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le.subarray(2)).swap16();
    const cases: [Uint8Array, string][] = [
      [le, 'utf-16le'],
      [Buffer.concat([Buffer.from([0xfe, 0xff]), be]), 'utf-16be'],
      [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 'utf-8'],
      [Buffer.from(text), 'utf-8'],
      [Buffer.from(text, 'utf16le'), 'utf-16le'],
    ];
    for (const [bytes, encoding] of cases) {
      const decoded = decodeWindowsText(bytes);
      assert.deepEqual([decoded.encoding, decoded.text], [encoding, text], encoding);
    }
    const ansi = decodeWindowsText(Buffer.from('Name = "f\xfcr"', 'latin1'));
    assert.deepEqual([ansi.encoding, ansi.text], ['windows-1252', 'Name = "für"']);
    assert.equal(parseInf(PVGPU()).encoding, 'utf-16le');
  });

  it('reads an .inx with $ARCH$ replaced, and says what an unreplaced one means', () => {
    const inx = read('driver-layouts', 'viogpu', 'viogpu', 'viogpudo', 'viogpudo.inx');
    for (const architecture of ['amd64', 'arm64'] as const) {
      const pkg = describeInfPackage(parseInf(inx, { inxArchitecture: architecture }), { architecture });
      assert.deepEqual(errors(pkg.problems), []);
      assert.deepEqual(pkg.manufacturers.map((m) => m.modelsSection), [`VENDOR.NT${architecture}`]);
    }
    const raw = describeInfPackage(parseInf(inx), { architecture: 'amd64' });
    assert.ok(errors(raw.problems).some((e) => /^26: "NT\$ARCH\$" is not a TargetOSVersion .*\$ARCH\$ replaced/.test(e)), errors(raw.problems).join('\n'));
  });
});

describe('INF reader: what a deploy needs', () => {
  it('reads the test suite\u2019s sample package: version, catalog, models, files, UMD and service', () => {
    const pkg = describeInfPackage(parseInf(readFileSync(path.join(SAMPLE_PACKAGE_SOURCE, 'pvsample.inf'))), { architecture: 'amd64' });
    assert.deepEqual(pkg.problems, []);
    assert.deepEqual(pkg.version, {
      signature: '$WINDOWS NT$',
      class: 'Display',
      classGuid: '{4d36e968-e325-11ce-bfc1-08002be10318}',
      provider: 'GPU-PV Dev Kit Samples',
      driverDate: '2026-12-01',
      driverVersion: '1.0.0.1',
      catalogFile: 'pvsample.cat',
      catalogFileLine: 12,
      pnpLockdown: true,
    });
    assert.deepEqual(pkg.hardwareIds, ['PCI\\VEN_1AF4&DEV_10F0']);
    assert.deepEqual(pkg.files, ['pvsample.sys', 'pvsample_umd.dll']);
    const [install] = pkg.installs;
    assert.deepEqual(
      install!.copyFiles.map((f) => [f.name, f.listSection, f.destination]),
      [
        ['pvsample.sys', 'PvSample.Files.Sys', { dirid: 13 }],
        ['pvsample_umd.dll', 'PvSample.Files.Umd', { dirid: 13 }],
      ],
    );
    assert.deepEqual(install!.userModeDriverName, { values: ['%13%\\pvsample_umd.dll'], section: 'PvSample.SoftwareSettings', line: 46 });
    assert.deepEqual(install!.installedDisplayDrivers?.values, ['pvsample_umd']);
    assert.deepEqual(install!.services, [{ name: 'pvsample', flags: 2, installSection: 'PvSample_Service', serviceBinary: '%13%\\pvsample.sys', line: 51 }]);
  });

  it('picks the models section Windows picks: the newest TargetOSVersion that applies to the architecture and build', () => {
    const file = parseInf(PVGPU());
    const on = (architecture: 'amd64' | 'arm64' | 'x86', build: number) => describeInfPackage(file, { architecture, os: { major: 10, minor: 0, build, productType: 1 } });
    const current = on('amd64', 26100);
    assert.deepEqual(errors(current.problems), []);
    assert.deepEqual(current.manufacturers.map((m) => [m.name, m.modelsSection]), [['GPU-PV Dev Kit Samples', 'PvGpu.NTamd64.10.0...16299']]);
    assert.deepEqual(current.hardwareIds, ['PCI\\VEN_1AF4&DEV_10F0&SUBSYS_11001AF4', 'PCI\\VEN_1AF4&DEV_10F1']);
    assert.deepEqual(current.compatibleIds, ['PCI\\VEN_1AF4&DEV_10F0']);
    assert.deepEqual(current.devices.map((d) => d.description), ['PV GPU "Render + Display" adapter', 'PV GPU adapter (revision 2)']);
    assert.deepEqual(current.installs.map((i) => i.section), ['PvGpu_Inst.NTamd64']);
    assert.deepEqual(current.files, ['pvgpu.sys', 'pvgpu_umd.dll', 'pvgpu_umd32.dll']);
    const [install] = current.installs;
    assert.deepEqual(install!.copyFiles.map((f) => f.destination), [{ dirid: 13 }, { dirid: 13 }, { dirid: 10, subdir: 'SysWow64' }]);
    assert.deepEqual(install!.userModeDriverNameWow!.values, Array(4).fill('pvgpu_umd32.dll'), 'a value continued on the next line');
    assert.deepEqual(install!.installedDisplayDrivers!.values, ['pvgpu_umd', 'pvgpu_umd32']);
    assert.deepEqual(install!.services.map((s) => [s.name, s.serviceBinary]), [['pvgpu', '%13%\\pvgpu.sys']]);

    // Windows 10 1703 is older than 16299: the 6.0 section and its display-only install, copied with @file.
    const older = on('amd64', 15063);
    assert.deepEqual(older.manufacturers.map((m) => m.modelsSection), ['PvGpu.NTamd64.6.0']);
    assert.deepEqual(older.installs.map((i) => [i.section, i.copyFiles.map((f) => [f.name, f.listSection, f.destination])]), [['PvGpu_Legacy.NTamd64', [['pvgpu.sys', undefined, { dirid: 12 }]]]]);

    // ARM64 falls back to the undecorated install section, which ships no WOW64 UMD.
    const arm = on('arm64', 26100);
    assert.deepEqual([arm.manufacturers[0]!.modelsSection, arm.installs[0]!.section, arm.files], ['PvGpu.NTarm64.10.0...22000', 'PvGpu_Inst', ['pvgpu.sys', 'pvgpu_umd.dll']]);
    assert.equal(on('x86', 26100).manufacturers[0]!.modelsSection, 'PvGpu.NTx86.6.0');

    const tooOld = on('arm64', 19041);
    assert.equal(tooOld.manufacturers[0]!.modelsSection, undefined);
    assert.deepEqual(tooOld.hardwareIds, []);
    assert.deepEqual(errors(tooOld.problems), [
      '31: manufacturer "GPU-PV Dev Kit Samples" has no models section for arm64 on Windows 10.0 build 19041 (decorations: NTx86.6.0, NTamd64.6.0, NTamd64.10.0...16299, NTarm64.10.0...22000): add NTarm64 to its line and a [PvGpu.NTarm64] section',
    ]);
  });

  it('uses CatalogFile.NT<arch> before CatalogFile, and reads a models section no decoration names only on x86', () => {
    const file = inf([
      '[Version]',
      'Signature="$Windows NT$"',
      'DriverVer=1/2/2025,1.2',
      'CatalogFile=all.cat',
      'CatalogFile.NTarm64=arm.cat',
      '[Manufacturer]',
      'Contoso',
      '[Contoso]',
      'Dev = Inst, ROOT\\PVGPU',
      '[Inst]',
      '[Inst.Services]',
      'AddService = pv, 2, Svc',
      '[Svc]',
      'ServiceBinary = %13%\\pv.sys',
      'ServiceType = 1',
      'StartType = 3',
      'ErrorControl = 1',
    ]);
    const x86 = describeInfPackage(file, { architecture: 'x86' });
    assert.deepEqual([x86.version.catalogFile, x86.version.driverDate, x86.version.driverVersion, x86.hardwareIds], ['all.cat', '2025-01-02', '1.2', ['ROOT\\PVGPU']]);
    assert.deepEqual(errors(x86.problems), []);
    const arm = describeInfPackage(file, { architecture: 'arm64' });
    assert.equal(arm.version.catalogFile, 'arm.cat');
    assert.deepEqual(errors(arm.problems), ['7: manufacturer "Contoso" has no models section for arm64 on Windows 10.0 build 26100 (decorations: none): add NTarm64 to its line and a [Contoso.NTarm64] section']);
  });

  it('reports missing sections, a missing catalog, bad DriverVer and copies Setup cannot find, each at its line', () => {
    const file = inf([
      '[Version]', //  1
      'Signature = "$Windows NT$"',
      'DriverVer = 13/40/2024, 1.2.3.70000',
      '[Manufacturer]',
      '%Mfg% = Models, NTamd64, NTarm64', // 5
      '[Models.NTamd64]',
      '%Dev% = Install, PCI\\VEN_1234&DEV_5678',
      '%Dev% = Missing_Install, PCI\\VEN_1234&DEV_9999',
      '%Dev% = Install',
      '[Install.NT]', // 10
      'CopyFiles = Files, NoSuchList, @direct.sys',
      'AddReg = NoSuchReg, Reg',
      '[Files]',
      'x.sys',
      '[Reg]', // 15
      'HKR,, UserModeDriverName, 0x00010000, %13%\\umd.dll',
      '[Install.NT.Services]',
      'AddService = x, 0x2, NoSuchService',
      '[Strings]',
      'Mfg = "M"', // 20
      'Dev = "D"',
    ]);
    const pkg = describeInfPackage(file, { architecture: 'amd64' });
    assert.deepEqual(
      pkg.problems.map((p) => `${p.line} ${p.severity}: ${p.message}`),
      [
        '1 error: [Version] names no CatalogFile for amd64: add CatalogFile = <name>.cat, the catalog Inf2Cat makes and the package is signed through',
        '3 error: DriverVer\'s date "13/40/2024" is not mm/dd/yyyy',
        '3 error: DriverVer\'s version "1.2.3.70000" is not w.x.y.z with each part at most 65535',
        '5 error: [Models.NTarm64] is named by [Manufacturer] but not in the file',
        '8 error: install section [Missing_Install] (or [Missing_Install.NTamd64]) named by "D" is not in the file',
        '9 warning: "D" has no hardware id, so no device will match it',
        '11 error: [DestinationDirs] gives no folder for [Files] and no DefaultDestDir: add Files = 13 (the driver store)',
        '11 error: CopyFiles names [NoSuchList], which is not in the file',
        '11 error: CopyFiles=@direct.sys needs a DefaultDestDir in [DestinationDirs], e.g. DefaultDestDir = 13 (the driver store)',
        '11 warning: direct.sys is copied but [SourceDisksFiles] does not list it, so Setup cannot find it in the package',
        '12 error: AddReg names [NoSuchReg], which is not in the file',
        '14 warning: x.sys is copied but [SourceDisksFiles] does not list it, so Setup cannot find it in the package',
        '16 warning: %13%\\umd.dll is a user-mode driver but [Install.NT] copies no umd.dll',
        '18 error: service-install section [NoSuchService] is not in the file',
      ],
    );
    // What Windows would use on x64 still comes through.
    assert.deepEqual(pkg.hardwareIds, ['PCI\\VEN_1234&DEV_5678', 'PCI\\VEN_1234&DEV_9999']);
    assert.deepEqual(pkg.files, ['x.sys', 'direct.sys']);
  });

  it('says when Class and ClassGuid disagree, a service section lacks the keys Setup needs, or a DIRID is none Windows has', () => {
    const file = inf([
      '[Version]', //  1
      'Signature = "$Windows NT$"',
      'Class = Display',
      'ClassGuid = {4d36e97d-e325-11ce-bfc1-08002be10318}',
      'CatalogFile = x.cat', // 5
      'DriverVer = 01/02/2026,1.0.0.0',
      '[DestinationDirs]',
      'Files = 14',
      '[SourceDisksNames]',
      '1 = "disk"', // 10
      '[SourceDisksFiles]',
      'x.sys = 1',
      '[Manufacturer]',
      '"M" = Models, NTamd64',
      '[Models.NTamd64]', // 15
      '"D" = Install, PCI\\VEN_1234&DEV_5678',
      '[Install]',
      'CopyFiles = Files',
      '[Files]',
      'x.sys', // 20
      '[Install.Services]',
      'AddService = x, 0x2, Service',
      '[Service]',
      'ServiceBinary = %13%\\x.sys',
      'StartType = 3', // 25
    ]);
    assert.deepEqual(
      describeInfPackage(file, { architecture: 'amd64' }).problems.map((p) => `${p.line} ${p.severity}: ${p.message}`),
      [
        '4 error: Class = Display goes with ClassGuid = {4d36e968-e325-11ce-bfc1-08002be10318}, not {4d36e97d-e325-11ce-bfc1-08002be10318}: Windows files the device under the GUID',
        "8 warning: Files in [DestinationDirs] names DIRID 14, which Windows does not define: a driver's files go to 13 (the driver store) or 11 / 12 (System32, System32\\drivers)",
        '23 error: [Service] has no ServiceType, ErrorControl: Setup refuses a service without them (a kernel driver: ServiceType = 1, StartType = 3, ErrorControl = 1)',
      ],
    );
  });

  it('finds a file in the package through its disk\u2019s path and its [SourceDisksFiles.<arch>] subfolder', () => {
    const file = inf([
      '[Version]',
      'Signature="$Windows NT$"',
      'CatalogFile=p.cat',
      'DriverVer=01/01/2026,1.0.0.0',
      '[DestinationDirs]',
      'DefaultDestDir = 13',
      '[SourceDisksNames]',
      '1 = "Disk",,,\\bin',
      '[SourceDisksFiles]',
      'k.sys = 1',
      '[SourceDisksFiles.amd64]',
      'k.sys = 1, x64',
      'renamed.dll = 1',
      '[Manufacturer]',
      'M = M, NTamd64',
      '[M.NTamd64]',
      'D = I, PCI\\VEN_1AF4&DEV_10F0',
      '[I]',
      'CopyFiles = L',
      '[L]',
      'k.sys',
      'umd.dll, renamed.dll',
      '[I.Services]',
      'AddService = k, 2, S',
      '[S]',
      'ServiceBinary = %13%\\k.sys',
      'ServiceType = 1',
      'StartType = 3',
      'ErrorControl = 1',
    ]);
    const pkg = describeInfPackage(file, { architecture: 'amd64' });
    assert.deepEqual(errors(pkg.problems), []);
    assert.deepEqual(pkg.files, ['bin/x64/k.sys', 'bin/renamed.dll']);
    assert.deepEqual(pkg.installs[0]!.copyFiles.map((f) => f.name), ['k.sys', 'umd.dll']);
    assert.deepEqual(describeInfPackage(file, { architecture: 'x86' }).files, [], 'x86 has no models section');
  });

  it('reads the KMDOD-shaped INF for amd64 and ARM64', () => {
    const file = parseInf(read('driver-layouts', 'kmdod', 'Sample', 'displayonly.inf'));
    const amd64: InfPackage = describeInfPackage(file, { architecture: 'amd64' });
    assert.deepEqual(amd64.problems, []);
    assert.deepEqual(amd64.hardwareIds, ['PCI\\CC_0300', 'PCI\\CC_0301', 'ACPI\\CLS_0003&SUBCLS_0000']);
    assert.deepEqual(amd64.installs[0]!.copyFiles.map((f) => [f.packagePath, f.destination]), [['DisplayOnly.sys', { dirid: 12 }]]);
    assert.deepEqual(describeInfPackage(file, { architecture: 'arm64' }).hardwareIds, ['ACPI\\CLS_0003&SUBCLS_0000']);
  });

  it('maps MSBuild platforms to INF architectures', () => {
    assert.deepEqual(
      ['x64', 'Win32', 'ARM64', 'arm', 'x86', 'Any CPU'].map(infArchitectureForPlatform),
      ['amd64', 'x86', 'arm64', 'arm', 'x86', undefined],
    );
  });
});
