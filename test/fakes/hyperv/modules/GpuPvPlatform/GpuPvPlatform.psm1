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
    'Get-GpuPvPlatformWindowsDirectory'
)
