# GpuPvPlatform.psm1 (development stand-in) - takes the place of the product's module of the
# same name (extension/hyperv/GpuPvPlatform) by coming first on PSModulePath. It answers from
# the state document: the simulated host's name and build, its rights, its display drivers
# and GPUs, and a Windows folder holding its driver packages. GpuPv.psm1 imports it when it
# loads, which is where Import-Module is logged and its injected faults fire.

Set-StrictMode -Version 2.0
Import-Module -Name 'GpuPvStandIn' -ErrorAction Stop

function ConvertTo-PnpId {
    # '\\?\PCI#VEN_..&DEV_..#4&..&0&0008#{guid}\GPUPARAV' -> 'PCI\VEN_..&DEV_..\4&..&0&0008'
    param([string]$Path)
    $s = $Path -replace '^\\\\\?\\', ''
    $cut = $s.IndexOf('#{')
    if ($cut -ge 0) { $s = $s.Substring(0, $cut) }
    return $s.Replace('#', '\').ToUpperInvariant()
}

function Get-GpuPvPlatformComputerName {
    Enter-StandInCall
    return [string](Get-StandInState).host.name
}

function Test-GpuPvPlatformSimulated {
    return $true
}

function Test-GpuPvPlatformHyperVAdmin {
    Enter-StandInCall
    return [bool](Get-StandInValue (Get-StandInState).host 'isHyperVAdmin' $true)
}

function Get-GpuPvPlatformOsBuild {
    [CmdletBinding()]
    param([string]$ComputerName)
    Enter-StandInCall
    $doc = Get-StandInState
    if ($ComputerName) {
        $remote = Resolve-StandInHost -Cmdlet $PSCmdlet -ComputerName $ComputerName
        return [string](Get-StandInValue $remote.host 'osBuild' '')
    }
    return [string](Get-StandInValue $doc.host 'osBuild' '')
}

function Get-GpuPvPlatformDisplayDriver {
    # One signed display driver per host package (standIn.hostPackages) on the first GPU,
    # and the inbox Basic Display driver, which GpuPv.psm1 must pass over.
    Enter-StandInCall
    $doc = Get-StandInState
    $device = 'PCI\VEN_1414&DEV_008E\0'
    if (@($doc.gpus).Count -gt 0) { $device = ConvertTo-PnpId ([string]@($doc.gpus)[0].name) }
    $deviceName = [string](Get-StandInValue $doc.hostDriver 'deviceName' 'Display adapter')
    foreach ($pkg in @(Get-StandInValue $doc.standIn 'hostPackages' @())) {
        [pscustomobject]@{
            PSTypeName    = 'Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_PnPSignedDriver'
            DeviceClass   = 'DISPLAY'
            DeviceID      = $device
            DeviceName    = $deviceName
            InfName       = [string]$pkg.infName
            DriverVersion = [string]$pkg.version
            DriverDate    = [datetime]::ParseExact([string]$pkg.date, 'yyyy-MM-dd', [System.Globalization.CultureInfo]::InvariantCulture)
        }
    }
    [pscustomobject]@{
        PSTypeName    = 'Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_PnPSignedDriver'
        DeviceClass   = 'DISPLAY'
        DeviceID      = 'ROOT\BASICDISPLAY\0000'
        DeviceName    = 'Microsoft Basic Display Driver'
        InfName       = 'display.inf'
        DriverVersion = '10.0.26100.1'
        DriverDate    = [datetime]::new(2006, 6, 21)
    }
}

function Get-GpuPvPlatformVideoController {
    Enter-StandInCall
    foreach ($gpu in @((Get-StandInState).gpus)) {
        [pscustomobject]@{
            PSTypeName  = 'Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_VideoController'
            PNPDeviceID = ConvertTo-PnpId ([string]$gpu.name)
            Name        = [string](Get-StandInValue $gpu 'friendlyName' 'Display adapter')
        }
    }
}

# GPU counters, as dxgkrnl keeps them: cumulative running time per engine instance, in 100 ns.
# A VM's `gpuLoad` in the state document says how busy each engine type is now
# ({ "engines": { "3D": 62, "Copy": 4 }, "dedicatedBytes": n, "sharedBytes": n }); the running
# times grow at that rate from one read to the next, kept in this process as dxgkrnl keeps
# them in the kernel, so a load changed in the document shows from the next sample on.
$script:GpuRunning = @{}
$script:GpuCountersSince = [datetime]::new(2026, 1, 1, 0, 0, 0, [System.DateTimeKind]::Utc).ToFileTimeUtc()
# The engine ordinal of each engine type on the simulated GPUs (as `eng_<n>` in instance names).
$script:GpuEngineOrdinals = [ordered]@{ '3D' = 0; 'Copy' = 1; 'VideoDecode' = 3; 'VideoProcessing' = 4; 'VideoEncode' = 5; 'Compute_0' = 6 }
# The host's own desktop compositor, which the counters list beside the VMs' worker processes.
$script:DwmProcessId = 1180

function Get-StandInWorkerProcessId {
    # vmwp.exe runs while a VM is running, paused or saving; its pid follows the VM's place in the document.
    param($Document, $Vm)
    if (@('Running', 'Paused', 'Saving') -notcontains [string]$Vm.state) { return $null }
    return 4100 + 8 * [array]::IndexOf(@($Document.vms), $Vm)
}

function Get-StandInGpuLuid {
    # dxgkrnl's adapter LUID of the GPU a partition is on: 'luid_0x00000000_0x0000A1C0' for the first.
    param($Document, [string]$InstancePath)
    $gpus = @($Document.gpus)
    $index = 0
    for ($i = 0; $i -lt $gpus.Count; $i++) { if ([string]$gpus[$i].name -eq $InstancePath) { $index = $i } }
    return ('luid_0x00000000_0x{0:X8}' -f (0xA1C0 + 0x10 * $index))
}

function Get-StandInGpuUsers {
    # (pid, luid, gpuLoad) of each process using a GPU: the compositor on the first, and each
    # VM whose worker process runs with a partition, on the GPU of its first partition.
    param($Document)
    if (@($Document.gpus).Count -gt 0) {
        [pscustomobject]@{ ProcessId = $script:DwmProcessId; Luid = Get-StandInGpuLuid $Document ([string]@($Document.gpus)[0].name); Load = [pscustomobject]@{ engines = [pscustomobject]@{ '3D' = 3; 'Copy' = 0 }; dedicatedBytes = 184549376; sharedBytes = 25165824 } }
    }
    foreach ($vm in @($Document.vms)) {
        $processId = Get-StandInWorkerProcessId $Document $vm
        $partitions = @(Get-StandInValue $vm 'gpuPartitions' @())
        if ($null -eq $processId -or $partitions.Count -eq 0) { continue }
        # A partition's engines are listed from the start, idle until the guest uses them.
        $load = Get-StandInValue $vm 'gpuLoad' ([pscustomobject]@{ engines = [pscustomobject]@{}; dedicatedBytes = 0; sharedBytes = 0 })
        if ([string]$vm.state -ne 'Running') { $load = [pscustomobject]@{ engines = [pscustomobject]@{}; dedicatedBytes = $load.dedicatedBytes; sharedBytes = $load.sharedBytes } }
        [pscustomobject]@{ ProcessId = $processId; Luid = Get-StandInGpuLuid $Document ([string]$partitions[0].instancePath); Load = $load }
    }
}

function Get-GpuPvPlatformVmWorkerProcess {
    Enter-StandInCall -Cmdlet
    $doc = Get-StandInState
    foreach ($vm in @($doc.vms)) {
        $processId = Get-StandInWorkerProcessId $doc $vm
        if ($null -eq $processId) { continue }
        [pscustomobject]@{
            PSTypeName  = 'Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_Process'
            ProcessId   = [uint32]$processId
            CommandLine = '"C:\WINDOWS\System32\vmwp.exe" ' + ([string]$vm.id).ToUpperInvariant() + ' 0x' + ('{0:x}' -f (0x2F0 + $processId))
        }
    }
}

function Get-GpuPvPlatformGpuEngineCounters {
    Enter-StandInCall -Cmdlet
    $now = [datetime]::UtcNow.ToFileTimeUtc()
    foreach ($user in @(Get-StandInGpuUsers (Get-StandInState))) {
        $busy = @{}
        foreach ($p in @($user.Load.engines.PSObject.Properties)) { $busy[$p.Name] = [double]$p.Value }
        foreach ($type in $script:GpuEngineOrdinals.Keys) {
            $name = 'pid_{0}_{1}_phys_0_eng_{2}_engtype_{3}' -f $user.ProcessId, $user.Luid, $script:GpuEngineOrdinals[$type], $type
            $rate = 0.0
            if ($busy.ContainsKey($type)) { $rate = [math]::Min(100.0, [math]::Max(0.0, $busy[$type])) / 100.0 }
            $running = $script:GpuRunning[$name]
            if ($null -eq $running) { $running = @{ value = $rate * ($now - $script:GpuCountersSince); at = $now } }
            else { $running = @{ value = $running.value + $rate * ($now - $running.at); at = $now } }
            $script:GpuRunning[$name] = $running
            [pscustomobject]@{
                PSTypeName            = 'Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_PerfRawData_GPUPerformanceCounters_GPUEngine'
                Name                  = $name
                UtilizationPercentage = [uint64]$running.value
                Timestamp_Sys100NS    = [uint64]$now
            }
        }
    }
}

function Get-GpuPvPlatformGpuProcessMemory {
    Enter-StandInCall -Cmdlet
    foreach ($user in @(Get-StandInGpuUsers (Get-StandInState))) {
        [pscustomobject]@{
            PSTypeName     = 'Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_PerfRawData_GPUPerformanceCounters_GPUProcessMemory'
            Name           = 'pid_{0}_{1}_phys_0' -f $user.ProcessId, $user.Luid
            DedicatedUsage = [uint64](Get-StandInValue $user.Load 'dedicatedBytes' 0)
            SharedUsage    = [uint64](Get-StandInValue $user.Load 'sharedBytes' 0)
        }
    }
}

function Get-GpuPvPlatformWindowsDirectory {
    Enter-StandInCall
    return (Get-StandInHostWindows -Document (Get-StandInState))
}

# Loaded by GpuPv.psm1's own import: log it and fire an injected Import-Module fault (when a
# state document is named: a Pester suite imports the module before it makes one).
$gpuPvModule = @(Get-PSCallStack | Where-Object { [string]$_.ScriptName -like '*GpuPv.psm1' } | Select-Object -First 1)
$gpuPvPath = $null
if ($gpuPvModule.Count -gt 0) { $gpuPvPath = [string]$gpuPvModule[0].ScriptName }
$importFault = $null
if ($env:GPUPV_FAKE_HYPERV_STATE) {
    Write-StandInLog -Function 'Import-Module' -Command 'Import-Module' -Params ([ordered]@{ name = $gpuPvPath })
    $importFault = Get-StandInFault -Function 'Import-Module' -Kinds @('hang', 'crash', 'stderr', 'accessDenied')
}
if ($null -ne $importFault) {
    switch ([string]$importFault.kind) {
        'hang' { while ($true) { Start-Sleep -Seconds 3600 } }
        'crash' { [System.Environment]::Exit(1) }
        'stderr' { [Console]::Error.WriteLine([string](Get-StandInValue $importFault 'text' 'stand-in: injected error')) }
        'accessDenied' { throw [System.UnauthorizedAccessException]::new("Access to the path '" + $gpuPvPath + "' is denied.") }
    }
}

Export-ModuleMember -Function @(
    'Get-GpuPvPlatformComputerName',
    'Test-GpuPvPlatformSimulated',
    'Test-GpuPvPlatformHyperVAdmin',
    'Get-GpuPvPlatformOsBuild',
    'Get-GpuPvPlatformDisplayDriver',
    'Get-GpuPvPlatformVideoController',
    'Get-GpuPvPlatformVmWorkerProcess',
    'Get-GpuPvPlatformGpuEngineCounters',
    'Get-GpuPvPlatformGpuProcessMemory',
    'Get-GpuPvPlatformWindowsDirectory'
)
