# Hyper-V.psm1 - a development stand-in for Windows' Hyper-V module: the cmdlets GpuPv.psm1
# calls, with their names, the parameters it passes, output objects with the real property
# names and types, and the real cmdlets' errors. They act on the state document of
# GpuPvStandIn (GPUPV_FAKE_HYPERV_STATE). Every cmdlet that GpuPv.psm1 calls from a module
# function logs that call once and can fire an injected fault first (standIn.faults).

Set-StrictMode -Version 2.0
Import-Module -Name 'GpuPvStandIn' -ErrorAction Stop

# Microsoft.HyperV.PowerShell.VMState and .StopAction, with the real values.
enum VMState {
    Other = 1
    Running = 2
    Off = 3
    Stopping = 4
    Saved = 6
    Paused = 9
    Starting = 10
    Reset = 11
    Saving = 32773
    Pausing = 32776
    Resuming = 32777
}

enum StopAction {
    TurnOff = 2
    Save = 3
    ShutDown = 4
}

$script:Resources = @('VRAM', 'Encode', 'Decode', 'Compute')
# Integration component ids; the service names are localized, these are not.
$script:ComponentIds = @{
    'Guest Service Interface' = '6C09BB55-D683-4DA0-8931-C9BF705F6480'
    'Heartbeat'               = '84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47'
    'Key-Value Pair Exchange' = '2A34B1C2-FD73-4043-8A5B-DD2159BC743F'
    'Shutdown'                = '9F8233AC-BE49-4C79-8EE3-E7E1985B2077'
    'Time Synchronization'    = '2497F4DE-E9FA-4204-80E4-4B75C46419C0'
    'VSS'                     = '5CED1297-4598-4915-A5FC-AD21BB4D02A4'
}

# ---------------------------------------------------------------- records and objects

function Get-HostOfObject {
    # The host document an object came from (objects carry ComputerName, as the real ones do).
    param($Cmdlet, $Object)
    $doc = Get-StandInState
    $name = [string]$Object.ComputerName
    if (Test-StandInLocalName -Document $doc -ComputerName $name) { return $doc }
    return (Resolve-StandInHost -Cmdlet $Cmdlet -ComputerName $name)
}

