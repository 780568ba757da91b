# The development stand-in for Windows' Dism module: Get-WindowsImage and Expand-WindowsImage
# on the image files of the stand-in's ISOs (see Dism.psm1).
@{
    RootModule        = 'Dism.psm1'
    ModuleVersion     = '3.0'
    GUID              = '389c464d-8b8d-48e9-aafe-6d8a590d6798'
    Author            = 'GPU-PV Dev Kit (development stand-in)'
    Description       = 'Stand-in for the Dism module: reads and applies the stand-in''s Windows image files.'
    PowerShellVersion = '7.2'
    FunctionsToExport = @('Get-WindowsImage', 'Expand-WindowsImage')
    CmdletsToExport   = @()
    AliasesToExport   = @()
    VariablesToExport = @()
}
