# GpuPv.psm1, every exported function, in real PowerShell: the module as users run it, with
# only the Hyper-V, Storage and platform cmdlets stood in (test/fakes/hyperv/modules).

BeforeAll {
    . (Join-Path $PSScriptRoot 'StandInHost.ps1')
    Import-GpuPv
    $script:DriverTest = '3f8a2c4e-9b1d-4e7a-8c2f-5d6e7a8b9c01'
    $script:GpuPReady = 'e4a61f0b-2c95-4d7e-8a3b-f6c1d90e7b28'
    $script:HostPackage = 'nv_dispi.inf_amd64_8e1c2f6d7a9b3e05'
}

Describe 'The call contract: base64 JSON in, one JSON line out' {
    BeforeEach { $null = New-StandInState }

    It 'hands every hostile name to the cmdlets verbatim and returns it exactly' {
        $names = @($script:HostileNames | Where-Object { $_ })
        $null = New-StandInState -Edit {
            param($doc)
            $template = @($doc.vms | Where-Object { $_.name -eq 'Ubuntu-24.04-Tools' })[0]
            $i = 0
            $doc.vms = @($names | ForEach-Object {
                    $vm = $template | ConvertTo-Json -Depth 16 | ConvertFrom-Json
                    $vm.id = '7a1c0de5-0000-4000-8000-' + $i.ToString('000000000000')
                    $vm.name = $_
                    $i++
                    $vm
                })
        }
        foreach ($name in $names) {
            $started = Get-Result 'Invoke-GpuPvVmAction' @{ vmName = $name; action = 'start' }
            $started.name | Should -BeExactly $name
            $started.state | Should -Be 'Running'
            (Get-Result 'Invoke-GpuPvCheckpoint' @{ vmName = $name; action = 'create'; name = $name }).checkpoint.name | Should -BeExactly $name
        }
        @((Read-StandInState).vms | Where-Object { $_.state -ne 'Running' }).Count | Should -Be 0
    }

    It 'writes non-ASCII only as \uXXXX escapes, so the line survives any console code page' {
        $reply = Invoke-GpuPv 'Get-GpuPvInventory'
        $reply.Line | Should -Not -Match '[^\x00-\x7F]'
        $reply.Line | Should -Match 'Tom\\u2019s'
        # Read from the document, not written here: U+2019 ends a PowerShell string as ' does.
        $stored = @((Read-StandInState).vms | Where-Object { $_.name -like 'Tom*' })[0].name
        @($reply.result.vms | Where-Object { $_.name -like 'Tom*' })[0].name | Should -BeExactly $stored
    }

    It 'sends Encode values, which can exceed 2^53, as exact decimal strings' {
        $gpu = @((Get-Result 'Get-GpuPvInventory').gpus)[0]
        $gpu.totalEncode | Should -BeOfType [string]
        $gpu.totalEncode | Should -BeExactly '18446744073709551615'
        $gpu.totalVram | Should -BeOfType [long]
        $set = Get-Result 'Set-GpuPvPartition' @{ vmName = 'Win11-DriverTest'; values = @{ maxEncode = '18446744073709551615'; minEncode = '9007199254740993' } }
        $set.maxEncode | Should -BeExactly '18446744073709551615'
        $set.minEncode | Should -BeExactly '9007199254740993'
    }

    It 'keeps single results as arrays and serializes the whole depth of the inventory' {
        $null = New-StandInState -Edit { param($doc) $doc.vms = @($doc.vms | Where-Object { $_.name -eq 'WS2025-BuildAgent' }) }
        $reply = Invoke-GpuPv 'Get-GpuPvInventory'
        $reply.Line | Should -Match '"vms":\[\{'
        $reply.Line | Should -Match '"checkpoints":\[\{'
        $reply.Line | Should -Match '"validPartitionCounts":\[32,16'
        $reply.Line | Should -Not -Match 'System\.Collections|@\{'
        $vm = @($reply.result.vms)[0]
        $vm.integrationServices[0].name | Should -BeExactly 'Guest Service Interface'
        $reply.result.gpus[0].validPartitionCounts.Count | Should -Be 6
    }

    It 'refuses parameters that are not base64 of a JSON object, without quoting them' {
        $bad = & 'Get-GpuPvInventory' -EncodedParams 'not base64 at all!' | ConvertFrom-Json
        $bad.error.code | Should -Be 'InvalidParameter'
        $bad.error.message | Should -Not -Match 'not base64 at all'
        $array = & 'Get-GpuPvInventory' -EncodedParams ([System.Convert]::ToBase64String([System.Text.Encoding]::UTF8.GetBytes('[1,2]'))) | ConvertFrom-Json
        $array.error.message | Should -BeExactly 'EncodedParams must encode a JSON object.'
        Get-ErrorCode 'Invoke-GpuPvVmAction' @{ action = 'start' } | Should -Be 'InvalidParameter'
        Get-ErrorCode 'Invoke-GpuPvVmAction' @{ vmName = 'Win11-Perf'; action = 'explode' } | Should -Be 'InvalidParameter'
        Get-ErrorCode 'Invoke-GpuPvVmAction' @{ vmId = 'not-a-guid'; vmName = 'x'; action = 'start' } | Should -Be 'InvalidParameter'
    }
}

