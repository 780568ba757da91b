# PowerShellDirect.psm1 - the PowerShell Direct forms of New-PSSession, Invoke-Command (also
# -AsJob), Copy-Item (-ToSession and -FromSession) and Remove-PSSession, for the Hyper-V
# stand-in. Any other form goes to the real cmdlet. A guest is a runspace of its own in which
# $env:SystemRoot is the VM's Windows folder (GpuPvStandIn), the Windows guest stand-ins
# (test/fakes/windows-guest/modules) come first on PSModulePath, so GpuPvGuest.psm1 runs there
# for real, and Get-CimInstance answers Win32_VideoController from standIn.guests; what crosses
# the session is serialized and deserialized as remoting does (depth 1), so a caller that
# relies on live objects from the guest fails here as it would on Windows.
#
# Environment variables belong to the process, so while a guest's command runs they are the
# guest's (GPUPV_STANDIN_VM=<vm id> marks the processes it starts): commands of two VMs cannot
# run at the same time in one process. Invoke-Command -AsJob returns a job the real
# Receive-Job, Wait-Job, Stop-Job and Remove-Job handle (GuestJob.cs); when the VM stops while
# it runs, the job fails as a broken remote session does, and the processes of that guest end.

Set-StrictMode -Version 2.0
Import-Module -Name 'GpuPvStandIn' -ErrorAction Stop

$script:Sessions = @{}
$script:NextSessionId = 1
# The test harness puts this module's folder on PSModulePath as a link; the guest's modules sit
# beside the real folder, not beside the link.
$script:StandInFolder = $PSScriptRoot
$linked = [System.IO.Directory]::ResolveLinkTarget($PSScriptRoot, $true)
if ($null -ne $linked) { $script:StandInFolder = $linked.FullName }
$script:GuestModules = [System.IO.Path]::GetFullPath((Join-Path $script:StandInFolder '../../../windows-guest/modules'))
$script:GuestMarker = 'GPUPV_STANDIN_VM'
# Which guest's environment the process has, and how many of its commands run: shared with
# the guest runspaces, which enter and leave it themselves.
$script:GuestScope = [hashtable]::Synchronized(@{ count = 0; vmId = $null; saved = $null })

# Runs a command in the guest's environment; the process's own comes back when the last ends.
$script:GuestWrapper = @'
param($Scope, [string]$VmId, [string]$Windows, [string]$Modules, [string]$Marker, [string]$Script, [object[]]$Arguments)
$names = @('SystemRoot', 'PSModulePath', $Marker)
[System.Threading.Monitor]::Enter($Scope.SyncRoot)
try {
    if ($Scope.count -gt 0 -and $Scope.vmId -ne $VmId) { throw ('stand-in: a command of the guest ' + $Scope.vmId + ' is running in this process; guests of two VMs cannot run at the same time here.') }
    if ($Scope.count -eq 0) {
        $saved = @{}
        foreach ($name in $names) { $saved[$name] = [System.Environment]::GetEnvironmentVariable($name) }
        $Scope.saved = $saved
        $Scope.vmId = $VmId
        [System.Environment]::SetEnvironmentVariable('SystemRoot', $Windows)
        [System.Environment]::SetEnvironmentVariable('PSModulePath', $Modules + [System.IO.Path]::PathSeparator + $saved['PSModulePath'])
        [System.Environment]::SetEnvironmentVariable($Marker, $VmId)
    }
    $Scope.count++
} finally {
    [System.Threading.Monitor]::Exit($Scope.SyncRoot)
}
try {
    & ([scriptblock]::Create($Script)) @Arguments
} finally {
    [System.Threading.Monitor]::Enter($Scope.SyncRoot)
    try {
        $Scope.count--
        if ($Scope.count -eq 0) {
            foreach ($name in $names) { [System.Environment]::SetEnvironmentVariable($name, $Scope.saved[$name]) }
            $Scope.vmId = $null
        }
    } finally {
        [System.Threading.Monitor]::Exit($Scope.SyncRoot)
    }
}
'@

