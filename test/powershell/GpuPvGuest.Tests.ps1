# GpuPvGuest.psm1, the PowerShell that runs inside the Windows guest, in real PowerShell: every
# function through its one entry point (JSON in, live lines and one result line out), against
# the Windows guest stand-ins (test/fakes/windows-guest): pnputil, bcdedit, certutil, taskkill,
# Get-PnpDevice, Confirm-SecureBootUEFI and Get-WinEvent acting on a guest state document, with
# real files for the Windows folder, real test processes, a real PKCS#7-signed catalog and a
# real certificate. Also the SSH runner as its own process and the PowerShell Direct form
# through the Hyper-V stand-in.

BeforeAll {
    $script:Repo = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../..')).Path
    . (Join-Path $script:Repo 'test/fakes/windows-guest/WindowsGuest.ps1')
    $script:GuestFolder = Join-Path $script:Repo 'extension/deploy/guest'
    $script:Runner = Join-Path $script:GuestFolder 'Invoke-GpuPvGuest.ps1'
    $script:Pwsh = Join-Path $script:Repo 'test/powershell/tools/pwsh'
    $script:TeExe = Join-Path $script:Repo 'test/fakes/windows-guest/bin/te.exe'
    $script:HostileNames = @([System.IO.File]::ReadAllText((Join-Path $script:Repo 'test/fixtures/hostileNames.json')) | ConvertFrom-Json)
    # Names Windows allows for a folder: no \ / : * ? " < > | or control characters.
    $script:HostileFolderNames = @($script:HostileNames | Where-Object { $_ -and $_ -notmatch '[\\/:*?"<>|\x00-\x1f]' })
    $script:SampleId = 'PCI\VEN_1414&DEV_008E'
    $script:SampleInstance = 'PCI\VEN_1414&DEV_008E&SUBSYS_00000000&REV_00\3&267A616A&0&10'
    $script:Saved = @{}
    foreach ($name in @('SystemRoot', 'GPUPV_FAKE_GUEST_STATE', 'GPUPV_FAKE_HYPERV_STATE', 'GPUPV_FAKE_HYPERV_LOG', 'PSModulePath')) {
        $script:Saved[$name] = [System.Environment]::GetEnvironmentVariable($name)
    }
    Import-Module -Name (Join-Path $script:GuestFolder 'GpuPvGuest.psm1') -Force -DisableNameChecking

    function New-Guest {
        param([scriptblock]$Edit)
        return (New-WindowsGuestStandIn -Root (Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))) -Edit $Edit)
    }

    function Invoke-Guest {
        # A call exactly as the host makes it; .Live holds the live lines, .Reply the result.
        param([string]$Name, [hashtable]$Params = @{})
        $out = @(Invoke-GpuPvGuestCall -Name $Name -ParamsJson (ConvertTo-Json -InputObject $Params -Depth 10 -Compress))
        $live = @($out | Where-Object { $_.StartsWith('GPUPV-LIVE ') })
        $rest = @($out | Where-Object { -not $_.StartsWith('GPUPV-LIVE ') })
        if ($rest.Count -ne 1) { throw ($Name + ' wrote ' + $rest.Count + ' result lines: ' + ($rest -join ' | ')) }
        if ($out[$out.Count - 1] -ne $rest[0]) { throw ($Name + ' wrote live lines after its result') }
        return [pscustomobject]@{
            Line  = $rest[0]
            Reply = ($rest[0] | ConvertFrom-Json)
            Live  = @($live | ForEach-Object { $_.Substring('GPUPV-LIVE '.Length) | ConvertFrom-Json })
        }
    }

    function Get-GuestResult {
        param([string]$Name, [hashtable]$Params = @{})
        $call = Invoke-Guest -Name $Name -Params $Params
        if (-not $call.Reply.ok) { throw ($Name + ' failed: ' + $call.Reply.error.code + ': ' + $call.Reply.error.message) }
        return $call.Reply.result
    }

    function Get-GuestError {
        param([string]$Name, [hashtable]$Params = @{})
        $call = Invoke-Guest -Name $Name -Params $Params
        if ($call.Reply.ok) { throw ($Name + ' succeeded where it should fail') }
        return $call.Reply.error
    }

    function Get-FileList {
        # What the host sends to check a copy: each file's path in the package and its sha256.
        param([string]$Folder)
        return @(Get-ChildItem -LiteralPath $Folder -Recurse -File | ForEach-Object {
                @{ path = $_.FullName.Substring($Folder.Length + 1); sha256 = (Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash.ToLowerInvariant() }
            })
    }

    function New-StagedPackage {
        # A staged, verified package of run $RunId; -Trust imports its certificate first.
        param([string]$RunId = 'run-1', [hashtable]$Package = @{}, [switch]$Trust, [switch]$NoVerify)
        $staging = Get-GuestResult 'New-GpuPvStagingFolder' @{ runId = $RunId }
        $certificate = New-WindowsGuestCertificate -CerPath (Join-Path $staging.packageFolder 'test.cer')
        $made = New-WindowsGuestDriverPackage -Folder $staging.packageFolder -Certificate $certificate @Package
        if (-not $NoVerify) { $null = Get-GuestResult 'Test-GpuPvStagedFiles' @{ runId = $RunId; files = (Get-FileList $staging.packageFolder) } }
        if ($Trust) { $null = Get-GuestResult 'Add-GpuPvTrustedCertificate' @{ runId = $RunId; path = 'test.cer' } }
        return [pscustomobject]@{ RunId = $RunId; Staging = $staging; Certificate = $certificate; Inf = $made.Inf }
    }

    function Get-SampleDevice {
        return @((Read-WindowsGuest).devices | Where-Object { $_.instanceId -eq $script:SampleInstance })[0]
    }

    function Test-ProcessEnded {
        # Gone, or a zombie (dead, waiting for whichever process adopted it to reap it).
        param([int]$ProcessId)
        $stat = '/proc/' + $ProcessId + '/stat'
        if (-not (Test-Path -LiteralPath $stat)) { return $true }
        $text = [System.IO.File]::ReadAllText($stat)
        return ($text.Substring($text.LastIndexOf(')') + 2, 1) -eq 'Z')
    }

    function ConvertTo-RequestJson {
        # As the host writes parameters: one line of JSON, every non-ASCII character as \uXXXX.
        param($Value)
        $escape = [System.Text.RegularExpressions.MatchEvaluator] { param($m) '\u{0:x4}' -f [int][char]$m.Value }
        return [regex]::Replace((ConvertTo-Json -InputObject $Value -Depth 10 -Compress), '[^\x00-\x7F]', $escape)
    }

    function Start-Runner {
        # The SSH runner as its own PowerShell process, given requests on stdin as the host
        # sends them; stdin is then closed, so it ends once it has answered them all.
        param([string]$Call, [hashtable]$Params = @{}, [string[]]$Lines, [string]$Runner = $script:Runner)
        if (-not $Lines) { $Lines = @($Call + ' ' + (ConvertTo-RequestJson $Params)) }
        $start = [System.Diagnostics.ProcessStartInfo]::new($script:Pwsh)
        foreach ($arg in @('-NoLogo', '-NoProfile', '-NonInteractive', '-File', $Runner)) { $start.ArgumentList.Add($arg) }
        $start.RedirectStandardInput = $true
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $start.UseShellExecute = $false
        $process = [System.Diagnostics.Process]::Start($start)
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        foreach ($line in $Lines) { $process.StandardInput.WriteLine($line) }
        $process.StandardInput.Close()
        return [pscustomobject]@{ Process = $process; Stdout = $stdout; Stderr = $stderr }
    }

    function Wait-Runner {
        # Its end: exit code, every stdout line, and the documents between the markers.
        param($Runner)
        if (-not $Runner.Process.WaitForExit(60000)) { $Runner.Process.Kill($true); throw 'the runner did not end within 60 s' }
        $lines = @($Runner.Stdout.Result -split "`r?`n" | Where-Object { $_ -ne '' })
        $begin = @(0..($lines.Count - 1) | Where-Object { $lines[$_] -eq 'GPUPV-RESULT-BEGIN' })
        $end = @(0..($lines.Count - 1) | Where-Object { $lines[$_] -eq 'GPUPV-RESULT-END' })
        $documents = @($begin | Where-Object { $end -contains ($_ + 2) } | ForEach-Object { $lines[$_ + 1] })
        return [pscustomobject]@{
            ExitCode  = $Runner.Process.ExitCode
            Lines     = $lines
            Begin     = $begin
            End       = $end
            Stderr    = $Runner.Stderr.Result
            Documents = $documents
            Document  = $(if ($begin.Count -eq 1 -and $documents.Count -eq 1) { $documents[0] } else { $null })
        }
    }
}

AfterAll {
    foreach ($name in $script:Saved.Keys) { [System.Environment]::SetEnvironmentVariable($name, $script:Saved[$name]) }
    Remove-Module -Name 'GpuPvGuest' -ErrorAction SilentlyContinue
}

