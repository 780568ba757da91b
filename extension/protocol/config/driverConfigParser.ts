import type { JsonProperty, JsonValue } from './jsonc';

// gpupv.json's `driver` section: what Deploy and Test builds, signs, deploys, installs and
// tests. Checked by shape here, each mistake a problem at its property; whether a project, an
// INF or a VM exists is learnt when a step runs. Pure: no `vscode` import.
//
//   "driver": {
//     "packages": [{ "name": "pvgpu", "project": "driver/pvgpu.sln", "configuration": "Debug", "platform": "x64",
//                    "infs": ["driver/pvgpu.inf"], "files": ["pvgpu.sys", "pvgpu_umd.dll", "pvgpu.cat"],
//                    "hardwareIds": ["PCI\\VEN_1AF4&DEV_10F0"] }],
//     "signing": { "certificate": { "pfx": "certs/test.pfx" }, "catalogOs": ["10_X64"] },
//     "target": { "vm": "3f8a2c4e-9b1d-4e7a-8c2f-5d6e7a8b9c01" },
//     "checkpoint": "Clean install",
//     "tests": [{ "name": "smoke", "run": ["C:\\tests\\smoke.exe", "--quick"], "timeoutSeconds": 120 }],
//     "logs": ["C:\\Windows\\Temp\\pvgpu\\*.log"]
//   }

/** A string from the file and where it was written, so later steps can point at it. */
export interface DriverEntry {
  readonly value: string;
  readonly offset: number;
  readonly length: number;
}

/** How a package is built: MSBuild on a solution or project, or a command of the user's build system. */
export type DriverBuild =
  | {
      readonly kind: 'msbuild';
      readonly project: DriverEntry;
      readonly configuration: string;
      readonly platform: string;
      /** MSBuild writes a binary log (/bl) into the run folder, for the MSBuild Structured Log Viewer. */
      readonly binaryLog?: boolean;
    }
  | { readonly kind: 'command'; readonly command: readonly string[]; readonly cwd?: DriverEntry };

export interface DriverPackageConfig {
  readonly name: string;
  readonly build: DriverBuild;
  /** Where the built files are; absent with MSBuild: `<project folder>/<platform>/<configuration>`. */
  readonly outputDir?: DriverEntry;
  readonly infs: readonly DriverEntry[];
  /** The files the package ships, relative to the output folder; absent: what the INFs copy. */
  readonly files?: readonly string[];
  /** The devices it installs on; absent: every hardware id of the INFs' models. */
  readonly hardwareIds?: readonly string[];
}

export type SigningCertificate =
  | { readonly kind: 'thumbprint'; readonly thumbprint: string }
  | { readonly kind: 'subject'; readonly subject: string }
  | { readonly kind: 'pfx'; readonly pfx: DriverEntry }
  /** A test certificate made on first use and kept for the next runs. */
  | { readonly kind: 'create' };

export interface SigningConfig {
  readonly certificate: SigningCertificate;
  /** Inf2Cat's /os list. */
  readonly catalogOs: readonly string[];
  /** Absent: no timestamp (offline test machines). */
  readonly timestampUrl?: string;
  /** Stamped into each INF's DriverVer with today's date before signing (stampinf); absent: the INF's own. */
  readonly driverVersion?: string;
}

export type DeployTarget =
  /** A VM of the Virtual Machines view, by id; `host` names a remote Hyper-V host. */
  | { readonly kind: 'vm'; readonly vmId: string; readonly host?: string }
  | {
      readonly kind: 'ssh';
      readonly host: string;
      readonly port: number;
      readonly user: string;
      /** The shell the guest's sshd runs commands with: cmd (Windows' default), powershell or posix. */
      readonly shell: 'cmd' | 'powershell' | 'posix';
      /** How the guest starts PowerShell; default powershell.exe. */
      readonly powerShell: string;
      /** The guest folder for the guest module and its call files; default C:/ProgramData/GpuPv. */
      readonly folder: string;
    };