# Defines the guest's CIM classes inside its runspace; the adapters arrive as data.
$script:GuestPrelude = @'
param([string]$AdaptersJson)
$global:GpuPvGuestAdapters = @($AdaptersJson | ConvertFrom-Json)
function global:Get-CimInstance {
    param([Parameter(Position = 0)][string]$ClassName, [string]$Filter, [string]$Namespace)
    if ($ClassName -ne 'Win32_VideoController') { throw ("Invalid class: the guest stand-in has no " + $ClassName) }
    foreach ($a in $global:GpuPvGuestAdapters) {
        [pscustomobject]@{ Name = [string]$a.name; DriverVersion = [string]$a.driverVersion; ConfigManagerErrorCode = [uint32]$a.errorCode }
    }
}
'@

function Find-RunningGuest {
    # The VM a PowerShell Direct call names, which must run on this host.
    param($Cmdlet, $VMId, [string]$VMName)
    $doc = Get-StandInState
    $record = $null
    if ($null -ne $VMId) { $record = Find-StandInVmRecord -HostState $doc -Id $VMId }
    else { $record = @($doc.vms | Where-Object { [string]$_.name -eq $VMName })[0] }
    $label = $VMName
    if ($null -ne $VMId) { $label = [string]$VMId }
    if ($null -eq $record) {
        Stop-StandInCall -Cmdlet $Cmdlet -Category 'InvalidArgument' -ErrorId 'InvalidVMIdNotSingle' -Message ("The input VMId " + $label + " does not resolve to a single virtual machine.")
    }
    if ([string]$record.state -ne 'Running') {
        Stop-StandInCall -Cmdlet $Cmdlet -Category 'InvalidOperation' -ErrorId 'InvalidVMState' -Message ("The virtual machine " + [string]$record.name + " is not in running state.")
    }
    return $record
}

function Assert-GuestCredential {
    # The guest's verdict on a logon: standIn.credentials (none = the guest accepts nobody).
    # Windows user names ignore case, and '.\user' names the guest's local account.
    param($Cmdlet, [pscredential]$Credential)
    $accepted = Get-StandInValue (Get-StandInState).standIn 'credentials'
    $bare = { param($n) ([string]$n -replace '^\.\\', '').ToLowerInvariant() }
    $ok = $null -ne $accepted -and $null -ne $Credential
    if ($ok) { $ok = (& $bare $accepted.user) -eq (& $bare $Credential.UserName) -and [string]$accepted.password -ceq $Credential.GetNetworkCredential().Password }
    if (-not $ok) {
        Stop-StandInCall -Cmdlet $Cmdlet -Category 'AuthenticationError' -ErrorId 'InvalidCredential' -Message 'The credential is invalid.'
    }
}

function Open-GuestSession {
    param($Cmdlet, $Record)
    $doc = Get-StandInState
    $volume = Get-StandInVmVolume -Document $doc -VmId ([string]$Record.id)
    $runspace = [runspacefactory]::CreateRunspace()
    $runspace.Open()
    $prelude = [powershell]::Create()
    $prelude.Runspace = $runspace
    $null = $prelude.AddScript($script:GuestPrelude).AddArgument((ConvertTo-Json -InputObject @(Get-StandInGuestAdapter -Document $doc -VmId ([string]$Record.id)) -Depth 4 -Compress))
    $null = $prelude.Invoke()
    $prelude.Dispose()
    $id = $script:NextSessionId
    $script:NextSessionId++
    $session = [pscustomobject]@{
        PSTypeName        = 'GpuPvStandIn.PowerShellDirectSession'
        Id                = $id
        Name              = 'Runspace' + [string]$id
        ComputerName      = [string]$Record.name
        VMId              = [guid][string]$Record.id
        VMName            = [string]$Record.name
        ConfigurationName = 'Microsoft.PowerShell'
        State             = 'Opened'
        Availability      = 'Available'
    }
    $script:Sessions[$id] = @{ Session = $session; Runspace = $runspace; Volume = $volume; VmId = [string]$Record.id }
    return $session
}

