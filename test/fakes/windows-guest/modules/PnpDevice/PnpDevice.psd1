# The development stand-in for Windows' PnpDevice module: the device cmdlets over a guest's
# devices or the Hyper-V host's own (see PnpDevice.psm1).
@{
    RootModule        = 'PnpDevice.psm1'
    ModuleVersion     = '1.0.0.0'
    GUID              = '7f2a3a8d-1d9c-4b1e-8e55-2f4b8c9d0a61'
    Author            = 'GPU-PV Dev Kit (development stand-in)'
    Description       = 'Stand-in for the PnpDevice module, acting on the stand-in state of a guest or of the Hyper-V host.'
    PowerShellVersion = '7.2'
    FunctionsToExport = @('Get-PnpDevice', 'Get-PnpDeviceProperty', 'Disable-PnpDevice', 'Enable-PnpDevice')
    CmdletsToExport   = @()
    AliasesToExport   = @()
    VariablesToExport = @()
}
