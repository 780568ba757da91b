# GuestStandIn.psm1 - what the Windows guest stand-ins (PnpDevice, SecureBoot,
# Microsoft.PowerShell.Diagnostics, WindowsGuestTools) share: the guest's state and its
# setupapi.dev.log.
#
# The guest's state is one JSON record (see demoGuest.json): boot configuration, Secure Boot,
# certificate stores, driver store, devices, System log entries and injected faults. It lives
#   * in the file GPUPV_FAKE_GUEST_STATE (the whole document is the guest: an SSH target), or
#   * inside a Hyper-V stand-in guest (PowerShell Direct), in the Hyper-V state document
#     GPUPV_FAKE_HYPERV_STATE at standIn.guests[<vm id>]: the VM is the one whose disk holds
#     $env:SystemRoot (<state>.disks/<vm id>/Windows), as the Hyper-V stand-in sets it, or
#   * on the Hyper-V host itself (GPUPV_FAKE_HYPERV_STATE set, outside every VM's disk): the
#     Hyper-V document's top level is the host machine, whose devices Discrete Device
#     Assignment takes from the host and gives back.
# Files the guest's Windows keeps (INF\setupapi.dev.log, Minidump\, MEMORY.DMP) are real files
# under $env:SystemRoot. Every call reads the state afresh and writes it back atomically.

Set-StrictMode -Version 2.0

function Get-GuestStandIn {
    # { Path; Document; Guest }: Guest is the record the stand-ins read and change.
    $path = $env:GPUPV_FAKE_GUEST_STATE
    $vmId = $null
    if ([string]::IsNullOrEmpty($path)) {
        $hyperV = $env:GPUPV_FAKE_HYPERV_STATE
        if (-not [string]::IsNullOrEmpty($hyperV)) {
            $path = $hyperV
            if (-not [string]::IsNullOrEmpty($env:SystemRoot)) {
                $vmFolder = Split-Path -Parent ([System.IO.Path]::GetFullPath($env:SystemRoot))
                if ((Split-Path -Parent $vmFolder) -eq [System.IO.Path]::GetFullPath($hyperV + '.disks')) { $vmId = Split-Path -Leaf $vmFolder }
            }
        }
    }
    if ([string]::IsNullOrEmpty($path)) { throw 'stand-in: no guest state: set GPUPV_FAKE_GUEST_STATE, or run inside a Hyper-V stand-in guest' }
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { throw ("stand-in: the guest state '" + $path + "' does not exist") }
    $document = [System.IO.File]::ReadAllText($path) | ConvertFrom-Json
    $guest = $document
    if ($null -ne $vmId) {
        $guests = Get-GuestStandInSection -Parent (Get-GuestStandInSection -Parent $document -Name 'standIn') -Name 'guests'
        $guest = $null
        foreach ($prop in $guests.PSObject.Properties) {
            if ($prop.Name -ieq $vmId) { $guest = $prop.Value }
        }
        if ($null -eq $guest) {
            $guest = [pscustomobject]@{}
            $guests | Add-Member -NotePropertyName $vmId -NotePropertyValue $guest
        }
    }
    return [pscustomobject]@{ Path = $path; Document = $document; Guest = $guest }
}

function Save-GuestStandIn {
    # Temp file + rename: a reader in another process never sees half a document.
    param($State)
    $temp = $State.Path + '.' + [string]$PID + '.guest.tmp'
    [System.IO.File]::WriteAllText($temp, (ConvertTo-Json -InputObject $State.Document -Depth 32), [System.Text.UTF8Encoding]::new($false))
    [System.IO.File]::Move($temp, $State.Path, $true)
}

function Get-GuestStandInValue {
    # A property of a state object, or $Default when absent or null.
    param($Object, [string]$Name, $Default = $null)
    if ($null -eq $Object) { return $Default }
    $prop = $Object.PSObject.Properties[$Name]
    if ($null -eq $prop -or $null -eq $prop.Value) { return $Default }
    return $prop.Value
}

