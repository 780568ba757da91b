# PnpDevice.psm1 - Get-PnpDevice, Get-PnpDeviceProperty, Disable-PnpDevice and Enable-PnpDevice
# over the devices of the machine GuestStandIn finds: a guest's, or the Hyper-V host's own
# (its PCI GPUs, which Discrete Device Assignment disables, dismounts and gives to VMs).
#
# Get-PnpDevice returns Win32_PnPEntity CIM instances with the PnpDevice module's extra
# properties (Class, FriendlyName, InstanceId, Problem, ProblemDescription); ConfigManagerErrorCode
# and Problem are enums of CM_PROB_* names whose value is the problem code. Get-PnpDeviceProperty
# returns one object per key (InstanceId, KeyName, Type, Data); a key the device lacks has
# Type 'Empty' and no Data. Unknown instance ids fail as the CIM query does.
#
# A device record: instanceId, friendlyName, class, classGuid, manufacturer, hardwareIds[],
# compatibleIds[], locationPaths[], present, problemCode, service, driver { publishedName,
# version, date (yyyy-MM-dd), provider } or null. Disabling a device sets its problem code to
# CM_PROB_DISABLED; enabling clears it.

Set-StrictMode -Version 2.0
Import-Module -Name 'GuestStandIn' -ErrorAction Stop

enum StandInProblem {
    CM_PROB_NONE = 0
    CM_PROB_NOT_CONFIGURED = 1
    CM_PROB_FAILED_START = 10
    CM_PROB_NORMAL_CONFLICT = 12
    CM_PROB_DISABLED = 22
    CM_PROB_FAILED_INSTALL = 28
    CM_PROB_FAILED_ADD = 31
    CM_PROB_DRIVER_FAILED_LOAD = 39
    CM_PROB_FAILED_POST_START = 43
    CM_PROB_PHANTOM = 45
    CM_PROB_UNSIGNED_DRIVER = 52
}

function Stop-PnpNotFound {
    param($Cmdlet, [string]$InstanceId)
    $message = "No matching Win32_PnPEntity objects found by CIM query for instances of the ROOT\cimv2\Win32_PnPEntity class on the  CIM server: SELECT * FROM Win32_PnPEntity  WHERE ((DeviceID LIKE '" + $InstanceId + "')). Verify query parameters and retry."
    $record = [System.Management.Automation.ErrorRecord]::new([System.Exception]::new($message), ('CmdletizationQuery_NotFound_InstanceId,' + [string]$Cmdlet.MyInvocation.MyCommand.Name), [System.Management.Automation.ErrorCategory]::ObjectNotFound, $InstanceId)
    $Cmdlet.WriteError($record)
}

function Find-PnpDevice {
    param($Devices, [string]$InstanceId)
    return @($Devices | Where-Object { [string]$_.instanceId -like $InstanceId })
}

function ConvertTo-PnpEntity {
    param($Device)
    $code = [int](Get-GuestStandInValue $Device 'problemCode' 0)
    $problem = $code
    if ([enum]::IsDefined([StandInProblem], $code)) { $problem = [StandInProblem]$code }
    $name = [string](Get-GuestStandInValue $Device 'friendlyName' '')
    $entity = [pscustomobject]@{
        PSTypeName             = 'Microsoft.Management.Infrastructure.CimInstance#ROOT/cimv2/Win32_PnPEntity'
        Caption                = $name
        Description            = $name
        Name                   = $name
        Status                 = (Get-GuestStandInDeviceStatus $Device)
        ConfigManagerErrorCode = $problem
        DeviceID               = [string]$Device.instanceId
        PNPDeviceID            = [string]$Device.instanceId
        ClassGuid              = [string](Get-GuestStandInValue $Device 'classGuid' '')
        CompatibleID           = [string[]]@(Get-GuestStandInValue $Device 'compatibleIds' @())
        HardwareID             = [string[]]@(Get-GuestStandInValue $Device 'hardwareIds' @())
        Manufacturer           = [string](Get-GuestStandInValue $Device 'manufacturer' '')
        PNPClass               = [string](Get-GuestStandInValue $Device 'class' '')
        Present                = [bool](Get-GuestStandInValue $Device 'present' $true)
        Service                = Get-GuestStandInValue $Device 'service'
        Class                  = [string](Get-GuestStandInValue $Device 'class' '')
        FriendlyName           = $name
        InstanceId             = [string]$Device.instanceId
        Problem                = $problem
        ProblemDescription     = ''
    }
    return $entity
}

function Get-PnpDevice {
    [CmdletBinding()]
    param(
        [Parameter(Position = 0)][string[]]$InstanceId,
        [string[]]$FriendlyName,
        [string[]]$Class,
        [string[]]$Status,
        [switch]$PresentOnly
    )
    $devices = @(Get-GuestStandInValue (Get-GuestStandIn).Guest 'devices' @())
    $selected = $devices
    if ($InstanceId) {
        $selected = @()
        foreach ($id in $InstanceId) {
            $found = @(Find-PnpDevice -Devices $devices -InstanceId $id)
            if ($found.Count -eq 0) { Stop-PnpNotFound -Cmdlet $PSCmdlet -InstanceId $id }
            $selected += $found
        }
    }
    foreach ($device in $selected) {
        $entity = ConvertTo-PnpEntity -Device $device
        if ($PresentOnly -and -not $entity.Present) { continue }
        if ($FriendlyName -and @($FriendlyName | Where-Object { $entity.FriendlyName -like $_ }).Count -eq 0) { continue }
        if ($Class -and @($Class | Where-Object { $entity.Class -like $_ }).Count -eq 0) { continue }
        if ($Status -and $Status -notcontains $entity.Status) { continue }
        $entity
    }
}