Describe 'GpuPvGuest: the call contract' {
    BeforeEach { $null = New-Guest }

    It 'answers with exactly one result line of ASCII JSON, non-ASCII as \uXXXX' {
        $name = @($script:HostileNames | Where-Object { $_ -match '[^\x00-\x7F]' })[0]
        $call = Invoke-Guest 'Get-GpuPvDeviceHealth' @{ hardwareIds = @($name) }
        $call.Line | Should -Not -Match '[^\x00-\x7F]'
        $call.Line | Should -Match '\\u'
        $call.Reply.result.missing[0].hardwareId | Should -BeExactly $name
    }

    It 'refuses an unknown function, parameters that are not a JSON object, and a wrong type' {
        (Get-GuestError 'Remove-Item' @{}).code | Should -Be 'InvalidParameter'
        $notJson = @(Invoke-GpuPvGuestCall -Name 'Get-GpuPvGuestReadiness' -ParamsJson '{not json') | ConvertFrom-Json
        $notJson.error.code | Should -Be 'InvalidParameter'
        $array = @(Invoke-GpuPvGuestCall -Name 'Get-GpuPvGuestReadiness' -ParamsJson '[1,2]') | ConvertFrom-Json
        $array.error.message | Should -BeExactly 'The parameters must be a JSON object.'
        (Get-GuestError 'Get-GpuPvSetupApiLog' @{ since = 5 }).code | Should -Be 'InvalidParameter'
    }

    It 'turns a raw PowerShell failure into the contract: code Failed, the function named, what to do' {
        $env:GPUPV_FAKE_GUEST_STATE = Join-Path $TestDrive 'no-such-guest.json'
        $failure = Get-GuestError 'Get-GpuPvGuestReadiness'
        $failure.code | Should -Be 'Failed'
        $failure.message | Should -BeLike 'Get-GpuPvGuestReadiness: *no-such-guest.json*'
        $failure.action | Should -Not -BeNullOrEmpty
    }

    It 'keeps strings that look like dates as the text they were (PowerShell 7 would make them dates)' {
        # Read from the line itself: this test's own ConvertFrom-Json would make dates again.
        (Invoke-Guest 'Get-GpuPvDeviceHealth' @{ hardwareIds = @('2024-01-01T00:00:00Z', '2024-01-01') }).Line | Should -Match '"hardwareId":"2024-01-01T00:00:00Z".*"hardwareId":"2024-01-01"'
    }
}

Describe 'GpuPvGuest: readiness' {
    It 'says a prepared guest is ready: test signing on, Secure Boot off, the certificate in both stores' {
        $null = New-Guest
        $staged = New-StagedPackage -Trust
        $ready = Get-GuestResult 'Get-GpuPvGuestReadiness' @{ thumbprint = $staged.Certificate.Thumbprint }
        $ready.ready | Should -BeTrue
        $ready.testSigning | Should -BeTrue
        $ready.secureBoot | Should -Be 'off'
        $ready.certificate.root | Should -BeTrue
        $ready.certificate.trustedPublisher | Should -BeTrue
        $ready.problems.Count | Should -Be 0
        $ready.freeBytes | Should -BeGreaterThan 0
        $ready.osBuild | Should -BeExactly ([System.Environment]::OSVersion.Version.ToString())
        $ready.powerShell.version | Should -BeExactly $PSVersionTable.PSVersion.ToString()
    }

    It 'names each problem with what to do: test signing off, Secure Boot on, the certificate missing' {
        $null = New-Guest -Edit { param($g) $g.testSigning = $null; $g.secureBoot = 'on' }
        $thumbprint = (New-WindowsGuestCertificate).Thumbprint
        $ready = Get-GuestResult 'Get-GpuPvGuestReadiness' @{ thumbprint = $thumbprint }
        $ready.ready | Should -BeFalse
        $ready.testSigning | Should -BeFalse
        $ready.secureBoot | Should -Be 'on'
        @($ready.problems | ForEach-Object { $_.code }) | Should -Be @('SecureBootOn', 'TestSigningOff', 'CertificateNotTrusted')
        @($ready.problems | Where-Object { $_.code -eq 'SecureBootOn' })[0].action | Should -Match 'Set-VMFirmware'
        @($ready.problems | Where-Object { $_.code -eq 'CertificateNotTrusted' })[0].message | Should -Match 'Root and TrustedPublisher'
        foreach ($problem in $ready.problems) { $problem.action | Should -Not -BeNullOrEmpty }
    }

    It 'reads "testsigning No" as off and a BIOS VM as Secure Boot unsupported' {
        $null = New-Guest -Edit { param($g) $g.testSigning = $false; $g.secureBoot = 'unsupported' }
        $ready = Get-GuestResult 'Get-GpuPvGuestReadiness'
        $ready.testSigning | Should -BeFalse
        $ready.secureBoot | Should -Be 'unsupported'
        @($ready.problems | ForEach-Object { $_.code }) | Should -Be @('TestSigningOff')
    }

    It 'reports a session without administrator rights as AccessDenied, with what to do' {
        $null = New-Guest -Edit { param($g) $g.elevated = $false }
        $failure = Get-GuestError 'Get-GpuPvGuestReadiness'
        $failure.code | Should -Be 'AccessDenied'
        $failure.message | Should -Match 'bcdedit.exe was denied access'
        $failure.action | Should -Match 'Administrators'
    }

    It 'warns of a nearly full system drive, and takes thumbprints as certmgr shows them' {
        $null = New-Guest
        $thumbprint = (New-WindowsGuestCertificate).Thumbprint
        $pasted = [string][char]0x200E + (($thumbprint -split '(..)' | Where-Object { $_ }) -join ' ').ToLowerInvariant()
        $ready = Get-GuestResult 'Get-GpuPvGuestReadiness' @{ thumbprint = $pasted; minFreeBytes = 1e18 }
        $ready.certificate.thumbprint | Should -BeExactly $thumbprint
        @($ready.problems | ForEach-Object { $_.code }) | Should -Contain 'LowDiskSpace'
        (Get-GuestError 'Get-GpuPvGuestReadiness' @{ thumbprint = 'abc' }).code | Should -Be 'InvalidParameter'
    }
}

Describe 'GpuPvGuest: trusting the test certificate, turning test signing on' {
    BeforeEach { $null = New-Guest }

    It 'imports the .cer into LocalMachine Root and TrustedPublisher, and leaves it alone the second time' {
        $staged = New-StagedPackage
        $added = Get-GuestResult 'Add-GpuPvTrustedCertificate' @{ runId = $staged.RunId; path = 'test.cer'; thumbprint = $staged.Certificate.Thumbprint }
        $added.thumbprint | Should -BeExactly $staged.Certificate.Thumbprint
        $added.subject | Should -BeExactly 'CN=GPU-PV Dev Kit Test'
        @($added.stores | ForEach-Object { $_.store + '=' + $_.added }) | Should -Be @('Root=True', 'TrustedPublisher=True')
        $stores = (Read-WindowsGuest).certificates
        @($stores.Root | Where-Object { $_.thumbprint -eq $staged.Certificate.Thumbprint }).Count | Should -Be 1
        @($stores.TrustedPublisher | Where-Object { $_.thumbprint -eq $staged.Certificate.Thumbprint }).Count | Should -Be 1
        $again = Get-GuestResult 'Add-GpuPvTrustedCertificate' @{ runId = $staged.RunId; path = 'test.cer' }
        @($again.stores | Where-Object { $_.added }).Count | Should -Be 0
    }

    It 'refuses a .cer that is not the configured certificate, and adds nothing' {
        $staged = New-StagedPackage
        $other = (New-WindowsGuestCertificate).Thumbprint
        $failure = Get-GuestError 'Add-GpuPvTrustedCertificate' @{ runId = $staged.RunId; path = 'test.cer'; thumbprint = $other }
        $failure.code | Should -Be 'CertificateMismatch'
        $failure.message | Should -Match $other
        @((Read-WindowsGuest).certificates.TrustedPublisher).Count | Should -Be 0
    }

    It 'explains certutil''s refusal without administrator rights, and a file that is no certificate' {
        $staged = New-StagedPackage
        Edit-WindowsGuest { param($g) Set-WindowsGuestValue $g 'elevated' $false }
        $denied = Get-GuestError 'Add-GpuPvTrustedCertificate' @{ runId = $staged.RunId; path = 'test.cer' }
        $denied.code | Should -Be 'AccessDenied'
        $denied.message | Should -Match 'ERROR_ACCESS_DENIED'
        (Get-GuestError 'Add-GpuPvTrustedCertificate' @{ runId = $staged.RunId; path = $staged.Inf }).code | Should -Be 'InvalidParameter'
        (Get-GuestError 'Add-GpuPvTrustedCertificate' @{ runId = $staged.RunId; path = 'absent.cer' }).code | Should -Be 'NotFound'
    }

    It 'turns test signing on and says a restart is needed; on again changes nothing' {
        Edit-WindowsGuest { param($g) $g.testSigning = $null }
        $enabled = Get-GuestResult 'Enable-GpuPvTestSigning'
        $enabled.changed | Should -BeTrue
        $enabled.rebootRequired | Should -BeTrue
        $enabled.message | Should -Match 'restart'
        (Read-WindowsGuest).testSigning | Should -BeTrue
        $again = Get-GuestResult 'Enable-GpuPvTestSigning'
        $again.changed | Should -BeFalse
        $again.rebootRequired | Should -BeFalse
    }

    It 'refuses while Secure Boot is on, saying how to turn it off, and leaves the boot configuration alone' {
        Edit-WindowsGuest { param($g) $g.testSigning = $false; $g.secureBoot = 'on' }
        $failure = Get-GuestError 'Enable-GpuPvTestSigning'
        $failure.code | Should -Be 'SecureBootOn'
        $failure.action | Should -Match 'EnableSecureBoot Off'
        (Read-WindowsGuest).testSigning | Should -BeFalse
    }
}

