# GpuPv.psm1's PowerShell Direct functions for Deploy and Test, in real PowerShell: sessions to a
# Hyper-V stand-in guest in which the real GpuPvGuest.psm1 runs against the Windows guest
# stand-ins, remote jobs read by the real Receive-Job, copies both ways, cancels that stop the
# guest's work and VMs that stop under a running call.

BeforeAll {
    . (Join-Path $PSScriptRoot 'StandInHost.ps1')
    Import-GpuPv
    $script:VmId = '1a9e7c5b-3d28-4f60-b5e1-7c4a2d8f9e03'
    $script:GuestScripts = Join-Path $script:Repo 'extension/deploy/guest'
    $script:DemoGuest = Join-Path $script:Repo 'test/fakes/windows-guest/demoGuest.json'
    # Names Windows allows for a file: no \ / : * ? " < > | or control characters.
    $script:HostileFileNames = @($script:HostileNames | Where-Object { $_ -and $_ -notmatch '[\\/:*?"<>|\x00-\x1f]' })

    function New-DirectGuest {
        # The simulated workstation whose running, hostile-named VM has a whole Windows guest.
        $null = New-StandInState -Edit {
            param($doc)
            $guest = [System.IO.File]::ReadAllText($script:DemoGuest) | ConvertFrom-Json
            $record = $doc.standIn.guests.($script:VmId)
            foreach ($prop in $guest.PSObject.Properties) { $record | Add-Member -Force -NotePropertyName $prop.Name -NotePropertyValue $prop.Value }
        }
        $script:Work = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        $null = New-Item -ItemType Directory -Path $script:Work
        $script:Live = Join-Path $script:Work 'live.txt'
        $script:Cancel = Join-Path $script:Work 'cancel'
    }

    function Get-GuestWindows {
        return (Join-Path ($env:GPUPV_FAKE_HYPERV_STATE + '.disks') ($script:VmId + '/Windows'))
    }

    function Invoke-Operation {
        param([string]$Operation, [hashtable]$Params = @{}, [string]$Password = $script:Password)
        $call = @{ vmId = $script:VmId; vmName = 'x'; guestScripts = $script:GuestScripts; operation = $Operation; paramsJson = (ConvertTo-Json -InputObject $Params -Depth 10 -Compress); liveFile = $script:Live; cancelFile = $script:Cancel }
        return (Invoke-GpuPv 'Invoke-GpuPvGuestOperation' ($call + (Get-GuestCredential -Password $Password)))
    }

    function Read-Live {
        # The live file as the transport reads it: the live lines' texts, then the result.
        $lines = @()
        if (Test-Path -LiteralPath $script:Live) { $lines = @([System.IO.File]::ReadAllLines($script:Live) | Where-Object { $_ }) }
        $live = @($lines | Where-Object { $_.StartsWith('GPUPV-LIVE ') } | ForEach-Object { $_.Substring('GPUPV-LIVE '.Length) | ConvertFrom-Json })
        $result = $null
        if ($lines.Count -gt 0 -and -not $lines[-1].StartsWith('GPUPV-LIVE ')) { $result = $lines[-1] | ConvertFrom-Json }
        return [pscustomobject]@{ Count = $lines.Count; Live = $live; Result = $result }
    }

    function Start-Later {
        # Runs $Action in another process after $Seconds, as the extension's cancel or the user's
        # Stop-VM would come while a call runs.
        param([double]$Seconds, [scriptblock]$Action, [object[]]$Arguments)
        return (Start-Job -ScriptBlock { param($s, $a, $rest) Start-Sleep -Seconds $s; & ([scriptblock]::Create($a)) @rest } -ArgumentList $Seconds, ([string]$Action), $Arguments)
    }

    function Set-VmOff {
        # The VM turned off in the state document, written as the stand-ins write it.
        param([string]$StatePath, [string]$VmId)
        $doc = [System.IO.File]::ReadAllText($StatePath) | ConvertFrom-Json
        @($doc.vms | Where-Object { $_.id -eq $VmId })[0].state = 'Off'
        [System.IO.File]::WriteAllText($StatePath + '.off.tmp', (ConvertTo-Json -InputObject $doc -Depth 32))
        [System.IO.File]::Move($StatePath + '.off.tmp', $StatePath, $true)
    }

    function Get-MarkedProcesses {
        # Processes started in the stand-in guest still alive (not zombies): they carry its marker.
        param([string]$Needle)
        return @(Get-ChildItem -LiteralPath '/proc' -Directory | Where-Object { $_.Name -match '^\d+$' -and $_.Name -ne [string]$PID } | Where-Object {
                try {
                    [System.IO.File]::ReadAllText('/proc/' + $_.Name + '/environ').Contains($Needle + [char]0) -and [System.IO.File]::ReadAllText('/proc/' + $_.Name + '/cmdline').Length -gt 0
                } catch { $false }
            })
    }
}

