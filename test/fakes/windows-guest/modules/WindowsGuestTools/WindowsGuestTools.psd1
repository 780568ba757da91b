# The development stand-ins for the guest's Windows programs pnputil.exe, bcdedit.exe,
# certutil.exe and taskkill.exe (see WindowsGuestTools.psm1).
@{
    RootModule        = 'WindowsGuestTools.psm1'
    ModuleVersion     = '1.0.0'
    GUID              = '9a4c2e7b-6f13-4d58-a2b9-3c7e1d5f8b04'
    Author            = 'GPU-PV Dev Kit (development stand-in)'
    Description       = 'Stand-ins for pnputil.exe, bcdedit.exe, certutil.exe and taskkill.exe, acting on the guest stand-in state.'
    PowerShellVersion = '7.2'
    FunctionsToExport = @('pnputil.exe', 'bcdedit.exe', 'certutil.exe', 'taskkill.exe', 'tracelog.exe')
    CmdletsToExport   = @()
    AliasesToExport   = @()
    VariablesToExport = @()
}
