# WindowsGuestTools.psm1 - the guest's pnputil.exe, bcdedit.exe, certutil.exe, taskkill.exe and
# the WDK's tracelog.exe, as functions of those very names, acting on the guest's state (GuestStandIn).
#
# Why functions and not executables: a Linux process exit status has 8 bits, so pnputil's 259,
# 3010 and 1641 and certutil's HRESULTs cannot cross a real process boundary here. A function
# named 'pnputil.exe' is what PowerShell runs for `& pnputil.exe ...` when no such program is
# on PATH (module autoloading), and it sets $LASTEXITCODE to the full code, so the product's
# code runs unchanged. Arguments, output text (English) and exit codes follow the real tools.
#
# Faults (guest.faults): addDriverExitCode + addDriverMessage (pnputil /add-driver ends so),
# problemCodeAfterInstall (the device's code once bound), deleteDriverExitCode +
# deleteDriverMessage. guest.elevated false refuses what needs an administrator.

Set-StrictMode -Version 2.0
Import-Module -Name 'GuestStandIn' -ErrorAction Stop

$script:Invariant = [System.Globalization.CultureInfo]::InvariantCulture
$script:StoreNames = @{ Root = 'Trusted Root Certification Authorities'; TrustedPublisher = 'Trusted Publishers'; CA = 'Intermediate Certification Authorities'; My = 'Personal' }

function ConvertTo-ToolSwitch {
    # '/Add-Driver', '-add-driver' -> 'add-driver'; anything else as given.
    param([string]$Arg)
    if ($Arg -match '^[/-]([A-Za-z][A-Za-z-]*)$') { return $Matches[1].ToLowerInvariant() }
    return $null
}

# ---------------------------------------------------------------- pnputil.exe

function Read-StandInInf {
    # An INF as far as a driver store needs it: [Version], the models' hardware ids and the
    # service name, with %strings% expanded.
    param([string]$Path)
    $sections = @{}
    $current = $null
    foreach ($raw in [System.IO.File]::ReadAllLines($Path)) {
        $line = $raw
        $quoted = $false
        for ($i = 0; $i -lt $line.Length; $i++) {
            if ($line[$i] -eq '"') { $quoted = -not $quoted }
            elseif ($line[$i] -eq ';' -and -not $quoted) { $line = $line.Substring(0, $i); break }
        }
        $line = $line.Trim()
        if ($line.Length -eq 0) { continue }
        if ($line -match '^\[(.+)\]$') {
            $current = $Matches[1].Trim()
            if (-not $sections.ContainsKey($current)) { $sections[$current] = New-Object -TypeName 'System.Collections.Generic.List[string]' }
            continue
        }
        if ($null -ne $current) { $sections[$current].Add($line) }
    }
    $strings = @{}
    foreach ($entry in @($sections['Strings'])) {
        if ($null -ne $entry -and $entry -match '^([^=]+?)\s*=\s*(.*)$') { $strings[$Matches[1]] = $Matches[2].Trim().Trim('"') }
    }
    $expand = {
        param([string]$Text)
        [regex]::Replace($Text, '%([^%]+)%', { param($m) if ($strings.ContainsKey($m.Groups[1].Value)) { $strings[$m.Groups[1].Value] } else { $m.Value } }).Trim().Trim('"')
    }
    $pairs = {
        param([string]$Section)
        foreach ($entry in @($sections[$Section])) {
            if ($null -ne $entry -and $entry -match '^([^=]+?)\s*=\s*(.*)$') { [pscustomobject]@{ Key = $Matches[1].Trim(); Value = $Matches[2].Trim() } }
        }
    }
    $version = @{}
    foreach ($pair in @(& $pairs 'Version')) { $version[$pair.Key] = & $expand $pair.Value }
    $models = New-Object -TypeName 'System.Collections.Generic.List[object]'
    foreach ($maker in @(& $pairs 'Manufacturer')) {
        $parts = @($maker.Value -split ',' | ForEach-Object { $_.Trim() })
        $names = @($parts[0]) + @($parts | Select-Object -Skip 1 | Where-Object { $_ -like 'NTamd64*' -or $_ -eq 'NT' } | ForEach-Object { $parts[0] + '.' + $_ })
        foreach ($name in $names) {
            foreach ($model in @(& $pairs $name)) {
                $fields = @($model.Value -split ',' | ForEach-Object { $_.Trim() })
                $models.Add([pscustomobject]@{ Description = (& $expand $model.Key); Install = $fields[0]; HardwareIds = @($fields | Select-Object -Skip 1 | Where-Object { $_ }) })
            }
        }
    }
    $service = $null
    foreach ($name in @($sections.Keys)) {
        foreach ($pair in @(& $pairs $name)) {
            if ($pair.Key -ieq 'AddService' -and $null -eq $service) { $service = (($pair.Value -split ',')[0]).Trim() }
        }
    }
    $catalog = $version['CatalogFile.NTamd64']
    if (-not $catalog) { $catalog = $version['CatalogFile'] }
    return [pscustomobject]@{
        Valid     = ($version['Signature'] -match '^\$(WINDOWS NT|Chicago)\$$')
        Class     = $version['Class']
        ClassGuid = $version['ClassGuid']
        Provider  = $version['Provider']
        DriverVer = $version['DriverVer']
        Catalog   = $catalog
        Models    = $models.ToArray()
        Service   = $service
    }
}