function Find-VmRecord {
    # The stored record behind a VM object; the VM may have gone since the object was read.
    param($Cmdlet, $Vm)
    $hostState = Get-HostOfObject -Cmdlet $Cmdlet -Object $Vm
    $record = Find-StandInVmRecord -HostState $hostState -Id ([guid]$Vm.Id)
    if ($null -ne $record) { return $record }
    Stop-StandInCall -Cmdlet $Cmdlet -Category 'ObjectNotFound' -ErrorId 'InvalidParameter' -Message ("Hyper-V was unable to find a virtual machine with id `"" + [string]$Vm.Id + "`".")
}

function ConvertTo-UInt64Value {
    param($Value)
    if ($null -eq $Value) { return $null }
    return [uint64]::Parse([string]$Value, [System.Globalization.CultureInfo]::InvariantCulture)
}

function Get-CurrentCheckpointId {
    # Hyper-V's ParentSnapshotId of a VM: the checkpoint last created or applied (kept in
    # standIn.currentCheckpoints), else the newest one (a document written by hand).
    param($Document, $Record)
    # Loops rather than pipelines: this runs for every VM of every inventory.
    $current = Get-StandInValue (Get-StandInValue $Document.standIn 'currentCheckpoints') ([string]$Record.id)
    $newest = $null
    $newestTime = ''
    foreach ($checkpoint in @($Record.checkpoints)) {
        if ($null -ne $current -and $checkpoint.id -eq $current) { return [string]$current }
        $created = [string](Get-StandInValue $checkpoint 'created' '')
        if ($null -eq $newest -or [string]::CompareOrdinal($created, $newestTime) -ge 0) { $newest = $checkpoint; $newestTime = $created }
    }
    if ($null -eq $newest) { return $null }
    return [string]$newest.id
}

function Get-CheckpointName {
    param($Record, $Id)
    foreach ($checkpoint in @($Record.checkpoints)) { if ($checkpoint.id -eq $Id) { return [string]$checkpoint.name } }
    return $null
}

function ConvertTo-VmObject {
    param($Record, [string]$ComputerName)
    $doc = Get-StandInState
    $parent = Get-CurrentCheckpointId -Document $doc -Record $Record
    $parentId = $null
    $parentName = $null
    if ($null -ne $parent) {
        $parentId = [Nullable[guid]][guid]$parent
        $parentName = Get-CheckpointName -Record $Record -Id $parent
    }
    $id = [guid][string]$Record.id
    return [pscustomobject]@{
        PSTypeName                = 'Microsoft.HyperV.PowerShell.VirtualMachine'
        Name                      = [string]$Record.name
        VMName                    = [string]$Record.name
        Id                        = $id
        VMId                      = $id
        State                     = [VMState][string]$Record.state
        CPUUsage                  = [int](Get-StandInValue $Record 'cpuUsage' 0)
        MemoryAssigned            = [int64](Get-StandInValue $Record 'memoryAssigned' 0)
        MemoryStartup             = [int64](Get-StandInValue $Record 'memoryStartup' (Get-StandInStartupMemory))
        ProcessorCount            = [int](Get-StandInValue $Record 'processorCount' 4)
        DynamicMemoryEnabled      = [bool](Get-StandInValue $Record 'dynamicMemoryEnabled' $false)
        Uptime                    = [timespan]::FromSeconds([double](Get-StandInValue $Record 'uptimeSeconds' 0))
        Generation                = [int](Get-StandInValue $Record 'generation' 2)
        Version                   = [string](Get-StandInValue $Record 'version' '12.0')
        AutomaticStopAction       = [StopAction][string](Get-StandInValue $Record 'automaticStopAction' 'Save')
        GuestControlledCacheTypes = [bool](Get-StandInValue $Record 'guestControlledCacheTypes' $false)
        LowMemoryMappedIoSpace    = [uint32](Get-StandInValue $Record 'lowMmioGapSize' 134217728)
        HighMemoryMappedIoSpace   = [uint64](Get-StandInValue $Record 'highMmioGapSize' 536870912)
        ParentSnapshotId          = $parentId
        ParentSnapshotName        = $parentName
        CheckpointType            = 'Production'
        ComputerName              = $ComputerName
    }
}

function Get-VmsOf {
    # -VM, else -VMName on the host -ComputerName names.
    param($Cmdlet, $Vm, [string[]]$VMName, [string]$ComputerName)
    if ($null -ne $Vm) { return @($Vm) }
    return @(Get-VM -Name $VMName -ComputerName $ComputerName)
}

function Invoke-PowerChange {
    # One state transition, allowed only from the states Hyper-V allows it from.
    param($Cmdlet, $Vm, [string[]]$From, [string]$To)
    Enter-StandInCall -Cmdlet
    foreach ($one in @($Vm)) {
        $record = Find-VmRecord -Cmdlet $Cmdlet -Vm $one
        if ($From -notcontains [string]$record.state) { Stop-StandInInvalidState -Cmdlet $Cmdlet -VmName ([string]$record.name) }
        Set-StandInVmPower -Document (Get-StandInState) -Record $record -State $To
        Save-StandInState -Document (Get-StandInState)
    }
}

# ---------------------------------------------------------------- VMs

function Get-VM {
    [CmdletBinding(DefaultParameterSetName = 'Name')]
    param(
        [Parameter(ParameterSetName = 'Name', Position = 0)][string[]]$Name,
        [Parameter(ParameterSetName = 'Id', Mandatory = $true)][guid]$Id,
        [string[]]$ComputerName
    )
    Enter-StandInCall -Cmdlet
    $computer = ''
    if ($ComputerName) { $computer = $ComputerName[0] }
    $hostState = Resolve-StandInHost -Cmdlet $PSCmdlet -ComputerName $computer
    $display = [string]$hostState.host.name
    $records = @($hostState.vms)
    if ($PSCmdlet.ParameterSetName -eq 'Id') {
        $hit = @($records | Where-Object { [guid][string]$_.id -eq $Id })
        if ($hit.Count -eq 0) {
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'ObjectNotFound' -ErrorId 'InvalidParameter' -Message ("Hyper-V was unable to find a virtual machine with id `"" + [string]$Id + "`".")
            return
        }
        return (ConvertTo-VmObject -Record $hit[0] -ComputerName $display)
    }
    if ($null -eq $Name -or $Name.Count -eq 0) {
        foreach ($record in $records) { ConvertTo-VmObject -Record $record -ComputerName $display }
        return
    }
    foreach ($pattern in $Name) {
        # -Name takes wildcards, as the real cmdlet does.
        $wildcard = [System.Management.Automation.WildcardPattern]::new($pattern, [System.Management.Automation.WildcardOptions]::IgnoreCase)
        $hit = @($records | Where-Object { $wildcard.IsMatch([string]$_.name) })
        if ($hit.Count -eq 0 -and -not [System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($pattern)) {
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'ObjectNotFound' -ErrorId 'InvalidParameter' -Message ("Hyper-V was unable to find a virtual machine with name `"" + $pattern + "`".")
            continue
        }
        foreach ($record in $hit) { ConvertTo-VmObject -Record $record -ComputerName $display }
    }
}

function Start-VM {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VM, [switch]$Passthru)
    foreach ($one in @($VM)) {
        $record = Find-VmRecord -Cmdlet $PSCmdlet -Vm $one
        if ([string]$record.state -eq 'Off') { Assert-AssignedDevicesFit -Cmdlet $PSCmdlet -Record $record }
    }
    Invoke-PowerChange -Cmdlet $PSCmdlet -Vm $VM -From @('Off', 'Saved') -To 'Running'
}

function Stop-VM {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VM, [switch]$TurnOff, [switch]$Save, [switch]$Force, [switch]$Passthru)
    if ($Save) { Invoke-PowerChange -Cmdlet $PSCmdlet -Vm $VM -From @('Running', 'Paused') -To 'Saved'; return }
    Invoke-PowerChange -Cmdlet $PSCmdlet -Vm $VM -From @('Running', 'Paused') -To 'Off'
}

function Save-VM {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VM, [switch]$Passthru)
    Invoke-PowerChange -Cmdlet $PSCmdlet -Vm $VM -From @('Running', 'Paused') -To 'Saved'
}

function Suspend-VM {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VM, [switch]$Passthru)
    Invoke-PowerChange -Cmdlet $PSCmdlet -Vm $VM -From @('Running') -To 'Paused'
}

function Resume-VM {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VM, [switch]$Passthru)
    Invoke-PowerChange -Cmdlet $PSCmdlet -Vm $VM -From @('Paused') -To 'Running'
}

function Restart-VM {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VM, [switch]$Force, [switch]$Passthru)
    Invoke-PowerChange -Cmdlet $PSCmdlet -Vm $VM -From @('Running') -To 'Running'
}

function Set-VM {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true, Position = 0)][object[]]$VM,
        [bool]$GuestControlledCacheTypes,
        [uint32]$LowMemoryMappedIoSpace,
        [uint64]$HighMemoryMappedIoSpace,
        [StopAction]$AutomaticStopAction
    )
    Enter-StandInCall -Cmdlet
    foreach ($one in $VM) {
        $record = Find-VmRecord -Cmdlet $PSCmdlet -Vm $one
        $offOnly = @('GuestControlledCacheTypes', 'LowMemoryMappedIoSpace', 'HighMemoryMappedIoSpace') | Where-Object { $PSBoundParameters.ContainsKey($_) }
        if (@($offOnly).Count -gt 0 -and [string]$record.state -ne 'Off') {
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidOperation' -ErrorId 'InvalidState' -Message ("Failed to modify device 'Memory'. The operation cannot be performed while the virtual machine '" + [string]$record.name + "' is in its current state.")
        }
        if ($PSBoundParameters.ContainsKey('GuestControlledCacheTypes')) { Set-StandInValue $record 'guestControlledCacheTypes' $GuestControlledCacheTypes }
        if ($PSBoundParameters.ContainsKey('LowMemoryMappedIoSpace')) { Set-StandInValue $record 'lowMmioGapSize' ([int64]$LowMemoryMappedIoSpace) }
        if ($PSBoundParameters.ContainsKey('HighMemoryMappedIoSpace')) { Set-StandInValue $record 'highMmioGapSize' ([int64]$HighMemoryMappedIoSpace) }
        if ($PSBoundParameters.ContainsKey('AutomaticStopAction')) { Set-StandInValue $record 'automaticStopAction' ([string]$AutomaticStopAction) }
        Save-StandInState -Document (Get-StandInState)
    }
}

function Get-VMMemory {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VM)
    Enter-StandInCall -Cmdlet
    foreach ($one in $VM) {
        $record = Find-VmRecord -Cmdlet $PSCmdlet -Vm $one
        [pscustomobject]@{
            PSTypeName           = 'Microsoft.HyperV.PowerShell.VMMemory'
            VMName               = [string]$record.name
            VMId                 = [guid][string]$record.id
            DynamicMemoryEnabled = [bool](Get-StandInValue $record 'dynamicMemoryEnabled' $false)
            Startup              = [int64](Get-StandInValue $record 'memoryStartup' (Get-StandInStartupMemory))
            ComputerName         = [string]$one.ComputerName
        }
    }
}

function Set-VMMemory {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VM, [bool]$DynamicMemoryEnabled)
    Enter-StandInCall -Cmdlet
    foreach ($one in $VM) {
        $record = Find-VmRecord -Cmdlet $PSCmdlet -Vm $one
        if ($PSBoundParameters.ContainsKey('DynamicMemoryEnabled')) {
            if ([string]$record.state -ne 'Off' -and $DynamicMemoryEnabled -ne [bool](Get-StandInValue $record 'dynamicMemoryEnabled' $false)) {
                Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidOperation' -ErrorId 'InvalidState' -Message ("Failed to modify device 'Memory'. Dynamic memory cannot be turned on or off while the virtual machine '" + [string]$record.name + "' is running.")
            }
            Set-StandInValue $record 'dynamicMemoryEnabled' $DynamicMemoryEnabled
        }
        Save-StandInState -Document (Get-StandInState)
    }
}

# ---------------------------------------------------------------- the host, and new VMs

function Get-StandInVhdFolder {
    # Hyper-V's default folder for virtual disks: host.virtualHardDiskPath, else a real folder
    # beside the state file, so that disks made here are real files.
    param($HostState)
    $path = Get-StandInValue $HostState.host 'virtualHardDiskPath'
    if ($null -eq $path) {
        $path = [System.IO.Path]::TrimEndingDirectorySeparator((Get-StandInFolder -Kind 'vhds' -Name ''))
        $null = New-Item -ItemType Directory -Path $path -Force
    }
    return [string]$path
}

function Get-VMHost {
    [CmdletBinding()]
    param([string[]]$ComputerName)
    Enter-StandInCall -Cmdlet
    $hostState = Resolve-StandInHost -Cmdlet $PSCmdlet -ComputerName ([string]@($ComputerName)[0])
    $folder = Get-StandInVhdFolder -HostState $hostState
    [pscustomobject]@{
        PSTypeName            = 'Microsoft.HyperV.PowerShell.VMHost'
        Name                  = [string]$hostState.host.name
        ComputerName          = [string]$hostState.host.name
        VirtualHardDiskPath   = $folder
        VirtualMachinePath    = $folder
        LogicalProcessorCount = [int](Get-StandInValue $hostState.host 'logicalProcessors' 16)
        MemoryCapacity        = [int64](Get-StandInValue $hostState.host 'memoryBytes' 68719476736)
    }
}

function Get-VMSwitch {
    [CmdletBinding()]
    param([Parameter(Position = 0)][string[]]$Name, [string[]]$ComputerName)
    Enter-StandInCall -Cmdlet
    $hostState = Resolve-StandInHost -Cmdlet $PSCmdlet -ComputerName ([string]@($ComputerName)[0])
    foreach ($switch in @(Get-StandInValue $hostState 'switches' @([pscustomobject]@{ name = 'Default Switch'; switchType = 'Internal' }))) {
        if ($Name -and $Name -notcontains [string]$switch.name) { continue }
        [pscustomobject]@{ PSTypeName = 'Microsoft.HyperV.PowerShell.VMSwitch'; Name = [string]$switch.name; SwitchType = [string]$switch.switchType; ComputerName = [string]$hostState.host.name }
    }
}

function New-VM {
    # Generation 2 VMs only, with their first disk (-VHDPath), as GpuPv.psm1 makes them.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true, Position = 0)][string]$Name,
        [int16]$Generation = 1,
        [int64]$MemoryStartupBytes = 1073741824,
        [string]$VHDPath,
        [string]$SwitchName,
        [string]$Path
    )
    Enter-StandInCall -Cmdlet
    $doc = Get-StandInState
    if ($VHDPath -and -not (Test-StandInVhdFile -Path $VHDPath)) {
        Stop-StandInCall -Cmdlet $PSCmdlet -Category 'ObjectNotFound' -ErrorId 'ObjectNotFound' -Message ("Failed to add device 'Virtual Hard Disk'. The system cannot find the file specified. ('" + $VHDPath + "')")
    }
    if ($SwitchName -and @(Get-VMSwitch -Name $SwitchName -ErrorAction SilentlyContinue).Count -eq 0) {
        Stop-StandInCall -Cmdlet $PSCmdlet -Category 'ObjectNotFound' -ErrorId 'ObjectNotFound' -Message ("Hyper-V was unable to find a virtual switch with name `"" + $SwitchName + "`".")
    }
    $id = [guid]::NewGuid().ToString()
    $services = @()
    foreach ($component in @('Guest Service Interface', 'Heartbeat', 'Key-Value Pair Exchange', 'Shutdown', 'Time Synchronization', 'VSS')) {
        # Hyper-V turns every integration service on but the Guest Service Interface.
        $services += [pscustomobject]@{ name = $component; enabled = ($component -ne 'Guest Service Interface'); status = '' }
    }
    $record = [pscustomobject]@{
        id = $id; name = $Name; state = 'Off'; cpuUsage = 0; memoryAssigned = 0; uptimeSeconds = 0
        generation = [int]$Generation; version = '12.0'; automaticStopAction = 'Save'; guestControlledCacheTypes = $false
        lowMmioGapSize = 134217728; highMmioGapSize = 536870912; gpuPartitions = @(); checkpoints = @(); integrationServices = $services
        memoryStartup = $MemoryStartupBytes; dynamicMemoryEnabled = $false; processorCount = 1; switchName = $SwitchName
        secureBoot = ([int]$Generation -eq 2); secureBootTemplate = 'MicrosoftWindows'; keyProtector = $false; tpmEnabled = $false
        hardDiskPath = ''
    }
    if ($VHDPath) { $record.hardDiskPath = $VHDPath }
    $doc.vms = @(@($doc.vms) + $record)
    Save-StandInState -Document $doc
    return (ConvertTo-VmObject -Record $record -ComputerName ([string]$doc.host.name))
}

function Remove-VM {
    # Like Hyper-V, removes the VM's configuration and leaves its virtual disks where they are.
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VM, [switch]$Force)
    Enter-StandInCall -Cmdlet
    foreach ($one in $VM) {
        $record = Find-VmRecord -Cmdlet $PSCmdlet -Vm $one
        if ([string]$record.state -ne 'Off') {
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidOperation' -ErrorId 'InvalidState' -Message ("Failed to remove virtual machine '" + [string]$record.name + "'. The operation cannot be performed while the object is in its current state.")
        }
        $doc = Get-StandInState
        $doc.vms = @($doc.vms | Where-Object { -not [object]::ReferenceEquals($_, $record) })
        Save-StandInState -Document $doc
    }
}

function Set-VMProcessor {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VM, [int64]$Count)
    Enter-StandInCall -Cmdlet
    foreach ($one in $VM) {
        $record = Find-VmRecord -Cmdlet $PSCmdlet -Vm $one
        if ($PSBoundParameters.ContainsKey('Count')) {
            $most = [int](Get-StandInValue (Get-StandInState).host 'logicalProcessors' 16)
            if ($Count -gt $most) {
                Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidArgument' -ErrorId 'InvalidParameter' -Message ("Failed to modify device 'Processor'. The processor count " + $Count + " is more than the " + $most + " logical processors of this host.")
            }
            Set-StandInValue $record 'processorCount' ([int]$Count)
        }
        Save-StandInState -Document (Get-StandInState)
    }
}

