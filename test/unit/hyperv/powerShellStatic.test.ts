import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { POWERSHELL_DIRECT_SCRIPT } from '../../../extension/hyperv/powerShellDirectScript';
import { buildModuleCall, buildModuleImport, ENCODED_PARAMS, MODULE_FUNCTIONS, type ModuleFunctions } from '../../../extension/hyperv/moduleCommand';
import { repoRoot } from '../../harness/paths';
import { HOSTILE_NAMES } from '../../fixtures/hostileNames';
import { parsePowerShell } from './powerShellParser';

const modulePath = path.join(repoRoot, 'extension', 'hyperv', 'GpuPv.psm1');
const platformModulePath = path.join(repoRoot, 'extension', 'hyperv', 'GpuPvPlatform', 'GpuPvPlatform.psm1');
const moduleSource = readFileSync(modulePath, 'utf8');

describe('PowerShell we ship and send, judged by PowerShell\'s own parser', function () {
  // One real PowerShell process parses every text of a test at once.
  this.timeout(60_000);

  it('the module exports exactly the functions the extension calls', () => {
    const exported = /Export-ModuleMember -Function @\(([^)]*)\)/.exec(moduleSource)?.[1] ?? '';
    const names = [...exported.matchAll(/'([\w-]+)'/g)].map(([, name]) => name);
    assert.deepEqual([...names].sort(), [...MODULE_FUNCTIONS].sort());
  });

  it('the module never turns text into code', () => {
    const code = moduleSource.replace(/^\s*#.*$/gm, '');
    for (const forbidden of [/Invoke-Expression/i, /\biex\b/i, /\[scriptblock\]::Create/i, /\bAdd-Type\b/i, /-EncodedCommand/i]) {
      assert.doesNotMatch(code, forbidden);
    }
  });

  it('the module import parses clean and is one line, whatever the extension folder is called', () => {
    const commands = HOSTILE_NAMES.map((name) => buildModuleImport(`C:\\Users\\${name}\\.vscode\\extensions\\gpupv\\dist\\GpuPv.psm1`));
    parsePowerShell(commands).forEach((parsed, i) => {
      assert.deepEqual(parsed.errors, [], commands[i]);
      assert.deepEqual(parsed.commands.map((c) => c.name), ['Import-Module'], commands[i]);
      assert.doesNotMatch(commands[i]!, /\n/);
    });
  });

  describe('every call, with hostile VM, checkpoint and host names', () => {
    for (const [fn, paramsFor] of sampleCalls()) {
      it(`${fn}: one command, one -EncodedParams, one verbatim string carrying the values as data`, () => {
        const samples = HOSTILE_NAMES.map((name) => ({ name, params: paramsFor(name), command: buildModuleCall(fn, paramsFor(name) as never) }));
        parsePowerShell(samples.map((s) => s.command)).forEach((parsed, i) => {
          const { name, params, command } = samples[i]!;
          assert.deepEqual(parsed.errors, [], command);
          assert.equal(parsed.commands.length, 1, `${command} holds ${parsed.commands.length} commands`);
          const [call] = parsed.commands;
          assert.equal(call!.name, fn);
          assert.deepEqual(call!.parameters, [ENCODED_PARAMS.slice(1)]);
          assert.equal(call!.strings.length, 1);
          const decoded = JSON.parse(Buffer.from(call!.strings[0]!, 'base64').toString('utf8')) as unknown;
          assert.deepEqual(decoded, params, 'the values must arrive exactly as sent');
          assert.equal(command.includes(name) && name.length > 3, false, 'a user value appears in the command text');
        });
      });
    }
  });

  it('the PowerShell Direct terminal script parses clean and holds no user value', () => {
    const [parsed] = parsePowerShell([POWERSHELL_DIRECT_SCRIPT]);
    assert.deepEqual(parsed!.errors, []);
    assert.ok(parsed!.commands.some((c) => c.name === 'Enter-PSSession' && c.parameters.join(',') === 'VMId,Credential'));
    assert.match(POWERSHELL_DIRECT_SCRIPT, /Enter-PSSession -VMId \$gpupvVmId -Credential \$gpupvCredential/);
  });

  it('the GPU-P snippets parse clean once their placeholders are filled in', () => {
    const snippets = JSON.parse(readFileSync(path.join(repoRoot, 'snippets', 'gpup-powershell.code-snippets'), 'utf8')) as Record<string, { body: string[] }>;
    const texts = Object.values(snippets).map((snippet) =>
      snippet.body
        .join('\n')
        .replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, '$1') // choice: its first option
        .replace(/\$\{\d+:([^}]*)\}/g, '$1') // placeholder: its default
        .replace(/\$\d+/g, '') // tab stops
        .replace(/\\\\/g, '\\')
        .replace(/\\\$/g, '$'),
    );
    const names = Object.keys(snippets);
    parsePowerShell(texts).forEach((parsed, i) => assert.deepEqual(parsed.errors, [], `${names[i]}:\n${texts[i]}`));
  });

  it('the modules we ship and the demo workspace’s PowerShell parse clean', () => {
    const files = [modulePath, platformModulePath, path.join(repoRoot, 'demo', 'gpup.ps1')];
    parsePowerShell(files.map((file) => readFileSync(file, 'utf8'))).forEach((parsed, i) => assert.deepEqual(parsed.errors, [], files[i]));
  });

  it('the judge is not blind: it reports broken scripts', () => {
    const [unterminated, unclosed] = parsePowerShell(["Get-VM -Name 'unterminated", 'function F {\n  param($a\n}']);
    assert.notDeepEqual(unterminated!.errors, []);
    assert.notDeepEqual(unclosed!.errors, []);
  });
});

