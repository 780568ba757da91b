# Discrete Device Assignment in GpuPv.psm1, in real PowerShell over the stand-in Hyper-V and
# PnpDevice modules: the host GPUs and the mode each is in, a GPU assigned to a VM and given
# back, and every refusal and failure said in words, with the host left as it was.

BeforeAll {
    . (Join-Path $PSScriptRoot 'StandInHost.ps1')
    Import-GpuPv
    $script:A2000 = 'PCIROOT(0)#PCI(0300)#PCI(0000)'
    $script:Rtx4090 = 'PCIROOT(0)#PCI(0100)#PCI(0000)'
    function Get-HostDevice([string]$LocationPath) {
        return @((Read-StandInState).devices | Where-Object { $_.locationPaths[0] -eq $LocationPath })[0]
    }
    function Get-HostGpu([string]$LocationPath) {
        return @((Get-Result 'Get-GpuPvInventory').hostGpus | Where-Object { $_.locationPath -eq $LocationPath })[0]
    }
}

Describe 'The host GPUs in the inventory' {
    BeforeEach { $null = New-StandInState }

    It 'lists each PCI display device with its location path, and says the GPU-P one is partitionable' {
        $gpus = @((Get-Result 'Get-GpuPvInventory').hostGpus)
        $gpus.Count | Should -Be 2
        $rtx = @($gpus | Where-Object { $_.locationPath -eq $script:Rtx4090 })[0]
        $rtx.name | Should -Be 'NVIDIA GeForce RTX 4090'
        $rtx.instanceId | Should -Be 'PCI\VEN_10DE&DEV_2684&SUBSYS_889D1043&REV_A1\4&2F1C3E8A&0&0019'
        $rtx.mode | Should -Be 'partitionable'
        $a2000 = @($gpus | Where-Object { $_.locationPath -eq $script:A2000 })[0]
        $a2000.mode | Should -Be 'host'
        $a2000.enabled | Should -BeTrue
        $a2000.vmName | Should -BeNullOrEmpty
    }

    It 'has no host GPUs for a remote host, where the PnP cmdlets do not reach' {
        $null = New-StandInState -Edit {
            param($doc)
            $doc.standIn.remoteHosts | Add-Member -Force -NotePropertyName 'LAB-HV01' -NotePropertyValue ([pscustomobject]@{ host = [pscustomobject]@{ name = 'LAB-HV01'; osBuild = '20348.1'; hyperVModule = $true; isHyperVAdmin = $true }; vms = @(); gpus = @(); hostDriver = $null })
        }
        @((Get-Result 'Get-GpuPvInventory' @{ computerName = 'LAB-HV01' }).hostGpus).Count | Should -Be 0
    }
}