export type DriverTestRun =
  | { readonly kind: 'program'; readonly argv: readonly string[] }
  | { readonly kind: 'powershell'; readonly script: string; readonly args: readonly string[] }
  | { readonly kind: 'taef'; readonly binary: string; readonly select?: string };

export interface DriverTestConfig {
  readonly name: string;
  readonly run: DriverTestRun;
  readonly timeoutSeconds: number;
  /** A run passes when it exits with one of these and, when set, its output matches. */
  readonly exitCodes: readonly number[];
  readonly outputMatches?: string;
}

export interface DriverConfig {
  readonly packages: readonly DriverPackageConfig[];
  readonly signing?: SigningConfig;
  readonly target?: DeployTarget;
  /** The checkpoint to revert to before each run, by name or id; absent: none. */
  readonly checkpoint?: string;
  readonly tests: readonly DriverTestConfig[];
  /** Guest files to bring back besides setupapi.dev.log, the event logs and dumps (wildcards allowed). */
  readonly logs: readonly string[];
  /** A WPP/ETW trace of these providers around the tests, brought back as .etl; absent: none. */
  readonly tracing?: TracingConfig;
}

export interface TraceProvider {
  /** The control GUID, as written. */
  readonly guid: string;
  /** Hex (0xFFFF) or decimal; absent: every flag. */
  readonly flags?: string;
  /** 1 (critical) to 255; absent: 5 (verbose). */
  readonly level?: number;
}

export interface TracingConfig {
  readonly providers: readonly TraceProvider[];
  /** tracelog.exe in the package (or a guest path); absent: the one on the guest's PATH. */
  readonly tracelog?: string;
}

interface DriverProblems {
  error(message: string, at: { offset: number; length: number }): void;
  warning(message: string, at: { offset: number; length: number }): void;
}

const DEFAULT_CATALOG_OS = ['10_X64'];
const DEFAULT_TEST_TIMEOUT_SECONDS = 300;
const GUID = /^[{(]?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}[})]?$/i;
const THUMBPRINT = /^[0-9a-f]{40}$/i;
/** user@host or user@host:port, the way ssh is given a target. */
const SSH_TARGET = /^([^@\s]+)@([^:@\s]+|\[[^\]]+\])(?::(\d{1,5}))?$/;

/** The settings `driver` holds, in the order the schema lists them. */
export const DRIVER_SETTINGS: readonly string[] = ['packages', 'signing', 'target', 'checkpoint', 'tests', 'logs', 'tracing'];

export function readDriverSection(value: JsonValue, problems: DriverProblems): DriverConfig | undefined {
  if (value.kind !== 'object') {
    problems.error('"driver" must be an object: { "packages": [{ "name": "pvgpu", "project": "driver/pvgpu.sln", "infs": ["driver/pvgpu.inf"] }] }', value);
    return undefined;
  }
  let packages: DriverPackageConfig[] = [];
  let signing: SigningConfig | undefined;
  let target: DeployTarget | undefined;
  let checkpoint: string | undefined;
  let tests: DriverTestConfig[] = [];
  let logs: string[] = [];
  let tracing: TracingConfig | undefined;
  for (const { key, keySpan, value: item } of value.properties) {
    if (key === 'packages') packages = readPackages(item, problems);
    else if (key === 'signing') signing = readSigning(item, problems);
    else if (key === 'target') target = readTarget(item, problems);
    else if (key === 'checkpoint') {
      if (item.kind === 'null') checkpoint = undefined;
      else checkpoint = nonEmpty('driver.checkpoint', item, problems, 'the name or id of a checkpoint, or null for none');
    } else if (key === 'tests') tests = readTests(item, problems);
    else if (key === 'logs') logs = stringList('driver.logs', item, problems) ?? [];
    else if (key === 'tracing') tracing = readTracing(item, problems);
    else problems.warning(`"driver.${key}" is not a known setting (ignored); known: ${DRIVER_SETTINGS.join(', ')}`, keySpan);
  }
  if (!value.properties.some((p) => p.key === 'packages')) {
    problems.warning('"driver" lists no package: add "packages": [{ "name": "pvgpu", "project": "driver/pvgpu.sln", "infs": ["driver/pvgpu.inf"] }]', value);
  }
  return {
    packages,
    ...(signing ? { signing } : {}),
    ...(target ? { target } : {}),
    ...(checkpoint !== undefined ? { checkpoint } : {}),
    tests,
    logs,
    ...(tracing ? { tracing } : {}),
  };
}