function Set-VMFirmware {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VM, [ValidateSet('On', 'Off')][string]$EnableSecureBoot, [ValidateSet('MicrosoftWindows', 'MicrosoftUEFICertificateAuthority', 'OpenSourceShieldedVM')][string]$SecureBootTemplate)
    Enter-StandInCall -Cmdlet
    foreach ($one in $VM) {
        $record = Find-VmRecord -Cmdlet $PSCmdlet -Vm $one
        if ([int](Get-StandInValue $record 'generation' 2) -ne 2) {
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidArgument' -ErrorId 'InvalidParameter' -Message ("The operation is only supported on generation 2 virtual machines: '" + [string]$record.name + "'.")
        }
        if ($EnableSecureBoot) { Set-StandInValue $record 'secureBoot' ($EnableSecureBoot -eq 'On') }
        if ($SecureBootTemplate) { Set-StandInValue $record 'secureBootTemplate' $SecureBootTemplate }
        Save-StandInState -Document (Get-StandInState)
    }
}

function Set-VMKeyProtector {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VM, [switch]$NewLocalKeyProtector)
    Enter-StandInCall -Cmdlet
    foreach ($one in $VM) {
        $record = Find-VmRecord -Cmdlet $PSCmdlet -Vm $one
        if ($NewLocalKeyProtector) { Set-StandInValue $record 'keyProtector' $true }
        Save-StandInState -Document (Get-StandInState)
    }
}

function Enable-VMTPM {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VM)
    Enter-StandInCall -Cmdlet
    foreach ($one in $VM) {
        $record = Find-VmRecord -Cmdlet $PSCmdlet -Vm $one
        if (-not [bool](Get-StandInValue $record 'keyProtector' $false)) {
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidOperation' -ErrorId 'InvalidOperation' -Message ("Failed to enable the virtual TPM of '" + [string]$record.name + "': the virtual machine has no key protector. Set one with Set-VMKeyProtector first.")
        }
        Set-StandInValue $record 'tpmEnabled' $true
        Save-StandInState -Document (Get-StandInState)
    }
}

# ---------------------------------------------------------------- GPU partitions

function ConvertTo-PartitionableGpu {
    param($Gpu, [string]$ComputerName)
    $o = [ordered]@{
        PSTypeName           = 'Microsoft.HyperV.PowerShell.VMHostPartitionableGpu'
        Name                 = [string]$Gpu.name
        ValidPartitionCounts = [uint16[]]@(Get-StandInValue $Gpu 'validPartitionCounts' @())
        PartitionCount       = [uint16](Get-StandInValue $Gpu 'partitionCount' 1)
        ComputerName         = $ComputerName
    }
    foreach ($res in $script:Resources) {
        $suffix = $res
        if ($res -eq 'VRAM') { $suffix = 'Vram' }
        $o['Total' + $res] = ConvertTo-UInt64Value (Get-StandInValue $Gpu ('total' + $suffix))
        $o['Available' + $res] = ConvertTo-UInt64Value (Get-StandInValue $Gpu ('available' + $suffix))
        foreach ($kind in @('Min', 'Max', 'Optimal')) {
            $o[$kind + 'Partition' + $res] = ConvertTo-UInt64Value (Get-StandInValue $Gpu ($kind.ToLowerInvariant() + 'Partition' + $suffix))
        }
    }
    return [pscustomobject]$o
}