Describe 'GpuPvGuest: staging and checking the copy' {
    BeforeEach { $null = New-Guest }

    It 'makes a fresh folder under the guest''s Windows\Temp for each run, removing what an earlier attempt left' {
        $first = Get-GuestResult 'New-GpuPvStagingFolder' @{ runId = '20261202T110000-ab12' }
        $first.packageFolder | Should -BeExactly (Join-Path $env:SystemRoot 'Temp/GpuPv/20261202T110000-ab12/package')
        [System.IO.File]::WriteAllText((Join-Path $first.packageFolder 'stale.sys'), 'old')
        $second = Get-GuestResult 'New-GpuPvStagingFolder' @{ runId = '20261202T110000-ab12' }
        @(Get-ChildItem -LiteralPath $second.packageFolder).Count | Should -Be 0
        Test-Path -LiteralPath $second.workFolder | Should -BeTrue
    }

    It 'refuses run ids that are not plain names: <_>' -ForEach @('..', '../escape', 'a/b', 'a\b', '.hidden', ('x' * 81)) {
        (Get-GuestError 'New-GpuPvStagingFolder' @{ runId = $_ }).code | Should -Be 'InvalidParameter'
    }

    It 'refuses every hostile name as a run id, creating nothing' {
        foreach ($name in $script:HostileNames) {
            (Get-GuestError 'New-GpuPvStagingFolder' @{ runId = $name }).code | Should -Be 'InvalidParameter'
        }
        Test-Path -LiteralPath (Join-Path $env:SystemRoot 'Temp/GpuPv') | Should -BeFalse
    }

    It 'verifies a complete copy and lists files the build did not name' {
        $staged = New-StagedPackage -NoVerify
        $files = @(Get-FileList $staged.Staging.packageFolder | Where-Object { $_.path -ne 'test.cer' })
        $checked = Get-GuestResult 'Test-GpuPvStagedFiles' @{ runId = $staged.RunId; files = $files }
        $checked.verified | Should -BeTrue
        @($checked.files | Where-Object { -not $_.match }).Count | Should -Be 0
        $checked.extra | Should -Be @('test.cer')
    }

    It 'fails a copy whose file differs or is missing, naming them, and then never installs it' {
        $staged = New-StagedPackage
        $files = Get-FileList $staged.Staging.packageFolder
        [System.IO.File]::AppendAllText((Join-Path $staged.Staging.packageFolder 'gpupvsample.sys'), 'torn')
        Remove-Item -LiteralPath (Join-Path $staged.Staging.packageFolder 'gpupvsample.cat')
        $failure = Get-GuestError 'Test-GpuPvStagedFiles' @{ runId = $staged.RunId; files = $files }
        $failure.code | Should -Be 'HashMismatch'
        $failure.message | Should -Match '2 of 4 staged files differ'
        $failure.message | Should -Match 'gpupvsample\.cat \(missing\)'
        $failure.message | Should -Match 'gpupvsample\.sys \(expected'
        @($failure.details.files | Where-Object { -not $_.match }).Count | Should -Be 2
        $refused = Get-GuestError 'Install-GpuPvDriverPackage' @{ runId = $staged.RunId; inf = $staged.Inf }
        $refused.code | Should -Be 'NotVerified'
        @((Read-WindowsGuest).driverStore | Where-Object { $_.originalName -eq 'gpupvsample.inf' }).Count | Should -Be 0
    }

    It 'does not install a file changed after it was verified' {
        $staged = New-StagedPackage -Trust
        [System.IO.File]::AppendAllText((Join-Path $staged.Staging.packageFolder 'gpupvsample.sys'), 'changed')
        $refused = Get-GuestError 'Install-GpuPvDriverPackage' @{ runId = $staged.RunId; inf = $staged.Inf }
        $refused.code | Should -Be 'NotVerified'
        $refused.message | Should -Match 'gpupvsample\.sys changed after it was verified'
    }

    It 'refuses file paths outside the package: <_>' -ForEach @('../escape.sys', '/etc/passwd', 'C:\Windows\System32\x.sys', 'a/../../b') {
        $null = Get-GuestResult 'New-GpuPvStagingFolder' @{ runId = 'run-1' }
        (Get-GuestError 'Test-GpuPvStagedFiles' @{ runId = 'run-1'; files = @(@{ path = $_; sha256 = ('0' * 64) }) }).code | Should -Be 'InvalidParameter'
    }

    It 'says when the run has no staging folder' {
        $failure = Get-GuestError 'Test-GpuPvStagedFiles' @{ runId = 'never-staged'; files = @(@{ path = 'a.inf'; sha256 = ('0' * 64) }) }
        $failure.code | Should -Be 'NotFound'
        $failure.action | Should -Match 'deploy step'
    }
}

Describe 'GpuPvGuest: installing the package' {
    BeforeEach { $null = New-Guest }

    It 'adds and installs a fresh package: published name, the device bound, the store listing it' {
        $staged = New-StagedPackage -Trust
        $installed = Get-GuestResult 'Install-GpuPvDriverPackage' @{ runId = $staged.RunId; inf = $staged.Inf }
        $installed.outcome | Should -Be 'installed'
        $installed.exitCode | Should -Be 0
        $installed.publishedName | Should -Match '^oem\d+\.inf$'
        $installed.version | Should -Be '1.2.3.4'
        $installed.driverDate | Should -Be '2026-12-01'
        $installed.signerName | Should -BeExactly 'GPU-PV Dev Kit Test'
        $installed.devices | Should -Be @($script:SampleInstance)
        $installed.removed.Count | Should -Be 0
        $installed.rebootRequired | Should -BeFalse
        $installed.output | Should -Contain 'Driver package added successfully.'
        (Get-SampleDevice).driver.publishedName | Should -Be $installed.publishedName
    }

    It 'removes the earlier oemNN.inf of the same INF first, and only that one' {
        Edit-WindowsGuest {
            param($g)
            $old = [pscustomobject]@{ publishedName = 'oem5.inf'; originalName = 'gpupvsample.inf'; providerName = 'GPU-PV Dev Kit'; className = 'Display'; classGuid = '{4d36e968-e325-11ce-bfc1-08002be10318}'; date = '2026-11-01'; version = '1.0.0.0'; signerName = 'GPU-PV Dev Kit Test'; hardwareIds = @($script:SampleId); service = 'gpupvsample'; deviceDescription = 'GPU-PV Sample Adapter' }
            $g.driverStore = @(@($g.driverStore) + $old)
            $device = @($g.devices | Where-Object { $_.instanceId -eq $script:SampleInstance })[0]
            $device.problemCode = 0
            $device.driver = [pscustomobject]@{ publishedName = 'oem5.inf'; version = '1.0.0.0'; date = '2026-11-01'; provider = 'GPU-PV Dev Kit' }
        }
        $staged = New-StagedPackage -Trust
        $installed = Get-GuestResult 'Install-GpuPvDriverPackage' @{ runId = $staged.RunId; inf = $staged.Inf }
        @($installed.removed | ForEach-Object { $_.publishedName + ' ' + $_.version }) | Should -Be @('oem5.inf 1.0.0.0')
        $store = (Read-WindowsGuest).driverStore
        @($store | Where-Object { $_.originalName -eq 'gpupvsample.inf' } | ForEach-Object { $_.version }) | Should -Be @('1.2.3.4')
        @($store | Where-Object { $_.publishedName -eq 'oem3.inf' }).Count | Should -Be 1
        (Get-SampleDevice).driver.version | Should -Be '1.2.3.4'
    }

    It 'explains 259: added to the store, installed on no device (no device has its hardware id)' {
        $staged = New-StagedPackage -Trust -Package @{ HardwareIds = @('PCI\VEN_ABCD&DEV_0001') }
        $installed = Get-GuestResult 'Install-GpuPvDriverPackage' @{ runId = $staged.RunId; inf = $staged.Inf }
        $installed.exitCode | Should -Be 259
        $installed.outcome | Should -Be 'noMatchingDevice'
        $installed.message | Should -Match 'no device matches its hardware ids'
        $installed.devices.Count | Should -Be 0
        @((Read-WindowsGuest).driverStore | Where-Object { $_.publishedName -eq $installed.publishedName }).Count | Should -Be 1
    }

    It 'explains 259 when the device already has a newer driver ("up-to-date on device")' {
        Edit-WindowsGuest {
            param($g)
            $device = @($g.devices | Where-Object { $_.instanceId -eq $script:SampleInstance })[0]
            $device.driver = [pscustomobject]@{ publishedName = 'oem9.inf'; version = '9.0.0.0'; date = '2027-01-01'; provider = 'GPU-PV Dev Kit' }
        }
        $staged = New-StagedPackage -Trust
        $installed = Get-GuestResult 'Install-GpuPvDriverPackage' @{ runId = $staged.RunId; inf = $staged.Inf }
        $installed.exitCode | Should -Be 259
        $installed.upToDate | Should -Be @($script:SampleInstance)
        (Get-SampleDevice).driver.version | Should -Be '9.0.0.0'
    }

    It 'reports <code> as <outcome>' -ForEach @(
        @{ code = 3010; outcome = 'rebootRequired'; reboot = $true; started = $false }
        @{ code = 1641; outcome = 'rebootInitiated'; reboot = $false; started = $true }
    ) {
        Edit-WindowsGuest { param($g) Set-WindowsGuestValue $g 'faults' ([pscustomobject]@{ addDriverExitCode = $code }) }
        $staged = New-StagedPackage -Trust
        $installed = Get-GuestResult 'Install-GpuPvDriverPackage' @{ runId = $staged.RunId; inf = $staged.Inf }
        $installed.exitCode | Should -Be $code
        $installed.outcome | Should -Be $outcome
        $installed.rebootRequired | Should -Be $reboot
        $installed.rebootStarted | Should -Be $started
        $installed.devices | Should -Be @($script:SampleInstance)
    }

    It 'fails with pnputil''s own reason when the catalog''s signer is not trusted, installing nothing' {
        $staged = New-StagedPackage
        $failure = Get-GuestError 'Install-GpuPvDriverPackage' @{ runId = $staged.RunId; inf = $staged.Inf }
        $failure.code | Should -Be 'InstallFailed'
        $failure.message | Should -Match 'exit code -2146762487'
        $failure.message | Should -Match 'terminated in a root certificate which is not trusted'
        $failure.details.output | Should -Contain 'Added driver packages:  0'
        @((Read-WindowsGuest).driverStore | Where-Object { $_.originalName -eq 'gpupvsample.inf' }).Count | Should -Be 0
        (Get-SampleDevice).problemCode | Should -Be 28
    }

    It 'fails a package whose publisher is in Root but not TrustedPublisher' {
        $staged = New-StagedPackage
        Edit-WindowsGuest {
            param($g)
            $entry = [pscustomobject]@{ thumbprint = $staged.Certificate.Thumbprint; subject = $staged.Certificate.Subject; issuer = $staged.Certificate.Issuer; serial = '01'; notBefore = '2026-01-01T00:00:00Z'; notAfter = '2031-01-01T00:00:00Z'; name = 'GPU-PV Dev Kit Test' }
            $g.certificates.Root = @(@($g.certificates.Root) + $entry)
        }
        (Get-GuestError 'Install-GpuPvDriverPackage' @{ runId = $staged.RunId; inf = $staged.Inf }).message | Should -Match 'has not yet been established as trusted'
    }

    It 'fails an unsigned catalog and an INF that names none, each with pnputil''s text: <catalog>' -ForEach @(
        @{ catalog = 'unsigned'; text = 'hash for the file is not present in the specified catalog' }
        @{ catalog = 'none'; text = 'does not contain digital signature information' }
        @{ catalog = 'missing'; text = 'cannot find the file specified' }
    ) {
        $staged = New-StagedPackage -Trust -Package @{ Catalog = $catalog }
        $failure = Get-GuestError 'Install-GpuPvDriverPackage' @{ runId = $staged.RunId; inf = $staged.Inf }
        $failure.code | Should -Be 'InstallFailed'
        $failure.message | Should -Match $text
        $failure.action | Should -Match 'setupapi.dev.log'
    }

    It 'passes on any other pnputil failure with its text and exit code' {
        Edit-WindowsGuest { param($g) Set-WindowsGuestValue $g 'faults' ([pscustomobject]@{ addDriverExitCode = -536870347; addDriverMessage = 'The INF is invalid.' }) }
        $staged = New-StagedPackage -Trust
        $failure = Get-GuestError 'Install-GpuPvDriverPackage' @{ runId = $staged.RunId; inf = $staged.Inf }
        $failure.code | Should -Be 'InstallFailed'
        $failure.message | Should -BeLike '*exit code -536870347*Failed to add driver package: The INF is invalid.'
        $failure.details.exitCode | Should -Be -536870347
    }

    It 'stops before adding anything when the earlier package cannot be removed' {
        Edit-WindowsGuest {
            param($g)
            $old = [pscustomobject]@{ publishedName = 'oem5.inf'; originalName = 'gpupvsample.inf'; providerName = 'GPU-PV Dev Kit'; className = 'Display'; classGuid = '{4d36e968-e325-11ce-bfc1-08002be10318}'; date = '2026-11-01'; version = '1.0.0.0'; signerName = 'x'; hardwareIds = @($script:SampleId) }
            $g.driverStore = @(@($g.driverStore) + $old)
            Set-WindowsGuestValue $g 'faults' ([pscustomobject]@{ deleteDriverExitCode = 5; deleteDriverMessage = 'Access is denied.' })
        }
        $staged = New-StagedPackage -Trust
        $failure = Get-GuestError 'Install-GpuPvDriverPackage' @{ runId = $staged.RunId; inf = $staged.Inf }
        $failure.code | Should -Be 'RemoveFailed'
        $failure.message | Should -Match 'oem5\.inf.*Access is denied.*not added'
        $failure.action | Should -Match 'pnputil /delete-driver oem5.inf /uninstall /force'
        @((Read-WindowsGuest).driverStore | Where-Object { $_.originalName -eq 'gpupvsample.inf' }).Count | Should -Be 1
    }
}

