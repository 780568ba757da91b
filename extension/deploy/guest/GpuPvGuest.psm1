# GpuPvGuest.psm1 - what GPU-PV Dev Kit runs INSIDE the Windows guest to prepare it, install a
# driver package, judge the device's health, run tests and collect logs.
#
# Contract with the host (keep both sides in step):
#   * Self-contained: it is sent as text over PowerShell Direct (GpuPvGuestDirect.ps1) or run
#     from a copied folder over SSH (Invoke-GpuPvGuest.ps1), so it imports nothing of ours.
#   * One entry point, Invoke-GpuPvGuestCall -Name <function> -ParamsJson <JSON object>. User
#     values (paths, test names, arguments) arrive only as JSON data and reach programs only as
#     argv elements; nothing is ever pasted into PowerShell code.
#   * It writes strings, in order: zero or more live lines 'GPUPV-LIVE {"stream":..,"text":..}'
#     (a test's output while it runs), then exactly one result line, compressed JSON:
#       {"ok":true,"result":{...}}  or
#       {"ok":false,"error":{"code":"...","message":"...","action":"...","details":{...}}}
#     Codes: InvalidParameter, AccessDenied, ToolMissing, ToolFailed, NotFound, SecureBootOn,
#     CertificateMismatch, HashMismatch, NotVerified, InstallFailed, RemoveFailed, Cancelled,
#     Failed. `action` says what to do about it; `details` is optional structured data.
#   * Non-ASCII characters are emitted as \uXXXX escapes; times are ISO 8601 UTC strings.
#   * Runs on Windows PowerShell 5.1 and PowerShell 7: no ternaries, ?? or && / ||.
#   * Windows tools are called by name (pnputil.exe, bcdedit.exe, certutil.exe, taskkill.exe)
#     and read by their exit codes first; their English text is parsed only where no exit code
#     tells (enumerations), with the value shapes as a fallback on localized systems.

Set-StrictMode -Version 2.0

$script:Invariant = [System.Globalization.CultureInfo]::InvariantCulture
$script:LivePrefix = 'GPUPV-LIVE '
$script:Calls = @(
    'Get-GpuPvGuestReadiness', 'Add-GpuPvTrustedCertificate', 'Enable-GpuPvTestSigning',
    'New-GpuPvStagingFolder', 'Test-GpuPvStagedFiles', 'Install-GpuPvDriverPackage',
    'Get-GpuPvDeviceHealth', 'Get-GpuPvSetupApiLog', 'Get-GpuPvGuestEvents',
    'Invoke-GpuPvGuestTest', 'Start-GpuPvTrace', 'Stop-GpuPvTrace', 'Stop-GpuPvGuestWork'
)
# Run ids become folder names: a conservative alphabet, so no id can climb out of the root.
$script:RunIdPattern = '^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$'
$script:AdminAction = 'Connect with an account of the guest''s Administrators group (PowerShell Direct and OpenSSH run elevated for administrators).'

# pnputil's return values (docs: "PnPUtil Return Values").
$script:PnpUtilOutcomes = @{
    0    = @('installed', 'The driver package was added and installed on the matching devices.')
    259  = @('noMatchingDevice', 'The package was added to the driver store but installed on no device: no device matches its hardware ids, or a device already uses a better-ranked or newer driver.')
    3010 = @('rebootRequired', 'The package was installed; Windows needs a restart to finish.')
    1641 = @('rebootInitiated', 'The package was installed and Windows is restarting to finish.')
}

# Device Manager problem codes a driver developer meets, with their usual cause here.
$script:ProblemCodes = @{
    10 = @('CM_PROB_FAILED_START', 'This device cannot start. (Code 10)', 'The driver loaded but failing its start: the KMD''s DxgkDdiStartDevice (or the PnP start IRP) returned an error. Look for the NTSTATUS in setupapi.dev.log and the System log.')
    12 = @('CM_PROB_NORMAL_CONFLICT', 'This device cannot find enough free resources that it can use. (Code 12)', 'The device asked for more memory-mapped I/O space than the VM gives: raise the VM''s low/high MMIO gap (Set-VM -LowMemoryMappedIoSpace / -HighMemoryMappedIoSpace).')
    28 = @('CM_PROB_FAILED_INSTALL', 'The drivers for this device are not installed. (Code 28)', 'No driver is installed for the device: the package''s hardware ids do not match it, or the install failed. The setupapi.dev.log section of the install tells which.')
    31 = @('CM_PROB_FAILED_ADD', 'This device is not working properly because Windows cannot load the drivers required for this device. (Code 31)', 'DriverEntry or AddDevice failed: for a display miniport usually DxgkInitialize returned an error, or the KMD was built for another WDDM version than the guest supports.')
    39 = @('CM_PROB_DRIVER_FAILED_LOAD', 'Windows cannot load the device driver for this hardware. The driver may be corrupted or missing. (Code 39)', 'The .sys could not be loaded: it is missing from the package, built for another architecture, imports a function this Windows lacks, or was blocked by code integrity.')
    43 = @('CM_PROB_FAILED_POST_START', 'Windows has stopped this device because it has reported problems. (Code 43)', 'The driver started and then reported a failure: a KMD that failed after start or hit repeated TDRs, or (GPU-P) a guest driver that does not match the host''s driver version.')
    52 = @('CM_PROB_UNSIGNED_DRIVER', 'Windows cannot verify the digital signature for the drivers required for this device. (Code 52)', 'The kernel refused the driver''s signature: test signing is off (bcdedit /set testsigning on, then restart), Secure Boot is on, or the test certificate is not in LocalMachine Root and TrustedPublisher.')
}

# ---------------------------------------------------------------- the contract

function New-GpuPvGuestError {
    # An exception that carries its contract code, what to do, and optional details.
    param([string]$Code, [string]$Message, [string]$Action = '', $Details = $null)
    $ex = New-Object -TypeName 'System.Exception' -ArgumentList $Message
    $ex.Data['GpuPvCode'] = $Code
    $ex.Data['GpuPvAction'] = $Action
    if ($null -ne $Details) { $ex.Data['GpuPvDetails'] = $Details }
    return $ex
}

function Resolve-GpuPvGuestError {
    # Any error record as { code, message, action[, details] }: never a raw PowerShell error.
    param($ErrorRecord, [string]$Call)
    $ex = $ErrorRecord.Exception
    $e = $ex
    while ($null -ne $e) {
        if ($e.Data.Contains('GpuPvCode')) {
            $resolved = [ordered]@{ code = [string]$e.Data['GpuPvCode']; message = [string]$e.Message; action = [string]$e.Data['GpuPvAction'] }
            if ($e.Data.Contains('GpuPvDetails')) { $resolved['details'] = $e.Data['GpuPvDetails'] }
            return $resolved
        }
        if ($e -is [System.UnauthorizedAccessException]) {
            return [ordered]@{ code = 'AccessDenied'; message = ($Call + ': ' + [string]$e.Message); action = $script:AdminAction }
        }
        $e = $e.InnerException
    }
    $message = $Call + ': ' + [string]$ex.Message
    if ([string]$ErrorRecord.CategoryInfo.Category -eq 'PermissionDenied') {
        return [ordered]@{ code = 'AccessDenied'; message = $message; action = $script:AdminAction }
    }
    if ($ex -is [System.Management.Automation.ParameterBindingException]) {
        return [ordered]@{ code = 'InvalidParameter'; message = $message; action = 'This is a bug in GPU-PV Dev Kit''s call: report it with the log.' }
    }
    return [ordered]@{ code = 'Failed'; message = $message; action = 'See the GPU-PV log for the call; the guest was left as the message says.' }
}

function ConvertTo-GpuPvGuestJson {
    # One line of JSON, ASCII only: \uXXXX is an exact equivalent inside JSON strings.
    param($Value)
    $json = ConvertTo-Json -InputObject $Value -Depth 12 -Compress
    $escape = [System.Text.RegularExpressions.MatchEvaluator] { param($m) '\u{0:x4}' -f [int][char]$m.Value }
    return [regex]::Replace($json, '[^\x00-\x7F]', $escape)
}

function ConvertTo-GpuPvGuestResult {
    param([bool]$Ok, $Value)
    $payload = [ordered]@{ ok = $Ok }
    if ($Ok) { $payload['result'] = $Value } else { $payload['error'] = $Value }
    try {
        return (ConvertTo-GpuPvGuestJson -Value $payload)
    } catch {
        $fallback = [ordered]@{ ok = $false; error = [ordered]@{ code = 'Failed'; message = ('The guest could not serialize its result: ' + $_.Exception.Message); action = 'Report this with the log.' } }
        return (ConvertTo-GpuPvGuestJson -Value $fallback)
    }
}

function Invoke-GpuPvGuestCall {
    # The one entry point: decode, run one function, stream its live lines, end with one result line.
    param([string]$Name, [string]$ParamsJson)
    $ErrorActionPreference = 'Stop'
    $WarningPreference = 'SilentlyContinue'
    $ProgressPreference = 'SilentlyContinue'
    $VerbosePreference = 'SilentlyContinue'
    $InformationPreference = 'SilentlyContinue'
    $ConfirmPreference = 'None'
    $result = $null
    try {
        if ($script:Calls -notcontains $Name) {
            throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message ("'" + $Name + "' is not a function of the guest module.") -Action 'Update GPU-PV Dev Kit: host and guest module disagree.')
        }
        $params = ConvertFrom-GpuPvGuestJson -Json $ParamsJson
        $items = New-Object -TypeName 'System.Collections.Generic.List[object]'
        & $Name -Params $params | ForEach-Object {
            if (Test-GpuPvLiveLine $_) {
                $script:LivePrefix + (ConvertTo-GpuPvGuestJson -Value ([ordered]@{ stream = $_.stream; text = $_.text }))
            } else {
                $items.Add($_)
            }
        }
        # Functions end with their result; anything a command leaked before it is dropped.
        $value = $null
        if ($items.Count -gt 0) { $value = $items[$items.Count - 1] }
        $result = ConvertTo-GpuPvGuestResult -Ok $true -Value $value
    } catch {
        $result = ConvertTo-GpuPvGuestResult -Ok $false -Value (Resolve-GpuPvGuestError -ErrorRecord $_ -Call $Name)
    }
    $result
}

function New-GpuPvLiveLine {
    param([string]$Stream, [string]$Text)
    return [pscustomobject]@{ PSTypeName = 'GpuPvGuest.LiveLine'; stream = $Stream; text = $Text }
}

function Test-GpuPvLiveLine {
    param($Item)
    return ($null -ne $Item -and $Item.PSObject.TypeNames -contains 'GpuPvGuest.LiveLine')
}

# ---------------------------------------------------------------- parameters

function ConvertFrom-GpuPvGuestJson {
    param([string]$Json)
    if ([string]::IsNullOrWhiteSpace($Json)) { return [pscustomobject]@{} }
    # PowerShell 7's ConvertFrom-Json turns strings that look like dates into DateTime values,
    # losing their text (a test argument, a time to parse ourselves). Every string value gets
    # a U+0001 first, so none looks like a date; Get-GpuPvGuestParam takes it off again.
    # Every string token is matched (keys too), so the scan never starts inside one.
    $mark = [System.Text.RegularExpressions.MatchEvaluator] {
        param($m)
        if ($m.Groups[2].Success) { return $m.Value }
        return ('"\u0001' + $m.Groups[1].Value + '"')
    }
    $marked = [regex]::Replace($Json, '"((?:[^"\\]|\\.)*)"(\s*:)?', $mark)
    $parsed = $null
    try {
        $parsed = $marked | ConvertFrom-Json
    } catch {
        throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message 'The parameters are not JSON.' -Action 'This is a bug in GPU-PV Dev Kit''s call: report it with the log.')
    }
    if (-not ($parsed -is [System.Management.Automation.PSCustomObject])) {
        throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message 'The parameters must be a JSON object.' -Action 'This is a bug in GPU-PV Dev Kit''s call: report it with the log.')
    }
    return $parsed
}