function Get-VMHostPartitionableGpu {
    [CmdletBinding()]
    param([string[]]$Name, [string[]]$ComputerName)
    Enter-StandInCall -Cmdlet
    $computer = ''
    if ($ComputerName) { $computer = $ComputerName[0] }
    $hostState = Resolve-StandInHost -Cmdlet $PSCmdlet -ComputerName $computer
    foreach ($gpu in @($hostState.gpus)) {
        if ($Name -and $Name -notcontains [string]$gpu.name) { continue }
        ConvertTo-PartitionableGpu -Gpu $gpu -ComputerName ([string]$hostState.host.name)
    }
}

function Get-VMPartitionableGpu {
    # The name older Windows builds have; same output.
    [CmdletBinding()]
    param([string[]]$Name, [string[]]$ComputerName)
    Get-VMHostPartitionableGpu @PSBoundParameters
}

function ConvertTo-GpuAdapter {
    param($Adapter, $Record, [string]$ComputerName)
    $o = [ordered]@{
        PSTypeName   = 'Microsoft.HyperV.PowerShell.VMGpuPartitionAdapter'
        Id           = [string]$Adapter.adapterId
        InstancePath = [string]$Adapter.instancePath
        VMName       = [string]$Record.name
        VMId         = [guid][string]$Record.id
        ComputerName = $ComputerName
    }
    foreach ($res in $script:Resources) {
        $suffix = $res
        if ($res -eq 'VRAM') { $suffix = 'Vram' }
        foreach ($kind in @('Min', 'Max', 'Optimal')) {
            $o[$kind + 'Partition' + $res] = ConvertTo-UInt64Value (Get-StandInValue $Adapter ($kind.ToLowerInvariant() + $suffix))
        }
    }
    return [pscustomobject]$o
}

function Get-VMGpuPartitionAdapter {
    [CmdletBinding()]
    param([Parameter(Position = 0)][object[]]$VM, [string[]]$VMName, [string]$AdapterId, [string[]]$ComputerName)
    Enter-StandInCall -Cmdlet
    foreach ($one in (Get-VmsOf -Cmdlet $PSCmdlet -Vm $VM -VMName $VMName -ComputerName ([string]@($ComputerName)[0]))) {
        $record = Find-VmRecord -Cmdlet $PSCmdlet -Vm $one
        foreach ($adapter in @($record.gpuPartitions)) {
            if ($AdapterId -and [string]$adapter.adapterId -ne $AdapterId) { continue }
            ConvertTo-GpuAdapter -Adapter $adapter -Record $record -ComputerName ([string]$one.ComputerName)
        }
    }
}

function Add-VMGpuPartitionAdapter {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VM, [string]$InstancePath, [switch]$Passthru)
    Enter-StandInCall -Cmdlet
    foreach ($one in $VM) {
        $record = Find-VmRecord -Cmdlet $PSCmdlet -Vm $one
        $hostState = Get-HostOfObject -Cmdlet $PSCmdlet -Object $one
        $gpus = @($hostState.gpus)
        $gpu = $null
        if ($InstancePath) { $gpu = @($gpus | Where-Object { [string]$_.instancePath -eq $InstancePath })[0] }
        elseif ($gpus.Count -gt 0) { $gpu = $gpus[0] }
        if ($null -eq $gpu) {
            $why = 'this host has no partitionable GPU.'
            if ($InstancePath) { $why = "no partitionable GPU has the instance path '" + $InstancePath + "'." }
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidArgument' -ErrorId 'InvalidParameter' -Message ("Failed to add a GPU partition adapter to '" + [string]$record.name + "': " + $why)
        }
        if ([string]$record.state -ne 'Off') {
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidOperation' -ErrorId 'InvalidState' -Message ("'" + [string]$record.name + "' failed to add device 'GPU Partition'. The operation cannot be performed while the virtual machine is in its current state.")
        }
        $adapter = [ordered]@{ adapterId = [guid]::NewGuid().ToString(); instancePath = [string]$gpu.instancePath }
        foreach ($res in $script:Resources) {
            $suffix = $res
            if ($res -eq 'VRAM') { $suffix = 'Vram' }
            foreach ($kind in @('min', 'max', 'optimal')) {
                $value = Get-StandInValue $gpu ($kind + 'Partition' + $suffix)
                if ($res -eq 'Encode' -and $null -ne $value) { $value = [string]$value }
                $adapter[$kind + $suffix] = $value
            }
        }
        $record.gpuPartitions = @(@($record.gpuPartitions) + [pscustomobject]$adapter)
        Save-StandInState -Document (Get-StandInState)
        if ($Passthru) { ConvertTo-GpuAdapter -Adapter ([pscustomobject]$adapter) -Record $record -ComputerName ([string]$one.ComputerName) }
    }
}

function Find-AdapterRecord {
    param($Cmdlet, $Adapter)
    $vm = [pscustomobject]@{ Id = $Adapter.VMId; ComputerName = $Adapter.ComputerName }
    $record = Find-VmRecord -Cmdlet $Cmdlet -Vm $vm
    $stored = @($record.gpuPartitions | Where-Object { [string]$_.adapterId -eq [string]$Adapter.Id })
    if ($stored.Count -eq 0) {
        Stop-StandInCall -Cmdlet $Cmdlet -Category 'ObjectNotFound' -ErrorId 'ObjectNotFound' -Message ("The GPU partition adapter '" + [string]$Adapter.Id + "' no longer exists.")
    }
    return @($record, $stored[0])
}

function Set-VMGpuPartitionAdapter {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true, Position = 0)][object[]]$VMGpuPartitionAdapter,
        [uint64]$MinPartitionVRAM, [uint64]$MaxPartitionVRAM, [uint64]$OptimalPartitionVRAM,
        [uint64]$MinPartitionEncode, [uint64]$MaxPartitionEncode, [uint64]$OptimalPartitionEncode,
        [uint64]$MinPartitionDecode, [uint64]$MaxPartitionDecode, [uint64]$OptimalPartitionDecode,
        [uint64]$MinPartitionCompute, [uint64]$MaxPartitionCompute, [uint64]$OptimalPartitionCompute,
        [switch]$Passthru
    )
    Enter-StandInCall -Cmdlet
    foreach ($one in $VMGpuPartitionAdapter) {
        $found = Find-AdapterRecord -Cmdlet $PSCmdlet -Adapter $one
        $stored = $found[1]
        foreach ($res in $script:Resources) {
            $suffix = $res
            if ($res -eq 'VRAM') { $suffix = 'Vram' }
            foreach ($kind in @('Min', 'Max', 'Optimal')) {
                $parameter = $kind + 'Partition' + $res
                if (-not $PSBoundParameters.ContainsKey($parameter)) { continue }
                # Stored as the inventory has it: Encode as a decimal string (it can exceed 2^53).
                $value = $PSBoundParameters[$parameter]
                if ($res -eq 'Encode') { $value = ([uint64]$value).ToString([System.Globalization.CultureInfo]::InvariantCulture) } else { $value = [int64]$value }
                Set-StandInValue $stored ($kind.ToLowerInvariant() + $suffix) $value
            }
        }
        Save-StandInState -Document (Get-StandInState)
    }
}

