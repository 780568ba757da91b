# Dot-sourced by tests that need a simulated Windows guest: a Windows folder ($env:SystemRoot),
# the guest's state (GPUPV_FAKE_GUEST_STATE, from demoGuest.json) and the stand-in modules
# (modules/) first on PSModulePath; plus what a build would hand the guest: a test certificate
# and a signed driver package (INF, .sys, catalog signed as PKCS#7 by that certificate).

$script:WindowsGuestHome = $PSScriptRoot
$script:WindowsGuestModules = Join-Path $PSScriptRoot 'modules'

function New-WindowsGuestStandIn {
    # A fresh guest under $Root; $Edit changes the state document first. Returns its paths.
    param([Parameter(Mandatory = $true)][string]$Root, [scriptblock]$Edit)
    $windows = Join-Path $Root 'Windows'
    foreach ($dir in @('INF', 'System32', 'Temp', 'Minidump')) { $null = New-Item -ItemType Directory -Path (Join-Path $windows $dir) -Force }
    $state = Join-Path $Root 'guest.json'
    $doc = [System.IO.File]::ReadAllText((Join-Path $script:WindowsGuestHome 'demoGuest.json')) | ConvertFrom-Json
    if ($Edit) { & $Edit $doc }
    [System.IO.File]::WriteAllText($state, (ConvertTo-Json -InputObject $doc -Depth 32))
    Use-WindowsGuestStandIn -Windows $windows -State $state
    return [pscustomobject]@{ Root = $Root; Windows = $windows; State = $state }
}

function Use-WindowsGuestStandIn {
    # This process becomes the guest: its Windows folder, its state, the stand-ins found first.
    param([string]$Windows, [string]$State)
    $env:SystemRoot = $Windows
    $env:GPUPV_FAKE_GUEST_STATE = $State
    $paths = @($env:PSModulePath -split [System.IO.Path]::PathSeparator | Where-Object { $_ -and $_ -ne $script:WindowsGuestModules })
    $env:PSModulePath = (@($script:WindowsGuestModules) + $paths) -join [System.IO.Path]::PathSeparator
}

function Read-WindowsGuest {
    return ([System.IO.File]::ReadAllText($env:GPUPV_FAKE_GUEST_STATE) | ConvertFrom-Json)
}

function Edit-WindowsGuest {
    # Reads the guest's state, lets $Edit change it, writes it back.
    param([Parameter(Mandatory = $true)][scriptblock]$Edit)
    $doc = Read-WindowsGuest
    & $Edit $doc
    [System.IO.File]::WriteAllText($env:GPUPV_FAKE_GUEST_STATE, (ConvertTo-Json -InputObject $doc -Depth 32))
}

function Set-WindowsGuestValue {
    param($Object, [string]$Name, $Value)
    $Object | Add-Member -Force -NotePropertyName $Name -NotePropertyValue $Value
}

function New-WindowsGuestCertificate {
    # A self-signed code-signing certificate with its key, as `New-SelfSignedCertificate -Type
    # CodeSigningCert` makes one; the .cer (DER, no key) is written to $CerPath when given.
    param([string]$Subject = 'CN=GPU-PV Dev Kit Test', [string]$CerPath)
    $rsa = [System.Security.Cryptography.RSA]::Create(2048)
    $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new($Subject, $rsa, [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $usage = [System.Security.Cryptography.OidCollection]::new()
    $null = $usage.Add([System.Security.Cryptography.Oid]::new('1.3.6.1.5.5.7.3.3'))
    $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension]::new($usage, $false))
    $certificate = $request.CreateSelfSigned([datetimeoffset]::UtcNow.AddDays(-1), [datetimeoffset]::UtcNow.AddYears(5))
    if ($CerPath) { [System.IO.File]::WriteAllBytes($CerPath, $certificate.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Cert)) }
    return $certificate
}