function Get-GpuPvGuestParam {
    # A key of the parameters (or of an object inside them); $null when absent (strict mode
    # forbids the plain read). Strings lose the mark ConvertFrom-GpuPvGuestJson gave them.
    param($Params, [string]$Name)
    if ($null -eq $Params) { return $null }
    $value = $null
    if ($Params -is [System.Collections.IDictionary]) {
        if (-not $Params.Contains($Name)) { return $null }
        $value = $Params[$Name]
    } else {
        $prop = $Params.PSObject.Properties[$Name]
        if ($null -eq $prop) { return $null }
        $value = $prop.Value
    }
    if ($value -is [array]) { return @($value | ForEach-Object { Remove-GpuPvJsonMark $_ }) }
    return (Remove-GpuPvJsonMark $value)
}

function Remove-GpuPvJsonMark {
    param($Value)
    if ($Value -is [string] -and $Value.Length -gt 0 -and $Value[0] -eq [char]1) { return $Value.Substring(1) }
    return $Value
}

function Get-GpuPvGuestString {
    param($Params, [string]$Name, [switch]$Required, [string]$Default = $null)
    $value = Get-GpuPvGuestParam -Params $Params -Name $Name
    if ($null -ne $value -and -not ($value -is [string])) {
        throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message ("Parameter '" + $Name + "' must be a string.") -Action 'Fix the value in gpupv.json.')
    }
    if ([string]::IsNullOrEmpty($value)) {
        if ($Required) { throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message ("Parameter '" + $Name + "' is required.") -Action 'Fix the value in gpupv.json.') }
        return $Default
    }
    return $value
}

function Get-GpuPvGuestStrings {
    # A string or an array of strings, as an array; empty strings only with -AllowEmpty (a
    # program's arguments may be empty, names may not).
    param($Params, [string]$Name, [switch]$AllowEmpty)
    $value = Get-GpuPvGuestParam -Params $Params -Name $Name
    if ($null -eq $value) { return , [string[]]@() }
    $list = @($value)
    foreach ($item in $list) {
        if (-not ($item -is [string]) -or ($item.Length -eq 0 -and -not $AllowEmpty)) {
            throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message ("Parameter '" + $Name + "' must be a list of " + $(if ($AllowEmpty) { 'strings' } else { 'non-empty strings' }) + '.') -Action 'Fix the value in gpupv.json.')
        }
    }
    return , [string[]]$list
}

function Get-GpuPvGuestNumber {
    param($Params, [string]$Name, [double]$Default, [double]$Minimum = 0, [double]$Maximum = [double]::MaxValue)
    $value = Get-GpuPvGuestParam -Params $Params -Name $Name
    if ($null -eq $value) { return $Default }
    $isNumber = ($value -is [int]) -or ($value -is [long]) -or ($value -is [double]) -or ($value -is [decimal])
    if (-not $isNumber -or [double]$value -lt $Minimum -or [double]$value -gt $Maximum) {
        throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message ("Parameter '" + $Name + "' must be a number from " + $Minimum + ' to ' + $Maximum + '.') -Action 'Fix the value in gpupv.json.')
    }
    return [double]$value
}

function Get-GpuPvGuestBool {
    param($Params, [string]$Name, [bool]$Default = $false)
    $value = Get-GpuPvGuestParam -Params $Params -Name $Name
    if ($null -eq $value) { return $Default }
    if (-not ($value -is [bool])) {
        throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message ("Parameter '" + $Name + "' must be true or false.") -Action 'Fix the value in gpupv.json.')
    }
    return $value
}

function Get-GpuPvGuestTime {
    # An ISO 8601 time from the host, as the guest's local time (its logs are in local time).
    param($Params, [string]$Name)
    $text = Get-GpuPvGuestString -Params $Params -Name $Name -Required
    $parsed = [datetime]::MinValue
    $styles = [System.Globalization.DateTimeStyles]::RoundtripKind
    if (-not [datetime]::TryParse($text, $script:Invariant, $styles, [ref]$parsed)) {
        throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message ("Parameter '" + $Name + "' is not an ISO 8601 time: " + $text) -Action 'This is a bug in GPU-PV Dev Kit''s call: report it with the log.')
    }
    if ($parsed.Kind -eq [System.DateTimeKind]::Unspecified) { $parsed = [datetime]::SpecifyKind($parsed, [System.DateTimeKind]::Utc) }
    return $parsed.ToLocalTime()
}

function Format-GpuPvTime {
    param($Value)
    if ($null -eq $Value -or -not ($Value -is [datetime])) { return $null }
    $time = $Value
    if ($time.Kind -eq [System.DateTimeKind]::Unspecified) { $time = [datetime]::SpecifyKind($time, [System.DateTimeKind]::Local) }
    return $time.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ss.fffZ', $script:Invariant)
}

function Get-GpuPvThumbprint {
    # Thumbprints pasted from certmgr carry spaces and an invisible U+200E; keep the hex.
    param([string]$Text, [string]$Name = 'thumbprint')
    $hex = ([regex]::Replace([string]$Text, '[^0-9A-Fa-f]', '')).ToUpperInvariant()
    if ($hex.Length -ne 40) {
        throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message ("'" + $Name + "' is not a certificate thumbprint (40 hex digits): " + $Text) -Action 'Copy the SHA-1 thumbprint of the test certificate into gpupv.json.')
    }
    return $hex
}

# ---------------------------------------------------------------- run folders

function Get-GpuPvRunRoot {
    $windows = $env:SystemRoot
    if ([string]::IsNullOrEmpty($windows)) {
        throw (New-GpuPvGuestError -Code 'Failed' -Message 'SystemRoot is not set in this session.' -Action 'Run the guest module in a Windows session (PowerShell Direct or OpenSSH).')
    }
    return (Join-Path (Join-Path $windows 'Temp') 'GpuPv')
}

function Get-GpuPvRun {
    # The folders of a run: <SystemRoot>\Temp\GpuPv\<runId>\{package,work}.
    param($Params, [switch]$MustExist)
    $runId = Get-GpuPvGuestString -Params $Params -Name 'runId' -Required
    if ($runId -notmatch $script:RunIdPattern -or $runId.Contains('..')) {
        throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message ("'" + $runId + "' is not a run id (letters, digits, '.', '_' and '-', up to 80).") -Action 'This is a bug in GPU-PV Dev Kit''s call: report it with the log.')
    }
    $folder = Join-Path (Get-GpuPvRunRoot) $runId
    $run = [pscustomobject]@{
        runId   = $runId
        folder  = $folder
        package = (Join-Path $folder 'package')
        work    = (Join-Path $folder 'work')
    }
    if ($MustExist -and -not (Test-Path -LiteralPath $run.work -PathType Container)) {
        throw (New-GpuPvGuestError -Code 'NotFound' -Message ("The guest has no staging folder for run " + $runId + ' (' + $folder + ').') -Action 'Run the deploy step again: it creates the folder and copies the package.')
    }
    return $run
}

function Resolve-GpuPvStagedPath {
    # A path relative to the staged package; rooted paths and '..' are refused.
    param($Run, [string]$Relative, [string]$Name)
    $parts = @($Relative -split '[\\/]+' | Where-Object { $_ -ne '' -and $_ -ne '.' })
    if ([System.IO.Path]::IsPathRooted($Relative) -or $Relative -match '^[A-Za-z]:' -or $parts.Count -eq 0 -or $parts -contains '..') {
        throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message ("'" + $Relative + "' (" + $Name + ') must be a path inside the staged package.') -Action 'Name files relative to the package folder in gpupv.json.')
    }
    $path = $Run.package
    foreach ($part in $parts) { $path = Join-Path $path $part }
    return $path
}

function Write-GpuPvWorkFile {
    param($Run, [string]$Name, $Value)
    $null = New-Item -ItemType Directory -Path $Run.work -Force
    [System.IO.File]::WriteAllText((Join-Path $Run.work $Name), (ConvertTo-GpuPvGuestJson -Value $Value), (New-Object -TypeName 'System.Text.UTF8Encoding' -ArgumentList $false))
}

function Read-GpuPvWorkFile {
    param($Run, [string]$Name)
    $path = Join-Path $Run.work $Name
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { return $null }
    try {
        return ([System.IO.File]::ReadAllText($path) | ConvertFrom-Json)
    } catch {
        return $null
    }
}

function Remove-GpuPvWorkFile {
    # Gone already is as good as removed: a test's own call removes its record when the test
    # ends, which can be between a cancel listing the records and removing them.
    param($Run, [string]$Name)
    $path = Join-Path $Run.work $Name
    try {
        Remove-Item -LiteralPath $path -Force -ErrorAction Stop
    } catch {
        # A file removed while Remove-Item works on it fails with "An object at the specified
        # path ... does not exist", not as ItemNotFoundException: what counts is that it is gone.
        if (Test-Path -LiteralPath $path) { throw }
    }
}

# ---------------------------------------------------------------- Windows tools

function Invoke-GpuPvGuestTool {
    # A Windows tool by name, its output (stdout and stderr, merged as lines) and exit code.
    param([string]$Tool, [string[]]$Arguments)
    if ($null -eq (Get-Command -Name $Tool -ErrorAction SilentlyContinue)) {
        throw (New-GpuPvGuestError -Code 'ToolMissing' -Message ($Tool + ' was not found in the guest.') -Action 'The guest must run Windows 10 1607 / Server 2016 or later, where it is part of Windows.')
    }
    # Windows PowerShell 5.1 turns a native command's stderr into a terminating error under
    # 'Stop'; here stderr is output like the rest.
    $ErrorActionPreference = 'Continue'
    $global:LASTEXITCODE = 0
    $lines = @(& $Tool @Arguments 2>&1 | ForEach-Object { [string]$_ })
    $code = [int]$global:LASTEXITCODE
    return [pscustomobject]@{ tool = $Tool; exitCode = $code; lines = $lines; text = (($lines | ForEach-Object { $_.TrimEnd() }) -join "`n").Trim() }
}

function Test-GpuPvAccessDenied {
    param($Run)
    return ($Run.exitCode -eq 5 -or $Run.exitCode -eq -2147024891 -or $Run.text -match 'Access is denied|ERROR_ACCESS_DENIED|requires elevation')
}

function Stop-GpuPvToolFailure {
    # A tool's unexpected failure as the contract's error, with the tool's own words.
    param($Run, [string]$What)
    $text = $Run.text
    if (-not $text) { $text = '(no output)' }
    if (Test-GpuPvAccessDenied $Run) {
        throw (New-GpuPvGuestError -Code 'AccessDenied' -Message ($What + ': ' + $Run.tool + ' was denied access: ' + $text) -Action $script:AdminAction)
    }
    throw (New-GpuPvGuestError -Code 'ToolFailed' -Message ($What + ': ' + $Run.tool + ' exited with ' + $Run.exitCode + ': ' + $text) -Action 'Read the tool''s message above; run the same command in the guest to see more.' -Details ([ordered]@{ tool = $Run.tool; exitCode = $Run.exitCode; output = @($Run.lines) }))
}

