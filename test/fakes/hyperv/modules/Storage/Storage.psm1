# Storage.psm1 - a development stand-in for the disk, partition, volume and disk image cmdlets
# of Windows' Storage module. Disks are those the Hyper-V stand-in's Mount-VHD attached
# (standIn.mountedDisks), of two kinds:
#   * the disk of a VM in the state document: the partitions of a generation 2 Windows VM (EFI,
#     MSR, and the Windows volume, whose files are the VM's folder, GpuPvStandIn);
#   * a disk file made by New-VHD: blank until Initialize-Disk and New-Partition give it a
#     partition table (its header), each partition a folder of the unpacked file.
# An ISO is mounted by Mount-DiskImage as a drive of its own, holding what
# standIn.diskImages says for its file name (a Windows ISO's sources\install.wim by default).
# A drive letter is a PowerShell drive, so 'E:\Windows\...' paths work for every cmdlet as
# they do on Windows.

Set-StrictMode -Version 2.0
Import-Module -Name 'GpuPvStandIn' -ErrorAction Stop

# GPT partition types, as Windows names them in MSFT_Partition.Type.
$script:GptTypes = @{
    '{c12a7328-f81f-11d2-ba4b-00a0c93ec93b}' = 'System'
    '{e3c9e316-0b5c-4db8-817d-f92df00215ae}' = 'Reserved'
    '{ebd0a0a2-b9e5-4433-87c0-68b6b72699c7}' = 'Basic'
    '{de94bba4-06d1-4d40-a16a-bfd50179d6ac}' = 'Recovery'
}

function Find-MountedDisk {
    param($Cmdlet, [int]$Number)
    $doc = Get-StandInState
    $mounted = Get-StandInValue $doc.standIn 'mountedDisks'
    if ($null -ne $mounted) {
        foreach ($prop in $mounted.PSObject.Properties) {
            if ([int]$prop.Value.diskNumber -eq $Number) { return [pscustomobject]@{ Path = $prop.Name; Entry = $prop.Value; Folder = (Get-StandInValue $prop.Value 'folder') } }
        }
    }
    Stop-StandInCall -Cmdlet $Cmdlet -Category 'ObjectNotFound' -ErrorId 'CmdletizationQuery_NotFound_Number' -Message ("No MSFT_Disk objects found with property 'Number' equal to '" + [string]$Number + "'.  Verify the value of the property and retry.")
}

function Get-FreeDriveLetter {
    param($Cmdlet)
    foreach ($candidate in [char[]]'EFGHIJKLMNOPQRSTUVWXYZ') {
        if ($null -eq (Get-PSDrive -Name ([string]$candidate) -ErrorAction SilentlyContinue)) { return [string]$candidate }
    }
    Stop-StandInCall -Cmdlet $Cmdlet -Category 'ResourceUnavailable' -ErrorId 'NoDriveLetter' -Message 'No drive letter is free.'
}

function ConvertTo-PartitionObject {
    param([int]$DiskNumber, $Partition)
    $letter = [char]0
    $assigned = Get-StandInValue $Partition 'driveLetter'
    if ($null -ne $assigned) { $letter = [char][string]$assigned }
    [pscustomobject]@{
        PSTypeName      = 'Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Storage/MSFT_Partition'
        DiskNumber      = $DiskNumber
        PartitionNumber = [int]$Partition.number
        Type            = [string]$Partition.type
        GptType         = [string](Get-StandInValue $Partition 'gptType' '')
        Size            = [uint64]$Partition.size
        DriveLetter     = $letter
    }
}

function Get-DiskPartitions {
    # The partitions of a mounted disk: a disk file's from its header, a VM disk's fixed three.
    param($Disk)
    if ($null -ne $Disk.Folder) { return @((Read-StandInVhdHeader -Folder ([string]$Disk.Folder)).partitions) }
    $letter = Get-StandInValue $Disk.Entry 'driveLetter'
    return @(
        [pscustomobject]@{ number = 1; type = 'System'; size = [uint64]104857600; driveLetter = $null },
        [pscustomobject]@{ number = 2; type = 'Reserved'; size = [uint64]16777216; driveLetter = $null },
        [pscustomobject]@{ number = 3; type = 'Basic'; size = [uint64]136254177280; driveLetter = $letter }
    )
}