function New-WindowsGuestDriverPackage {
    # A display driver package in $Folder: <name>.inf (one model per hardware id), <name>.sys
    # and <name>.cat signed by $Certificate. -Catalog: signed (default), unsigned (not PKCS#7),
    # missing (named by the INF, absent) or none (the INF names no catalog).
    param(
        [Parameter(Mandatory = $true)][string]$Folder,
        [string]$Name = 'gpupvsample',
        [string[]]$HardwareIds = @('PCI\VEN_1414&DEV_008E'),
        [string]$DriverVer = '12/01/2026,1.2.3.4',
        $Certificate,
        [ValidateSet('signed', 'unsigned', 'missing', 'none')][string]$Catalog = 'signed'
    )
    $null = New-Item -ItemType Directory -Path $Folder -Force
    $catalogLine = 'CatalogFile = ' + $Name + '.cat'
    if ($Catalog -eq 'none') { $catalogLine = '' }
    $models = @($HardwareIds | ForEach-Object { '%DeviceDesc% = GpuPvSample_Install, ' + $_ })
    $inf = @(
        '; GPU-PV Dev Kit test package'
        '[Version]'
        'Signature   = "$WINDOWS NT$"'
        'Class       = Display'
        'ClassGuid   = {4d36e968-e325-11ce-bfc1-08002be10318}'
        'Provider    = %ProviderName%'
        ('DriverVer   = ' + $DriverVer)
        $catalogLine
        'PnpLockdown = 1'
        ''
        '[Manufacturer]'
        '%ProviderName% = GpuPvSample, NTamd64.10.0...16299'
        ''
        '[GpuPvSample.NTamd64.10.0...16299]'
    ) + $models + @(
        ''
        '[GpuPvSample_Install]'
        'CopyFiles = GpuPvSample_Files'
        ''
        '[GpuPvSample_Install.Services]'
        ('AddService = ' + $Name + ', 0x00000002, GpuPvSample_Service')
        ''
        '[GpuPvSample_Service]'
        'ServiceType   = 1'
        'StartType     = 3'
        'ErrorControl  = 1'
        ('ServiceBinary = %13%\' + $Name + '.sys')
        ''
        '[GpuPvSample_Files]'
        ($Name + '.sys')
        ''
        '[DestinationDirs]'
        'GpuPvSample_Files = 13'
        ''
        '[Strings]'
        'ProviderName = "GPU-PV Dev Kit"'
        'DeviceDesc   = "GPU-PV Sample Adapter"'
    )
    [System.IO.File]::WriteAllText((Join-Path $Folder ($Name + '.inf')), (($inf -join "`r`n") + "`r`n"))
    [System.IO.File]::WriteAllBytes((Join-Path $Folder ($Name + '.sys')), [byte[]](0x4D, 0x5A) + [byte[]]::new(510))
    $cat = Join-Path $Folder ($Name + '.cat')
    if ($Catalog -eq 'signed') {
        $content = [System.Security.Cryptography.Pkcs.ContentInfo]::new([System.Security.Cryptography.Oid]::new('1.3.6.1.4.1.311.10.1'), [System.Text.Encoding]::UTF8.GetBytes($Name + '.inf ' + $Name + '.sys'))
        $cms = [System.Security.Cryptography.Pkcs.SignedCms]::new($content)
        $cms.ComputeSignature([System.Security.Cryptography.Pkcs.CmsSigner]::new($Certificate))
        [System.IO.File]::WriteAllBytes($cat, $cms.Encode())
    } elseif ($Catalog -eq 'unsigned') {
        [System.IO.File]::WriteAllBytes($cat, [System.Text.Encoding]::ASCII.GetBytes('not a signed catalog'))
    }
    return [pscustomobject]@{ Folder = $Folder; Inf = ($Name + '.inf'); Files = @(Get-ChildItem -LiteralPath $Folder -File | ForEach-Object { $_.Name }) }
}

function Add-WindowsGuestEvent {
    # An entry of the guest's System log.
    param([string]$Provider, [int]$Id, [int]$Level = 4, [string]$Message, [datetime]$Time = [datetime]::UtcNow)
    Edit-WindowsGuest {
        param($doc)
        $entry = [pscustomobject]@{ logName = 'System'; providerName = $Provider; id = $Id; level = $Level; timeCreated = $Time.ToUniversalTime().ToString('o'); message = $Message }
        Set-WindowsGuestValue $doc 'events' @(@($doc.events) + $entry)
    }
}