function Get-GpuPvBootTestSigning {
    # bcdedit /enum {current}: 'testsigning Yes' when set; the element is absent when never set.
    $run = Invoke-GpuPvGuestTool -Tool 'bcdedit.exe' -Arguments @('/enum', '{current}')
    if ($run.exitCode -ne 0) { Stop-GpuPvToolFailure -Run $run -What 'Reading the boot configuration' }
    return (ConvertFrom-GpuPvBcdTestSigning -Lines $run.lines)
}

function ConvertFrom-GpuPvBcdTestSigning {
    param([string[]]$Lines)
    foreach ($line in @($Lines)) {
        $m = [regex]::Match([string]$line, '^\s*testsigning\s+(\S+)', 'IgnoreCase')
        if ($m.Success) { return ($m.Groups[1].Value -match '^(Yes|On|True)$') }
    }
    return $false
}

function Get-GpuPvSecureBoot {
    # 'on', 'off', 'unsupported' (BIOS firmware, e.g. generation 1 VMs) or 'unknown'.
    if ($null -eq (Get-Command -Name 'Confirm-SecureBootUEFI' -ErrorAction SilentlyContinue)) { return 'unknown' }
    try {
        if (Confirm-SecureBootUEFI -ErrorAction Stop) { return 'on' }
        return 'off'
    } catch {
        if ($_.Exception.Message -match 'not supported on this platform') { return 'unsupported' }
        if ($_.Exception -is [System.UnauthorizedAccessException]) {
            throw (New-GpuPvGuestError -Code 'AccessDenied' -Message ('Reading the Secure Boot state was denied: ' + $_.Exception.Message) -Action $script:AdminAction)
        }
        return 'unknown'
    }
}

function Test-GpuPvCertificateInStore {
    # certutil -store <store> <thumbprint>: exit 0 and the hash listed, or NTE_NOT_FOUND.
    param([string]$Store, [string]$Thumbprint)
    $run = Invoke-GpuPvGuestTool -Tool 'certutil.exe' -Arguments @('-store', $Store, $Thumbprint)
    if ($run.exitCode -eq 0) {
        foreach ($m in [regex]::Matches($run.text, 'Cert Hash\(sha1\):\s*([0-9A-Fa-f ]+)')) {
            if (($m.Groups[1].Value -replace ' ', '').ToUpperInvariant() -eq $Thumbprint) { return $true }
        }
        return $false
    }
    if ($run.text -match '0x80090011|NTE_NOT_FOUND') { return $false }
    Stop-GpuPvToolFailure -Run $run -What ('Looking up the certificate in LocalMachine\' + $Store)
}

function Get-GpuPvOsBuild {
    $key = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
    if (Test-Path -LiteralPath $key) {
        $v = Get-ItemProperty -LiteralPath $key
        $build = [string]$v.CurrentBuildNumber
        $ubr = $v.PSObject.Properties['UBR']
        if ($null -ne $ubr) { $build = $build + '.' + [string]$ubr.Value }
        return $build
    }
    return [System.Environment]::OSVersion.Version.ToString()
}

# ---------------------------------------------------------------- readiness, trust, test signing

function Get-GpuPvGuestReadiness {
    # Whether the guest can load a test-signed driver, and what to fix when it cannot.
    param($Params)
    $thumbprint = $null
    $given = Get-GpuPvGuestString -Params $Params -Name 'thumbprint'
    if ($given) { $thumbprint = Get-GpuPvThumbprint -Text $given }
    $minFree = Get-GpuPvGuestNumber -Params $Params -Name 'minFreeBytes' -Default 1073741824
    $testSigning = Get-GpuPvBootTestSigning
    $secureBoot = Get-GpuPvSecureBoot
    $certificate = $null
    if ($thumbprint) {
        $certificate = [ordered]@{
            thumbprint       = $thumbprint
            root             = (Test-GpuPvCertificateInStore -Store 'Root' -Thumbprint $thumbprint)
            trustedPublisher = (Test-GpuPvCertificateInStore -Store 'TrustedPublisher' -Thumbprint $thumbprint)
        }
    }
    $drive = [System.IO.Path]::GetPathRoot($env:SystemRoot)
    $free = [int64](New-Object -TypeName 'System.IO.DriveInfo' -ArgumentList $drive).AvailableFreeSpace
    $problems = New-Object -TypeName 'System.Collections.Generic.List[object]'
    if ($secureBoot -eq 'on') {
        $problems.Add([ordered]@{ code = 'SecureBootOn'; message = 'Secure Boot is on, so Windows ignores test signing and refuses test-signed drivers (Code 52).'; action = 'Turn the VM off and disable Secure Boot: Set-VMFirmware -VMName <vm> -EnableSecureBoot Off (Hyper-V Manager: Settings > Security).' })
    }
    if (-not $testSigning) {
        $problems.Add([ordered]@{ code = 'TestSigningOff'; message = 'Test signing is off in the boot configuration, so a test-signed driver gets Code 52.'; action = 'Let GPU-PV turn it on (bcdedit /set testsigning on) and restart the guest.' })
    }
    if ($null -ne $certificate -and -not ($certificate.root -and $certificate.trustedPublisher)) {
        $missing = @()
        if (-not $certificate.root) { $missing += 'Root' }
        if (-not $certificate.trustedPublisher) { $missing += 'TrustedPublisher' }
        $problems.Add([ordered]@{ code = 'CertificateNotTrusted'; message = ('The test certificate ' + $thumbprint + ' is not in LocalMachine ' + ($missing -join ' and ') + '.'); action = 'Let GPU-PV import the .cer (certutil -addstore -f Root / TrustedPublisher).' })
    }
    if ($free -lt [int64]$minFree) {
        $problems.Add([ordered]@{ code = 'LowDiskSpace'; message = ('The system drive ' + $drive + ' has ' + [math]::Round($free / 1MB) + ' MB free.'); action = 'Free space in the guest or enlarge its virtual disk.' })
    }
    [ordered]@{
        ready       = ($problems.Count -eq 0)
        testSigning = $testSigning
        secureBoot  = $secureBoot
        certificate = $certificate
        osBuild     = (Get-GpuPvOsBuild)
        systemDrive = $drive
        freeBytes   = $free
        powerShell  = [ordered]@{ version = $PSVersionTable.PSVersion.ToString(); edition = [string]$PSVersionTable.PSEdition }
        problems    = $problems.ToArray()
    }
}

function Add-GpuPvTrustedCertificate {
    # Puts a .cer into LocalMachine Root and TrustedPublisher, both of which PnP and the kernel
    # need for a test-signed package; a certificate already there is left alone.
    param($Params)
    $path = Get-GpuPvGuestString -Params $Params -Name 'path' -Required
    if (-not [System.IO.Path]::IsPathRooted($path)) {
        $run = Get-GpuPvRun -Params $Params -MustExist
        $path = Resolve-GpuPvStagedPath -Run $run -Relative $path -Name 'path'
    }
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
        throw (New-GpuPvGuestError -Code 'NotFound' -Message ('The certificate file ' + $path + ' is not in the guest.') -Action 'Include the .cer in the package (signing.certificate in gpupv.json).')
    }
    $cert = $null
    try {
        $cert = New-Object -TypeName 'System.Security.Cryptography.X509Certificates.X509Certificate2' -ArgumentList (, [System.IO.File]::ReadAllBytes($path))
    } catch {
        throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message ($path + ' is not a certificate file: ' + $_.Exception.Message) -Action 'Export the test certificate without its private key (.cer, DER or Base64).')
    }
    $thumbprint = $cert.Thumbprint.ToUpperInvariant()
    $expected = Get-GpuPvGuestString -Params $Params -Name 'thumbprint'
    if ($expected -and (Get-GpuPvThumbprint -Text $expected) -ne $thumbprint) {
        throw (New-GpuPvGuestError -Code 'CertificateMismatch' -Message ('The certificate file holds ' + $thumbprint + ', not the configured ' + (Get-GpuPvThumbprint -Text $expected) + '.') -Action 'Sign and deploy with the same certificate: fix signing.thumbprint or the .cer in gpupv.json.')
    }
    $stores = @()
    foreach ($store in @('Root', 'TrustedPublisher')) {
        $added = $false
        if (-not (Test-GpuPvCertificateInStore -Store $store -Thumbprint $thumbprint)) {
            $run = Invoke-GpuPvGuestTool -Tool 'certutil.exe' -Arguments @('-addstore', '-f', $store, $path)
            if ($run.exitCode -ne 0) { Stop-GpuPvToolFailure -Run $run -What ('Adding the certificate to LocalMachine\' + $store) }
            if (-not (Test-GpuPvCertificateInStore -Store $store -Thumbprint $thumbprint)) {
                throw (New-GpuPvGuestError -Code 'ToolFailed' -Message ('certutil reported success, but LocalMachine\' + $store + ' still lacks ' + $thumbprint + '.') -Action 'Import the .cer by hand in the guest (certlm.msc) and look for a policy that blocks it.')
            }
            $added = $true
        }
        $stores += [ordered]@{ store = $store; added = $added }
    }
    [ordered]@{
        thumbprint = $thumbprint
        subject    = $cert.Subject
        notAfter   = (Format-GpuPvTime $cert.NotAfter)
        stores     = $stores
    }
}

function Enable-GpuPvTestSigning {
    # bcdedit /set {current} testsigning on; effective after the next restart.
    param($Params)
    $null = $Params
    if ((Get-GpuPvSecureBoot) -eq 'on') {
        throw (New-GpuPvGuestError -Code 'SecureBootOn' -Message 'Secure Boot is on in this guest: Windows protects the testsigning setting and ignores it while Secure Boot is on.' -Action 'Turn the VM off, disable Secure Boot (Set-VMFirmware -VMName <vm> -EnableSecureBoot Off, or Hyper-V Manager: Settings > Security), start it and try again.')
    }
    if (Get-GpuPvBootTestSigning) {
        return [ordered]@{ testSigning = $true; changed = $false; rebootRequired = $false; message = 'Test signing was already on.' }
    }
    $run = Invoke-GpuPvGuestTool -Tool 'bcdedit.exe' -Arguments @('/set', '{current}', 'testsigning', 'on')
    if ($run.exitCode -ne 0) {
        if ($run.text -match 'Secure Boot') {
            throw (New-GpuPvGuestError -Code 'SecureBootOn' -Message ('bcdedit refused: ' + $run.text) -Action 'Disable Secure Boot for the VM (Set-VMFirmware -EnableSecureBoot Off) and try again.')
        }
        Stop-GpuPvToolFailure -Run $run -What 'Turning test signing on'
    }
    [ordered]@{ testSigning = $true; changed = $true; rebootRequired = $true; message = 'Test signing is on from the next start: restart the guest before installing.' }
}

# ---------------------------------------------------------------- staging

function New-GpuPvStagingFolder {
    # A fresh, empty folder for the package of one run; whatever an earlier attempt left is gone.
    param($Params)
    $run = Get-GpuPvRun -Params $Params
    if (Test-Path -LiteralPath $run.folder) { Remove-Item -LiteralPath $run.folder -Recurse -Force }
    $null = New-Item -ItemType Directory -Path $run.package -Force
    $null = New-Item -ItemType Directory -Path $run.work -Force
    [ordered]@{ runId = $run.runId; runFolder = $run.folder; packageFolder = $run.package; workFolder = $run.work }
}

function Get-GpuPvFileSha256 {
    param([string]$Path)
    $stream = [System.IO.File]::Open($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare]::Read)
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try {
        return (([System.BitConverter]::ToString($sha.ComputeHash($stream))) -replace '-', '').ToLowerInvariant()
    } finally {
        $sha.Dispose()
        $stream.Dispose()
    }
}

function Test-GpuPvStagedFiles {
    # Every staged file against the hash the host computed; only a package that passes is ever
    # installed (Install-GpuPvDriverPackage reads the record written here).
    param($Params)
    $run = Get-GpuPvRun -Params $Params -MustExist
    $files = @(Get-GpuPvGuestParam -Params $Params -Name 'files')
    if ($files.Count -eq 0 -or $null -eq $files[0]) {
        throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message "Parameter 'files' must list the staged files and their sha256." -Action 'This is a bug in GPU-PV Dev Kit''s call: report it with the log.')
    }
    Remove-GpuPvWorkFile -Run $run -Name 'verified.json'
    $checked = @()
    $bad = @()
    $listed = @{}
    foreach ($file in $files) {
        $relative = Get-GpuPvGuestString -Params $file -Name 'path' -Required
        $expected = (Get-GpuPvGuestString -Params $file -Name 'sha256' -Required).ToLowerInvariant()
        if ($expected -notmatch '^[0-9a-f]{64}$') {
            throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message ("'" + $expected + "' is not a sha256 (" + $relative + ').') -Action 'This is a bug in GPU-PV Dev Kit''s call: report it with the log.')
        }
        $path = Resolve-GpuPvStagedPath -Run $run -Relative $relative -Name 'files[].path'
        $listed[$path] = $true
        $actual = $null
        $size = $null
        if (Test-Path -LiteralPath $path -PathType Leaf) {
            $actual = Get-GpuPvFileSha256 -Path $path
            $size = [int64](Get-Item -LiteralPath $path).Length
        }
        $entry = [ordered]@{ path = $relative; sha256 = $expected; actual = $actual; size = $size; match = ($actual -eq $expected) }
        $checked += $entry
        if (-not $entry.match) { $bad += $entry }
    }
    $extra = @(Get-ChildItem -LiteralPath $run.package -Recurse -File -Force | Where-Object { -not $listed.ContainsKey($_.FullName) } | ForEach-Object { $_.FullName.Substring($run.package.Length).TrimStart([char[]]'\/') })
    if ($bad.Count -gt 0) {
        $named = @($bad | Select-Object -First 5 | ForEach-Object {
                if ($null -eq $_.actual) { $_.path + ' (missing)' } else { $_.path + ' (expected ' + $_.sha256.Substring(0, 12) + '..., found ' + $_.actual.Substring(0, 12) + '...)' }
            })
        throw (New-GpuPvGuestError -Code 'HashMismatch' -Message ([string]$bad.Count + ' of ' + $checked.Count + ' staged files differ from the build: ' + ($named -join ', ') + '. Nothing was installed.') -Action 'The copy was damaged or interrupted: deploy again.' -Details ([ordered]@{ files = $checked; extra = $extra }))
    }
    Write-GpuPvWorkFile -Run $run -Name 'verified.json' -Value ([ordered]@{ files = @($checked | ForEach-Object { [ordered]@{ path = $_.path; sha256 = $_.sha256 } }) })
    [ordered]@{ runId = $run.runId; verified = $true; files = $checked; extra = $extra }
}

