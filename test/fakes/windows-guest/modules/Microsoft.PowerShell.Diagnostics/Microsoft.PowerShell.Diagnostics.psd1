# The development stand-in for the Windows-only part of Microsoft.PowerShell.Diagnostics:
# Get-WinEvent over the guest's System log (see Microsoft.PowerShell.Diagnostics.psm1).
# PowerShell on Linux has no module of this name, so the real one is never shadowed.
@{
    RootModule        = 'Microsoft.PowerShell.Diagnostics.psm1'
    ModuleVersion     = '7.0.0.0'
    GUID              = '5c6a1b7e-3d2f-4e8a-9b10-6f4d2c8e7a93'
    Author            = 'GPU-PV Dev Kit (development stand-in)'
    Description       = 'Stand-in for Get-WinEvent, reading the guest stand-in state.'
    PowerShellVersion = '7.2'
    FunctionsToExport = @('Get-WinEvent')
    CmdletsToExport   = @()
    AliasesToExport   = @()
    VariablesToExport = @()
}