const TRACE_FLAGS = /^(0x[0-9a-f]{1,16}|[0-9]{1,20})$/i;

function readTracing(value: JsonValue, problems: DriverProblems): TracingConfig | undefined {
  const example = '{ "providers": ["8d8a3a9c-5a1b-4f0e-9d2c-7e6f5a4b3c21"] }';
  if (value.kind !== 'object') {
    problems.error(`"driver.tracing" must be an object: ${example}`, value);
    return undefined;
  }
  const providers: TraceProvider[] = [];
  let tracelog: string | undefined;
  for (const { key, keySpan, value: item } of value.properties) {
    if (key === 'tracelog') tracelog = nonEmpty('driver.tracing.tracelog', item, problems, 'the path of tracelog.exe in the package or the guest');
    else if (key === 'providers') {
      if (item.kind !== 'array' || item.items.length === 0) {
        problems.error('"driver.tracing.providers" must list the control GUIDs of the WPP or ETW providers to trace', item);
        continue;
      }
      for (const entry of item.items) {
        const provider = readTraceProvider(entry, problems);
        if (provider) providers.push(provider);
      }
    } else problems.warning(`"driver.tracing.${key}" is not a known setting (ignored); known: providers, tracelog`, keySpan);
  }
  if (!value.properties.some((p) => p.key === 'providers')) {
    problems.error(`"driver.tracing" needs "providers": ${example}`, value);
    return undefined;
  }
  return providers.length ? { providers, ...(tracelog ? { tracelog } : {}) } : undefined;
}

function readTraceProvider(value: JsonValue, problems: DriverProblems): TraceProvider | undefined {
  const checkGuid = (guid: JsonValue | undefined, at: JsonValue): string | undefined => {
    if (guid?.kind === 'string' && GUID.test(guid.value.trim())) return guid.value.trim();
    problems.error('A trace provider is its control GUID, e.g. "8d8a3a9c-5a1b-4f0e-9d2c-7e6f5a4b3c21", or { "guid": …, "flags": "0xFFFF", "level": 5 }', guid ?? at);
    return undefined;
  };
  if (value.kind === 'string') {
    const guid = checkGuid(value, value);
    return guid ? { guid } : undefined;
  }
  if (value.kind !== 'object') return void checkGuid(undefined, value);
  const get = (name: string) => value.properties.find((p) => p.key === name)?.value;
  const guid = checkGuid(get('guid'), value);
  const flags = get('flags');
  const level = get('level');
  let ok = guid !== undefined;
  if (flags && !(flags.kind === 'string' && TRACE_FLAGS.test(flags.value))) {
    problems.error('"flags" of a trace provider must be a number as text, hex ("0xFFFF") or decimal', flags);
    ok = false;
  }
  if (level && !(level.kind === 'number' && Number.isInteger(level.value) && level.value >= 1 && level.value <= 255)) {
    problems.error('"level" of a trace provider must be a whole number from 1 (critical) to 255; 5 is verbose', level);
    ok = false;
  }
  for (const { key, keySpan } of value.properties) if (!['guid', 'flags', 'level'].includes(key)) problems.warning(`"${key}" is not a setting of a trace provider (ignored); known: guid, flags, level`, keySpan);
  if (!ok) return undefined;
  return { guid: guid!, ...(flags?.kind === 'string' ? { flags: flags.value } : {}), ...(level?.kind === 'number' ? { level: level.value } : {}) };
}

