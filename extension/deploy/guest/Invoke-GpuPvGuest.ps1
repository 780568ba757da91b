# Invoke-GpuPvGuest.ps1 - runs one function of GpuPvGuest.psm1 (beside this file) for a host that
# reaches the guest over SSH:
#   powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -File Invoke-GpuPvGuest.ps1 -Call <name> -ParamsPath <file.json>
# The parameters come in a JSON file, so nothing the user typed is on the command line. Stdout
# carries the call's live lines ('GPUPV-LIVE {...}') as they come, then exactly one result
# document between the lines GPUPV-RESULT-BEGIN and GPUPV-RESULT-END, whatever went wrong
# (a banner or a stray line from the shell stays outside the markers). The exit code is 0
# whenever that document was written; the document says whether the call succeeded.
param(
    [Parameter(Mandatory = $true)][string]$Call,
    [Parameter(Mandatory = $true)][string]$ParamsPath
)
Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$result = $null
try {
    Import-Module -Name (Join-Path $PSScriptRoot 'GpuPvGuest.psm1') -Force -DisableNameChecking
    $json = [System.IO.File]::ReadAllText($ParamsPath, [System.Text.Encoding]::UTF8)
    Invoke-GpuPvGuestCall -Name $Call -ParamsJson $json | ForEach-Object {
        if ($_.StartsWith('GPUPV-LIVE ')) {
            [Console]::Out.WriteLine($_)
            [Console]::Out.Flush()
        } else {
            $result = $_
        }
    }
} catch {
    $failure = [ordered]@{
        ok    = $false
        error = [ordered]@{ code = 'Failed'; message = ('The guest runner could not run ' + $Call + ': ' + $_.Exception.Message); action = 'Check that the guest folder holds both Invoke-GpuPvGuest.ps1 and GpuPvGuest.psm1 and that the parameters file exists.' }
    }
    $escape = [System.Text.RegularExpressions.MatchEvaluator] { param($m) '\u{0:x4}' -f [int][char]$m.Value }
    $result = [regex]::Replace((ConvertTo-Json -InputObject $failure -Depth 4 -Compress), '[^\x00-\x7F]', $escape)
}
[Console]::Out.WriteLine('GPUPV-RESULT-BEGIN')
[Console]::Out.WriteLine($result)
[Console]::Out.WriteLine('GPUPV-RESULT-END')
[Console]::Out.Flush()
exit 0
