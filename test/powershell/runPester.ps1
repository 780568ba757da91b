# Runs every *.Tests.ps1 beside this file with Pester and writes the counts the test harness
# adds to its `N passed, N failed` line: { passed, failed, failures: [names] } as JSON.
param(
    [Parameter(Mandatory = $true)][string]$PesterManifest,
    [Parameter(Mandatory = $true)][string]$ResultFile,
    # A Pester filter on the full test name, for running a few tests while developing.
    [string]$FullName = ''
)
$ErrorActionPreference = 'Stop'
Import-Module -Name (Resolve-Path -LiteralPath $PesterManifest).Path -Force

$config = New-PesterConfiguration
$config.Run.Path = $PSScriptRoot
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.Output.CIFormat = 'None'
if ($FullName) { $config.Filter.FullName = $FullName }
$run = Invoke-Pester -Configuration $config

$failures = @($run.Failed | ForEach-Object {
        $why = 'failed'
        if ($_.ErrorRecord.Count -gt 0) { $why = [string]$_.ErrorRecord[0].Exception.Message }
        elseif ($_.Block.ErrorRecord.Count -gt 0) { $why = 'its setup failed: ' + [string]$_.Block.ErrorRecord[0].Exception.Message }
        'powershell: ' + $_.ExpandedPath + ': ' + $why
    })
# A file that fails before its tests run (a syntax error, a BeforeAll that throws) counts once.
$broken = @($run.Containers | Where-Object { $_.Result -eq 'Failed' -and $_.FailedCount -eq 0 } | ForEach-Object { 'powershell: ' + [string]$_.Item + ': ' + [string]$_.ErrorRecord[0].Exception.Message })
$summary = [ordered]@{
    passed   = $run.PassedCount
    failed   = $run.FailedCount + $broken.Count
    failures = @($failures + $broken)
}
[System.IO.File]::WriteAllText($ResultFile, (ConvertTo-Json -InputObject $summary -Depth 4))