function readPackages(value: JsonValue, problems: DriverProblems): DriverPackageConfig[] {
  if (value.kind !== 'array') {
    problems.error('"driver.packages" must be an array of packages', value);
    return [];
  }
  const packages: DriverPackageConfig[] = [];
  for (const [index, item] of value.items.entries()) {
    const pkg = readPackage(`driver.packages[${index}]`, item, problems);
    if (!pkg) continue;
    if (packages.some((p) => p.name === pkg.name)) problems.warning(`two packages are named "${pkg.name}": give each its own name`, item);
    else packages.push(pkg);
  }
  return packages;
}

function readPackage(property: string, value: JsonValue, problems: DriverProblems): DriverPackageConfig | undefined {
  if (value.kind !== 'object') {
    problems.error(`"${property}" must be an object: { "name": "pvgpu", "project": "driver/pvgpu.sln", "infs": ["driver/pvgpu.inf"] }`, value);
    return undefined;
  }
  const known = ['name', 'project', 'configuration', 'platform', 'binaryLog', 'command', 'cwd', 'outputDir', 'infs', 'files', 'hardwareIds'];
  const get = (key: string) => value.properties.find((p) => p.key === key);
  for (const { key, keySpan } of value.properties) {
    if (!known.includes(key)) problems.warning(`"${property}.${key}" is not a known setting (ignored); known: ${known.join(', ')}`, keySpan);
  }
  let ok = true;
  const name = optionalString(`${property}.name`, get('name'), problems);
  const project = get('project');
  const command = get('command');
  let build: DriverBuild | undefined;
  if (project && command) {
    problems.error(`"${property}" gives both "project" and "command": a package is built by MSBuild or by your own command`, command.keySpan);
    ok = false;
  } else if (project) {
    const path = entry(`${property}.project`, project.value, problems);
    if (path && !/\.(sln|slnx|vcxproj)$/i.test(path.value)) {
      problems.error(`"${property}.project" must name a .sln or a .vcxproj (for another build system use "command")`, project.value);
      ok = false;
    }
    const configuration = optionalString(`${property}.configuration`, get('configuration'), problems) ?? 'Debug';
    const platform = optionalString(`${property}.platform`, get('platform'), problems) ?? 'x64';
    const binaryLog = get('binaryLog');
    if (binaryLog && binaryLog.value.kind !== 'boolean') problems.error(`"${property}.binaryLog" must be true or false`, binaryLog.value);
    const wantsLog = binaryLog?.value.kind === 'boolean' && binaryLog.value.value;
    if (path) build = { kind: 'msbuild', project: path, configuration, platform, ...(wantsLog ? { binaryLog: true } : {}) };
  } else if (command) {
    const argv = stringList(`${property}.command`, command.value, problems, 'a program and its arguments: ["make", "-C", "driver"]');
    if (argv?.length === 0) problems.error(`"${property}.command" is empty: give the program and its arguments`, command.value);
    const cwdProperty = get('cwd');
    const cwd = cwdProperty ? entry(`${property}.cwd`, cwdProperty.value, problems) : undefined;
    if (argv?.length) build = { kind: 'command', command: argv, ...(cwd ? { cwd } : {}) };
    if (!get('outputDir')) {
      problems.error(`"${property}" is built by a command, so it needs "outputDir": the folder the built files land in`, command.keySpan);
      ok = false;
    }
  } else {
    problems.error(`"${property}" needs "project" (a .sln or .vcxproj MSBuild builds) or "command" (your build system's command and "outputDir")`, value);
    ok = false;
  }
  for (const key of ['configuration', 'platform', 'binaryLog']) {
    const given = get(key);
    if (given && !project) problems.warning(`"${property}.${key}" applies to MSBuild projects only (ignored with "command")`, given.keySpan);
  }
  const outputProperty = get('outputDir');
  const outputDir = outputProperty ? entry(`${property}.outputDir`, outputProperty.value, problems) : undefined;
  const infsProperty = get('infs');
  const infs: DriverEntry[] = [];
  if (!infsProperty) {
    problems.error(`"${property}" needs "infs": the INF file(s) that install it`, value);
    ok = false;
  } else if (infsProperty.value.kind !== 'array' || infsProperty.value.items.length === 0) {
    problems.error(`"${property}.infs" must be a non-empty array of INF paths`, infsProperty.value);
    ok = false;
  } else {
    for (const item of infsProperty.value.items) {
      const inf = entry(`${property}.infs`, item, problems);
      if (!inf) ok = false;
      else if (!/\.inf$/i.test(inf.value)) problems.warning(`"${inf.value}" does not end in .inf`, item);
      if (inf) infs.push(inf);
    }
  }
  const filesProperty = get('files');
  const files = filesProperty ? stringList(`${property}.files`, filesProperty.value, problems) : undefined;
  const idsProperty = get('hardwareIds');
  const hardwareIds = idsProperty ? stringList(`${property}.hardwareIds`, idsProperty.value, problems) : undefined;
  for (const [index, id] of (hardwareIds ?? []).entries()) {
    if (/\s/.test(id)) problems.error(`hardware id "${id}" holds white space; hardware ids look like PCI\\VEN_1AF4&DEV_10F0`, (idsProperty!.value as Extract<JsonValue, { kind: 'array' }>).items[index]!);
  }
  if (!ok || !build) return undefined;
  const shownName = name ?? infs[0]!.value.replace(/^.*[\\/]/, '').replace(/\.inf$/i, '');
  return {
    name: shownName,
    build,
    ...(outputDir ? { outputDir } : {}),
    infs,
    ...(files ? { files } : {}),
    ...(hardwareIds ? { hardwareIds } : {}),
  };
}

