# A new GPU-P VM in GpuPv.psm1, in real PowerShell over the stand-in Hyper-V, Storage, Dism and
# bcdboot: the wizard's options, the dry run, a VM made from a Windows ISO and from a copy of a
# disk, and a cancel or a failure that removes what was made and says so.

BeforeAll {
    . (Join-Path $PSScriptRoot 'StandInHost.ps1')
    Import-GpuPv
    $script:Rtx4090 = '\\?\PCI#VEN_10DE&DEV_2684&SUBSYS_889D1043&REV_A1#4&2f1c3e8a&0&0019#{064092b3-625e-43bf-9eb5-dc845897dd59}\GPUPARAV'
    $script:Quarter = @{ minVram = 62500000; maxVram = 250000000; optimalVram = 250000000 }

    function New-Iso([string]$Name = 'Win11_24H2_English_x64.iso') {
        # Any file is an ISO to the stand-in; what it holds comes from standIn.diskImages by name.
        $path = Join-Path (Split-Path -Parent $env:GPUPV_FAKE_HYPERV_STATE) $Name
        [System.IO.File]::WriteAllText($path, 'CD001')
        return $path
    }
    function Get-NewVmParams([string]$Iso, [hashtable]$Extra = @{}) {
        $params = @{ name = 'Win11-GpuP'; isoPath = $Iso; diskBytes = '68719476736'; memoryBytes = '8589934592'; cpuCount = 4; gpuInstancePath = $script:Rtx4090; partition = $script:Quarter; switchName = 'Default Switch' }
        foreach ($key in $Extra.Keys) { $params[$key] = $Extra[$key] }
        return $params
    }
    function Get-Answer([string]$User = 'tester', [string]$Password = $script:Password, [string]$Computer = 'WIN11-GPUP') {
        return @{ userName = $User; computerName = $Computer; passwordB64 = [System.Convert]::ToBase64String([System.Text.Encoding]::UTF8.GetBytes($Password)) }
    }
    function Get-VhdFolder { return ($env:GPUPV_FAKE_HYPERV_STATE + '.vhds') }
    function Assert-NothingLeft([string]$Name) {
        # No VM of that name, no disk file, nothing mounted.
        $state = Read-StandInState
        @($state.vms | Where-Object { $_.name -eq $Name }).Count | Should -Be 0
        @(Get-ChildItem -LiteralPath (Get-VhdFolder) -File -ErrorAction SilentlyContinue).Count | Should -Be 0
        foreach ($section in @('mountedDisks', 'mountedImages')) {
            $mounted = $state.standIn.PSObject.Properties[$section]
            if ($null -ne $mounted) { @($mounted.Value.PSObject.Properties).Count | Should -Be 0 -Because $section }
        }
    }
    function Open-Disk([string]$Path) {
        # The disk file unpacked, as Mount-VHD unpacks it: partition folders and the header.
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        [System.IO.Compression.ZipFile]::ExtractToDirectory($Path, $dir)
        return $dir
    }
}

Describe 'Get-GpuPvNewVmOptions' {
    BeforeEach { $null = New-StandInState }

    It 'lists the editions of a Windows 11 ISO, which need a TPM, and where new disks go' {
        $options = Get-Result 'Get-GpuPvNewVmOptions' @{ isoPath = (New-Iso) }
        $options.imageFile | Should -Be 'install.wim'
        @($options.images | ForEach-Object { $_.name }) | Should -Be @('Windows 11 Home', 'Windows 11 Education', 'Windows 11 Pro')
        $options.images[2].index | Should -Be 6
        $options.images[2].build | Should -Be 26100
        $options.images[2].needsTpm | Should -BeTrue
        $options.vhdFolder | Should -Be (Get-VhdFolder)
        $options.switches | Should -Be @('Default Switch', 'LAN')
        $options.logicalProcessors | Should -Be 16
        @((Read-StandInState).standIn.mountedImages.PSObject.Properties).Count | Should -Be 0
    }

    It 'reads install.esd on a Windows 10 ISO, whose editions need no TPM, and refuses an ISO without Windows' {
        $options = Get-Result 'Get-GpuPvNewVmOptions' @{ isoPath = (New-Iso 'Win10_22H2_English_x64v1.iso') }
        $options.imageFile | Should -Be 'install.esd'
        @($options.images | ForEach-Object { $_.needsTpm }) | Should -Be @($false, $false)
        $reply = Invoke-GpuPv 'Get-GpuPvNewVmOptions' @{ isoPath = (New-Iso 'ubuntu-24.04.1-desktop-amd64.iso') }
        $reply.error.code | Should -Be 'InvalidParameter'
        $reply.error.message | Should -Match 'is not a Windows installation ISO: it has no sources\\install.wim'
        @((Read-StandInState).standIn.mountedImages.PSObject.Properties).Count | Should -Be 0
    }
}