function Assert-GpuPvStagedVerified {
    # The package passed Test-GpuPvStagedFiles and is still what was checked.
    param($Run, [string]$Inf)
    $record = Read-GpuPvWorkFile -Run $Run -Name 'verified.json'
    if ($null -eq $record) {
        throw (New-GpuPvGuestError -Code 'NotVerified' -Message ('The staged package of run ' + $Run.runId + ' was not verified, or failed verification; it is not installed.') -Action 'Deploy again: the copy is checked before any install.')
    }
    $hasInf = $false
    foreach ($file in @($record.files)) {
        $path = Resolve-GpuPvStagedPath -Run $Run -Relative ([string]$file.path) -Name 'verified file'
        if ($path -eq $Inf) { $hasInf = $true }
        if (-not (Test-Path -LiteralPath $path -PathType Leaf) -or (Get-GpuPvFileSha256 -Path $path) -ne [string]$file.sha256) {
            throw (New-GpuPvGuestError -Code 'NotVerified' -Message ('The staged file ' + [string]$file.path + ' changed after it was verified; nothing was installed.') -Action 'Deploy again.')
        }
    }
    if (-not $hasInf) {
        throw (New-GpuPvGuestError -Code 'NotVerified' -Message ('The INF ' + $Inf + ' is not among the verified files of run ' + $Run.runId + '.') -Action 'List the INF among the package files in gpupv.json.')
    }
}

# ---------------------------------------------------------------- driver store and install

function ConvertFrom-GpuPvDriverList {
    # pnputil /enum-drivers: blocks of 'Label:   value' lines, one per package. English labels
    # first; on a localized Windows the values' own shapes still find the key fields.
    param([string[]]$Lines)
    $labels = @{
        'published name' = 'publishedName'; 'driver name' = 'publishedName'
        'original name' = 'originalName'
        'provider name' = 'providerName'; 'driver package provider' = 'providerName'
        'class name' = 'className'; 'class' = 'className'
        'class guid' = 'classGuid'
        'driver version' = 'driverVersion'; 'driver date and version' = 'driverVersion'
        'signer name' = 'signerName'
    }
    $drivers = New-Object -TypeName 'System.Collections.Generic.List[object]'
    $block = $null
    $flush = {
        if ($null -ne $block -and $block.publishedName) {
            $dv = [regex]::Match([string]$block.driverVersion, '^(\d{1,2}/\d{1,2}/\d{4})\s+(\d+(\.\d+){0,3})$')
            $date = [datetime]::MinValue
            if ($dv.Success) {
                $block.version = $dv.Groups[2].Value
                if ([datetime]::TryParseExact($dv.Groups[1].Value, 'M/d/yyyy', $script:Invariant, [System.Globalization.DateTimeStyles]::None, [ref]$date)) { $block.driverDate = $date.ToString('yyyy-MM-dd', $script:Invariant) }
            }
            $drivers.Add([pscustomobject]$block)
        }
    }
    foreach ($raw in @($Lines) + @('')) {
        $line = [string]$raw
        $m = [regex]::Match($line, '^\s*([^:]{1,60}?)\s*:\s*(.*?)\s*$')
        if (-not $m.Success -or $line.Trim().Length -eq 0) {
            & $flush
            $block = $null
            continue
        }
        if ($null -eq $block) {
            $block = [ordered]@{ publishedName = $null; originalName = $null; providerName = $null; className = $null; classGuid = $null; driverVersion = $null; driverDate = $null; version = $null; signerName = $null }
        }
        $label = $m.Groups[1].Value.Trim().ToLowerInvariant()
        $value = $m.Groups[2].Value.Trim()
        $key = $labels[$label]
        if ($null -eq $key) {
            if ($value -match '^oem\d+\.inf$') { $key = 'publishedName' }
            elseif ($value -match '\.inf$') { $key = 'originalName' }
            elseif ($value -match '^\{[0-9A-Fa-f-]{36}\}$') { $key = 'classGuid' }
            elseif ($value -match '^\d{1,2}/\d{1,2}/\d{4}\s+\d') { $key = 'driverVersion' }
        }
        if ($null -ne $key -and $null -eq $block[$key]) { $block[$key] = $value }
    }
    return , $drivers.ToArray()
}

function Get-GpuPvDriverStore {
    $run = Invoke-GpuPvGuestTool -Tool 'pnputil.exe' -Arguments @('/enum-drivers')
    if ($run.exitCode -ne 0) { Stop-GpuPvToolFailure -Run $run -What 'Listing the driver store' }
    return (ConvertFrom-GpuPvDriverList -Lines $run.lines)
}

function Get-GpuPvPnpUtilFailure {
    # pnputil's own reason: the 'Failed to ...' line, else its whole text.
    param($Run)
    foreach ($line in @($Run.lines)) {
        if ([string]$line -match '^\s*Failed to ') { return ([string]$line).Trim() }
    }
    if ($Run.text) { return $Run.text }
    return '(no output)'
}

function Install-GpuPvDriverPackage {
    # Removes earlier packages of the same INF name from the driver store, then adds and
    # installs the verified staged package; the exit code says what happened.
    param($Params)
    $run = Get-GpuPvRun -Params $Params -MustExist
    $infRelative = Get-GpuPvGuestString -Params $Params -Name 'inf' -Required
    $inf = Resolve-GpuPvStagedPath -Run $run -Relative $infRelative -Name 'inf'
    $removePrevious = Get-GpuPvGuestBool -Params $Params -Name 'removePrevious' -Default $true
    Assert-GpuPvStagedVerified -Run $run -Inf $inf
    $infName = Split-Path -Leaf $inf
    Write-GpuPvWorkFile -Run $run -Name 'installing.json' -Value ([ordered]@{ pid = $PID; started = (Format-GpuPvTime ([datetime]::UtcNow)); inf = $infRelative })
    try {
        $removed = @()
        if ($removePrevious) {
            foreach ($old in @(Get-GpuPvDriverStore | Where-Object { [string]$_.originalName -ieq $infName })) {
                $delete = Invoke-GpuPvGuestTool -Tool 'pnputil.exe' -Arguments @('/delete-driver', [string]$old.publishedName, '/uninstall', '/force')
                if ($delete.exitCode -ne 0 -and $delete.exitCode -ne 3010) {
                    throw (New-GpuPvGuestError -Code 'RemoveFailed' -Message ('Removing the earlier ' + $old.publishedName + ' (' + $infName + ' ' + $old.version + ') failed with ' + $delete.exitCode + ': ' + (Get-GpuPvPnpUtilFailure $delete) + ' The new package was not added.') -Action ('Remove it by hand in the guest: pnputil /delete-driver ' + $old.publishedName + ' /uninstall /force, or revert the checkpoint.') -Details ([ordered]@{ exitCode = $delete.exitCode; output = @($delete.lines) }))
                }
                $removed += [ordered]@{ publishedName = [string]$old.publishedName; version = $old.version; rebootRequired = ($delete.exitCode -eq 3010) }
            }
        }
        $before = @(Get-GpuPvDriverStore | ForEach-Object { [string]$_.publishedName })
        $add = Invoke-GpuPvGuestTool -Tool 'pnputil.exe' -Arguments @('/add-driver', $inf, '/install')
        $outcome = $script:PnpUtilOutcomes[$add.exitCode]
        if ($null -eq $outcome) {
            throw (New-GpuPvGuestError -Code 'InstallFailed' -Message ('pnputil could not add ' + $infName + ' (exit code ' + $add.exitCode + '): ' + (Get-GpuPvPnpUtilFailure $add)) -Action 'The reason is pnputil''s; the setupapi.dev.log section of this install has the details (collect-logs brings it back).' -Details ([ordered]@{ exitCode = $add.exitCode; output = @($add.lines); removed = $removed }))
        }
        $devices = @()
        $upToDate = @()
        $printed = $null
        foreach ($line in $add.lines) {
            $m = [regex]::Match([string]$line, '^\s*Driver package installed on device:\s*(.+?)\s*$')
            if ($m.Success) { $devices += $m.Groups[1].Value }
            $m = [regex]::Match([string]$line, 'up-to-date on device:\s*(.+?)\s*$')
            if ($m.Success) { $upToDate += $m.Groups[1].Value }
            $m = [regex]::Match([string]$line, '^\s*Published Name:\s*(oem\d+\.inf)\s*$', 'IgnoreCase')
            if ($m.Success) { $printed = $m.Groups[1].Value }
        }
        # The published name pnputil printed; on a localized Windows, the one entry that is new.
        $candidates = @(Get-GpuPvDriverStore | Where-Object { [string]$_.originalName -ieq $infName })
        $entry = @($candidates | Where-Object { $printed -and [string]$_.publishedName -ieq $printed }) | Select-Object -First 1
        if ($null -eq $entry) { $entry = @($candidates | Where-Object { $before -notcontains [string]$_.publishedName }) | Select-Object -First 1 }
        if ($null -eq $entry -and $candidates.Count -eq 1) { $entry = $candidates[0] }
        if ($null -eq $entry) {
            throw (New-GpuPvGuestError -Code 'InstallFailed' -Message ('pnputil exited with ' + $add.exitCode + ' but ' + $infName + ' is not in the driver store.') -Action 'Run pnputil /enum-drivers in the guest and check setupapi.dev.log.' -Details ([ordered]@{ exitCode = $add.exitCode; output = @($add.lines) }))
        }
        $result = [ordered]@{
            publishedName  = [string]$entry.publishedName
            originalName   = $infName
            version        = $entry.version
            driverDate     = $entry.driverDate
            signerName     = $entry.signerName
            exitCode       = $add.exitCode
            outcome        = $outcome[0]
            message        = $outcome[1]
            rebootRequired = ($add.exitCode -eq 3010 -or @($removed | Where-Object { $_.rebootRequired }).Count -gt 0)
            rebootStarted  = ($add.exitCode -eq 1641)
            devices        = $devices
            upToDate       = $upToDate
            removed        = $removed
            output         = @($add.lines)
        }
        Write-GpuPvWorkFile -Run $run -Name 'installed.json' -Value ([ordered]@{ publishedName = $result.publishedName; originalName = $infName; version = $result.version })
        $result
    } finally {
        Remove-GpuPvWorkFile -Run $run -Name 'installing.json'
    }
}