function readSigning(value: JsonValue, problems: DriverProblems): SigningConfig | undefined {
  if (value.kind !== 'object') {
    problems.error('"driver.signing" must be an object: { "certificate": { "pfx": "certs/test.pfx" }, "catalogOs": ["10_X64"] }', value);
    return undefined;
  }
  let certificate: SigningCertificate | undefined;
  let catalogOs = DEFAULT_CATALOG_OS;
  let timestampUrl: string | undefined;
  let driverVersion: string | undefined;
  for (const { key, keySpan, value: item } of value.properties) {
    if (key === 'certificate') certificate = readCertificate(item, problems);
    else if (key === 'driverVersion') {
      const parts = item.kind === 'string' ? item.value.split('.') : [];
      if (parts.length === 4 && parts.every((part) => /^\d{1,5}$/.test(part) && Number(part) <= 65535)) driverVersion = (item as { value: string }).value;
      else problems.error('"driver.signing.driverVersion" must be four numbers from 0 to 65535, e.g. "1.2.3.4", as DriverVer takes them', item);
    }
    else if (key === 'catalogOs') {
      const list = stringList('driver.signing.catalogOs', item, problems, 'Inf2Cat /os values: ["10_X64", "Server10_X64"]');
      if (list?.length) catalogOs = list;
      else if (list) problems.error('"driver.signing.catalogOs" is empty: Inf2Cat needs at least one OS, such as "10_X64"', item);
    } else if (key === 'timestampUrl') {
      if (item.kind === 'null') timestampUrl = undefined;
      else if (item.kind === 'string' && /^https?:\/\/\S+$/i.test(item.value)) timestampUrl = item.value;
      else problems.error('"driver.signing.timestampUrl" must be an http(s) URL of a timestamp server, or null for none', item);
    } else problems.warning(`"driver.signing.${key}" is not a known setting (ignored); known: certificate, catalogOs, timestampUrl, driverVersion`, keySpan);
  }
  if (!certificate) {
    if (!value.properties.some((p) => p.key === 'certificate')) problems.error('"driver.signing" needs "certificate": { "pfx": … }, { "thumbprint": … }, { "subject": … } or "create"', value);
    return undefined;
  }
  return { certificate, catalogOs, ...(timestampUrl ? { timestampUrl } : {}), ...(driverVersion ? { driverVersion } : {}) };
}

