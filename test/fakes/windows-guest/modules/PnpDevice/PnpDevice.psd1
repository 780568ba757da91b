# The development stand-in for Windows' PnpDevice module: Get-PnpDevice and
# Get-PnpDeviceProperty over the guest's devices (see PnpDevice.psm1).
@{
    RootModule        = 'PnpDevice.psm1'
    ModuleVersion     = '1.0.0.0'
    GUID              = '7f2a3a8d-1d9c-4b1e-8e55-2f4b8c9d0a61'
    Author            = 'GPU-PV Dev Kit (development stand-in)'
    Description       = 'Stand-in for the PnpDevice module, acting on the guest stand-in state.'
    PowerShellVersion = '7.2'
    FunctionsToExport = @('Get-PnpDevice', 'Get-PnpDeviceProperty')
    CmdletsToExport   = @()
    AliasesToExport   = @()
    VariablesToExport = @()
}
