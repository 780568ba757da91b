# The development stand-in for Windows' SecureBoot module: Confirm-SecureBootUEFI (see SecureBoot.psm1).
@{
    RootModule        = 'SecureBoot.psm1'
    ModuleVersion     = '2.0.0.0'
    GUID              = '2b6e0f51-8a0e-4c1f-b3a7-5d9e6c4f1a22'
    Author            = 'GPU-PV Dev Kit (development stand-in)'
    Description       = 'Stand-in for the SecureBoot module, answering from the guest stand-in state.'
    PowerShellVersion = '7.2'
    FunctionsToExport = @('Confirm-SecureBootUEFI')
    CmdletsToExport   = @()
    AliasesToExport   = @()
    VariablesToExport = @()
}