Describe 'GpuPvGuest: device health' {
    BeforeEach { $null = New-Guest }

    It 'is healthy after a good install: status OK, no problem, the version and INF just built' {
        $staged = New-StagedPackage -Trust
        $installed = Get-GuestResult 'Install-GpuPvDriverPackage' @{ runId = $staged.RunId; inf = $staged.Inf }
        $health = Get-GuestResult 'Get-GpuPvDeviceHealth' @{ hardwareIds = @($script:SampleId); expectedVersion = '1.2.3.4'; publishedName = $installed.publishedName }
        $health.healthy | Should -BeTrue
        $device = $health.devices[0]
        $device.instanceId | Should -BeExactly $script:SampleInstance
        $device.status | Should -Be 'OK'
        $device.problemCode | Should -Be 0
        $device.problem | Should -BeNullOrEmpty
        $device.driverVersion | Should -Be '1.2.3.4'
        $device.driverDate | Should -Be '2026-12-01'
        $device.driverInfPath | Should -Be $installed.publishedName
        $device.versionMatches | Should -BeTrue
        $device.friendlyName | Should -BeExactly 'GPU-PV Sample Adapter'
    }

    It 'explains Code 52 when test signing is off: the package installs, the kernel refuses it' {
        Edit-WindowsGuest { param($g) $g.testSigning = $false }
        $staged = New-StagedPackage -Trust
        $null = Get-GuestResult 'Install-GpuPvDriverPackage' @{ runId = $staged.RunId; inf = $staged.Inf }
        $device = (Get-GuestResult 'Get-GpuPvDeviceHealth' @{ hardwareIds = @($script:SampleId) }).devices[0]
        $device.healthy | Should -BeFalse
        $device.status | Should -Be 'Error'
        $device.problemCode | Should -Be 52
        $device.problem.name | Should -Be 'CM_PROB_UNSIGNED_DRIVER'
        $device.problem.message | Should -Match 'digital signature.*\(Code 52\)'
        $device.problem.cause | Should -Match 'test signing is off'
    }

    It 'explains Code 43 after install, and flags a version other than the one built' {
        Edit-WindowsGuest { param($g) Set-WindowsGuestValue $g 'faults' ([pscustomobject]@{ problemCodeAfterInstall = 43 }) }
        $staged = New-StagedPackage -Trust
        $null = Get-GuestResult 'Install-GpuPvDriverPackage' @{ runId = $staged.RunId; inf = $staged.Inf }
        $device = (Get-GuestResult 'Get-GpuPvDeviceHealth' @{ hardwareIds = @($script:SampleId); expectedVersion = '1.2.3.5' }).devices[0]
        $device.problemCode | Should -Be 43
        $device.problem.name | Should -Be 'CM_PROB_FAILED_POST_START'
        $device.problem.message | Should -Match 'reported problems\. \(Code 43\)'
        $device.problem.cause | Should -Match 'host''s driver version'
        $device.versionMatches | Should -BeFalse
    }

    It 'explains Code <code>' -ForEach @(
        @{ code = 10; name = 'CM_PROB_FAILED_START'; cause = 'DxgkDdiStartDevice' }
        @{ code = 12; name = 'CM_PROB_NORMAL_CONFLICT'; cause = 'MMIO' }
        @{ code = 28; name = 'CM_PROB_FAILED_INSTALL'; cause = 'hardware ids' }
        @{ code = 31; name = 'CM_PROB_FAILED_ADD'; cause = 'DxgkInitialize' }
        @{ code = 39; name = 'CM_PROB_DRIVER_FAILED_LOAD'; cause = 'code integrity' }
        @{ code = 99; name = $null; cause = 'Device Manager error messages' }
    ) {
        Edit-WindowsGuest { param($g) @($g.devices | Where-Object { $_.instanceId -eq $script:SampleInstance })[0].problemCode = $code }
        $device = (Get-GuestResult 'Get-GpuPvDeviceHealth' @{ hardwareIds = @($script:SampleId) }).devices[0]
        $device.problemCode | Should -Be $code
        $device.problem.name | Should -Be $name
        $device.problem.message | Should -Match ('\b' + $code + '\b')
        $device.problem.cause | Should -Match $cause
    }

    It 'names a hardware id no device has, and what to check' {
        $health = Get-GuestResult 'Get-GpuPvDeviceHealth' @{ hardwareIds = @($script:SampleId, 'PCI\VEN_FFFF&DEV_FFFF') }
        $health.healthy | Should -BeFalse
        $health.missing.Count | Should -Be 1
        $health.missing[0].hardwareId | Should -BeExactly 'PCI\VEN_FFFF&DEV_FFFF'
        $health.missing[0].action | Should -Match 'Add-VMGpuPartitionAdapter'
    }
}

Describe 'GpuPvGuest: setupapi.dev.log' {
    BeforeEach { $null = New-Guest }

    It 'returns only the install sections that started at or after the run began' {
        $old = @(
            '>>>  [Device Install (Hardware initiated) - ROOT\OLD\0000]'
            '>>>  Section start 2020/01/01 10:00:00.000'
            '     dvi: old section'
            '<<<  Section end 2020/01/01 10:00:01.000'
            '<<<  [Exit status: SUCCESS]'
        )
        [System.IO.File]::WriteAllText((Join-Path $env:SystemRoot 'INF/setupapi.dev.log'), (($old -join "`r`n") + "`r`n"))
        $since = [datetime]::UtcNow.AddSeconds(-1).ToString('o')
        $staged = New-StagedPackage -Trust
        $null = Get-GuestResult 'Install-GpuPvDriverPackage' @{ runId = $staged.RunId; inf = $staged.Inf }
        $call = Invoke-Guest 'Get-GpuPvSetupApiLog' @{ since = $since }
        $call.Line | Should -Match '"start":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"'
        $log = $call.Reply.result
        $log.exists | Should -BeTrue
        @($log.sections | ForEach-Object { $_.title }) | Should -Be @(('Device Install (DiInstallDriver) - ' + (Join-Path $staged.Staging.packageFolder $staged.Inf)), ('Device Install (UpdateDriverForPlugAndPlayDevices) - ' + $script:SampleInstance))
        $log.sections[0].exitStatus | Should -Be 'SUCCESS'
        $log.sections[0].text | Should -Match 'Published Driver Store Entry: oem\d+\.inf'
        @($log.sections | Where-Object { $_.text -match 'old section' }).Count | Should -Be 0
    }

    It 'keeps a failed signature check, and filters to the sections that mention the package' {
        $since = [datetime]::UtcNow.AddSeconds(-1).ToString('o')
        $staged = New-StagedPackage
        $null = Get-GuestError 'Install-GpuPvDriverPackage' @{ runId = $staged.RunId; inf = $staged.Inf }
        $log = Get-GuestResult 'Get-GpuPvSetupApiLog' @{ since = $since; match = @('GPUPVSAMPLE.INF') }
        $log.sections.Count | Should -Be 1
        $log.sections[0].exitStatus | Should -Be 'FAILURE(0x800b0109)'
        $log.sections[0].text | Should -Match '!!!  sig:      Error 0x800b0109'
        (Get-GuestResult 'Get-GpuPvSetupApiLog' @{ since = $since; match = @('some-other.inf') }).sections.Count | Should -Be 0
    }

    It 'bounds what it returns, keeping the newest sections' {
        $lines = foreach ($i in 1..40) {
            '>>>  [Device Install (Hardware initiated) - ROOT\DEV\' + $i + ']'
            '>>>  Section start ' + [datetime]::Now.AddMinutes(1).ToString('yyyy/MM/dd HH:mm:ss.fff')
            ('     dvi: ' + ('x' * 100))
            '<<<  [Exit status: SUCCESS]'
        }
        [System.IO.File]::WriteAllText((Join-Path $env:SystemRoot 'INF/setupapi.dev.log'), ($lines -join "`r`n"))
        $log = Get-GuestResult 'Get-GpuPvSetupApiLog' @{ since = [datetime]::UtcNow.ToString('o'); maxBytes = 1024 }
        $log.truncated | Should -BeTrue
        $log.sections.Count | Should -BeLessThan 40
        $log.sections[$log.sections.Count - 1].title | Should -Match 'ROOT\\DEV\\40$'
        (($log.sections | ForEach-Object { $_.text.Length }) | Measure-Object -Sum).Sum | Should -BeLessOrEqual 1024
    }

    It 'says when the guest has no log, and refuses a time that is not ISO 8601' {
        $log = Get-GuestResult 'Get-GpuPvSetupApiLog' @{ since = '2026-12-02T11:00:00Z' }
        $log.exists | Should -BeFalse
        $log.sections.Count | Should -Be 0
        (Get-GuestError 'Get-GpuPvSetupApiLog' @{ since = 'yesterday' }).code | Should -Be 'InvalidParameter'
    }
}

