# PKI.psm1 - development stand-in for Windows' PKI module, which does not exist on Linux.
#
# Only what GPU-PV Dev Kit calls, with the real cmdlets' parameter names, defaults and output
# types:
#   * New-SelfSignedCertificate -Type CodeSigningCert makes a real RSA certificate (.NET's
#     CertificateRequest) with the Code Signing EKU and the Digital Signature key usage, as
#     the real one does, and puts it with its key into .NET's own CurrentUser\My store (on
#     Linux, files under ~/.dotnet/corefx/cryptography/x509stores/my): the very store the
#     product reads through X509Store, as it reads Cert:\CurrentUser\My on Windows. It is
#     also listed in the signtool stand-in's store (GPUPV_FAKE_CERT_STORE), so signtool /sha1
#     finds it there. Returns the X509Certificate2, as the real cmdlet does.
#   * Export-Certificate -Type CERT writes the DER certificate and returns the file.
# Anything else the real cmdlets offer (other types, SAN lists, TPM keys) is refused with a
# plain "stand-in does not implement" error rather than imitated.

Set-StrictMode -Version 2.0

function New-SelfSignedCertificate {
    [CmdletBinding()]
    param(
        [ValidateSet('Custom', 'CodeSigningCert', 'DocumentEncryptionCert', 'SSLServerAuthentication', 'DocumentEncryptionCertLegacyCsp')]
        [string]$Type = 'SSLServerAuthentication',
        [string]$Subject,
        [string]$CertStoreLocation = 'Cert:\LocalMachine\My',
        [string]$KeyAlgorithm = 'RSA',
        [int]$KeyLength = 2048,
        [string]$HashAlgorithm = 'SHA256',
        [ValidateSet('NonExportable', 'ExportableEncrypted', 'Exportable')]
        [string]$KeyExportPolicy = 'ExportableEncrypted',
        [datetime]$NotAfter = (Get-Date).AddYears(1),
        [datetime]$NotBefore = (Get-Date).AddMinutes(-10)
    )
    if ($Type -ne 'CodeSigningCert' -or $KeyAlgorithm -ne 'RSA') {
        throw ('New-SelfSignedCertificate (stand-in) does not implement -Type ' + $Type + ' -KeyAlgorithm ' + $KeyAlgorithm + '.')
    }
    if ($CertStoreLocation -notmatch '^Cert:\\(CurrentUser|LocalMachine)\\My$') {
        throw ('New-SelfSignedCertificate (stand-in) does not implement -CertStoreLocation ' + $CertStoreLocation + '.')
    }
    $location = $Matches[1]
    if ([string]::IsNullOrEmpty($Subject)) { throw 'CertEnroll::CX509Enrollment::_CreateRequest: The subject is empty. 0x80092023' }
    if ($Subject -notmatch '^[A-Za-z]+=') { $Subject = 'CN=' + $Subject }
    $rsa = [System.Security.Cryptography.RSA]::Create($KeyLength)
    $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new(
        [System.Security.Cryptography.X509Certificates.X500DistinguishedName]::new($Subject),
        $rsa,
        [System.Security.Cryptography.HashAlgorithmName]::new($HashAlgorithm.ToUpperInvariant()),
        [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $usages = [System.Security.Cryptography.OidCollection]::new()
    $null = $usages.Add([System.Security.Cryptography.Oid]::new('1.3.6.1.5.5.7.3.3', 'Code Signing'))
    $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension]::new($usages, $false))
    $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509KeyUsageExtension]::new([System.Security.Cryptography.X509Certificates.X509KeyUsageFlags]::DigitalSignature, $true))
    $made = $request.CreateSelfSigned([datetimeoffset]$NotBefore, [datetimeoffset]$NotAfter)
    # A store keeps what it is given only when the key is marked to persist.
    $flags = [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]'PersistKeySet, Exportable'
    $certificate = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($made.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pfx), [string]$null, $flags)
    $store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', $location)
    $store.Open([System.Security.Cryptography.X509Certificates.OpenFlags]::ReadWrite)
    try { $store.Add($certificate) } finally { $store.Close() }
    $mirror = $env:GPUPV_FAKE_CERT_STORE
    if ($mirror) {
        $listed = @()
        if (Test-Path -LiteralPath $mirror) { $listed = @(Get-Content -LiteralPath $mirror -Raw | ConvertFrom-Json) }
        $listed += [pscustomobject]@{ thumbprint = $certificate.Thumbprint; subject = $certificate.Subject; notAfter = $certificate.NotAfter.ToUniversalTime().ToString('o') }
        [System.IO.File]::WriteAllText($mirror, (ConvertTo-Json -InputObject @($listed) -Depth 3))
    }
    return $certificate
}

function Export-Certificate {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true, ValueFromPipeline = $true)]
        [System.Security.Cryptography.X509Certificates.X509Certificate2]$Cert,
        [Parameter(Mandatory = $true)][string]$FilePath,
        [ValidateSet('SST', 'CERT', 'P7B')][string]$Type = 'SST',
        [switch]$NoClobber,
        [switch]$Force
    )
    if ($Type -ne 'CERT') { throw ('Export-Certificate (stand-in) does not implement -Type ' + $Type + '.') }
    $full = [System.IO.Path]::GetFullPath($FilePath)
    if ($NoClobber -and (Test-Path -LiteralPath $full)) { throw ('Export-Certificate : The file ''' + $full + ''' already exists.') }
    [System.IO.File]::WriteAllBytes($full, $Cert.RawData)
    return (Get-Item -LiteralPath $full)
}

Export-ModuleMember -Function 'New-SelfSignedCertificate', 'Export-Certificate'
