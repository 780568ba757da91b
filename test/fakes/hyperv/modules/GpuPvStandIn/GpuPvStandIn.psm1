# GpuPvStandIn.psm1 - what the stand-in modules (Hyper-V, Storage, GpuPvPlatform) share: the
# state document, the call log, injected faults, and the errors real cmdlets throw.
#
# The state is one JSON file (GPUPV_FAKE_HYPERV_STATE), shaped like Get-GpuPvInventory's result
# plus a `standIn` section. It is re-read whenever the file changed (tests edit it between
# calls) and written back atomically after every change, so another process sees it at once.
# Disks and guests are real folders beside it: <state>.disks/<vm id>/ is a VM's Windows volume,
# which its guest sees as C:\ while it runs and the host sees through Mount-VHD while it is off.

Set-StrictMode -Version 2.0

$script:Document = $null
$script:DocumentStamp = $null
# VM records by host object and id, rebuilt whenever the document is read again.
$script:VmIndex = @{}
$script:CurrentInvocation = $null
$script:CurrentFunction = $null
$script:FaultChecked = $false
$script:SecretKey = 'password|secret|token'
$script:DefaultStartupMemory = [int64]4 * 1024 * 1024 * 1024

# ---------------------------------------------------------------- the state document

function Get-StandInStatePath {
    $path = $env:GPUPV_FAKE_HYPERV_STATE
    if ([string]::IsNullOrEmpty($path)) { throw 'stand-in: GPUPV_FAKE_HYPERV_STATE is not set' }
    return $path
}

function Get-StandInStamp {
    param([string]$Path)
    $info = [System.IO.FileInfo]::new($Path)
    if (-not $info.Exists) { return $null }
    return ($Path + ':' + [string]$info.LastWriteTimeUtc.Ticks + ':' + [string]$info.Length)
}

function Get-StandInState {
    # The document as PSCustomObjects; the same instance until the file changes.
    $path = Get-StandInStatePath
    $stamp = Get-StandInStamp -Path $path
    if ($null -eq $stamp) { throw ("stand-in: the state file '" + $path + "' does not exist") }
    if ($stamp -ne $script:DocumentStamp) {
        $doc = [System.IO.File]::ReadAllText($path) | ConvertFrom-Json
        foreach ($key in @('host', 'vms', 'gpus')) {
            if ($null -eq $doc.PSObject.Properties[$key]) { throw ("stand-in: '" + $path + "' is not a state document (no '" + $key + "')") }
        }
        if ($null -eq $doc.PSObject.Properties['standIn']) { $doc | Add-Member -NotePropertyName 'standIn' -NotePropertyValue ([pscustomobject]@{}) }
        $script:Document = $doc
        $script:DocumentStamp = $stamp
        $script:VmIndex = @{}
    }
    return $script:Document
}

function Find-StandInVmRecord {
    # The record of a VM on a host of the document by id (any GUID spelling), or $null.
    param($HostState, [guid]$Id)
    $key = [System.Runtime.CompilerServices.RuntimeHelpers]::GetHashCode($HostState)
    $index = $script:VmIndex[$key]
    if ($null -eq $index -or $index.Count -ne $HostState.vms.Count) {
        $index = @{}
        foreach ($record in @($HostState.vms)) { $index[[guid][string]$record.id] = $record }
        $script:VmIndex[$key] = $index
    }
    return $index[$Id]
}

function Save-StandInState {
    # Temp file + rename: a reader in another process never sees half a document.
    param($Document)
    $path = Get-StandInStatePath
    $temp = $path + '.' + [string]$PID + '.tmp'
    [System.IO.File]::WriteAllText($temp, (ConvertTo-Json -InputObject $Document -Depth 32), [System.Text.UTF8Encoding]::new($false))
    [System.IO.File]::Move($temp, $path, $true)
    $script:Document = $Document
    $script:DocumentStamp = Get-StandInStamp -Path $path
    # Records may have been added, removed or re-identified.
    $script:VmIndex = @{}
}

function Get-StandInValue {
    # A property of a document object, or $Default when it is absent (strict mode forbids the plain read).
    param($Object, [string]$Name, $Default = $null)
    if ($null -eq $Object) { return $Default }
    $prop = $Object.PSObject.Properties[$Name]
    if ($null -eq $prop -or $null -eq $prop.Value) { return $Default }
    return $prop.Value
}