Describe 'Error codes, from the error records the cmdlets throw' {
    BeforeEach { $null = New-StandInState }

    It 'VmNotFound for a name or an id Hyper-V does not know, naming it' {
        $reply = Invoke-GpuPv 'Invoke-GpuPvVmAction' @{ vmName = 'no such VM'; action = 'start' }
        $reply.error.code | Should -Be 'VmNotFound'
        $reply.error.message | Should -Match "no such VM"
        (Invoke-GpuPv 'Invoke-GpuPvVmAction' @{ vmId = '00000000-0000-4000-8000-000000000001'; vmName = 'Gone'; action = 'start' }).error.message | Should -Match "'Gone' no longer exists"
    }

    It 'names with wildcard characters match exactly, never as patterns' {
        $null = New-StandInState -Edit { param($doc) $doc.vms[0].name = 'Lab [A]*'; $doc.vms[1].name = 'Lab A1' }
        (Get-Result 'Invoke-GpuPvVmAction' @{ vmName = 'Lab [A]*'; action = 'turnoff' }).name | Should -BeExactly 'Lab [A]*'
        (Get-VmRecord 'Lab A1').state | Should -Be 'Paused'
    }

    It 'Failed with Hyper-V''s own words for an action the VM''s state does not allow' {
        $reply = Invoke-GpuPv 'Invoke-GpuPvVmAction' @{ vmName = 'Win11-DriverTest'; action = 'start' }
        $reply.error.code | Should -Be 'Failed'
        $reply.error.message | Should -Match 'cannot be performed while the object is in its current state'
    }

    It 'AccessDenied without Hyper-V rights, and from the permission error a cmdlet throws' {
        $null = New-StandInState -Edit { param($doc) $doc.host.isHyperVAdmin = $false }
        Get-ErrorCode 'Invoke-GpuPvVmAction' @{ vmName = 'Win11-Perf'; action = 'resume' } | Should -Be 'AccessDenied'
        $inventory = Get-Result 'Get-GpuPvInventory'
        $inventory.host.isHyperVAdmin | Should -BeFalse
        @($inventory.vms).Count | Should -Be 0
        $null = New-StandInState -Edit { param($doc) Set-StandInFault $doc @(@{ function = 'Get-GpuPvInventory'; kind = 'accessDenied' }) }
        $reply = Invoke-GpuPv 'Get-GpuPvInventory'
        $reply.error.code | Should -Be 'AccessDenied'
        $reply.error.message | Should -Match 'required permission'
        (Get-Result 'Get-GpuPvInventory').host.name | Should -Be 'GPU-WORKSTATION'
    }

    It 'HostUnreachable, AccessDenied and Failed for remote hosts, as WinRM and Hyper-V word them' {
        $null = New-StandInState -Edit {
            param($doc)
            $doc.standIn.remoteHosts.'GPU-LAB-02'.host.isHyperVAdmin = $false
        }
        Get-ErrorCode 'Get-GpuPvInventory' @{ computerName = 'lab-99' } | Should -Be 'HostUnreachable'
        Get-ErrorCode 'Get-GpuPvInventory' @{ computerName = 'OLD-HV-HOST' } | Should -Be 'HostUnreachable'
        Get-ErrorCode 'Get-GpuPvInventory' @{ computerName = 'GPU-LAB-02' } | Should -Be 'AccessDenied'
    }

    It 'HyperVModuleMissing where the Hyper-V module is not installed; the inventory still names the host' {
        try {
            Import-GpuPv -Without @('Hyper-V')
            $reply = Invoke-GpuPv 'Invoke-GpuPvVmAction' @{ vmName = 'Win11-Perf'; action = 'resume' }
            $reply.error.code | Should -Be 'HyperVModuleMissing'
            $reply.error.message | Should -Match "Hyper-V Module for Windows PowerShell"
            $inventory = Get-Result 'Get-GpuPvInventory'
            $inventory.host.hyperVModule | Should -BeFalse
            $inventory.host.name | Should -Be 'GPU-WORKSTATION'
        } finally {
            Import-GpuPv
        }
    }

    It 'CredentialRejected for a password the guest refuses; the password is never in the reply' {
        $reply = Invoke-GpuPv 'Get-GpuPvGuestDriverInfo' (@{ vmName = 'Win11-DriverTest' } + (Get-GuestCredential -Password 'wrong'))
        $reply.error.code | Should -Be 'CredentialRejected'
        $reply.Line | Should -Not -Match 'wrong'
    }
}

