# Microsoft.PowerShell.Diagnostics.psm1 - Get-WinEvent -FilterHashtable over guest.events
# (GuestStandIn): entries { logName, providerName, id, level (1 critical .. 5 verbose),
# timeCreated (ISO 8601), message }. Newest first, as Get-WinEvent reads a log; -MaxEvents
# caps the count; nothing found is the cmdlet's NoMatchingEventsFound error.

Set-StrictMode -Version 2.0
Import-Module -Name 'GuestStandIn' -ErrorAction Stop

$script:Levels = @{ 0 = 'Information'; 1 = 'Critical'; 2 = 'Error'; 3 = 'Warning'; 4 = 'Information'; 5 = 'Verbose' }
$script:Keys = @('LogName', 'ProviderName', 'Id', 'Level', 'StartTime', 'EndTime')

function Get-WinEvent {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][hashtable[]]$FilterHashtable,
        [long]$MaxEvents = -1,
        [switch]$Oldest
    )
    $guest = (Get-GuestStandIn).Guest
    $computer = [string](Get-GuestStandInValue $guest 'computerName' 'WIN11-GUEST')
    $all = @(Get-GuestStandInValue $guest 'events' @())
    $found = New-Object -TypeName 'System.Collections.Generic.List[object]'
    for ($i = 0; $i -lt $all.Count; $i++) {
        $entry = $all[$i]
        $time = ConvertTo-GuestStandInTime $entry.timeCreated
        $level = [int](Get-GuestStandInValue $entry 'level' 4)
        foreach ($filter in $FilterHashtable) {
            foreach ($key in $filter.Keys) {
                if ($script:Keys -notcontains $key) { throw ("stand-in: Get-WinEvent -FilterHashtable key '" + $key + "' is not modeled") }
            }
            $match = $true
            if ($filter.ContainsKey('LogName') -and @($filter.LogName | Where-Object { [string]$_ -ieq [string]$entry.logName }).Count -eq 0) { $match = $false }
            if ($filter.ContainsKey('ProviderName') -and @($filter.ProviderName | Where-Object { [string]$_ -ieq [string]$entry.providerName }).Count -eq 0) { $match = $false }
            if ($filter.ContainsKey('Id') -and @($filter.Id | Where-Object { [int]$_ -eq [int]$entry.id }).Count -eq 0) { $match = $false }
            if ($filter.ContainsKey('Level') -and @($filter.Level | Where-Object { [int]$_ -eq $level }).Count -eq 0) { $match = $false }
            if ($filter.ContainsKey('StartTime') -and $time -lt ([datetime]$filter.StartTime)) { $match = $false }
            if ($filter.ContainsKey('EndTime') -and $time -gt ([datetime]$filter.EndTime)) { $match = $false }
            if ($match) {
                $found.Add([pscustomobject]@{
                        PSTypeName       = 'System.Diagnostics.Eventing.Reader.EventLogRecord'
                        Id               = [int]$entry.id
                        ProviderName     = [string]$entry.providerName
                        LogName          = [string]$entry.logName
                        Level            = [byte]$level
                        LevelDisplayName = $script:Levels[$level]
                        TimeCreated      = $time
                        RecordId         = [long]($i + 1)
                        MachineName      = $computer
                        Message          = [string](Get-GuestStandInValue $entry 'message' '')
                    })
                break
            }
        }
    }
    $ordered = @($found | Sort-Object -Property 'TimeCreated', 'RecordId' -Descending:(-not $Oldest))
    if ($MaxEvents -gt 0) { $ordered = @($ordered | Select-Object -First $MaxEvents) }
    if ($ordered.Count -eq 0) {
        $record = [System.Management.Automation.ErrorRecord]::new([System.Exception]::new('No events were found that match the specified selection criteria.'), 'NoMatchingEventsFound,Microsoft.PowerShell.Commands.GetWinEventCommand', [System.Management.Automation.ErrorCategory]::ObjectNotFound, $null)
        $PSCmdlet.WriteError($record)
        return
    }
    $ordered
}

Export-ModuleMember -Function @('Get-WinEvent')
