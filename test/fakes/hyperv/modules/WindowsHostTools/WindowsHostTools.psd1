# The development stand-in for the host's bcdboot.exe (see WindowsHostTools.psm1).
@{
    RootModule        = 'WindowsHostTools.psm1'
    ModuleVersion     = '1.0.0'
    GUID              = '5d0e7a3c-91b4-4f2a-8c6e-2b7f0d4a9e61'
    Author            = 'GPU-PV Dev Kit (development stand-in)'
    Description       = 'Stand-in for bcdboot.exe, acting on the stand-in''s mounted disks.'
    PowerShellVersion = '7.2'
    FunctionsToExport = @('bcdboot.exe')
    CmdletsToExport   = @()
    AliasesToExport   = @()
    VariablesToExport = @()
}