Describe 'Get-GpuPvInventory' {
    BeforeEach { $null = New-StandInState }

    It 'describes the host, its GPUs and every VM from the cmdlets'' objects' {
        $inventory = Get-Result 'Get-GpuPvInventory'
        $inventory.host.name | Should -Be 'GPU-WORKSTATION'
        $inventory.host.osBuild | Should -Be '26100.2314'
        $inventory.host.simulated | Should -BeTrue
        @($inventory.vms | ForEach-Object { $_.name }) | Should -Be @($inventory.vms | ForEach-Object { $_.name } | Sort-Object)
        $vm = @($inventory.vms | Where-Object { $_.name -eq 'Win11-DriverTest' })[0]
        $vm.id | Should -Be $script:DriverTest
        $vm.state | Should -Be 'Running'
        $vm.uptimeSeconds | Should -Be 15342
        $vm.memoryAssigned | Should -Be 8589934592
        $vm.automaticStopAction | Should -Be 'TurnOff'
        $vm.lowMmioGapSize | Should -Be 1073741824
        $vm.gpuPartitions[0].adapterId | Should -Be '5f0c8e2a-1b7d-4c93-a6e4-9d2b3f81c075'
        $vm.gpuPartitions[0].minVram | Should -Be 500000000
        @($vm.checkpoints | ForEach-Object { $_.name })[0] | Should -Be 'Clean install (Windows 11 24H2)'
        @($vm.checkpoints)[1].parentId | Should -Be '0b6f2d4a-8e13-4c97-a5d2-61f3e8b7c940'
        $vm.integrationServices[0].id | Should -Match '6C09BB55-D683-4DA0-8931-C9BF705F6480$'
        $inventory.gpus[0].friendlyName | Should -Be 'NVIDIA GeForce RTX 4090'
        $inventory.gpus[1].friendlyName | Should -Be 'Intel(R) Arc(TM) A770 Graphics'
        $inventory.hostDriver.version | Should -Be '32.0.15.6094'
        $inventory.hostDriver.infName | Should -Be 'oem42.inf'
    }

    It 'reads a remote host with -ComputerName, and its build from that host' {
        $remote = Get-Result 'Get-GpuPvInventory' @{ computerName = 'GPU-LAB-02' }
        $remote.host.name | Should -Be 'GPU-LAB-02'
        $remote.host.osBuild | Should -Be '20348.2762'
        @($remote.vms | ForEach-Object { $_.name }) | Should -Contain 'WS2022-CI-Runner-01'
        $remote.hostDriver | Should -BeNullOrEmpty
    }

    It 'is one module call, logged once by the stand-in, whatever the number of VMs' {
        $null = New-StandInState -Edit {
            param($doc)
            $template = $doc.vms[0] | ConvertTo-Json -Depth 16
            $doc.vms = @(0..199 | ForEach-Object {
                    $vm = $template | ConvertFrom-Json
                    $vm.id = '5ca1e000-0000-4000-8000-' + $_.ToString('000000000000')
                    $vm.name = 'Scale-' + $_.ToString('000')
                    $vm
                })
        }
        @((Get-Result 'Get-GpuPvInventory').vms).Count | Should -Be 200
        $calls = @(Read-CallLog | Where-Object { $_.function -ne 'Import-Module' })
        $calls.Count | Should -Be 1
        $calls[0].function | Should -Be 'Get-GpuPvInventory'
        $calls[0].command | Should -Match "^Get-GpuPvInventory -EncodedParams '[A-Za-z0-9+/=]*'$"
    }
}

Describe 'Get-GpuPvInventory: GPU load of each VM' {
    BeforeEach {
        $null = New-StandInState
        # A new session: the module has no earlier sample.
        & (Get-Module -Name 'GpuPv') { $script:GpuEngineBaseline = @{}; $script:GpuSampledProcesses = @{} }
    }

    It 'reads each running GPU-P VM''s engines and memory from its worker process''s counters, one sample per call' {
        $first = @((Get-Result 'Get-GpuPvInventory').vms)
        $test = @($first | Where-Object { $_.name -eq 'Win11-DriverTest' })[0]
        $test.gpuLoad.sampled | Should -BeFalse
        @($test.gpuLoad.engines | Where-Object { $null -ne $_.percent }).Count | Should -Be 0
        $stored = @((Read-StandInState).vms | Where-Object { $_.name -eq 'Win11-DriverTest' })[0].gpuLoad
        $test.gpuLoad.dedicatedBytes | Should -Be $stored.dedicatedBytes
        Start-Sleep -Milliseconds 400
        $vms = @((Get-Result 'Get-GpuPvInventory').vms)
        $test = @($vms | Where-Object { $_.name -eq 'Win11-DriverTest' })[0]
        $test.gpuLoad.sampled | Should -BeTrue
        $percent = @{}
        foreach ($engine in @($test.gpuLoad.engines)) { $percent[$engine.type] = $engine.percent }
        $percent['3D'] | Should -BeGreaterOrEqual 61.5
        $percent['3D'] | Should -BeLessOrEqual 62.5
        $percent['Copy'] | Should -BeGreaterOrEqual 7.5
        $percent['VideoDecode'] | Should -BeGreaterOrEqual 14.5
        $percent['VideoEncode'] | Should -Be 0
        $test.gpuLoad.sharedBytes | Should -Be $stored.sharedBytes
        # The other running VM on the same GPU has its own worker process and numbers.
        $hostile = @($vms | Where-Object { $_.name -like 'Tom*' })[0]
        @($hostile.gpuLoad.engines | Where-Object { $_.type -eq 'VideoEncode' })[0].percent | Should -BeGreaterOrEqual 39.5
        @($hostile.gpuLoad.engines | Where-Object { $_.type -eq '3D' })[0].percent | Should -BeLessOrEqual 21.5
        # Paused, saved and off VMs run no GPU work: no load at all.
        foreach ($name in @('Win11-Perf', 'WS2025-BuildAgent', 'Win11-GpuP-Ready')) {
            @($vms | Where-Object { $_.name -eq $name })[0].PSObject.Properties['gpuLoad'] | Should -BeNullOrEmpty
        }
    }

    It 'measures a GPU-P VM whose guest has not used the GPU yet as idle, not as waiting for a sample' {
        $null = New-StandInState -Edit { param($doc) @($doc.vms | Where-Object { $_.name -eq 'Win11-GpuP-Ready' })[0].state = 'Running' }
        $first = @((Get-Result 'Get-GpuPvInventory').vms | Where-Object { $_.name -eq 'Win11-GpuP-Ready' })[0]
        $first.gpuLoad.sampled | Should -BeFalse
        $idle = @((Get-Result 'Get-GpuPvInventory').vms | Where-Object { $_.name -eq 'Win11-GpuP-Ready' })[0]
        $idle.gpuLoad.sampled | Should -BeTrue
        @($idle.gpuLoad.engines | ForEach-Object { $_.percent } | Sort-Object -Unique) | Should -Be @(0)
        $idle.gpuLoad.dedicatedBytes | Should -Be 0
    }

    It 'follows a change of load from the next sample on' {
        $null = Get-Result 'Get-GpuPvInventory'
        $path = $env:GPUPV_FAKE_HYPERV_STATE
        $doc = Read-StandInState
        @($doc.vms | Where-Object { $_.name -eq 'Win11-DriverTest' })[0].gpuLoad.engines.'3D' = 5
        [System.IO.File]::WriteAllText($path, (ConvertTo-Json -InputObject $doc -Depth 32))
        Start-Sleep -Milliseconds 300
        $test = @((Get-Result 'Get-GpuPvInventory').vms | Where-Object { $_.name -eq 'Win11-DriverTest' })[0]
        $threeD = @($test.gpuLoad.engines | Where-Object { $_.type -eq '3D' })[0].percent
        $threeD | Should -BeGreaterOrEqual 4.5
        $threeD | Should -BeLessOrEqual 5.5
    }

    It 'still lists every VM when the host has no GPU counters, and reads none for a remote host' {
        $null = New-StandInState -Edit { param($doc) Set-StandInFault $doc @(@{ kind = 'cmdletError'; cmdlet = 'Get-GpuPvPlatformGpuEngineCounters'; text = 'Invalid class "Win32_PerfRawData_GPUPerformanceCounters_GPUEngine"'; times = -1 }) }
        $vms = @((Get-Result 'Get-GpuPvInventory').vms)
        $vms.Count | Should -Be 6
        @($vms | Where-Object { $null -ne $_.PSObject.Properties['gpuLoad'] }).Count | Should -Be 0
        $remote = @((Get-Result 'Get-GpuPvInventory' @{ computerName = 'GPU-LAB-02' }).vms)
        @($remote | Where-Object { $_.state -eq 'Running' -and $_.gpuPartitions.Count -gt 0 }).Count | Should -BeGreaterThan 0
        @($remote | Where-Object { $null -ne $_.PSObject.Properties['gpuLoad'] }).Count | Should -Be 0
    }
}