Describe 'GpuPvGuest: System events and crash evidence' {
    BeforeEach { $null = New-Guest }

    It 'returns the driver''s, display and PnP entries since a time, and not the others' {
        $since = [datetime]::UtcNow.AddMinutes(-1)
        Add-WindowsGuestEvent -Provider 'gpupvsample' -Id 1 -Level 2 -Message 'gpupvsample: DxgkDdiStartDevice failed 0xC0000001' -Time $since.AddSeconds(10)
        Add-WindowsGuestEvent -Provider 'Display' -Id 4101 -Level 3 -Message 'Display driver gpupvsample stopped responding and has successfully recovered.' -Time $since.AddSeconds(20)
        Add-WindowsGuestEvent -Provider 'Service Control Manager' -Id 7000 -Level 2 -Message 'The gpupvsample service failed to start due to the following error.' -Time $since.AddSeconds(30)
        Add-WindowsGuestEvent -Provider 'Service Control Manager' -Id 7036 -Message 'The Windows Update service entered the running state.' -Time $since.AddSeconds(31)
        Add-WindowsGuestEvent -Provider 'Microsoft-Windows-Time-Service' -Id 37 -Message 'The time provider is receiving valid time data.' -Time $since.AddSeconds(32)
        Add-WindowsGuestEvent -Provider 'Display' -Id 4101 -Message 'An old TDR.' -Time $since.AddHours(-2)
        $events = Get-GuestResult 'Get-GpuPvGuestEvents' @{ since = $since.ToString('o'); services = @('gpupvsample') }
        @($events.events | ForEach-Object { $_.provider + '/' + $_.id }) | Should -Be @('gpupvsample/1', 'Display/4101', 'Service Control Manager/7000')
        $events.events[0].level | Should -Be 'Error'
        $events.bugchecked | Should -BeFalse
    }

    It 'notes a bugcheck: event 1001 with its code, a new minidump, MEMORY.DMP; an older dump stays out' {
        $since = [datetime]::UtcNow.AddMinutes(-1)
        Add-WindowsGuestEvent -Provider 'Microsoft-Windows-WER-SystemErrorReporting' -Id 1001 -Level 2 -Time $since.AddSeconds(5) -Message 'The computer has rebooted from a bugcheck.  The bugcheck was: 0x00000116 (0xffffe0015b3c1010, 0xfffff8012a4f6e40, 0xffffffffc000009a, 0x0000000000000004). A dump was saved in: C:\Windows\MEMORY.DMP. Report Id: 7e3a4c1b-0d5f-4b6e-9a21-3c8d7f6e5b40.'
        $old = Join-Path $env:SystemRoot 'Minidump/120126-01.dmp'
        [System.IO.File]::WriteAllBytes($old, [byte[]]::new(16))
        [System.IO.File]::SetLastWriteTimeUtc($old, $since.AddDays(-1))
        [System.IO.File]::WriteAllBytes((Join-Path $env:SystemRoot 'Minidump/120226-02.dmp'), [byte[]]::new(64))
        [System.IO.File]::WriteAllBytes((Join-Path $env:SystemRoot 'MEMORY.DMP'), [byte[]]::new(128))
        $events = Get-GuestResult 'Get-GpuPvGuestEvents' @{ since = $since.ToString('o') }
        $events.bugchecked | Should -BeTrue
        $events.bugChecks.Count | Should -Be 1
        $events.bugChecks[0].code | Should -Be '0x00000116'
        $events.bugChecks[0].parameters.Count | Should -Be 4
        $events.bugChecks[0].dumpPath | Should -Be 'C:\Windows\MEMORY.DMP'
        @($events.dumps | ForEach-Object { $_.name + ':' + $_.kind + ':' + $_.size }) | Should -Be @('120226-02.dmp:minidump:64', 'MEMORY.DMP:full:128')
    }

    It 'returns nothing, not an error, when the log has no entry since then' {
        $events = Get-GuestResult 'Get-GpuPvGuestEvents' @{ since = [datetime]::UtcNow.ToString('o'); services = @('gpupvsample') }
        $events.events.Count | Should -Be 0
        $events.dumps.Count | Should -Be 0
    }
}

