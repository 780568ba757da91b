# Invoke-GpuPvGuest.ps1 - the guest end of an SSH connection: it serves the functions of
# GpuPvGuest.psm1 (beside this file), one request after another, for as long as the host keeps
# the channel open:
#   powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -File Invoke-GpuPvGuest.ps1
# One PowerShell serves a whole run: starting one and importing the module takes a second or
# more, which a run of a dozen calls would otherwise pay a dozen times.
#
# A request is one line on stdin: the function's name, one space, its parameters as one line of
# JSON. The host writes every non-ASCII character as \uXXXX, because the console's code page,
# not UTF-8, decides how Windows PowerShell reads stdin. Nothing the user typed is ever on the
# command line or in code.
# For each request stdout carries the call's live lines ('GPUPV-LIVE {...}') as they come, then
# exactly one result document between the lines GPUPV-RESULT-BEGIN and GPUPV-RESULT-END,
# whatever went wrong (a banner or a stray line from the shell stays outside the markers).
# The end of stdin ends the runner with exit code 0; the host stops it (TERM, KILL, closing the
# channel) to cancel a call, and starts a new one for the next.
Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

function Write-GpuPvRunnerLine {
    param([string]$Line)
    [Console]::Out.WriteLine($Line)
    [Console]::Out.Flush()
}

function New-GpuPvRunnerFailure {
    # A result document for a request the module never got to answer.
    param([string]$Message, [string]$Action)
    $failure = [ordered]@{ ok = $false; error = [ordered]@{ code = 'Failed'; message = $Message; action = $Action } }
    $escape = [System.Text.RegularExpressions.MatchEvaluator] { param($m) '\u{0:x4}' -f [int][char]$m.Value }
    return [regex]::Replace((ConvertTo-Json -InputObject $failure -Depth 4 -Compress), '[^\x00-\x7F]', $escape)
}

$loadFailure = $null
try {
    Import-Module -Name (Join-Path $PSScriptRoot 'GpuPvGuest.psm1') -Force -DisableNameChecking
} catch {
    $loadFailure = $_.Exception.Message
}

$stdin = [Console]::In
while ($true) {
    $request = $stdin.ReadLine()
    if ($null -eq $request) { break }
    if ($request.Trim().Length -eq 0) { continue }
    $space = $request.IndexOf(' ')
    $call = $request
    $json = '{}'
    if ($space -ge 0) {
        $call = $request.Substring(0, $space)
        $json = $request.Substring($space + 1)
    }
    $result = $null
    if ($null -ne $loadFailure) {
        $result = New-GpuPvRunnerFailure -Message ('The guest runner could not load GpuPvGuest.psm1 for ' + $call + ': ' + $loadFailure) -Action 'Check that the guest folder holds both Invoke-GpuPvGuest.ps1 and GpuPvGuest.psm1.'
    } else {
        try {
            Invoke-GpuPvGuestCall -Name $call -ParamsJson $json | ForEach-Object {
                if ($_.StartsWith('GPUPV-LIVE ')) {
                    Write-GpuPvRunnerLine $_
                } else {
                    $result = $_
                }
            }
        } catch {
            $result = New-GpuPvRunnerFailure -Message ('The guest runner could not run ' + $call + ': ' + $_.Exception.Message) -Action 'See the GPU-PV log for the guest''s output, and report it with the log.'
        }
    }
    Write-GpuPvRunnerLine 'GPUPV-RESULT-BEGIN'
    Write-GpuPvRunnerLine $result
    Write-GpuPvRunnerLine 'GPUPV-RESULT-END'
}
exit 0