function Remove-VMGpuPartitionAdapter {
    [CmdletBinding(SupportsShouldProcess = $true)]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VMGpuPartitionAdapter)
    Enter-StandInCall -Cmdlet
    foreach ($one in $VMGpuPartitionAdapter) {
        $found = Find-AdapterRecord -Cmdlet $PSCmdlet -Adapter $one
        $record = $found[0]
        $record.gpuPartitions = @($record.gpuPartitions | Where-Object { [string]$_.adapterId -ne [string]$one.Id })
        Save-StandInState -Document (Get-StandInState)
    }
}

# ---------------------------------------------------------------- Discrete Device Assignment

# The host's own devices are the document's `devices`, which the PnpDevice stand-in also
# serves: a PCI device is on the host (problemCode 22 while disabled), dismounted (present
# false: gone from the host's device tree, listed by Get-VMHostAssignableDevice under the
# PCIP\ instance id Windows gives it then), or assigned to a VM (assignedTo: its id).

function Get-HostDevices {
    return @(Get-StandInValue (Get-StandInState) 'devices' @() | Where-Object { @(Get-StandInValue $_ 'locationPaths' @()).Count -gt 0 })
}

function Test-DeviceDismounted {
    param($Device)
    return (-not [bool](Get-StandInValue $Device 'present' $true))
}

function Test-DeviceEnabled {
    param($Device)
    return ([int](Get-StandInValue $Device 'problemCode' 0) -ne 22)
}

function Find-HostDeviceByPath {
    param($Cmdlet, [string]$LocationPath, [string]$InstancePath)
    foreach ($device in (Get-HostDevices)) {
        if ($LocationPath -and (Get-DeviceLocationPath $device) -eq $LocationPath) { return $device }
        if ($InstancePath -and (@([string]$device.instanceId, (ConvertTo-DismountedId $device)) -contains $InstancePath)) { return $device }
    }
    $what = $LocationPath
    if (-not $what) { $what = $InstancePath }
    Stop-StandInCall -Cmdlet $Cmdlet -Category 'ObjectNotFound' -ErrorId 'InvalidParameter' -Message ("The operation failed.`nThe specified device was not found: '" + $what + "'.")
}

function ConvertTo-DismountedId {
    param($Device)
    return ([string]$Device.instanceId -replace '^PCI\\', 'PCIP\')
}

function Get-DeviceLocationPath {
    param($Device)
    return [string]@(Get-StandInValue $Device 'locationPaths' @(''))[0]
}

function Get-VMHostAssignableDevice {
    [CmdletBinding()]
    param([string[]]$ComputerName)
    Enter-StandInCall -Cmdlet
    $doc = Get-StandInState
    foreach ($device in (Get-HostDevices)) {
        if (-not (Test-DeviceDismounted $device)) { continue }
        [pscustomobject]@{
            PSTypeName   = 'Microsoft.HyperV.PowerShell.VMHostAssignableDevice'
            InstanceID   = ConvertTo-DismountedId $device
            LocationPath = Get-DeviceLocationPath $device
            ComputerName = [string]$doc.host.name
        }
    }
}

function Dismount-VMHostAssignableDevice {
    [CmdletBinding()]
    param([string]$LocationPath, [string]$InstancePath, [switch]$Force, [string[]]$ComputerName, [switch]$Passthru)
    Enter-StandInCall -Cmdlet
    $device = Find-HostDeviceByPath -Cmdlet $PSCmdlet -LocationPath $LocationPath -InstancePath $InstancePath
    if (Test-DeviceDismounted $device) {
        Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidOperation' -ErrorId 'InvalidState' -Message "The operation failed.`nThe device is already dismounted from the host."
    }
    if (Test-DeviceEnabled $device) {
        # The host's driver still holds the device (WMI's 32774, 'System is in use').
        Stop-StandInCall -Cmdlet $PSCmdlet -Category 'ResourceBusy' -ErrorId 'ObjectInUse' -Message "The operation failed.`nThe device is in use: the system is in use."
    }
    if (-not $Force -and -not (Get-StandInValue $device 'securable' $false)) {
        Stop-StandInCall -Cmdlet $PSCmdlet -Category 'SecurityError' -ErrorId 'Unsecurable' -Message ("The operation failed.`nThe manufacturer of this device has not supplied any directives for securing this device while exposing it to a virtual machine. The device should only be exposed to trusted virtual machines.`nThis device is not supported when passed through to a virtual machine.")
    }
    Set-StandInValue $device 'present' $false
    Save-StandInState -Document (Get-StandInState)
}

function Mount-VMHostAssignableDevice {
    [CmdletBinding()]
    param([string]$LocationPath, [string]$InstancePath, [string[]]$ComputerName)
    Enter-StandInCall -Cmdlet
    $device = Find-HostDeviceByPath -Cmdlet $PSCmdlet -LocationPath $LocationPath -InstancePath $InstancePath
    if ($null -ne (Get-StandInValue $device 'assignedTo')) {
        Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidOperation' -ErrorId 'InvalidState' -Message "The operation failed.`nThe device is assigned to a virtual machine: remove it from the virtual machine first."
    }
    if (-not (Test-DeviceDismounted $device)) {
        Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidOperation' -ErrorId 'InvalidState' -Message "The operation failed.`nThe device is not dismounted."
    }
    # Back in the host's device tree, disabled as it was when it left.
    Set-StandInValue $device 'present' $true
    Set-StandInValue $device 'problemCode' 22
    Save-StandInState -Document (Get-StandInState)
}

function ConvertTo-AssignedDevice {
    param($Device, $Record, [string]$ComputerName)
    return [pscustomobject]@{
        PSTypeName   = 'Microsoft.HyperV.PowerShell.VMAssignedDevice'
        Name         = [string]$Device.friendlyName
        InstanceID   = ConvertTo-DismountedId $Device
        LocationPath = Get-DeviceLocationPath $Device
        VMName       = [string]$Record.name
        VMId         = [guid][string]$Record.id
        ComputerName = $ComputerName
    }
}

function Get-VMAssignableDevice {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VM)
    Enter-StandInCall -Cmdlet
    foreach ($one in $VM) {
        $record = Find-VmRecord -Cmdlet $PSCmdlet -Vm $one
        foreach ($device in (Get-HostDevices)) {
            if ([string](Get-StandInValue $device 'assignedTo' '') -eq [string]$record.id) { ConvertTo-AssignedDevice -Device $device -Record $record -ComputerName ([string]$one.ComputerName) }
        }
    }
}

function Add-VMAssignableDevice {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VM, [string]$LocationPath, [string]$InstancePath, [switch]$Passthru)
    Enter-StandInCall -Cmdlet
    foreach ($one in $VM) {
        $record = Find-VmRecord -Cmdlet $PSCmdlet -Vm $one
        $device = Find-HostDeviceByPath -Cmdlet $PSCmdlet -LocationPath $LocationPath -InstancePath $InstancePath
        if ([string]$record.state -ne 'Off') {
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidOperation' -ErrorId 'InvalidState' -Message ("'" + [string]$record.name + "' failed to add device 'Virtual Pci Express Port'. The operation cannot be performed while the virtual machine is in its current state.")
        }
        if (-not (Test-DeviceDismounted $device)) {
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidOperation' -ErrorId 'InvalidParameter' -Message ("'" + [string]$record.name + "' failed to add device 'Virtual Pci Express Port'. The device is not dismounted from the host: use Dismount-VMHostAssignableDevice first.")
        }
        if ($null -ne (Get-StandInValue $device 'assignedTo')) {
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'ResourceExists' -ErrorId 'ObjectInUse' -Message ("'" + [string]$record.name + "' failed to add device 'Virtual Pci Express Port'. The device is already assigned to a virtual machine.")
        }
        Set-StandInValue $device 'assignedTo' ([string]$record.id)
        Save-StandInState -Document (Get-StandInState)
        if ($Passthru) { ConvertTo-AssignedDevice -Device $device -Record $record -ComputerName ([string]$one.ComputerName) }
    }
}