Describe 'GpuPvGuest: running tests' {
    BeforeEach {
        $null = New-Guest
        $script:Run = Get-GuestResult 'New-GpuPvStagingFolder' @{ runId = 'tests-1' }
        $script:Package = $script:Run.packageFolder
    }

    It 'runs a passing PowerShell script, streams its output while it runs, and hands it every argument verbatim' {
        [System.IO.File]::WriteAllText((Join-Path $script:Package 'args.ps1'), '[Console]::Error.WriteLine("from stderr"); ConvertTo-Json -InputObject @($args) -Compress; "done"')
        $arguments = @($script:HostileNames) + @('-Force', '--', '2024-01-01T00:00:00Z')
        $call = Invoke-Guest 'Invoke-GpuPvGuestTest' @{ runId = 'tests-1'; name = 'args'; kind = 'powershell'; script = 'args.ps1'; args = $arguments; passPattern = '^done$' }
        $result = $call.Reply.result
        $result.passed | Should -BeTrue
        $result.exitCode | Should -Be 0
        $result.reason | Should -Be 'passed'
        # The same serializer on both sides; parsing it here would turn the date back into a date.
        $result.stdout[0] | Should -BeExactly (ConvertTo-Json -InputObject $arguments -Compress)
        $result.stderr | Should -Be @('from stderr')
        @($call.Live | ForEach-Object { $_.stream + ':' + $_.text }) | Should -Contain 'stdout:done'
        @($call.Live | ForEach-Object { $_.stream + ':' + $_.text }) | Should -Contain 'stderr:from stderr'
        $result.durationMs | Should -BeGreaterThan 0
    }

    It 'runs a program with its argv exactly as configured (Windows command-line quoting)' {
        $arguments = @($script:HostileNames) + @('a\', 'a\\"b', '\\server\share dir\', '-a:b')
        $result = Get-GuestResult 'Invoke-GpuPvGuestTest' @{ runId = 'tests-1'; name = 'argv'; kind = 'program'; command = @('node', '-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))') + $arguments }
        $result.passed | Should -BeTrue
        ($result.stdout -join "`n") | ConvertFrom-Json | Should -Be $arguments
    }

    It 'fails a test by its exit code, by failPattern, or when passPattern never appears' {
        $exit = Get-GuestResult 'Invoke-GpuPvGuestTest' @{ runId = 'tests-1'; name = 'exit'; kind = 'program'; command = @('sh', '-c', 'echo rendering; exit 3') }
        $exit.passed | Should -BeFalse
        $exit.exitCode | Should -Be 3
        $exit.reason | Should -Be 'exit code 3 (passing: 0)'
        $allowed = Get-GuestResult 'Invoke-GpuPvGuestTest' @{ runId = 'tests-1'; name = 'exit'; kind = 'program'; command = @('sh', '-c', 'exit 3'); successExitCodes = @(0, 3) }
        $allowed.passed | Should -BeTrue
        $pattern = Get-GuestResult 'Invoke-GpuPvGuestTest' @{ runId = 'tests-1'; name = 'pattern'; kind = 'program'; command = @('sh', '-c', 'echo "frame 1 ok"; echo "DXGI_ERROR_DEVICE_REMOVED at frame 2"'); failPattern = 'DXGI_ERROR_\w+' }
        $pattern.passed | Should -BeFalse
        $pattern.reason | Should -Be 'the output matched failPattern: DXGI_ERROR_DEVICE_REMOVED'
        $never = Get-GuestResult 'Invoke-GpuPvGuestTest' @{ runId = 'tests-1'; name = 'never'; kind = 'program'; command = @('sh', '-c', 'echo nothing'); passPattern = 'ALL PASSED' }
        $never.passed | Should -BeFalse
        $never.reason | Should -Match 'never matched passPattern'
    }

    It 'kills a test that hangs past its timeout together with the child it started' {
        [System.IO.File]::WriteAllText((Join-Path $script:Package 'hang.ps1'), '$child = [System.Diagnostics.Process]::Start("sleep", "300"); "child " + $child.Id; Start-Sleep -Seconds 300')
        $result = Get-GuestResult 'Invoke-GpuPvGuestTest' @{ runId = 'tests-1'; name = 'hang'; kind = 'powershell'; script = 'hang.ps1'; timeoutSeconds = 4 }
        $result.timedOut | Should -BeTrue
        $result.passed | Should -BeFalse
        $result.reason | Should -Match 'did not finish within 4 s'
        $result.durationMs | Should -BeLessThan 15000
        $child = [int](@($result.stdout | Where-Object { $_ -like 'child *' })[0] -replace 'child ', '')
        @($result.killed.output | Where-Object { $_ -match ('PID ' + $child + ' \(child process of PID ') }).Count | Should -Be 1
        Test-ProcessEnded $child | Should -BeTrue
        @(Get-ChildItem -LiteralPath $script:Run.workFolder -Filter 'process-*.json').Count | Should -Be 0
    }

    It 'runs TAEF te.exe with the /select: query and judges by its summary' {
        [System.IO.File]::WriteAllBytes((Join-Path $script:Package 'GpuPvSampleTests.dll'), [byte[]](0x4D, 0x5A))
        $pass = Get-GuestResult 'Invoke-GpuPvGuestTest' @{ runId = 'tests-1'; name = 'taef'; kind = 'taef'; binary = 'GpuPvSampleTests.dll'; select = "@Name='*Render*'"; tePath = $script:TeExe }
        $pass.passed | Should -BeTrue
        $pass.taef.total | Should -Be 2
        $pass.stdout | Should -Contain ('argument: ' + (Join-Path $script:Package 'GpuPvSampleTests.dll'))
        $pass.stdout | Should -Contain "argument: /select:@Name='*Render*'"
        $fail = Get-GuestResult 'Invoke-GpuPvGuestTest' @{ runId = 'tests-1'; name = 'taef'; kind = 'taef'; binary = 'GpuPvSampleTests.dll'; select = "@Name='*Fail*'"; tePath = $script:TeExe }
        $fail.passed | Should -BeFalse
        $fail.reason | Should -Be 'TAEF: 1 failed and 0 blocked of 2 (exit code 1)'
    }

    It 'runs scripts from folders with hostile names, and returns hostile test names exactly' {
        foreach ($name in $script:HostileFolderNames) {
            $folder = Join-Path $script:Package $name
            $null = New-Item -ItemType Directory -Path $folder -Force
            [System.IO.File]::WriteAllText((Join-Path $folder 'probe.ps1'), '"ran from " + (Split-Path -Leaf $PSScriptRoot)')
        }
        foreach ($name in $script:HostileFolderNames) {
            $result = Get-GuestResult 'Invoke-GpuPvGuestTest' @{ runId = 'tests-1'; name = $name; kind = 'powershell'; script = ($name + '/probe.ps1') }
            $result.name | Should -BeExactly $name
            $result.passed | Should -BeTrue
            $result.stdout | Should -Be @('ran from ' + $name)
        }
    }

    It 'says what is wrong with a test before running anything' {
        (Get-GuestError 'Invoke-GpuPvGuestTest' @{ runId = 'tests-1'; kind = 'powershell'; script = 'absent.ps1' }).code | Should -Be 'NotFound'
        (Get-GuestError 'Invoke-GpuPvGuestTest' @{ runId = 'tests-1'; kind = 'batch'; script = 'x.cmd' }).code | Should -Be 'InvalidParameter'
        (Get-GuestError 'Invoke-GpuPvGuestTest' @{ runId = 'tests-1'; kind = 'program'; command = @('sh'); passPattern = '(' }).message | Should -Match 'not a valid .NET regular expression'
        (Get-GuestError 'Invoke-GpuPvGuestTest' @{ runId = 'tests-1'; kind = 'program'; command = @('no-such-program-gpupv') }).code | Should -Be 'NotFound'
        (Get-GuestError 'Invoke-GpuPvGuestTest' @{ runId = 'tests-1'; kind = 'taef'; binary = 'absent.dll'; tePath = $script:TeExe }).code | Should -Be 'NotFound'
    }
}

Describe 'GpuPvGuest: stopping a cancelled run' {
    BeforeEach { $null = New-Guest }

    It 'kills the running test''s process tree, ends that call as Cancelled, and states the guest''s condition' {
        $staged = New-StagedPackage -RunId 'cancel-1' -Trust
        $installed = Get-GuestResult 'Install-GpuPvDriverPackage' @{ runId = 'cancel-1'; inf = $staged.Inf }
        [System.IO.File]::WriteAllText((Join-Path $staged.Staging.packageFolder 'hang.ps1'), '$child = [System.Diagnostics.Process]::Start("sleep", "300"); "child " + $child.Id; Start-Sleep -Seconds 300')
        $runner = Start-Runner -Call 'Invoke-GpuPvGuestTest' -Params @{ runId = 'cancel-1'; name = 'hang'; kind = 'powershell'; script = 'hang.ps1'; timeoutSeconds = 120 }
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        while (@(Get-ChildItem -LiteralPath $staged.Staging.workFolder -Filter 'process-*.json').Count -eq 0 -and $clock.Elapsed.TotalSeconds -lt 30) { Start-Sleep -Milliseconds 100 }
        Start-Sleep -Milliseconds 1500
        $stopped = Get-GuestResult 'Stop-GpuPvGuestWork' @{ runId = 'cancel-1'; removeStaged = $true }
        $stopped.stopped.Count | Should -Be 1
        $stopped.stopped[0].test | Should -Be 'hang'
        $stopped.stagedRemoved | Should -BeTrue
        $stopped.condition[0] | Should -Match 'Stopped 1 test process tree'
        $stopped.condition | Should -Contain ('The package gpupvsample.inf 1.2.3.4 stays installed as ' + $installed.publishedName + ' (revert the checkpoint, or pnputil /delete-driver ' + $installed.publishedName + ' /uninstall /force, to remove it).')
        $stopped.condition | Should -Contain 'The staged copy of the package was removed.'
        $ended = Wait-Runner $runner
        $reply = $ended.Document | ConvertFrom-Json
        $reply.error.code | Should -Be 'Cancelled'
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 60
        $child = [int](@($ended.Lines | Where-Object { $_ -like 'GPUPV-LIVE *child *' } | ForEach-Object { ($_.Substring(11) | ConvertFrom-Json).text })[0] -replace 'child ', '')
        Test-ProcessEnded $child | Should -BeTrue
        Test-Path -LiteralPath $staged.Staging.packageFolder | Should -BeFalse
        (Get-GuestError 'Invoke-GpuPvGuestTest' @{ runId = 'cancel-1'; kind = 'program'; command = @('sh') }).code | Should -Be 'Cancelled'
    }

    It 'leaves alone a process that merely reuses a recorded pid' {
        $null = Get-GuestResult 'New-GpuPvStagingFolder' @{ runId = 'reused-1' }
        $bystander = [System.Diagnostics.Process]::Start('sleep', '60')
        try {
            $record = @{ pid = $bystander.Id; startTime = '2001-01-01T00:00:00.000Z'; test = 'long gone' }
            [System.IO.File]::WriteAllText((Join-Path $env:SystemRoot ('Temp/GpuPv/reused-1/work/process-' + $bystander.Id + '.json')), (ConvertTo-Json -InputObject $record))
            $stopped = Get-GuestResult 'Stop-GpuPvGuestWork' @{ runId = 'reused-1' }
            $stopped.stopped.Count | Should -Be 0
            $bystander.HasExited | Should -BeFalse
        } finally {
            $bystander.Kill()
        }
    }

    It 'leaves a running install to finish, and says so when it outlasts the wait' {
        $null = Get-GuestResult 'New-GpuPvStagingFolder' @{ runId = 'installing-1' }
        $work = Join-Path $env:SystemRoot 'Temp/GpuPv/installing-1/work'
        # This very process plays the pnputil call that is still running.
        [System.IO.File]::WriteAllText((Join-Path $work 'installing.json'), (ConvertTo-Json -InputObject @{ pid = $PID; started = '2026-12-02T11:00:00Z'; inf = 'gpupvsample.inf' }))
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $stopped = Get-GuestResult 'Stop-GpuPvGuestWork' @{ runId = 'installing-1'; waitForInstallSeconds = 1 }
        $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 1
        $stopped.installWasRunning | Should -BeTrue
        $stopped.condition | Should -Contain 'A driver install of this run is still running after 1 s; it was left to finish, since stopping pnputil midway can leave the driver store inconsistent.'
        Get-Process -Id $PID | Should -Not -BeNullOrEmpty
    }

    It 'says so when nothing of the run is in the guest, or nothing was installed' {
        (Get-GuestResult 'Stop-GpuPvGuestWork' @{ runId = 'never-ran' }).condition | Should -Be @('Nothing of run never-ran is in the guest.')
        $null = Get-GuestResult 'New-GpuPvStagingFolder' @{ runId = 'staged-only' }
        $stopped = Get-GuestResult 'Stop-GpuPvGuestWork' @{ runId = 'staged-only' }
        $stopped.condition | Should -Be @('No test of run staged-only is running.', 'Nothing was installed by this run.')
        $stopped.stagedRemoved | Should -BeFalse
    }
}

Describe 'GpuPvGuest: WPP traces with tracelog' {
    BeforeEach {
        $null = New-Guest
        $script:Kmd = '8d8a3a9c-5a1b-4f0e-9d2c-7e6f5a4b3c21'
        $script:Umd = '{1C2D3E4F-5A6B-4C7D-8E9F-0A1B2C3D4E5F}'
    }

    It 'starts one session for every provider before the tests, stops it after, and lists its .etl; a second stop only lists' {
        $null = Get-GuestResult 'New-GpuPvStagingFolder' @{ runId = 'trace-1' }
        $started = Get-GuestResult 'Start-GpuPvTrace' @{ runId = 'trace-1'; providers = @(@{ guid = $script:Kmd; flags = '0xFFFF'; level = 4 }, @{ guid = $script:Umd }) }
        $started.session | Should -Be 'GpuPv_trace_1'
        @($started.commands).Count | Should -Be 2
        $started.commands[0] | Should -Match ('^tracelog\.exe -start GpuPv_trace_1 -guid #' + $script:Kmd + ' -flag 0xFFFF -level 4 -f .*GpuPv_trace_1\.etl$')
        $started.commands[1] | Should -Match '^tracelog\.exe -enable GpuPv_trace_1 -guid #1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f -flag 0xFFFFFFFF -level 5$'
        $stopped = Get-GuestResult 'Stop-GpuPvTrace' @{ runId = 'trace-1' }
        $stopped.command | Should -Be 'tracelog.exe -stop GpuPv_trace_1'
        @($stopped.files).Count | Should -Be 1
        $stopped.files[0].path | Should -Be $started.etl
        $stopped.files[0].bytes | Should -BeGreaterThan 0
        [System.IO.File]::ReadAllText($started.etl) | Should -Match '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f'
        $again = Get-GuestResult 'Stop-GpuPvTrace' @{ runId = 'trace-1' }
        $again.command | Should -BeNullOrEmpty
        @($again.files).Count | Should -Be 1
        (Get-GuestResult 'Stop-GpuPvTrace' @{ runId = (Get-GuestResult 'New-GpuPvStagingFolder' @{ runId = 'trace-none' }).runId }).started | Should -BeFalse
    }

    It 'refuses a provider that is not a GUID or flags that are not a number, and says what to ship when tracelog is not there' {
        $null = Get-GuestResult 'New-GpuPvStagingFolder' @{ runId = 'trace-2' }
        (Get-GuestError 'Start-GpuPvTrace' @{ runId = 'trace-2'; providers = @(@{ guid = 'pvgpu; Stop-Computer' }) }).code | Should -Be 'InvalidParameter'
        (Get-GuestError 'Start-GpuPvTrace' @{ runId = 'trace-2'; providers = @(@{ guid = $script:Kmd; flags = '0xFF -stop x' }) }).code | Should -Be 'InvalidParameter'
        (Get-GuestError 'Start-GpuPvTrace' @{ runId = 'trace-2'; providers = @() }).code | Should -Be 'InvalidParameter'
        (Get-GuestError 'Start-GpuPvTrace' @{ runId = 'trace-2'; providers = @(@{ guid = $script:Kmd }); tracelog = 'tools/tracelog.exe' }).message | Should -Match 'tracelog tools/tracelog.exe is not in the guest'
        (Get-GuestResult 'Stop-GpuPvTrace' @{ runId = 'trace-2' }).started | Should -BeFalse
        (Get-GuestResult 'Stop-GpuPvTrace' @{ runId = 'never-deployed' }).started | Should -BeFalse
    }

    It 'tells tracelog''s own failure, and leaves no half-started session when enabling a provider fails' {
        $null = Get-GuestResult 'New-GpuPvStagingFolder' @{ runId = 'trace-3' }
        $null = Get-GuestResult 'Start-GpuPvTrace' @{ runId = 'trace-3'; providers = @(@{ guid = $script:Kmd }) }
        # The session outlived its record (a guest reverted by hand): tracelog's own refusal is told.
        Remove-Item -LiteralPath (Join-Path $env:SystemRoot 'Temp/GpuPv/trace-3/work/trace.json')
        $failure = Get-GuestError 'Start-GpuPvTrace' @{ runId = 'trace-3'; providers = @(@{ guid = $script:Kmd }) }
        $failure.code | Should -Be 'ToolFailed'
        $failure.message | Should -Match 'exited with 183: .*Cannot create a file when that file already exists'
        Edit-WindowsGuest { param($g) Set-WindowsGuestValue $g 'faults' ([pscustomobject]@{ tracelogEnableStatus = 87 }) }
        $null = Get-GuestResult 'New-GpuPvStagingFolder' @{ runId = 'trace-5' }
        $broken = Get-GuestError 'Start-GpuPvTrace' @{ runId = 'trace-5'; providers = @(@{ guid = $script:Kmd }, @{ guid = $script:Umd }) }
        $broken.code | Should -Be 'ToolFailed'
        $broken.message | Should -Match 'Enabling provider 1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f in the trace GpuPv_trace_5: tracelog.exe exited with 87'
        $null = tracelog.exe -stop GpuPv_trace_5
        $LASTEXITCODE | Should -Be 4201 -Because 'the session of the failed start was stopped'
    }

    It 'is stopped by a cancel, which says so' {
        $null = Get-GuestResult 'New-GpuPvStagingFolder' @{ runId = 'trace-6' }
        $null = Get-GuestResult 'Start-GpuPvTrace' @{ runId = 'trace-6'; providers = @(@{ guid = $script:Kmd }) }
        $stopped = Get-GuestResult 'Stop-GpuPvGuestWork' @{ runId = 'trace-6' }
        $stopped.condition | Should -Contain ('The trace GpuPv_trace_6 was stopped; its .etl stays in ' + (Join-Path $env:SystemRoot 'Temp/GpuPv/trace-6/trace') + '.')
        (Get-GuestResult 'Stop-GpuPvTrace' @{ runId = 'trace-6' }).command | Should -BeNullOrEmpty
    }
}

Describe 'GpuPvGuest: the SSH runner, Invoke-GpuPvGuest.ps1' {
    BeforeEach { $null = New-Guest }

    It 'writes the live lines, then exactly one JSON document between the markers, run from a hostile folder' {
        $null = Get-GuestResult 'New-GpuPvStagingFolder' @{ runId = 'ssh-1' }
        [System.IO.File]::WriteAllText((Join-Path $env:SystemRoot 'Temp/GpuPv/ssh-1/package/talk.ps1'), '"GPUPV-RESULT-END"; "GPUPV-RESULT-BEGIN"; "{""ok"":true}"; "last"')
        $folder = $TestDrive
        foreach ($name in $script:HostileFolderNames) { $folder = Join-Path $folder $name }
        $null = New-Item -ItemType Directory -Path $folder -Force
        foreach ($file in @('Invoke-GpuPvGuest.ps1', 'GpuPvGuest.psm1')) { Copy-Item -LiteralPath (Join-Path $script:GuestFolder $file) -Destination $folder }
        $ended = Wait-Runner (Start-Runner -Call 'Invoke-GpuPvGuestTest' -Params @{ runId = 'ssh-1'; name = 'talk'; kind = 'powershell'; script = 'talk.ps1' } -Runner (Join-Path $folder 'Invoke-GpuPvGuest.ps1'))
        $ended.ExitCode | Should -Be 0
        $ended.Begin.Count | Should -Be 1
        $ended.End.Count | Should -Be 1
        $ended.Document | Should -Not -BeNullOrEmpty
        $ended.Lines[$ended.Lines.Count - 1] | Should -Be 'GPUPV-RESULT-END'
        @($ended.Lines | Select-Object -First $ended.Begin[0] | Where-Object { -not $_.StartsWith('GPUPV-LIVE ') }).Count | Should -Be 0
        $reply = $ended.Document | ConvertFrom-Json
        $reply.ok | Should -BeTrue
        $reply.result.stdout | Should -Be @('GPUPV-RESULT-END', 'GPUPV-RESULT-BEGIN', '{"ok":true}', 'last')
    }

    It 'serves requests one after another in one process until stdin ends, non-ASCII parameters intact' {
        $name = @($script:HostileNames | Where-Object { $_ -match '[^\x00-\x7F]' })[0]
        $lines = @(
            ('Get-GpuPvDeviceHealth ' + (ConvertTo-RequestJson @{ hardwareIds = @($name) })),
            '',
            'Format-Volume {}',
            'Get-GpuPvDeviceHealth'
        )
        $ended = Wait-Runner (Start-Runner -Lines $lines)
        $ended.ExitCode | Should -Be 0
        $ended.Documents.Count | Should -Be 3
        ($ended.Documents[0] | ConvertFrom-Json).result.missing[0].hardwareId | Should -BeExactly $name
        ($ended.Documents[1] | ConvertFrom-Json).error.code | Should -Be 'InvalidParameter'
        ($ended.Documents[2] | ConvertFrom-Json).error.code | Should -Be 'InvalidParameter'
    }

    It 'still answers every request with one document when the call fails or the module is missing' {
        $failed = Wait-Runner (Start-Runner -Call 'Install-GpuPvDriverPackage' -Params @{ runId = 'never-staged'; inf = 'a.inf' })
        ($failed.Document | ConvertFrom-Json).error.code | Should -Be 'NotFound'
        $failed.ExitCode | Should -Be 0
        $alone = Join-Path $TestDrive 'runner-alone'
        $null = New-Item -ItemType Directory -Path $alone
        Copy-Item -LiteralPath $script:Runner -Destination $alone
        $ended = Wait-Runner (Start-Runner -Lines @('Get-GpuPvGuestReadiness {}', 'Get-GpuPvGuestReadiness {}') -Runner (Join-Path $alone 'Invoke-GpuPvGuest.ps1'))
        $ended.ExitCode | Should -Be 0
        $ended.Documents.Count | Should -Be 2
        $missing = $ended.Documents[1] | ConvertFrom-Json
        $missing.ok | Should -BeFalse
        $missing.error.message | Should -Match 'could not load GpuPvGuest.psm1 for Get-GpuPvGuestReadiness'
    }
}

Describe 'GpuPvGuest: over PowerShell Direct, in a Hyper-V stand-in guest' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'StandInHost.ps1')
        $script:Direct = [System.IO.File]::ReadAllText((Join-Path $script:GuestFolder 'GpuPvGuestDirect.ps1'))
        $script:ModuleText = [System.IO.File]::ReadAllText((Join-Path $script:GuestFolder 'GpuPvGuest.psm1'))
        $env:PSModulePath = $script:WindowsGuestModules + [System.IO.Path]::PathSeparator + (Join-Path $script:Repo 'test/fakes/hyperv/modules') + [System.IO.Path]::PathSeparator + $script:Saved['PSModulePath']
        Import-Module -Name 'Hyper-V' -Force -DisableNameChecking -WarningAction SilentlyContinue
    }

    AfterAll {
        Remove-Module -Name 'Hyper-V', 'GpuPvStandIn' -Force -ErrorAction SilentlyContinue
    }

    It 'runs the module sent as text in the VM''s guest, whose state is that VM''s guest record' {
        $vmId = '1a9e7c5b-3d28-4f60-b5e1-7c4a2d8f9e03'
        $guest = [System.IO.File]::ReadAllText((Join-Path $script:WindowsGuestHome 'demoGuest.json')) | ConvertFrom-Json
        $null = New-StandInState -Edit {
            param($doc)
            $record = $doc.standIn.guests.$vmId
            foreach ($prop in $guest.PSObject.Properties) { $record | Add-Member -Force -NotePropertyName $prop.Name -NotePropertyValue $prop.Value }
            $record.testSigning = $false
        }
        $env:GPUPV_FAKE_GUEST_STATE = $null
        $credential = [pscredential]::new('tester', (ConvertTo-SecureString -String $script:Password -AsPlainText -Force))
        $session = New-PSSession -VMId $vmId -Credential $credential
        try {
            $call = {
                param([string]$Name, [hashtable]$Params)
                @(Invoke-Command -Session $session -ScriptBlock ([scriptblock]::Create($script:Direct)) -ArgumentList $script:ModuleText, $Name, (ConvertTo-Json -InputObject $Params -Depth 10 -Compress))
            }
            $out = @(& $call 'Get-GpuPvGuestReadiness' @{})
            $out.Count | Should -Be 1
            $ready = ($out[0] | ConvertFrom-Json).result
            $ready.testSigning | Should -BeFalse
            (@(& $call 'Enable-GpuPvTestSigning' @{})[-1] | ConvertFrom-Json).result.changed | Should -BeTrue
            $staging = (@(& $call 'New-GpuPvStagingFolder' @{ runId = 'direct-1' })[-1] | ConvertFrom-Json).result
            $staging.packageFolder | Should -BeExactly (Join-Path ($env:GPUPV_FAKE_HYPERV_STATE + '.disks') ($vmId + '/Windows/Temp/GpuPv/direct-1/package'))
            $live = @(& $call 'Invoke-GpuPvGuestTest' @{ runId = 'direct-1'; name = 'echo'; kind = 'program'; command = @('sh', '-c', 'echo from the guest') })
            $live.Count | Should -Be 2
            $live[0] | Should -BeExactly 'GPUPV-LIVE {"stream":"stdout","text":"from the guest"}'
            ($live[-1] | ConvertFrom-Json).result.passed | Should -BeTrue
        } finally {
            Remove-PSSession -Session $session
        }
        $record = (Read-StandInState).standIn.guests.$vmId
        $record.testSigning | Should -BeTrue
        @($record.packages).Count | Should -BeGreaterThan 0
    }
}