function Set-StandInValue {
    param($Object, [string]$Name, $Value)
    if ($null -eq $Object.PSObject.Properties[$Name]) { $Object | Add-Member -NotePropertyName $Name -NotePropertyValue $Value }
    else { $Object.$Name = $Value }
}

function Get-StandInSection {
    # standIn.<Name>, created as an empty object when absent.
    param($Document, [string]$Name)
    $section = Get-StandInValue $Document.standIn $Name
    if ($null -eq $section) {
        $section = [pscustomobject]@{}
        Set-StandInValue $Document.standIn $Name $section
    }
    return $section
}

function Get-StandInFolder {
    # <state>.<Kind>/<Name>: the real folders behind disks and the host's Windows directory.
    param([string]$Kind, [string]$Name)
    return (Join-Path ((Get-StandInStatePath) + '.' + $Kind) $Name)
}

# ---------------------------------------------------------------- disks, guests and the host's Windows folder

function New-StandInInf {
    # A display driver package's .inf as far as anything here reads it: its DriverVer line.
    param([string]$Path, [string]$Version, $Date)
    $when = '01/01/2024'
    if ($null -ne $Date) { $when = ([datetime]::ParseExact([string]$Date, 'yyyy-MM-dd', [System.Globalization.CultureInfo]::InvariantCulture)).ToString('MM/dd/yyyy', [System.Globalization.CultureInfo]::InvariantCulture) }
    $text = "[Version]`r`nSignature=`"`$WINDOWS NT`$`"`r`nClass=Display`r`nClassGuid={4d36e968-e325-11ce-bfc1-08002be10318}`r`nDriverVer=" + $when + ',' + $Version + "`r`n"
    [System.IO.File]::WriteAllText($Path, $text, [System.Text.UTF8Encoding]::new($false))
}

function Get-StandInVmVolume {
    # The folder behind a VM's Windows volume (its guest's C:\), made on first use from
    # standIn.guests[<vm id>].packages: a Windows folder and the HostDriverStore packages.
    param($Document, [string]$VmId)
    $root = Get-StandInFolder -Kind 'disks' -Name $VmId.ToLowerInvariant()
    if (Test-Path -LiteralPath $root) { return $root }
    $windows = Join-Path $root 'Windows'
    $null = New-Item -ItemType Directory -Path (Join-Path $windows 'System32/config') -Force
    [System.IO.File]::WriteAllText((Join-Path $windows 'System32/config/SYSTEM'), '')
    $repo = Join-Path $windows 'System32/HostDriverStore/FileRepository'
    $guest = Get-StandInValue (Get-StandInValue $Document.standIn 'guests') $VmId
    foreach ($pkg in @(Get-StandInValue $guest 'packages' @())) {
        $dir = Join-Path $repo ([string]$pkg.package)
        $null = New-Item -ItemType Directory -Path $dir -Force
        $base = ([string]$pkg.package) -replace '\.inf_.*$', ''
        New-StandInInf -Path (Join-Path $dir ($base + '.inf')) -Version ([string]$pkg.version) -Date (Get-StandInValue $pkg 'date')
    }
    return $root
}

# A virtual disk file made by the stand-in's New-VHD is a zip archive: its header
# (gpupv-standin-vhd.json: size, type, partition table) and a folder per partition
# (partition<N>/). Mount-VHD unpacks it into <state>.mounted/<disk number>/, Dismount-VHD packs
# it back, so a copy of the file is a copy of the disk, as with a real .vhdx.
$script:VhdHeader = 'gpupv-standin-vhd.json'

function Test-StandInVhdFile {
    param([string]$Path)
    if (-not [System.IO.File]::Exists($Path)) { return $false }
    try {
        $zip = [System.IO.Compression.ZipFile]::OpenRead($Path)
        try { return ($null -ne $zip.GetEntry($script:VhdHeader)) } finally { $zip.Dispose() }
    } catch {
        return $false
    }
}

function Read-StandInVhdHeader {
    # The header of a disk file, or of a mounted disk's folder.
    param([string]$Path, [string]$Folder)
    if ($Folder) { return ([System.IO.File]::ReadAllText((Join-Path $Folder $script:VhdHeader)) | ConvertFrom-Json) }
    $zip = [System.IO.Compression.ZipFile]::OpenRead($Path)
    try {
        $reader = [System.IO.StreamReader]::new($zip.GetEntry($script:VhdHeader).Open())
        try { return ($reader.ReadToEnd() | ConvertFrom-Json) } finally { $reader.Dispose() }
    } finally {
        $zip.Dispose()
    }
}

function Write-StandInVhdHeader {
    param([string]$Folder, $Header)
    [System.IO.File]::WriteAllText((Join-Path $Folder $script:VhdHeader), (ConvertTo-Json -InputObject $Header -Depth 8), [System.Text.UTF8Encoding]::new($false))
}

function Save-StandInVhdFile {
    # Packs a disk folder into its file: a temp file renamed over it, so a reader never sees half.
    param([string]$Folder, [string]$Path)
    $temp = $Path + '.' + [string]$PID + '.tmp'
    if ([System.IO.File]::Exists($temp)) { [System.IO.File]::Delete($temp) }
    [System.IO.Compression.ZipFile]::CreateFromDirectory($Folder, $temp)
    [System.IO.File]::Move($temp, $Path, $true)
}

function Get-StandInGuestAdapter {
    # What Win32_VideoController says inside a guest: standIn.guests[<vm id>].adapters.
    param($Document, [string]$VmId)
    $guest = Get-StandInValue (Get-StandInValue $Document.standIn 'guests') $VmId
    return @(Get-StandInValue $guest 'adapters' @())
}

function Get-StandInHostWindows {
    # The host's Windows folder, made on first use from standIn.hostPackages: each package in
    # DriverStore\FileRepository (its .inf and files of the given total size) and the
    # published oemN.inf copy in INF, which is how GpuPv.psm1 finds the package folder.
    param($Document)
    $windows = Get-StandInFolder -Kind 'host' -Name 'Windows'
    if (Test-Path -LiteralPath $windows) { return $windows }
    $repo = Join-Path $windows 'System32/DriverStore/FileRepository'
    $null = New-Item -ItemType Directory -Path (Join-Path $windows 'INF') -Force
    foreach ($pkg in @(Get-StandInValue $Document.standIn 'hostPackages' @())) {
        $dir = Join-Path $repo ([string]$pkg.package)
        $null = New-Item -ItemType Directory -Path $dir -Force
        $base = ([string]$pkg.package) -replace '\.inf_.*$', ''
        $inf = Join-Path $dir ($base + '.inf')
        New-StandInInf -Path $inf -Version ([string]$pkg.version) -Date (Get-StandInValue $pkg 'date')
        Copy-Item -LiteralPath $inf -Destination (Join-Path $windows ('INF/' + [string]$pkg.infName))
        $files = [int](Get-StandInValue $pkg 'files' 1)
        $bytes = [int64](Get-StandInValue $pkg 'bytes' 0)
        $rest = [math]::Max(0, $bytes - (Get-Item -LiteralPath $inf).Length)
        $count = [math]::Max(0, $files - 1)
        for ($i = 0; $i -lt $count; $i++) {
            $share = [int64][math]::Floor($rest / $count)
            if ($i -eq $count - 1) { $share = $rest - $share * ($count - 1) }
            $sub = $dir
            if ($i % 4 -eq 3) { $sub = Join-Path $dir 'lib'; $null = New-Item -ItemType Directory -Path $sub -Force }
            $stream = [System.IO.File]::Create((Join-Path $sub ($base + '_' + [string]$i + '.bin')))
            try { $stream.SetLength($share) } finally { $stream.Dispose() }
        }
    }
    return $windows
}

# ---------------------------------------------------------------- VM power

function Get-StandInStartupMemory {
    return $script:DefaultStartupMemory
}

function Set-StandInVmPower {
    # What Hyper-V does to a VM's live numbers when its state changes: a stopped or saved VM
    # uses no CPU, holds no memory and has no uptime, a started one gets its memory back, a
    # restarted one starts its uptime again.
    param($Document, $Record, [string]$State)
    $memories = Get-StandInSection -Document $Document -Name 'lastMemoryAssigned'
    $from = [string]$Record.state
    if (@('Off', 'Saved') -contains $State) {
        if ([int64](Get-StandInValue $Record 'memoryAssigned' 0) -gt 0) { Set-StandInValue $memories ([string]$Record.id) ([int64]$Record.memoryAssigned) }
        $Record.cpuUsage = 0
        $Record.memoryAssigned = 0
        $Record.uptimeSeconds = 0
    } elseif ($State -eq 'Running' -and @('Off', 'Saved') -contains $from) {
        $Record.uptimeSeconds = 0
        $Record.memoryAssigned = [int64](Get-StandInValue $memories ([string]$Record.id) $script:DefaultStartupMemory)
    } elseif ($State -eq 'Running' -and $from -eq 'Running') {
        $Record.uptimeSeconds = 0
    } elseif ($State -eq 'Paused') {
        $Record.cpuUsage = 0
    }
    Set-StandInValue $Record 'state' $State
}

# ---------------------------------------------------------------- hosts

function Test-StandInLocalName {
    param($Document, [string]$ComputerName)
    if ([string]::IsNullOrEmpty($ComputerName)) { return $true }
    return (@('localhost', '.', [string]$Document.host.name) -contains $ComputerName)
}

function Resolve-StandInHost {
    # The host a cmdlet's -ComputerName names, or the error Hyper-V's remoting gives for it.
    param($Cmdlet, [string]$ComputerName)
    $doc = Get-StandInState
    if (Test-StandInLocalName -Document $doc -ComputerName $ComputerName) { return $doc }
    $remote = $null
    $hosts = Get-StandInValue $doc.standIn 'remoteHosts'
    if ($null -ne $hosts) {
        foreach ($prop in $hosts.PSObject.Properties) {
            if ($prop.Name -eq $ComputerName) { $remote = $prop.Value; break }
        }
    }
    if ($null -eq $remote -or $null -eq $remote.PSObject.Properties['host']) {
        $message = Get-StandInValue $remote 'unreachable' ''
        if (-not $message) {
            $message = "WinRM cannot complete the operation. Verify that the specified computer name '" + $ComputerName + "' is valid, that the computer is accessible over the network, and that a firewall exception for the WinRM service is enabled and allows access from this computer."
        }
        Stop-StandInCall -Cmdlet $Cmdlet -Message $message -Category 'ResourceUnavailable' -ErrorId 'RemoteConnectionFailed'
    }
    if (-not [bool](Get-StandInValue $remote.host 'isHyperVAdmin' $true)) {
        Stop-StandInCall -Cmdlet $Cmdlet -Category 'PermissionDenied' -ErrorId 'Unspecified' -Message ("You do not have the required permission to complete this task. Contact the administrator of the authorization policy for the computer '" + $ComputerName + "'.")
    }
    if (-not [bool](Get-StandInValue $remote.host 'hyperVModule' $true)) {
        Stop-StandInCall -Cmdlet $Cmdlet -Category 'ObjectNotFound' -ErrorId 'Unspecified' -Message ("The Hyper-V Management Tools could not access an expected WMI class on computer '" + $ComputerName + "'. This may indicate that the Hyper-V Platform is not enabled on the target computer.")
    }
    return $remote
}

# ---------------------------------------------------------------- errors

function Stop-StandInCall {
    # A cmdlet's error: terminating (GpuPv.psm1 runs with ErrorAction Stop) unless the caller
    # asked otherwise with -ErrorAction, as a binary cmdlet would honour it.
    param($Cmdlet, [string]$Message, [string]$Category = 'NotSpecified', [string]$ErrorId = 'Unspecified', $TargetObject = $null, [System.Exception]$Exception = $null)
    if ($null -eq $Exception) { $Exception = [System.Exception]::new($Message) }
    $fullId = $ErrorId + ',Microsoft.HyperV.PowerShell.Commands.' + ([string]$Cmdlet.MyInvocation.MyCommand.Name -replace '-', '')
    $record = [System.Management.Automation.ErrorRecord]::new($Exception, $fullId, [System.Management.Automation.ErrorCategory]$Category, $TargetObject)
    $action = $Cmdlet.MyInvocation.BoundParameters['ErrorAction']
    if ($null -ne $action -and @('SilentlyContinue', 'Ignore', 'Continue') -contains [string]$action) {
        if ([string]$action -ne 'Ignore') { $Cmdlet.WriteError($record) }
        return
    }
    $Cmdlet.ThrowTerminatingError($record)
}

function Stop-StandInInvalidState {
    param($Cmdlet, [string]$VmName)
    Stop-StandInCall -Cmdlet $Cmdlet -Category 'InvalidOperation' -ErrorId 'InvalidState' -Message ("'" + $VmName + "' failed to change state. The operation cannot be performed while the object is in its current state.")
}

# ---------------------------------------------------------------- call log and faults

function ConvertTo-StandInRedacted {
    # The same redaction the extension's log applies: every secret-named key, at any depth.
    param($Value)
    if ($Value -is [System.Management.Automation.PSCustomObject]) {
        $copy = [ordered]@{}
        foreach ($prop in $Value.PSObject.Properties) {
            if ($prop.Name -match $script:SecretKey) { $copy[$prop.Name] = [string][char]0x00AB + 'redacted' + [string][char]0x00BB }
            else { $copy[$prop.Name] = ConvertTo-StandInRedacted $prop.Value }
        }
        return $copy
    }
    if ($Value -is [array]) { return , @($Value | ForEach-Object { ConvertTo-StandInRedacted $_ }) }
    return $Value
}

function Test-StandInSecret {
    param($Value)
    if ($Value -is [System.Management.Automation.PSCustomObject]) {
        foreach ($prop in $Value.PSObject.Properties) {
            if ($prop.Name -match $script:SecretKey -or (Test-StandInSecret $prop.Value)) { return $true }
        }
    }
    return $false
}

function Write-StandInLog {
    # One JSON line per call, appended before it runs, so a hang or a crash is still on record.
    param([string]$Function, [string]$Command, $Params)
    $path = $env:GPUPV_FAKE_HYPERV_LOG
    if (-not $path) { $path = (Get-StandInStatePath) + '.calls.jsonl' }
    $entry = [ordered]@{
        time     = [datetime]::UtcNow.ToString('o')
        pid      = $PID
        command  = $Command
        function = $Function
        params   = $Params
    }
    try {
        [System.IO.File]::AppendAllText($path, (ConvertTo-Json -InputObject $entry -Depth 16 -Compress) + "`n", [System.Text.UTF8Encoding]::new($false))
    } catch {
        # A log that cannot be written must not change what the caller sees.
        $null = $_
    }
}