# ---------------------------------------------------------------- device health

function ConvertTo-GpuPvProblem {
    param($Code)
    if ($null -eq $Code -or [int64]$Code -eq 0) { return $null }
    $known = $script:ProblemCodes[[int]$Code]
    if ($null -eq $known) {
        return [ordered]@{ code = [int]$Code; name = $null; message = ('Device Manager problem code ' + $Code + '.'); cause = 'Not one of the codes GPU-PV explains; see "Device Manager error messages" in the Windows driver docs.' }
    }
    return [ordered]@{ code = [int]$Code; name = $known[0]; message = $known[1]; cause = $known[2] }
}

function Get-GpuPvDeviceHealth {
    # The devices of each hardware id: status, problem code explained, and the driver bound.
    param($Params)
    $ids = Get-GpuPvGuestStrings -Params $Params -Name 'hardwareIds'
    if ($ids.Count -eq 0) { throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message "Parameter 'hardwareIds' is required." -Action 'List the hardware ids of the package (driver.packages[].hardwareIds in gpupv.json).') }
    $expectedVersion = Get-GpuPvGuestString -Params $Params -Name 'expectedVersion'
    $expectedInf = Get-GpuPvGuestString -Params $Params -Name 'publishedName'
    if ($null -eq (Get-Command -Name 'Get-PnpDevice' -ErrorAction SilentlyContinue)) {
        throw (New-GpuPvGuestError -Code 'ToolMissing' -Message 'The PnpDevice module (Get-PnpDevice) is not in this guest.' -Action 'The guest must run Windows 10 / Server 2016 or later.')
    }
    $all = @(Get-PnpDevice -ErrorAction Stop)
    $keys = @('DEVPKEY_Device_ProblemCode', 'DEVPKEY_Device_DriverVersion', 'DEVPKEY_Device_DriverDate', 'DEVPKEY_Device_DriverInfPath', 'DEVPKEY_Device_DriverProvider')
    $devices = @()
    $missing = @()
    foreach ($id in $ids) {
        $matching = @($all | Where-Object { @(@($_.HardwareID) + @($_.CompatibleID) | Where-Object { [string]$_ -ieq $id }).Count -gt 0 })
        if ($matching.Count -eq 0) {
            $missing += [ordered]@{ hardwareId = $id; message = ('No device with hardware id ' + $id + ' exists in the guest.'); action = 'Check the hardware ids in the INF and that the VM has its GPU partition (Add-VMGpuPartitionAdapter).' }
            continue
        }
        foreach ($device in $matching) {
            $props = @{}
            foreach ($prop in @(Get-PnpDeviceProperty -InstanceId $device.InstanceId -KeyName $keys -ErrorAction Stop)) { $props[[string]$prop.KeyName] = $prop.Data }
            $problemCode = $props['DEVPKEY_Device_ProblemCode']
            if ($null -ne $problemCode) { $problemCode = [int64]$problemCode }
            $driverDate = $props['DEVPKEY_Device_DriverDate']
            if ($driverDate -is [datetime]) { $driverDate = $driverDate.ToString('yyyy-MM-dd', $script:Invariant) } else { $driverDate = $null }
            $version = $props['DEVPKEY_Device_DriverVersion']
            $infPath = $props['DEVPKEY_Device_DriverInfPath']
            $entry = [ordered]@{
                hardwareId    = $id
                instanceId    = [string]$device.InstanceId
                friendlyName  = [string]$device.FriendlyName
                class         = [string]$device.Class
                present       = [bool]$device.Present
                status        = [string]$device.Status
                problemCode   = $problemCode
                problem       = (ConvertTo-GpuPvProblem $problemCode)
                driverVersion = $version
                driverDate    = $driverDate
                driverInfPath = $infPath
                driverProvider = $props['DEVPKEY_Device_DriverProvider']
                versionMatches = $null
                infMatches    = $null
                healthy       = $false
            }
            if ($expectedVersion) { $entry.versionMatches = ([string]$version -eq $expectedVersion) }
            if ($expectedInf) { $entry.infMatches = ([string]$infPath -ieq $expectedInf) }
            $entry.healthy = ($entry.present -and $entry.status -eq 'OK' -and ($null -eq $problemCode -or $problemCode -eq 0) -and $entry.versionMatches -ne $false -and $entry.infMatches -ne $false)
            $devices += $entry
        }
    }
    [ordered]@{
        healthy = ($missing.Count -eq 0 -and $devices.Count -gt 0 -and @($devices | Where-Object { -not $_.healthy }).Count -eq 0)
        devices = $devices
        missing = $missing
    }
}

# ---------------------------------------------------------------- setupapi.dev.log

function ConvertFrom-GpuPvSetupApiLog {
    # The sections of setupapi.dev.log ('>>>  [title]' ... '<<<  [Exit status: X]') that start
    # at or after $Since, optionally only those that mention one of $Match.
    param([System.IO.TextReader]$Reader, [datetime]$Since, [string[]]$Match = @())
    $sections = New-Object -TypeName 'System.Collections.Generic.List[object]'
    $current = $null
    $lines = $null
    $formats = [string[]]@('yyyy/MM/dd HH:mm:ss.fff', 'yyyy/MM/dd HH:mm:ss')
    $close = {
        if ($null -ne $current -and $null -ne $current.start -and $current.start -ge $Since) {
            $text = $lines.ToString()
            $keep = ($Match.Count -eq 0)
            foreach ($needle in $Match) { if ($text.IndexOf($needle, [System.StringComparison]::OrdinalIgnoreCase) -ge 0) { $keep = $true; break } }
            if ($keep) { $current.text = $text.TrimEnd(); $sections.Add($current) }
        }
    }
    while ($true) {
        $line = $Reader.ReadLine()
        if ($null -eq $line) { break }
        if ($line.StartsWith('>>>  [')) {
            & $close
            $title = $line.Substring(6)
            if ($title.EndsWith(']')) { $title = $title.Substring(0, $title.Length - 1) }
            $current = [ordered]@{ title = $title; start = $null; exitStatus = $null; text = $null }
            $lines = New-Object -TypeName 'System.Text.StringBuilder'
            $null = $lines.AppendLine($line)
            continue
        }
        if ($null -eq $current) { continue }
        if ($null -eq $current.start) {
            $m = [regex]::Match($line, '^>>>\s+Section start (\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,3})?)')
            $parsed = [datetime]::MinValue
            if ($m.Success -and [datetime]::TryParseExact($m.Groups[1].Value, $formats, $script:Invariant, [System.Globalization.DateTimeStyles]::AssumeLocal, [ref]$parsed)) { $current.start = $parsed }
            elseif (-not $m.Success) { $current = $null; continue }
        }
        # Sections that start before $Since are skipped without keeping their text.
        if ($null -ne $current.start -and $current.start -lt $Since) { continue }
        $null = $lines.AppendLine($line)
        $m = [regex]::Match($line, '^<<<\s+\[Exit status:\s*(.*?)\]')
        if ($m.Success) {
            $current.exitStatus = $m.Groups[1].Value
            & $close
            $current = $null
        }
    }
    & $close
    return , $sections.ToArray()
}

function Get-GpuPvSetupApiLog {
    # setupapi.dev.log's install sections since a time (the run's start), newest kept when the
    # total exceeds maxBytes.
    param($Params)
    $since = Get-GpuPvGuestTime -Params $Params -Name 'since'
    $match = Get-GpuPvGuestStrings -Params $Params -Name 'match'
    $maxBytes = [int](Get-GpuPvGuestNumber -Params $Params -Name 'maxBytes' -Default 262144 -Minimum 1024 -Maximum 16777216)
    $path = Join-Path (Join-Path $env:SystemRoot 'INF') 'setupapi.dev.log'
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
        return [ordered]@{ path = $path; exists = $false; sections = @(); truncated = $false }
    }
    # Windows keeps writing the log: share it for reading and writing.
    $stream = [System.IO.File]::Open($path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, ([System.IO.FileShare]::ReadWrite -bor [System.IO.FileShare]::Delete))
    $reader = New-Object -TypeName 'System.IO.StreamReader' -ArgumentList $stream, ([System.Text.Encoding]::UTF8), $true
    try {
        $sections = ConvertFrom-GpuPvSetupApiLog -Reader $reader -Since $since -Match $match
    } finally {
        $reader.Dispose()
    }
    $kept = New-Object -TypeName 'System.Collections.Generic.List[object]'
    $total = 0
    $truncated = $false
    for ($i = $sections.Count - 1; $i -ge 0; $i--) {
        $section = $sections[$i]
        if ($section.text.Length -gt $maxBytes) {
            $section.text = $section.text.Substring(0, $maxBytes) + "`n[... cut by GPU-PV: the section is longer than " + $maxBytes + ' characters]'
            $truncated = $true
        }
        if ($total + $section.text.Length -gt $maxBytes -and $kept.Count -gt 0) { $truncated = $true; break }
        $total += $section.text.Length
        $kept.Insert(0, [ordered]@{ title = $section.title; start = (Format-GpuPvTime $section.start); exitStatus = $section.exitStatus; text = $section.text })
    }
    [ordered]@{ path = $path; exists = $true; sections = $kept.ToArray(); truncated = $truncated }
}

# ---------------------------------------------------------------- events and crash dumps

