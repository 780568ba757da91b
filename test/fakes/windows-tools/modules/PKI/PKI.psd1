# The development stand-in for Windows' PKI module: New-SelfSignedCertificate and Export-Certificate (see PKI.psm1).
@{
    RootModule        = 'PKI.psm1'
    ModuleVersion     = '1.0.0.0'
    GUID              = '7c1d4e2a-9b3f-4d6e-a8c5-0f2e1b7d9a34'
    Author            = 'GPU-PV Dev Kit (development stand-in)'
    Description       = 'Stand-in for the PKI module: real certificates in .NET''s user store, mirrored for the signtool stand-in.'
    PowerShellVersion = '7.2'
    FunctionsToExport = @('New-SelfSignedCertificate', 'Export-Certificate')
    CmdletsToExport   = @()
    AliasesToExport   = @()
    VariablesToExport = @()
}