Describe 'Test-GpuPvGuestSession' {
    BeforeEach { New-DirectGuest }

    It 'reaches the running guest with its credentials, and says why not otherwise' {
        $ok = Get-Result 'Test-GpuPvGuestSession' (@{ vmId = $script:VmId; vmName = 'x' } + (Get-GuestCredential))
        $ok.outcome | Should -Be 'connected'
        $ok.vmName | Should -BeExactly @((Read-StandInState).vms | Where-Object { $_.id -eq $script:VmId })[0].name
        $ok.powerShellVersion | Should -Match '^\d+\.\d+'
        Get-ErrorCode 'Test-GpuPvGuestSession' (@{ vmId = $script:VmId; vmName = 'x' } + (Get-GuestCredential -Password 'wrong')) | Should -Be 'CredentialRejected'
        $off = Get-Result 'Test-GpuPvGuestSession' (@{ vmName = 'Win11-GpuP-Ready' } + (Get-GuestCredential))
        $off.outcome | Should -Be 'notRunning'
        $off.vmState | Should -Be 'Off'
        Get-ErrorCode 'Test-GpuPvGuestSession' (@{ vmName = 'no such VM' } + (Get-GuestCredential)) | Should -Be 'VmNotFound'
    }
}

Describe 'Invoke-GpuPvGuestOperation' {
    BeforeEach { New-DirectGuest }

    It 'runs a guest function sent as text, writing its live lines and then its result to the live file' {
        $ready = Get-Result 'Invoke-GpuPvGuestOperation' (@{ vmId = $script:VmId; vmName = 'x'; guestScripts = $script:GuestScripts; operation = 'Get-GpuPvGuestReadiness'; paramsJson = '{}'; liveFile = $script:Live; cancelFile = $script:Cancel } + (Get-GuestCredential))
        $ready.outcome | Should -Be 'completed'
        (Read-Live).Result.result.testSigning | Should -BeTrue
        (Invoke-Operation 'New-GpuPvStagingFolder' @{ runId = 'run-1' }).result.outcome | Should -Be 'completed'
        Remove-Item -LiteralPath $script:Live
        $name = $script:HostileFileNames[0]
        $test = Invoke-Operation 'Invoke-GpuPvGuestTest' @{ runId = 'run-1'; name = $name; kind = 'program'; command = @('sh', '-c', 'echo "$1"; echo two >&2', 'sh', $name) }
        $test.result.outcome | Should -Be 'completed'
        $output = Read-Live
        $output.Count | Should -Be 3
        @($output.Live | ForEach-Object { $_.stream + ':' + $_.text }) | Should -Be @(('stdout:' + $name), 'stderr:two')
        $result = $output.Result.result
        $result.name | Should -BeExactly $name
        $result.passed | Should -BeTrue
        $result.stderr | Should -Be @('two')
    }

    It 'stops a running test in the guest once the cancel file appears, process tree and all' {
        (Invoke-Operation 'New-GpuPvStagingFolder' @{ runId = 'run-2' }).result.outcome | Should -Be 'completed'
        $later = Start-Later 3 { param($file) [System.IO.File]::WriteAllText($file, 'cancel') } @($script:Cancel)
        try {
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $reply = Invoke-Operation 'Invoke-GpuPvGuestTest' @{ runId = 'run-2'; name = 'hangs'; kind = 'program'; command = @('sh', '-c', 'echo started; sleep 60; echo never'); timeoutSeconds = 120 }
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 30
        } finally {
            Remove-Job -Job $later -Force
        }
        $reply.result.outcome | Should -Be 'cancelled'
        @($reply.result.guestCondition) | Should -Contain 'Stopped 1 test process tree(s) of run run-2; none of its tests is running.'
        $output = Read-Live
        @($output.Live | ForEach-Object { $_.text }) | Should -Be @('started')
        $output.Result.error.code | Should -Be 'Cancelled'
        Get-MarkedProcesses -Needle ('GPUPV_RUN_ID=run-2') | Should -BeNullOrEmpty
    }

    It 'reports the session lost when the VM stops under a running test, whose processes end with it' {
        (Invoke-Operation 'New-GpuPvStagingFolder' @{ runId = 'run-3' }).result.outcome | Should -Be 'completed'
        $later = Start-Later 3 ${function:Set-VmOff} @($env:GPUPV_FAKE_HYPERV_STATE, $script:VmId)
        try {
            $reply = Invoke-Operation 'Invoke-GpuPvGuestTest' @{ runId = 'run-3'; name = 'long'; kind = 'program'; command = @('sh', '-c', 'echo started; sleep 60'); timeoutSeconds = 120 }
        } finally {
            Remove-Job -Job $later -Force
        }
        $reply.ok | Should -BeTrue
        $reply.result.outcome | Should -Be 'lost'
        $reply.result.vmState | Should -Be 'Off'
        $reply.result.message | Should -Match 'no longer running'
        $output = Read-Live
        @($output.Live | ForEach-Object { $_.text }) | Should -Be @('started')
        $output.Result | Should -BeNullOrEmpty
        Get-MarkedProcesses -Needle ('GPUPV_RUN_ID=run-3') | Should -BeNullOrEmpty
        (Invoke-Operation 'Get-GpuPvGuestReadiness').result.outcome | Should -Be 'notRunning'
    }
}