function Get-Disk {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][int]$Number)
    Enter-StandInCall -Cmdlet
    $disk = Find-MountedDisk -Cmdlet $PSCmdlet -Number $Number
    $style = 'GPT'
    $size = [uint64]136375812096
    if ($null -ne $disk.Folder) {
        $header = Read-StandInVhdHeader -Folder ([string]$disk.Folder)
        $style = [string]$header.partitionStyle
        $size = [uint64]$header.sizeBytes
    }
    [pscustomobject]@{
        PSTypeName     = 'Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Storage/MSFT_Disk'
        Number         = $Number
        FriendlyName   = 'Msft Virtual Disk'
        Location       = $disk.Path
        Size           = $size
        IsOffline      = $false
        IsReadOnly     = $false
        PartitionStyle = $style
    }
}

function Set-Disk {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][int]$Number, [bool]$IsOffline, [bool]$IsReadOnly)
    Enter-StandInCall -Cmdlet
    $null = Find-MountedDisk -Cmdlet $PSCmdlet -Number $Number
}

function Initialize-Disk {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][int]$Number, [ValidateSet('GPT', 'MBR')][string]$PartitionStyle = 'GPT', [switch]$PassThru)
    Enter-StandInCall -Cmdlet
    $disk = Find-MountedDisk -Cmdlet $PSCmdlet -Number $Number
    $header = $null
    if ($null -ne $disk.Folder) { $header = Read-StandInVhdHeader -Folder ([string]$disk.Folder) }
    if ($null -eq $header -or [string]$header.partitionStyle -ne 'RAW') {
        Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidOperation' -ErrorId 'HRESULT 0xc0340002' -Message 'The disk has already been initialized.'
    }
    $header.partitionStyle = $PartitionStyle
    Write-StandInVhdHeader -Folder ([string]$disk.Folder) -Header $header
}

function New-Partition {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][int]$DiskNumber, [uint64]$Size, [switch]$UseMaximumSize, [string]$GptType = '{ebd0a0a2-b9e5-4433-87c0-68b6b72699c7}', [switch]$AssignDriveLetter)
    Enter-StandInCall -Cmdlet
    $disk = Find-MountedDisk -Cmdlet $PSCmdlet -Number $DiskNumber
    if ($null -eq $disk.Folder) { Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidOperation' -ErrorId 'HRESULT 0xc0340000' -Message 'Not enough available capacity.' }
    $header = Read-StandInVhdHeader -Folder ([string]$disk.Folder)
    if ([string]$header.partitionStyle -eq 'RAW') {
        Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidOperation' -ErrorId 'HRESULT 0xc0340001' -Message 'The disk has not been initialized.'
    }
    $used = [uint64]1048576
    foreach ($part in @($header.partitions)) { $used += [uint64]$part.size }
    $free = [uint64]$header.sizeBytes - $used
    if ($UseMaximumSize) { $Size = $free }
    if ($Size -eq 0 -or $Size -gt $free) { Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidOperation' -ErrorId 'HRESULT 0xc0340000' -Message 'Not enough available capacity.' }
    $type = $script:GptTypes[$GptType.ToLowerInvariant()]
    if ($null -eq $type) { $type = 'Unknown' }
    $partition = [pscustomobject]@{ number = @($header.partitions).Count + 1; type = $type; gptType = $GptType.ToLowerInvariant(); size = $Size; fileSystem = $null; label = $null; driveLetter = $null }
    $header.partitions = @(@($header.partitions) + $partition)
    $null = New-Item -ItemType Directory -Path (Join-Path ([string]$disk.Folder) ('partition' + $partition.number)) -Force
    Write-StandInVhdHeader -Folder ([string]$disk.Folder) -Header $header
    if ($AssignDriveLetter) { Add-PartitionAccessPath -DiskNumber $DiskNumber -PartitionNumber $partition.number -AssignDriveLetter }
    return (Get-Partition -DiskNumber $DiskNumber -PartitionNumber $partition.number)
}

function Format-Volume {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, ValueFromPipeline = $true)]$Partition, [ValidateSet('NTFS', 'FAT32', 'ReFS', 'exFAT')][string]$FileSystem = 'NTFS', [string]$NewFileSystemLabel, [switch]$Force)
    Enter-StandInCall -Cmdlet
    $disk = Find-MountedDisk -Cmdlet $PSCmdlet -Number ([int]$Partition.DiskNumber)
    if ($null -eq $disk.Folder) { Stop-StandInCall -Cmdlet $PSCmdlet -Category 'PermissionDenied' -ErrorId 'HRESULT 0x80070005' -Message 'Access denied' }
    $header = Read-StandInVhdHeader -Folder ([string]$disk.Folder)
    $record = @($header.partitions | Where-Object { [int]$_.number -eq [int]$Partition.PartitionNumber })[0]
    $record.fileSystem = $FileSystem
    $record.label = $NewFileSystemLabel
    Write-StandInVhdHeader -Folder ([string]$disk.Folder) -Header $header
    # A format leaves an empty volume.
    $root = Join-Path ([string]$disk.Folder) ('partition' + $record.number)
    Get-ChildItem -LiteralPath $root -Force | Remove-Item -Recurse -Force
    [pscustomobject]@{ PSTypeName = 'Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Storage/MSFT_Volume'; FileSystem = $FileSystem; FileSystemLabel = $NewFileSystemLabel; DriveLetter = (ConvertTo-PartitionObject -DiskNumber $disk.Entry.diskNumber -Partition $record).DriveLetter; Size = [uint64]$record.size }
}

