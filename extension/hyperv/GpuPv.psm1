# GpuPv.psm1 - the PowerShell side of GPU-PV Dev Kit's Hyper-V features.
#
# Contract with the TypeScript caller (keep both sides in step):
#   * Every exported function takes exactly ONE parameter, -EncodedParams: base64 of a UTF-8 JSON
#     object. User values (VM names, paths, passwords) therefore never become PowerShell code;
#     they only ever reach cmdlets as parameter values. Invoke-Expression is never used.
#     (Named like PowerShell's own -EncodedCommand, and without digits: the tree-sitter grammar
#     that checks every command we send reads a digit in a parameter name as a redirection.)
#   * Every exported function writes exactly ONE line to stdout, compressed JSON:
#       {"ok":true,"result":...}  or  {"ok":false,"error":{"code":"...","message":"..."}}
#     Codes: HyperVModuleMissing, AccessDenied, VmNotFound, CredentialRejected, HostUnreachable,
#     InvalidParameter, Cancelled, Failed. Nothing else is written to stdout; warnings, progress and
#     confirmation prompts are switched off so they can neither pollute stdout nor block on stdin.
#   * Non-ASCII characters are emitted as \uXXXX escapes, so the line survives any console code page.
#   * UInt64 values that can exceed 2^53 (every *Encode value: its scale is 0..2^64-1) are emitted
#     as decimal STRINGS, because JSON.parse would round them. Inputs accept numbers or strings;
#     send encode values as strings.
#   * Targets Windows PowerShell 5.1 and PowerShell 7: no ternaries, no ?? and no && / ||.
#   * The token, the registry, CIM classes and the Windows folder are reached only through
#     GpuPvPlatform (imported by name: the extension appends its folder to PSModulePath).

Set-StrictMode -Version 2.0

Import-Module -Name 'GpuPvPlatform' -ErrorAction Stop

# Cached across calls: the extension keeps one PowerShell process alive, and
# Get-Module -ListAvailable scans every module folder (slow).
$script:GpuPvHyperVAvailable = $null
$script:GpuPvResources = @('VRAM', 'Encode', 'Decode', 'Compute')
# Integration component id of 'Guest Service Interface'; the display name is localized.
$script:GpuPvGuestServiceId = '6C09BB55-D683-4DA0-8931-C9BF705F6480'
$script:GpuPvInvariant = [System.Globalization.CultureInfo]::InvariantCulture

# ---------------------------------------------------------------- plumbing helpers

function New-GpuPvError {
    # An exception that carries its contract error code, so the single catch can map it.
    param([string]$Code, [string]$Message)
    $ex = [System.Exception]::new($Message)
    $ex.Data['GpuPvCode'] = $Code
    return $ex
}

function ConvertFrom-GpuPvParams {
    param([string]$Encoded)
    if ([string]::IsNullOrWhiteSpace($Encoded)) { return [pscustomobject]@{} }
    $parsed = $null
    try {
        $json = [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String($Encoded))
        $parsed = $json | ConvertFrom-Json
    } catch {
        # The parser's message can quote the input (which may hold a password): do not pass it on.
        throw (New-GpuPvError -Code 'InvalidParameter' -Message 'EncodedParams is not base64 of UTF-8 JSON.')
    }
    if (-not ($parsed -is [System.Management.Automation.PSCustomObject])) {
        throw (New-GpuPvError -Code 'InvalidParameter' -Message 'EncodedParams must encode a JSON object.')
    }
    return $parsed
}

function Get-GpuPvParam {
    # Strict mode makes a missing property an error, so optional keys are read through PSObject.
    param($Params, [string]$Name)
    $prop = $Params.PSObject.Properties[$Name]
    if ($null -eq $prop) { return $null }
    return $prop.Value
}

function Get-GpuPvString {
    param($Params, [string]$Name, [switch]$Required)
    $value = Get-GpuPvParam -Params $Params -Name $Name
    if ($null -ne $value) { $value = [string]$value }
    if ($Required -and [string]::IsNullOrEmpty($value)) {
        throw (New-GpuPvError -Code 'InvalidParameter' -Message ("Parameter '" + $Name + "' is required."))
    }
    return $value
}

function Get-GpuPvBool {
    param($Params, [string]$Name, [bool]$Default = $false)
    $value = Get-GpuPvParam -Params $Params -Name $Name
    if ($null -eq $value) { return $Default }
    if (-not ($value -is [bool])) {
        throw (New-GpuPvError -Code 'InvalidParameter' -Message ("Parameter '" + $Name + "' must be true or false."))
    }
    return $value
}

function ConvertTo-GpuPvUInt64 {
    # Accepts a JSON number, a decimal string (exact up to 2^64-1) or '3GB'-style text.
    param($Value, [string]$Name)
    $result = $null
    try {
        $text = $null
        if ($Value -is [string]) {
            $text = $Value.Trim()
        } elseif (($Value -is [int]) -or ($Value -is [long]) -or ($Value -is [double]) -or ($Value -is [decimal])) {
            if ([decimal]$Value -eq [decimal]::Truncate([decimal]$Value)) {
                $text = ([decimal]$Value).ToString($script:GpuPvInvariant)
            }
        }
        $m = [regex]::Match([string]$text, '^(\d{1,20})\s*(KB|MB|GB|TB)?$', 'IgnoreCase')
        if ($m.Success) {
            $n = [decimal]::Parse($m.Groups[1].Value, $script:GpuPvInvariant)
            $unit = $m.Groups[2].Value.ToUpperInvariant()
            if ($unit -eq 'KB') { $n = $n * 1024 }
            if ($unit -eq 'MB') { $n = $n * 1048576 }
            if ($unit -eq 'GB') { $n = $n * 1073741824 }
            if ($unit -eq 'TB') { $n = $n * 1099511627776 }
            if ($n -le [decimal][uint64]::MaxValue) { $result = [uint64]$n }
        }
    } catch {
        $result = $null
    }
    if ($null -eq $result) {
        throw (New-GpuPvError -Code 'InvalidParameter' -Message ("'" + $Name + "' must be an unsigned integer (0..18446744073709551615; send large values as strings)."))
    }
    return $result
}

function Get-GpuPvProp {
    # Reads a property that older Hyper-V builds may not have; $null when absent.
    param($Object, [string]$Name)
    if ($null -eq $Object) { return $null }
    $prop = $Object.PSObject.Properties[$Name]
    if ($null -eq $prop) { return $null }
    return $prop.Value
}

function Format-GpuPvValue {
    # Encode values use the full UInt64 range: strings, so JavaScript keeps every digit.
    param($Value, [string]$Resource)
    if ($null -eq $Value) { return $null }
    if ($Resource -eq 'Encode') { return ([uint64]$Value).ToString($script:GpuPvInvariant) }
    return [uint64]$Value
}

function Format-GpuPvDate {
    param($Value, [string]$Format = 'o')
    if ($null -eq $Value -or -not ($Value -is [datetime])) { return $null }
    if ($Format -eq 'o') { return $Value.ToUniversalTime().ToString('o', $script:GpuPvInvariant) }
    return $Value.ToString($Format, $script:GpuPvInvariant)
}

function Get-GpuPvTarget {
    # Splat for Hyper-V cmdlets: @{} for the local host, @{ ComputerName = ... } for a remote one.
    param($Params)
    $target = @{}
    $computer = Get-GpuPvString -Params $Params -Name 'computerName'
    if ($computer) { $target.ComputerName = $computer }
    return $target
}

function Assert-GpuPvLocal {
    # PowerShell Direct and Mount-VHD only work against VMs on this machine.
    param([hashtable]$Target, [string]$What)
    if ($Target.ContainsKey('ComputerName')) {
        $local = @('localhost', '.', (Get-GpuPvPlatformComputerName))
        if ($local -notcontains [string]$Target.ComputerName) {
            throw (New-GpuPvError -Code 'InvalidParameter' -Message ($What + ' works only for VMs on the local Hyper-V host.'))
        }
    }
}

function Test-GpuPvHyperVModule {
    if ($null -eq $script:GpuPvHyperVAvailable) {
        $script:GpuPvHyperVAvailable = (@(Get-Module -ListAvailable -Name 'Hyper-V').Count -gt 0)
    }
    return $script:GpuPvHyperVAvailable
}

function Assert-GpuPvHyperV {
    param([hashtable]$Target)
    if (-not (Test-GpuPvHyperVModule)) {
        throw (New-GpuPvError -Code 'HyperVModuleMissing' -Message "The Hyper-V PowerShell module is not installed (Windows feature 'Hyper-V Module for Windows PowerShell').")
    }
    # PowerShell 7 does not always auto-load Hyper-V; importing explicitly also wins over
    # same-named commands from other modules (VMware PowerCLI has a Get-VM too).
    Import-Module -Name 'Hyper-V' -ErrorAction Stop -WarningAction SilentlyContinue | Out-Null
    if (-not $Target.ContainsKey('ComputerName')) {
        if (-not (Test-GpuPvPlatformHyperVAdmin)) {
            throw (New-GpuPvError -Code 'AccessDenied' -Message 'Managing Hyper-V needs an elevated administrator or a member of the Hyper-V Administrators group.')
        }
    }
}

function Resolve-GpuPvError {
    # Maps any error record to { code, message }.
    param($ErrorRecord)
    $ex = $ErrorRecord.Exception
    $message = [string]$ex.Message
    $e = $ex
    while ($null -ne $e) {
        if ($e.Data.Contains('GpuPvCode')) {
            return [ordered]@{ code = [string]$e.Data['GpuPvCode']; message = [string]$e.Message }
        }
        if ($e -is [System.UnauthorizedAccessException]) {
            return [ordered]@{ code = 'AccessDenied'; message = $message }
        }
        if ($e -is [System.Management.Automation.ParameterBindingException]) {
            return [ordered]@{ code = 'InvalidParameter'; message = $message }
        }
        # 0x8007052E = ERROR_LOGON_FAILURE; PowerShell Direct words a bad password several ways.
        if (($e.HResult -eq -2147023570) -or ([string]$e.Message -match 'credential is invalid|user name or password is incorrect|logon failure')) {
            return [ordered]@{ code = 'CredentialRejected'; message = $message }
        }
        $e = $e.InnerException
    }
    $category = [string]$ErrorRecord.CategoryInfo.Category
    $command = ''
    if ($null -ne $ErrorRecord.InvocationInfo -and $null -ne $ErrorRecord.InvocationInfo.MyCommand) {
        $command = [string]$ErrorRecord.InvocationInfo.MyCommand.Name
    }
    $code = 'Failed'
    if ($category -eq 'PermissionDenied' -or $message -match 'access (is )?denied|required permission') { $code = 'AccessDenied' }
    elseif ($category -eq 'AuthenticationError') { $code = 'CredentialRejected' }
    elseif ($category -eq 'ObjectNotFound' -and $command -eq 'Get-VM') { $code = 'VmNotFound' }
    elseif ($category -eq 'InvalidArgument') { $code = 'InvalidParameter' }
    # Remote hosts: WinRM, RPC and CIM word an unreachable computer in their own ways.
    if ($code -eq 'Failed' -and $message -match 'WinRM cannot|RPC server is unavailable|cannot connect to|could not be resolved|network path was not found') { $code = 'HostUnreachable' }
    return [ordered]@{ code = $code; message = $message }
}

function Write-GpuPvResult {
    param([bool]$Ok, $Value)
    $payload = [ordered]@{ ok = $Ok }
    if ($Ok) { $payload['result'] = $Value } else { $payload['error'] = $Value }
    try {
        $json = ConvertTo-Json -InputObject $payload -Depth 8 -Compress
    } catch {
        $fallback = [ordered]@{ ok = $false; error = [ordered]@{ code = 'Failed'; message = ('Could not serialize the result: ' + $_.Exception.Message) } }
        $json = ConvertTo-Json -InputObject $fallback -Depth 3 -Compress
    }
    # Non-ASCII only occurs inside JSON strings, where \uXXXX is an exact equivalent.
    $escape = [System.Text.RegularExpressions.MatchEvaluator] { param($m) '\u{0:x4}' -f [int][char]$m.Value }
    Write-Output ([regex]::Replace($json, '[^\x00-\x7F]', $escape))
}

function Invoke-GpuPvCall {
    # Shared frame of every exported function: decode, check Hyper-V, run, write one line.
    param([string]$Encoded, [scriptblock]$Body, [switch]$NoHyperVCheck)
    $ErrorActionPreference = 'Stop'
    $WarningPreference = 'SilentlyContinue'
    $ProgressPreference = 'SilentlyContinue'
    $VerbosePreference = 'SilentlyContinue'
    $InformationPreference = 'SilentlyContinue'
    $ConfirmPreference = 'None'
    try {
        $p = ConvertFrom-GpuPvParams -Encoded $Encoded
        $target = Get-GpuPvTarget -Params $p
        if (-not $NoHyperVCheck) { Assert-GpuPvHyperV -Target $target }
        # Bodies end with their result object; anything a cmdlet leaked earlier is dropped here
        # rather than breaking the one-line contract.
        $items = @(& $Body $p $target)
        $result = $null
        if ($items.Count -gt 0) { $result = $items[$items.Count - 1] }
        Write-GpuPvResult -Ok $true -Value $result
    } catch {
        Write-GpuPvResult -Ok $false -Value (Resolve-GpuPvError -ErrorRecord $_)
    }
}

# ---------------------------------------------------------------- Hyper-V helpers

function Get-GpuPvVm {
    # Exactly one VM: by id when the caller knows it (names need not be unique and can change
    # under us), else by exact name. Get-VM -Name treats [ ] * ? as wildcards and ` as their
    # escape, so such names are matched against the full list instead, and every result is
    # compared with -eq.
    param($Params, [hashtable]$Target)
    $id = Get-GpuPvString -Params $Params -Name 'vmId'
    $name = Get-GpuPvString -Params $Params -Name 'vmName'
    if ($id) {
        $guid = [guid]::Empty
        if (-not [guid]::TryParse($id, [ref]$guid)) {
            throw (New-GpuPvError -Code 'InvalidParameter' -Message ("'" + $id + "' is not a virtual machine id."))
        }
        $byId = @()
        try {
            $byId = @(Get-VM -Id $guid @Target)
        } catch {
            if ([string]$_.CategoryInfo.Category -ne 'ObjectNotFound') { throw }
        }
        if ($byId.Count -eq 0) {
            $label = $id
            if ($name) { $label = $name }
            throw (New-GpuPvError -Code 'VmNotFound' -Message ("The virtual machine '" + $label + "' no longer exists."))
        }
        return $byId[0]
    }
    if ([string]::IsNullOrEmpty($name)) {
        throw (New-GpuPvError -Code 'InvalidParameter' -Message "Parameter 'vmId' or 'vmName' is required.")
    }
    $candidates = @()
    if ($name.IndexOfAny([char[]]'*?[]`') -ge 0) {
        $candidates = @(Get-VM @Target)
    } else {
        try {
            $candidates = @(Get-VM -Name $name @Target)
        } catch {
            if ([string]$_.CategoryInfo.Category -ne 'ObjectNotFound') { throw }
        }
    }
    $found = @($candidates | Where-Object { $_.Name -eq $name })
    if ($found.Count -eq 0) {
        throw (New-GpuPvError -Code 'VmNotFound' -Message ("No virtual machine named '" + $name + "' was found."))
    }
    if ($found.Count -gt 1) {
        throw (New-GpuPvError -Code 'InvalidParameter' -Message ("Several virtual machines are named '" + $name + "'; rename one of them."))
    }
    return $found[0]
}

function ConvertTo-GpuPvAdapter {
    param($Adapter)
    $o = [ordered]@{
        adapterId    = [string](Get-GpuPvProp $Adapter 'Id')
        instancePath = Get-GpuPvProp $Adapter 'InstancePath'
    }
    foreach ($res in $script:GpuPvResources) {
        $suffix = $res
        if ($res -eq 'VRAM') { $suffix = 'Vram' }
        foreach ($kind in @('Min', 'Max', 'Optimal')) {
            $o[$kind.ToLowerInvariant() + $suffix] = Format-GpuPvValue (Get-GpuPvProp $Adapter ($kind + 'Partition' + $res)) $res
        }
    }
    return $o
}

function ConvertTo-GpuPvCheckpoint {
    param($Snapshot)
    $parent = Get-GpuPvProp $Snapshot 'ParentSnapshotId'
    if ($null -ne $parent) { $parent = [string]$parent }
    return [ordered]@{
        id       = [string]$Snapshot.Id
        name     = [string]$Snapshot.Name
        parentId = $parent
        created  = Format-GpuPvDate (Get-GpuPvProp $Snapshot 'CreationTime')
    }
}

