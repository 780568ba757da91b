# GpuPvPlatform.psm1 - the few Windows facilities GpuPv.psm1 needs that are not cmdlets: the
# caller's token, the registry, CIM classes and the Windows folder.
#
# GpuPv.psm1 imports this module by name, and the extension appends the folder above this one
# to PSModulePath, so a module of the same name earlier on PSModulePath takes its place. The
# development stand-in does exactly that on machines without Windows; nothing in GpuPv.psm1
# knows which one it got. Keep each function small and free of decisions: the logic that
# deserves tests lives in GpuPv.psm1. Same rules as GpuPv.psm1: Windows PowerShell 5.1 and
# PowerShell 7, strict mode, nothing written to the output but the return value.

Set-StrictMode -Version 2.0

function Get-GpuPvPlatformComputerName {
    # The NetBIOS name, as $env:COMPUTERNAME and Hyper-V's ComputerName properties spell it.
    return [System.Environment]::MachineName
}

function Test-GpuPvPlatformSimulated {
    # Only a development stand-in answers $true; the inventory then labels the host simulated.
    return $false
}

function Test-GpuPvPlatformHyperVAdmin {
    # Elevated administrators and members of Hyper-V Administrators (S-1-5-32-578) may manage VMs.
    # IsInRole(Administrator) is false for a non-elevated UAC token, which is what we want.
    $identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
    $principal = [System.Security.Principal.WindowsPrincipal]::new($identity)
    if ($principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)) { return $true }
    $hyperVAdmins = [System.Security.Principal.SecurityIdentifier]::new('S-1-5-32-578')
    return [bool]$principal.IsInRole($hyperVAdmins)
}

function Get-GpuPvPlatformOsBuild {
    # '26100.2314' for this machine (build and update revision), '20348' for a remote one.
    param([string]$ComputerName)
    if ($ComputerName) {
        return [string](Get-CimInstance -ClassName 'Win32_OperatingSystem' -ComputerName $ComputerName -OperationTimeoutSec 10 -ErrorAction Stop).BuildNumber
    }
    $cv = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' -ErrorAction Stop
    $build = [string]$cv.CurrentBuild
    $ubr = $cv.PSObject.Properties['UBR']
    if ($null -ne $ubr) { $build = $build + '.' + [string]$ubr.Value }
    return $build
}

function Get-GpuPvPlatformDisplayDriver {
    # Win32_PnPSignedDriver of every display device: InfName, DriverVersion, DriverDate, DeviceName, DeviceID.
    return @(Get-CimInstance -ClassName 'Win32_PnPSignedDriver' -Filter "DeviceClass='DISPLAY'" -ErrorAction Stop)
}

function Get-GpuPvPlatformVideoController {
    # Win32_VideoController of this machine: PNPDeviceID and the friendly Name.
    return @(Get-CimInstance -ClassName 'Win32_VideoController' -ErrorAction Stop)
}

function Get-GpuPvPlatformVmWorkerProcess {
    # Win32_Process of every VM worker process (one per VM, the VM id on its command line): ProcessId, CommandLine.
    return @(Get-CimInstance -ClassName 'Win32_Process' -Filter "Name='vmwp.exe'" -Property 'ProcessId', 'CommandLine' -ErrorAction Stop)
}

function Get-GpuPvPlatformGpuEngineCounters {
    # The raw "GPU Engine" counters of every process: Name (pid_<pid>_luid_<luid>_phys_<n>_eng_<n>_engtype_<type>),
    # UtilizationPercentage (running time, 100 ns) and Timestamp_Sys100NS.
    return @(Get-CimInstance -ClassName 'Win32_PerfRawData_GPUPerformanceCounters_GPUEngine' -Property 'Name', 'UtilizationPercentage', 'Timestamp_Sys100NS' -ErrorAction Stop)
}

function Get-GpuPvPlatformGpuProcessMemory {
    # The raw "GPU Process Memory" counters: Name (pid_<pid>_luid_<luid>_phys_<n>), DedicatedUsage and SharedUsage in bytes.
    return @(Get-CimInstance -ClassName 'Win32_PerfRawData_GPUPerformanceCounters_GPUProcessMemory' -Property 'Name', 'DedicatedUsage', 'SharedUsage' -ErrorAction Stop)
}

function Get-GpuPvPlatformWindowsDirectory {
    return $env:SystemRoot
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