function Get-Partition {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][int]$DiskNumber, [int]$PartitionNumber)
    Enter-StandInCall -Cmdlet
    $disk = Find-MountedDisk -Cmdlet $PSCmdlet -Number $DiskNumber
    foreach ($p in (Get-DiskPartitions -Disk $disk)) {
        if ($PSBoundParameters.ContainsKey('PartitionNumber') -and [int]$p.number -ne $PartitionNumber) { continue }
        ConvertTo-PartitionObject -DiskNumber $DiskNumber -Partition $p
    }
}

function Add-PartitionAccessPath {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][int]$DiskNumber, [Parameter(Mandatory = $true)][int]$PartitionNumber, [switch]$AssignDriveLetter)
    Enter-StandInCall -Cmdlet
    $disk = Find-MountedDisk -Cmdlet $PSCmdlet -Number $DiskNumber
    if (-not $AssignDriveLetter) { Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidArgument' -ErrorId 'InvalidParameter' -Message 'The stand-in only assigns drive letters.' }
    $doc = Get-StandInState
    $letter = Get-FreeDriveLetter -Cmdlet $PSCmdlet
    if ($null -ne $disk.Folder) {
        $header = Read-StandInVhdHeader -Folder ([string]$disk.Folder)
        $record = @($header.partitions | Where-Object { [int]$_.number -eq $PartitionNumber })[0]
        if ($null -eq $record) { Stop-StandInCall -Cmdlet $PSCmdlet -Category 'ObjectNotFound' -ErrorId 'CmdletizationQuery_NotFound' -Message ("No MSFT_Partition objects found with property 'PartitionNumber' equal to '" + $PartitionNumber + "'.") }
        $null = New-PSDrive -Name $letter -PSProvider 'FileSystem' -Root (Join-Path ([string]$disk.Folder) ('partition' + $PartitionNumber)) -Scope Global
        Set-StandInValue $record 'driveLetter' $letter
        Write-StandInVhdHeader -Folder ([string]$disk.Folder) -Header $header
        return
    }
    if ($PartitionNumber -ne 3) { Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidArgument' -ErrorId 'InvalidParameter' -Message 'The stand-in assigns drive letters to the Windows volume only.' }
    $root = Get-StandInVmVolume -Document $doc -VmId ([string]$disk.Entry.vmId)
    $null = New-PSDrive -Name $letter -PSProvider 'FileSystem' -Root $root -Scope Global
    Set-StandInValue $disk.Entry 'driveLetter' $letter
    Save-StandInState -Document $doc
}

# ---------------------------------------------------------------- disk images (ISO files)

function Get-ImageContents {
    # What an ISO holds, by its file name (standIn.diskImages), else a Windows 11 ISO's layout.
    param([string]$ImagePath)
    $images = Get-StandInValue (Get-StandInState).standIn 'diskImages'
    $entry = Get-StandInValue $images ([System.IO.Path]::GetFileName($ImagePath))
    if ($null -eq $entry) { $entry = Get-StandInValue $images 'default' }
    return $entry
}

function ConvertTo-DiskImageObject {
    param([string]$ImagePath, $Entry)
    [pscustomobject]@{
        PSTypeName  = 'Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Storage/MSFT_DiskImage'
        ImagePath   = $ImagePath
        Attached    = ($null -ne $Entry)
        StorageType = 1
        DevicePath  = $(if ($null -ne $Entry) { '\\.\CDROM' + [string]$Entry.number } else { $null })
        Size        = [uint64]([System.IO.FileInfo]::new($ImagePath)).Length
    }
}

function Mount-DiskImage {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string[]]$ImagePath, [ValidateSet('ReadOnly', 'ReadWrite')][string]$Access, [ValidateSet('ISO', 'VHD', 'VHDX')][string]$StorageType, [switch]$PassThru)
    Enter-StandInCall -Cmdlet
    foreach ($one in $ImagePath) {
        if (-not [System.IO.File]::Exists($one)) {
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'ObjectNotFound' -ErrorId 'HRESULT 0x80070002' -Message 'The system cannot find the file specified.'
        }
        $doc = Get-StandInState
        $mounted = Get-StandInSection -Document $doc -Name 'mountedImages'
        if ($null -ne (Get-StandInValue $mounted $one)) {
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidOperation' -ErrorId 'HRESULT 0x80070020' -Message 'The process cannot access the file because it is being used by another process.'
        }
        $numbers = @($mounted.PSObject.Properties | ForEach-Object { [int]$_.Value.number })
        $number = 0
        while ($numbers -contains $number) { $number++ }
        $folder = Get-StandInFolder -Kind 'images' -Name ([string]$number)
        if (Test-Path -LiteralPath $folder) { Remove-Item -LiteralPath $folder -Recurse -Force }
        $null = New-Item -ItemType Directory -Path $folder -Force
        $contents = Get-ImageContents -ImagePath $one
        foreach ($file in @(Get-StandInValue $contents 'files' @())) {
            $target = Join-Path $folder ([string]$file.path)
            $null = New-Item -ItemType Directory -Path (Split-Path -Parent $target) -Force
            [System.IO.File]::WriteAllText($target, (ConvertTo-Json -InputObject (Get-StandInValue $file 'content' '') -Depth 8), [System.Text.UTF8Encoding]::new($false))
        }
        $letter = Get-FreeDriveLetter -Cmdlet $PSCmdlet
        $null = New-PSDrive -Name $letter -PSProvider 'FileSystem' -Root $folder -Scope Global
        $entry = [pscustomobject]@{ number = $number; folder = $folder; driveLetter = $letter }
        Set-StandInValue $mounted $one $entry
        Save-StandInState -Document $doc
        if ($PassThru) { ConvertTo-DiskImageObject -ImagePath $one -Entry $entry }
    }
}