function Get-StandInCaller {
    # The outermost GpuPv.psm1 function on the call stack: the module call being served.
    $outer = $null
    foreach ($frame in @(Get-PSCallStack)) {
        $info = $frame.InvocationInfo
        if ($null -eq $info -or $null -eq $info.MyCommand) { continue }
        $module = $info.MyCommand.Module
        if ($null -ne $module -and $module.Name -eq 'GpuPv' -and $info.BoundParameters.ContainsKey('EncodedParams')) { $outer = $info }
    }
    return $outer
}

function Enter-StandInCall {
    # Every stand-in entry point starts here: the first one reached by a module call logs it
    # and, for a Hyper-V cmdlet, fires the first matching fault.
    param([switch]$Cmdlet)
    $caller = Get-StandInCaller
    if ($null -eq $caller) { return }
    if (-not [object]::ReferenceEquals($caller, $script:CurrentInvocation)) {
        $script:CurrentInvocation = $caller
        $script:CurrentFunction = [string]$caller.MyCommand.Name
        $script:FaultChecked = $false
        $encoded = [string]$caller.BoundParameters['EncodedParams']
        $params = $null
        try { $params = [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String($encoded)) | ConvertFrom-Json } catch { $params = $null }
        $command = $caller.Line.Trim()
        if (Test-StandInSecret $params) { $command = $command.Replace($encoded, [string][char]0x00AB + 'redacted' + [string][char]0x00BB) }
        Write-StandInLog -Function $script:CurrentFunction -Command $command -Params (ConvertTo-StandInRedacted $params)
    }
    if ($Cmdlet -and -not $script:FaultChecked) {
        $script:FaultChecked = $true
        Invoke-StandInFault -Function $script:CurrentFunction
    }
    if ($Cmdlet) { Invoke-StandInCmdletFault -Function $script:CurrentFunction -Cmdlet ([string](Get-PSCallStack)[1].Command) }
}