function Test-StandInCatalog {
    # The catalog's Authenticode (PKCS#7) signature and whether this guest trusts its signer:
    # the root in LocalMachine\Root and, for an install without a prompt, the signer in
    # TrustedPublisher. Returns $null when trusted, else the failure { Code; Message; Hex }.
    param($Guest, [string]$CatalogPath)
    $cms = [System.Security.Cryptography.Pkcs.SignedCms]::new()
    try {
        $cms.Decode([System.IO.File]::ReadAllBytes($CatalogPath))
        $cms.CheckSignature($true)
    } catch {
        return [pscustomobject]@{ Code = -536870325; Hex = '0xe000024b'; Message = 'The hash for the file is not present in the specified catalog file. The file is likely corrupt or the victim of tampering.'; Signer = $null }
    }
    $signer = $cms.SignerInfos[0].Certificate
    $stores = Get-GuestStandInValue $Guest 'certificates'
    $inStore = {
        param([string]$Store, [scriptblock]$Test)
        @(@(Get-GuestStandInValue $stores $Store @()) | Where-Object $Test).Count -gt 0
    }
    $thumbprint = $signer.Thumbprint
    $rootTrusted = & $inStore 'Root' { [string]$_.thumbprint -eq $thumbprint -or ($signer.Issuer -ne $signer.Subject -and [string]$_.subject -eq $signer.Issuer) }
    if (-not $rootTrusted) {
        return [pscustomobject]@{ Code = -2146762487; Hex = '0x800b0109'; Message = 'A certificate chain processed, but terminated in a root certificate which is not trusted by the trust provider.'; Signer = $signer }
    }
    if (-not (& $inStore 'TrustedPublisher' { [string]$_.thumbprint -eq $thumbprint })) {
        return [pscustomobject]@{ Code = -536870334; Hex = '0xe0000242'; Message = 'The publisher of an Authenticode(tm) signed catalog has not yet been established as trusted.'; Signer = $signer }
    }
    return [pscustomobject]@{ Code = 0; Hex = '0x00000000'; Message = $null; Signer = $signer }
}

function ConvertFrom-StandInDriverVer {
    # 'MM/dd/yyyy,a.b.c.d' -> date (yyyy-MM-dd) and version.
    param([string]$DriverVer)
    $parts = @(([string]$DriverVer) -split ',' | ForEach-Object { $_.Trim() })
    $date = [datetime]::ParseExact($parts[0], 'MM/dd/yyyy', $script:Invariant)
    return [pscustomobject]@{ Date = $date.ToString('yyyy-MM-dd', $script:Invariant); Version = $parts[1] }
}

function Compare-StandInDriver {
    # PnP prefers the newer date, then the higher version (same rank assumed): >0 when A wins.
    param($A, $B)
    $dates = [string]::CompareOrdinal([string]$A.date, [string]$B.date)
    if ($dates -ne 0) { return $dates }
    return ([version][string]$A.version).CompareTo([version][string]$B.version)
}

function Set-StandInDeviceDriver {
    # Binds a device to a store entry (or to none: Code 28) and decides its problem code: the
    # kernel refuses a test-signed driver without test signing or with Secure Boot on (Code 52).
    param($Guest, $Device, $Entry)
    if ($null -eq $Entry) {
        Set-GuestStandInValue $Device 'driver' $null
        Set-GuestStandInValue $Device 'service' $null
        Set-GuestStandInValue $Device 'problemCode' 28
        return 28
    }
    Set-GuestStandInValue $Device 'driver' ([pscustomobject]@{ publishedName = $Entry.publishedName; version = $Entry.version; date = $Entry.date; provider = $Entry.providerName })
    Set-GuestStandInValue $Device 'service' $Entry.service
    Set-GuestStandInValue $Device 'friendlyName' $Entry.deviceDescription
    Set-GuestStandInValue $Device 'class' $Entry.className
    $testSigning = [bool](Get-GuestStandInValue $Guest 'testSigningActive' (Get-GuestStandInValue $Guest 'testSigning' $false))
    $code = 0
    if ([bool](Get-GuestStandInValue $Entry 'testSigned' $true) -and (-not $testSigning -or [string](Get-GuestStandInValue $Guest 'secureBoot' 'off') -eq 'on')) { $code = 52 }
    else { $code = [int](Get-GuestStandInFault $Guest 'problemCodeAfterInstall') }
    Set-GuestStandInValue $Device 'problemCode' $code
    return $code
}

