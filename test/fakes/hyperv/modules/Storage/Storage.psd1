# The development stand-in for Windows' Storage module: the disk and partition cmdlets that
# GpuPv.psm1 uses on a virtual disk it mounted (see Storage.psm1).
@{
    RootModule        = 'Storage.psm1'
    ModuleVersion     = '2.0.0.0'
    GUID              = '41486f7d-842f-40f1-9d81-7c1d1e7e5d1b'
    Author            = 'GPU-PV Dev Kit (development stand-in)'
    Description       = 'Stand-in for the Storage module: Get-Disk, Set-Disk, Get-Partition and Add-PartitionAccessPath on disks that the Hyper-V stand-in mounted.'
    PowerShellVersion = '7.2'
    FunctionsToExport = @('Get-Disk', 'Set-Disk', 'Get-Partition', 'Add-PartitionAccessPath')
    CmdletsToExport   = @()
    AliasesToExport   = @()
    VariablesToExport = @()
}