function Get-GpuPvGuestEvents {
    # System log entries of the driver's services and of display/PnP sources since a time, the
    # bugchecks among them, and crash dumps written since.
    param($Params)
    $since = Get-GpuPvGuestTime -Params $Params -Name 'since'
    $services = Get-GpuPvGuestStrings -Params $Params -Name 'services'
    $maxEvents = [int](Get-GpuPvGuestNumber -Params $Params -Name 'maxEvents' -Default 500 -Minimum 1 -Maximum 10000)
    $sources = @('Display', 'Microsoft-Windows-Kernel-PnP', 'Microsoft-Windows-UserPnp', 'Microsoft-Windows-DxgKrnl', 'Microsoft-Windows-WER-SystemErrorReporting', 'Microsoft-Windows-Kernel-Power', 'Service Control Manager') + @($services)
    if ($null -eq (Get-Command -Name 'Get-WinEvent' -ErrorAction SilentlyContinue)) {
        throw (New-GpuPvGuestError -Code 'ToolMissing' -Message 'Get-WinEvent is not available in this guest session.' -Action 'Use Windows PowerShell 5.1 or PowerShell 7 on Windows in the guest.')
    }
    $raw = @()
    try {
        # One read of the System log since the run started, filtered here: a provider that is not
        # registered in this guest (a driver never loaded) must not fail the query.
        $raw = @(Get-WinEvent -FilterHashtable @{ LogName = 'System'; StartTime = $since } -MaxEvents 20000 -ErrorAction Stop)
    } catch {
        if ([string]$_.FullyQualifiedErrorId -notlike 'NoMatchingEventsFound*') { throw }
    }
    $events = @()
    $bugChecks = @()
    $truncated = $false
    foreach ($record in ($raw | Sort-Object -Property 'TimeCreated')) {
        $provider = [string]$record.ProviderName
        if (@($sources | Where-Object { $_ -ieq $provider }).Count -eq 0) { continue }
        $message = [string]$record.Message
        # The Service Control Manager speaks of every service; keep what names ours.
        if ($provider -eq 'Service Control Manager') {
            $ours = $false
            foreach ($service in $services) { if ($message.IndexOf($service, [System.StringComparison]::OrdinalIgnoreCase) -ge 0) { $ours = $true } }
            if (-not $ours) { continue }
        }
        if ($events.Count -ge $maxEvents) { $truncated = $true; break }
        $entry = [ordered]@{ time = (Format-GpuPvTime $record.TimeCreated); provider = $provider; id = [int]$record.Id; level = [string]$record.LevelDisplayName; message = $message; recordId = $record.RecordId }
        $events += $entry
        if ($provider -eq 'Microsoft-Windows-WER-SystemErrorReporting' -and [int]$record.Id -eq 1001) {
            $m = [regex]::Match($message, 'bugcheck was:\s*(0x[0-9A-Fa-f]+)\s*\(([^)]*)\)')
            $dump = [regex]::Match($message, 'dump was saved in:\s*(.+?)\.(\s|$)')
            $bugCheck = [ordered]@{ time = $entry.time; code = $null; parameters = @(); dumpPath = $null; message = $message }
            if ($m.Success) { $bugCheck.code = $m.Groups[1].Value; $bugCheck.parameters = @($m.Groups[2].Value -split ',\s*') }
            if ($dump.Success) { $bugCheck.dumpPath = $dump.Groups[1].Value }
            $bugChecks += $bugCheck
        }
    }
    $dumps = @()
    $candidates = @()
    foreach ($folder in @('Minidump', 'LiveKernelReports')) {
        $dir = Join-Path $env:SystemRoot $folder
        if (Test-Path -LiteralPath $dir -PathType Container) { $candidates += @(Get-ChildItem -LiteralPath $dir -Recurse -File -Filter '*.dmp' -Force) }
    }
    $full = Join-Path $env:SystemRoot 'MEMORY.DMP'
    if (Test-Path -LiteralPath $full -PathType Leaf) { $candidates += Get-Item -LiteralPath $full -Force }
    foreach ($file in ($candidates | Sort-Object -Property 'LastWriteTime')) {
        if ($file.LastWriteTime -lt $since) { continue }
        $kind = 'minidump'
        if ($file.Name -ieq 'MEMORY.DMP') { $kind = 'full' }
        elseif ($file.FullName -match 'LiveKernelReports') { $kind = 'liveKernel' }
        $dumps += [ordered]@{ path = $file.FullName; name = $file.Name; kind = $kind; size = [int64]$file.Length; time = (Format-GpuPvTime $file.LastWriteTime) }
    }
    [ordered]@{
        since      = (Format-GpuPvTime $since)
        events     = $events
        bugChecks  = $bugChecks
        dumps      = $dumps
        bugchecked = ($bugChecks.Count -gt 0 -or @($dumps | Where-Object { $_.kind -ne 'liveKernel' }).Count -gt 0)
        truncated  = $truncated
    }
}

# ---------------------------------------------------------------- tests in the guest