function Get-StandInProblemName {
    param([int]$Code)
    $names = @{ 10 = 'CM_PROB_FAILED_START'; 12 = 'CM_PROB_NORMAL_CONFLICT'; 28 = 'CM_PROB_FAILED_INSTALL'; 31 = 'CM_PROB_FAILED_ADD'; 39 = 'CM_PROB_DRIVER_FAILED_LOAD'; 43 = 'CM_PROB_FAILED_POST_START'; 52 = 'CM_PROB_UNSIGNED_DRIVER' }
    if ($names.ContainsKey($Code)) { return $names[$Code] }
    return 'CM_PROB_UNKNOWN'
}

function Test-StandInDeviceMatches {
    param($Device, $Entry)
    $ids = @(@(Get-GuestStandInValue $Device 'hardwareIds' @()) + @(Get-GuestStandInValue $Device 'compatibleIds' @()))
    foreach ($id in @($Entry.hardwareIds)) {
        if (@($ids | Where-Object { [string]$_ -ieq [string]$id }).Count -gt 0) { return $true }
    }
    return $false
}

function Invoke-StandInAddDriver {
    param($State, [string]$InfArg, [bool]$Install)
    $guest = $State.Guest
    $out = New-Object -TypeName 'System.Collections.Generic.List[string]'
    $log = New-Object -TypeName 'System.Collections.Generic.List[string]'
    $now = [datetime]::Now
    $out.Add('Adding driver package:  ' + $InfArg)
    $summary = { param([int]$Added) $out.Add(''); $out.Add('Total driver packages:  1'); $out.Add('Added driver packages:  ' + $Added) }
    $fail = {
        param([int]$Code, [string]$Message, [string]$Hex)
        $out.Add('Failed to add driver package: ' + $Message)
        & $summary 0
        if ($Hex) {
            $log.Add('<<<  Section end ' + (Format-GuestStandInLogTime ([datetime]::Now)))
            $log.Add('<<<  [Exit status: FAILURE(' + $Hex + ')]')
            $log.Add('')
            Write-GuestStandInSetupApi -Lines $log.ToArray()
        }
        return [pscustomobject]@{ Lines = $out.ToArray(); Code = $Code }
    }
    if (-not (Test-GuestStandInElevated $guest)) { return (& $fail 5 'Access is denied.' $null) }
    $path = [System.IO.Path]::GetFullPath($InfArg)
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { return (& $fail 2 'The system cannot find the file specified.' $null) }
    $log.Add('>>>  [Device Install (DiInstallDriver) - ' + $path + ']')
    $log.Add('>>>  Section start ' + (Format-GuestStandInLogTime $now))
    $log.Add('      cmd: pnputil.exe /add-driver ' + $InfArg + $(if ($Install) { ' /install' } else { '' }))
    $log.Add('     sto: {Setup Import Driver Package: ' + $path + '} ' + (Format-GuestStandInLogTime $now -Short))
    $inf = Read-StandInInf -Path $path
    if (-not $inf.Valid -or -not $inf.DriverVer) { return (& $fail 13 'The data is invalid.' '0x0000000d') }
    $log.Add('     inf:      Provider: ' + $inf.Provider)
    $log.Add('     inf:      Class GUID: ' + $inf.ClassGuid)
    $log.Add('     inf:      Driver Version: ' + $inf.DriverVer)
    if (-not $inf.Catalog) {
        $log.Add('!!!  sto:      INF does not reference a catalog file.')
        return (& $fail -536870353 'The third-party INF does not contain digital signature information.' '0xe000022f')
    }
    $catalogPath = Join-Path (Split-Path -Parent $path) $inf.Catalog
    $log.Add('     inf:      Catalog File: ' + $inf.Catalog)
    $log.Add('     sig: {_VERIFY_FILE_SIGNATURE} ' + (Format-GuestStandInLogTime ([datetime]::Now) -Short))
    $log.Add('     sig:      Key      = ' + (Split-Path -Leaf $path))
    $log.Add('     sig:      FilePath = ' + $path)
    $log.Add('     sig:      Catalog  = ' + $catalogPath)
    if (-not (Test-Path -LiteralPath $catalogPath -PathType Leaf)) {
        $log.Add('!!!  sig:      Catalog file not found.')
        return (& $fail 2 'The system cannot find the file specified.' '0x00000002')
    }
    $trust = Test-StandInCatalog -Guest $guest -CatalogPath $catalogPath
    if ($trust.Code -ne 0) {
        $log.Add('!    sig:      Verifying file against specific (valid) catalog failed.')
        $log.Add('!!!  sig:      Error ' + $trust.Hex + ': ' + $trust.Message)
        $log.Add('     sig: {_VERIFY_FILE_SIGNATURE exit(' + $trust.Hex + ')} ' + (Format-GuestStandInLogTime ([datetime]::Now) -Short))
        return (& $fail $trust.Code $trust.Message $trust.Hex)
    }
    $log.Add('     sig:      Success: File is signed in catalog.')
    $log.Add('     sig: {_VERIFY_FILE_SIGNATURE exit(0x00000000)} ' + (Format-GuestStandInLogTime ([datetime]::Now) -Short))
    $fault = Get-GuestStandInFault $guest 'addDriverExitCode'
    if ($null -ne $fault -and @(0, 259, 3010, 1641) -notcontains [int]$fault) {
        $message = [string](Get-GuestStandInFault $guest 'addDriverMessage')
        return (& $fail ([int]$fault) $message ('0x{0:x8}' -f [int]$fault))
    }
    $when = ConvertFrom-StandInDriverVer $inf.DriverVer
    $hash = (Get-FileHash -LiteralPath $path -Algorithm SHA256).Hash
    $store = @(Get-GuestStandInValue $guest 'driverStore' @())
    $originalName = (Split-Path -Leaf $path).ToLowerInvariant()
    $entry = @($store | Where-Object { [string]$_.originalName -ieq $originalName -and [string](Get-GuestStandInValue $_ 'infSha256' '') -eq $hash }) | Select-Object -First 1
    if ($null -ne $entry) {
        $out.Add('Driver package added successfully. (Already exists in the system)')
    } else {
        $used = @($store | ForEach-Object { [string]$_.publishedName })
        $n = 0
        while ($used -contains ('oem' + $n + '.inf')) { $n++ }
        $description = @($inf.Models | ForEach-Object { $_.Description } | Select-Object -First 1)[0]
        $entry = [pscustomobject]@{
            publishedName     = 'oem' + $n + '.inf'
            originalName      = $originalName
            providerName      = $inf.Provider
            className         = $inf.Class
            classGuid         = $inf.ClassGuid
            date              = $when.Date
            version           = $when.Version
            signerName        = $trust.Signer.GetNameInfo([System.Security.Cryptography.X509Certificates.X509NameType]::SimpleName, $false)
            hardwareIds       = @($inf.Models | ForEach-Object { $_.HardwareIds })
            service           = $inf.Service
            deviceDescription = $description
            infSha256         = $hash
            testSigned        = $true
        }
        Set-GuestStandInValue $guest 'driverStore' @($store + $entry)
        $out.Add('Driver package added successfully.')
    }
    $out.Add('Published Name:         ' + $entry.publishedName)
    $log.Add('     sto:      Published Driver Store Entry: ' + $entry.publishedName)
    $log.Add('<<<  Section end ' + (Format-GuestStandInLogTime ([datetime]::Now)))
    $log.Add('<<<  [Exit status: SUCCESS]')
    $log.Add('')
    $installed = 0
    if ($Install) {
        foreach ($device in @(Get-GuestStandInValue $guest 'devices' @())) {
            if (-not [bool](Get-GuestStandInValue $device 'present' $true) -or -not (Test-StandInDeviceMatches -Device $device -Entry $entry)) { continue }
            $current = Get-GuestStandInValue $device 'driver'
            if ($null -ne $current -and (Compare-StandInDriver -A $current -B $entry) -ge 0) {
                $out.Add('Driver package is up-to-date on device: ' + [string]$device.instanceId)
                continue
            }
            $code = Set-StandInDeviceDriver -Guest $guest -Device $device -Entry $entry
            $installed++
            $out.Add('Driver package installed on device: ' + [string]$device.instanceId)
            $log.Add('>>>  [Device Install (UpdateDriverForPlugAndPlayDevices) - ' + [string]$device.instanceId + ']')
            $log.Add('>>>  Section start ' + (Format-GuestStandInLogTime ([datetime]::Now)))
            $log.Add('     dvi: {Build Driver List} ' + (Format-GuestStandInLogTime ([datetime]::Now) -Short))
            $log.Add('     dvi:      Selected Driver:')
            $log.Add('     dvi:           Description   - ' + $entry.deviceDescription)
            $log.Add('     dvi:           InfName       - ' + $entry.publishedName)
            $log.Add('     dvi:           Version       - ' + $entry.version)
            if ($code -ne 0) {
                $status = @{ 52 = '0xc0000428'; 43 = '0xc00000e5'; 10 = '0xc0000001' }[$code]
                if (-not $status) { $status = '0xc0000001' }
                $log.Add('!!!  dvi: Device not started: Device has problem: 0x' + $code.ToString('x2') + ' (' + (Get-StandInProblemName $code) + '), problem status: ' + $status + '.')
            }
            $log.Add('<<<  Section end ' + (Format-GuestStandInLogTime ([datetime]::Now)))
            $log.Add('<<<  [Exit status: SUCCESS]')
            $log.Add('')
        }
    }
    Save-GuestStandIn -State $State
    Write-GuestStandInSetupApi -Lines $log.ToArray()
    $code = 0
    if ($Install -and $installed -eq 0) { $code = 259 }
    if ($null -ne $fault -and ([int]$fault -eq 3010 -or [int]$fault -eq 1641)) {
        $code = [int]$fault
        if ($code -eq 3010) { $out.Add('System reboot is needed to complete install operations!') }
        else { $out.Add('System is rebooting to complete install operations!') }
    }
    & $summary 1
    return [pscustomobject]@{ Lines = $out.ToArray(); Code = $code }
}

