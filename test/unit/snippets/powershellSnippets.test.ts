import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { missingPowerShell, powerShellExecutable, STAND_IN_MODULES } from '../../harness/powerShellTools';
import { expanded, snippetFilesFor } from './snippetFiles';

// The PowerShell snippets, each placeholder at its default, read by the real PowerShell
// parser. Every command they call must be one PowerShell knows here: its own, or a Hyper-V,
// or Storage one of the stand-in modules shaped after Windows'. PowerShell's own are also
// checked to take the parameters the snippet passes; the stand-ins implement only the
// parameter sets the product itself calls (-VM objects), so theirs are not.

// Windows' own, which PowerShell on Linux lacks and no stand-in module exports: DISM's driver
// list and CIM.
const WINDOWS_ONLY = new Set(['Get-WindowsDriver', 'Get-CimInstance']);

const CHECK = String.raw`
$ErrorActionPreference = 'Stop'
$snippets = [Console]::In.ReadToEnd() | ConvertFrom-Json
$results = foreach ($snippet in $snippets) {
    $tokens = $null
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseInput($snippet.text, [ref]$tokens, [ref]$errors)
    $problems = [System.Collections.Generic.List[string]]::new()
    $unknown = [System.Collections.Generic.List[string]]::new()
    foreach ($e in $errors) { $problems.Add(('line {0}: {1}' -f $e.Extent.StartLineNumber, $e.Message)) }
    $commands = $ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.CommandAst] }, $true)
    foreach ($command in $commands) {
        $name = $command.GetCommandName()
        if (-not $name) { continue }
        $info = Get-Command -Name $name -ErrorAction SilentlyContinue | Select-Object -First 1
        if (-not $info) { $unknown.Add($name); continue }
        if ([string]$info.ModuleName -notlike 'Microsoft.PowerShell.*') { continue }
        foreach ($element in $command.CommandElements) {
            if ($element -isnot [System.Management.Automation.Language.CommandParameterAst]) { continue }
            $given = $element.ParameterName
            $known = @($info.Parameters.Values | Where-Object { $_.Name -eq $given -or $_.Aliases -contains $given })
            if ($known.Count -eq 0) { $problems.Add(('line {0}: {1} has no parameter -{2}' -f $element.Extent.StartLineNumber, $info.Name, $given)) }
        }
    }
    [pscustomobject]@{ prefix = $snippet.prefix; problems = @($problems); unknown = @($unknown) }
}
ConvertTo-Json -InputObject @($results) -Depth 4
`;

interface Judgement {
  readonly prefix: string;
  readonly problems: readonly string[];
  readonly unknown: readonly string[];
}

function judge(snippets: readonly { prefix: string; text: string }[]): Judgement[] {
  const run = spawnSync(powerShellExecutable(), ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', CHECK], {
    input: JSON.stringify(snippets),
    encoding: 'utf8',
    env: { ...process.env, PSModulePath: STAND_IN_MODULES },
    timeout: 120_000,
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Judgement[];
}

describe('PowerShell snippets parse and call commands with parameters they have (real PowerShell)', () => {
  before(function () {
    const missing = missingPowerShell();
    if (missing) throw new Error(missing);
  });

  const snippets = snippetFilesFor('powershell').flatMap((f) => f.snippets);

  it('every snippet parses, and each command it calls has the parameters it passes', function () {
    this.timeout(120_000);
    assert.ok(snippets.length >= 6);
    const results = judge(snippets.map((s) => ({ prefix: s.prefix, text: expanded(s) })));
    assert.deepEqual(results.map((r) => r.prefix), snippets.map((s) => s.prefix));
    assert.deepEqual(results.filter((r) => r.problems.length > 0), []);
    for (const r of results) for (const name of r.unknown) assert.ok(WINDOWS_ONLY.has(name), `${r.prefix} calls ${name}, which PowerShell here does not know`);
  });

  it('a syntax error and a parameter a cmdlet lacks are both caught, so a pass means something', function () {
    this.timeout(120_000);
    const [broken, misspelt] = judge([
      { prefix: 'broken', text: "if ($x { 'no closing parenthesis' }" },
      { prefix: 'misspelt', text: "Copy-Item -LiteralPath 'a' -Destinaton 'b'" },
    ]);
    assert.match(broken!.problems.join('\n'), /line 1: Missing closing '\)'/);
    assert.deepEqual(misspelt!.problems, ['line 1: Copy-Item has no parameter -Destinaton']);
  });
});
