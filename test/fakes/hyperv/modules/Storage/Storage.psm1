# Storage.psm1 - a development stand-in for the disk and partition cmdlets of Windows' Storage
# module, for the disks the Hyper-V stand-in's Mount-VHD attached (standIn.mountedDisks). Each
# such disk has the partitions of a generation 2 Windows VM: EFI, MSR, and the Windows volume,
# whose files are the VM's folder (GpuPvStandIn). A drive letter is a PowerShell drive, so
# 'E:\Windows\...' paths work for every cmdlet as they do on Windows.

Set-StrictMode -Version 2.0
Import-Module -Name 'GpuPvStandIn' -ErrorAction Stop

function Find-MountedDisk {
    param($Cmdlet, [int]$Number)
    $doc = Get-StandInState
    $mounted = Get-StandInValue $doc.standIn 'mountedDisks'
    if ($null -ne $mounted) {
        foreach ($prop in $mounted.PSObject.Properties) {
            if ([int]$prop.Value.diskNumber -eq $Number) { return [pscustomobject]@{ Path = $prop.Name; Entry = $prop.Value } }
        }
    }
    Stop-StandInCall -Cmdlet $Cmdlet -Category 'ObjectNotFound' -ErrorId 'CmdletizationQuery_NotFound_Number' -Message ("No MSFT_Disk objects found with property 'Number' equal to '" + [string]$Number + "'.  Verify the value of the property and retry.")
}

function Get-Disk {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][int]$Number)
    Enter-StandInCall -Cmdlet
    $disk = Find-MountedDisk -Cmdlet $PSCmdlet -Number $Number
    [pscustomobject]@{
        PSTypeName     = 'Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Storage/MSFT_Disk'
        Number         = $Number
        FriendlyName   = 'Msft Virtual Disk'
        Location       = $disk.Path
        IsOffline      = $false
        IsReadOnly     = $false
        PartitionStyle = 'GPT'
    }
}

function Set-Disk {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][int]$Number, [bool]$IsOffline, [bool]$IsReadOnly)
    Enter-StandInCall -Cmdlet
    $null = Find-MountedDisk -Cmdlet $PSCmdlet -Number $Number
}

function Get-Partition {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][int]$DiskNumber, [int]$PartitionNumber)
    Enter-StandInCall -Cmdlet
    $disk = Find-MountedDisk -Cmdlet $PSCmdlet -Number $DiskNumber
    $letter = [char]0
    $assigned = Get-StandInValue $disk.Entry 'driveLetter'
    if ($null -ne $assigned) { $letter = [char][string]$assigned }
    $partitions = @(
        @{ PartitionNumber = 1; Type = 'System'; Size = [uint64]104857600; DriveLetter = [char]0 },
        @{ PartitionNumber = 2; Type = 'Reserved'; Size = [uint64]16777216; DriveLetter = [char]0 },
        @{ PartitionNumber = 3; Type = 'Basic'; Size = [uint64]136254177280; DriveLetter = $letter }
    )
    foreach ($p in $partitions) {
        if ($PSBoundParameters.ContainsKey('PartitionNumber') -and $p.PartitionNumber -ne $PartitionNumber) { continue }
        [pscustomobject]@{
            PSTypeName      = 'Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Storage/MSFT_Partition'
            DiskNumber      = $DiskNumber
            PartitionNumber = $p.PartitionNumber
            Type            = $p.Type
            Size            = $p.Size
            DriveLetter     = $p.DriveLetter
        }
    }
}

function Add-PartitionAccessPath {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][int]$DiskNumber, [Parameter(Mandatory = $true)][int]$PartitionNumber, [switch]$AssignDriveLetter)
    Enter-StandInCall -Cmdlet
    $disk = Find-MountedDisk -Cmdlet $PSCmdlet -Number $DiskNumber
    if (-not $AssignDriveLetter -or $PartitionNumber -ne 3) {
        Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidArgument' -ErrorId 'InvalidParameter' -Message 'The stand-in assigns drive letters to the Windows volume only.'
    }
    $doc = Get-StandInState
    $letter = $null
    foreach ($candidate in [char[]]'EFGHIJKLMNOPQRSTUVWXYZ') {
        if ($null -eq (Get-PSDrive -Name ([string]$candidate) -ErrorAction SilentlyContinue)) { $letter = [string]$candidate; break }
    }
    if ($null -eq $letter) { Stop-StandInCall -Cmdlet $PSCmdlet -Category 'ResourceUnavailable' -ErrorId 'NoDriveLetter' -Message 'No drive letter is free.' }
    $root = Get-StandInVmVolume -Document $doc -VmId ([string]$disk.Entry.vmId)
    $null = New-PSDrive -Name $letter -PSProvider 'FileSystem' -Root $root -Scope Global
    Set-StandInValue $disk.Entry 'driveLetter' $letter
    Save-StandInState -Document $doc
}

Export-ModuleMember -Function @('Get-Disk', 'Set-Disk', 'Get-Partition', 'Add-PartitionAccessPath')