Describe 'New-GpuPvVm' {
    BeforeEach { $null = New-StandInState }

    It 'lists every step and setting on a dry run, and makes nothing' {
        $plan = Get-Result 'New-GpuPvVm' (Get-NewVmParams (New-Iso) @{ dryRun = $true; answerFile = (Get-Answer) })
        $plan.dryRun | Should -BeTrue
        @($plan.steps | ForEach-Object { $_.step }) | Should -Be @('createDisk', 'partitionDisk', 'applyImage', 'bootFiles', 'answerFile', 'syncDriver', 'dismountDisk', 'createVm', 'firmware', 'tpm', 'gpuPrep', 'partition', 'guestService')
        $plan.image.name | Should -Be 'Windows 11 Pro'
        $plan.tpm | Should -BeTrue
        $plan.vhdPath | Should -Be (Join-Path (Get-VhdFolder) 'Win11-GpuP.vhdx')
        ($plan.steps | Where-Object { $_.step -eq 'createDisk' }).detail | Should -Be ('Create the disk ' + $plan.vhdPath + ': 64 GB, dynamically expanding')
        ($plan.steps | Where-Object { $_.step -eq 'applyImage' }).detail | Should -Match '^Apply Windows 11 Pro 10\.0\.26100\.1742 \(image 6 of install\.wim\)'
        ($plan.steps | Where-Object { $_.step -eq 'createVm' }).detail | Should -Be "Create the VM 'Win11-GpuP': generation 2, 8 GB of static memory, 4 virtual processors, network 'Default Switch'"
        ($plan.steps | Where-Object { $_.step -eq 'answerFile' }).detail | Should -Match "computer name 'WIN11-GPUP', local administrator 'tester'"
        ($plan.steps | Where-Object { $_.step -eq 'partition' }).detail | Should -Be 'A GPU partition of NVIDIA GeForce RTX 4090'
        Assert-NothingLeft 'Win11-GpuP'
    }

    It 'makes a GPU-P VM from a Windows ISO: a bootable disk with Windows, the answer file and the host driver' {
        $made = Get-Result 'New-GpuPvVm' (Get-NewVmParams (New-Iso) @{ answerFile = (Get-Answer) })
        $made.vm.name | Should -Be 'Win11-GpuP'
        $made.vm.state | Should -Be 'Off'
        $made.vm.generation | Should -Be 2
        $made.vm.automaticStopAction | Should -Be 'TurnOff'
        $made.vm.guestControlledCacheTypes | Should -BeTrue
        $made.vm.lowMmioGapSize | Should -Be 1GB
        $made.vm.highMmioGapSize | Should -Be 32GB
        $made.vm.gpuPartitions.Count | Should -Be 1
        $made.vm.gpuPartitions[0].instancePath | Should -Be $script:Rtx4090
        $made.vm.gpuPartitions[0].maxVram | Should -Be 250000000
        @($made.vm.integrationServices | Where-Object { $_.name -eq 'Guest Service Interface' })[0].enabled | Should -BeTrue
        $record = Get-VmRecord 'Win11-GpuP'
        [int64]$record.memoryStartup | Should -Be 8GB
        $record.dynamicMemoryEnabled | Should -BeFalse
        $record.processorCount | Should -Be 4
        $record.secureBoot | Should -BeTrue
        $record.secureBootTemplate | Should -Be 'MicrosoftWindows'
        $record.tpmEnabled | Should -BeTrue
        $record.switchName | Should -Be 'Default Switch'
        $record.hardDiskPath | Should -Be $made.vhdPath
        # The disk: its partitions, Windows applied, bootable, the answer file, the driver.
        $disk = Open-Disk $made.vhdPath
        $header = [System.IO.File]::ReadAllText((Join-Path $disk 'gpupv-standin-vhd.json')) | ConvertFrom-Json
        @($header.partitions | ForEach-Object { $_.type + '/' + $_.fileSystem }) | Should -Be @('System/FAT32', 'Reserved/', 'Basic/NTFS')
        [System.IO.File]::ReadAllText((Join-Path $disk 'partition3/Windows/System32/ntoskrnl.exe')) | Should -Be '10.0.26100.1742'
        Test-Path -LiteralPath (Join-Path $disk 'partition1/EFI/Boot/bootx64.efi') | Should -BeTrue
        [xml]$unattend = [System.IO.File]::ReadAllText((Join-Path $disk 'partition3/Windows/Panther/unattend.xml'))
        $ns = @{ u = 'urn:schemas-microsoft-com:unattend' }
        (Select-Xml -Xml $unattend -XPath '//u:settings[@pass="specialize"]//u:ComputerName' -Namespace $ns).Node.InnerText | Should -Be 'WIN11-GPUP'
        $account = (Select-Xml -Xml $unattend -XPath '//u:LocalAccount' -Namespace $ns).Node
        $account.Name | Should -Be 'tester'
        $account.Group | Should -Be 'Administrators'
        $account.Password.PlainText | Should -Be 'false'
        [System.Text.Encoding]::Unicode.GetString([System.Convert]::FromBase64String($account.Password.Value)) | Should -Be ($script:Password + 'Password')
        @(Get-ChildItem -LiteralPath (Join-Path $disk 'partition3/Windows/System32/HostDriverStore/FileRepository') -Directory | ForEach-Object { $_.Name }) | Should -Be @((Read-StandInState).standIn.hostPackages[0].package)
        $state = Read-StandInState
        foreach ($section in @('mountedDisks', 'mountedImages')) {
            $mounted = $state.standIn.PSObject.Properties[$section]
            if ($null -ne $mounted) { @($mounted.Value.PSObject.Properties).Count | Should -Be 0 -Because $section }
        }
    }

    It 'makes a VM from a copy of an existing disk, which stays as it was' {
        $first = Get-Result 'New-GpuPvVm' (Get-NewVmParams (New-Iso) @{ syncDriver = $false })
        $before = (Get-FileHash -LiteralPath $first.vhdPath).Hash
        $plan = Get-Result 'New-GpuPvVm' @{ name = 'From-Disk'; vhdxPath = $first.vhdPath; memoryBytes = '4294967296'; cpuCount = 2; gpuInstancePath = $script:Rtx4090; answerFile = (Get-Answer -Computer 'FROM-DISK'); dryRun = $true }
        @($plan.steps | ForEach-Object { $_.step }) | Should -Be @('copyDisk', 'findWindows', 'answerFile', 'syncDriver', 'dismountDisk', 'createVm', 'firmware', 'tpm', 'gpuPrep', 'partition', 'guestService')
        ($plan.steps | Where-Object { $_.step -eq 'createVm' }).detail | Should -Match 'no network adapter$'
        $made = Get-Result 'New-GpuPvVm' @{ name = 'From-Disk'; vhdxPath = $first.vhdPath; memoryBytes = '4294967296'; cpuCount = 2; gpuInstancePath = $script:Rtx4090; answerFile = (Get-Answer -Computer 'FROM-DISK') }
        $made.vhdPath | Should -Be (Join-Path (Get-VhdFolder) 'From-Disk.vhdx')
        (Get-FileHash -LiteralPath $first.vhdPath).Hash | Should -Be $before
        $disk = Open-Disk $made.vhdPath
        Test-Path -LiteralPath (Join-Path $disk 'partition3/Windows/Panther/unattend.xml') | Should -BeTrue
        @(Get-ChildItem -LiteralPath (Join-Path $disk 'partition3/Windows/System32/HostDriverStore/FileRepository') -Directory).Count | Should -Be 1
        (Get-VmRecord 'From-Disk').tpmEnabled | Should -BeTrue
    }

    It 'stops at the next step when cancelled, removes the disk it made, and says so' {
        $cancel = Join-Path $TestDrive 'cancel'
        $progress = Join-Path $TestDrive 'progress.json'
        $null = New-StandInState -Edit { param($doc) Set-StandInFault -Document $doc -Faults @(@{ kind = 'slow'; cmdlet = 'Expand-WindowsImage'; ms = 3000 }) }
        # Cancel while the image is being applied, as the wizard's Cancel button does.
        $toucher = [System.Diagnostics.Process]::Start('sh', [string[]]@('-c', 'sleep 1; : > "$0"', $cancel))
        $reply = Invoke-GpuPv 'New-GpuPvVm' (Get-NewVmParams (New-Iso) @{ cancelFile = $cancel; progressFile = $progress })
        $toucher.WaitForExit()
        $reply.error.code | Should -Be 'Cancelled'
        $reply.error.message | Should -Be ("Creating 'Win11-GpuP' was cancelled before: Make the disk bootable on UEFI (bcdboot). Removed what it had made: the disk " + (Join-Path (Get-VhdFolder) 'Win11-GpuP.vhdx') + '.')
        (Get-Content -LiteralPath $progress -Raw | ConvertFrom-Json).stepsDone | Should -Be 3
        Assert-NothingLeft 'Win11-GpuP'
    }

    It 'removes the VM and its disk when a step fails after the VM was made, and names the step' {
        $null = New-StandInState -Edit { param($doc) Set-StandInFault -Document $doc -Faults @(@{ kind = 'cmdletError'; cmdlet = 'Enable-VMTPM'; text = 'The Host Guardian Service is not configured.' }) }
        $reply = Invoke-GpuPv 'New-GpuPvVm' (Get-NewVmParams (New-Iso))
        $reply.error.code | Should -Be 'Failed'
        $reply.error.message | Should -Match "^Creating 'Win11-GpuP' failed at: A virtual TPM with a new local key protector: The Host Guardian Service is not configured\. Removed what it had made: the VM 'Win11-GpuP'; the disk .*Win11-GpuP\.vhdx\.$"
        Assert-NothingLeft 'Win11-GpuP'
    }

    It 'refuses what Hyper-V or Windows would refuse, before making anything' {
        $iso = New-Iso
        $cases = @(
            @{ extra = @{ name = 'Win11-DriverTest' }; message = 'exists already' },
            @{ extra = @{ cpuCount = 64 }; message = 'cpuCount must be 1 to 16' },
            @{ extra = @{ memoryBytes = '1073741824' }; message = 'at least 2 GB' },
            @{ extra = @{ diskBytes = '34359738368' }; message = 'Windows 11 Pro needs a disk of at least 64 GB' },
            @{ extra = @{ gpuInstancePath = 'PCI\VEN_1234' }; message = 'No partitionable GPU' },
            @{ extra = @{ switchName = 'Nope' }; message = "No virtual switch is named 'Nope'" },
            @{ extra = @{ imageIndex = 9 }; message = 'has no image 9; it has 1 \(Windows 11 Home\), 5 \(Windows 11 Education\), 6 \(Windows 11 Pro\)' },
            @{ extra = @{ answerFile = (Get-Answer -User 'a@b') }; message = 'cannot be a Windows account name' },
            @{ extra = @{ answerFile = (Get-Answer -Computer 'MY_PC') }; message = 'cannot be a computer name' },
            @{ extra = @{ answerFile = (Get-Answer -Password '') }; message = 'needs a password' },
            @{ extra = @{ vhdxPath = $iso }; message = 'either isoPath' }
        )
        foreach ($case in $cases) {
            $reply = Invoke-GpuPv 'New-GpuPvVm' (Get-NewVmParams $iso $case.extra)
            $reply.error.code | Should -Be 'InvalidParameter' -Because ($case.extra | ConvertTo-Json -Compress)
            $reply.error.message | Should -Match $case.message
        }
        $null = New-Item -ItemType File -Path (Join-Path (Get-VhdFolder) 'Win11-GpuP.vhdx')
        (Invoke-GpuPv 'New-GpuPvVm' (Get-NewVmParams $iso)).error.message | Should -Match 'exists already: a new VM gets a disk of its own'
        @((Read-StandInState).vms | Where-Object { $_.name -eq 'Win11-GpuP' }).Count | Should -Be 0
    }

    It 'hands hostile VM names, ISO paths and answer-file values over as data, verbatim' {
        foreach ($name in @($script:HostileNames | Where-Object { $_ -and $_.Trim() -and $_.Length -le 100 } | Select-Object -First 6)) {
            $null = New-StandInState
            # A file may hold any of these characters but a separator.
            $iso = New-Iso (($name -replace '[\\/]', '_') + '.iso')
            $password = "p'a`"s`$(x)&<s>" + $name
            $made = Get-Result 'New-GpuPvVm' (Get-NewVmParams $iso @{ name = $name; syncDriver = $false; answerFile = (Get-Answer -User "O'Brien&Co" -Password $password) })
            $made.vm.name | Should -BeExactly $name
            (Get-VmRecord $name).name | Should -BeExactly $name
            Test-Path -LiteralPath $made.vhdPath | Should -BeTrue
            $disk = Open-Disk $made.vhdPath
            [xml]$unattend = [System.IO.File]::ReadAllText((Join-Path $disk 'partition3/Windows/Panther/unattend.xml'))
            $account = (Select-Xml -Xml $unattend -XPath '//u:LocalAccount' -Namespace @{ u = 'urn:schemas-microsoft-com:unattend' }).Node
            $account.Name | Should -BeExactly "O'Brien&Co"
            [System.Text.Encoding]::Unicode.GetString([System.Convert]::FromBase64String($account.Password.Value)) | Should -BeExactly ($password + 'Password')
            $log = [System.IO.File]::ReadAllText($env:GPUPV_FAKE_HYPERV_LOG)
            $log.Contains([System.Convert]::ToBase64String([System.Text.Encoding]::UTF8.GetBytes($password))) | Should -BeFalse
            $log.Contains($password) | Should -BeFalse
        }
    }
}