Describe 'Invoke-GpuPvVmAction' {
    BeforeEach { $null = New-StandInState }

    It 'moves a VM through start, pause, resume, save, start, restart, shut down and turn off' {
        $steps = @(
            @('Win11-GpuP-Ready', 'start', 'Running'),
            @('Win11-GpuP-Ready', 'pause', 'Paused'),
            @('Win11-GpuP-Ready', 'resume', 'Running'),
            @('Win11-GpuP-Ready', 'save', 'Saved'),
            @('Win11-GpuP-Ready', 'start', 'Running'),
            @('Win11-GpuP-Ready', 'restart', 'Running'),
            @('Win11-GpuP-Ready', 'shutdown', 'Off'),
            @('Win11-DriverTest', 'turnoff', 'Off')
        )
        foreach ($step in $steps) {
            (Get-Result 'Invoke-GpuPvVmAction' @{ vmName = $step[0]; action = $step[1] }).state | Should -Be $step[2] -Because ($step[0] + ' ' + $step[1])
            (Get-VmRecord $step[0]).state | Should -Be $step[2]
        }
        (Get-VmRecord 'Win11-DriverTest').memoryAssigned | Should -Be 0
    }

    It 'acts on the VM with the given id even when another VM has its name' {
        $null = New-StandInState -Edit { param($doc) $doc.vms[3].name = 'Win11-DriverTest' }
        Get-ErrorCode 'Invoke-GpuPvVmAction' @{ vmName = 'Win11-DriverTest'; action = 'turnoff' } | Should -Be 'InvalidParameter'
        (Get-Result 'Invoke-GpuPvVmAction' @{ vmId = $script:GpuPReady; vmName = 'Win11-DriverTest'; action = 'start' }).id | Should -Be $script:GpuPReady
    }
}

