# Dot-sourced by the Pester suites: the real GpuPv.psm1 imported with the stand-in modules first
# on PSModulePath, a fresh copy of the simulated workstation per test, and one way to call a
# module function exactly as the extension does (base64 JSON in, one JSON line out).

$script:Repo = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../..')).Path
$script:StandInModules = Join-Path $script:Repo 'test/fakes/hyperv/modules'
$script:GpuPvModule = Join-Path $script:Repo 'extension/hyperv/GpuPv.psm1'
$script:ProductModules = Join-Path $script:Repo 'extension/hyperv'
$script:DemoHost = Join-Path $script:Repo 'test/fakes/hyperv/demoHost.json'
$script:HostileNames = @([System.IO.File]::ReadAllText((Join-Path $script:Repo 'test/fixtures/hostileNames.json')) | ConvertFrom-Json)
$script:OriginalModulePath = $env:PSModulePath
$script:Password = "P@ss w0rd'!"

function Import-GpuPv {
    # GpuPv.psm1 as the extension loads it: the stand-ins first, the product's folder last.
    # -Without leaves stand-in modules out (a machine without the Hyper-V module, say).
    param([string[]]$Without = @())
    $modules = $script:StandInModules
    if ($Without.Count -gt 0) {
        $modules = Join-Path $TestDrive ('modules-' + [guid]::NewGuid().ToString('n'))
        $null = New-Item -ItemType Directory -Path $modules
        foreach ($dir in Get-ChildItem -LiteralPath $script:StandInModules -Directory) {
            if ($Without -notcontains $dir.Name) { $null = New-Item -ItemType SymbolicLink -Path (Join-Path $modules $dir.Name) -Target $dir.FullName }
        }
    }
    $sep = [System.IO.Path]::PathSeparator
    $env:PSModulePath = $modules + $sep + $script:OriginalModulePath + $sep + $script:ProductModules
    Import-Module -Name $script:GpuPvModule -Force -DisableNameChecking
}

function New-StandInState {
    # A copy of the simulated workstation in its own folder; $Edit changes the document first.
    param([scriptblock]$Edit)
    $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
    $null = New-Item -ItemType Directory -Path $dir
    $path = Join-Path $dir 'state.json'
    $doc = [System.IO.File]::ReadAllText($script:DemoHost) | ConvertFrom-Json
    # Small host packages: the copy is what is tested, not the disk's speed.
    foreach ($pkg in @($doc.standIn.hostPackages)) { $pkg.bytes = 400000 }
    $doc.standIn.copyDelayMs = 0
    if ($Edit) { & $Edit $doc }
    [System.IO.File]::WriteAllText($path, (ConvertTo-Json -InputObject $doc -Depth 32))
    $env:GPUPV_FAKE_HYPERV_STATE = $path
    $env:GPUPV_FAKE_HYPERV_LOG = $path + '.calls.jsonl'
    return $path
}

function Set-StandInFault {
    # Injected failures for the next calls (standIn.faults): hang, crash, stderr, accessDenied, vmGoneMidCopy.
    param($Document, [object[]]$Faults)
    $Document.standIn | Add-Member -Force -NotePropertyName 'faults' -NotePropertyValue @($Faults | ForEach-Object { [pscustomobject]$_ })
}

function Read-StandInState {
    return ([System.IO.File]::ReadAllText($env:GPUPV_FAKE_HYPERV_STATE) | ConvertFrom-Json)
}

function Read-CallLog {
    $path = $env:GPUPV_FAKE_HYPERV_LOG
    if (-not (Test-Path -LiteralPath $path)) { return @() }
    return @(Get-Content -LiteralPath $path | Where-Object { $_ } | ForEach-Object { $_ | ConvertFrom-Json })
}

function ConvertTo-EncodedParams {
    param([hashtable]$Params)
    $json = ConvertTo-Json -InputObject $Params -Depth 10 -Compress
    return [System.Convert]::ToBase64String([System.Text.Encoding]::UTF8.GetBytes($json))
}

function Invoke-GpuPv {
    # Calls a module function the way the extension does and returns its one line, parsed;
    # .Line keeps the text itself.
    param([string]$Function, [hashtable]$Params = @{})
    # The very text the extension sends (moduleCommand.ts): a fixed name and the base64 alphabet.
    $command = $Function + " -EncodedParams '" + (ConvertTo-EncodedParams $Params) + "'"
    $out = @(& ([scriptblock]::Create($command)))
    if ($out.Count -ne 1) { throw ($Function + ' wrote ' + $out.Count + ' lines: ' + ($out -join ' | ')) }
    $reply = $out[0] | ConvertFrom-Json
    $reply | Add-Member -NotePropertyName 'Line' -NotePropertyValue ([string]$out[0])
    return $reply
}

function Get-Result {
    # The result of a call that must succeed; a failure shows its error.
    param([string]$Function, [hashtable]$Params = @{})
    $reply = Invoke-GpuPv -Function $Function -Params $Params
    if (-not $reply.ok) { throw ($Function + ' failed: ' + $reply.error.code + ': ' + $reply.error.message) }
    return $reply.result
}

function Get-ErrorCode {
    param([string]$Function, [hashtable]$Params = @{})
    $reply = Invoke-GpuPv -Function $Function -Params $Params
    if ($reply.ok) { return 'ok' }
    return [string]$reply.error.code
}

function Get-GuestCredential {
    param([string]$Password = $script:Password)
    return @{ credentialUser = 'tester'; credentialPasswordB64 = [System.Convert]::ToBase64String([System.Text.Encoding]::UTF8.GetBytes($Password)) }
}

function Get-GuestPackages {
    # The package folders in a VM's HostDriverStore, as the guest would list them.
    param([string]$VmId)
    $repo = Join-Path ($env:GPUPV_FAKE_HYPERV_STATE + '.disks') ($VmId.ToLowerInvariant() + '/Windows/System32/HostDriverStore/FileRepository')
    if (-not (Test-Path -LiteralPath $repo)) { return @() }
    return @(Get-ChildItem -LiteralPath $repo -Directory | ForEach-Object { $_.Name } | Sort-Object)
}

function Get-VmRecord {
    param([string]$Name)
    return @((Read-StandInState).vms | Where-Object { $_.name -eq $Name })[0]
}