function readCertificate(value: JsonValue, problems: DriverProblems): SigningCertificate | undefined {
  if (value.kind === 'string' && value.value === 'create') return { kind: 'create' };
  const hint = '"driver.signing.certificate" is { "pfx": "certs/test.pfx" }, { "thumbprint": "<40 hex digits>" }, { "subject": "CN=…" } or "create"';
  if (value.kind !== 'object' || value.properties.length !== 1) {
    problems.error(hint, value);
    return undefined;
  }
  const [{ key, value: item }] = value.properties as [JsonProperty];
  if (key === 'pfx') {
    const pfx = entry('driver.signing.certificate.pfx', item, problems);
    return pfx ? { kind: 'pfx', pfx } : undefined;
  }
  if (key === 'thumbprint') {
    const thumbprint = item.kind === 'string' ? item.value.replace(/[\s:]/g, '') : '';
    if (THUMBPRINT.test(thumbprint)) return { kind: 'thumbprint', thumbprint: thumbprint.toUpperCase() };
    problems.error('"driver.signing.certificate.thumbprint" must be a certificate\'s SHA-1 thumbprint: 40 hex digits', item);
    return undefined;
  }
  if (key === 'subject') {
    const subject = nonEmpty('driver.signing.certificate.subject', item, problems, 'a certificate subject such as "CN=GPU-PV Test"');
    return subject ? { kind: 'subject', subject } : undefined;
  }
  problems.error(hint, value);
  return undefined;
}

function readTarget(value: JsonValue, problems: DriverProblems): DeployTarget | undefined {
  const hint = '"driver.target" is { "vm": "<VM id>" } (a VM of the Virtual Machines view) or { "ssh": "user@host:port" }';
  if (value.kind !== 'object') {
    problems.error(hint, value);
    return undefined;
  }
  const vm = value.properties.find((p) => p.key === 'vm');
  const ssh = value.properties.find((p) => p.key === 'ssh');
  for (const { key, keySpan } of value.properties) {
    if (!['vm', 'host', 'ssh', 'shell', 'powerShell', 'folder'].includes(key)) problems.warning(`"driver.target.${key}" is not a known setting (ignored); known: vm, host, ssh, shell, powerShell, folder`, keySpan);
  }
  if (vm && ssh) {
    problems.error('"driver.target" gives both "vm" and "ssh": choose one', ssh.keySpan);
    return undefined;
  }
  if (vm) {
    if (vm.value.kind !== 'string' || !GUID.test(vm.value.value.trim())) {
      problems.error('"driver.target.vm" must be a VM id (a GUID, as "Copy VM Id" in the Virtual Machines view gives it): names change and need not be unique', vm.value);
      return undefined;
    }
    const hostProperty = value.properties.find((p) => p.key === 'host');
    const host = hostProperty ? nonEmpty('driver.target.host', hostProperty.value, problems, 'a Hyper-V host of gpupv.hyperv.hosts') : undefined;
    return { kind: 'vm', vmId: vm.value.value.trim().replace(/^[{(]|[})]$/g, '').toLowerCase(), ...(host ? { host } : {}) };
  }
  if (ssh) {
    const match = ssh.value.kind === 'string' ? SSH_TARGET.exec(ssh.value.value.trim()) : null;
    const port = match?.[3] === undefined ? 22 : Number(match[3]);
    if (!match || port < 1 || port > 65535) {
      problems.error('"driver.target.ssh" must be "user@host" or "user@host:port" (the guest\'s OpenSSH server)', ssh.value);
      return undefined;
    }
    if (value.properties.some((p) => p.key === 'host')) problems.warning('"driver.target.host" applies to VMs only (ignored with "ssh")', value.properties.find((p) => p.key === 'host')!.keySpan);
    const text = (key: string, what: string) => {
      const property = value.properties.find((p) => p.key === key);
      return property ? nonEmpty(`driver.target.${key}`, property.value, problems, what) : undefined;
    };
    const shell = text('shell', '"cmd", "powershell" or "posix"') ?? 'cmd';
    if (!['cmd', 'powershell', 'posix'].includes(shell)) problems.error('"driver.target.shell" must be "cmd" (Windows OpenSSH\'s default), "powershell" or "posix"', value.properties.find((p) => p.key === 'shell')!.value);
    return {
      kind: 'ssh',
      user: match[1]!,
      host: match[2]!.replace(/^\[|\]$/g, ''),
      port,
      shell: shell === 'powershell' || shell === 'posix' ? shell : 'cmd',
      powerShell: text('powerShell', 'how the guest starts PowerShell, e.g. "powershell.exe" or "pwsh"') ?? 'powershell.exe',
      folder: text('folder', 'a folder in the guest, e.g. "C:/ProgramData/GpuPv"') ?? 'C:/ProgramData/GpuPv',
    };
  }
  problems.error(hint, value);
  return undefined;
}