Describe 'GPU partitions: Set-, Add- and Remove-GpuPvPartition' {
    BeforeEach { $null = New-StandInState }

    It 'sets any subset of values, accepting 3GB-style text and exact decimal strings' {
        $adapter = Get-Result 'Set-GpuPvPartition' @{ vmName = 'Win11-DriverTest'; values = @{ minVram = '100MB'; maxVram = 200000000; optimalCompute = '1000000000' } }
        $adapter.minVram | Should -Be 104857600
        $adapter.maxVram | Should -Be 200000000
        $adapter.optimalCompute | Should -Be 1000000000
        $adapter.maxDecode | Should -Be 500000000
        (Get-VmRecord 'Win11-DriverTest').gpuPartitions[0].minVram | Should -Be 104857600
    }

    It 'refuses unknown, missing and negative values, and a VM without a partition' {
        Get-ErrorCode 'Set-GpuPvPartition' @{ vmName = 'Win11-DriverTest'; values = @{ maxShare = 1 } } | Should -Be 'InvalidParameter'
        Get-ErrorCode 'Set-GpuPvPartition' @{ vmName = 'Win11-DriverTest'; values = @{} } | Should -Be 'InvalidParameter'
        Get-ErrorCode 'Set-GpuPvPartition' @{ vmName = 'Win11-DriverTest'; values = @{ minVram = -1 } } | Should -Be 'InvalidParameter'
        Get-ErrorCode 'Set-GpuPvPartition' @{ vmName = 'Ubuntu-24.04-Tools'; values = @{ minVram = 1 } } | Should -Be 'InvalidParameter'
    }

    It 'adds a partition to an off VM from the chosen GPU, and refuses a running one' {
        $intel = [string]((Read-StandInState).gpus[1].instancePath)
        $added = Get-Result 'Add-GpuPvPartition' @{ vmName = 'Ubuntu-24.04-Tools'; instancePath = $intel }
        $added.instancePath | Should -Be $intel
        $added.maxEncode | Should -BeOfType [string]
        @((Get-VmRecord 'Ubuntu-24.04-Tools').gpuPartitions).Count | Should -Be 1
        (Invoke-GpuPv 'Add-GpuPvPartition' @{ vmName = 'Win11-DriverTest' }).error.message | Should -Match 'current state'
    }

    It 'removes one adapter by id, or every adapter of the VM' {
        $null = Get-Result 'Add-GpuPvPartition' @{ vmName = 'Win11-GpuP-Ready' }
        $ids = @((Get-VmRecord 'Win11-GpuP-Ready').gpuPartitions | ForEach-Object { [string]$_.adapterId })
        Get-ErrorCode 'Set-GpuPvPartition' @{ vmName = 'Win11-GpuP-Ready'; values = @{ minVram = 1 } } | Should -Be 'InvalidParameter'
        (Get-Result 'Remove-GpuPvPartition' @{ vmName = 'Win11-GpuP-Ready'; adapterId = $ids[1] }).removed | Should -Be @($ids[1])
        (Get-Result 'Remove-GpuPvPartition' @{ vmName = 'Win11-GpuP-Ready' }).removed | Should -Be @($ids[0])
        @((Get-VmRecord 'Win11-GpuP-Ready').gpuPartitions).Count | Should -Be 0
    }
}

Describe 'Set-GpuPvVmForGpuP' {
    BeforeEach { $null = New-StandInState }

    It 'lists the changes on a dry run and changes nothing' {
        $plan = Get-Result 'Set-GpuPvVmForGpuP' @{ vmName = 'Ubuntu-24.04-Tools'; dryRun = $true; lowMmio = '3GB'; highMmio = 34359738368; automaticStopAction = 'TurnOff'; staticMemory = $true }
        $plan.dryRun | Should -BeTrue
        $plan.applied | Should -BeFalse
        @($plan.changes | ForEach-Object { $_.setting }) | Should -Be @('GuestControlledCacheTypes', 'LowMemoryMappedIoSpace', 'HighMemoryMappedIoSpace', 'AutomaticStopAction', 'DynamicMemoryEnabled')
        (Get-VmRecord 'Ubuntu-24.04-Tools').guestControlledCacheTypes | Should -BeFalse
    }

    It 'applies them to an off VM, after which a second run has nothing to change' {
        $applied = Get-Result 'Set-GpuPvVmForGpuP' @{ vmName = 'Ubuntu-24.04-Tools'; lowMmio = '3GB'; highMmio = '32GB'; automaticStopAction = 'TurnOff'; staticMemory = $true }
        $applied.applied | Should -BeTrue
        $vm = Get-VmRecord 'Ubuntu-24.04-Tools'
        $vm.guestControlledCacheTypes | Should -BeTrue
        $vm.lowMmioGapSize | Should -Be 3221225472
        $vm.automaticStopAction | Should -Be 'TurnOff'
        $vm.dynamicMemoryEnabled | Should -BeFalse
        $again = Get-Result 'Set-GpuPvVmForGpuP' @{ vmName = 'Ubuntu-24.04-Tools'; lowMmio = '3GB'; highMmio = '32GB'; automaticStopAction = 'TurnOff'; staticMemory = $true }
        @($again.changes).Count | Should -Be 0
        $again.applied | Should -BeFalse
    }

    It 'refuses to change a VM that is not off, and says why' {
        $reply = Invoke-GpuPv 'Set-GpuPvVmForGpuP' @{ vmName = 'WS2025-BuildAgent'; staticMemory = $true }
        $reply.error.code | Should -Be 'InvalidParameter'
        $reply.error.message | Should -Match 'is Saved; turn it off'
        (Get-VmRecord 'WS2025-BuildAgent').dynamicMemoryEnabled | Should -BeTrue
    }
}

