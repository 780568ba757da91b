// Installs what `npm test`, `npm run demo` and `npm run package` need and is not there yet;
// reuses whatever is. Plain Node with no dependencies, because it runs before `npm ci`.
//
//   node test/harness/setup.mjs test     npm packages, code-server, chromium (+ what code-server builds with), gcc, clang, tshark,
//                                        PowerShell 7 and Pester
//   node test/harness/setup.mjs demo     npm packages, code-server, PowerShell 7
//   node test/harness/setup.mjs bench    npm packages, gcc, clang and tshark (the references the benchmarks compare with),
//                                        PowerShell 7
//   node test/harness/setup.mjs package  npm packages
//
// "There" means: the Debian packages are installed, and each node_modules folder was
// installed from exactly the lockfile beside it (a hash stamp inside node_modules).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const vscodeHost = join(root, 'test', 'vscode-host');
// PowerShell runs the Hyper-V module for real; the folder and versions are also known to
// test/harness/powerShellTools.ts.
const powerShellHome = join(root, 'test', 'powershell');
const POWERSHELL_VERSION = '7.6.9';
const PESTER_VERSION = '5.7.1';
const mode = process.argv[2] ?? 'test';

// code-server 4.100.3 builds native modules (node-pty, kerberos, argon2) at install time,
// and its ripgrep package would download a binary, which we replace with Debian's.
const CODE_SERVER_BUILD_PACKAGES = ['ripgrep', 'libkrb5-dev', 'python3', 'make', 'g++'];
// The compilers judge the protocol engine's layouts; linux-libc-dev has virtio_gpu.h;
// tshark must read the captures we write (and is what `gpupv decode` is measured against).
const LAYOUT_JUDGES = ['gcc', 'clang', 'linux-libc-dev'];
const CAPTURE_READERS = ['tshark'];
// Deploy and Test on real tools: mingw-w64 builds the sample driver package (a kernel-mode .sys
// and a user-mode DLL), osslsigncode signs it with an OpenSSL-made test certificate, and a real
// sshd on 127.0.0.1 is the SSH target.
const DRIVER_TOOLS = ['gcc-mingw-w64-x86-64', 'osslsigncode', 'openssl', 'openssh-server'];
/** @type {Record<string, { apt: string[]; codeServer: boolean; powerShell: boolean; pester: boolean } | undefined>} */
const NEEDS = {
  test: { apt: [...CODE_SERVER_BUILD_PACKAGES, 'chromium', ...LAYOUT_JUDGES, ...CAPTURE_READERS, ...DRIVER_TOOLS], codeServer: true, powerShell: true, pester: true },
  // The viewer's benchmarks run in the real VS Code and browser, as the UI tests do.
  bench: { apt: [...CODE_SERVER_BUILD_PACKAGES, 'chromium', ...LAYOUT_JUDGES, ...CAPTURE_READERS, ...DRIVER_TOOLS], codeServer: true, powerShell: true, pester: false },
  demo: { apt: [...CODE_SERVER_BUILD_PACKAGES, ...DRIVER_TOOLS], codeServer: true, powerShell: true, pester: false },
  package: { apt: ['unzip'], codeServer: false, powerShell: false, pester: false },
};

function main() {
  const needs = NEEDS[mode];
  if (!needs) fail(`unknown mode "${mode}": use test, demo or package`);
  const started = performance.now();
  const installed = [
    ...ensureDebianPackages(needs.apt),
    ...ensureNodeModules('npm packages', root, {}),
    ...(needs.codeServer ? ensureCodeServer() : []),
    ...(needs.powerShell ? ensurePowerShell() : []),
    ...(needs.pester ? ensurePester() : []),
  ];
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  console.log(
    installed.length
      ? `setup: installed ${installed.join(', ')} in ${seconds} s`
      : `setup: everything present, nothing installed (${seconds} s)`,
  );
}