Describe 'GpuPvGuest: parsers on real and mutated output' {
    BeforeAll {
        $script:Module = Get-Module -Name 'GpuPvGuest'
        $script:DriverList = @(
            'Microsoft PnP Utility', '',
            'Published Name:     oem3.inf', 'Original Name:      nv_dispi.inf', 'Provider Name:      NVIDIA', 'Class Name:         Display adapters',
            'Class GUID:         {4d36e968-e325-11ce-bfc1-08002be10318}', 'Driver Version:     08/14/2024 32.0.15.6094', 'Signer Name:        Microsoft Windows Hardware Compatibility Publisher', '',
            'Veröffentlichter Name:   oem12.inf', 'Ursprünglicher Name:     gpupvsample.inf', 'Anbietername:            GPU-PV Dev Kit', 'Klassen-GUID:            {4d36e968-e325-11ce-bfc1-08002be10318}',
            'Treiberversion:          12/01/2026 1.2.3.4', ''
        )
        $script:SetupApi = @(
            '[Device Install Log]', '     OS Version = 10.0.26100', '', '[Boot Session: 2026/12/02 10:58:11.500]', '',
            '>>>  [Device Install (DiInstallDriver) - C:\Windows\Temp\GpuPv\r\package\gpupvsample.inf]', '>>>  Section start 2026/12/02 11:00:00.123',
            '      cmd: pnputil.exe /add-driver C:\Windows\Temp\GpuPv\r\package\gpupvsample.inf /install', '<<<  Section end 2026/12/02 11:00:01.456', '<<<  [Exit status: SUCCESS]', '',
            '>>>  [Device Install (Hardware initiated) - PCI\VEN_1414&DEV_008E\3&267a616a&0&10]', '>>>  Section start 2026/12/02 11:00:02.000',
            '!!!  dvi: Device not started: Device has problem: 0x34 (CM_PROB_UNSIGNED_DRIVER), problem status: 0xc0000428.', '<<<  [Exit status: FAILURE(0xe0000242)]'
        )

        function Get-Mutations {
            # Seeded mutations of a text: characters dropped, doubled, replaced, lines cut.
            param([string]$Text, [int]$Seed, [int]$Count)
            $random = [System.Random]::new($Seed)
            $alphabet = [char[]]":[]<>!{}()/\ `r`n`t0123456789abcdefINF.=,;%`"'" + [char]0x00E9 + [char]0x200E
            for ($n = 0; $n -lt $Count; $n++) {
                $chars = New-Object -TypeName 'System.Collections.Generic.List[char]' -ArgumentList (, $Text.ToCharArray())
                for ($k = 0; $k -lt 1 + $random.Next(12); $k++) {
                    if ($chars.Count -eq 0) { break }
                    $at = $random.Next($chars.Count)
                    switch ($random.Next(4)) {
                        0 { $chars.RemoveAt($at) }
                        1 { $chars.Insert($at, $chars[$at]) }
                        2 { $chars[$at] = $alphabet[$random.Next($alphabet.Length)] }
                        3 { $chars.RemoveRange($at, [math]::Min($chars.Count - $at, $random.Next(40))) }
                    }
                }
                New-Object -TypeName 'string' -ArgumentList (, $chars.ToArray())
            }
        }
    }

    It 'reads pnputil /enum-drivers, English labels or, on a localized Windows, the values'' shapes' {
        $drivers = & $script:Module { param($Lines) ConvertFrom-GpuPvDriverList -Lines $Lines } $script:DriverList
        $drivers.Count | Should -Be 2
        $drivers[0].publishedName | Should -Be 'oem3.inf'
        $drivers[0].className | Should -Be 'Display adapters'
        $drivers[0].driverDate | Should -Be '2024-08-14'
        $drivers[1].publishedName | Should -Be 'oem12.inf'
        $drivers[1].originalName | Should -Be 'gpupvsample.inf'
        $drivers[1].version | Should -Be '1.2.3.4'
    }

    It 'reads setupapi.dev.log sections with their start and exit status' {
        $sections = & $script:Module { param($Text) ConvertFrom-GpuPvSetupApiLog -Reader ([System.IO.StringReader]::new($Text)) -Since ([datetime]::new(2026, 12, 2, 11, 0, 1)) } ($script:SetupApi -join "`r`n")
        $sections.Count | Should -Be 1
        $sections[0].exitStatus | Should -Be 'FAILURE(0xe0000242)'
        $sections[0].title | Should -Match 'Hardware initiated'
    }

    It 'neither throws nor hangs on 300 seeded mutations of each (seed <_>)' -ForEach @(11, 4242) {
        $seed = $_
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        foreach ($text in (Get-Mutations -Text ($script:DriverList -join "`r`n") -Seed $seed -Count 300)) {
            $null = & $script:Module { param($Lines) ConvertFrom-GpuPvDriverList -Lines $Lines } @($text -split "`r?`n")
            $null = & $script:Module { param($Lines) ConvertFrom-GpuPvBcdTestSigning -Lines $Lines } @($text -split "`r?`n")
            $null = & $script:Module { param($Lines) ConvertFrom-GpuPvTaefSummary -Lines $Lines } @($text -split "`r?`n")
        }
        foreach ($text in (Get-Mutations -Text ($script:SetupApi -join "`r`n") -Seed $seed -Count 300)) {
            $null = & $script:Module { param($Text) ConvertFrom-GpuPvSetupApiLog -Reader ([System.IO.StringReader]::new($Text)) -Since ([datetime]::MinValue) } $text
        }
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 60
    }
}