Describe 'Invoke-GpuPvCheckpoint' {
    BeforeEach { $null = New-StandInState }

    It 'creates a checkpoint under the current one, with Hyper-V''s default name when none is given' {
        $created = (Get-Result 'Invoke-GpuPvCheckpoint' @{ vmName = 'Win11-DriverTest'; action = 'create' }).checkpoint
        $created.name | Should -Match '^Win11-DriverTest - \(\d{1,2}/\d{1,2}/\d{4} - \d{1,2}:\d{2}:\d{2} [AP]M\)$'
        $created.parentId | Should -Be '7e4c1a9d-25b6-4f83-9c0e-d2a8b5f61347'
        $next = (Get-Result 'Invoke-GpuPvCheckpoint' @{ vmName = 'Win11-DriverTest'; action = 'create'; name = 'next' }).checkpoint
        $next.parentId | Should -Be $created.id
    }

    It 'applies a checkpoint: the VM is off and new checkpoints hang under the applied one' {
        $applied = Get-Result 'Invoke-GpuPvCheckpoint' @{ vmName = 'Win11-DriverTest'; action = 'apply'; checkpointId = 'c3d85e2f-9a47-4b10-8e6d-4f27a1c93b58' }
        $applied.state | Should -Be 'Off'
        (Get-Result 'Invoke-GpuPvCheckpoint' @{ vmName = 'Win11-DriverTest'; action = 'create'; name = 'after apply' }).checkpoint.parentId | Should -Be 'c3d85e2f-9a47-4b10-8e6d-4f27a1c93b58'
    }

    It 'deletes a checkpoint: its children move up to its parent' {
        $null = Get-Result 'Invoke-GpuPvCheckpoint' @{ vmName = 'Win11-DriverTest'; action = 'delete'; name = 'Clean install (Windows 11 24H2)' }
        $left = @((Get-Result 'Get-GpuPvInventory').vms | Where-Object { $_.name -eq 'Win11-DriverTest' })[0].checkpoints
        @($left).Count | Should -Be 2
        @($left | Where-Object { $null -ne $_.parentId }).Count | Should -Be 0
    }

    It 'needs the id when names repeat, and says so' {
        $null = Get-Result 'Invoke-GpuPvCheckpoint' @{ vmName = 'Win11-Perf'; action = 'create'; name = 'twin' }
        $null = Get-Result 'Invoke-GpuPvCheckpoint' @{ vmName = 'Win11-Perf'; action = 'create'; name = 'twin' }
        (Invoke-GpuPv 'Invoke-GpuPvCheckpoint' @{ vmName = 'Win11-Perf'; action = 'apply'; name = 'twin' }).error.message | Should -Match 'pass checkpointId'
        Get-ErrorCode 'Invoke-GpuPvCheckpoint' @{ vmName = 'Win11-Perf'; action = 'apply'; name = 'nope' } | Should -Be 'InvalidParameter'
    }
}

Describe 'Enable-GpuPvGuestServices' {
    BeforeEach { $null = New-StandInState }

    It 'turns Guest Service Interface on once, found by its component id' {
        $first = Get-Result 'Enable-GpuPvGuestServices' @{ vmName = 'Win11-GpuP-Ready' }
        $first.changed | Should -BeTrue
        $first.enabled | Should -BeTrue
        (Get-Result 'Enable-GpuPvGuestServices' @{ vmName = 'Win11-GpuP-Ready' }).changed | Should -BeFalse
    }
}

Describe 'Sync-GpuPvHostDriver' {
    BeforeEach {
        $null = New-StandInState
        $script:Progress = Join-Path $TestDrive ([guid]::NewGuid().ToString('n') + '.json')
    }

    It 'copies the host package into a running guest over PowerShell Direct, reporting progress per file' {
        $result = Get-Result 'Sync-GpuPvHostDriver' (@{ vmName = 'Win11-DriverTest'; progressFile = $script:Progress } + (Get-GuestCredential))
        $result.mode | Should -Be 'direct'
        $result.filesCopied | Should -Be 40
        $result.bytes | Should -Be 400000
        $result.version | Should -Be '32.0.15.6094'
        $progress = [System.IO.File]::ReadAllText($script:Progress) | ConvertFrom-Json
        $progress.phase | Should -Be 'done'
        $progress.filesDone | Should -Be 40
        Get-GuestPackages $script:DriverTest | Should -Contain $script:HostPackage
        Get-GuestPackages $script:DriverTest | Should -Not -Match 'gpupv-partial'
        $info = Get-Result 'Get-GpuPvGuestDriverInfo' (@{ vmName = 'Win11-DriverTest' } + (Get-GuestCredential))
        $info.inSync | Should -BeTrue
        $info.version | Should -Be '32.0.15.6094'
    }

    It 'replaces a package that is there already and a staging folder an earlier run left, renaming only a whole copy' {
        $null = Get-Result 'Sync-GpuPvHostDriver' (@{ vmName = 'Win11-DriverTest' } + (Get-GuestCredential))
        $repo = Join-Path ($env:GPUPV_FAKE_HYPERV_STATE + '.disks') ($script:DriverTest + '/Windows/System32/HostDriverStore/FileRepository')
        $stale = Join-Path $repo ($script:HostPackage + '.gpupv-partial')
        $null = New-Item -ItemType Directory -Path $stale
        [System.IO.File]::WriteAllText((Join-Path $stale 'half.bin'), 'left by a run that died')
        [System.IO.File]::WriteAllText((Join-Path $repo ($script:HostPackage + '/extra.bin')), 'not part of the package')
        $again = Get-Result 'Sync-GpuPvHostDriver' (@{ vmName = 'Win11-DriverTest' } + (Get-GuestCredential))
        $again.filesCopied | Should -Be 40
        Get-GuestPackages $script:DriverTest | Should -Be @('nv_dispi.inf_amd64_0f3c1c4e2b5a9d71', $script:HostPackage)
        Test-Path -LiteralPath (Join-Path $repo ($script:HostPackage + '/extra.bin')) | Should -BeFalse
        @(Get-ChildItem -LiteralPath (Join-Path $repo $script:HostPackage) -Recurse -File).Count | Should -Be 40
    }

    It 'stops between two files once the cancel file exists, leaving the guest as it was' {
        $cancel = Join-Path $TestDrive 'cancel'
        [System.IO.File]::WriteAllText($cancel, '')
        $reply = Invoke-GpuPv 'Sync-GpuPvHostDriver' (@{ vmName = 'Win11-DriverTest'; cancelFile = $cancel } + (Get-GuestCredential))
        $reply.error.code | Should -Be 'Cancelled'
        $reply.error.message | Should -Match 'Cancelled after 0 of 40 files; the guest keeps the driver packages it had'
        Get-GuestPackages $script:DriverTest | Should -Be @('nv_dispi.inf_amd64_0f3c1c4e2b5a9d71')
    }

    It 'fails when the VM goes away mid-copy, and nothing half-copied is left where Windows would load it' {
        $null = New-StandInState -Edit { param($doc) Set-StandInFault $doc @(@{ kind = 'vmGoneMidCopy'; afterFiles = 7 }) }
        $reply = Invoke-GpuPv 'Sync-GpuPvHostDriver' (@{ vmName = 'Win11-DriverTest'; progressFile = $script:Progress } + (Get-GuestCredential))
        $reply.error.code | Should -Be 'Failed'
        $reply.error.message | Should -Match 'no longer running'
        ([System.IO.File]::ReadAllText($script:Progress) | ConvertFrom-Json).filesDone | Should -Be 7
        (Get-VmRecord 'Win11-DriverTest').state | Should -Be 'Off'
        Get-GuestPackages $script:DriverTest | Should -Not -Contain $script:HostPackage
    }

    It 'copies into an off VM''s disk through Mount-VHD, and always dismounts it' {
        $result = Get-Result 'Sync-GpuPvHostDriver' @{ vmName = 'Win11-GpuP-Ready' }
        $result.mode | Should -Be 'offline'
        $result.filesCopied | Should -Be 40
        Get-GuestPackages $script:GpuPReady | Should -Be @($script:HostPackage)
        @((Read-StandInState).standIn.mountedDisks.PSObject.Properties).Count | Should -Be 0
        @(Get-PSDrive -PSProvider FileSystem | Where-Object { $_.Root -like '*state.json.disks*' }).Count | Should -Be 0
    }

    It 'refuses a VM that is saved, a remote host, and a mode that does not fit the state' {
        (Invoke-GpuPv 'Sync-GpuPvHostDriver' @{ vmName = 'WS2025-BuildAgent' }).error.message | Should -Match 'VM is Saved'
        Get-ErrorCode 'Sync-GpuPvHostDriver' @{ vmName = 'Win11-DriverTest'; computerName = 'GPU-LAB-02' } | Should -Be 'InvalidParameter'
        Get-ErrorCode 'Sync-GpuPvHostDriver' @{ vmName = 'Win11-GpuP-Ready'; mode = 'direct' } | Should -Be 'InvalidParameter'
        Get-ErrorCode 'Sync-GpuPvHostDriver' @{ vmName = 'Win11-DriverTest'; mode = 'offline' } | Should -Be 'InvalidParameter'
    }
}