Describe 'Send-GpuPvGuestFiles and Remove-GpuPvGuestFolder' {
    BeforeEach {
        New-DirectGuest
        $script:Local = Join-Path $script:Work 'package'
        $null = New-Item -ItemType Directory -Path $script:Local
        $script:Files = @(foreach ($name in @('pvsample.sys', 'pvsample.inf') + @($script:HostileFileNames | Select-Object -First 3)) {
                $path = Join-Path $script:Local $name
                [System.IO.File]::WriteAllText($path, 'bytes of ' + $name)
                @{ localPath = $path; relativePath = ('sub/' + $name) }
            })
        $script:Remote = Join-Path (Get-GuestWindows) 'Temp/GpuPv/run-1/package/pvsample'
        $script:Progress = Join-Path $script:Work 'progress.json'
    }

    It 'copies every file, hostile names too, into the fresh folder and reports progress per file' {
        $sent = Get-Result 'Send-GpuPvGuestFiles' (@{ vmId = $script:VmId; vmName = 'x'; remoteDir = $script:Remote; files = $script:Files; progressFile = $script:Progress; cancelFile = $script:Cancel } + (Get-GuestCredential))
        $sent.outcome | Should -Be 'copied'
        $sent.remoteDir | Should -BeExactly $script:Remote
        @($sent.files).Count | Should -Be 5
        foreach ($file in $sent.files) {
            $file.remotePath | Should -BeExactly (Join-Path $script:Remote $file.relativePath)
            [System.IO.File]::ReadAllText($file.remotePath) | Should -BeExactly ('bytes of ' + (Split-Path -Leaf $file.relativePath))
        }
        ([System.IO.File]::ReadAllText($script:Progress) | ConvertFrom-Json).filesDone | Should -Be 5
        $again = Get-Result 'Send-GpuPvGuestFiles' (@{ vmId = $script:VmId; vmName = 'x'; remoteDir = $script:Remote; files = $script:Files } + (Get-GuestCredential))
        $again.outcome | Should -Be 'exists'
        (Get-Result 'Remove-GpuPvGuestFolder' (@{ vmId = $script:VmId; vmName = 'x'; remoteDir = $script:Remote } + (Get-GuestCredential))).outcome | Should -Be 'removed'
        Test-Path -LiteralPath $script:Remote | Should -BeFalse
        Test-Path -LiteralPath (Split-Path -Parent $script:Remote) | Should -BeTrue
    }

    It 'removes the fresh folder of a cancelled copy, and reports a VM that goes away mid-copy' {
        [System.IO.File]::WriteAllText($script:Cancel, '')
        $cancelled = Get-Result 'Send-GpuPvGuestFiles' (@{ vmId = $script:VmId; vmName = 'x'; remoteDir = $script:Remote; files = $script:Files; cancelFile = $script:Cancel } + (Get-GuestCredential))
        $cancelled.outcome | Should -Be 'cancelled'
        $cancelled.removed | Should -BeTrue
        Test-Path -LiteralPath $script:Remote | Should -BeFalse
        $doc = Read-StandInState
        Set-StandInFault $doc @(@{ function = 'Send-GpuPvGuestFiles'; kind = 'vmGoneMidCopy'; afterFiles = 2 })
        [System.IO.File]::WriteAllText($env:GPUPV_FAKE_HYPERV_STATE, (ConvertTo-Json -InputObject $doc -Depth 32))
        $lost = Get-Result 'Send-GpuPvGuestFiles' (@{ vmId = $script:VmId; vmName = 'x'; remoteDir = $script:Remote; files = $script:Files } + (Get-GuestCredential))
        $lost.outcome | Should -Be 'lost'
        $lost.vmState | Should -Be 'Off'
        $lost.removed | Should -BeFalse
        @(Get-ChildItem -LiteralPath $script:Remote -Recurse -File).Count | Should -Be 2
    }
}