/** @param {string[]} packages @returns {string[]} what was installed */
function ensureDebianPackages(packages) {
  if (packages.length === 0) return [];
  const query = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev}\\n', ...packages], { encoding: 'utf8' });
  if (query.error) {
    fail(`cannot check Debian packages (${query.error.message}): this set-up expects Debian or Ubuntu with apt.`);
  }
  const present = new Set(
    query.stdout
      .split('\n')
      .filter((line) => / ii\s*$/.test(line))
      .map((line) => line.split(' ')[0]),
  );
  const missing = packages.filter((name) => !present.has(name));
  if (missing.length === 0) return [];
  if (process.getuid?.() !== 0) {
    fail(`missing Debian packages: ${missing.join(' ')}\nInstall them as root: apt-get install -y ${missing.join(' ')}`);
  }
  console.log(`setup: installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (missing.includes('tshark')) {
    // Answer wireshark-common's question (let non-root users capture?) before apt asks it.
    run('debconf-set-selections', [], { input: 'wireshark-common wireshark-common/install-setuid boolean false\n', stdio: ['pipe', 'inherit', 'inherit'] });
  }
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', ...missing], { env });
  return missing.map((name) => `apt:${name}`);
}

/**
 * `npm ci` in `dir` unless its node_modules was installed from this very lockfile.
 * @param {string} label @param {string} dir @param {NodeJS.ProcessEnv} extraEnv
 */
function ensureNodeModules(label, dir, extraEnv) {
  const lockfile = join(dir, 'package-lock.json');
  const stamp = join(dir, 'node_modules', '.gpupv-setup-stamp');
  // The lockfile names every dependency (the root package's own list included), so it alone
  // decides; editing package.json's contributions must not cost a reinstall.
  const wanted = createHash('sha256').update(readFileSync(lockfile)).update(process.version).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return [];
  console.log(`setup: installing ${label} (npm ci in ${dir === root ? '.' : dir.slice(root.length + 1)})`);
  run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, env: { ...process.env, ...extraEnv } });
  writeFileSync(stamp, wanted);
  return [label];
}

function ensureCodeServer() {
  // @vscode/ripgrep's postinstall looks for its release archive in $TMPDIR before it
  // downloads; put Debian's rg there under the exact name it wants.
  const cacheRoot = mkdtempSync(join(tmpdir(), 'gpupv-setup-'));
  try {
    const rg = spawnSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).stdout.trim();
    if (!rg) fail('ripgrep (rg) is not on PATH after installing Debian package "ripgrep"');
    const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
    const cache = join(cacheRoot, 'vscode-ripgrep-cache-1.15.11');
    const staging = join(cacheRoot, 'staging');
    mkdirSync(cache, { recursive: true });
    mkdirSync(staging);
    copyFileSync(rg, join(staging, 'rg'));
    run('tar', ['czf', join(cache, `ripgrep-v13.0.0-10-${arch}-unknown-linux-musl.tar.gz`), '-C', staging, 'rg']);
    const installed = ensureNodeModules('code-server 4.100.3', vscodeHost, {
      TMPDIR: cacheRoot,
      // As root, npm would otherwise drop privileges for code-server's own postinstall.
      npm_config_unsafe_perm: 'true',
      // node-pty's postinstall calls `npx node-gyp`, which must not stop to ask.
      npm_config_yes: 'true',
    });
    if (!existsSync(join(vscodeHost, 'node_modules', '.bin', 'code-server'))) {
      fail('code-server installed but its launcher is missing: delete test/vscode-host/node_modules and run again');
    }
    return installed;
  } finally {
    rmSync(cacheRoot, { recursive: true, force: true });
  }
}

/**
 * PowerShell 7 as a .NET tool in test/powershell/tools, unless it is there already. Without
 * the .NET SDK a PowerShell 7 on PATH serves (Windows, or one the user installed).
 */
function ensurePowerShell() {
  const local = join(powerShellHome, 'tools', process.platform === 'win32' ? 'pwsh.exe' : 'pwsh');
  if (powerShellVersion(local) === POWERSHELL_VERSION) return [];
  if (hasCommand('dotnet')) {
    console.log(`setup: installing PowerShell ${POWERSHELL_VERSION} (dotnet tool install into test/powershell/tools)`);
    rmSync(join(powerShellHome, 'tools'), { recursive: true, force: true });
    run('dotnet', ['tool', 'install', 'PowerShell', '--version', POWERSHELL_VERSION, '--tool-path', join(powerShellHome, 'tools')], {
      env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' },
    });
    if (powerShellVersion(local) !== POWERSHELL_VERSION) fail(`PowerShell ${POWERSHELL_VERSION} was installed into test/powershell/tools but does not start`);
    return [`PowerShell ${POWERSHELL_VERSION}`];
  }
  const onPath = powerShellVersion('pwsh');
  if (onPath?.startsWith('7.')) {
    console.log(`setup: no .NET SDK; using PowerShell ${onPath} from PATH`);
    return [];
  }
  fail(`PowerShell 7 is needed to run the Hyper-V module: install the .NET SDK (dotnet), and setup installs PowerShell ${POWERSHELL_VERSION} itself, or install PowerShell 7 (pwsh) on PATH`);
}

/** Pester from NuGet, restored into test/powershell/packages by a restore-only project. */
function ensurePester() {
  const manifest = join(powerShellHome, 'packages', 'pester', PESTER_VERSION, 'tools', 'Pester.psd1');
  if (existsSync(manifest)) return [];
  if (!hasCommand('dotnet')) {
    fail(`Pester ${PESTER_VERSION} is needed for the PowerShell tests: install the .NET SDK (dotnet), and setup restores it from NuGet`);
  }
  console.log(`setup: installing Pester ${PESTER_VERSION} (dotnet restore test/powershell/Pester.csproj)`);
  run('dotnet', ['restore', join(powerShellHome, 'Pester.csproj'), '--packages', join(powerShellHome, 'packages')], {
    env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' },
  });
  if (!existsSync(manifest)) fail(`dotnet restore finished but ${manifest} is missing`);
  return [`Pester ${PESTER_VERSION}`];
}

/** @param {string} executable @returns {string | undefined} "7.6.9", or undefined when it does not run */
function powerShellVersion(executable) {
  const probe = spawnSync(executable, ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', '$PSVersionTable.PSVersion.ToString()'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

/** @param {string} command */
function hasCommand(command) {
  return !spawnSync(command, ['--version'], { stdio: 'ignore' }).error;
}

/** @param {string} command @param {string[]} args @param {import('node:child_process').SpawnSyncOptions} [options] */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) fail(`${command} could not start: ${result.error.message}`);
  if (result.status !== 0) fail(`${command} ${args.join(' ')} failed with exit code ${result.status}`);
}

/** @param {string} message @returns {never} */
function fail(message) {
  console.error(`setup: ${message}`);
  process.exit(1);
}

main();