function ConvertTo-GpuPvVm {
    # One VM as the tree shows it. Dates, enums and GUIDs become strings explicitly because
    # Windows PowerShell 5.1 serializes them as numbers or \/Date()\/ otherwise. Hosts before
    # GPU-P have no Get-VMGpuPartitionAdapter; the caller looks that up once, not per VM.
    param($Vm, [bool]$HasGpuPartitions)
    $adapters = @()
    if ($HasGpuPartitions) {
        $adapters = @(Get-VMGpuPartitionAdapter -VM $Vm | ForEach-Object { ConvertTo-GpuPvAdapter $_ })
    }
    $checkpoints = @(Get-VMSnapshot -VM $Vm | Sort-Object -Property 'CreationTime' | ForEach-Object { ConvertTo-GpuPvCheckpoint $_ })
    $services = @(Get-VMIntegrationService -VM $Vm | ForEach-Object {
            [ordered]@{ id = [string]$_.Id; name = [string]$_.Name; enabled = [bool]$_.Enabled; status = [string](Get-GpuPvProp $_ 'PrimaryStatusDescription') }
        })
    $uptime = Get-GpuPvProp $Vm 'Uptime'
    $uptimeSeconds = 0
    if ($uptime -is [timespan]) { $uptimeSeconds = [int64][math]::Floor($uptime.TotalSeconds) }
    return [ordered]@{
        id                        = [string]$Vm.Id
        name                      = [string]$Vm.Name
        state                     = [string]$Vm.State
        cpuUsage                  = Get-GpuPvProp $Vm 'CPUUsage'
        memoryAssigned            = Get-GpuPvProp $Vm 'MemoryAssigned'
        uptimeSeconds             = $uptimeSeconds
        generation                = Get-GpuPvProp $Vm 'Generation'
        version                   = [string](Get-GpuPvProp $Vm 'Version')
        automaticStopAction       = [string](Get-GpuPvProp $Vm 'AutomaticStopAction')
        guestControlledCacheTypes = Get-GpuPvProp $Vm 'GuestControlledCacheTypes'
        lowMmioGapSize            = Get-GpuPvProp $Vm 'LowMemoryMappedIoSpace'
        highMmioGapSize           = Get-GpuPvProp $Vm 'HighMemoryMappedIoSpace'
        gpuPartitions             = $adapters
        checkpoints               = $checkpoints
        integrationServices       = $services
    }
}

# Per-instance GPU engine counters of the previous inventory call (instance name -> running
# time and time stamp, both in 100 ns): utilization is the running time between two calls over
# the time between them, as Task Manager computes it. The session's process lives as long as
# the view polls, so each refresh takes one sample; the first one only sets the baseline.
$script:GpuEngineBaseline = @{}
# The worker processes of the previous call: a VM whose process was there is measured now,
# even where an engine appears for the first time (that engine just has no rate yet).
$script:GpuSampledProcesses = @{}
$script:GpuInstancePattern = '^pid_(\d+)_luid_(0x[0-9A-Fa-f]+_0x[0-9A-Fa-f]+)_phys_(\d+)(?:_eng_(\d+)_engtype_(.+))?$'
$script:GuidPattern = '[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}'

function Get-GpuPvVmGpuLoads {
    # The GPU use of each VM in $Vms (running, with a GPU partition), read from the host's GPU
    # performance counters of the VM's worker process: vmwp.exe runs one per VM with the VM id
    # on its command line, and dxgkrnl accounts a partition's work to it. One query per counter
    # class serves every VM. Per engine type (3D, Copy, VideoDecode, ...) the busiest engine of
    # that type; memory summed over the adapters. Returns vm id (lower case) -> load.
    param($Vms)
    $byId = @{}
    foreach ($vm in @($Vms)) { $byId[([string]$vm.Id).ToLowerInvariant()] = $true }
    $vmOfPid = @{}
    if ($byId.Count -gt 0) {
        foreach ($process in @(Get-GpuPvPlatformVmWorkerProcess)) {
            foreach ($match in [regex]::Matches([string]$process.CommandLine, $script:GuidPattern)) {
                $id = $match.Value.ToLowerInvariant()
                if ($byId.ContainsKey($id)) { $vmOfPid[[string]$process.ProcessId] = $id; break }
            }
        }
    }
    $loads = @{}
    foreach ($processId in $vmOfPid.Keys) {
        $loads[$vmOfPid[$processId]] = [ordered]@{ sampled = $script:GpuSampledProcesses.ContainsKey($processId); engines = [ordered]@{}; dedicatedBytes = 0; sharedBytes = 0 }
    }
    $seen = @{}
    if ($vmOfPid.Count -gt 0) {
        foreach ($counter in @(Get-GpuPvPlatformGpuEngineCounters)) {
            $name = [string]$counter.Name
            $m = [regex]::Match($name, $script:GpuInstancePattern)
            if (-not $m.Success -or -not $m.Groups[5].Success -or -not $vmOfPid.ContainsKey($m.Groups[1].Value)) { continue }
            $load = $loads[$vmOfPid[$m.Groups[1].Value]]
            $type = $m.Groups[5].Value
            $now = @{ running = [double]$counter.UtilizationPercentage; at = [double]$counter.Timestamp_Sys100NS }
            $seen[$name] = $now
            if (-not $load.engines.Contains($type)) { $load.engines[$type] = $null }
            $before = $script:GpuEngineBaseline[$name]
            # A counter that went backwards belongs to a new process that reused the pid.
            if ($null -eq $before -or $now.at -le $before.at -or $now.running -lt $before.running) { continue }
            $percent = [math]::Min(100.0, 100.0 * ($now.running - $before.running) / ($now.at - $before.at))
            if ($null -eq $load.engines[$type] -or $percent -gt $load.engines[$type]) { $load.engines[$type] = $percent }
        }
        foreach ($counter in @(Get-GpuPvPlatformGpuProcessMemory)) {
            $m = [regex]::Match([string]$counter.Name, $script:GpuInstancePattern)
            if (-not $m.Success -or $m.Groups[5].Success -or -not $vmOfPid.ContainsKey($m.Groups[1].Value)) { continue }
            $load = $loads[$vmOfPid[$m.Groups[1].Value]]
            $load.dedicatedBytes += [double]$counter.DedicatedUsage
            $load.sharedBytes += [double]$counter.SharedUsage
        }
    }
    # Instances that are gone (a VM stopped) leave the baseline with them.
    $script:GpuEngineBaseline = $seen
    $script:GpuSampledProcesses = @{}
    foreach ($processId in $vmOfPid.Keys) { $script:GpuSampledProcesses[$processId] = $true }
    foreach ($load in $loads.Values) {
        $load.engines = @($load.engines.Keys | ForEach-Object {
                $percent = $load.engines[$_]
                if ($null -ne $percent) { $percent = [math]::Round($percent, 1) }
                [ordered]@{ type = $_; percent = $percent }
            })
        $load.dedicatedBytes = [int64]$load.dedicatedBytes
        $load.sharedBytes = [int64]$load.sharedBytes
    }
    return $loads
}

function Get-GpuPvPartitionableGpus {
    # Get-VMHostPartitionableGpu replaced Get-VMPartitionableGpu; older builds only have the latter.
    param([hashtable]$Target)
    if (Get-Command -Name 'Get-VMHostPartitionableGpu' -ErrorAction SilentlyContinue) { return @(Get-VMHostPartitionableGpu @Target) }
    if (Get-Command -Name 'Get-VMPartitionableGpu' -ErrorAction SilentlyContinue) { return @(Get-VMPartitionableGpu @Target) }
    return @()
}