function Get-OpenGuest {
    param($Cmdlet, $Session)
    $entry = $script:Sessions[[int]$Session.Id]
    if ($null -eq $entry -or $entry.Session.State -ne 'Opened') {
        Stop-StandInCall -Cmdlet $Cmdlet -Category 'InvalidOperation' -ErrorId 'InvalidSessionState' -Message ("Because the session state for session " + [string]$Session.Name + ", " + [string]$Session.VMId + " is not equal to Open, you cannot run a command in the session.  The session state is Broken.")
    }
    $record = Find-StandInVmRecord -HostState (Get-StandInState) -Id $entry.VmId
    if ($null -eq $record -or [string]$record.state -ne 'Running') {
        $entry.Session.State = 'Broken'
        Stop-StandInCall -Cmdlet $Cmdlet -Category 'OpenError' -ErrorId 'PSSessionStateBroken' -Message ("The PowerShell Direct session to the virtual machine " + [string]$Session.VMName + " was lost: the virtual machine is no longer running.")
    }
    return $entry
}

function Close-GuestSession {
    param([int]$Id)
    $entry = $script:Sessions[$Id]
    if ($null -eq $entry) { return }
    $entry.Session.State = 'Closed'
    $entry.Runspace.Dispose()
    $script:Sessions.Remove($Id)
}

function ConvertTo-Remoted {
    # What crosses a remoting boundary: CliXml at remoting's default depth, read back.
    param($Value)
    return [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($Value))
}

function New-GuestPipeline {
    # The guest's command in its runspace, inside the guest's environment; the arguments cross
    # the session as remoting sends them.
    param($Entry, [scriptblock]$ScriptBlock, [object[]]$ArgumentList)
    $remoted = New-Object -TypeName 'System.Collections.Generic.List[object]'
    foreach ($arg in @($ArgumentList)) { $remoted.Add((ConvertTo-Remoted $arg)) }
    $ps = [powershell]::Create()
    $ps.Runspace = $Entry.Runspace
    $null = $ps.AddScript($script:GuestWrapper).AddArgument($script:GuestScope).AddArgument($Entry.VmId.ToLowerInvariant()).AddArgument((Join-Path $Entry.Volume 'Windows'))
    $null = $ps.AddArgument($script:GuestModules).AddArgument($script:GuestMarker).AddArgument([string]$ScriptBlock).AddArgument($remoted.ToArray())
    return $ps
}

function Invoke-InGuest {
    param($Cmdlet, $Entry, [scriptblock]$ScriptBlock, [object[]]$ArgumentList)
    $ps = New-GuestPipeline -Entry $Entry -ScriptBlock $ScriptBlock -ArgumentList $ArgumentList
    $failure = $null
    try {
        $output = $ps.Invoke()
        if ($ps.Streams.Error.Count -gt 0) { $failure = $ps.Streams.Error[0] }
    } catch {
        $inner = $_.Exception
        while ($null -ne $inner.InnerException) { $inner = $inner.InnerException }
        $failure = $inner
    } finally {
        $ps.Dispose()
    }
    if ($failure -is [System.Management.Automation.ErrorRecord]) {
        Stop-StandInCall -Cmdlet $Cmdlet -Message $failure.Exception.Message -Category ([string]$failure.CategoryInfo.Category) -ErrorId 'RemoteException'
        return
    }
    if ($null -ne $failure) {
        Stop-StandInCall -Cmdlet $Cmdlet -Message $failure.Message -ErrorId 'RemoteException'
        return
    }
    foreach ($item in $output) { ConvertTo-Remoted $item }
}