function readTests(value: JsonValue, problems: DriverProblems): DriverTestConfig[] {
  if (value.kind !== 'array') {
    problems.error('"driver.tests" must be an array of tests: { "name": "smoke", "run": ["C:\\\\tests\\\\smoke.exe"] }', value);
    return [];
  }
  const tests: DriverTestConfig[] = [];
  for (const [index, item] of value.items.entries()) {
    const test = readTest(`driver.tests[${index}]`, item, problems);
    if (!test) continue;
    if (tests.some((t) => t.name === test.name)) problems.error(`two tests are named "${test.name}": Test Explorer shows each by its name`, item);
    else tests.push(test);
  }
  return tests;
}

function readTest(property: string, value: JsonValue, problems: DriverProblems): DriverTestConfig | undefined {
  if (value.kind !== 'object') {
    problems.error(`"${property}" must be an object: { "name": "smoke", "run": ["C:\\\\tests\\\\smoke.exe", "--quick"] }`, value);
    return undefined;
  }
  const known = ['name', 'run', 'powershell', 'args', 'taef', 'select', 'timeoutSeconds', 'exitCodes', 'outputMatches'];
  for (const { key, keySpan } of value.properties) {
    if (!known.includes(key)) problems.warning(`"${property}.${key}" is not a known setting (ignored); known: ${known.join(', ')}`, keySpan);
  }
  const get = (key: string) => value.properties.find((p) => p.key === key);
  const name = nonEmpty(`${property}.name`, get('name')?.value, problems, 'the name Test Explorer shows', value);
  const kinds = ['run', 'powershell', 'taef'].filter((key) => get(key));
  if (kinds.length !== 1) {
    problems.error(`"${property}" needs exactly one of "run" (a program and its arguments), "powershell" (a script) or "taef" (a TAEF test binary)`, kinds.length ? get(kinds[1]!)!.keySpan : value);
    return undefined;
  }
  let run: DriverTestRun | undefined;
  if (kinds[0] === 'run') {
    const argv = stringList(`${property}.run`, get('run')!.value, problems, 'a program and its arguments: ["C:\\\\tests\\\\smoke.exe", "--quick"]');
    if (argv?.length) run = { kind: 'program', argv };
    else if (argv) problems.error(`"${property}.run" is empty`, get('run')!.value);
  } else if (kinds[0] === 'powershell') {
    const script = nonEmpty(`${property}.powershell`, get('powershell')!.value, problems, 'a PowerShell script to run in the guest');
    const argsProperty = get('args');
    const args = argsProperty ? (stringList(`${property}.args`, argsProperty.value, problems) ?? []) : [];
    if (script) run = { kind: 'powershell', script, args };
  } else {
    const binary = nonEmpty(`${property}.taef`, get('taef')!.value, problems, 'a TAEF test binary for te.exe');
    const selectProperty = get('select');
    const select = selectProperty ? nonEmpty(`${property}.select`, selectProperty.value, problems, 'a TAEF /select: query') : undefined;
    if (binary) run = { kind: 'taef', binary, ...(select ? { select } : {}) };
  }
  if (get('select') && kinds[0] !== 'taef') problems.warning(`"${property}.select" applies to TAEF tests only (ignored)`, get('select')!.keySpan);
  if (get('args') && kinds[0] !== 'powershell') problems.warning(`"${property}.args" applies to PowerShell tests only (put arguments in "run")`, get('args')!.keySpan);
  let timeoutSeconds = DEFAULT_TEST_TIMEOUT_SECONDS;
  const timeout = get('timeoutSeconds');
  if (timeout) {
    if (timeout.value.kind === 'number' && Number.isInteger(timeout.value.value) && timeout.value.value > 0 && timeout.value.value <= 86_400) timeoutSeconds = timeout.value.value;
    else problems.error(`"${property}.timeoutSeconds" must be a whole number of seconds from 1 to 86400`, timeout.value);
  }
  let exitCodes = [0];
  const codes = get('exitCodes');
  if (codes) {
    const list = codes.value.kind === 'array' ? codes.value.items : [];
    const numbers = list.filter((item): item is Extract<JsonValue, { kind: 'number' }> => item.kind === 'number' && Number.isInteger(item.value) && item.value >= -(2 ** 31) && item.value < 2 ** 32);
    if (codes.value.kind !== 'array' || numbers.length !== list.length || list.length === 0) problems.error(`"${property}.exitCodes" must be a non-empty array of whole numbers: the exit codes that mean it passed`, codes.value);
    else exitCodes = numbers.map((n) => n.value);
  }
  let outputMatches: string | undefined;
  const matches = get('outputMatches');
  if (matches) {
    const pattern = nonEmpty(`${property}.outputMatches`, matches.value, problems, 'a regular expression the output must match');
    if (pattern !== undefined) {
      try {
        new RegExp(pattern, 'm');
        outputMatches = pattern;
      } catch (error) {
        problems.error(`"${property}.outputMatches" is not a regular expression: ${error instanceof Error ? error.message : String(error)}`, matches.value);
      }
    }
  }
  if (!name || !run) return undefined;
  return { name, run, timeoutSeconds, exitCodes, ...(outputMatches !== undefined ? { outputMatches } : {}) };
}

function entry(property: string, value: JsonValue, problems: DriverProblems): DriverEntry | undefined {
  if (value.kind === 'string' && value.value.trim() !== '') return { value: value.value, offset: value.offset, length: value.length };
  problems.error(`"${property}" must be a path (a non-empty string)`, value);
  return undefined;
}

function optionalString(property: string, found: JsonProperty | undefined, problems: DriverProblems): string | undefined {
  return found ? nonEmpty(property, found.value, problems, 'a non-empty string') : undefined;
}

function nonEmpty(property: string, value: JsonValue | undefined, problems: DriverProblems, what: string, missingAt?: JsonValue): string | undefined {
  if (value === undefined) {
    if (missingAt) problems.error(`"${property}" is missing: ${what}`, missingAt);
    return undefined;
  }
  if (value.kind === 'string' && value.value.trim() !== '') return value.value;
  problems.error(`"${property}" must be ${what}`, value);
  return undefined;
}

function stringList(property: string, value: JsonValue, problems: DriverProblems, what = 'an array of strings'): string[] | undefined {
  if (value.kind !== 'array' || !value.items.every((item) => item.kind === 'string')) {
    problems.error(`"${property}" must be ${what}`, value);
    return undefined;
  }
  return value.items.map((item) => (item).value);
}