function Remove-VMAssignableDevice {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VM, [string]$LocationPath, [string]$InstancePath)
    Enter-StandInCall -Cmdlet
    foreach ($one in $VM) {
        $record = Find-VmRecord -Cmdlet $PSCmdlet -Vm $one
        $device = Find-HostDeviceByPath -Cmdlet $PSCmdlet -LocationPath $LocationPath -InstancePath $InstancePath
        if ([string](Get-StandInValue $device 'assignedTo' '') -ne [string]$record.id) {
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'ObjectNotFound' -ErrorId 'InvalidParameter' -Message ("'" + [string]$record.name + "' has no assigned device at '" + (Get-DeviceLocationPath $device) + "'.")
        }
        if ([string]$record.state -ne 'Off') {
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidOperation' -ErrorId 'InvalidState' -Message ("'" + [string]$record.name + "' failed to remove device 'Virtual Pci Express Port'. The operation cannot be performed while the virtual machine is in its current state.")
        }
        Set-StandInValue $device 'assignedTo' $null
        Save-StandInState -Document (Get-StandInState)
    }
}

function Assert-AssignedDevicesFit {
    # Starting a VM maps each assigned device's BARs into its MMIO gaps; a gap too small for
    # them is the "insufficient system resources" failure DDA users meet.
    param($Cmdlet, $Record)
    foreach ($device in (Get-HostDevices)) {
        if ([string](Get-StandInValue $device 'assignedTo' '') -ne [string]$Record.id) { continue }
        $lowNeed = [int64](Get-StandInValue $device 'mmioLowBytes' 0)
        $highNeed = [int64](Get-StandInValue $device 'mmioHighBytes' 0)
        if ([int64](Get-StandInValue $Record 'lowMmioGapSize' 0) -lt $lowNeed -or [int64](Get-StandInValue $Record 'highMmioGapSize' 0) -lt $highNeed) {
            Stop-StandInCall -Cmdlet $Cmdlet -Category 'InvalidOperation' -ErrorId 'OperationFailed' -Message ("'" + [string]$Record.name + "' failed to start.`n`nVirtual Pci Express Port (Instance ID " + (ConvertTo-DismountedId $device) + "): Failed to Power on with Error 'Insufficient system resources exist to complete the requested service.'")
        }
    }
}

# ---------------------------------------------------------------- checkpoints

function ConvertTo-SnapshotObject {
    param($Checkpoint, $Record, [string]$ComputerName)
    $parentId = $null
    $parentName = $null
    $parent = Get-StandInValue $Checkpoint 'parentId'
    if ($null -ne $parent) {
        $parentId = [Nullable[guid]][guid][string]$parent
        $parentName = Get-CheckpointName -Record $Record -Id $parent
    }
    $created = $null
    $text = Get-StandInValue $Checkpoint 'created'
    if ($null -ne $text) {
        $created = [datetime]::Parse([string]$text, [System.Globalization.CultureInfo]::InvariantCulture, [System.Globalization.DateTimeStyles]::RoundtripKind).ToLocalTime()
    }
    return [pscustomobject]@{
        PSTypeName         = 'Microsoft.HyperV.PowerShell.VMSnapshot'
        Id                 = [guid][string]$Checkpoint.id
        Name               = [string]$Checkpoint.name
        VMName             = [string]$Record.name
        VMId               = [guid][string]$Record.id
        ParentSnapshotId   = $parentId
        ParentSnapshotName = $parentName
        CreationTime       = $created
        SnapshotType       = 'Standard'
        ComputerName       = $ComputerName
    }
}

function Get-VMSnapshot {
    [CmdletBinding()]
    param([Parameter(Position = 0)][object[]]$VM, [string[]]$VMName, [string]$Name, [string[]]$ComputerName)
    Enter-StandInCall -Cmdlet
    foreach ($one in (Get-VmsOf -Cmdlet $PSCmdlet -Vm $VM -VMName $VMName -ComputerName ([string]@($ComputerName)[0]))) {
        $record = Find-VmRecord -Cmdlet $PSCmdlet -Vm $one
        foreach ($checkpoint in @($record.checkpoints)) {
            if ($Name -and [string]$checkpoint.name -notlike $Name) { continue }
            ConvertTo-SnapshotObject -Checkpoint $checkpoint -Record $record -ComputerName ([string]$one.ComputerName)
        }
    }
}

function Set-CurrentCheckpoint {
    param($Document, $Record, $Id)
    $section = Get-StandInSection -Document $Document -Name 'currentCheckpoints'
    if ($null -eq $Id) { $section.PSObject.Properties.Remove([string]$Record.id) }
    else { Set-StandInValue $section ([string]$Record.id) ([string]$Id) }
}

function Checkpoint-VM {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VM, [string]$SnapshotName, [switch]$Passthru)
    Enter-StandInCall -Cmdlet
    foreach ($one in $VM) {
        $record = Find-VmRecord -Cmdlet $PSCmdlet -Vm $one
        $doc = Get-StandInState
        $now = [datetime]::Now
        $name = $SnapshotName
        if (-not $name) {
            # Hyper-V's default name, in the host's local time and en-US format.
            $name = [string]$record.name + ' - (' + $now.ToString('M/d/yyyy - h:mm:ss tt', [System.Globalization.CultureInfo]::GetCultureInfo('en-US')) + ')'
        }
        $created = [pscustomobject][ordered]@{
            id       = [guid]::NewGuid().ToString()
            name     = $name
            parentId = Get-CurrentCheckpointId -Document $doc -Record $record
            created  = $now.ToUniversalTime().ToString('o', [System.Globalization.CultureInfo]::InvariantCulture)
        }
        $record.checkpoints = @(@($record.checkpoints) + $created)
        Set-CurrentCheckpoint -Document $doc -Record $record -Id $created.id
        Save-StandInState -Document $doc
        if ($Passthru) { ConvertTo-SnapshotObject -Checkpoint $created -Record $record -ComputerName ([string]$one.ComputerName) }
    }
}