Describe 'GpuPvGuest: the stand-ins, shaped like the real tools' {
    BeforeEach { $null = New-Guest }

    It 'pnputil /enum-drivers prints the real layout: labels padded to column 20, blank line between packages' {
        $lines = @(pnputil.exe /enum-drivers)
        $LASTEXITCODE | Should -Be 0
        $lines[0..8] | Should -Be @('Microsoft PnP Utility', '', 'Published Name:     oem3.inf', 'Original Name:      nv_dispi.inf', 'Provider Name:      NVIDIA', 'Class Name:         Display adapters', 'Class GUID:         {4d36e968-e325-11ce-bfc1-08002be10318}', 'Driver Version:     08/14/2024 32.0.15.6094', 'Signer Name:        Microsoft Windows Hardware Compatibility Publisher')
    }

    It 'certutil -store answers NTE_NOT_FOUND for an absent certificate; taskkill 128 for an absent process' {
        $lines = @(certutil.exe -store TrustedPublisher 0123456789ABCDEF0123456789ABCDEF01234567)
        $LASTEXITCODE | Should -Be -2146893807
        $lines | Should -Be @('TrustedPublisher "Trusted Publishers"', 'CertUtil: -store command FAILED: 0x80090011 (-2146893807 NTE_NOT_FOUND)', 'CertUtil: Object was not found.')
        $dead = [System.Diagnostics.Process]::Start('true')
        $dead.WaitForExit()
        @(taskkill.exe /T /F /PID $dead.Id) | Should -Be @('ERROR: The process "' + $dead.Id + '" not found.')
        $LASTEXITCODE | Should -Be 128
    }

    It 'bcdedit /enum {current} lists testsigning only once it was set; Get-PnpDevice fails on an unknown instance as CIM does' {
        Edit-WindowsGuest { param($g) $g.testSigning = $null }
        @(bcdedit.exe /enum '{current}') -match '^testsigning' | Should -BeNullOrEmpty
        $null = bcdedit.exe /set testsigning on
        @(bcdedit.exe /enum '{current}') -match '^testsigning' | Should -Be @('testsigning             Yes')
        { Get-PnpDevice -InstanceId 'PCI\VEN_0000' -ErrorAction Stop } | Should -Throw '*No matching Win32_PnPEntity objects found*'
        [int](Get-PnpDevice -InstanceId $script:SampleInstance).Problem | Should -Be 28
    }
}