function Invoke-StandInCmdletFault {
    # Faults aimed at one cmdlet (its `cmdlet`, and `function` when given): 'slow' makes it take
    # `ms` milliseconds first, as applying a Windows image takes minutes; 'cmdletError' makes it
    # fail with `text`, as the real cmdlet words its error.
    param([string]$Function, [string]$Cmdlet)
    $doc = Get-StandInState
    $faults = @(Get-StandInValue $doc.standIn 'faults' @())
    foreach ($fault in $faults) {
        if ([string](Get-StandInValue $fault 'cmdlet' '') -ne $Cmdlet) { continue }
        $fn = Get-StandInValue $fault 'function'
        if ($null -ne $fn -and [string]$fn -ne $Function) { continue }
        $kind = [string]$fault.kind
        if (@('slow', 'cmdletError') -notcontains $kind) { continue }
        Use-StandInFault -Document $doc -Fault $fault
        if ($kind -eq 'slow') { Start-Sleep -Milliseconds ([int](Get-StandInValue $fault 'ms' 1000)) }
        else { throw [System.Exception]::new([string](Get-StandInValue $fault 'text' ($Cmdlet + ' failed (injected).'))) }
        return
    }
}

function Get-StandInCurrentFunction {
    # The GpuPv.psm1 function whose call the stand-ins serve now, or $null outside one.
    if ($null -eq (Get-StandInCaller)) { return $null }
    return $script:CurrentFunction
}