Describe 'Receive-GpuPvGuestLogs' {
    BeforeEach { New-DirectGuest }

    It 'brings back whole logs, the tail of a large one, skips a large dump and notes what is missing' {
        $windows = Get-GuestWindows
        $null = New-Item -ItemType Directory -Path (Join-Path $windows 'INF'), (Join-Path $windows 'Minidump') -Force
        [System.IO.File]::WriteAllText((Join-Path $windows 'INF/setupapi.dev.log'), ('old line' + "`n") * 100 + 'newest line')
        [System.IO.File]::WriteAllText((Join-Path $windows ('Minidump/' + $script:HostileFileNames[1] + '.dmp')), 'small dump')
        [System.IO.File]::WriteAllBytes((Join-Path $windows 'Minidump/huge.dmp'), [byte[]]::new(5000))
        $local = Join-Path $script:Work 'logs'
        $requests = @(
            @{ remotePath = (Join-Path $windows 'INF/setupapi.dev.log'); maxBytes = 20; whenLarger = 'keepTail' },
            @{ remotePath = (Join-Path $windows 'Minidump/*.DMP'); maxBytes = 1000; whenLarger = 'skip' },
            @{ remotePath = (Join-Path $windows 'MEMORY.DMP'); maxBytes = 1000; whenLarger = 'skip' }
        )
        $got = Get-Result 'Receive-GpuPvGuestLogs' (@{ vmId = $script:VmId; vmName = 'x'; requests = $requests; localDir = $local } + (Get-GuestCredential))
        $got.outcome | Should -Be 'received'
        @($got.files | ForEach-Object { Split-Path -Leaf $_.localPath }) | Should -Be @('setupapi.dev.log', ($script:HostileFileNames[1] + '.dmp'))
        $tail = @($got.files)[0]
        $tail.truncated | Should -BeTrue
        $tail.bytes | Should -Be 20
        [System.IO.File]::ReadAllText($tail.localPath) | Should -BeExactly ("old line`nnewest line")
        [System.IO.File]::ReadAllText(@($got.files)[1].localPath) | Should -BeExactly 'small dump'
        @($got.notes | ForEach-Object { $_.kind + ' ' + (Split-Path -Leaf $_.remotePath) }) | Should -Be @('truncated setupapi.dev.log', 'skipped huge.dmp', 'missing MEMORY.DMP')
        @(Get-ChildItem -LiteralPath (Join-Path $windows 'Temp/GpuPv') -Filter 'log-tail-*' -ErrorAction SilentlyContinue).Count | Should -Be 0
    }
}
