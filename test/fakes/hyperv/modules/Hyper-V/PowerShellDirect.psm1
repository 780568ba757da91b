# PowerShellDirect.psm1 - the PowerShell Direct forms of New-PSSession, Invoke-Command,
# Copy-Item and Remove-PSSession, for the Hyper-V stand-in. Any other form goes to the real
# cmdlet. A guest is a runspace of its own in which $env:SystemRoot is the VM's Windows folder
# (GpuPvStandIn) and Get-CimInstance answers Win32_VideoController from standIn.guests; what
# crosses the session is serialized and deserialized as remoting does (depth 1), so a caller
# that relies on live objects from the guest fails here as it would on Windows.

Set-StrictMode -Version 2.0
Import-Module -Name 'GpuPvStandIn' -ErrorAction Stop

$script:Sessions = @{}
$script:NextSessionId = 1

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

function Invoke-InGuest {
    param($Cmdlet, $Entry, [scriptblock]$ScriptBlock, [object[]]$ArgumentList)
    $ps = [powershell]::Create()
    $ps.Runspace = $Entry.Runspace
    $null = $ps.AddScript([string]$ScriptBlock)
    foreach ($arg in @($ArgumentList)) { $null = $ps.AddArgument((ConvertTo-Remoted $arg)) }
    # The guest's Windows folder; process-wide, so it is put back before anything else runs.
    $hostRoot = $env:SystemRoot
    $env:SystemRoot = Join-Path $Entry.Volume 'Windows'
    $failure = $null
    try {
        $output = $ps.Invoke()
        if ($ps.Streams.Error.Count -gt 0) { $failure = $ps.Streams.Error[0] }
    } catch {
        $inner = $_.Exception
        while ($null -ne $inner.InnerException) { $inner = $inner.InnerException }
        $failure = $inner
    } finally {
        $env:SystemRoot = $hostRoot
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
        [Parameter(Mandatory = $true, Position = 0)][scriptblock]$ScriptBlock,
        [object[]]$ArgumentList
    )
    if (-not $Session -and -not $VMId -and -not $VMName) {
        $null = $PSBoundParameters.Remove('Session')
        Microsoft.PowerShell.Core\Invoke-Command @PSBoundParameters
        return
    }
    Enter-StandInCall -Cmdlet
    if ($Session) {
        $entry = Get-OpenGuest -Cmdlet $PSCmdlet -Session $Session[0]
        Invoke-InGuest -Cmdlet $PSCmdlet -Entry $entry -ScriptBlock $ScriptBlock -ArgumentList $ArgumentList
        return
    }
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
        [switch]$Recurse,
        [switch]$Force,
        [switch]$Container,
        [switch]$PassThru
    )
    if ($null -eq $ToSession) {
        $null = $PSBoundParameters.Remove('ToSession')
        Microsoft.PowerShell.Management\Copy-Item @PSBoundParameters
        return
    }
    Enter-StandInCall -Cmdlet
    $entry = Get-OpenGuest -Cmdlet $PSCmdlet -Session $ToSession
    $full = [System.IO.Path]::GetFullPath($Destination)
    if (-not $full.StartsWith($entry.Volume, [System.StringComparison]::Ordinal)) {
        Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidArgument' -ErrorId 'CopyItemRemoteDestinationIsInvalid' -Message ("The destination path " + $Destination + " is not a path in the guest.")
    }
    $doc = Get-StandInState
    # The VM goes away after the given number of files (standIn.faults, kind vmGoneMidCopy).
    $copied = 0
    if ($entry.ContainsKey('Copied')) { $copied = [int]$entry['Copied'] }
    $gone = Get-StandInFault -Function 'Sync-GpuPvHostDriver' -Kinds @('vmGoneMidCopy') -Peek
    if ($null -ne $gone -and $copied -ge [int](Get-StandInValue $gone 'afterFiles' 1)) {
        $null = Get-StandInFault -Function 'Sync-GpuPvHostDriver' -Kinds @('vmGoneMidCopy')
        Set-StandInVmPower -Document $doc -Record (Find-StandInVmRecord -HostState $doc -Id $entry.VmId) -State 'Off'
        Save-StandInState -Document $doc
        $null = Get-OpenGuest -Cmdlet $PSCmdlet -Session $ToSession
    }
    $delay = [int](Get-StandInValue $doc.standIn 'copyDelayMs' 0)
    if ($delay -gt 0) { Start-Sleep -Milliseconds $delay }
    $sources = $LiteralPath
    if (-not $sources) { $sources = $Path }
    Microsoft.PowerShell.Management\Copy-Item -LiteralPath $sources -Destination $full -Force:$Force -Recurse:$Recurse
    $entry['Copied'] = $copied + @($sources).Count
}

function Remove-PSSession {
    [CmdletBinding()]
    param([Parameter(Position = 0)][object[]]$Session)
    foreach ($one in @($Session)) { Close-GuestSession -Id ([int]$one.Id) }
}

Export-ModuleMember -Function @('New-PSSession', 'Invoke-Command', 'Copy-Item', 'Remove-PSSession')