function Find-SnapshotRecord {
    param($Cmdlet, $Snapshot)
    $record = Find-VmRecord -Cmdlet $Cmdlet -Vm ([pscustomobject]@{ Id = $Snapshot.VMId; ComputerName = $Snapshot.ComputerName })
    $hit = @($record.checkpoints | Where-Object { [guid][string]$_.id -eq [guid]$Snapshot.Id })
    if ($hit.Count -eq 0) {
        Stop-StandInCall -Cmdlet $Cmdlet -Category 'ObjectNotFound' -ErrorId 'ObjectNotFound' -Message ("Hyper-V was unable to find a checkpoint with id `"" + [string]$Snapshot.Id + "`".")
    }
    return @($record, $hit[0])
}

function Restore-VMSnapshot {
    [CmdletBinding(SupportsShouldProcess = $true)]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VMSnapshot)
    Enter-StandInCall -Cmdlet
    foreach ($one in $VMSnapshot) {
        $found = Find-SnapshotRecord -Cmdlet $PSCmdlet -Snapshot $one
        $doc = Get-StandInState
        # Production checkpoints (Hyper-V's default) leave the VM off after an apply.
        if ([string]$found[0].state -ne 'Off') { Set-StandInVmPower -Document $doc -Record $found[0] -State 'Off' }
        Set-CurrentCheckpoint -Document $doc -Record $found[0] -Id $found[1].id
        Save-StandInState -Document $doc
    }
}

function Remove-VMSnapshot {
    [CmdletBinding(SupportsShouldProcess = $true)]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VMSnapshot)
    Enter-StandInCall -Cmdlet
    foreach ($one in $VMSnapshot) {
        $found = Find-SnapshotRecord -Cmdlet $PSCmdlet -Snapshot $one
        $record = $found[0]
        $victim = $found[1]
        $doc = Get-StandInState
        $parent = Get-StandInValue $victim 'parentId'
        $wasCurrent = (Get-CurrentCheckpointId -Document $doc -Record $record) -eq [string]$victim.id
        # Hyper-V merges a deleted checkpoint into its children, which move up to its parent.
        foreach ($child in @($record.checkpoints)) {
            if ((Get-StandInValue $child 'parentId') -eq $victim.id) { $child.parentId = $parent }
        }
        $record.checkpoints = @($record.checkpoints | Where-Object { $_.id -ne $victim.id })
        if ($wasCurrent) { Set-CurrentCheckpoint -Document $doc -Record $record -Id $parent }
        Save-StandInState -Document $doc
    }
}

# ---------------------------------------------------------------- integration services

function ConvertTo-IntegrationService {
    param($Service, $Record, [string]$ComputerName)
    $id = Get-StandInValue $Service 'id'
    if ($null -eq $id) {
        $component = $script:ComponentIds[[string]$Service.name]
        if ($null -eq $component) { $component = [string]$Service.name }
        $id = 'Microsoft:' + ([string]$Record.id).ToUpperInvariant() + '\' + $component
    }
    return [pscustomobject]@{
        PSTypeName               = 'Microsoft.HyperV.PowerShell.VMIntegrationComponent'
        Id                       = [string]$id
        Name                     = [string]$Service.name
        Enabled                  = [bool]$Service.enabled
        PrimaryStatusDescription = [string](Get-StandInValue $Service 'status' '')
        VMName                   = [string]$Record.name
        VMId                     = [guid][string]$Record.id
        ComputerName             = $ComputerName
    }
}

function Get-VMIntegrationService {
    [CmdletBinding()]
    param([Parameter(Position = 0)][object[]]$VM, [string[]]$VMName, [string[]]$Name, [string[]]$ComputerName)
    Enter-StandInCall -Cmdlet
    foreach ($one in (Get-VmsOf -Cmdlet $PSCmdlet -Vm $VM -VMName $VMName -ComputerName ([string]@($ComputerName)[0]))) {
        $record = Find-VmRecord -Cmdlet $PSCmdlet -Vm $one
        foreach ($service in @($record.integrationServices)) {
            if ($Name -and $Name -notcontains [string]$service.name) { continue }
            ConvertTo-IntegrationService -Service $service -Record $record -ComputerName ([string]$one.ComputerName)
        }
    }
}

function Enable-VMIntegrationService {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][object[]]$VMIntegrationService, [switch]$Passthru)
    Enter-StandInCall -Cmdlet
    foreach ($one in $VMIntegrationService) {
        $record = Find-VmRecord -Cmdlet $PSCmdlet -Vm ([pscustomobject]@{ Id = $one.VMId; ComputerName = $one.ComputerName })
        foreach ($service in @($record.integrationServices)) {
            if ((ConvertTo-IntegrationService -Service $service -Record $record -ComputerName '').Id -ne $one.Id) { continue }
            $service.enabled = $true
            Set-StandInValue $service 'status' 'OK'
        }
        Save-StandInState -Document (Get-StandInState)
    }
}

# ---------------------------------------------------------------- virtual disks

function Get-VhdPath {
    # A VM's first virtual disk: hardDiskPath in its record, else Hyper-V's default folder.
    param($Record)
    $path = Get-StandInValue $Record 'hardDiskPath'
    if ($null -ne $path) { return [string]$path }
    return ('C:\ProgramData\Microsoft\Windows\Virtual Hard Disks\' + [string]$Record.name + '.vhdx')
}

function Get-VMHardDiskDrive {
    [CmdletBinding()]
    param([Parameter(Position = 0)][object[]]$VM, [string[]]$VMName, [string[]]$ComputerName)
    Enter-StandInCall -Cmdlet
    foreach ($one in (Get-VmsOf -Cmdlet $PSCmdlet -Vm $VM -VMName $VMName -ComputerName ([string]@($ComputerName)[0]))) {
        $record = Find-VmRecord -Cmdlet $PSCmdlet -Vm $one
        if ((Get-StandInValue $record 'hardDiskPath' 'default') -eq '') { continue }
        $controller = 'SCSI'
        if ([int](Get-StandInValue $record 'generation' 2) -eq 1) { $controller = 'IDE' }
        [pscustomobject]@{
            PSTypeName         = 'Microsoft.HyperV.PowerShell.HardDiskDrive'
            VMName             = [string]$record.name
            VMId               = [guid][string]$record.id
            ControllerType     = $controller
            ControllerNumber   = 0
            ControllerLocation = 0
            Path               = Get-VhdPath -Record $record
            ComputerName       = [string]$one.ComputerName
        }
    }
}

function Find-VhdOwner {
    param($Cmdlet, [string]$Path)
    foreach ($record in @((Get-StandInState).vms)) {
        if ((Get-VhdPath -Record $record) -eq $Path) { return $record }
    }
    Stop-StandInCall -Cmdlet $Cmdlet -Category 'ObjectNotFound' -ErrorId 'ObjectNotFound' -Message ("Failed to mount the virtual disk. The system cannot find the file specified. ('" + $Path + "')")
}

function ConvertTo-VhdObject {
    param([string]$Path, $Header, [bool]$Attached, $DiskNumber)
    [pscustomobject]@{
        PSTypeName     = 'Microsoft.Vhd.PowerShell.VirtualHardDisk'
        Path           = $Path
        VhdFormat      = 'VHDX'
        VhdType        = [string]$Header.vhdType
        Size           = [uint64]$Header.sizeBytes
        FileSize       = [uint64]([System.IO.FileInfo]::new($Path)).Length
        Attached       = $Attached
        DiskNumber     = $DiskNumber
        ComputerName   = [string](Get-StandInState).host.name
    }
}

function New-VHD {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][string]$Path, [Parameter(Mandatory = $true)][uint64]$SizeBytes, [switch]$Dynamic, [switch]$Fixed)
    Enter-StandInCall -Cmdlet
    if ([System.IO.File]::Exists($Path)) {
        Stop-StandInCall -Cmdlet $PSCmdlet -Category 'ResourceExists' -ErrorId 'FileExists' -Message ("Failed to create the virtual hard disk. The system failed to create '" + $Path + "': The file exists. (0x80070050).")
    }
    $parent = [System.IO.Path]::GetDirectoryName($Path)
    if (-not $parent -or -not [System.IO.Directory]::Exists($parent)) {
        Stop-StandInCall -Cmdlet $PSCmdlet -Category 'ObjectNotFound' -ErrorId 'ObjectNotFound' -Message ("Failed to create the virtual hard disk. The system failed to create '" + $Path + "': The system cannot find the path specified. (0x80070003).")
    }
    if ($SizeBytes -lt 3MB) {
        Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidArgument' -ErrorId 'InvalidParameter' -Message 'Failed to create the virtual hard disk. The size must be at least 3 MB.'
    }
    $type = 'Dynamic'
    if ($Fixed) { $type = 'Fixed' }
    $folder = Join-Path ([System.IO.Path]::GetTempPath()) ('gpupv-vhd-' + [guid]::NewGuid().ToString('n'))
    $null = New-Item -ItemType Directory -Path $folder
    try {
        Write-StandInVhdHeader -Folder $folder -Header ([ordered]@{ sizeBytes = $SizeBytes; vhdType = $type; partitionStyle = 'RAW'; partitions = @() })
        Save-StandInVhdFile -Folder $folder -Path $Path
    } finally {
        Remove-Item -LiteralPath $folder -Recurse -Force
    }
    return (ConvertTo-VhdObject -Path $Path -Header (Read-StandInVhdHeader -Path $Path) -Attached $false -DiskNumber $null)
}

function Get-VHD {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][string[]]$Path)
    Enter-StandInCall -Cmdlet
    foreach ($one in $Path) {
        if (-not (Test-StandInVhdFile -Path $one)) {
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'ObjectNotFound' -ErrorId 'ObjectNotFound' -Message ("Getting the mounted storage instance for the path '" + $one + "' failed. The system cannot find the file specified.")
        }
        $entry = Get-StandInValue (Get-StandInSection -Document (Get-StandInState) -Name 'mountedDisks') $one
        $header = $null
        if ($null -ne $entry) { $header = Read-StandInVhdHeader -Folder ([string]$entry.folder) } else { $header = Read-StandInVhdHeader -Path $one }
        $number = $null
        if ($null -ne $entry) { $number = [int]$entry.diskNumber }
        ConvertTo-VhdObject -Path $one -Header $header -Attached ($null -ne $entry) -DiskNumber $number
    }
}

function Get-VhdUser {
    # A VM that is not off holds its disk open.
    param([string]$Path)
    foreach ($record in @((Get-StandInState).vms)) {
        if ((Get-VhdPath -Record $record) -eq $Path -and [string]$record.state -ne 'Off') { return $record }
    }
    return $null
}

function Mount-VHD {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][string[]]$Path, [switch]$Passthru, [switch]$ReadOnly)
    Enter-StandInCall -Cmdlet
    foreach ($one in $Path) {
        if (Test-StandInVhdFile -Path $one) { Mount-StandInVhdFile -Cmdlet $PSCmdlet -Path $one -Passthru:$Passthru; continue }
        $record = Find-VhdOwner -Cmdlet $PSCmdlet -Path $one
        $doc = Get-StandInState
        if ([string]$record.state -ne 'Off') {
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'ResourceBusy' -ErrorId 'ObjectInUse' -Message ("Failed to mount the virtual disk. The process cannot access the file because it is being used by another process. ('" + $one + "')")
        }
        $mounted = Get-StandInSection -Document $doc -Name 'mountedDisks'
        if ($null -ne (Get-StandInValue $mounted $one)) {
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'ResourceExists' -ErrorId 'ObjectInUse' -Message ("Failed to mount the virtual disk. The disk '" + $one + "' is already mounted.")
        }
        $numbers = @($mounted.PSObject.Properties | ForEach-Object { [int]$_.Value.diskNumber })
        $number = 1
        while ($numbers -contains $number) { $number++ }
        Set-StandInValue $mounted $one ([pscustomobject]@{ diskNumber = $number; vmId = [string]$record.id; driveLetter = $null })
        Save-StandInState -Document $doc
        if ($Passthru) {
            [pscustomobject]@{ PSTypeName = 'Microsoft.Vhd.PowerShell.VirtualHardDisk'; Path = $one; DiskNumber = $number; Attached = $true; VhdFormat = 'VHDX'; VhdType = 'Dynamic' }
        }
    }
}

function Dismount-VHD {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)][string[]]$Path)
    Enter-StandInCall -Cmdlet
    foreach ($one in $Path) {
        $doc = Get-StandInState
        $mounted = Get-StandInSection -Document $doc -Name 'mountedDisks'
        $entry = Get-StandInValue $mounted $one
        if ($null -eq $entry) {
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidArgument' -ErrorId 'InvalidParameter' -Message ("The disk '" + $one + "' is not attached.")
        }
        $letter = Get-StandInValue $entry 'driveLetter'
        if ($null -ne $letter) { Remove-PSDrive -Name ([string]$letter) -Scope Global -Force -ErrorAction SilentlyContinue }
        $folder = Get-StandInValue $entry 'folder'
        if ($null -ne $folder) {
            # A disk file gets what was written to it while mounted; drive letters go with the mount.
            $header = Read-StandInVhdHeader -Folder ([string]$folder)
            foreach ($part in @($header.partitions)) {
                $partLetter = Get-StandInValue $part 'driveLetter'
                if ($null -ne $partLetter) { Remove-PSDrive -Name ([string]$partLetter) -Scope Global -Force -ErrorAction SilentlyContinue }
                Set-StandInValue $part 'driveLetter' $null
            }
            Write-StandInVhdHeader -Folder ([string]$folder) -Header $header
            Save-StandInVhdFile -Folder ([string]$folder) -Path $one
            Remove-Item -LiteralPath ([string]$folder) -Recurse -Force
        }
        $mounted.PSObject.Properties.Remove($one)
        Save-StandInState -Document $doc
    }
}

function Mount-StandInVhdFile {
    # Mounts a disk file: unpacked under <state>.mounted/<disk number>/, listed in mountedDisks.
    param($Cmdlet, [string]$Path, [switch]$Passthru)
    $doc = Get-StandInState
    $user = Get-VhdUser -Path $Path
    if ($null -ne $user) {
        Stop-StandInCall -Cmdlet $Cmdlet -Category 'ResourceBusy' -ErrorId 'ObjectInUse' -Message ("Failed to mount the virtual disk. The process cannot access the file because it is being used by another process. ('" + $Path + "')")
    }
    $mounted = Get-StandInSection -Document $doc -Name 'mountedDisks'
    if ($null -ne (Get-StandInValue $mounted $Path)) {
        Stop-StandInCall -Cmdlet $Cmdlet -Category 'ResourceExists' -ErrorId 'ObjectInUse' -Message ("Failed to mount the virtual disk. The disk '" + $Path + "' is already mounted.")
    }
    $numbers = @($mounted.PSObject.Properties | ForEach-Object { [int]$_.Value.diskNumber })
    $number = 1
    while ($numbers -contains $number) { $number++ }
    $folder = Get-StandInFolder -Kind 'mounted' -Name ([string]$number)
    if (Test-Path -LiteralPath $folder) { Remove-Item -LiteralPath $folder -Recurse -Force }
    $null = New-Item -ItemType Directory -Path $folder -Force
    [System.IO.Compression.ZipFile]::ExtractToDirectory($Path, $folder)
    Set-StandInValue $mounted $Path ([pscustomobject]@{ diskNumber = $number; vmId = $null; driveLetter = $null; folder = $folder })
    Save-StandInState -Document $doc
    if ($Passthru) { ConvertTo-VhdObject -Path $Path -Header (Read-StandInVhdHeader -Folder $folder) -Attached $true -DiskNumber $number }
}

Export-ModuleMember -Function @(
    'Get-VM', 'Start-VM', 'Stop-VM', 'Save-VM', 'Suspend-VM', 'Resume-VM', 'Restart-VM', 'Set-VM',
    'Get-VMMemory', 'Set-VMMemory',
    'Get-VMHostPartitionableGpu', 'Get-VMPartitionableGpu',
    'Get-VMGpuPartitionAdapter', 'Add-VMGpuPartitionAdapter', 'Set-VMGpuPartitionAdapter', 'Remove-VMGpuPartitionAdapter',
    'Get-VMSnapshot', 'Checkpoint-VM', 'Restore-VMSnapshot', 'Remove-VMSnapshot',
    'Get-VMIntegrationService', 'Enable-VMIntegrationService',
    'Get-VMHardDiskDrive', 'Mount-VHD', 'Dismount-VHD', 'New-VHD', 'Get-VHD',
    'Get-VMHost', 'Get-VMSwitch', 'New-VM', 'Remove-VM', 'Set-VMProcessor', 'Set-VMFirmware', 'Set-VMKeyProtector', 'Enable-VMTPM',
    'Get-VMHostAssignableDevice', 'Dismount-VMHostAssignableDevice', 'Mount-VMHostAssignableDevice',
    'Get-VMAssignableDevice', 'Add-VMAssignableDevice', 'Remove-VMAssignableDevice',
    # From the nested PowerShellDirect.psm1 (see the manifest).
    'New-PSSession', 'Invoke-Command', 'Copy-Item', 'Remove-PSSession'
)