function Use-StandInFault {
    # Counts a fault down (`times`, -1 for ever) and drops it at 0, written back at once, so a
    # hang or a crash that follows still leaves the count right for the next process.
    param($Document, $Fault)
    $times = [int](Get-StandInValue $Fault 'times' 1)
    if ($times -eq -1) { return }
    $faults = @(Get-StandInValue $Document.standIn 'faults' @())
    if ($times -le 1) { $faults = @($faults | Where-Object { -not [object]::ReferenceEquals($_, $Fault) }) }
    else { $Fault.times = $times - 1 }
    Set-StandInValue $Document.standIn 'faults' $faults
    Save-StandInState -Document $Document
}

function Get-StandInFault {
    # The first fault that matches, counted down (Use-StandInFault) unless peeked at.
    param([string]$Function, [string[]]$Kinds, [switch]$Peek)
    $doc = Get-StandInState
    $faults = @(Get-StandInValue $doc.standIn 'faults' @())
    for ($i = 0; $i -lt $faults.Count; $i++) {
        $fault = $faults[$i]
        $fn = Get-StandInValue $fault 'function'
        if ($null -eq $fn) { if ($Function -eq 'Import-Module') { continue } }
        elseif ([string]$fn -ne $Function) { continue }
        if ($Kinds -notcontains [string]$fault.kind) { continue }
        if ($Peek) { return $fault }
        Use-StandInFault -Document $doc -Fault $fault
        return $fault
    }
    return $null
}