Describe 'Get-GpuPvGuestDriverInfo' {
    BeforeEach { $null = New-StandInState }

    It 'finds a stale copy of the host driver and the Code 43 adapter that comes with it' {
        $info = Get-Result 'Get-GpuPvGuestDriverInfo' (@{ vmName = 'Win11-DriverTest' } + (Get-GuestCredential))
        $info.inSync | Should -BeFalse
        $info.version | Should -Be '32.0.15.5612'
        $info.date | Should -Be '2024-05-21'
        $info.hostVersion | Should -Be '32.0.15.6094'
        @($info.adapters | Where-Object { $_.errorCode -eq 43 }).Count | Should -Be 1
    }

    It 'needs a running VM' {
        (Invoke-GpuPv 'Get-GpuPvGuestDriverInfo' (@{ vmName = 'Win11-GpuP-Ready' } + (Get-GuestCredential))).error.message | Should -Match 'must be running'
    }
}

Describe 'Get-GpuPvTestCertificate: the test certificate in the user''s store' {
    BeforeAll {
        # The PKI stand-in makes real certificates in .NET's CurrentUser\My; each test's subject is its own and removed after it.
        Import-Module -Name (Join-Path $script:Repo 'test/fakes/windows-tools/modules/PKI/PKI.psd1') -Force
        function Remove-StoreCertificates {
            param([string]$Subject)
            $store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', 'CurrentUser')
            $store.Open('ReadWrite')
            try { foreach ($c in @($store.Certificates | Where-Object { $_.Subject -eq $Subject })) { $store.Remove($c) } } finally { $store.Close() }
        }
    }
    BeforeEach {
        $null = New-StandInState
        $script:Subject = 'CN=pester ' + [guid]::NewGuid().ToString('n') + ' GPU-PV Test'
        $script:Cer = Join-Path $TestDrive ('certificates ''$(x)''/test.cer')
        $env:GPUPV_FAKE_CERT_STORE = Join-Path $TestDrive ('signtool-store-' + [guid]::NewGuid().ToString('n') + '.json')
        $script:Now = [datetime]::UtcNow
        $script:Ask = @{ subject = $script:Subject; validUntil = $script:Now.AddDays(1).ToString('o'); notAfter = $script:Now.AddDays(730).ToString('o'); keyLength = 2048; cerPath = $script:Cer }
    }
    AfterEach {
        Remove-StoreCertificates -Subject $script:Subject
        Remove-Item Env:GPUPV_FAKE_CERT_STORE -ErrorAction SilentlyContinue
    }

    It 'makes a code-signing certificate once, reuses it while it is valid, and writes its DER .cer each time' {
        $made = Get-Result 'Get-GpuPvTestCertificate' $script:Ask
        $made.created | Should -BeTrue
        $made.reason | Should -Be 'there was none yet'
        $made.subject | Should -BeExactly $script:Subject
        $made.thumbprint | Should -Match '^[0-9A-F]{40}$'
        $cer = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new([System.IO.File]::ReadAllBytes($script:Cer))
        $cer.Thumbprint | Should -Be $made.thumbprint
        $cer.HasPrivateKey | Should -BeFalse
        @($cer.Extensions | Where-Object { $_ -is [System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension] } | ForEach-Object { $_.EnhancedKeyUsages } | ForEach-Object { $_.Value }) | Should -Contain '1.3.6.1.5.5.7.3.3'
        ([datetime]$made.notAfter - $script:Now).TotalDays | Should -BeGreaterThan 729
        Remove-Item -LiteralPath $script:Cer
        $again = Get-Result 'Get-GpuPvTestCertificate' $script:Ask
        $again.created | Should -BeFalse
        $again.thumbprint | Should -Be $made.thumbprint
        Test-Path -LiteralPath $script:Cer | Should -BeTrue
        @(Get-Content -LiteralPath $env:GPUPV_FAKE_CERT_STORE -Raw | ConvertFrom-Json).thumbprint | Should -Be @($made.thumbprint)
    }

    It 'makes a new one when the one in the store expires before validUntil, and says so' {
        $short = Get-Result 'Get-GpuPvTestCertificate' $script:Ask
        $later = $script:Ask.Clone()
        $later.validUntil = $script:Now.AddDays(800).ToString('o')
        $later.notAfter = $script:Now.AddDays(1500).ToString('o')
        $renewed = Get-Result 'Get-GpuPvTestCertificate' $later
        $renewed.created | Should -BeTrue
        $renewed.thumbprint | Should -Not -Be $short.thumbprint
        $renewed.reason | Should -BeLike 'the one in the store expires 20*'
        # The newest is the one signed with from now on.
        (Get-Result 'Get-GpuPvTestCertificate' $script:Ask).thumbprint | Should -Be $renewed.thumbprint
    }

    It 'refuses a key size, a time or a host it cannot honour, before touching the store' {
        Get-ErrorCode 'Get-GpuPvTestCertificate' ($script:Ask.Clone() | ForEach-Object { $_.keyLength = 1024; $_ }) | Should -Be 'InvalidParameter'
        Get-ErrorCode 'Get-GpuPvTestCertificate' ($script:Ask.Clone() | ForEach-Object { $_.validUntil = 'next week'; $_ }) | Should -Be 'InvalidParameter'
        Get-ErrorCode 'Get-GpuPvTestCertificate' ($script:Ask.Clone() | ForEach-Object { $_.computerName = 'hv-elsewhere-07'; $_ }) | Should -Be 'InvalidParameter'
        Get-ErrorCode 'Get-GpuPvTestCertificate' @{ subject = $script:Subject } | Should -Be 'InvalidParameter'
        Test-Path -LiteralPath $env:GPUPV_FAKE_CERT_STORE | Should -BeFalse
    }
}