function Set-GuestStandInValue {
    param($Object, [string]$Name, $Value)
    if ($null -eq $Object.PSObject.Properties[$Name]) { $Object | Add-Member -NotePropertyName $Name -NotePropertyValue $Value }
    else { $Object.$Name = $Value }
}

function Get-GuestStandInSection {
    # An object-valued property, created empty when absent.
    param($Parent, [string]$Name)
    $section = Get-GuestStandInValue $Parent $Name
    if ($null -eq $section) {
        $section = [pscustomobject]@{}
        Set-GuestStandInValue $Parent $Name $section
    }
    return $section
}

function ConvertTo-GuestStandInTime {
    # State times are ISO 8601 strings (PowerShell 7 may already have made them dates); local time out.
    param($Value)
    if ($Value -is [datetime]) { return $Value.ToLocalTime() }
    return ([datetime]::Parse([string]$Value, [System.Globalization.CultureInfo]::InvariantCulture, [System.Globalization.DateTimeStyles]::RoundtripKind)).ToLocalTime()
}

function Test-GuestStandInElevated {
    param($Guest)
    return [bool](Get-GuestStandInValue $Guest 'elevated' $true)
}

function Get-GuestStandInFault {
    # guest.faults.<Name>, or $null.
    param($Guest, [string]$Name)
    return (Get-GuestStandInValue (Get-GuestStandInValue $Guest 'faults') $Name)
}

function Write-GuestStandInSetupApi {
    # Appends sections to $env:SystemRoot\INF\setupapi.dev.log in Windows' layout, with the
    # log's header when the file is new.
    param([string[]]$Lines)
    $inf = Join-Path $env:SystemRoot 'INF'
    $null = New-Item -ItemType Directory -Path $inf -Force
    $path = Join-Path $inf 'setupapi.dev.log'
    $text = New-Object -TypeName 'System.Text.StringBuilder'
    if (-not (Test-Path -LiteralPath $path)) {
        $boot = [datetime]::Now.AddMinutes(-5).ToString('yyyy/MM/dd HH:mm:ss.fff', [System.Globalization.CultureInfo]::InvariantCulture)
        foreach ($line in @('[Device Install Log]', '     OS Version = 10.0.26100', '     Service Pack = 0.0', '     Suite = 0x0100', '     ProductType = 1', '     Architecture = amd64', '', '[BeginLog]', '', ('[Boot Session: ' + $boot + ']'), '')) {
            $null = $text.Append($line).Append("`r`n")
        }
    }
    foreach ($line in $Lines) { $null = $text.Append($line).Append("`r`n") }
    [System.IO.File]::AppendAllText($path, $text.ToString(), [System.Text.UTF8Encoding]::new($false))
}

function Format-GuestStandInLogTime {
    param([datetime]$Time, [switch]$Short)
    $format = 'yyyy/MM/dd HH:mm:ss.fff'
    if ($Short) { $format = 'HH:mm:ss.fff' }
    return $Time.ToString($format, [System.Globalization.CultureInfo]::InvariantCulture)
}

function Get-GuestStandInDeviceStatus {
    # Win32_PnPEntity.Status as Device Manager derives it.
    param($Device)
    if (-not [bool](Get-GuestStandInValue $Device 'present' $true)) { return 'Unknown' }
    if ([int](Get-GuestStandInValue $Device 'problemCode' 0) -ne 0) { return 'Error' }
    return 'OK'
}

Export-ModuleMember -Function @(
    'Get-GuestStandIn', 'Save-GuestStandIn', 'Get-GuestStandInValue', 'Set-GuestStandInValue', 'Get-GuestStandInSection',
    'ConvertTo-GuestStandInTime', 'Test-GuestStandInElevated', 'Get-GuestStandInFault', 'Write-GuestStandInSetupApi',
    'Format-GuestStandInLogTime', 'Get-GuestStandInDeviceStatus'
)
