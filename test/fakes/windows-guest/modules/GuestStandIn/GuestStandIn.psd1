# What the Windows guest stand-ins share: the guest's state document and its setupapi.dev.log
# (see GuestStandIn.psm1).
@{
    RootModule        = 'GuestStandIn.psm1'
    ModuleVersion     = '1.0.0'
    GUID              = '0d2b7c4e-5f61-4a8b-9c3d-7e1f2a4b6c80'
    Author            = 'GPU-PV Dev Kit (development stand-in)'
    Description       = 'State shared by the Windows guest stand-in modules.'
    PowerShellVersion = '7.2'
    FunctionsToExport = @(
        'Get-GuestStandIn', 'Save-GuestStandIn', 'Get-GuestStandInValue', 'Set-GuestStandInValue', 'Get-GuestStandInSection',
        'ConvertTo-GuestStandInTime', 'Test-GuestStandInElevated', 'Get-GuestStandInFault', 'Write-GuestStandInSetupApi',
        'Format-GuestStandInLogTime', 'Get-GuestStandInDeviceStatus'
    )
    CmdletsToExport   = @()
    AliasesToExport   = @()
    VariablesToExport = @()
}