function Get-PnpDeviceProperty {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true, Position = 0)][string[]]$InstanceId,
        [Parameter(Position = 1)][string[]]$KeyName
    )
    $devices = @(Get-GuestStandInValue (Get-GuestStandIn).Guest 'devices' @())
    foreach ($id in $InstanceId) {
        $found = @(Find-PnpDevice -Devices $devices -InstanceId $id)
        if ($found.Count -eq 0) { Stop-PnpNotFound -Cmdlet $PSCmdlet -InstanceId $id; continue }
        foreach ($device in $found) {
            $driver = Get-GuestStandInValue $device 'driver'
            $present = [bool](Get-GuestStandInValue $device 'present' $true)
            $date = $null
            $dateText = Get-GuestStandInValue $driver 'date'
            if ($null -ne $dateText) { $date = [datetime]::ParseExact(([string]$dateText).Substring(0, 10), 'yyyy-MM-dd', [System.Globalization.CultureInfo]::InvariantCulture) }
            # What a device has: type and value; a live problem code only while it is present.
            $known = [ordered]@{
                DEVPKEY_Device_ProblemCode    = @('UInt32', $(if ($present) { [uint32](Get-GuestStandInValue $device 'problemCode' 0) } else { $null }))
                DEVPKEY_Device_DriverVersion  = @('String', (Get-GuestStandInValue $driver 'version'))
                DEVPKEY_Device_DriverDate     = @('FileTime', $date)
                DEVPKEY_Device_DriverInfPath  = @('String', (Get-GuestStandInValue $driver 'publishedName'))
                DEVPKEY_Device_DriverProvider = @('String', (Get-GuestStandInValue $driver 'provider'))
                DEVPKEY_Device_Service        = @('String', (Get-GuestStandInValue $device 'service'))
                DEVPKEY_Device_HardwareIds    = @('StringList', [string[]]@(Get-GuestStandInValue $device 'hardwareIds' @()))
                DEVPKEY_Device_LocationPaths  = @('StringList', $(if ($null -ne (Get-GuestStandInValue $device 'locationPaths')) { [string[]]@($device.locationPaths) } else { $null }))
                DEVPKEY_Device_Class          = @('String', (Get-GuestStandInValue $device 'class'))
                DEVPKEY_NAME                  = @('String', (Get-GuestStandInValue $device 'friendlyName'))
            }
            $keys = $KeyName
            if (-not $keys) { $keys = @($known.Keys) }
            foreach ($key in $keys) {
                $type = 'Empty'
                $data = $null
                if ($known.Contains($key) -and $null -ne $known[$key][1]) { $type = $known[$key][0]; $data = $known[$key][1] }
                [pscustomobject]@{
                    PSTypeName = 'Microsoft.Management.Infrastructure.CimInstance#ROOT/cimv2/Win32_PnPDeviceProperty'
                    InstanceId = [string]$device.instanceId
                    KeyName    = $key
                    Type       = $type
                    Data       = $data
                }
            }
        }
    }
}

function Set-PnpDeviceDisabled {
    param($Cmdlet, [string[]]$InstanceId, [bool]$Disabled)
    $state = Get-GuestStandIn
    $devices = @(Get-GuestStandInValue $state.Guest 'devices' @())
    foreach ($id in $InstanceId) {
        $found = @(Find-PnpDevice -Devices $devices -InstanceId $id | Where-Object { [bool](Get-GuestStandInValue $_ 'present' $true) })
        if ($found.Count -eq 0) { Stop-PnpNotFound -Cmdlet $Cmdlet -InstanceId $id; continue }
        foreach ($device in $found) {
            $code = 0
            if ($Disabled) { $code = [int][StandInProblem]::CM_PROB_DISABLED }
            Set-GuestStandInValue $device 'problemCode' $code
        }
    }
    Save-GuestStandIn -State $state
}

function Disable-PnpDevice {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
    param([Parameter(Mandatory = $true, Position = 0)][string[]]$InstanceId)
    if ($PSCmdlet.ShouldProcess(($InstanceId -join ', '), 'Disable')) { Set-PnpDeviceDisabled -Cmdlet $PSCmdlet -InstanceId $InstanceId -Disabled $true }
}

function Enable-PnpDevice {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
    param([Parameter(Mandatory = $true, Position = 0)][string[]]$InstanceId)
    if ($PSCmdlet.ShouldProcess(($InstanceId -join ', '), 'Enable')) { Set-PnpDeviceDisabled -Cmdlet $PSCmdlet -InstanceId $InstanceId -Disabled $false }
}

Export-ModuleMember -Function @('Get-PnpDevice', 'Get-PnpDeviceProperty', 'Disable-PnpDevice', 'Enable-PnpDevice')