Describe 'Get-GpuPvStoreCertificate: a configured certificate from the user''s store' {
    BeforeAll {
        Import-Module -Name (Join-Path $script:Repo 'test/fakes/windows-tools/modules/PKI/PKI.psd1') -Force
    }
    BeforeEach {
        $null = New-StandInState
        $script:Subject = 'CN=pester ' + [guid]::NewGuid().ToString('n') + ' Signing'
        $script:Made = New-SelfSignedCertificate -Type CodeSigningCert -Subject $script:Subject -CertStoreLocation 'Cert:\CurrentUser\My' -KeyAlgorithm RSA -KeyLength 2048 -HashAlgorithm SHA256 -KeyExportPolicy NonExportable
        $script:Cer = Join-Path $TestDrive ([guid]::NewGuid().ToString('n') + '/signing.cer')
    }
    AfterEach {
        $store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', 'CurrentUser')
        $store.Open('ReadWrite')
        try { foreach ($c in @($store.Certificates | Where-Object { $_.Subject -eq $script:Subject })) { $store.Remove($c) } } finally { $store.Close() }
    }

    It 'finds it by thumbprint (any case, spaces allowed) or by a part of its subject, and exports its .cer' {
        $spaced = ($script:Made.Thumbprint.ToLowerInvariant() -replace '(.{8})', '$1 ').Trim()
        $byThumbprint = Get-Result 'Get-GpuPvStoreCertificate' @{ thumbprint = $spaced; cerPath = $script:Cer }
        $byThumbprint.thumbprint | Should -BeExactly $script:Made.Thumbprint.ToUpperInvariant()
        [System.Security.Cryptography.X509Certificates.X509Certificate2]::new([System.IO.File]::ReadAllBytes($script:Cer)).Thumbprint | Should -Be $script:Made.Thumbprint
        $part = $script:Subject.Substring(3, 20).ToUpperInvariant()
        (Get-Result 'Get-GpuPvStoreCertificate' @{ subject = $part; cerPath = $script:Cer }).thumbprint | Should -Be $byThumbprint.thumbprint
    }

    It 'says what it looked for and where when nothing matches, and wants exactly one of thumbprint and subject' {
        $reply = Invoke-GpuPv 'Get-GpuPvStoreCertificate' @{ subject = 'no such signer'; cerPath = $script:Cer }
        $reply.ok | Should -BeFalse
        $reply.error.message | Should -BeLike 'No certificate in Cert:\CurrentUser\My has a subject holding "no such signer"*Import-PfxCertificate*'
        Test-Path -LiteralPath $script:Cer | Should -BeFalse
        Get-ErrorCode 'Get-GpuPvStoreCertificate' @{ cerPath = $script:Cer } | Should -Be 'InvalidParameter'
        Get-ErrorCode 'Get-GpuPvStoreCertificate' @{ thumbprint = $script:Made.Thumbprint; subject = 'x'; cerPath = $script:Cer } | Should -Be 'InvalidParameter'
    }
}