function ConvertTo-GpuPvCommandLineArgument {
    # One argv element quoted for CommandLineToArgvW (what Windows programs, PowerShell and
    # .NET all parse); ProcessStartInfo.ArgumentList is missing on Windows PowerShell 5.1.
    param([string]$Value)
    if ($Value.Length -gt 0 -and $Value.IndexOfAny([char[]]@(' ', "`t", "`n", "`v", '"')) -lt 0) { return $Value }
    $sb = New-Object -TypeName 'System.Text.StringBuilder'
    $null = $sb.Append('"')
    $slashes = 0
    foreach ($c in $Value.ToCharArray()) {
        if ($c -eq '\') { $slashes++; continue }
        if ($c -eq '"') {
            $null = $sb.Append('\', $slashes * 2 + 1).Append('"')
        } else {
            if ($slashes -gt 0) { $null = $sb.Append('\', $slashes) }
            $null = $sb.Append($c)
        }
        $slashes = 0
    }
    $null = $sb.Append('\', $slashes * 2).Append('"')
    return $sb.ToString()
}

function Resolve-GpuPvTestFile {
    # A program or script of the test: a path in the staged package, an absolute path, or (for
    # programs only) a name found on PATH.
    param($Run, [string]$Value, [string]$Name, [switch]$AllowPath)
    if ([System.IO.Path]::IsPathRooted($Value)) {
        if (Test-Path -LiteralPath $Value -PathType Leaf) { return $Value }
    } else {
        $staged = $null
        try { $staged = Resolve-GpuPvStagedPath -Run $Run -Relative $Value -Name $Name } catch { $staged = $null }
        if ($null -ne $staged -and (Test-Path -LiteralPath $staged -PathType Leaf)) { return $staged }
        if ($AllowPath) {
            $command = @(Get-Command -Name $Value -CommandType Application -ErrorAction SilentlyContinue) | Select-Object -First 1
            if ($null -ne $command) { return [string]$command.Source }
        }
    }
    throw (New-GpuPvGuestError -Code 'NotFound' -Message ("The test's " + $Name + ' ' + $Value + ' is not in the guest (looked in the staged package' + $(if ($AllowPath) { ' and on PATH' } else { '' }) + ').') -Action 'Ship it with the package (driver.packages[].files) or give its full path in the guest.')
}

function Find-GpuPvPowerShell {
    # The PowerShell that runs a test script: the one running this module, else one on PATH.
    param($Params)
    $given = Get-GpuPvGuestString -Params $Params -Name 'powerShellPath'
    if ($given) { return $given }
    foreach ($name in @('powershell.exe', 'pwsh.exe', 'pwsh')) {
        $candidate = Join-Path $PSHOME $name
        if (Test-Path -LiteralPath $candidate -PathType Leaf) { return $candidate }
    }
    foreach ($name in @('pwsh', 'powershell')) {
        $command = @(Get-Command -Name $name -CommandType Application -ErrorAction SilentlyContinue) | Select-Object -First 1
        if ($null -ne $command) { return [string]$command.Source }
    }
    throw (New-GpuPvGuestError -Code 'ToolMissing' -Message 'No PowerShell executable was found to run the test script.' -Action 'Set the test''s powerShellPath in gpupv.json.')
}

function Find-GpuPvTaef {
    param($Params, $Run)
    $given = Get-GpuPvGuestString -Params $Params -Name 'tePath'
    if ($given) { return (Resolve-GpuPvTestFile -Run $Run -Value $given -Name 'TAEF runner (tePath)' -AllowPath) }
    $candidates = @((Join-Path $Run.package 'te.exe'))
    foreach ($base in @(${env:ProgramFiles(x86)}, $env:ProgramFiles)) {
        if ($base) { $candidates += (Join-Path $base 'Windows Kits\10\Testing\Runtimes\TAEF\x64\te.exe') }
    }
    foreach ($candidate in $candidates) { if (Test-Path -LiteralPath $candidate -PathType Leaf) { return $candidate } }
    $command = @(Get-Command -Name 'te.exe' -CommandType Application -ErrorAction SilentlyContinue) | Select-Object -First 1
    if ($null -ne $command) { return [string]$command.Source }
    throw (New-GpuPvGuestError -Code 'ToolMissing' -Message 'TAEF (te.exe) is not in the guest: not in the package, the Windows Kits folder, or on PATH.' -Action 'Ship TAEF with the package, install the WDK''s TAEF redistributable in the guest, or set the test''s tePath.')
}

function Stop-GpuPvProcessTree {
    # The process and everything it started; taskkill walks the tree by parent id.
    param([int]$ProcessId)
    $run = Invoke-GpuPvGuestTool -Tool 'taskkill.exe' -Arguments @('/T', '/F', '/PID', [string]$ProcessId)
    return [ordered]@{ pid = $ProcessId; exitCode = $run.exitCode; output = @($run.lines) }
}

function Test-GpuPvProcessAlive {
    # The recorded process still runs: its start time guards against a reused pid (to the
    # second: Linux derives start times from the boot time, which each process reads anew).
    # PowerShell 7 reads the recorded ISO time back as a date already.
    param([int]$ProcessId, $StartTime)
    $process = Get-Process -Id $ProcessId -ErrorAction SilentlyContinue
    if ($null -eq $process) { return $false }
    $recorded = [datetime]::MinValue
    if ($StartTime -is [datetime]) { $recorded = $StartTime }
    elseif (-not [datetime]::TryParse([string]$StartTime, $script:Invariant, [System.Globalization.DateTimeStyles]::RoundtripKind, [ref]$recorded)) { return $true }
    try {
        return ([math]::Abs(($process.StartTime.ToUniversalTime() - $recorded.ToUniversalTime()).TotalSeconds) -lt 2)
    } catch {
        return $false
    }
}

function Add-GpuPvOutput {
    # Keeps a stream's tail within the budget, as lines.
    param($Buffer, [string]$Text, [int]$Budget)
    $Buffer.lines.Add($Text)
    $Buffer.chars += $Text.Length + 1
    while ($Buffer.chars -gt $Budget -and $Buffer.lines.Count -gt 1) {
        $Buffer.chars -= $Buffer.lines[0].Length + 1
        $Buffer.lines.RemoveAt(0)
        $Buffer.dropped++
    }
}

function ConvertFrom-GpuPvTaefSummary {
    param([string[]]$Lines)
    foreach ($line in @($Lines)) {
        $m = [regex]::Match([string]$line, 'Summary:\s*Total=(\d+),\s*Passed=(\d+),\s*Failed=(\d+),\s*Blocked=(\d+),\s*Not Run=(\d+),\s*Skipped=(\d+)')
        if ($m.Success) {
            return [ordered]@{ total = [int]$m.Groups[1].Value; passed = [int]$m.Groups[2].Value; failed = [int]$m.Groups[3].Value; blocked = [int]$m.Groups[4].Value; notRun = [int]$m.Groups[5].Value; skipped = [int]$m.Groups[6].Value }
        }
    }
    return $null
}

function New-GpuPvRegex {
    param([string]$Pattern, [string]$Name)
    try {
        return (New-Object -TypeName 'System.Text.RegularExpressions.Regex' -ArgumentList $Pattern, ([System.Text.RegularExpressions.RegexOptions]::Multiline), ([timespan]::FromSeconds(2)))
    } catch {
        throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message ("The test's " + $Name + " '" + $Pattern + "' is not a valid .NET regular expression: " + $_.Exception.Message) -Action 'Fix the pattern in gpupv.json.')
    }
}

function Invoke-GpuPvGuestTest {
    # Runs one configured test in the guest: its output streams as live lines while it runs; on
    # its timeout the whole process tree is killed.
    param($Params)
    $run = Get-GpuPvRun -Params $Params -MustExist
    $name = Get-GpuPvGuestString -Params $Params -Name 'name' -Default 'test'
    $kind = Get-GpuPvGuestString -Params $Params -Name 'kind' -Required
    $timeoutSeconds = Get-GpuPvGuestNumber -Params $Params -Name 'timeoutSeconds' -Default 600 -Minimum 0.1 -Maximum 604800
    $budget = [int](Get-GpuPvGuestNumber -Params $Params -Name 'maxOutputChars' -Default 1048576 -Minimum 1024 -Maximum 67108864)
    $codes = @(Get-GpuPvGuestParam -Params $Params -Name 'successExitCodes')
    if ($codes.Count -eq 0 -or $null -eq $codes[0]) { $codes = @(0) }
    $passPattern = Get-GpuPvGuestString -Params $Params -Name 'passPattern'
    $failPattern = Get-GpuPvGuestString -Params $Params -Name 'failPattern'
    $passRegex = $null
    $failRegex = $null
    if ($passPattern) { $passRegex = New-GpuPvRegex -Pattern $passPattern -Name 'passPattern' }
    if ($failPattern) { $failRegex = New-GpuPvRegex -Pattern $failPattern -Name 'failPattern' }
    $extra = Get-GpuPvGuestStrings -Params $Params -Name 'args' -AllowEmpty
    $argv = @()
    switch ($kind) {
        'program' {
            $command = Get-GpuPvGuestStrings -Params $Params -Name 'command' -AllowEmpty
            if ($command.Count -eq 0 -or $command[0].Length -eq 0) { throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message "A program test needs 'command': the program and its arguments." -Action 'Fix the test in gpupv.json.') }
            $argv = @((Resolve-GpuPvTestFile -Run $run -Value $command[0] -Name 'program' -AllowPath)) + @($command | Select-Object -Skip 1) + @($extra)
        }
        'powershell' {
            $script = Resolve-GpuPvTestFile -Run $run -Value (Get-GpuPvGuestString -Params $Params -Name 'script' -Required) -Name 'script'
            $argv = @((Find-GpuPvPowerShell -Params $Params), '-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', $script) + @($extra)
        }
        'taef' {
            $binary = Resolve-GpuPvTestFile -Run $run -Value (Get-GpuPvGuestString -Params $Params -Name 'binary' -Required) -Name 'TAEF test binary'
            $argv = @((Find-GpuPvTaef -Params $Params -Run $run), $binary)
            $select = Get-GpuPvGuestString -Params $Params -Name 'select'
            if ($select) { $argv += ('/select:' + $select) }
            $argv += @($extra)
        }
        default { throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message ("A test's kind must be program, powershell or taef, not '" + $kind + "'.") -Action 'Fix the test in gpupv.json.') }
    }
    $workingDirectory = $run.package
    $given = Get-GpuPvGuestString -Params $Params -Name 'workingDirectory'
    if ($given) {
        if ([System.IO.Path]::IsPathRooted($given)) { $workingDirectory = $given } else { $workingDirectory = Resolve-GpuPvStagedPath -Run $run -Relative $given -Name 'workingDirectory' }
    }
    if (Test-Path -LiteralPath (Join-Path $run.work 'cancel')) {
        throw (New-GpuPvGuestError -Code 'Cancelled' -Message ('Run ' + $run.runId + ' was cancelled; the test ' + $name + ' was not started.') -Action 'Start a new run.')
    }
    $arguments = (@($argv | Select-Object -Skip 1) | ForEach-Object { ConvertTo-GpuPvCommandLineArgument $_ }) -join ' '
    $start = New-Object -TypeName 'System.Diagnostics.ProcessStartInfo'
    $start.FileName = $argv[0]
    $start.Arguments = $arguments
    $start.WorkingDirectory = $workingDirectory
    $start.UseShellExecute = $false
    $start.CreateNoWindow = $true
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.EnvironmentVariables['GPUPV_RUN_ID'] = $run.runId
    $start.EnvironmentVariables['GPUPV_PACKAGE'] = $run.package
    $commandLine = (ConvertTo-GpuPvCommandLineArgument $argv[0]) + ' ' + $arguments
    $process = $null
    try {
        $process = [System.Diagnostics.Process]::Start($start)
    } catch {
        throw (New-GpuPvGuestError -Code 'NotFound' -Message ('The test ' + $name + ' could not start ' + $argv[0] + ': ' + $_.Exception.Message) -Action 'Check the test''s command in gpupv.json and that the program runs in the guest.')
    }
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $process.StandardInput.Close()
    $record = 'process-' + [string]$process.Id + '.json'
    $startTime = $null
    # A process that already ended has no start time to read on every platform.
    try { $startTime = Format-GpuPvTime $process.StartTime } catch { $startTime = $null }
    Write-GpuPvWorkFile -Run $run -Name $record -Value ([ordered]@{ pid = $process.Id; startTime = $startTime; test = $name })
    $out = @{ lines = (New-Object -TypeName 'System.Collections.Generic.List[string]'); chars = 0; dropped = 0 }
    $err = @{ lines = (New-Object -TypeName 'System.Collections.Generic.List[string]'); chars = 0; dropped = 0 }
    $readers = @(
        @{ stream = 'stdout'; reader = $process.StandardOutput; buffer = $out; task = $process.StandardOutput.ReadLineAsync(); done = $false },
        @{ stream = 'stderr'; reader = $process.StandardError; buffer = $err; task = $process.StandardError.ReadLineAsync(); done = $false }
    )
    $timedOut = $false
    $cancelled = $false
    $killed = $null
    $exitedAt = $null
    try {
        while ($true) {
            $pending = @($readers | Where-Object { -not $_.done })
            if ($pending.Count -eq 0) { break }
            $null = [System.Threading.Tasks.Task]::WaitAny([System.Threading.Tasks.Task[]]@($pending | ForEach-Object { $_.task }), 100)
            foreach ($r in $pending) {
                while (-not $r.done -and $r.task.IsCompleted) {
                    $line = $r.task.Result
                    if ($null -eq $line) { $r.done = $true; break }
                    Add-GpuPvOutput -Buffer $r.buffer -Text $line -Budget $budget
                    New-GpuPvLiveLine -Stream $r.stream -Text $line
                    $r.task = $r.reader.ReadLineAsync()
                }
            }
            if ($null -eq $killed) {
                if ($clock.Elapsed.TotalSeconds -ge $timeoutSeconds) { $timedOut = $true }
                elseif (Test-Path -LiteralPath (Join-Path $run.work 'cancel')) { $cancelled = $true }
                if ($timedOut -or $cancelled) { $killed = Stop-GpuPvProcessTree -ProcessId $process.Id }
            }
            # A process that has exited may leave a descendant holding the pipes: give the
            # output a moment to end, then stop waiting for it.
            if ($process.HasExited) {
                if ($null -eq $exitedAt) { $exitedAt = $clock.Elapsed.TotalSeconds }
                elseif ($clock.Elapsed.TotalSeconds - $exitedAt -gt 2) { break }
            }
        }
        # The kill can end the output before the loop saw the request: it counts all the same.
        if ($null -eq $killed -and (Test-Path -LiteralPath (Join-Path $run.work 'cancel'))) { $cancelled = $true }
        if (-not $process.WaitForExit(10000)) {
            throw (New-GpuPvGuestError -Code 'Failed' -Message ('The test ' + $name + ' (pid ' + $process.Id + ') did not end after it was killed.') -Action 'Restart the guest; a process stuck in the kernel (often in a driver) cannot be killed.')
        }
    } finally {
        Remove-GpuPvWorkFile -Run $run -Name $record
    }
    $clock.Stop()
    $exitCode = $process.ExitCode
    $process.Dispose()
    if ($cancelled) {
        throw (New-GpuPvGuestError -Code 'Cancelled' -Message ('The test ' + $name + ' was cancelled; its process tree was killed.') -Action 'Start a new run.' -Details ([ordered]@{ killed = $killed }))
    }
    $stdout = $out.lines.ToArray()
    $stderr = $err.lines.ToArray()
    $all = ($stdout + $stderr) -join "`n"
    $taef = $null
    if ($kind -eq 'taef') { $taef = ConvertFrom-GpuPvTaefSummary -Lines $stdout }
    $passed = $true
    $reason = 'passed'
    if ($timedOut) {
        $passed = $false
        $reason = 'did not finish within ' + $timeoutSeconds + ' s; its process tree was killed'
    } elseif ($null -ne $taef -and ($taef.failed -gt 0 -or $taef.blocked -gt 0)) {
        $passed = $false
        $reason = 'TAEF: ' + $taef.failed + ' failed and ' + $taef.blocked + ' blocked of ' + $taef.total + ' (exit code ' + $exitCode + ')'
    } elseif (@($codes | Where-Object { [int64]$_ -eq [int64]$exitCode }).Count -eq 0) {
        $passed = $false
        $reason = 'exit code ' + $exitCode + ' (passing: ' + (@($codes) -join ', ') + ')'
    } elseif ($null -ne $failRegex -and $failRegex.IsMatch($all)) {
        $passed = $false
        $reason = 'the output matched failPattern: ' + $failRegex.Match($all).Value.Trim()
    } elseif ($null -ne $passRegex -and -not $passRegex.IsMatch($all)) {
        $passed = $false
        $reason = 'the output never matched passPattern ' + $passPattern
    }
    [ordered]@{
        name            = $name
        kind            = $kind
        commandLine     = $commandLine
        exitCode        = $exitCode
        passed          = $passed
        reason          = $reason
        timedOut        = $timedOut
        durationMs      = [int64]$clock.Elapsed.TotalMilliseconds
        stdout          = $stdout
        stderr          = $stderr
        outputTruncated = ($out.dropped + $err.dropped -gt 0)
        killed          = $killed
        taef            = $taef
    }
}

# ---------------------------------------------------------------- WPP / ETW traces

function Get-GpuPvTraceFolder {
    param($Run)
    return (Join-Path $Run.folder 'trace')
}

function Get-GpuPvTraceProviders {
    # [{ guid, flags, level }]: each checked, since they become tracelog arguments.
    param($Params)
    $providers = @(Get-GpuPvGuestParam -Params $Params -Name 'providers' | Where-Object { $null -ne $_ })
    if ($providers.Count -eq 0) { throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message "A trace needs at least one provider in 'providers'." -Action 'List the driver''s WPP control GUIDs in driver.tracing.providers of gpupv.json.') }
    return @($providers | ForEach-Object {
            $guid = [string](Get-GpuPvGuestParam -Params $_ -Name 'guid')
            $parsed = [guid]::Empty
            if (-not [guid]::TryParse($guid, [ref]$parsed)) { throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message ("'" + $guid + "' is not a provider GUID.") -Action 'Give each provider of driver.tracing as its control GUID, e.g. 8d8a3a9c-5a1b-4f0e-9d2c-7e6f5a4b3c21.') }
            $flags = [string](Get-GpuPvGuestParam -Params $_ -Name 'flags')
            if ([string]::IsNullOrEmpty($flags)) { $flags = '0xFFFFFFFF' }
            if ($flags -notmatch '^(0x[0-9A-Fa-f]{1,16}|[0-9]{1,20})$') { throw (New-GpuPvGuestError -Code 'InvalidParameter' -Message ("'" + $flags + "' is not a number of trace flags.") -Action 'Give flags as hex (0xFFFF) or decimal.') }
            $level = Get-GpuPvGuestNumber -Params $_ -Name 'level' -Default 5 -Minimum 1 -Maximum 255
            [pscustomobject]@{ guid = $parsed.ToString(); flags = $flags; level = [int]$level }
        })
}