function Start-GuestJob {
    # Invoke-Command -Session -AsJob: the job runs the command in the guest and is in the job
    # repository, as a remote job is.
    param($Cmdlet, $Entry, [scriptblock]$ScriptBlock, [object[]]$ArgumentList, [string]$JobName)
    if ($null -eq ('GpuPvStandIn.GuestJob' -as [type])) {
        Add-Type -TypeDefinition ([System.IO.File]::ReadAllText((Join-Path $PSScriptRoot 'GuestJob.cs')))
    }
    $ps = New-GuestPipeline -Entry $Entry -ScriptBlock $ScriptBlock -ArgumentList $ArgumentList
    if (-not $JobName) { $JobName = 'Job' + [string]$script:NextSessionId }
    $job = [GpuPvStandIn.GuestJob]::new([string]$ScriptBlock, $JobName, $ps, $Entry.Session, [string]$Entry.Session.VMName, $Entry.VmId, $env:GPUPV_FAKE_HYPERV_STATE, ($script:GuestMarker + '=' + $Entry.VmId.ToLowerInvariant()))
    $Cmdlet.JobRepository.Add($job)
    $job.StartJob()
    return $job
}

function New-PSSession {
    [CmdletBinding()]
    param([guid[]]$VMId, [string[]]$VMName, [pscredential]$Credential)
    Enter-StandInCall -Cmdlet
    if (-not $VMId -and -not $VMName) { throw 'stand-in: only PowerShell Direct sessions (-VMId or -VMName) exist here.' }
    $record = Find-RunningGuest -Cmdlet $PSCmdlet -VMId (@($VMId)[0]) -VMName ([string]@($VMName)[0])
    Assert-GuestCredential -Cmdlet $PSCmdlet -Credential $Credential
    Open-GuestSession -Cmdlet $PSCmdlet -Record $record
}

function Invoke-Command {
    [CmdletBinding()]
    param(
        [object[]]$Session,
        [guid[]]$VMId,
        [string[]]$VMName,
        [pscredential]$Credential,
        [Parameter(Position = 0)][scriptblock]$ScriptBlock,
        [string]$FilePath,
        [object[]]$ArgumentList,
        [switch]$AsJob,
        [string]$JobName
    )
    if (-not $Session -and -not $VMId -and -not $VMName) {
        $null = $PSBoundParameters.Remove('Session')
        Microsoft.PowerShell.Core\Invoke-Command @PSBoundParameters
        return
    }
    Enter-StandInCall -Cmdlet
    # -FilePath: the local script's text runs in the guest.
    if ($FilePath) { $ScriptBlock = [scriptblock]::Create([System.IO.File]::ReadAllText($FilePath)) }
    if ($Session) {
        $entry = Get-OpenGuest -Cmdlet $PSCmdlet -Session $Session[0]
        if ($AsJob) {
            Start-GuestJob -Cmdlet $PSCmdlet -Entry $entry -ScriptBlock $ScriptBlock -ArgumentList $ArgumentList -JobName $JobName
            return
        }
        Invoke-InGuest -Cmdlet $PSCmdlet -Entry $entry -ScriptBlock $ScriptBlock -ArgumentList $ArgumentList
        return
    }
    if ($AsJob) { throw 'stand-in: Invoke-Command -AsJob is modeled with -Session only.' }
    $record = Find-RunningGuest -Cmdlet $PSCmdlet -VMId (@($VMId)[0]) -VMName ([string]@($VMName)[0])
    Assert-GuestCredential -Cmdlet $PSCmdlet -Credential $Credential
    $opened = Open-GuestSession -Cmdlet $PSCmdlet -Record $record
    try {
        Invoke-InGuest -Cmdlet $PSCmdlet -Entry $script:Sessions[[int]$opened.Id] -ScriptBlock $ScriptBlock -ArgumentList $ArgumentList
    } finally {
        Close-GuestSession -Id $opened.Id
    }
}