function Get-DiskImage {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string[]]$ImagePath)
    Enter-StandInCall -Cmdlet
    foreach ($one in $ImagePath) {
        if (-not [System.IO.File]::Exists($one)) {
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'ObjectNotFound' -ErrorId 'HRESULT 0x80070002' -Message 'The system cannot find the file specified.'
        }
        ConvertTo-DiskImageObject -ImagePath $one -Entry (Get-StandInValue (Get-StandInSection -Document (Get-StandInState) -Name 'mountedImages') $one)
    }
}

function Get-Volume {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, ValueFromPipeline = $true)]$DiskImage)
    process {
        Enter-StandInCall -Cmdlet
        $entry = Get-StandInValue (Get-StandInSection -Document (Get-StandInState) -Name 'mountedImages') ([string]$DiskImage.ImagePath)
        if ($null -eq $entry) { return }
        [pscustomobject]@{ PSTypeName = 'Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Storage/MSFT_Volume'; DriveLetter = [char][string]$entry.driveLetter; FileSystem = 'UDF'; DriveType = 'CD-ROM' }
    }
}

function Dismount-DiskImage {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string[]]$ImagePath)
    Enter-StandInCall -Cmdlet
    foreach ($one in $ImagePath) {
        $doc = Get-StandInState
        $mounted = Get-StandInSection -Document $doc -Name 'mountedImages'
        $entry = Get-StandInValue $mounted $one
        # Windows answers a dismount of an image that is not mounted with success.
        if ($null -eq $entry) { continue }
        Remove-PSDrive -Name ([string]$entry.driveLetter) -Scope Global -Force -ErrorAction SilentlyContinue
        Remove-Item -LiteralPath ([string]$entry.folder) -Recurse -Force -ErrorAction SilentlyContinue
        $mounted.PSObject.Properties.Remove($one)
        Save-StandInState -Document $doc
    }
}

Export-ModuleMember -Function @(
    'Get-Disk', 'Set-Disk', 'Initialize-Disk', 'New-Partition', 'Format-Volume', 'Get-Partition', 'Add-PartitionAccessPath',
    'Mount-DiskImage', 'Get-DiskImage', 'Get-Volume', 'Dismount-DiskImage'
)
