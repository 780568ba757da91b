import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { POWERSHELL_DIRECT_SCRIPT } from '../../../extension/hyperv/powerShellDirectScript';
import { buildModuleCall, buildModuleImport, ENCODED_PARAMS, MODULE_FUNCTIONS, type ModuleFunctions } from '../../../extension/hyperv/moduleCommand';
import { repoRoot } from '../../harness/paths';
import { HOSTILE_NAMES } from '../../fixtures/hostileNames';
import { descendantsOfType, parsePowerShell, powerShellSyntaxErrors } from './powerShellSyntax';

const modulePath = path.join(repoRoot, 'extension', 'hyperv', 'GpuPv.psm1');
const moduleSource = readFileSync(modulePath, 'utf8');

describe('PowerShell we ship and send, parsed by tree-sitter-powershell', () => {
  it('GpuPv.psm1 parses clean', async () => {
    assert.deepEqual(await powerShellSyntaxErrors(moduleSource), []);
  });

  it('the module exports exactly the functions the extension calls, each taking only -EncodedParams', async () => {
    const exported = /Export-ModuleMember -Function @\(([^)]*)\)/.exec(moduleSource)?.[1] ?? '';
    const names = [...exported.matchAll(/'([\w-]+)'/g)].map(([, name]) => name);
    assert.deepEqual([...names].sort(), [...MODULE_FUNCTIONS].sort());
    const tree = await parsePowerShell(moduleSource);
    const definitions = descendantsOfType(tree.rootNode, 'function_statement');
    for (const name of MODULE_FUNCTIONS) {
      const definition = definitions.find((d) => d.childForFieldName('function_name')?.text === name || d.text.startsWith(`function ${name} `));
      assert.ok(definition, `${name} is not defined`);
      const params = /param\(([^)]*)\)/.exec(definition.text)?.[1];
      assert.equal(params, `[string]$${ENCODED_PARAMS.slice(1)} = ''`, `${name} takes ${params}`);
    }
    tree.delete();
  });

  it('the module never turns text into code', () => {
    const code = moduleSource.replace(/^\s*#.*$/gm, '');
    for (const forbidden of [/Invoke-Expression/i, /\biex\b/i, /\[scriptblock\]::Create/i, /\bAdd-Type\b/i, /-EncodedCommand/i]) {
      assert.doesNotMatch(code, forbidden);
    }
  });

  it('the module import parses clean, whatever the extension folder is called', async () => {
    for (const name of HOSTILE_NAMES) {
      const command = buildModuleImport(`C:\\Users\\${name}\\.vscode\\extensions\\gpupv\\dist\\GpuPv.psm1`);
      assert.deepEqual(await powerShellSyntaxErrors(command), [], command);
      assert.doesNotMatch(command, /\n/);
    }
  });

  describe('every call, with hostile VM, checkpoint and host names', () => {
    const calls = sampleCalls();
    for (const [fn, paramsFor] of calls) {
      it(`${fn}: one command, one -EncodedParams, one verbatim string carrying the values as data`, async () => {
        for (const name of HOSTILE_NAMES) {
          const params = paramsFor(name);
          const command = buildModuleCall(fn, params as never);
          assert.deepEqual(await powerShellSyntaxErrors(command), [], command);
          const tree = await parsePowerShell(command);
          const commands = descendantsOfType(tree.rootNode, 'command');
          assert.equal(commands.length, 1, `${command} holds ${commands.length} commands`);
          assert.equal(descendantsOfType(tree.rootNode, 'command_name')[0]?.text, fn);
          assert.deepEqual(descendantsOfType(tree.rootNode, 'command_parameter').map((n) => n.text), [ENCODED_PARAMS]);
          const literals = descendantsOfType(tree.rootNode, 'verbatim_string_characters');
          assert.equal(literals.length, 1);
          const decoded = JSON.parse(Buffer.from(literals[0]!.text.slice(1, -1), 'base64').toString('utf8')) as unknown;
          assert.deepEqual(decoded, params, 'the values must arrive exactly as sent');
          assert.equal(command.includes(name) && name.length > 3, false, 'a user value appears in the command text');
          tree.delete();
        }
      });
    }
  });

  it('the PowerShell Direct terminal script parses clean and holds no user value', async () => {
    assert.deepEqual(await powerShellSyntaxErrors(POWERSHELL_DIRECT_SCRIPT), []);
    assert.match(POWERSHELL_DIRECT_SCRIPT, /Enter-PSSession -VMId \$gpupvVmId -Credential \$gpupvCredential/);
  });

  it('the GPU-P snippets parse clean once their placeholders are filled in', async () => {
    const snippets = JSON.parse(readFileSync(path.join(repoRoot, 'snippets', 'gpup-powershell.code-snippets'), 'utf8')) as Record<string, { body: string[] }>;
    for (const [name, snippet] of Object.entries(snippets)) {
      const text = snippet.body
        .join('\n')
        .replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, '$1') // choice: its first option
        .replace(/\$\{\d+:([^}]*)\}/g, '$1') // placeholder: its default
        .replace(/\$\d+/g, '') // tab stops
        .replace(/\\\\/g, '\\')
        .replace(/\\\$/g, '$');
      assert.deepEqual(await powerShellSyntaxErrors(text), [], `${name}:\n${text}`);
    }
  });

  it('the demo workspace’s PowerShell parses clean', async () => {
    assert.deepEqual(await powerShellSyntaxErrors(readFileSync(path.join(repoRoot, 'demo', 'gpup.ps1'), 'utf8')), []);
  });

  it('the judge is not blind: it reports a broken script', async () => {
    assert.notDeepEqual(await powerShellSyntaxErrors("Get-VM -Name 'unterminated"), []);
    assert.notDeepEqual(await powerShellSyntaxErrors('function F {\n  param($a\n}'), []);
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
    ['Invoke-GpuPvCheckpoint', (name) => ({ ...vm(name), action: 'create', name, checkpointId: name })],
    ['Enable-GpuPvGuestServices', (name) => vm(name)],
    ['Sync-GpuPvHostDriver', (name) => ({ ...vm(name), ...credential(name), mode: 'auto', progressFile: `C:\\Temp\\${name}\\p.json`, cancelFile: `C:\\Temp\\${name}\\cancel` })],
    ['Get-GpuPvGuestDriverInfo', (name) => ({ ...vm(name), ...credential(name) })],
  ];
}
