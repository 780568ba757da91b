# The development stand-in for Windows' Storage module: the disk, partition, volume and disk
# image cmdlets that GpuPv.psm1 uses (see Storage.psm1).
@{
    RootModule        = 'Storage.psm1'
    ModuleVersion     = '2.0.0.0'
    GUID              = '41486f7d-842f-40f1-9d81-7c1d1e7e5d1b'
    Author            = 'GPU-PV Dev Kit (development stand-in)'
    Description       = 'Stand-in for the Storage module: disks that the Hyper-V stand-in mounted, their partitions and volumes, and ISO images.'
    PowerShellVersion = '7.2'
    FunctionsToExport = @(
        'Get-Disk', 'Set-Disk', 'Initialize-Disk', 'New-Partition', 'Format-Volume', 'Get-Partition', 'Add-PartitionAccessPath',
        'Mount-DiskImage', 'Get-DiskImage', 'Get-Volume', 'Dismount-DiskImage'
    )
    CmdletsToExport   = @()
    AliasesToExport   = @()
    VariablesToExport = @()
}