function Invoke-StandInDeleteDriver {
    param($State, [string]$PublishedName, [bool]$Uninstall)
    $guest = $State.Guest
    if (-not (Test-GuestStandInElevated $guest)) { return [pscustomobject]@{ Lines = @('Failed to delete driver package: Access is denied.'); Code = 5 } }
    $fault = Get-GuestStandInFault $guest 'deleteDriverExitCode'
    if ($null -ne $fault) { return [pscustomobject]@{ Lines = @('Failed to delete driver package: ' + [string](Get-GuestStandInFault $guest 'deleteDriverMessage')); Code = [int]$fault } }
    $store = @(Get-GuestStandInValue $guest 'driverStore' @())
    $entry = @($store | Where-Object { [string]$_.publishedName -ieq $PublishedName }) | Select-Object -First 1
    if ($null -eq $entry) { return [pscustomobject]@{ Lines = @('Failed to delete driver package: The parameter is incorrect.'); Code = 87 } }
    $rest = @($store | Where-Object { -not [object]::ReferenceEquals($_, $entry) })
    Set-GuestStandInValue $guest 'driverStore' $rest
    $lines = @()
    $users = @(@(Get-GuestStandInValue $guest 'devices' @()) | Where-Object { [string](Get-GuestStandInValue (Get-GuestStandInValue $_ 'driver') 'publishedName' '') -ieq $PublishedName })
    if ($Uninstall -and $users.Count -gt 0) {
        # Each device falls back to the best remaining package that matches it, else to none.
        foreach ($device in $users) {
            $best = $null
            foreach ($candidate in @($rest | Where-Object { Test-StandInDeviceMatches -Device $device -Entry $_ })) {
                if ($null -eq $best -or (Compare-StandInDriver -A $candidate -B $best) -gt 0) { $best = $candidate }
            }
            $null = Set-StandInDeviceDriver -Guest $guest -Device $device -Entry $best
        }
        $lines += 'Driver package uninstalled.'
    }
    Save-GuestStandIn -State $State
    $lines += 'Driver package deleted successfully.'
    return [pscustomobject]@{ Lines = $lines; Code = 0 }
}

