# SecureBoot.psm1 - Confirm-SecureBootUEFI from guest.secureBoot (GuestStandIn): 'on' is $true,
# 'off' is $false, 'unsupported' (BIOS firmware: a generation 1 VM) fails as on such a machine.
# A guest session that is not elevated (guest.elevated false) is refused.

Set-StrictMode -Version 2.0
Import-Module -Name 'GuestStandIn' -ErrorAction Stop

function Confirm-SecureBootUEFI {
    [CmdletBinding()]
    param()
    $guest = (Get-GuestStandIn).Guest
    $fail = {
        param($Exception, [string]$Id, [string]$Category)
        $record = [System.Management.Automation.ErrorRecord]::new($Exception, ($Id + ',Microsoft.SecureBoot.Commands.ConfirmSecureBootUefiCommand'), [System.Management.Automation.ErrorCategory]$Category, $null)
        $PSCmdlet.ThrowTerminatingError($record)
    }
    if (-not (Test-GuestStandInElevated $guest)) {
        & $fail ([System.UnauthorizedAccessException]::new("Access was denied. To run this cmdlet, start Windows PowerShell with the 'Run as administrator' option.")) 'UnauthorizedAccessException' 'PermissionDenied'
    }
    switch ([string](Get-GuestStandInValue $guest 'secureBoot' 'off')) {
        'on' { return $true }
        'off' { return $false }
        'unsupported' { & $fail ([System.PlatformNotSupportedException]::new('Cmdlet not supported on this platform: 0xC0000002')) 'System.PlatformNotSupportedException' 'NotImplemented' }
        default { throw 'stand-in: guest.secureBoot must be on, off or unsupported' }
    }
}

Export-ModuleMember -Function @('Confirm-SecureBootUEFI')