type CallSample = readonly [keyof ModuleFunctions, (name: string) => object];

/** One call of every module function, with every string parameter set to the hostile name. */
function sampleCalls(): CallSample[] {
  const vm = (name: string) => ({ computerName: name, vmId: '3f2b8a4e-1c7d-4e0a-9b6f-2d5c8e1a7b90', vmName: name });
  const credential = (name: string) => ({ credentialUser: name, credentialPasswordB64: Buffer.from(name).toString('base64') });
  return [
    ['Get-GpuPvInventory', (name) => ({ computerName: name })],
    ['Invoke-GpuPvVmAction', (name) => ({ ...vm(name), action: 'start' })],
    ['Set-GpuPvPartition', (name) => ({ ...vm(name), adapterId: name, values: { minVram: 500000000, maxEncode: '9223372036854775807' } })],
    ['Add-GpuPvPartition', (name) => ({ ...vm(name), instancePath: name })],
    ['Remove-GpuPvPartition', (name) => ({ ...vm(name), adapterId: name })],
    ['Set-GpuPvVmForGpuP', (name) => ({ ...vm(name), dryRun: true, lowMmio: '3GB', highMmio: 34359738368, automaticStopAction: 'TurnOff', staticMemory: true })],
    ['Get-GpuPvNewVmOptions', (name) => ({ isoPath: `D:\\ISO\\${name}.iso` })],
    [
      'New-GpuPvVm',
      (name) => ({
        name,
        isoPath: `D:\\ISO\\${name}.iso`,
        imageIndex: 6,
        diskBytes: '137438953472',
        vhdPath: `D:\\VMs\\${name}.vhdx`,
        memoryBytes: 8589934592,
        cpuCount: 4,
        gpuInstancePath: name,
        partition: { minVram: 250000000, maxEncode: '4611686018427387903' },
        switchName: name,
        answerFile: { userName: name, computerName: 'WIN11-GPUP', passwordB64: Buffer.from(name).toString('base64') },
        progressFile: `C:\\Temp\\${name}\\p.json`,
        cancelFile: `C:\\Temp\\${name}\\cancel`,
      }),
    ],
    ['Invoke-GpuPvCheckpoint', (name) => ({ ...vm(name), action: 'create', name, checkpointId: name })],
    ['Enable-GpuPvGuestServices', (name) => vm(name)],
    ['Sync-GpuPvHostDriver', (name) => ({ ...vm(name), ...credential(name), mode: 'auto', progressFile: `C:\\Temp\\${name}\\p.json`, cancelFile: `C:\\Temp\\${name}\\cancel` })],
    ['Get-GpuPvGuestDriverInfo', (name) => ({ ...vm(name), ...credential(name) })],
  ];
}