function Invoke-StandInFault {
    param([string]$Function)
    $fault = Get-StandInFault -Function $Function -Kinds @('hang', 'crash', 'stderr', 'accessDenied')
    if ($null -eq $fault) { return }
    switch ([string]$fault.kind) {
        'hang' { while ($true) { Start-Sleep -Seconds 3600 } }
        'crash' { [System.Environment]::Exit(1) }
        'stderr' { [Console]::Error.WriteLine([string](Get-StandInValue $fault 'text' 'stand-in: injected error')) }
        'accessDenied' {
            $computer = [string](Get-StandInState).host.name
            throw [System.UnauthorizedAccessException]::new("You do not have the required permission to complete this task. Contact the administrator of the authorization policy for the computer '" + $computer + "'.")
        }
    }
}

Export-ModuleMember -Function @(
    'Get-StandInState', 'Save-StandInState', 'Find-StandInVmRecord', 'Get-StandInValue', 'Set-StandInValue', 'Get-StandInSection', 'Get-StandInFolder',
    'Get-StandInVmVolume', 'Get-StandInGuestAdapter', 'Get-StandInHostWindows', 'Get-StandInStartupMemory', 'Set-StandInVmPower',
    'Test-StandInLocalName', 'Resolve-StandInHost', 'Stop-StandInCall', 'Stop-StandInInvalidState',
    'Write-StandInLog', 'Enter-StandInCall', 'Get-StandInCurrentFunction', 'Get-StandInFault',
    'Test-StandInVhdFile', 'Read-StandInVhdHeader', 'Write-StandInVhdHeader', 'Save-StandInVhdFile'
)