function Format-StandInDriverList {
    param($Guest)
    $lines = @()
    foreach ($entry in @(Get-GuestStandInValue $Guest 'driverStore' @())) {
        $date = [datetime]::ParseExact([string]$entry.date, 'yyyy-MM-dd', $script:Invariant).ToString('MM/dd/yyyy', $script:Invariant)
        $lines += ('Published Name:'.PadRight(20) + $entry.publishedName)
        $lines += ('Original Name:'.PadRight(20) + $entry.originalName)
        $lines += ('Provider Name:'.PadRight(20) + $entry.providerName)
        $lines += ('Class Name:'.PadRight(20) + (Get-GuestStandInValue $entry 'classDisplayName' (Get-GuestStandInValue $entry 'className' '')))
        $lines += ('Class GUID:'.PadRight(20) + $entry.classGuid)
        $lines += ('Driver Version:'.PadRight(20) + $date + ' ' + $entry.version)
        $lines += ('Signer Name:'.PadRight(20) + $entry.signerName)
        $lines += ''
    }
    return $lines
}

function pnputil.exe {
    $argv = @($args | ForEach-Object { [string]$_ })
    $command = $null
    if ($argv.Count -gt 0) { $command = ConvertTo-ToolSwitch $argv[0] }
    $options = @($argv | Select-Object -Skip 1 | ForEach-Object { ConvertTo-ToolSwitch $_ } | Where-Object { $_ })
    $operands = @($argv | Select-Object -Skip 1 | Where-Object { $null -eq (ConvertTo-ToolSwitch $_) })
    'Microsoft PnP Utility'
    ''
    $state = Get-GuestStandIn
    $result = $null
    switch ($command) {
        'enum-drivers' { $result = [pscustomobject]@{ Lines = @(Format-StandInDriverList -Guest $state.Guest); Code = 0 } }
        'add-driver' {
            if ($operands.Count -ne 1) { $result = [pscustomobject]@{ Lines = @('Invalid command line arguments.'); Code = 87 } }
            else { $result = Invoke-StandInAddDriver -State $state -InfArg $operands[0] -Install ($options -contains 'install') }
        }
        'delete-driver' {
            if ($operands.Count -ne 1) { $result = [pscustomobject]@{ Lines = @('Invalid command line arguments.'); Code = 87 } }
            else { $result = Invoke-StandInDeleteDriver -State $state -PublishedName $operands[0] -Uninstall ($options -contains 'uninstall') }
        }
        default { throw ('stand-in: pnputil.exe ' + ($argv -join ' ') + ' is not modeled') }
    }
    $result.Lines
    $global:LASTEXITCODE = $result.Code
}

# ---------------------------------------------------------------- bcdedit.exe

