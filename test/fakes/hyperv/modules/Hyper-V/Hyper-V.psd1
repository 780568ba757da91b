# The development stand-in for Windows' Hyper-V module (see Hyper-V.psm1). Named and versioned
# like the real one, so `Get-Module -ListAvailable Hyper-V` and `Import-Module Hyper-V` find it
# when its folder is on PSModulePath. PowerShell Direct's session cmdlets come with it, since
# only a Hyper-V host has them in that form.
@{
    RootModule        = 'Hyper-V.psm1'
    NestedModules     = @('PowerShellDirect.psm1')
    ModuleVersion     = '2.0.0.0'
    GUID              = 'af4bddd0-8583-4ff2-84b2-a33f5c8de8a7'
    Author            = 'GPU-PV Dev Kit (development stand-in)'
    Description       = 'Stand-in for the Hyper-V module: the cmdlets GpuPv.psm1 calls, acting on a JSON state document.'
    PowerShellVersion = '7.2'
    FunctionsToExport = @(
        'Get-VM', 'Start-VM', 'Stop-VM', 'Save-VM', 'Suspend-VM', 'Resume-VM', 'Restart-VM', 'Set-VM',
        'Get-VMMemory', 'Set-VMMemory',
        'Get-VMHostPartitionableGpu', 'Get-VMPartitionableGpu',
        'Get-VMGpuPartitionAdapter', 'Add-VMGpuPartitionAdapter', 'Set-VMGpuPartitionAdapter', 'Remove-VMGpuPartitionAdapter',
        'Get-VMSnapshot', 'Checkpoint-VM', 'Restore-VMSnapshot', 'Remove-VMSnapshot',
        'Get-VMIntegrationService', 'Enable-VMIntegrationService',
        'Get-VMHardDiskDrive', 'Mount-VHD', 'Dismount-VHD', 'New-VHD', 'Get-VHD',
        'Get-VMHost', 'Get-VMSwitch', 'New-VM', 'Remove-VM', 'Set-VMProcessor', 'Set-VMFirmware', 'Set-VMKeyProtector', 'Enable-VMTPM',
        'Get-VMHostAssignableDevice', 'Dismount-VMHostAssignableDevice', 'Mount-VMHostAssignableDevice',
        'Get-VMAssignableDevice', 'Add-VMAssignableDevice', 'Remove-VMAssignableDevice',
        'New-PSSession', 'Invoke-Command', 'Copy-Item', 'Remove-PSSession'
    )
    CmdletsToExport   = @()
    AliasesToExport   = @()
    VariablesToExport = @()
}