function ConvertTo-GpuPvPnpId {
    # '\\?\PCI#VEN_..&DEV_..#4&..&0&0008#{guid}\GPUPARAV' -> 'PCI\VEN_..&DEV_..\4&..&0&0008'
    param([string]$Path)
    $s = $Path -replace '^\\\\\?\\', ''
    $cut = $s.IndexOf('#{')
    if ($cut -ge 0) { $s = $s.Substring(0, $cut) }
    return $s.Replace('#', '\').ToUpperInvariant()
}

function Select-GpuPvAdapter {
    param($Vm, [string]$AdapterId)
    $all = @(Get-VMGpuPartitionAdapter -VM $Vm)
    if ($AdapterId) {
        $hit = @($all | Where-Object { [string]$_.Id -eq $AdapterId })
        if ($hit.Count -eq 0) { throw (New-GpuPvError -Code 'InvalidParameter' -Message ("The VM has no GPU partition adapter with id '" + $AdapterId + "'.")) }
        return $hit[0]
    }
    if ($all.Count -eq 0) { throw (New-GpuPvError -Code 'InvalidParameter' -Message 'The VM has no GPU partition adapter.') }
    if ($all.Count -gt 1) { throw (New-GpuPvError -Code 'InvalidParameter' -Message 'The VM has several GPU partition adapters; pass adapterId.') }
    return $all[0]
}

# ---------------------------------------------------------------- host driver helpers

function Get-GpuPvHostDisplayDrivers {
    # Third-party (oemN.inf) display drivers of this host; those that drive a partitionable GPU
    # come first. Inbox drivers (Basic Display, Hyper-V video) are never what a guest needs.
    param([string[]]$PreferDeviceIds = @())
    $all = @(Get-GpuPvPlatformDisplayDriver | Where-Object { [string]$_.InfName -like 'oem*.inf' })
    $preferred = @($all | Where-Object { $PreferDeviceIds -contains ([string]$_.DeviceID).ToUpperInvariant() })
    $ordered = @($preferred) + @($all | Where-Object { $preferred -notcontains $_ })
    foreach ($d in $ordered) {
        [ordered]@{
            infName    = [string]$d.InfName
            version    = [string]$d.DriverVersion
            date       = Format-GpuPvDate $d.DriverDate 'yyyy-MM-dd'
            deviceName = [string]$d.DeviceName
            preferred  = ($preferred -contains $d)
        }
    }
}

function Get-GpuPvDriverStoreFolder {
    # The DriverStore\FileRepository folder of a published oemN.inf.
    param([string]$InfName)
    $windows = Get-GpuPvPlatformWindowsDirectory
    $repository = Join-Path $windows 'System32\DriverStore\FileRepository'
    if (Get-Command -Name 'Get-WindowsDriver' -ErrorAction SilentlyContinue) {
        try {
            foreach ($entry in @(Get-WindowsDriver -Online -ErrorAction Stop | Where-Object { $_.Driver -eq $InfName })) {
                $original = [string](Get-GpuPvProp $entry 'OriginalFileName')
                if ($original) {
                    $dir = Split-Path -Parent $original
                    if (Test-Path -LiteralPath $dir) { return $dir }
                }
            }
        } catch {
            # DISM unavailable or failing: fall back to comparing the .inf files below.
            $null = $_
        }
    }
    # C:\Windows\INF\oemN.inf is a byte copy of the package's .inf: find the folder holding it.
    $published = Get-Item -LiteralPath (Join-Path $windows ('INF\' + $InfName)) -ErrorAction Stop
    $hash = (Get-FileHash -LiteralPath $published.FullName -Algorithm SHA256).Hash
    foreach ($inf in @(Get-ChildItem -Path (Join-Path $repository '*\*.inf') -File -ErrorAction SilentlyContinue)) {
        if ($inf.Length -eq $published.Length) {
            if ((Get-FileHash -LiteralPath $inf.FullName -Algorithm SHA256).Hash -eq $hash) { return $inf.DirectoryName }
        }
    }
    return $null
}

function Get-GpuPvHostPackages {
    # Driver packages to mirror into guests: those of partitionable GPUs when known, else all.
    $gpuIds = @(Get-GpuPvPartitionableGpus -Target @{} | ForEach-Object { ConvertTo-GpuPvPnpId ([string]$_.Name) })
    $drivers = @(Get-GpuPvHostDisplayDrivers -PreferDeviceIds $gpuIds)
    if (@($drivers | Where-Object { $_.preferred }).Count -gt 0) { $drivers = @($drivers | Where-Object { $_.preferred }) }
    $seen = @{}
    foreach ($d in $drivers) {
        if ($seen.ContainsKey($d.infName)) { continue }
        $seen[$d.infName] = $true
        $dir = Get-GpuPvDriverStoreFolder -InfName $d.infName
        if ($dir) {
            [ordered]@{ package = (Split-Path -Leaf $dir); source = $dir; infName = $d.infName; version = $d.version; date = $d.date }
        }
    }
}

function New-GpuPvCredential {
    # The password arrives base64-encoded; it is never echoed, and the copies we control are
    # dropped as soon as the SecureString exists.
    param($Params)
    $user = Get-GpuPvString -Params $Params -Name 'credentialUser'
    $b64 = Get-GpuPvString -Params $Params -Name 'credentialPasswordB64'
    if ([string]::IsNullOrEmpty($user) -or $null -eq $b64) {
        throw (New-GpuPvError -Code 'InvalidParameter' -Message 'credentialUser and credentialPasswordB64 are required for PowerShell Direct.')
    }
    $plain = $null
    $secure = $null
    try {
        $plain = [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String($b64))
        if ($plain.Length -eq 0) { $secure = [System.Security.SecureString]::new() }
        else { $secure = ConvertTo-SecureString -String $plain -AsPlainText -Force }
    } catch {
        throw (New-GpuPvError -Code 'InvalidParameter' -Message 'credentialPasswordB64 is not valid base64.')
    } finally {
        $plain = $null
        $b64 = $null
        $Params.credentialPasswordB64 = $null
    }
    return [System.Management.Automation.PSCredential]::new($user, $secure)
}

function Find-GpuPvWindowsRoot {
    # The \Windows folder on a freshly mounted VHD; gives partitions a drive letter if needed.
    param([int]$DiskNumber)
    $disk = Get-Disk -Number $DiskNumber -ErrorAction Stop
    if ($disk.IsOffline) { Set-Disk -Number $DiskNumber -IsOffline $false -ErrorAction Stop | Out-Null }
    if ($disk.IsReadOnly) { Set-Disk -Number $DiskNumber -IsReadOnly $false -ErrorAction Stop | Out-Null }
    foreach ($part in @(Get-Partition -DiskNumber $DiskNumber -ErrorAction Stop | Sort-Object -Property 'Size' -Descending)) {
        if ([int][char]$part.DriveLetter -eq 0) {
            if (@('Basic', 'IFS') -notcontains [string]$part.Type) { continue }
            Add-PartitionAccessPath -DiskNumber $DiskNumber -PartitionNumber $part.PartitionNumber -AssignDriveLetter -ErrorAction Stop | Out-Null
            $part = Get-Partition -DiskNumber $DiskNumber -PartitionNumber $part.PartitionNumber -ErrorAction Stop
            if ([int][char]$part.DriveLetter -eq 0) { continue }
        }
        $root = [string]$part.DriveLetter + ':\Windows'
        if (Test-Path -LiteralPath (Join-Path $root 'System32\config\SYSTEM')) { return $root }
    }
    throw (New-GpuPvError -Code 'Failed' -Message 'No Windows installation was found on the VM''s first virtual disk.')
}

# ---------------------------------------------------------------- exported functions

function Get-GpuPvInventory {
    param([string]$EncodedParams = '')
    Invoke-GpuPvCall -Encoded $EncodedParams -NoHyperVCheck -Body {
        param($p, $target)
        $isRemote = $target.ContainsKey('ComputerName')
        $hasHyperV = Test-GpuPvHyperVModule
        # Remote hosts check membership themselves; a refusal surfaces as AccessDenied.
        $isAdmin = $true
        if (-not $isRemote) { $isAdmin = Test-GpuPvPlatformHyperVAdmin }
        $hostName = Get-GpuPvPlatformComputerName
        if ($isRemote) { $hostName = [string]$target.ComputerName }
        $osBuild = $null
        try {
            if ($isRemote) { $osBuild = Get-GpuPvPlatformOsBuild -ComputerName $hostName }
            else { $osBuild = Get-GpuPvPlatformOsBuild }
        } catch {
            $osBuild = $null
        }
        $vms = @()
        $rawVms = @()
        $gpus = @()
        $rawGpus = @()
        if ($hasHyperV -and $isAdmin) {
            Import-Module -Name 'Hyper-V' -ErrorAction Stop -WarningAction SilentlyContinue | Out-Null
            $hasGpuPartitions = $null -ne (Get-Command -Name 'Get-VMGpuPartitionAdapter' -ErrorAction SilentlyContinue)
            $rawVms = @(Get-VM @target | Sort-Object -Property 'Name')
            $vms = @($rawVms | ForEach-Object { ConvertTo-GpuPvVm -Vm $_ -HasGpuPartitions $hasGpuPartitions })
            if (-not $isRemote) {
                $loaded = @($vms | Where-Object { $_.state -eq 'Running' -and $_.gpuPartitions.Count -gt 0 } | ForEach-Object { [pscustomobject]@{ Id = $_.id } })
                try {
                    $loads = Get-GpuPvVmGpuLoads -Vms $loaded
                } catch {
                    # No GPU counters (an older host, a stopped performance service): no load shown.
                    $loads = @{}
                }
                foreach ($vm in $vms) {
                    $key = $vm.id.ToLowerInvariant()
                    if ($loads.ContainsKey($key)) { $vm['gpuLoad'] = $loads[$key] }
                }
            }
            $rawGpus = @(Get-GpuPvPartitionableGpus -Target $target)
            $friendly = @{}
            if (-not $isRemote) {
                try {
                    foreach ($vc in @(Get-GpuPvPlatformVideoController)) {
                        if ($vc.PNPDeviceID) { $friendly[([string]$vc.PNPDeviceID).ToUpperInvariant()] = [string]$vc.Name }
                    }
                } catch {
                    $friendly = @{}
                }
            }
            $gpus = @($rawGpus | ForEach-Object {
                    $g = $_
                    $path = [string]$g.Name
                    $pnp = ConvertTo-GpuPvPnpId $path
                    $friendlyName = $null
                    if ($friendly.ContainsKey($pnp)) { $friendlyName = $friendly[$pnp] }
                    $o = [ordered]@{
                        name                 = $path
                        instancePath         = $path
                        friendlyName         = $friendlyName
                        validPartitionCounts = @(@(Get-GpuPvProp $g 'ValidPartitionCounts') | Where-Object { $null -ne $_ } | ForEach-Object { [int]$_ })
                        partitionCount       = Get-GpuPvProp $g 'PartitionCount'
                    }
                    foreach ($res in $script:GpuPvResources) {
                        $suffix = $res
                        if ($res -eq 'VRAM') { $suffix = 'Vram' }
                        foreach ($kind in @('Total', 'Available')) {
                            $o[$kind.ToLowerInvariant() + $suffix] = Format-GpuPvValue (Get-GpuPvProp $g ($kind + $res)) $res
                        }
                        foreach ($kind in @('Min', 'Max', 'Optimal')) {
                            $o[$kind.ToLowerInvariant() + 'Partition' + $suffix] = Format-GpuPvValue (Get-GpuPvProp $g ($kind + 'Partition' + $res)) $res
                        }
                    }
                    $o
                })
        }
        $hostDriver = $null
        if (-not $isRemote) {
            try {
                $ids = @($rawGpus | ForEach-Object { ConvertTo-GpuPvPnpId ([string]$_.Name) })
                $drivers = @(Get-GpuPvHostDisplayDrivers -PreferDeviceIds $ids)
                if ($drivers.Count -gt 0) {
                    $hostDriver = [ordered]@{ version = $drivers[0].version; date = $drivers[0].date; infName = $drivers[0].infName; deviceName = $drivers[0].deviceName }
                }
            } catch {
                $hostDriver = $null
            }
        }
        $hostGpus = @()
        if ($hasHyperV -and $isAdmin -and -not $isRemote) {
            try {
                $hostGpus = @(Get-GpuPvHostGpus -Vms $rawVms -PartitionableGpus $rawGpus)
            } catch {
                # PnP and DDA cmdlets missing or refusing: the tree only lacks the DDA rows.
                $hostGpus = @()
            }
        }
        $hostInfo = [ordered]@{ name = $hostName; osBuild = $osBuild; hyperVModule = $hasHyperV; isHyperVAdmin = $isAdmin }
        if (Test-GpuPvPlatformSimulated) { $hostInfo['simulated'] = $true }
        [ordered]@{ 'host' = $hostInfo; vms = $vms; gpus = $gpus; hostGpus = $hostGpus; hostDriver = $hostDriver }
    }
}

function Invoke-GpuPvVmAction {
    param([string]$EncodedParams = '')
    Invoke-GpuPvCall -Encoded $EncodedParams -Body {
        param($p, $target)
        $action = (Get-GpuPvString -Params $p -Name 'action' -Required).ToLowerInvariant()
        if (@('start', 'shutdown', 'turnoff', 'save', 'pause', 'resume', 'restart') -notcontains $action) {
            throw (New-GpuPvError -Code 'InvalidParameter' -Message ("Unknown action '" + $action + "'."))
        }
        $vm = Get-GpuPvVm -Params $p -Target $target
        # -Force avoids interactive prompts, which would read the caller's stdin.
        switch ($action) {
            'start' { Start-VM -VM $vm | Out-Null }
            'shutdown' { Stop-VM -VM $vm -Force | Out-Null }
            'turnoff' { Stop-VM -VM $vm -TurnOff -Force | Out-Null }
            'save' { Save-VM -VM $vm | Out-Null }
            'pause' { Suspend-VM -VM $vm | Out-Null }
            'resume' { Resume-VM -VM $vm | Out-Null }
            'restart' { Restart-VM -VM $vm -Force | Out-Null }
        }
        $fresh = Get-VM -Id $vm.Id @target
        [ordered]@{ id = [string]$fresh.Id; name = [string]$fresh.Name; state = [string]$fresh.State }
    }
}

function Set-GpuPvPartition {
    param([string]$EncodedParams = '')
    Invoke-GpuPvCall -Encoded $EncodedParams -Body {
        param($p, $target)
        $values = Get-GpuPvParam -Params $p -Name 'values'
        if (-not ($values -is [System.Management.Automation.PSCustomObject])) {
            throw (New-GpuPvError -Code 'InvalidParameter' -Message "Parameter 'values' must be an object such as { minVram, maxVram, optimalVram }.")
        }
        # JSON key (minVram, optimalEncode, ...) -> cmdlet parameter (MinPartitionVRAM, ...).
        $names = @{}
        foreach ($res in $script:GpuPvResources) {
            $suffix = $res
            if ($res -eq 'VRAM') { $suffix = 'Vram' }
            foreach ($kind in @('Min', 'Max', 'Optimal')) { $names[$kind.ToLowerInvariant() + $suffix] = $kind + 'Partition' + $res }
        }
        $settings = @{}
        foreach ($prop in @($values.PSObject.Properties)) {
            if (-not $names.ContainsKey($prop.Name)) {
                throw (New-GpuPvError -Code 'InvalidParameter' -Message ("Unknown partition value '" + $prop.Name + "'."))
            }
            if ($null -ne $prop.Value) { $settings[$names[$prop.Name]] = ConvertTo-GpuPvUInt64 $prop.Value $prop.Name }
        }
        if ($settings.Count -eq 0) { throw (New-GpuPvError -Code 'InvalidParameter' -Message 'No partition values were given.') }
        $vm = Get-GpuPvVm -Params $p -Target $target
        $adapter = Select-GpuPvAdapter -Vm $vm -AdapterId (Get-GpuPvString -Params $p -Name 'adapterId')
        $id = [string]$adapter.Id
        Set-VMGpuPartitionAdapter -VMGpuPartitionAdapter $adapter @settings | Out-Null
        ConvertTo-GpuPvAdapter (Select-GpuPvAdapter -Vm $vm -AdapterId $id)
    }
}

function Add-GpuPvPartition {
    param([string]$EncodedParams = '')
    Invoke-GpuPvCall -Encoded $EncodedParams -Body {
        param($p, $target)
        $vm = Get-GpuPvVm -Params $p -Target $target
        $before = @(Get-VMGpuPartitionAdapter -VM $vm | ForEach-Object { [string]$_.Id })
        $extra = @{}
        $instancePath = Get-GpuPvString -Params $p -Name 'instancePath'
        if ($instancePath) { $extra.InstancePath = $instancePath }
        Add-VMGpuPartitionAdapter -VM $vm @extra | Out-Null
        # The new adapter is the one whose id was not there before.
        $after = @(Get-VMGpuPartitionAdapter -VM $vm)
        $new = @($after | Where-Object { $before -notcontains [string]$_.Id })
        if ($new.Count -eq 0) { $new = $after }
        if ($new.Count -eq 0) { throw (New-GpuPvError -Code 'Failed' -Message 'The GPU partition adapter was not added.') }
        ConvertTo-GpuPvAdapter $new[$new.Count - 1]
    }
}

function Remove-GpuPvPartition {
    # Without adapterId every adapter of the VM is removed (the cmdlet's own behaviour).
    param([string]$EncodedParams = '')
    Invoke-GpuPvCall -Encoded $EncodedParams -Body {
        param($p, $target)
        $vm = Get-GpuPvVm -Params $p -Target $target
        $adapterId = Get-GpuPvString -Params $p -Name 'adapterId'
        $victims = @()
        if ($adapterId) { $victims = @(Select-GpuPvAdapter -Vm $vm -AdapterId $adapterId) }
        else { $victims = @(Get-VMGpuPartitionAdapter -VM $vm) }
        $removed = New-Object -TypeName 'System.Collections.Generic.List[string]'
        foreach ($adapter in $victims) {
            $removedId = [string]$adapter.Id
            Remove-VMGpuPartitionAdapter -VMGpuPartitionAdapter $adapter -Confirm:$false | Out-Null
            $removed.Add($removedId)
        }
        [ordered]@{ removed = $removed.ToArray() }
    }
}

function Set-GpuPvVmForGpuP {
    # Prepares a VM for GPU-P. Only given settings are considered; guest-controlled cache types
    # are always turned on (GPU-P needs them). staticMemory=false leaves memory as it is.
    param([string]$EncodedParams = '')
    Invoke-GpuPvCall -Encoded $EncodedParams -Body {
        param($p, $target)
        $vm = Get-GpuPvVm -Params $p -Target $target
        $dryRun = Get-GpuPvBool -Params $p -Name 'dryRun'
        $changes = New-Object -TypeName 'System.Collections.Generic.List[object]'
        $setVm = @{}
        $current = Get-GpuPvProp $vm 'GuestControlledCacheTypes'
        if ($current -ne $true) {
            $setVm.GuestControlledCacheTypes = $true
            $changes.Add([ordered]@{ setting = 'GuestControlledCacheTypes'; from = $current; to = $true })
        }
        foreach ($pair in @(@('lowMmio', 'LowMemoryMappedIoSpace'), @('highMmio', 'HighMemoryMappedIoSpace'))) {
            $raw = Get-GpuPvParam -Params $p -Name $pair[0]
            if ($null -eq $raw) { continue }
            $wanted = ConvertTo-GpuPvUInt64 $raw $pair[0]
            $current = Get-GpuPvProp $vm $pair[1]
            if ($null -eq $current -or [uint64]$current -ne $wanted) {
                $setVm[$pair[1]] = $wanted
                $changes.Add([ordered]@{ setting = $pair[1]; from = $current; to = $wanted })
            }
        }
        $stopAction = Get-GpuPvString -Params $p -Name 'automaticStopAction'
        if ($stopAction) {
            if (@('TurnOff', 'ShutDown') -notcontains $stopAction) {
                throw (New-GpuPvError -Code 'InvalidParameter' -Message "automaticStopAction must be 'TurnOff' or 'ShutDown'.")
            }
            $current = [string]$vm.AutomaticStopAction
            if ($current -ne $stopAction) {
                $setVm.AutomaticStopAction = $stopAction
                $changes.Add([ordered]@{ setting = 'AutomaticStopAction'; from = $current; to = $stopAction })
            }
        }
        $makeStatic = $false
        if (Get-GpuPvBool -Params $p -Name 'staticMemory') {
            $dynamic = [bool](Get-GpuPvProp $vm 'DynamicMemoryEnabled')
            if ($dynamic) {
                $makeStatic = $true
                $changes.Add([ordered]@{ setting = 'DynamicMemoryEnabled'; from = $true; to = $false })
            }
        }
        $applied = $false
        if (-not $dryRun -and $changes.Count -gt 0) {
            if ([string]$vm.State -ne 'Off') {
                throw (New-GpuPvError -Code 'InvalidParameter' -Message ("VM '" + $vm.Name + "' is " + [string]$vm.State + '; turn it off before changing these settings.'))
            }
            if ($setVm.Count -gt 0) { Set-VM -VM $vm @setVm | Out-Null }
            if ($makeStatic) { Set-VMMemory -VM $vm -DynamicMemoryEnabled $false | Out-Null }
            $applied = $true
        }
        [ordered]@{ changes = $changes.ToArray(); applied = $applied; dryRun = $dryRun }
    }
}

# ---------------------------------------------------------------- Discrete Device Assignment

# Microsoft's defaults for a GPU: 3 GB below 4 GB, 33280 MB above (Deploy graphics devices
# using DDA). A device whose BARs need more says so when the VM starts.
$script:GpuPvDdaLowMmio = [uint64]3GB
$script:GpuPvDdaHighMmio = [uint64]33280MB

function Get-GpuPvHostGpus {
    # The local host's PCI display devices and its dismounted devices, each in one mode:
    #   host          driven by the host, and can be assigned;
    #   partitionable GPU-P hands out partitions of it, so it cannot be assigned while any VM has one;
    #   dismounted    off the host and assigned to no VM (a failed or half-done assignment);
    #   assigned      given to a VM (vmId, vmName).
    param([object[]]$Vms, [object[]]$PartitionableGpus)
    if (-not (Get-Command -Name 'Get-VMHostAssignableDevice' -ErrorAction SilentlyContinue) -or -not (Get-Command -Name 'Get-PnpDevice' -ErrorAction SilentlyContinue)) { return @() }
    $partitionable = @{}
    foreach ($g in @($PartitionableGpus)) { $partitionable[(ConvertTo-GpuPvPnpId ([string]$g.Name))] = $true }
    $assigned = @{}
    foreach ($vm in @($Vms)) {
        foreach ($device in @(Get-VMAssignableDevice -VM $vm)) { $assigned[[string]$device.LocationPath] = @{ vm = $vm; device = $device } }
    }
    foreach ($pnp in @(Get-PnpDevice -Class 'Display' -PresentOnly)) {
        # Hyper-V's synthetic video and the Basic Display Adapter are not PCI devices.
        if ([string]$pnp.InstanceId -notlike 'PCI\*') { continue }
        $paths = @((Get-PnpDeviceProperty -InstanceId $pnp.InstanceId -KeyName 'DEVPKEY_Device_LocationPaths').Data)
        $location = ''
        foreach ($path in $paths) { if ([string]$path -like 'PCIROOT(*') { $location = [string]$path; break } }
        $mode = 'host'
        if ($partitionable.ContainsKey(([string]$pnp.InstanceId).ToUpperInvariant())) { $mode = 'partitionable' }
        [ordered]@{
            instanceId   = [string]$pnp.InstanceId
            name         = [string]$pnp.FriendlyName
            locationPath = $location
            mode         = $mode
            enabled      = ([string]$pnp.Status -ne 'Error')
            vmId         = $null
            vmName       = $null
        }
    }
    foreach ($device in @(Get-VMHostAssignableDevice)) {
        $entry = $assigned[[string]$device.LocationPath]
        $o = [ordered]@{
            instanceId   = [string]$device.InstanceID
            name         = $null
            locationPath = [string]$device.LocationPath
            mode         = 'dismounted'
            enabled      = $false
            vmId         = $null
            vmName       = $null
        }
        if ($null -ne $entry) {
            $o.mode = 'assigned'
            $o.name = [string]$entry.device.Name
            $o.vmId = [string]$entry.vm.Id
            $o.vmName = [string]$entry.vm.Name
        }
        $o
    }
}

function Find-GpuPvHostGpu {
    param([string]$LocationPath, [object[]]$Vms)
    $gpus = @(Get-GpuPvPartitionableGpus -Target @{})
    $found = @(Get-GpuPvHostGpus -Vms $Vms -PartitionableGpus $gpus | Where-Object { $_.locationPath -eq $LocationPath })
    if ($found.Count -eq 0) {
        throw (New-GpuPvError -Code 'InvalidParameter' -Message ("No PCI device of this host has the location path '" + $LocationPath + "'."))
    }
    return $found[0]
}

function Invoke-GpuPvDda {
    # Discrete Device Assignment of a whole GPU: 'assign' gives it to an off VM, 'return' gives
    # it back to the host. A dry run lists each step and changes nothing. When a step fails after
    # the device left the host, it is mounted and enabled again, and the error says so.
    param([string]$EncodedParams = '')
    Invoke-GpuPvCall -Encoded $EncodedParams -Body {
        param($p, $target)
        Assert-GpuPvLocal -Target $target -What 'Discrete Device Assignment'
        $action = (Get-GpuPvString -Params $p -Name 'action' -Required).ToLowerInvariant()
        if (@('assign', 'return') -notcontains $action) { throw (New-GpuPvError -Code 'InvalidParameter' -Message ("Unknown action '" + $action + "': use assign or return.")) }
        $locationPath = Get-GpuPvString -Params $p -Name 'locationPath' -Required
        $dryRun = Get-GpuPvBool -Params $p -Name 'dryRun'
        $force = Get-GpuPvBool -Params $p -Name 'force'
        $vms = @(Get-VM)
        $gpu = Find-GpuPvHostGpu -LocationPath $locationPath -Vms $vms
        # Assigning needs the VM named; returning acts on the VM that has the GPU, or on none
        # when a half-done assignment left it dismounted.
        $vm = $null
        if ($action -eq 'assign') { $vm = Get-GpuPvVm -Params $p -Target $target }
        elseif ($gpu.mode -eq 'assigned') { $vm = Get-VM -Id $gpu.vmId }
        $label = $gpu.name
        if (-not $label) { $label = $gpu.instanceId }
        $steps = New-Object -TypeName 'System.Collections.Generic.List[object]'
        if ($action -eq 'assign') {
            if ($gpu.mode -eq 'assigned') {
                throw (New-GpuPvError -Code 'Failed' -Message ($label + " is assigned to '" + $gpu.vmName + "' already: return it to the host first."))
            }
            if ($gpu.mode -eq 'partitionable') {
                $users = @($vms | Where-Object { @(Get-VMGpuPartitionAdapter -VM $_ | Where-Object { (ConvertTo-GpuPvPnpId ([string]$_.InstancePath)) -eq $gpu.instanceId.ToUpperInvariant() }).Count -gt 0 } | ForEach-Object { "'" + $_.Name + "'" })
                if ($users.Count -gt 0) {
                    throw (New-GpuPvError -Code 'Failed' -Message ($label + ' is partitioned with GPU-P, and ' + ($users -join ', ') + ' hold partitions of it. A GPU cannot be partitioned and assigned at once: remove those partitions first.'))
                }
            }
            $low = $script:GpuPvDdaLowMmio
            $high = $script:GpuPvDdaHighMmio
            if ($null -ne (Get-GpuPvParam -Params $p -Name 'lowMmio')) { $low = ConvertTo-GpuPvUInt64 (Get-GpuPvParam -Params $p -Name 'lowMmio') 'lowMmio' }
            if ($null -ne (Get-GpuPvParam -Params $p -Name 'highMmio')) { $high = ConvertTo-GpuPvUInt64 (Get-GpuPvParam -Params $p -Name 'highMmio') 'highMmio' }
            # A VM with an assigned device cannot be saved: Hyper-V has to turn it off.
            if ([string]$vm.AutomaticStopAction -ne 'TurnOff') { $steps.Add([ordered]@{ step = 'stopAction'; detail = "Automatic stop action: TurnOff (was $($vm.AutomaticStopAction))" }) }
            if ((Get-GpuPvProp $vm 'GuestControlledCacheTypes') -ne $true) { $steps.Add([ordered]@{ step = 'cacheTypes'; detail = 'Guest-controlled cache types: on (write-combining for the GPU''s memory)' }) }
            if ([uint64](Get-GpuPvProp $vm 'LowMemoryMappedIoSpace') -lt $low) { $steps.Add([ordered]@{ step = 'lowMmio'; detail = ('MMIO space below 4 GB: ' + ($low / 1MB) + ' MB'); value = $low }) }
            if ([uint64](Get-GpuPvProp $vm 'HighMemoryMappedIoSpace') -lt $high) { $steps.Add([ordered]@{ step = 'highMmio'; detail = ('MMIO space above 4 GB: ' + ($high / 1MB) + ' MB'); value = $high }) }
            if ($gpu.mode -eq 'host' -or $gpu.mode -eq 'partitionable') {
                if ($gpu.enabled) { $steps.Add([ordered]@{ step = 'disable'; detail = ('Disable ' + $label + ' on the host') }) }
                $how = ''
                if ($force) { $how = ' (-Force: its maker gave no directives for securing it in a VM)' }
                $steps.Add([ordered]@{ step = 'dismount'; detail = ('Dismount ' + $locationPath + ' from the host' + $how) })
            }
            $steps.Add([ordered]@{ step = 'add'; detail = ('Assign ' + $locationPath + " to '" + $vm.Name + "'") })
        } else {
            if ($gpu.mode -eq 'assigned') {
                $steps.Add([ordered]@{ step = 'remove'; detail = ('Remove ' + $locationPath + " from '" + $vm.Name + "'") })
                $steps.Add([ordered]@{ step = 'mount'; detail = ('Mount ' + $locationPath + ' on the host again') })
            } elseif ($gpu.mode -eq 'dismounted') {
                $steps.Add([ordered]@{ step = 'mount'; detail = ('Mount ' + $locationPath + ' on the host again') })
            } else {
                throw (New-GpuPvError -Code 'InvalidParameter' -Message ($label + ' is on the host already: it is assigned to no VM.'))
            }
            $steps.Add([ordered]@{ step = 'enable'; detail = 'Enable the device on the host' })
        }
        if ($dryRun) { return [ordered]@{ dryRun = $true; steps = $steps.ToArray(); device = $gpu } }
        if ($null -ne $vm -and [string]$vm.State -ne 'Off') {
            throw (New-GpuPvError -Code 'InvalidParameter' -Message ("'" + $vm.Name + "' is " + [string]$vm.State + ': a GPU is assigned and returned only while the VM is off.'))
        }
        $left = $false
        $done = New-Object -TypeName 'System.Collections.Generic.List[string]'
        try {
            foreach ($s in $steps) {
                switch ([string]$s.step) {
                    'stopAction' { Set-VM -VM $vm -AutomaticStopAction 'TurnOff' }
                    'cacheTypes' { Set-VM -VM $vm -GuestControlledCacheTypes $true }
                    'lowMmio' { Set-VM -VM $vm -LowMemoryMappedIoSpace $s.value }
                    'highMmio' { Set-VM -VM $vm -HighMemoryMappedIoSpace $s.value }
                    'disable' { Disable-PnpDevice -InstanceId $gpu.instanceId -Confirm:$false; $left = $true }
                    'dismount' {
                        $dismount = @{ LocationPath = $locationPath }
                        if ($force) { $dismount.Force = $true }
                        Dismount-VMHostAssignableDevice @dismount
                    }
                    'add' { Add-VMAssignableDevice -VM $vm -LocationPath $locationPath }
                    'remove' { Remove-VMAssignableDevice -VM $vm -LocationPath $locationPath }
                    'mount' { Mount-VMHostAssignableDevice -LocationPath $locationPath }
                    'enable' {
                        # Mounted again, the device is back under its PCI\ instance id; which VMs
                        # have devices does not matter for finding it, so none are asked.
                        $back = @(Get-GpuPvHostGpus -Vms @() -PartitionableGpus @() | Where-Object { $_.locationPath -eq $locationPath -and $_.instanceId -like 'PCI\*' })
                        if ($back.Count -gt 0) { Enable-PnpDevice -InstanceId $back[0].instanceId -Confirm:$false }
                    }
                }
                $done.Add([string]$s.detail)
            }
        } catch {
            $failure = $_
            $message = [string]$failure.Exception.Message
            if ($message -match 'has not supplied any directives for securing') {
                $message = $label + "'s maker gives no directives for securing it inside a VM, so Hyper-V dismounts it only when forced. Assign it with force only to a VM you trust: " + $message
            } elseif ($message -match 'in use') {
                $message = 'The host still uses ' + $label + ' (close what runs on it, or disable it in Device Manager), then try again: ' + $message
            }
            $undone = @()
            if ($action -eq 'assign' -and $left) {
                # Leave the host as it was: the device mounted and enabled, assigned to nobody.
                try {
                    $now = @(Get-GpuPvHostGpus -Vms $vms -PartitionableGpus @() | Where-Object { $_.locationPath -eq $locationPath })
                    if ($now.Count -gt 0 -and $now[0].mode -eq 'assigned') { Remove-VMAssignableDevice -VM $vm -LocationPath $locationPath; $undone += 'removed it from the VM' }
                    if ($now.Count -gt 0 -and ($now[0].mode -eq 'dismounted' -or $now[0].mode -eq 'assigned')) { Mount-VMHostAssignableDevice -LocationPath $locationPath; $undone += 'mounted it on the host again' }
                    Enable-PnpDevice -InstanceId $gpu.instanceId -Confirm:$false
                    $undone += 'enabled it again'
                } catch {
                    $undone += ('could not finish putting it back: ' + $_.Exception.Message)
                }
            }
            $text = $message
            if ($done.Count -gt 0) { $text += ' Done before the failure: ' + ($done -join '; ') + '.' }
            if ($undone.Count -gt 0) { $text += ' Undone: ' + ($undone -join ', ') + '.' }
            throw (New-GpuPvError -Code 'Failed' -Message $text)
        }
        $vms = @(Get-VM)
        $after = Find-GpuPvHostGpu -LocationPath $locationPath -Vms $vms
        [ordered]@{ dryRun = $false; steps = $steps.ToArray(); device = $after }
    }
}

function Invoke-GpuPvCheckpoint {
    param([string]$EncodedParams = '')
    Invoke-GpuPvCall -Encoded $EncodedParams -Body {
        param($p, $target)
        $action = (Get-GpuPvString -Params $p -Name 'action' -Required).ToLowerInvariant()
        if (@('create', 'apply', 'delete') -notcontains $action) {
            throw (New-GpuPvError -Code 'InvalidParameter' -Message ("Unknown checkpoint action '" + $action + "'."))
        }
        $vm = Get-GpuPvVm -Params $p -Target $target
        $name = Get-GpuPvString -Params $p -Name 'name'
        if ($action -eq 'create') {
            $extra = @{}
            if ($name) { $extra.SnapshotName = $name }
            $created = @(Checkpoint-VM -VM $vm -Passthru @extra)
            if ($created.Count -eq 0) { throw (New-GpuPvError -Code 'Failed' -Message 'Hyper-V did not report the new checkpoint.') }
            $first = $created[0]
            return [ordered]@{ action = $action; checkpoint = (ConvertTo-GpuPvCheckpoint $first) }
        }
        # Prefer the id: checkpoint names need not be unique.
        $checkpointId = Get-GpuPvString -Params $p -Name 'checkpointId'
        $all = @(Get-VMSnapshot -VM $vm)
        $hits = @()
        if ($checkpointId) { $hits = @($all | Where-Object { [string]$_.Id -eq $checkpointId }) }
        elseif ($name) { $hits = @($all | Where-Object { $_.Name -eq $name }) }
        else { throw (New-GpuPvError -Code 'InvalidParameter' -Message 'Pass checkpointId (or name).') }
        if ($hits.Count -eq 0) { throw (New-GpuPvError -Code 'InvalidParameter' -Message 'No such checkpoint on this VM.') }
        if ($hits.Count -gt 1) { throw (New-GpuPvError -Code 'InvalidParameter' -Message 'Several checkpoints have this name; pass checkpointId.') }
        $info = ConvertTo-GpuPvCheckpoint $hits[0]
        if ($action -eq 'apply') { Restore-VMSnapshot -VMSnapshot $hits[0] -Confirm:$false | Out-Null }
        else { Remove-VMSnapshot -VMSnapshot $hits[0] -Confirm:$false | Out-Null }
        $fresh = Get-VM -Id $vm.Id @target
        [ordered]@{ action = $action; checkpoint = $info; state = [string]$fresh.State }
    }
}

function Enable-GpuPvGuestServices {
    # Copy-VMFile needs 'Guest Service Interface', which is off by default.
    param([string]$EncodedParams = '')
    Invoke-GpuPvCall -Encoded $EncodedParams -Body {
        param($p, $target)
        $vm = Get-GpuPvVm -Params $p -Target $target
        $find = { @(Get-VMIntegrationService -VM $vm | Where-Object { ([string]$_.Id) -like ('*' + $script:GpuPvGuestServiceId) -or $_.Name -eq 'Guest Service Interface' }) }
        $services = @(& $find)
        if ($services.Count -eq 0) { throw (New-GpuPvError -Code 'Failed' -Message 'This VM has no Guest Service Interface integration service.') }
        $changed = -not [bool]$services[0].Enabled
        if ($changed) { Enable-VMIntegrationService -VMIntegrationService $services[0] | Out-Null }
        $svc = @(& $find)[0]
        [ordered]@{ name = [string]$svc.Name; enabled = [bool]$svc.Enabled; status = [string](Get-GpuPvProp $svc 'PrimaryStatusDescription'); changed = $changed }
    }
}

function Get-GpuPvCopyPlan {
    # Every file of every package, with the folders to create, so progress can count files and
    # a cancellation can stop between two of them.
    param($Packages)
    $plan = New-Object -TypeName 'System.Collections.Generic.List[object]'
    foreach ($pkg in $Packages) {
        $root = [string]$pkg.source
        $files = @(Get-ChildItem -LiteralPath $root -Recurse -File -Force | ForEach-Object {
                [pscustomobject]@{ path = $_.FullName; relative = $_.FullName.Substring($root.Length).TrimStart([char[]]'\/'); size = [int64]$_.Length }
            })
        $dirs = @(Get-ChildItem -LiteralPath $root -Recurse -Directory -Force | ForEach-Object { $_.FullName.Substring($root.Length).TrimStart([char[]]'\/') })
        $plan.Add([pscustomobject]@{ package = [string]$pkg.package; files = $files; dirs = $dirs })
    }
    return $plan
}

function Write-GpuPvProgress {
    # The caller polls this file; a failed write must never fail the copy itself.
    param([string]$Path, $State)
    if (-not $Path) { return }
    try {
        $json = ConvertTo-Json -InputObject $State -Depth 3 -Compress
        [System.IO.File]::WriteAllText($Path, $json, [System.Text.UTF8Encoding]::new($false))
    } catch {
        $null = $_
    }
}

function Assert-GpuPvNotCancelled {
    # The caller asks for a stop by creating this file; checked between two files.
    param([string]$CancelFile, $State)
    if ($CancelFile -and (Test-Path -LiteralPath $CancelFile)) {
        throw (New-GpuPvError -Code 'Cancelled' -Message ('Cancelled after ' + $State.filesDone + ' of ' + $State.filesTotal + ' files; the guest keeps the driver packages it had.'))
    }
}

function Copy-GpuPvPackagesOffline {
    # The host's driver packages into the HostDriverStore of a Windows folder on a mounted
    # disk, each through '<package>.gpupv-partial' renamed into place once complete; a cancel
    # between two files, or a failure, leaves no partial package behind.
    param($Plan, [string]$Windows, $Progress, [string]$ProgressFile, [string]$CancelFile)
    $repo = Join-Path $Windows 'System32\HostDriverStore\FileRepository'
    New-Item -ItemType Directory -Path $repo -Force | Out-Null
    try {
        foreach ($item in $Plan) {
            $Progress.package = $item.package
            $staging = Join-Path $repo ($item.package + '.gpupv-partial')
            if (Test-Path -LiteralPath $staging) { Remove-Item -LiteralPath $staging -Recurse -Force }
            New-Item -ItemType Directory -Path $staging -Force | Out-Null
            foreach ($d in $item.dirs) { New-Item -ItemType Directory -Path (Join-Path $staging $d) -Force | Out-Null }
            foreach ($f in $item.files) {
                Assert-GpuPvNotCancelled -CancelFile $CancelFile -State $Progress
                Copy-Item -LiteralPath $f.path -Destination (Join-Path $staging $f.relative) -Force
                $Progress.filesDone++
                $Progress.bytesDone += $f.size
                Write-GpuPvProgress -Path $ProgressFile -State $Progress
            }
            $final = Join-Path $repo $item.package
            if (Test-Path -LiteralPath $final) { Remove-Item -LiteralPath $final -Recurse -Force }
            Rename-Item -LiteralPath $staging -NewName $item.package
        }
    } finally {
        Get-ChildItem -LiteralPath $repo -Directory -Filter '*.gpupv-partial' -ErrorAction SilentlyContinue | Remove-Item -Recurse -Force -ErrorAction SilentlyContinue
    }
}

function Sync-GpuPvHostDriver {
    # Mirrors the host's display driver package(s) into the guest's HostDriverStore, through
    # PowerShell Direct for a running VM or by mounting the first virtual disk of an off VM.
    # Each package is copied into '<package>.gpupv-partial' and renamed into place only when
    # complete, so a cancellation, a failure or a guest that goes away mid-copy never leaves a
    # half-copied package where Windows would load it.
    param([string]$EncodedParams = '')
    Invoke-GpuPvCall -Encoded $EncodedParams -Body {
        param($p, $target)
        Assert-GpuPvLocal -Target $target -What 'Driver sync'
        $vm = Get-GpuPvVm -Params $p -Target $target
        $mode = Get-GpuPvString -Params $p -Name 'mode'
        if (-not $mode) { $mode = 'auto' }
        $mode = $mode.ToLowerInvariant()
        if (@('auto', 'direct', 'offline') -notcontains $mode) { throw (New-GpuPvError -Code 'InvalidParameter' -Message "mode must be auto, direct or offline.") }
        $state = [string]$vm.State
        if ($mode -eq 'auto') {
            if ($state -eq 'Running') { $mode = 'direct' } elseif ($state -eq 'Off') { $mode = 'offline' }
            else { throw (New-GpuPvError -Code 'InvalidParameter' -Message ("VM is " + $state + '; start it or turn it off before syncing drivers.')) }
        }
        if ($mode -eq 'direct' -and $state -ne 'Running') { throw (New-GpuPvError -Code 'InvalidParameter' -Message 'Direct mode needs a running VM.') }
        if ($mode -eq 'offline' -and $state -ne 'Off') { throw (New-GpuPvError -Code 'InvalidParameter' -Message 'Offline mode needs the VM to be turned off.') }
        $progressFile = Get-GpuPvString -Params $p -Name 'progressFile'
        $cancelFile = Get-GpuPvString -Params $p -Name 'cancelFile'
        $packages = @(Get-GpuPvHostPackages)
        if ($packages.Count -eq 0) { throw (New-GpuPvError -Code 'Failed' -Message 'No third-party display driver package was found on this host.') }
        $plan = @(Get-GpuPvCopyPlan -Packages $packages)
        $progress = [ordered]@{ phase = 'copying'; package = $null; filesDone = 0; filesTotal = 0; bytesDone = [int64]0; bytesTotal = [int64]0 }
        foreach ($item in $plan) {
            $progress.filesTotal += $item.files.Count
            foreach ($f in $item.files) { $progress.bytesTotal += $f.size }
        }
        Write-GpuPvProgress -Path $progressFile -State $progress
        if ($mode -eq 'direct') {
            $credential = New-GpuPvCredential -Params $p
            $session = $null
            $guestRepo = $null
            try {
                $session = New-PSSession -VMId $vm.Id -Credential $credential
                $guestRepo = [string]@(Invoke-Command -Session $session -ScriptBlock {
                        $dir = Join-Path $env:SystemRoot 'System32\HostDriverStore\FileRepository'
                        New-Item -ItemType Directory -Path $dir -Force | Out-Null
                        $dir
                    })[0]
                foreach ($item in $plan) {
                    $progress.package = $item.package
                    $staging = Join-Path $guestRepo ($item.package + '.gpupv-partial')
                    Invoke-Command -Session $session -ArgumentList $staging, $item.dirs -ScriptBlock {
                        param($Staging, $Dirs)
                        if (Test-Path -LiteralPath $Staging) { Remove-Item -LiteralPath $Staging -Recurse -Force }
                        New-Item -ItemType Directory -Path $Staging -Force | Out-Null
                        foreach ($d in @($Dirs)) { New-Item -ItemType Directory -Path (Join-Path $Staging $d) -Force | Out-Null }
                    }
                    foreach ($f in $item.files) {
                        Assert-GpuPvNotCancelled -CancelFile $cancelFile -State $progress
                        Copy-Item -LiteralPath $f.path -Destination (Join-Path $staging $f.relative) -ToSession $session -Force
                        $progress.filesDone++
                        $progress.bytesDone += $f.size
                        Write-GpuPvProgress -Path $progressFile -State $progress
                    }
                    Invoke-Command -Session $session -ArgumentList $guestRepo, $item.package -ScriptBlock {
                        param($Repo, $Package)
                        $final = Join-Path $Repo $Package
                        if (Test-Path -LiteralPath $final) { Remove-Item -LiteralPath $final -Recurse -Force }
                        Rename-Item -LiteralPath (Join-Path $Repo ($Package + '.gpupv-partial')) -NewName $Package
                    }
                }
            } finally {
                if ($null -ne $session -and $null -ne $guestRepo) {
                    # Best effort: the guest may be gone, which is why we are here.
                    try {
                        Invoke-Command -Session $session -ArgumentList $guestRepo -ErrorAction Stop -ScriptBlock {
                            param($Repo)
                            Get-ChildItem -LiteralPath $Repo -Directory -Filter '*.gpupv-partial' | Remove-Item -Recurse -Force
                        }
                    } catch {
                        $null = $_
                    }
                }
                if ($null -ne $session) { Remove-PSSession -Session $session -ErrorAction SilentlyContinue }
            }
        } else {
            $disk = @(Get-VMHardDiskDrive -VM $vm | Where-Object { $_.Path } | Sort-Object -Property 'ControllerType', 'ControllerNumber', 'ControllerLocation')
            if ($disk.Count -eq 0) { throw (New-GpuPvError -Code 'Failed' -Message 'The VM has no virtual hard disk.') }
            $vhdPath = [string]$disk[0].Path
            $mounted = $false
            $dismountError = $null
            try {
                $vhd = Mount-VHD -Path $vhdPath -Passthru
                $mounted = $true
                $windows = Find-GpuPvWindowsRoot -DiskNumber ([int]$vhd.DiskNumber)
                Copy-GpuPvPackagesOffline -Plan $plan -Windows $windows -Progress $progress -ProgressFile $progressFile -CancelFile $cancelFile
            } finally {
                # Always dismount: a disk left mounted keeps the VM from starting.
                if ($mounted) {
                    try { Dismount-VHD -Path $vhdPath -ErrorAction Stop } catch { $dismountError = $_ }
                }
            }
            if ($null -ne $dismountError) { throw $dismountError }
        }
        $progress.phase = 'done'
        Write-GpuPvProgress -Path $progressFile -State $progress
        [ordered]@{
            package     = $packages[0].package
            packages    = @($packages | ForEach-Object { $_.package })
            version     = $packages[0].version
            filesCopied = $progress.filesDone
            bytes       = $progress.bytesDone
            mode        = $mode
        }
    }
}

function Get-GpuPvGuestDriverInfo {
    # Reads DriverVer from each package .inf in the guest's HostDriverStore plus the guest's
    # display adapters (ConfigManagerErrorCode 43 = the classic version-mismatch symptom).
    param([string]$EncodedParams = '')
    Invoke-GpuPvCall -Encoded $EncodedParams -Body {
        param($p, $target)
        Assert-GpuPvLocal -Target $target -What 'PowerShell Direct'
        $vm = Get-GpuPvVm -Params $p -Target $target
        if ([string]$vm.State -ne 'Running') { throw (New-GpuPvError -Code 'InvalidParameter' -Message 'The VM must be running to read its drivers.') }
        $credential = New-GpuPvCredential -Params $p
        $raw = Invoke-Command -VMId $vm.Id -Credential $credential -ScriptBlock {
            $repo = Join-Path $env:SystemRoot 'System32\HostDriverStore\FileRepository'
            $found = @()
            if (Test-Path -LiteralPath $repo) {
                $found = @(Get-ChildItem -LiteralPath $repo -Directory | ForEach-Object {
                        $version = $null
                        $date = $null
                        $inf = @(Get-ChildItem -LiteralPath $_.FullName -Filter '*.inf' -File) | Select-Object -First 1
                        if ($null -ne $inf) {
                            $m = [regex]::Match([System.IO.File]::ReadAllText($inf.FullName), '(?im)^\s*DriverVer\s*=\s*([0-9/]+)\s*,\s*([0-9.]+)')
                            if ($m.Success) { $date = $m.Groups[1].Value; $version = $m.Groups[2].Value }
                        }
                        [pscustomobject]@{ package = $_.Name; version = $version; date = $date }
                    })
            }
            $adapters = @(Get-CimInstance -ClassName 'Win32_VideoController' | ForEach-Object {
                    [pscustomobject]@{ name = [string]$_.Name; driverVersion = [string]$_.DriverVersion; errorCode = $_.ConfigManagerErrorCode }
                })
            [pscustomobject]@{ packages = $found; adapters = $adapters }
        }
        $guest = @($raw)[@($raw).Count - 1]
        if ($null -eq $guest) { throw (New-GpuPvError -Code 'Failed' -Message 'The guest returned no driver information.') }
        $packages = @(@($guest.packages) | Where-Object { $null -ne $_ } | ForEach-Object {
                $date = $_.date
                $parsed = [datetime]::MinValue
                if ($date -and [datetime]::TryParseExact([string]$date, [string[]]@('MM/dd/yyyy', 'M/d/yyyy'), $script:GpuPvInvariant, [System.Globalization.DateTimeStyles]::None, [ref]$parsed)) {
                    $date = $parsed.ToString('yyyy-MM-dd', $script:GpuPvInvariant)
                }
                [ordered]@{ package = [string]$_.package; version = $_.version; date = $date }
            })
        $adapters = @(@($guest.adapters) | Where-Object { $null -ne $_ } | ForEach-Object {
                [ordered]@{ name = [string]$_.name; driverVersion = [string]$_.driverVersion; errorCode = $_.errorCode }
            })
        # Match against the host package: same folder name = identical package; same .inf base
        # name (e.g. 'nv_dispi') = same driver family, possibly another version.
        $hostPackage = $null
        try { $hostPackage = @(Get-GpuPvHostPackages) | Select-Object -First 1 } catch { $hostPackage = $null }
        $match = $null
        $inSync = $null
        if ($null -ne $hostPackage) {
            $exact = @($packages | Where-Object { $_.package -eq $hostPackage.package })
            $base = $hostPackage.package -replace '\.inf_.*$', ''
            $family = @($packages | Where-Object { ($_.package -replace '\.inf_.*$', '') -eq $base })
            if ($exact.Count -gt 0) { $match = $exact[0] } elseif ($family.Count -gt 0) { $match = $family[0] }
            $inSync = ($exact.Count -gt 0)
        }
        $result = [ordered]@{ package = $null; version = $null; date = $null; hostPackage = $null; hostVersion = $null; inSync = $inSync; packages = $packages; adapters = $adapters }
        if ($null -ne $match) { $result.package = $match.package; $result.version = $match.version; $result.date = $match.date }
        if ($null -ne $hostPackage) { $result.hostPackage = $hostPackage.package; $result.hostVersion = $hostPackage.version }
        $result
    }
}

# ---------------------------------------------------------------- a new GPU-P VM

# What Windows needs of a new VM, and what GPU-P needs of any VM (as Set-GpuPvVmForGpuP sets it).
$script:GpuPvNewVmMinMemory = [uint64]2GB
$script:GpuPvWindows11Build = 22000
$script:GpuPvWindows11MinDisk = [uint64]64GB
$script:GpuPvGpuPLowMmio = [uint64]1GB
$script:GpuPvGpuPHighMmio = [uint64]32GB
# GPT partition types of a UEFI Windows disk.
$script:GpuPvEfiType = '{c12a7328-f81f-11d2-ba4b-00a0c93ec93b}'
$script:GpuPvMsrType = '{e3c9e316-0b5c-4db8-817d-f92df00215ae}'

function Get-GpuPvImageFile {
    # sources\install.wim, else sources\install.esd, on a mounted ISO's drive.
    param([string]$Drive, [string]$IsoPath)
    foreach ($name in @('install.wim', 'install.esd')) {
        $path = $Drive + ':\sources\' + $name
        if (Test-Path -LiteralPath $path) { return $path }
    }
    throw (New-GpuPvError -Code 'InvalidParameter' -Message ("'" + $IsoPath + "' is not a Windows installation ISO: it has no sources\install.wim or sources\install.esd."))
}

function Mount-GpuPvIso {
    # Mounts an ISO read-only; returns its drive letter.
    param([string]$IsoPath)
    $image = Mount-DiskImage -ImagePath $IsoPath -Access 'ReadOnly' -StorageType 'ISO' -PassThru
    $letter = [string](@($image | Get-Volume)[0].DriveLetter)
    if (-not $letter) {
        Dismount-DiskImage -ImagePath $IsoPath | Out-Null
        throw (New-GpuPvError -Code 'Failed' -Message ("'" + $IsoPath + "' was mounted but got no drive letter."))
    }
    return $letter
}

function ConvertTo-GpuPvWindowsImage {
    param($Image)
    $build = [int](Get-GpuPvProp $Image 'Build')
    return [ordered]@{
        index     = [int]$Image.ImageIndex
        name      = [string]$Image.ImageName
        editionId = [string](Get-GpuPvProp $Image 'EditionId')
        version   = [string](Get-GpuPvProp $Image 'Version')
        build     = $build
        # Windows 11 refuses to install without TPM 2.0 and Secure Boot.
        needsTpm  = ($build -ge $script:GpuPvWindows11Build)
    }
}

function Read-GpuPvWindowsImages {
    param([string]$ImageFile)
    foreach ($listed in @(Get-WindowsImage -ImagePath $ImageFile)) {
        ConvertTo-GpuPvWindowsImage (Get-WindowsImage -ImagePath $ImageFile -Index ([uint32]$listed.ImageIndex))
    }
}

function Get-GpuPvNewVmOptions {
    # What the New GPU-P VM wizard offers: the editions on an ISO (when isoPath is given),
    # where Hyper-V keeps new disks, the virtual switches, and the host's processors and memory.
    param([string]$EncodedParams = '')
    Invoke-GpuPvCall -Encoded $EncodedParams -Body {
        param($p, $target)
        Assert-GpuPvLocal -Target $target -What 'Creating a GPU-P VM'
        $vmHost = Get-VMHost
        $images = @()
        $imageFile = $null
        $isoPath = Get-GpuPvString -Params $p -Name 'isoPath'
        if ($isoPath) {
            $drive = Mount-GpuPvIso -IsoPath $isoPath
            try {
                $imageFile = Get-GpuPvImageFile -Drive $drive -IsoPath $isoPath
                $images = @(Read-GpuPvWindowsImages -ImageFile $imageFile)
                $imageFile = Split-Path -Leaf $imageFile
            } finally {
                Dismount-DiskImage -ImagePath $isoPath | Out-Null
            }
        }
        [ordered]@{
            vhdFolder         = [string]$vmHost.VirtualHardDiskPath
            switches          = @(Get-VMSwitch | ForEach-Object { [string]$_.Name })
            logicalProcessors = [int]$vmHost.LogicalProcessorCount
            memoryBytes       = [int64]$vmHost.MemoryCapacity
            imageFile         = $imageFile
            images            = @($images)
        }
    }
}

function ConvertTo-GpuPvFileName {
    # A VM name as a file name: Windows forbids \ / : * ? " < > | and control characters in one.
    param([string]$Name)
    $safe = [regex]::Replace($Name, '[\\/:*?"<>|\x00-\x1f]', '_').Trim().TrimEnd('.')
    if (-not $safe) { $safe = 'gpu-p-vm' }
    return $safe
}

function Get-GpuPvAnswerFile {
    # The answer file's account, checked the way Windows Setup would reject it, or $null.
    param($Params)
    $answer = Get-GpuPvParam -Params $Params -Name 'answerFile'
    if ($null -eq $answer) { return $null }
    $user = Get-GpuPvString -Params $answer -Name 'userName' -Required
    $computer = Get-GpuPvString -Params $answer -Name 'computerName' -Required
    $b64 = Get-GpuPvString -Params $answer -Name 'passwordB64'
    if ($user.Length -gt 20 -or $user -match '["/\\\[\]:;|=,+*?<>@]' -or $user.Trim().Length -eq 0 -or $user.Trim('.').Length -eq 0) {
        throw (New-GpuPvError -Code 'InvalidParameter' -Message ("'" + $user + "' cannot be a Windows account name: at most 20 characters, none of "" / \ [ ] : ; | = , + * ? < > @, and not only dots or spaces."))
    }
    if ($computer -notmatch '^[A-Za-z0-9-]{1,15}$' -or $computer -match '^[0-9]+$') {
        throw (New-GpuPvError -Code 'InvalidParameter' -Message ("'" + $computer + "' cannot be a computer name: 1 to 15 letters, digits and hyphens, not only digits."))
    }
    $password = $null
    try {
        $password = [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String([string]$b64))
    } catch {
        throw (New-GpuPvError -Code 'InvalidParameter' -Message 'answerFile.passwordB64 is not valid base64.')
    } finally {
        $answer.passwordB64 = $null
    }
    # PowerShell Direct signs in only with an account that has a password.
    if ($password.Length -eq 0) { throw (New-GpuPvError -Code 'InvalidParameter' -Message 'The answer file''s account needs a password: PowerShell Direct does not sign in without one.') }
    return [pscustomobject]@{ userName = $user; computerName = $computer; password = $password }
}

function Write-GpuPvAnswerFile {
    # Windows\Panther\unattend.xml, which Windows Setup reads on the first boot of an applied
    # image: the computer name, OOBE's pages skipped, one local administrator. Written with an
    # XmlWriter, so every value is text in the XML whatever it holds. The password is stored
    # the way Windows System Image Manager hides it (base64 of UTF-16LE password + 'Password');
    # Setup replaces it with *SENSITIVE*DATA*DELETED* once used.
    param([string]$Windows, $Answer)
    $panther = Join-Path $Windows 'Panther'
    New-Item -ItemType Directory -Path $panther -Force | Out-Null
    # .NET opens files by provider path: resolve the drive (E:\) as PowerShell sees it.
    $path = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath((Join-Path $panther 'unattend.xml'))
    $ns = 'urn:schemas-microsoft-com:unattend'
    $wcm = 'http://schemas.microsoft.com/WMIConfig/2002/State'
    $settings = [System.Xml.XmlWriterSettings]::new()
    $settings.Indent = $true
    $settings.Encoding = [System.Text.UTF8Encoding]::new($false)
    $stream = [System.IO.File]::Create($path)
    $xml = [System.Xml.XmlWriter]::Create($stream, $settings)
    try {
        $component = {
            param([string]$Name)
            $xml.WriteStartElement('component', $ns)
            $xml.WriteAttributeString('name', $Name)
            $xml.WriteAttributeString('processorArchitecture', 'amd64')
            $xml.WriteAttributeString('publicKeyToken', '31bf3856ad364e35')
            $xml.WriteAttributeString('language', 'neutral')
            $xml.WriteAttributeString('versionScope', 'nonSxS')
        }
        $xml.WriteStartDocument()
        $xml.WriteStartElement('unattend', $ns)
        $xml.WriteAttributeString('xmlns', 'wcm', $null, $wcm)
        $xml.WriteStartElement('settings', $ns)
        $xml.WriteAttributeString('pass', 'specialize')
        & $component 'Microsoft-Windows-Shell-Setup'
        $xml.WriteElementString('ComputerName', $ns, $Answer.computerName)
        $xml.WriteEndElement()
        $xml.WriteEndElement()
        $xml.WriteStartElement('settings', $ns)
        $xml.WriteAttributeString('pass', 'oobeSystem')
        & $component 'Microsoft-Windows-Shell-Setup'
        $xml.WriteStartElement('OOBE', $ns)
        foreach ($skip in @('HideEULAPage', 'HideLocalAccountScreen', 'HideOEMRegistrationScreen', 'HideOnlineAccountScreens', 'HideWirelessSetupInOOBE')) { $xml.WriteElementString($skip, $ns, 'true') }
        $xml.WriteElementString('ProtectYourPC', $ns, '3')
        $xml.WriteEndElement()
        $xml.WriteStartElement('UserAccounts', $ns)
        $xml.WriteStartElement('LocalAccounts', $ns)
        $xml.WriteStartElement('LocalAccount', $ns)
        $xml.WriteAttributeString('action', $wcm, 'add')
        $xml.WriteStartElement('Password', $ns)
        $xml.WriteElementString('Value', $ns, [System.Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes($Answer.password + 'Password')))
        $xml.WriteElementString('PlainText', $ns, 'false')
        $xml.WriteEndElement()
        $xml.WriteElementString('Group', $ns, 'Administrators')
        $xml.WriteElementString('Name', $ns, $Answer.userName)
        $xml.WriteEndElement()
        $xml.WriteEndElement()
        $xml.WriteEndElement()
        $xml.WriteEndElement()
        $xml.WriteEndElement()
        $xml.WriteEndElement()
        $xml.WriteEndDocument()
    } finally {
        $xml.Dispose()
        $stream.Dispose()
    }
}

function Invoke-GpuPvBcdBoot {
    # Makes the disk bootable on UEFI: the boot manager and its BCD store onto the EFI partition.
    param([string]$Windows, [string]$SystemDrive)
    $ErrorActionPreference = 'Continue'
    $global:LASTEXITCODE = 0
    $lines = @(& 'bcdboot.exe' $Windows '/s' ($SystemDrive + ':') '/f' 'UEFI' 2>&1 | ForEach-Object { [string]$_ })
    if ([int]$global:LASTEXITCODE -ne 0) {
        throw (New-GpuPvError -Code 'Failed' -Message ('bcdboot could not make the disk bootable (exit code ' + $global:LASTEXITCODE + '): ' + (($lines -join ' ').Trim())))
    }
}

function Initialize-GpuPvWindowsDisk {
    # A blank mounted disk laid out as Windows Setup lays out a UEFI disk: EFI system partition
    # (FAT32), MSR, and the Windows partition (NTFS). Returns both drive letters.
    param([int]$DiskNumber)
    Initialize-Disk -Number $DiskNumber -PartitionStyle 'GPT' | Out-Null
    $efi = New-Partition -DiskNumber $DiskNumber -Size 100MB -GptType $script:GpuPvEfiType -AssignDriveLetter
    $efi | Format-Volume -FileSystem 'FAT32' -NewFileSystemLabel 'System' -Force | Out-Null
    New-Partition -DiskNumber $DiskNumber -Size 16MB -GptType $script:GpuPvMsrType | Out-Null
    $windows = New-Partition -DiskNumber $DiskNumber -UseMaximumSize -AssignDriveLetter
    $windows | Format-Volume -FileSystem 'NTFS' -NewFileSystemLabel 'Windows' -Force | Out-Null
    return [pscustomobject]@{ system = [string]$efi.DriveLetter; windows = [string]$windows.DriveLetter }
}

function New-GpuPvVm {
    # A new generation 2 VM with a GPU partition, from a Windows ISO (its image applied to a new
    # disk, made bootable) or from a copy of an existing VHDX; the host's GPU driver copied onto
    # the disk offline, an answer file if asked, then the VM made and prepared for GPU-P.
    # A dry run lists every step and setting and creates nothing (it reads the ISO's editions).
    # A cancel (cancelFile) is honoured between steps and between the driver's files; a cancel
    # or a failure removes what was made and says so.
    param([string]$EncodedParams = '')
    Invoke-GpuPvCall -Encoded $EncodedParams -Body {
        param($p, $target)
        Assert-GpuPvLocal -Target $target -What 'Creating a GPU-P VM'
        $name = Get-GpuPvString -Params $p -Name 'name' -Required
        if ($name.Trim().Length -eq 0 -or $name.Length -gt 100) { throw (New-GpuPvError -Code 'InvalidParameter' -Message 'A VM name has 1 to 100 characters and is not only spaces.') }
        $isoPath = Get-GpuPvString -Params $p -Name 'isoPath'
        $sourceVhd = Get-GpuPvString -Params $p -Name 'vhdxPath'
        if ([bool]$isoPath -eq [bool]$sourceVhd) { throw (New-GpuPvError -Code 'InvalidParameter' -Message 'Give either isoPath (a Windows ISO) or vhdxPath (an existing disk to copy).') }
        $dryRun = Get-GpuPvBool -Params $p -Name 'dryRun'
        $progressFile = Get-GpuPvString -Params $p -Name 'progressFile'
        $cancelFile = Get-GpuPvString -Params $p -Name 'cancelFile'
        $memory = ConvertTo-GpuPvUInt64 (Get-GpuPvParam -Params $p -Name 'memoryBytes') 'memoryBytes'
        $cpus = [int](ConvertTo-GpuPvUInt64 (Get-GpuPvParam -Params $p -Name 'cpuCount') 'cpuCount')
        $gpuPath = Get-GpuPvString -Params $p -Name 'gpuInstancePath' -Required
        $partition = Get-GpuPvParam -Params $p -Name 'partition'
        $switchName = Get-GpuPvString -Params $p -Name 'switchName'
        $syncDriver = Get-GpuPvBool -Params $p -Name 'syncDriver' -Default $true
        $answer = Get-GpuPvAnswerFile -Params $p
        $vmHost = Get-VMHost
        if ($memory -lt $script:GpuPvNewVmMinMemory) { throw (New-GpuPvError -Code 'InvalidParameter' -Message 'Windows needs at least 2 GB of memory (4 GB for Windows 11).') }
        if ($cpus -lt 1 -or $cpus -gt [int]$vmHost.LogicalProcessorCount) { throw (New-GpuPvError -Code 'InvalidParameter' -Message ('cpuCount must be 1 to ' + $vmHost.LogicalProcessorCount + ', the logical processors of this host.')) }
        if (@(Get-VM | Where-Object { $_.Name -eq $name }).Count -gt 0) { throw (New-GpuPvError -Code 'InvalidParameter' -Message ("A VM named '" + $name + "' exists already: choose another name.")) }
        $gpu = @(Get-GpuPvPartitionableGpus -Target @{} | Where-Object { [string]$_.Name -eq $gpuPath })
        if ($gpu.Count -eq 0) { throw (New-GpuPvError -Code 'InvalidParameter' -Message ("No partitionable GPU of this host has the instance path '" + $gpuPath + "'.")) }
        # The GPU by the name Device Manager gives it, as the tree shows it.
        $gpuLabel = ConvertTo-GpuPvPnpId $gpuPath
        foreach ($vc in @(Get-GpuPvPlatformVideoController)) {
            if ($vc.PNPDeviceID -and ([string]$vc.PNPDeviceID).ToUpperInvariant() -eq $gpuLabel) { $gpuLabel = [string]$vc.Name; break }
        }
        if ($switchName -and @(Get-VMSwitch | Where-Object { $_.Name -eq $switchName }).Count -eq 0) { throw (New-GpuPvError -Code 'InvalidParameter' -Message ("No virtual switch is named '" + $switchName + "'.")) }
        $vhdPath = Get-GpuPvString -Params $p -Name 'vhdPath'
        if (-not $vhdPath) { $vhdPath = Join-Path ([string]$vmHost.VirtualHardDiskPath) ((ConvertTo-GpuPvFileName $name) + '.vhdx') }
        if (Test-Path -LiteralPath $vhdPath) { throw (New-GpuPvError -Code 'InvalidParameter' -Message ("'" + $vhdPath + "' exists already: a new VM gets a disk of its own. Remove it or choose another name.")) }
        $packages = @()
        if ($syncDriver) {
            $packages = @(Get-GpuPvHostPackages)
            if ($packages.Count -eq 0) { throw (New-GpuPvError -Code 'Failed' -Message 'No third-party display driver package was found on this host to copy into the VM; install the GPU''s driver, or create the VM without the driver copy.') }
        }

        # What the source is: the ISO's image (read now, so the dry run names it), or the disk to copy.
        $image = $null
        $diskBytes = $null
        $tpm = Get-GpuPvParam -Params $p -Name 'tpm'
        if ($isoPath) {
            if (-not (Test-Path -LiteralPath $isoPath)) { throw (New-GpuPvError -Code 'InvalidParameter' -Message ("The ISO '" + $isoPath + "' does not exist.")) }
            $diskBytes = ConvertTo-GpuPvUInt64 (Get-GpuPvParam -Params $p -Name 'diskBytes') 'diskBytes'
            $drive = Mount-GpuPvIso -IsoPath $isoPath
            try {
                $imageFile = Get-GpuPvImageFile -Drive $drive -IsoPath $isoPath
                $images = @(Read-GpuPvWindowsImages -ImageFile $imageFile)
            } finally {
                Dismount-DiskImage -ImagePath $isoPath | Out-Null
            }
            $index = Get-GpuPvParam -Params $p -Name 'imageIndex'
            if ($null -eq $index) {
                $image = @($images | Where-Object { $_.editionId -eq 'Professional' })[0]
                if ($null -eq $image) { $image = $images[0] }
            } else {
                $image = @($images | Where-Object { $_.index -eq [int]$index })[0]
                if ($null -eq $image) { throw (New-GpuPvError -Code 'InvalidParameter' -Message ("The ISO has no image " + $index + '; it has ' + (($images | ForEach-Object { [string]$_.index + ' (' + $_.name + ')' }) -join ', ') + '.')) }
            }
            if ($image.needsTpm -and $diskBytes -lt $script:GpuPvWindows11MinDisk) { throw (New-GpuPvError -Code 'InvalidParameter' -Message ($image.name + ' needs a disk of at least 64 GB.')) }
            if ($null -eq $tpm) { $tpm = [bool]$image.needsTpm }
        } else {
            if (-not (Test-Path -LiteralPath $sourceVhd)) { throw (New-GpuPvError -Code 'InvalidParameter' -Message ("The disk '" + $sourceVhd + "' does not exist.")) }
            $diskBytes = [uint64](Get-VHD -Path $sourceVhd).Size
            # Which Windows is on a disk is not known before it is mounted: TPM on, as Windows 11 needs.
            if ($null -eq $tpm) { $tpm = $true }
        }
        if (-not ($tpm -is [bool])) { throw (New-GpuPvError -Code 'InvalidParameter' -Message "Parameter 'tpm' must be true or false.") }

        $gb = { param($bytes) ([math]::Round([double]$bytes / 1GB, 1)).ToString($script:GpuPvInvariant) + ' GB' }
        $steps = New-Object -TypeName 'System.Collections.Generic.List[object]'
        if ($isoPath) {
            $steps.Add([ordered]@{ step = 'createDisk'; detail = ('Create the disk ' + $vhdPath + ': ' + (& $gb $diskBytes) + ', dynamically expanding') })
            $steps.Add([ordered]@{ step = 'partitionDisk'; detail = 'Lay it out for UEFI: EFI system partition (100 MB, FAT32), MSR (16 MB), Windows (NTFS, the rest)' })
            $steps.Add([ordered]@{ step = 'applyImage'; detail = ('Apply ' + $image.name + ' ' + $image.version + ' (image ' + $image.index + ' of ' + (Split-Path -Leaf $imageFile) + ') from ' + $isoPath) })
            $steps.Add([ordered]@{ step = 'bootFiles'; detail = 'Make the disk bootable on UEFI (bcdboot)' })
        } else {
            $steps.Add([ordered]@{ step = 'copyDisk'; detail = ('Copy ' + $sourceVhd + ' to ' + $vhdPath + ' (' + (& $gb $diskBytes) + '; the original is not changed)') })
            $steps.Add([ordered]@{ step = 'findWindows'; detail = 'Mount the copy and find its Windows' })
        }
        if ($null -ne $answer) {
            $steps.Add([ordered]@{ step = 'answerFile'; detail = ("Write an answer file (Windows\Panther\unattend.xml): computer name '" + $answer.computerName + "', local administrator '" + $answer.userName + "', the setup pages skipped") })
        }
        if ($syncDriver) {
            $steps.Add([ordered]@{ step = 'syncDriver'; detail = ('Copy the host GPU driver ' + (($packages | ForEach-Object { $_.package + ' ' + $_.version }) -join ', ') + ' into its HostDriverStore') })
        }
        $steps.Add([ordered]@{ step = 'dismountDisk'; detail = 'Dismount the disk' })
        $network = 'no network adapter'
        if ($switchName) { $network = "network '" + $switchName + "'" }
        $steps.Add([ordered]@{ step = 'createVm'; detail = ("Create the VM '" + $name + "': generation 2, " + (& $gb $memory) + ' of static memory, ' + $cpus + ' virtual processors, ' + $network) })
        $steps.Add([ordered]@{ step = 'firmware'; detail = 'Secure Boot on, with the Microsoft Windows template' })
        if ($tpm) { $steps.Add([ordered]@{ step = 'tpm'; detail = 'A virtual TPM with a new local key protector' }) }
        $steps.Add([ordered]@{ step = 'gpuPrep'; detail = ('GPU-P preparation: guest-controlled cache types on, MMIO space ' + ($script:GpuPvGpuPLowMmio / 1MB) + ' MB below and ' + ($script:GpuPvGpuPHighMmio / 1MB) + ' MB above 4 GB, automatic stop action TurnOff') })
        $steps.Add([ordered]@{ step = 'partition'; detail = ('A GPU partition of ' + $gpuLabel) })
        $steps.Add([ordered]@{ step = 'guestService'; detail = 'Guest Service Interface on (Copy-VMFile)' })
        $plan = [ordered]@{ dryRun = $dryRun; name = $name; vhdPath = $vhdPath; tpm = $tpm; image = $image; steps = $steps.ToArray(); vm = $null }
        if ($dryRun) { return $plan }

        # What was made so far, undone in reverse order after a cancel or a failure.
        $made = New-Object -TypeName 'System.Collections.Generic.List[object]'
        $progress = [ordered]@{ phase = 'step'; step = $null; detail = $null; stepsDone = 0; stepsTotal = $steps.Count; package = $null; filesDone = 0; filesTotal = 0; bytesDone = [int64]0; bytesTotal = [int64]0 }
        $vm = $null
        $disk = $null
        $current = $null
        try {
            foreach ($s in $steps) {
                $current = $s
                if ($cancelFile -and (Test-Path -LiteralPath $cancelFile)) { throw (New-GpuPvError -Code 'Cancelled' -Message 'cancelled') }
                $progress.step = [string]$s.step
                $progress.detail = [string]$s.detail
                Write-GpuPvProgress -Path $progressFile -State $progress
                switch ([string]$s.step) {
                    'createDisk' {
                        New-VHD -Path $vhdPath -SizeBytes $diskBytes -Dynamic | Out-Null
                        $made.Add([pscustomobject]@{ kind = 'file'; path = $vhdPath; label = ('the disk ' + $vhdPath) })
                    }
                    'copyDisk' {
                        $made.Add([pscustomobject]@{ kind = 'file'; path = $vhdPath; label = ('the disk ' + $vhdPath) })
                        Copy-Item -LiteralPath $sourceVhd -Destination $vhdPath
                    }
                    'partitionDisk' {
                        $mountedDisk = Mount-VHD -Path $vhdPath -Passthru
                        $made.Add([pscustomobject]@{ kind = 'vhd'; path = $vhdPath; label = $null })
                        $letters = Initialize-GpuPvWindowsDisk -DiskNumber ([int]$mountedDisk.DiskNumber)
                        $disk = [pscustomobject]@{ windows = ($letters.windows + ':\Windows'); system = $letters.system }
                    }
                    'applyImage' {
                        $drive = Mount-GpuPvIso -IsoPath $isoPath
                        $made.Add([pscustomobject]@{ kind = 'iso'; path = $isoPath; label = $null })
                        $file = Get-GpuPvImageFile -Drive $drive -IsoPath $isoPath
                        Expand-WindowsImage -ImagePath $file -Index ([uint32]$image.index) -ApplyPath ((Split-Path -Qualifier $disk.windows) + '\') | Out-Null
                        Dismount-DiskImage -ImagePath $isoPath | Out-Null
                        $made.RemoveAt($made.Count - 1)
                    }
                    'bootFiles' { Invoke-GpuPvBcdBoot -Windows $disk.windows -SystemDrive $disk.system }
                    'findWindows' {
                        $mountedDisk = Mount-VHD -Path $vhdPath -Passthru
                        $made.Add([pscustomobject]@{ kind = 'vhd'; path = $vhdPath; label = $null })
                        $disk = [pscustomobject]@{ windows = (Find-GpuPvWindowsRoot -DiskNumber ([int]$mountedDisk.DiskNumber)); system = $null }
                    }
                    'answerFile' { Write-GpuPvAnswerFile -Windows $disk.windows -Answer $answer }
                    'syncDriver' {
                        $copyPlan = @(Get-GpuPvCopyPlan -Packages $packages)
                        foreach ($item in $copyPlan) {
                            $progress.filesTotal += $item.files.Count
                            foreach ($f in $item.files) { $progress.bytesTotal += $f.size }
                        }
                        Copy-GpuPvPackagesOffline -Plan $copyPlan -Windows $disk.windows -Progress $progress -ProgressFile $progressFile -CancelFile $cancelFile
                    }
                    'dismountDisk' {
                        Dismount-VHD -Path $vhdPath
                        $made.RemoveAt($made.Count - 1)
                    }
                    'createVm' {
                        $newVm = @{ Name = $name; Generation = 2; MemoryStartupBytes = [int64]$memory; VHDPath = $vhdPath }
                        if ($switchName) { $newVm.SwitchName = $switchName }
                        $vm = New-VM @newVm
                        $made.Add([pscustomobject]@{ kind = 'vm'; vm = $vm; label = ("the VM '" + $name + "'") })
                        Set-VMMemory -VM $vm -DynamicMemoryEnabled $false | Out-Null
                        Set-VMProcessor -VM $vm -Count $cpus | Out-Null
                    }
                    'firmware' { Set-VMFirmware -VM $vm -EnableSecureBoot 'On' -SecureBootTemplate 'MicrosoftWindows' | Out-Null }
                    'tpm' {
                        Set-VMKeyProtector -VM $vm -NewLocalKeyProtector | Out-Null
                        Enable-VMTPM -VM $vm | Out-Null
                    }
                    'gpuPrep' { Set-VM -VM $vm -GuestControlledCacheTypes $true -LowMemoryMappedIoSpace $script:GpuPvGpuPLowMmio -HighMemoryMappedIoSpace $script:GpuPvGpuPHighMmio -AutomaticStopAction 'TurnOff' | Out-Null }
                    'partition' {
                        Add-VMGpuPartitionAdapter -VM $vm -InstancePath $gpuPath | Out-Null
                        if ($null -ne $partition) {
                            $values = @{}
                            foreach ($res in $script:GpuPvResources) {
                                $suffix = $res
                                if ($res -eq 'VRAM') { $suffix = 'Vram' }
                                foreach ($kind in @('Min', 'Max', 'Optimal')) {
                                    $raw = Get-GpuPvParam -Params $partition -Name ($kind.ToLowerInvariant() + $suffix)
                                    if ($null -ne $raw) { $values[$kind + 'Partition' + $res] = ConvertTo-GpuPvUInt64 $raw ($kind.ToLowerInvariant() + $suffix) }
                                }
                            }
                            if ($values.Count -gt 0) { Set-VMGpuPartitionAdapter -VMGpuPartitionAdapter (Select-GpuPvAdapter -Vm $vm -AdapterId '') @values | Out-Null }
                        }
                    }
                    'guestService' {
                        $service = @(Get-VMIntegrationService -VM $vm | Where-Object { ([string]$_.Id).EndsWith('\' + $script:GpuPvGuestServiceId) })
                        if ($service.Count -gt 0) { Enable-VMIntegrationService -VMIntegrationService $service[0] | Out-Null }
                    }
                }
                $progress.stepsDone++
                Write-GpuPvProgress -Path $progressFile -State $progress
            }
        } catch {
            $failure = $_
            $cancelled = ($failure.Exception.Data.Contains('GpuPvCode') -and [string]$failure.Exception.Data['GpuPvCode'] -eq 'Cancelled')
            $removed = @()
            $left = @()
            for ($i = $made.Count - 1; $i -ge 0; $i--) {
                $item = $made[$i]
                try {
                    switch ([string]$item.kind) {
                        'iso' { Dismount-DiskImage -ImagePath $item.path | Out-Null }
                        'vhd' { Dismount-VHD -Path $item.path }
                        'vm' { Remove-VM -VM $item.vm -Force; $removed += $item.label }
                        'file' { if (Test-Path -LiteralPath $item.path) { Remove-Item -LiteralPath $item.path -Force }; $removed += $item.label }
                    }
                } catch {
                    $what = $item.label
                    if (-not $what) { $what = $item.path }
                    $left += ($what + ' (' + $_.Exception.Message + ')')
                }
            }
            $text = ''
            $code = 'Failed'
            if ($cancelled) {
                $code = 'Cancelled'
                $text = "Creating '" + $name + "' was cancelled before: " + $current.detail + '.'
            } else {
                $text = "Creating '" + $name + "' failed at: " + $current.detail + ': ' + $failure.Exception.Message
            }
            if ($removed.Count -gt 0) { $text += ' Removed what it had made: ' + ($removed -join '; ') + '.' }
            elseif ($left.Count -eq 0) { $text += ' Nothing had been made yet.' }
            if ($left.Count -gt 0) { $text += ' Could not remove: ' + ($left -join '; ') + '; remove it by hand.' }
            throw (New-GpuPvError -Code $code -Message $text)
        }
        $progress.phase = 'done'
        Write-GpuPvProgress -Path $progressFile -State $progress
        $plan.vm = ConvertTo-GpuPvVm -Vm (Get-VM -Id $vm.Id) -HasGpuPartitions $true
        $plan
    }
}

# ---------------------------------------------------------------- PowerShell Direct for Deploy and Test
#
# The guest transport of Deploy and Test (powerShellDirectTransport.ts) for a VM on this host.
# Each call opens its own PowerShell Direct session and closes it. How a call ended in the
# guest is its result ('outcome'), so the caller tells a guest that is off or went away from a
# failure without reading localized error texts:
#   completed / copied / removed / received / connected: done;
#   cancelled: the cancel file appeared, and the guest's work was stopped;
#   notRunning: the VM is not running; unreachable: it runs, but PowerShell Direct does not
#   answer (Windows still starting, say); lost: the session broke while in use (the VM stopped
#   or restarted); exists: the fresh folder of a copy exists already.
# A rejected credential, a VM that does not exist and bad parameters stay errors.

function New-GpuPvGuestOutcome {
    param([string]$Outcome, $Vm, [string]$Message = '')
    return [ordered]@{ outcome = $Outcome; vmName = [string]$Vm.Name; vmState = [string]$Vm.State; message = $Message }
}

function Get-GpuPvGuestLoss {
    # After a failure in a session: the outcome when the guest is gone (the VM stopped, or the
    # session broke), else $null (the failure was the guest's answer, not its loss).
    param($Vm, [hashtable]$Target, $Session, [string]$Message)
    $now = $null
    try { $now = @(Get-VM -Id $Vm.Id @Target)[0] } catch { $now = $null }
    $state = 'Missing'
    if ($null -ne $now) { $state = [string]$now.State }
    $broken = ($null -ne $Session -and [string]$Session.State -ne 'Opened')
    if ($state -eq 'Running' -and -not $broken) { return $null }
    $outcome = [ordered]@{ outcome = 'lost'; vmName = [string]$Vm.Name; vmState = $state; message = $Message }
    return $outcome
}

function Invoke-GpuPvGuestSession {
    # Opens a PowerShell Direct session to the call's VM, runs $Body with it ($session, $vm,
    # $credential, $target) and always removes it; a guest that is off, does not answer or goes
    # away becomes the call's outcome.
    param($Params, [hashtable]$Target, [scriptblock]$Body)
    Assert-GpuPvLocal -Target $Target -What 'PowerShell Direct'
    $vm = Get-GpuPvVm -Params $Params -Target $Target
    $credential = New-GpuPvCredential -Params $Params
    if ([string]$vm.State -ne 'Running') {
        return (New-GpuPvGuestOutcome -Outcome 'notRunning' -Vm $vm -Message ('The virtual machine is ' + [string]$vm.State + '.'))
    }
    $session = $null
    try {
        $session = New-PSSession -VMId $vm.Id -Credential $credential -ErrorAction Stop
    } catch {
        $resolved = Resolve-GpuPvError -ErrorRecord $_
        if (@('CredentialRejected', 'AccessDenied') -contains $resolved.code) { throw }
        $lost = Get-GpuPvGuestLoss -Vm $vm -Target $Target -Session $null -Message $resolved.message
        if ($null -ne $lost) { $lost.outcome = 'notRunning'; return $lost }
        return (New-GpuPvGuestOutcome -Outcome 'unreachable' -Vm $vm -Message $resolved.message)
    }
    try {
        return (& $Body $session $vm $credential $Target)
    } catch {
        $record = $_
        $lost = Get-GpuPvGuestLoss -Vm $vm -Target $Target -Session $session -Message ([string]$record.Exception.Message)
        if ($null -ne $lost) { return $lost }
        throw
    } finally {
        Remove-PSSession -Session $session -ErrorAction SilentlyContinue
    }
}

function Get-GpuPvGuestScripts {
    # GpuPvGuestDirect.ps1 (the fixed script block) and GpuPvGuest.psm1 (sent as its data), from
    # the folder the extension ships them in.
    param($Params)
    $folder = Get-GpuPvString -Params $Params -Name 'guestScripts' -Required
    $direct = Join-Path $folder 'GpuPvGuestDirect.ps1'
    $module = Join-Path $folder 'GpuPvGuest.psm1'
    foreach ($file in @($direct, $module)) {
        if (-not (Test-Path -LiteralPath $file -PathType Leaf)) { throw (New-GpuPvError -Code 'InvalidParameter' -Message ('The guest script ' + $file + ' does not exist.')) }
    }
    # The script block goes as a file (Invoke-Command -FilePath), the module as a string.
    return [pscustomobject]@{ Direct = $direct; Module = [System.IO.File]::ReadAllText($module) }
}

function Test-GpuPvCancelFile {
    param([string]$CancelFile)
    return ($CancelFile -and (Test-Path -LiteralPath $CancelFile))
}

function Receive-GpuPvGuestOutput {
    # Appends what the guest wrote so far to the live file, one line per string, at once: the
    # caller tails it while the operation runs.
    param($Job, [string]$LiveFile, [System.Collections.Generic.List[string]]$Errors)
    $received = $null
    $lines = @(Receive-Job -Job $Job -ErrorAction SilentlyContinue -ErrorVariable received | ForEach-Object { [string]$_ })
    foreach ($record in @($received)) { if ($null -ne $record) { $Errors.Add([string]$record) } }
    if ($lines.Count -gt 0) {
        [System.IO.File]::AppendAllText($LiveFile, (($lines -join "`n") + "`n"), [System.Text.UTF8Encoding]::new($false))
    }
}

function Stop-GpuPvGuestOperation {
    # A cancel: the guest module stops the run's work itself (Stop-GpuPvGuestWork kills its
    # tests' process trees, which stopping the pipeline alone would leave running), over a second
    # session since the first is busy; the operation then ends with its own answer. Whatever
    # still runs after that is stopped with the job.
    param($Job, $Vm, $Credential, $Scripts, [string]$RunId, [string]$LiveFile, [System.Collections.Generic.List[string]]$Errors)
    $condition = @()
    if ($RunId) {
        $stopSession = $null
        try {
            $stopSession = New-PSSession -VMId $Vm.Id -Credential $Credential -ErrorAction Stop
            $stopParams = ConvertTo-Json -InputObject ([ordered]@{ runId = $RunId; waitForInstallSeconds = 60 }) -Compress
            $answer = @(Invoke-Command -Session $stopSession -FilePath $Scripts.Direct -ArgumentList $Scripts.Module, 'Stop-GpuPvGuestWork', $stopParams -ErrorAction Stop)
            $reply = $null
            if ($answer.Count -gt 0) { $reply = [string]$answer[$answer.Count - 1] | ConvertFrom-Json }
            if ($null -ne $reply -and $reply.ok) { $condition = @($reply.result.condition | ForEach-Object { [string]$_ }) }
            elseif ($null -ne $reply) { $condition = @('The guest could not stop run ' + $RunId + ': ' + [string]$reply.error.message) }
        } catch {
            $condition = @('The guest could not be asked to stop run ' + $RunId + ': ' + [string]$_.Exception.Message)
        } finally {
            if ($null -ne $stopSession) { Remove-PSSession -Session $stopSession -ErrorAction SilentlyContinue }
        }
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        while ([string]$Job.State -eq 'Running' -and $clock.Elapsed.TotalSeconds -lt 10) {
            Receive-GpuPvGuestOutput -Job $Job -LiveFile $LiveFile -Errors $Errors
            $null = $Job.Finished.WaitOne(100)
        }
    }
    if ([string]$Job.State -eq 'Running') {
        Stop-Job -Job $Job
        $condition += 'The operation was stopped in the guest.'
    }
    return , $condition
}

function Test-GpuPvGuestSession {
    # Whether PowerShell Direct reaches the guest with these credentials.
    param([string]$EncodedParams = '')
    Invoke-GpuPvCall -Encoded $EncodedParams -Body {
        param($p, $target)
        Invoke-GpuPvGuestSession -Params $p -Target $target -Body {
            param($session, $vm)
            $version = [string]@(Invoke-Command -Session $session -ScriptBlock { $PSVersionTable.PSVersion.ToString() })[0]
            $outcome = New-GpuPvGuestOutcome -Outcome 'connected' -Vm $vm
            $outcome['powerShellVersion'] = $version
            $outcome
        }
    }
}

function Invoke-GpuPvGuestOperation {
    # Runs one function of GpuPvGuest.psm1 in the guest (GpuPvGuestDirect.ps1 with the module's
    # text, the name and the parameters as data) as a remote job, appending what it writes to
    # liveFile as it comes. Once cancelFile exists, the guest's work is stopped.
    param([string]$EncodedParams = '')
    Invoke-GpuPvCall -Encoded $EncodedParams -Body {
        param($p, $target)
        $scripts = Get-GpuPvGuestScripts -Params $p
        $operation = Get-GpuPvString -Params $p -Name 'operation' -Required
        $paramsJson = Get-GpuPvString -Params $p -Name 'paramsJson'
        if (-not $paramsJson) { $paramsJson = '{}' }
        $liveFile = Get-GpuPvString -Params $p -Name 'liveFile' -Required
        $cancelFile = Get-GpuPvString -Params $p -Name 'cancelFile' -Required
        $runId = $null
        try { $runId = Get-GpuPvString -Params ($paramsJson | ConvertFrom-Json) -Name 'runId' } catch { $runId = $null }
        Invoke-GpuPvGuestSession -Params $p -Target $target -Body {
            param($session, $vm, $credential, $target)
            $errors = New-Object -TypeName 'System.Collections.Generic.List[string]'
            $condition = $null
            $job = Invoke-Command -Session $session -FilePath $scripts.Direct -ArgumentList $scripts.Module, $operation, $paramsJson -AsJob
            try {
                while ([string]$job.State -eq 'Running' -or [string]$job.State -eq 'NotStarted') {
                    Receive-GpuPvGuestOutput -Job $job -LiveFile $liveFile -Errors $errors
                    if (Test-GpuPvCancelFile -CancelFile $cancelFile) {
                        $condition = Stop-GpuPvGuestOperation -Job $job -Vm $vm -Credential $credential -Scripts $scripts -RunId $runId -LiveFile $liveFile -Errors $errors
                        break
                    }
                    $null = $job.Finished.WaitOne(100)
                }
                Receive-GpuPvGuestOutput -Job $job -LiveFile $liveFile -Errors $errors
                $state = [string]$job.State
                if ($state -eq 'Failed') {
                    $reason = $job.JobStateInfo.Reason
                    foreach ($child in @($job.ChildJobs)) { if ($null -eq $reason) { $reason = $child.JobStateInfo.Reason } }
                    $message = ($errors -join ' ')
                    if ($null -ne $reason) { $message = [string]$reason.Message }
                    $lost = Get-GpuPvGuestLoss -Vm $vm -Target $target -Session $session -Message $message
                    if ($null -ne $lost) { return $lost }
                    throw (New-GpuPvError -Code 'Failed' -Message ($operation + ' failed in the guest: ' + $message))
                }
                $outcome = 'completed'
                if ($null -ne $condition) { $outcome = 'cancelled' }
                $result = New-GpuPvGuestOutcome -Outcome $outcome -Vm $vm
                $result['guestCondition'] = @($condition | Where-Object { $null -ne $_ })
                $result['errors'] = @($errors)
                $result
            } finally {
                Remove-Job -Job $job -Force -ErrorAction SilentlyContinue
            }
        }
    }
}

function Send-GpuPvGuestFiles {
    # Copies files into remoteDir in the guest, which must not exist yet (a fresh folder per
    # run), with Copy-Item -ToSession, writing progressFile after each file and stopping between
    # two files once cancelFile exists. A copy that does not finish removes the folder again.
    param([string]$EncodedParams = '')
    Invoke-GpuPvCall -Encoded $EncodedParams -Body {
        param($p, $target)
        $remoteDir = Get-GpuPvString -Params $p -Name 'remoteDir' -Required
        $progressFile = Get-GpuPvString -Params $p -Name 'progressFile'
        $cancelFile = Get-GpuPvString -Params $p -Name 'cancelFile'
        $files = @(@(Get-GpuPvParam -Params $p -Name 'files') | Where-Object { $null -ne $_ } | ForEach-Object {
                $local = Get-GpuPvString -Params $_ -Name 'localPath' -Required
                if (-not (Test-Path -LiteralPath $local -PathType Leaf)) { throw (New-GpuPvError -Code 'InvalidParameter' -Message ('The staged file ' + $local + ' does not exist.')) }
                [pscustomobject]@{ localPath = $local; relativePath = (Get-GpuPvString -Params $_ -Name 'relativePath' -Required); bytes = [int64](Get-Item -LiteralPath $local).Length }
            })
        Invoke-GpuPvGuestSession -Params $p -Target $target -Body {
            param($session, $vm, $credential, $target)
            $prepared = @(Invoke-Command -Session $session -ArgumentList $remoteDir, @($files | ForEach-Object { $_.relativePath }) -ScriptBlock {
                    param([string]$Dir, [string[]]$Relatives)
                    if (Test-Path -LiteralPath $Dir) { return [pscustomobject]@{ exists = $true; dir = $Dir; paths = @() } }
                    $made = [System.IO.Directory]::CreateDirectory($Dir).FullName
                    $paths = @(foreach ($relative in @($Relatives)) {
                            $path = [System.IO.Path]::Combine($made, $relative.Replace('/', [string][System.IO.Path]::DirectorySeparatorChar))
                            $null = [System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($path))
                            $path
                        })
                    [pscustomobject]@{ exists = $false; dir = $made; paths = $paths }
                })[0]
            if ($prepared.exists) { return (New-GpuPvGuestOutcome -Outcome 'exists' -Vm $vm -Message ([string]$prepared.dir)) }
            $guestDir = [string]$prepared.dir
            $paths = @($prepared.paths | ForEach-Object { [string]$_ })
            $progress = [ordered]@{ relativePath = $null; filesDone = 0; filesTotal = $files.Count; bytesDone = [int64]0; bytesTotal = [int64]0 }
            foreach ($f in $files) { $progress.bytesTotal += $f.bytes }
            $copied = @()
            $finished = $false
            try {
                for ($i = 0; $i -lt $files.Count; $i++) {
                    if (Test-GpuPvCancelFile -CancelFile $cancelFile) { break }
                    Copy-Item -LiteralPath $files[$i].localPath -Destination $paths[$i] -ToSession $session -Force
                    $copied += [ordered]@{ relativePath = $files[$i].relativePath; remotePath = $paths[$i]; bytes = $files[$i].bytes }
                    $progress.relativePath = $files[$i].relativePath
                    $progress.filesDone++
                    $progress.bytesDone += $files[$i].bytes
                    Write-GpuPvProgress -Path $progressFile -State $progress
                }
                $finished = ($copied.Count -eq $files.Count)
            } catch {
                $record = $_
                $lost = Get-GpuPvGuestLoss -Vm $vm -Target $target -Session $session -Message ([string]$record.Exception.Message)
                if ($null -ne $lost) { $lost['removed'] = $false; return $lost }
                $result = New-GpuPvGuestOutcome -Outcome 'remoteError' -Vm $vm -Message ([string]$record.Exception.Message)
                $result['removed'] = Remove-GpuPvGuestPath -Session $session -Path $guestDir
                return $result
            }
            if (-not $finished) {
                $result = New-GpuPvGuestOutcome -Outcome 'cancelled' -Vm $vm -Message ('Cancelled after ' + $copied.Count + ' of ' + $files.Count + ' files.')
                $result['removed'] = Remove-GpuPvGuestPath -Session $session -Path $guestDir
                return $result
            }
            $result = New-GpuPvGuestOutcome -Outcome 'copied' -Vm $vm
            $result['remoteDir'] = $guestDir
            $result['files'] = $copied
            $result
        }
    }
}

function Remove-GpuPvGuestPath {
    # Best effort: true when the file or folder is gone.
    param($Session, [string]$Path)
    try {
        $null = Invoke-Command -Session $Session -ArgumentList $Path -ErrorAction Stop -ScriptBlock {
            param([string]$Dir)
            if (Test-Path -LiteralPath $Dir) { Remove-Item -LiteralPath $Dir -Recurse -Force }
        }
        return $true
    } catch {
        return $false
    }
}

function Remove-GpuPvGuestFolder {
    # Removes a folder a copy made (remoteDir), when a check after the copy failed.
    param([string]$EncodedParams = '')
    Invoke-GpuPvCall -Encoded $EncodedParams -Body {
        param($p, $target)
        $remoteDir = Get-GpuPvString -Params $p -Name 'remoteDir' -Required
        Invoke-GpuPvGuestSession -Params $p -Target $target -Body {
            param($session, $vm)
            if (-not (Remove-GpuPvGuestPath -Session $session -Path $remoteDir)) {
                throw (New-GpuPvError -Code 'Failed' -Message ('The guest could not remove ' + $remoteDir + '.'))
            }
            New-GpuPvGuestOutcome -Outcome 'removed' -Vm $vm
        }
    }
}

function ConvertTo-GpuPvLocalName {
    # A name for a guest's file on this host: characters no host file system takes replaced,
    # unique (ignoring case) among $Used.
    param([string]$Name, [hashtable]$Used)
    $safe = [regex]::Replace($Name, '[<>:"|?*\\/\x00-\x1f]', '_')
    $safe = [regex]::Replace($safe, '[. ]+$', '_')
    if (-not $safe) { $safe = '_' }
    $candidate = $safe
    $extension = [System.IO.Path]::GetExtension($safe)
    $stem = $safe.Substring(0, $safe.Length - $extension.Length)
    for ($copy = 2; $Used.ContainsKey($candidate.ToLowerInvariant()); $copy++) { $candidate = $stem + '-' + $copy + $extension }
    $Used[$candidate.ToLowerInvariant()] = $true
    return $candidate
}

function Receive-GpuPvGuestLogs {
    # Brings logs back into localDir with Copy-Item -FromSession: each request a path, or a
    # folder and a * / ? pattern in its last part. A file larger than its maxBytes is skipped
    # (whenLarger 'skip') or only its tail comes back ('keepTail', cut in the guest first);
    # what is missing or skipped becomes a note, not a failure.
    param([string]$EncodedParams = '')
    Invoke-GpuPvCall -Encoded $EncodedParams -Body {
        param($p, $target)
        $localDir = Get-GpuPvString -Params $p -Name 'localDir' -Required
        $cancelFile = Get-GpuPvString -Params $p -Name 'cancelFile'
        $requests = @(@(Get-GpuPvParam -Params $p -Name 'requests') | Where-Object { $null -ne $_ } | ForEach-Object {
                $whenLarger = Get-GpuPvString -Params $_ -Name 'whenLarger'
                if (@('keepTail', 'skip') -notcontains $whenLarger) { throw (New-GpuPvError -Code 'InvalidParameter' -Message "whenLarger must be keepTail or skip.") }
                [pscustomobject]@{ remotePath = (Get-GpuPvString -Params $_ -Name 'remotePath' -Required); maxBytes = [int64](ConvertTo-GpuPvUInt64 -Value (Get-GpuPvParam -Params $_ -Name 'maxBytes') -Name 'maxBytes'); whenLarger = $whenLarger }
            })
        $null = New-Item -ItemType Directory -Path $localDir -Force
        Invoke-GpuPvGuestSession -Params $p -Target $target -Body {
            param($session, $vm, $credential, $target)
            # The guest lists what each request names, with its own separators and case rules: one
            # row per file found, or per request that names no file.
            $rows = @(Invoke-Command -Session $session -ArgumentList @(, @($requests | ForEach-Object { $_.remotePath })) -ScriptBlock {
                    param([string[]]$Paths)
                    for ($i = 0; $i -lt $Paths.Count; $i++) {
                        $path = $Paths[$i]
                        $cut = [Math]::Max($path.LastIndexOf('/'), $path.LastIndexOf('\'))
                        $name = $path.Substring($cut + 1)
                        $listed = @()
                        if ($name.IndexOfAny([char[]]'*?') -lt 0) {
                            if (Test-Path -LiteralPath $path -PathType Leaf) { $listed = @(Get-Item -LiteralPath $path -Force) }
                            elseif (Test-Path -LiteralPath $path) { [pscustomobject]@{ request = $i; kind = 'notFile'; path = $path; size = 0 }; continue }
                        } elseif ($cut -ge 0 -and (Test-Path -LiteralPath $path.Substring(0, $cut) -PathType Container)) {
                            $pattern = '^' + [regex]::Escape($name).Replace('\*', '.*').Replace('\?', '.') + '$'
                            $listed = @(Get-ChildItem -LiteralPath $path.Substring(0, $cut) -File -Force | Where-Object { [regex]::IsMatch($_.Name, $pattern, 'IgnoreCase, Singleline') } | Sort-Object -Property 'Name')
                        }
                        if ($listed.Count -eq 0) { [pscustomobject]@{ request = $i; kind = 'missing'; path = $path; size = 0 } }
                        foreach ($file in $listed) { [pscustomobject]@{ request = $i; kind = 'file'; path = $file.FullName; size = [int64]$file.Length } }
                    }
                })
            $files = @()
            $notes = @()
            $used = @{}
            try {
                foreach ($row in $rows) {
                    $remotePath = [string]$row.path
                    if ([string]$row.kind -ne 'file') {
                        $notes += [ordered]@{ kind = [string]$row.kind; remotePath = $remotePath }
                        continue
                    }
                    if (Test-GpuPvCancelFile -CancelFile $cancelFile) {
                        $result = New-GpuPvGuestOutcome -Outcome 'cancelled' -Vm $vm -Message ('Cancelled after ' + $files.Count + ' logs.')
                        $result['files'] = $files
                        return $result
                    }
                    $request = $requests[[int]$row.request]
                    $size = [int64]$row.size
                    if ($size -gt $request.maxBytes -and $request.whenLarger -eq 'skip') {
                        $notes += [ordered]@{ kind = 'skipped'; remotePath = $remotePath; bytes = $size; maxBytes = $request.maxBytes }
                        continue
                    }
                    $keep = [Math]::Min($size, $request.maxBytes)
                    $source = $remotePath
                    if ($keep -lt $size) {
                        # Only the tail crosses the session: the guest writes it to a file of its own.
                        $source = [string]@(Invoke-Command -Session $session -ArgumentList $remotePath, $keep -ScriptBlock {
                                param([string]$Path, [int64]$Keep)
                                $folder = Join-Path (Join-Path $env:SystemRoot 'Temp') 'GpuPv'
                                $null = [System.IO.Directory]::CreateDirectory($folder)
                                $tail = Join-Path $folder ('log-tail-' + [guid]::NewGuid().ToString('n') + '.tmp')
                                $in = [System.IO.File]::Open($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare]::ReadWrite)
                                try {
                                    $null = $in.Seek(-$Keep, [System.IO.SeekOrigin]::End)
                                    $out = [System.IO.File]::Create($tail)
                                    try { $in.CopyTo($out) } finally { $out.Dispose() }
                                } finally {
                                    $in.Dispose()
                                }
                                $tail
                            })[0]
                    }
                    $cut = [Math]::Max($remotePath.LastIndexOf('/'), $remotePath.LastIndexOf('\'))
                    $localPath = Join-Path $localDir (ConvertTo-GpuPvLocalName -Name $remotePath.Substring($cut + 1) -Used $used)
                    try {
                        Copy-Item -LiteralPath $source -Destination $localPath -FromSession $session -Force
                    } catch {
                        # Half a log would read as the whole one.
                        if (Test-Path -LiteralPath $localPath) { Remove-Item -LiteralPath $localPath -Force }
                        throw
                    } finally {
                        if ($source -ne $remotePath) { $null = Remove-GpuPvGuestPath -Session $session -Path $source }
                    }
                    $truncated = ($keep -lt $size)
                    if ($truncated) { $notes += [ordered]@{ kind = 'truncated'; remotePath = $remotePath; bytes = $size; maxBytes = $request.maxBytes } }
                    $files += [ordered]@{ remotePath = $remotePath; localPath = $localPath; remoteBytes = $size; bytes = $keep; truncated = $truncated }
                }
            } catch {
                $record = $_
                $lost = Get-GpuPvGuestLoss -Vm $vm -Target $target -Session $session -Message ([string]$record.Exception.Message)
                if ($null -ne $lost) { $lost['files'] = $files; return $lost }
                throw
            }
            $result = New-GpuPvGuestOutcome -Outcome 'received' -Vm $vm
            $result['files'] = $files
            $result['notes'] = $notes
            $result
        }
    }
}

# ---------------------------------------------------------------- the test certificate

function ConvertTo-GpuPvUtcTime {
    # An ISO 8601 parameter as a UTC time. PowerShell 7's ConvertFrom-Json makes such strings
    # dates already; Windows PowerShell 5.1 leaves them text.
    param($Params, [string]$Name)
    $value = Get-GpuPvParam -Params $Params -Name $Name
    if ($value -is [datetime]) { return $value.ToUniversalTime() }
    $parsed = [datetime]::MinValue
    if (-not [datetime]::TryParse([string]$value, $script:GpuPvInvariant, [System.Globalization.DateTimeStyles]::RoundtripKind, [ref]$parsed)) {
        throw (New-GpuPvError -Code 'InvalidParameter' -Message ("Parameter '" + $Name + "' must be an ISO 8601 time."))
    }
    return $parsed.ToUniversalTime()
}

function Test-GpuPvCodeSigning {
    # Read from the certificate's own extension: EnhancedKeyUsageList is the PKI module's
    # addition and missing where that module is not loaded.
    param($Certificate)
    foreach ($extension in $Certificate.Extensions) {
        if ($extension -is [System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension]) {
            foreach ($usage in $extension.EnhancedKeyUsages) { if ($usage.Value -eq '1.3.6.1.5.5.7.3.3') { return $true } }
        }
    }
    return $false
}

function Assert-GpuPvSigningHost {
    # Signing certificates live in the store of the computer that signs; no remote host applies.
    param([hashtable]$Target)
    if ($Target.ContainsKey('ComputerName')) {
        throw (New-GpuPvError -Code 'InvalidParameter' -Message 'Signing certificates are read from and made in the store of the computer that signs, so they take no computerName.')
    }
}

function Get-GpuPvUserCertificates {
    # Cert:\CurrentUser\My through .NET's X509Store: the same store, and no Cert: drive needed.
    $store = New-Object -TypeName 'System.Security.Cryptography.X509Certificates.X509Store' -ArgumentList 'My', 'CurrentUser'
    $store.Open([System.Security.Cryptography.X509Certificates.OpenFlags]::ReadOnly)
    try { return @($store.Certificates) } finally { $store.Close() }
}

function Export-GpuPvCer {
    # The certificate without its key, DER, for the guest to trust.
    param($Certificate, [string]$Path)
    $folder = Split-Path -Parent $Path
    if ($folder -and -not (Test-Path -LiteralPath $folder)) { $null = New-Item -ItemType Directory -Path $folder -Force }
    $null = Export-Certificate -Cert $Certificate -FilePath $Path -Type CERT -Force
}

function Get-GpuPvStoreCertificate {
    # A certificate gpupv.json names by thumbprint or subject, from the user's store (where
    # signtool /s My looks), exported as a DER .cer to cerPath so the guest can be made to
    # trust it. By subject as signtool /n matches: a part of the subject name, the certificate
    # valid now, able to sign code and holding its key; the one valid longest when several do.
    param([string]$EncodedParams = '')
    Invoke-GpuPvCall -Encoded $EncodedParams -NoHyperVCheck -Body {
        param($p, $target)
        Assert-GpuPvSigningHost -Target $target
        $thumbprint = Get-GpuPvString -Params $p -Name 'thumbprint'
        $subject = Get-GpuPvString -Params $p -Name 'subject'
        $cerPath = Get-GpuPvString -Params $p -Name 'cerPath' -Required
        if ([string]::IsNullOrEmpty($thumbprint) -eq [string]::IsNullOrEmpty($subject)) {
            throw (New-GpuPvError -Code 'InvalidParameter' -Message "Give exactly one of 'thumbprint' and 'subject'.")
        }
        $now = [datetime]::UtcNow
        $all = Get-GpuPvUserCertificates
        if ($thumbprint) {
            $wanted = $thumbprint.Replace(' ', '').ToUpperInvariant()
            $found = @($all | Where-Object { $_.Thumbprint.ToUpperInvariant() -eq $wanted })
            $what = 'thumbprint ' + $wanted
        } else {
            $found = @($all | Where-Object { $_.Subject.IndexOf($subject, [System.StringComparison]::OrdinalIgnoreCase) -ge 0 -and $_.HasPrivateKey -and (Test-GpuPvCodeSigning $_) -and $_.NotAfter.ToUniversalTime() -gt $now } | Sort-Object -Property NotAfter -Descending)
            $what = 'a subject holding "' + $subject + '" that signs code, is valid now and holds its private key'
        }
        if ($found.Count -eq 0) {
            throw (New-GpuPvError -Code 'Failed' -Message ('No certificate in Cert:\CurrentUser\My has ' + $what + ': import the certificate with its key there (Import-PfxCertificate -CertStoreLocation Cert:\CurrentUser\My), or correct driver.signing.certificate.'))
        }
        $certificate = $found[0]
        Export-GpuPvCer -Certificate $certificate -Path $cerPath
        [ordered]@{
            thumbprint = $certificate.Thumbprint.ToUpperInvariant()
            subject    = $certificate.Subject
            notAfter   = Format-GpuPvDate $certificate.NotAfter
            cer        = $cerPath
        }
    }
}

function Get-GpuPvTestCertificate {
    # The workspace's test certificate in the user's store (CurrentUser\My, where signtool
    # /sha1 finds it): the one of this subject with its key that signs code longest, if it is
    # valid until validUntil; otherwise a new one from New-SelfSignedCertificate, its key never
    # exportable. Either way exported as a DER .cer to cerPath, for the guest to trust.
    param([string]$EncodedParams = '')
    Invoke-GpuPvCall -Encoded $EncodedParams -NoHyperVCheck -Body {
        param($p, $target)
        Assert-GpuPvSigningHost -Target $target
        $subject = Get-GpuPvString -Params $p -Name 'subject' -Required
        $cerPath = Get-GpuPvString -Params $p -Name 'cerPath' -Required
        $validUntil = ConvertTo-GpuPvUtcTime -Params $p -Name 'validUntil'
        $notAfter = ConvertTo-GpuPvUtcTime -Params $p -Name 'notAfter'
        $keyLength = [int](Get-GpuPvParam -Params $p -Name 'keyLength')
        if (@(2048, 3072, 4096) -notcontains $keyLength) { throw (New-GpuPvError -Code 'InvalidParameter' -Message "Parameter 'keyLength' must be 2048, 3072 or 4096.") }
        $mine = @(Get-GpuPvUserCertificates | Where-Object { $_.Subject -eq $subject -and $_.HasPrivateKey -and (Test-GpuPvCodeSigning $_) } | Sort-Object -Property NotAfter -Descending)
        $certificate = $null
        $reason = 'there was none yet'
        if ($mine.Count -gt 0) {
            if ($mine[0].NotAfter.ToUniversalTime() -gt $validUntil) { $certificate = $mine[0] }
            else { $reason = 'the one in the store expires ' + (Format-GpuPvDate $mine[0].NotAfter) }
        }
        $created = $false
        if ($null -eq $certificate) {
            $made = @{
                Type              = 'CodeSigningCert'
                Subject           = $subject
                CertStoreLocation = 'Cert:\CurrentUser\My'
                KeyAlgorithm      = 'RSA'
                KeyLength         = $keyLength
                HashAlgorithm     = 'SHA256'
                KeyExportPolicy   = 'NonExportable'
                NotAfter          = $notAfter.ToLocalTime()
            }
            $certificate = New-SelfSignedCertificate @made
            $created = $true
        }
        Export-GpuPvCer -Certificate $certificate -Path $cerPath
        $result = [ordered]@{
            thumbprint = $certificate.Thumbprint.ToUpperInvariant()
            subject    = $certificate.Subject
            notAfter   = Format-GpuPvDate $certificate.NotAfter
            cer        = $cerPath
            created    = $created
        }
        if ($created) { $result['reason'] = $reason }
        $result
    }
}

Export-ModuleMember -Function @(
    'Get-GpuPvInventory',
    'Invoke-GpuPvVmAction',
    'Set-GpuPvPartition',
    'Add-GpuPvPartition',
    'Remove-GpuPvPartition',
    'Set-GpuPvVmForGpuP',
    'Invoke-GpuPvDda',
    'Get-GpuPvNewVmOptions',
    'New-GpuPvVm',
    'Invoke-GpuPvCheckpoint',
    'Enable-GpuPvGuestServices',
    'Sync-GpuPvHostDriver',
    'Get-GpuPvGuestDriverInfo',
    'Test-GpuPvGuestSession',
    'Invoke-GpuPvGuestOperation',
    'Send-GpuPvGuestFiles',
    'Remove-GpuPvGuestFolder',
    'Receive-GpuPvGuestLogs',
    'Get-GpuPvTestCertificate',
    'Get-GpuPvStoreCertificate'
)