function Resolve-GpuPvTracelog {
    # tracelog.exe as configured (a path in the package, or rooted), else the one on PATH.
    param($Params, $Run)
    $given = Get-GpuPvGuestString -Params $Params -Name 'tracelog'
    if ($given) { return (Resolve-GpuPvTestFile -Run $Run -Value $given -Name 'tracelog' -AllowPath) }
    if ($null -ne (Get-Command -Name 'tracelog.exe' -ErrorAction SilentlyContinue)) { return 'tracelog.exe' }
    throw (New-GpuPvGuestError -Code 'ToolMissing' -Message 'tracelog.exe was not found in the guest: it comes with the WDK, not with Windows.' -Action 'Ship tracelog.exe (the WDK''s bin\<version>\<arch>\tracelog.exe) in the package and set driver.tracing.tracelog to its name, or put it on the guest''s PATH.')
}

function Invoke-GpuPvTracelog {
    # Runs tracelog and gives back the command line it ran, for the terminal's echo.
    param([string]$Tool, [string[]]$Arguments, [string]$What)
    $call = Invoke-GpuPvGuestTool -Tool $Tool -Arguments $Arguments
    if ($call.exitCode -ne 0) { Stop-GpuPvToolFailure -Run $call -What $What }
    return ((@($Tool) + $Arguments | ForEach-Object { ConvertTo-GpuPvCommandLineArgument $_ }) -join ' ')
}

function Start-GpuPvTrace {
    # A trace session of the run's providers into <run>\trace\<session>.etl, before the tests:
    # tracelog -start for the first provider, -enable for each other one.
    param($Params)
    $run = Get-GpuPvRun -Params $Params -MustExist
    $providers = Get-GpuPvTraceProviders -Params $Params
    $tool = Resolve-GpuPvTracelog -Params $Params -Run $run
    $session = 'GpuPv_' + ($run.runId -replace '[^A-Za-z0-9_]', '_')
    $folder = Get-GpuPvTraceFolder -Run $run
    $null = New-Item -ItemType Directory -Path $folder -Force
    $etl = Join-Path $folder ($session + '.etl')
    $commands = @()
    $commands += Invoke-GpuPvTracelog -Tool $tool -Arguments @('-start', $session, '-guid', ('#' + $providers[0].guid), '-flag', $providers[0].flags, '-level', [string]$providers[0].level, '-f', $etl) -What ('Starting the trace ' + $session)
    Write-GpuPvWorkFile -Run $run -Name 'trace.json' -Value ([ordered]@{ session = $session; tool = $tool; etl = $etl; stopped = $false })
    try {
        foreach ($provider in @($providers | Select-Object -Skip 1)) {
            $commands += Invoke-GpuPvTracelog -Tool $tool -Arguments @('-enable', $session, '-guid', ('#' + $provider.guid), '-flag', $provider.flags, '-level', [string]$provider.level) -What ('Enabling provider ' + $provider.guid + ' in the trace ' + $session)
        }
    } catch {
        # A half-enabled trace would run on after the run: it is stopped before the failure is told.
        $failure = $_
        try { $null = Stop-GpuPvTraceSession -Run $run } catch { $null = $_ }
        throw $failure
    }
    [ordered]@{ session = $session; etl = $etl; providers = @($providers); commands = @($commands) }
}

function Stop-GpuPvTraceSession {
    # Stops the run's trace when it still runs; $null when the run started none.
    param($Run)
    $record = Read-GpuPvWorkFile -Run $Run -Name 'trace.json'
    if ($null -eq $record) { return $null }
    $command = $null
    if (-not [bool]$record.stopped) {
        $stop = Invoke-GpuPvGuestTool -Tool ([string]$record.tool) -Arguments @('-stop', [string]$record.session)
        $command = (@([string]$record.tool, '-stop', [string]$record.session) | ForEach-Object { ConvertTo-GpuPvCommandLineArgument $_ }) -join ' '
        # 4201: no such session (the guest restarted, or it was stopped by hand): stopped all the same.
        if ($stop.exitCode -ne 0 -and $stop.exitCode -ne 4201) { Stop-GpuPvToolFailure -Run $stop -What ('Stopping the trace ' + $record.session) }
        Write-GpuPvWorkFile -Run $Run -Name 'trace.json' -Value ([ordered]@{ session = [string]$record.session; tool = [string]$record.tool; etl = [string]$record.etl; stopped = $true })
    }
    return [ordered]@{ session = [string]$record.session; command = $command }
}

function Stop-GpuPvTrace {
    # After the tests, and again when the logs are collected (then it only lists): the run's
    # trace stopped, and its .etl files with their sizes. A run that never got a staging folder
    # (its deploy failed) has no trace either, which is no error.
    param($Params)
    $run = Get-GpuPvRun -Params $Params
    $stopped = Stop-GpuPvTraceSession -Run $run
    if ($null -eq $stopped) { return [ordered]@{ started = $false; command = $null; files = @() } }
    $folder = Get-GpuPvTraceFolder -Run $run
    $files = @()
    if (Test-Path -LiteralPath $folder) {
        $files = @(Get-ChildItem -LiteralPath $folder -Filter '*.etl' -File | ForEach-Object { [ordered]@{ path = $_.FullName; bytes = $_.Length } })
    }
    [ordered]@{ started = $true; session = $stopped.session; command = $stopped.command; files = @($files) }
}

function Stop-GpuPvGuestWork {
    # What a cancelled run leaves: its tests' process trees are killed, a running install is
    # left to finish (stopping pnputil midway can leave the driver store inconsistent), and
    # the staged package is removed when asked. Says what the guest is left as.
    param($Params)
    $run = Get-GpuPvRun -Params $Params
    $removeStaged = Get-GpuPvGuestBool -Params $Params -Name 'removeStaged' -Default $false
    $waitSeconds = Get-GpuPvGuestNumber -Params $Params -Name 'waitForInstallSeconds' -Default 120 -Maximum 3600
    if (-not (Test-Path -LiteralPath $run.folder)) {
        return [ordered]@{ runId = $run.runId; stopped = @(); installWasRunning = $false; stagedRemoved = $false; condition = @('Nothing of run ' + $run.runId + ' is in the guest.') }
    }
    $null = New-Item -ItemType Directory -Path $run.work -Force
    # The running tests are read before the cancel is written: a test's own loop kills its tree
    # within 100 ms of seeing the cancel, and a test it stopped is one this cancel stopped too.
    $running = @()
    foreach ($file in @(Get-ChildItem -LiteralPath $run.work -Filter 'process-*.json' -File)) {
        $record = Read-GpuPvWorkFile -Run $run -Name $file.Name
        if ($null -ne $record -and (Test-GpuPvProcessAlive -ProcessId ([int]$record.pid) -StartTime $record.startTime)) { $running += $record }
        else { Remove-GpuPvWorkFile -Run $run -Name $file.Name }
    }
    [System.IO.File]::WriteAllText((Join-Path $run.work 'cancel'), (Format-GpuPvTime ([datetime]::UtcNow)))
    $stopped = @()
    foreach ($record in $running) {
        $entry = [ordered]@{ pid = [int]$record.pid; test = [string]$record.test; exitCode = $null; output = @('Stopped by its own runner on seeing the cancel.') }
        if (Test-GpuPvProcessAlive -ProcessId ([int]$record.pid) -StartTime $record.startTime) {
            $kill = Stop-GpuPvProcessTree -ProcessId ([int]$record.pid)
            $entry.exitCode = $kill.exitCode
            $entry.output = $kill.output
        }
        $stopped += $entry
        Remove-GpuPvWorkFile -Run $run -Name ('process-' + [string]$record.pid + '.json')
    }
    $condition = @()
    if ($stopped.Count -gt 0) { $condition += ('Stopped ' + $stopped.Count + ' test process tree(s) of run ' + $run.runId + '; none of its tests is running.') }
    else { $condition += ('No test of run ' + $run.runId + ' is running.') }
    try {
        $trace = Stop-GpuPvTraceSession -Run $run
        if ($null -ne $trace -and $null -ne $trace.command) { $condition += ('The trace ' + $trace.session + ' was stopped; its .etl stays in ' + (Get-GpuPvTraceFolder -Run $run) + '.') }
    } catch {
        $condition += ('The trace of this run could not be stopped: ' + $_.Exception.Message)
    }
    $installWasRunning = $false
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    while ($null -ne (Read-GpuPvWorkFile -Run $run -Name 'installing.json')) {
        $installWasRunning = $true
        $installer = Read-GpuPvWorkFile -Run $run -Name 'installing.json'
        if ($null -eq (Get-Process -Id ([int]$installer.pid) -ErrorAction SilentlyContinue)) { Remove-GpuPvWorkFile -Run $run -Name 'installing.json'; break }
        if ($clock.Elapsed.TotalSeconds -ge $waitSeconds) { break }
        Start-Sleep -Milliseconds 200
    }
    if ($null -ne (Read-GpuPvWorkFile -Run $run -Name 'installing.json')) {
        $condition += ('A driver install of this run is still running after ' + $waitSeconds + ' s; it was left to finish, since stopping pnputil midway can leave the driver store inconsistent.')
    } elseif ($installWasRunning) {
        $condition += 'A driver install of this run was running; it was left to finish first.'
    }
    $installed = Read-GpuPvWorkFile -Run $run -Name 'installed.json'
    if ($null -ne $installed) {
        $condition += ('The package ' + $installed.originalName + ' ' + $installed.version + ' stays installed as ' + $installed.publishedName + ' (revert the checkpoint, or pnputil /delete-driver ' + $installed.publishedName + ' /uninstall /force, to remove it).')
    } else {
        $condition += 'Nothing was installed by this run.'
    }
    $stagedRemoved = $false
    if ($removeStaged -and (Test-Path -LiteralPath $run.package)) {
        Remove-Item -LiteralPath $run.package -Recurse -Force
        Remove-GpuPvWorkFile -Run $run -Name 'verified.json'
        $stagedRemoved = $true
        $condition += 'The staged copy of the package was removed.'
    }
    [ordered]@{ runId = $run.runId; stopped = $stopped; installWasRunning = $installWasRunning; stagedRemoved = $stagedRemoved; condition = $condition }
}

Export-ModuleMember -Function @(
    'Invoke-GpuPvGuestCall',
    'Get-GpuPvGuestReadiness',
    'Add-GpuPvTrustedCertificate',
    'Enable-GpuPvTestSigning',
    'New-GpuPvStagingFolder',
    'Test-GpuPvStagedFiles',
    'Install-GpuPvDriverPackage',
    'Get-GpuPvDeviceHealth',
    'Get-GpuPvSetupApiLog',
    'Get-GpuPvGuestEvents',
    'Invoke-GpuPvGuestTest',
    'Stop-GpuPvGuestWork'
)