function bcdedit.exe {
    $argv = @($args | ForEach-Object { [string]$_ })
    $guest = (Get-GuestStandIn).Guest
    if (-not (Test-GuestStandInElevated $guest)) {
        'The boot configuration data store could not be opened.'
        'Access is denied.'
        $global:LASTEXITCODE = 1
        return
    }
    $command = $null
    if ($argv.Count -gt 0) { $command = ConvertTo-ToolSwitch $argv[0] }
    $rest = @($argv | Select-Object -Skip 1)
    if ($command -eq 'enum' -and ($rest.Count -eq 0 -or ($rest.Count -eq 1 -and $rest[0] -ieq '{current}'))) {
        $efi = [string](Get-GuestStandInValue $guest 'secureBoot' 'off') -ne 'unsupported'
        $loader = 'winload.exe'
        if ($efi) { $loader = 'winload.efi' }
        $rows = [ordered]@{
            identifier = '{current}'; device = 'partition=C:'; path = ('\WINDOWS\system32\' + $loader); description = 'Windows 11 Pro'; locale = 'en-US'
            inherit = '{bootloadersettings}'; recoverysequence = '{3a4b5c6d-7e8f-11ef-9a0b-00155d012345}'; displaymessageoverride = 'Recovery'; recoveryenabled = 'Yes'
        }
        $signing = Get-GuestStandInValue $guest 'testSigning'
        if ($null -ne $signing) { $rows['testsigning'] = $(if ([bool]$signing) { 'Yes' } else { 'No' }) }
        $rows['isolatedcontext'] = 'Yes'
        $rows['allowedinmemorysettings'] = '0x15000075'
        $rows['osdevice'] = 'partition=C:'
        $rows['systemroot'] = '\WINDOWS'
        $rows['resumeobject'] = '{3a4b5c6c-7e8f-11ef-9a0b-00155d012345}'
        $rows['nx'] = 'OptIn'
        $rows['bootmenupolicy'] = 'Standard'
        ''
        'Windows Boot Loader'
        '-------------------'
        foreach ($key in $rows.Keys) { $key.PadRight(24) + $rows[$key] }
        $global:LASTEXITCODE = 0
        return
    }
    if ($command -eq 'set') {
        if ($rest.Count -gt 0 -and $rest[0] -match '^\{.*\}$') { $rest = @($rest | Select-Object -Skip 1) }
        if ($rest.Count -eq 2 -and $rest[0] -ieq 'testsigning' -and @('on', 'off', 'yes', 'no') -contains $rest[1].ToLowerInvariant()) {
            if ([string](Get-GuestStandInValue $guest 'secureBoot' 'off') -eq 'on') {
                'An error has occurred setting the element data.'
                'The value is protected by Secure Boot policy and cannot be modified or deleted.'
                $global:LASTEXITCODE = 1
                return
            }
            $state = Get-GuestStandIn
            Set-GuestStandInValue $state.Guest 'testSigning' (@('on', 'yes') -contains $rest[1].ToLowerInvariant())
            Save-GuestStandIn -State $state
            'The operation completed successfully.'
            $global:LASTEXITCODE = 0
            return
        }
    }
    throw ('stand-in: bcdedit.exe ' + ($argv -join ' ') + ' is not modeled')
}

# ---------------------------------------------------------------- certutil.exe

function Get-StandInCertificateEntry {
    param([System.Security.Cryptography.X509Certificates.X509Certificate2]$Certificate)
    return [pscustomobject]@{
        thumbprint = $Certificate.Thumbprint.ToUpperInvariant()
        subject    = $Certificate.Subject
        issuer     = $Certificate.Issuer
        serial     = $Certificate.SerialNumber.ToLowerInvariant()
        notBefore  = $Certificate.NotBefore.ToUniversalTime().ToString('o', $script:Invariant)
        notAfter   = $Certificate.NotAfter.ToUniversalTime().ToString('o', $script:Invariant)
        name       = $Certificate.GetNameInfo([System.Security.Cryptography.X509Certificates.X509NameType]::SimpleName, $false)
    }
}

function certutil.exe {
    $argv = @($args | ForEach-Object { [string]$_ })
    $state = Get-GuestStandIn
    $guest = $state.Guest
    $switches = @($argv | Where-Object { $_ -match '^-' } | ForEach-Object { $_.Substring(1).ToLowerInvariant() })
    $operands = @($argv | Where-Object { $_ -notmatch '^-' })
    $verb = @($switches | Where-Object { @('store', 'addstore') -contains $_ }) | Select-Object -First 1
    if ($null -eq $verb -or $operands.Count -lt 1) { throw ('stand-in: certutil.exe ' + ($argv -join ' ') + ' is not modeled') }
    $storeName = $operands[0]
    $display = $script:StoreNames[$storeName]
    if (-not $display) { $display = $storeName }
    $stores = Get-GuestStandInSection -Parent $guest -Name 'certificates'
    $entries = @(Get-GuestStandInValue $stores $storeName @())
    ($storeName + ' "' + $display + '"')
    if ($verb -eq 'store') {
        $found = $entries
        if ($operands.Count -ge 2) {
            $wanted = ($operands[1] -replace '\s', '').ToUpperInvariant()
            $found = @($entries | Where-Object { [string]$_.thumbprint -eq $wanted -or ([string]$_.serial).ToUpperInvariant() -eq $wanted -or [string]$_.name -eq $operands[1] })
        }
        if ($found.Count -eq 0) {
            'CertUtil: -store command FAILED: 0x80090011 (-2146893807 NTE_NOT_FOUND)'
            'CertUtil: Object was not found.'
            $global:LASTEXITCODE = -2146893807
            return
        }
        $i = 0
        foreach ($entry in $found) {
            ('================ Certificate ' + $i + ' ================')
            ('Serial Number: ' + $entry.serial)
            ('Issuer: ' + $entry.issuer)
            (' NotBefore: ' + (ConvertTo-GuestStandInTime $entry.notBefore).ToString('M/d/yyyy h:mm tt', $script:Invariant))
            (' NotAfter: ' + (ConvertTo-GuestStandInTime $entry.notAfter).ToString('M/d/yyyy h:mm tt', $script:Invariant))
            ('Subject: ' + $entry.subject)
            if ($entry.subject -eq $entry.issuer) { 'Signature matches Public Key'; 'Root Certificate: Subject matches Issuer' }
            ('Cert Hash(sha1): ' + ([string]$entry.thumbprint).ToLowerInvariant())
            'No key provider information'
            ''
            $i++
        }
        'CertUtil: -store command completed successfully.'
        $global:LASTEXITCODE = 0
        return
    }
    if (-not (Test-GuestStandInElevated $guest)) {
        'CertUtil: -addstore command FAILED: 0x80070005 (WIN32: 5 ERROR_ACCESS_DENIED)'
        'CertUtil: Access is denied.'
        $global:LASTEXITCODE = -2147024891
        return
    }
    $certificate = $null
    try {
        $certificate = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new([System.IO.File]::ReadAllBytes($operands[1]))
    } catch {
        'CertUtil: -addstore command FAILED: 0x80092009 (-2146885623 CRYPT_E_NO_MATCH)'
        'CertUtil: Cannot find the requested object.'
        $global:LASTEXITCODE = -2146885623
        return
    }
    $entry = Get-StandInCertificateEntry -Certificate $certificate
    if ($entry.subject -eq $entry.issuer) { 'Signature matches Public Key' }
    if (@($entries | Where-Object { [string]$_.thumbprint -eq $entry.thumbprint }).Count -gt 0 -and $switches -notcontains 'f') {
        ('Certificate "' + $entry.name + '" already in store.')
    } else {
        Set-GuestStandInValue $stores $storeName @(@($entries | Where-Object { [string]$_.thumbprint -ne $entry.thumbprint }) + $entry)
        Save-GuestStandIn -State $state
        ('Certificate "' + $entry.name + '" added to store.')
    }
    'CertUtil: -addstore command completed successfully.'
    $global:LASTEXITCODE = 0
}

# ---------------------------------------------------------------- taskkill.exe

function Get-StandInParents {
    # Every process's parent, from /proc/<pid>/stat (the field after the parenthesised name).
    $parents = @{}
    foreach ($dir in [System.IO.Directory]::GetDirectories('/proc')) {
        $name = [System.IO.Path]::GetFileName($dir)
        if ($name -notmatch '^\d+$') { continue }
        try { $stat = [System.IO.File]::ReadAllText($dir + '/stat') } catch { continue }
        $parents[[int]$name] = [int](($stat.Substring($stat.LastIndexOf(')') + 2) -split ' ')[1])
    }
    return $parents
}

function taskkill.exe {
    # taskkill /F [/T] /PID <pid> [/PID <pid> ...]. The tree is frozen level by level (SIGSTOP:
    # a stopped process cannot start another) before anything is killed, so no child started
    # meanwhile slips away to another parent; children are reported before their parents.
    $argv = @($args | ForEach-Object { [string]$_ })
    $force = @($argv | Where-Object { $_ -ieq '/F' }).Count -gt 0
    $tree = @($argv | Where-Object { $_ -ieq '/T' }).Count -gt 0
    $pids = @()
    for ($i = 0; $i -lt $argv.Count - 1; $i++) { if ($argv[$i] -ieq '/PID') { $pids += [int]$argv[$i + 1] } }
    if ($pids.Count -eq 0) { throw ('stand-in: taskkill.exe ' + ($argv -join ' ') + ' is not modeled') }
    $code = 0
    foreach ($target in $pids) {
        if ($null -eq (Get-Process -Id $target -ErrorAction SilentlyContinue)) { ('ERROR: The process "' + $target + '" not found.'); $code = 128; continue }
        if (-not $force) {
            ('ERROR: The process with PID ' + $target + ' could not be terminated.')
            'Reason: This process can only be terminated forcefully (with /F option).'
            $code = 1
            continue
        }
        $parents = Get-StandInParents
        $victims = New-Object -TypeName 'System.Collections.Generic.List[object]'
        $level = @($target)
        while ($level.Count -gt 0) {
            & kill -s STOP @($level | ForEach-Object { [string]$_ }) 2>$null
            foreach ($id in $level) { $victims.Insert(0, @($id, [int]$parents[$id])) }
            if (-not $tree) { break }
            $parents = Get-StandInParents
            $level = @($parents.Keys | Where-Object { $level -contains $parents[$_] })
        }
        foreach ($victim in $victims) {
            $one = Get-Process -Id $victim[0] -ErrorAction SilentlyContinue
            if ($null -eq $one) { continue }
            try { $one.Kill() } catch { continue }
            ('SUCCESS: The process with PID ' + $victim[0] + ' (child process of PID ' + $victim[1] + ') has been terminated.')
        }
    }
    $global:LASTEXITCODE = $code
}


# ---------------------------------------------------------------- tracelog.exe

function Write-StandInTracelogStatus {
    # tracelog ends every operation with its status line, and exits with that status.
    param([int]$Status, [string]$Text)
    ('Operation Status:       ' + $Status + 'L      ' + $Text)
    $global:LASTEXITCODE = $Status
}

function tracelog.exe {
    # The WDK's tracelog: -start <name> -guid #<GUID> -flag <f> -level <l> -f <file.etl>,
    # -enable <name> -guid #<GUID> -flag <f> -level <l>, -stop <name>. Sessions are kept in
    # guest.traceSessions; stopping one writes its .etl (a stand-in header and the providers).
    # Fault: guest.faults.tracelogEnableStatus makes -enable fail with that status.
    $argv = @($args | ForEach-Object { [string]$_ })
    $state = Get-GuestStandIn
    $guest = $state.Guest
    if (-not (Test-GuestStandInElevated $guest)) { Write-StandInTracelogStatus 5 'Access is denied.'; return }
    $command = $null
    if ($argv.Count -gt 1) { $command = ConvertTo-ToolSwitch $argv[0] }
    $name = $(if ($argv.Count -gt 1) { $argv[1] } else { '' })
    $options = @{}
    for ($i = 2; $i -lt $argv.Count; $i++) {
        $switch = ConvertTo-ToolSwitch $argv[$i]
        if ($null -eq $switch -or $i + 1 -ge $argv.Count) { throw ('stand-in: tracelog.exe ' + ($argv -join ' ') + ' is not modeled') }
        $options[$switch] = $argv[++$i]
    }
    $sessions = Get-GuestStandInValue $guest 'traceSessions'
    if ($null -eq $sessions) { $sessions = [pscustomobject]@{}; Set-GuestStandInValue $guest 'traceSessions' $sessions }
    $existing = $sessions.PSObject.Properties[$name]
    switch ($command) {
        'start' {
            if ($null -ne $existing) { Write-StandInTracelogStatus 183 'Cannot create a file when that file already exists.'; return }
            if (-not $options.ContainsKey('f') -or -not $options.ContainsKey('guid')) { throw 'stand-in: tracelog.exe -start without -f or -guid is not modeled' }
            $sessions | Add-Member -NotePropertyName $name -NotePropertyValue ([pscustomobject]@{ file = $options['f']; providers = @([pscustomobject]@{ guid = $options['guid']; flag = $options['flag']; level = $options['level'] }) })
            Save-GuestStandIn -State $state
            'Logger Started...'
            Write-StandInTracelogStatus 0 'The operation completed successfully.'
            ('Logger Name:            ' + $name)
            ('Log Filename:           ' + $options['f'])
            return
        }
        'enable' {
            $fault = Get-GuestStandInFault $guest 'tracelogEnableStatus'
            if ($null -ne $fault) { Write-StandInTracelogStatus ([int]$fault) 'The parameter is incorrect.'; return }
            if ($null -eq $existing) { Write-StandInTracelogStatus 4201 'The instance name passed was not recognized as valid by a WMI data provider.'; return }
            $existing.Value.providers = @($existing.Value.providers) + @([pscustomobject]@{ guid = $options['guid']; flag = $options['flag']; level = $options['level'] })
            Save-GuestStandIn -State $state
            Write-StandInTracelogStatus 0 'The operation completed successfully.'
            return
        }
        'stop' {
            if ($null -eq $existing) { Write-StandInTracelogStatus 4201 'The instance name passed was not recognized as valid by a WMI data provider.'; return }
            $body = 'GPUPV-STAND-IN-ETL ' + (ConvertTo-Json -InputObject @($existing.Value.providers) -Compress)
            [System.IO.File]::WriteAllText([string]$existing.Value.file, $body)
            $sessions.PSObject.Properties.Remove($name)
            Save-GuestStandIn -State $state
            Write-StandInTracelogStatus 0 'The operation completed successfully.'
            ('Logger Name:            ' + $name)
            ('Log Filename:           ' + [string]$existing.Value.file)
            return
        }
    }
    throw ('stand-in: tracelog.exe ' + ($argv -join ' ') + ' is not modeled')
}

Export-ModuleMember -Function @('pnputil.exe', 'bcdedit.exe', 'certutil.exe', 'taskkill.exe', 'tracelog.exe')