Describe 'Invoke-GpuPvDda' {
    BeforeEach { $null = New-StandInState }

    It 'lists every step of an assignment on a dry run and changes nothing' {
        $before = [System.IO.File]::ReadAllText($env:GPUPV_FAKE_HYPERV_STATE)
        $plan = Get-Result 'Invoke-GpuPvDda' @{ action = 'assign'; vmName = 'Ubuntu-24.04-Tools'; locationPath = $script:A2000; dryRun = $true; force = $true }
        $plan.dryRun | Should -BeTrue
        @($plan.steps | ForEach-Object { $_.step }) | Should -Be @('stopAction', 'cacheTypes', 'lowMmio', 'highMmio', 'disable', 'dismount', 'add')
        ($plan.steps | Where-Object { $_.step -eq 'stopAction' }).detail | Should -Be 'Automatic stop action: TurnOff (was Save)'
        ($plan.steps | Where-Object { $_.step -eq 'highMmio' }).detail | Should -Be 'MMIO space above 4 GB: 33280 MB'
        ($plan.steps | Where-Object { $_.step -eq 'dismount' }).detail | Should -Match '-Force'
        [System.IO.File]::ReadAllText($env:GPUPV_FAKE_HYPERV_STATE) | Should -BeExactly $before
    }

    It 'assigns a GPU to an off VM, which then starts, and gives it back to the host' {
        $done = Get-Result 'Invoke-GpuPvDda' @{ action = 'assign'; vmName = 'Ubuntu-24.04-Tools'; locationPath = $script:A2000; force = $true }
        $done.device.mode | Should -Be 'assigned'
        $done.device.vmName | Should -Be 'Ubuntu-24.04-Tools'
        $done.device.instanceId | Should -Be 'PCIP\VEN_10DE&DEV_2571&SUBSYS_1611103C&REV_A1\4&1B2C3D4E&0&0008'
        $vm = Get-VmRecord 'Ubuntu-24.04-Tools'
        $vm.automaticStopAction | Should -Be 'TurnOff'
        $vm.guestControlledCacheTypes | Should -BeTrue
        [int64]$vm.highMmioGapSize | Should -Be (33280MB)
        (Get-HostDevice $script:A2000).assignedTo | Should -Be $vm.id
        (Get-Result 'Invoke-GpuPvVmAction' @{ vmName = 'Ubuntu-24.04-Tools'; action = 'start' }).state | Should -Be 'Running'
        # Given back only while the VM is off.
        Get-ErrorCode 'Invoke-GpuPvDda' @{ action = 'return'; vmName = 'Ubuntu-24.04-Tools'; locationPath = $script:A2000 } | Should -Be 'InvalidParameter'
        $null = Get-Result 'Invoke-GpuPvVmAction' @{ vmName = 'Ubuntu-24.04-Tools'; action = 'turnoff' }
        # The VM that has the GPU is the one it comes back from: no VM is named.
        $back = Get-Result 'Invoke-GpuPvDda' @{ action = 'return'; locationPath = $script:A2000 }
        @($back.steps | ForEach-Object { $_.step }) | Should -Be @('remove', 'mount', 'enable')
        $back.device.mode | Should -Be 'host'
        $back.device.enabled | Should -BeTrue
        $device = Get-HostDevice $script:A2000
        $device.assignedTo | Should -BeNullOrEmpty
        $device.present | Should -BeTrue
        $device.problemCode | Should -Be 0
    }

    It 'refuses a GPU that VMs hold GPU-P partitions of, naming them' {
        $reply = Invoke-GpuPv 'Invoke-GpuPvDda' @{ action = 'assign'; vmName = 'Ubuntu-24.04-Tools'; locationPath = $script:Rtx4090; force = $true; dryRun = $true }
        $reply.ok | Should -BeFalse
        $reply.error.message | Should -Match "NVIDIA GeForce RTX 4090 is partitioned with GPU-P, and 'Win11-DriverTest'.* hold partitions of it. A GPU cannot be partitioned and assigned at once"
    }

    It 'without force, says why the maker''s missing directives stop it, and leaves the GPU on the host' {
        $reply = Invoke-GpuPv 'Invoke-GpuPvDda' @{ action = 'assign'; vmName = 'Ubuntu-24.04-Tools'; locationPath = $script:A2000 }
        $reply.ok | Should -BeFalse
        $reply.error.message | Should -Match "maker gives no directives for securing it inside a VM, so Hyper-V dismounts it only when forced"
        $reply.error.message | Should -Match 'Undone: enabled it again\.'
        $device = Get-HostDevice $script:A2000
        $device.problemCode | Should -Be 0
        $device.present | Should -BeTrue
        $device.assignedTo | Should -BeNullOrEmpty
    }

    It 'a VM whose MMIO space is too small for the GPU fails to start with Hyper-V''s words' {
        $null = Get-Result 'Invoke-GpuPvDda' @{ action = 'assign'; vmName = 'Ubuntu-24.04-Tools'; locationPath = $script:A2000; force = $true; highMmio = '8GB' }
        $reply = Invoke-GpuPv 'Invoke-GpuPvVmAction' @{ vmName = 'Ubuntu-24.04-Tools'; action = 'start' }
        $reply.ok | Should -BeFalse
        $reply.error.message | Should -Match "Insufficient system resources exist to complete the requested service"
    }

    It 'refuses a running VM, a GPU assigned elsewhere, and a location path the host does not have' {
        (Invoke-GpuPv 'Invoke-GpuPvDda' @{ action = 'assign'; vmName = 'Win11-DriverTest'; locationPath = $script:A2000; force = $true }).error.message | Should -Match "'Win11-DriverTest' is Running: a GPU is assigned and returned only while the VM is off"
        $null = Get-Result 'Invoke-GpuPvDda' @{ action = 'assign'; vmName = 'Ubuntu-24.04-Tools'; locationPath = $script:A2000; force = $true }
        (Invoke-GpuPv 'Invoke-GpuPvDda' @{ action = 'assign'; vmName = 'Win11-GpuP-Ready'; locationPath = $script:A2000; force = $true }).error.message | Should -Match "assigned to 'Ubuntu-24.04-Tools' already"
        Get-ErrorCode 'Invoke-GpuPvDda' @{ action = 'assign'; vmName = 'Ubuntu-24.04-Tools'; locationPath = 'PCIROOT(9)#PCI(0000)' } | Should -Be 'InvalidParameter'
        Get-ErrorCode 'Invoke-GpuPvDda' @{ action = 'lend'; vmName = 'Ubuntu-24.04-Tools'; locationPath = $script:A2000 } | Should -Be 'InvalidParameter'
        (Invoke-GpuPv 'Invoke-GpuPvDda' @{ action = 'return'; locationPath = $script:Rtx4090 }).error.message | Should -Match 'is on the host already'
    }

    It 'brings back a device a half-done assignment left dismounted' {
        $null = New-StandInState -Edit {
            param($doc)
            $device = @($doc.devices | Where-Object { $_.locationPaths[0] -eq 'PCIROOT(0)#PCI(0300)#PCI(0000)' })[0]
            $device.problemCode = 22
            $device.present = $false
        }
        (Get-HostGpu $script:A2000).mode | Should -Be 'dismounted'
        $back = Get-Result 'Invoke-GpuPvDda' @{ action = 'return'; locationPath = $script:A2000 }
        @($back.steps | ForEach-Object { $_.step }) | Should -Be @('mount', 'enable')
        $back.device.mode | Should -Be 'host'
        $back.device.enabled | Should -BeTrue
    }

    It 'hands a hostile VM name to the cmdlets verbatim' {
        $name = @((Read-StandInState).vms | Where-Object { $_.name -like 'Tom*' })[0].name
        $null = Get-Result 'Invoke-GpuPvVmAction' @{ vmName = $name; action = 'turnoff' }
        $done = Get-Result 'Invoke-GpuPvDda' @{ action = 'assign'; vmName = $name; locationPath = $script:A2000; force = $true }
        $done.device.vmName | Should -BeExactly $name
    }
}