function Copy-Item {
    [CmdletBinding()]
    param(
        [Parameter(Position = 0)][string[]]$Path,
        [string[]]$LiteralPath,
        [Parameter(Position = 1)][string]$Destination,
        [object]$ToSession,
        [object]$FromSession,
        [switch]$Recurse,
        [switch]$Force,
        [switch]$Container,
        [switch]$PassThru
    )
    if ($null -eq $ToSession -and $null -eq $FromSession) {
        $null = $PSBoundParameters.Remove('ToSession')
        $null = $PSBoundParameters.Remove('FromSession')
        Microsoft.PowerShell.Management\Copy-Item @PSBoundParameters
        return
    }
    Enter-StandInCall -Cmdlet
    $sources = $LiteralPath
    if (-not $sources) { $sources = $Path }
    if ($null -ne $FromSession) {
        $entry = Get-OpenGuest -Cmdlet $PSCmdlet -Session $FromSession
        foreach ($source in @($sources)) {
            $full = [System.IO.Path]::GetFullPath($source)
            if (-not $full.StartsWith($entry.Volume, [System.StringComparison]::Ordinal) -or -not (Test-Path -LiteralPath $full)) {
                Stop-StandInCall -Cmdlet $PSCmdlet -Category 'ObjectNotFound' -ErrorId 'PathNotFound' -TargetObject $source -Message ("Cannot find path '" + $source + "' because it does not exist.")
                continue
            }
            Microsoft.PowerShell.Management\Copy-Item -LiteralPath $full -Destination $Destination -Force:$Force -Recurse:$Recurse
        }
        return
    }
    $entry = Get-OpenGuest -Cmdlet $PSCmdlet -Session $ToSession
    $full = [System.IO.Path]::GetFullPath($Destination)
    if (-not $full.StartsWith($entry.Volume, [System.StringComparison]::Ordinal)) {
        Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidArgument' -ErrorId 'CopyItemRemoteDestinationIsInvalid' -Message ("The destination path " + $Destination + " is not a path in the guest.")
    }
    $doc = Get-StandInState
    # The VM goes away after the given number of files copied by the module call being served
    # (standIn.faults, kind vmGoneMidCopy; Sync-GpuPvHostDriver when the fault names no function).
    $copied = 0
    if ($entry.ContainsKey('Copied')) { $copied = [int]$entry['Copied'] }
    $caller = Get-StandInCurrentFunction
    if (-not $caller) { $caller = 'Sync-GpuPvHostDriver' }
    $gone = Get-StandInFault -Function $caller -Kinds @('vmGoneMidCopy') -Peek
    if ($null -ne $gone -and $copied -ge [int](Get-StandInValue $gone 'afterFiles' 1)) {
        $null = Get-StandInFault -Function $caller -Kinds @('vmGoneMidCopy')
        Set-StandInVmPower -Document $doc -Record (Find-StandInVmRecord -HostState $doc -Id $entry.VmId) -State 'Off'
        Save-StandInState -Document $doc
        $null = Get-OpenGuest -Cmdlet $PSCmdlet -Session $ToSession
    }
    $delay = [int](Get-StandInValue $doc.standIn 'copyDelayMs' 0)
    if ($delay -gt 0) { Start-Sleep -Milliseconds $delay }
    Microsoft.PowerShell.Management\Copy-Item -LiteralPath $sources -Destination $full -Force:$Force -Recurse:$Recurse
    $entry['Copied'] = $copied + @($sources).Count
}

function Remove-PSSession {
    [CmdletBinding()]
    param([Parameter(Position = 0)][object[]]$Session)
    foreach ($one in @($Session)) { Close-GuestSession -Id ([int]$one.Id) }
}

Export-ModuleMember -Function @('New-PSSession', 'Invoke-Command', 'Copy-Item', 'Remove-PSSession')
