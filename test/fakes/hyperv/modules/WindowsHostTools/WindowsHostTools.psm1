# WindowsHostTools.psm1 - a development stand-in for bcdboot.exe, the Windows program that makes
# a disk bootable: `bcdboot <windows folder> /s <system volume> /f UEFI` copies the boot manager
# from the Windows folder into the system (EFI) partition and writes its BCD store. Same
# arguments, messages and exit codes as the real program (0, or 1 with "Failure when
# attempting to copy boot files.").

Set-StrictMode -Version 2.0
Import-Module -Name 'GpuPvStandIn' -ErrorAction Stop

function bcdboot.exe {
    Enter-StandInCall
    $source = $null
    $system = $null
    $firmware = 'UEFI'
    for ($i = 0; $i -lt $args.Count; $i++) {
        $arg = [string]$args[$i]
        if ($arg -ieq '/s' -and $i + 1 -lt $args.Count) { $system = [string]$args[++$i] }
        elseif ($arg -ieq '/f' -and $i + 1 -lt $args.Count) { $firmware = [string]$args[++$i] }
        elseif ($null -eq $source -and -not $arg.StartsWith('/')) { $source = $arg }
    }
    if ($null -eq $source -or @('UEFI', 'BIOS', 'ALL') -notcontains $firmware.ToUpperInvariant()) {
        'The parameter is incorrect.'
        $global:LASTEXITCODE = 87
        return
    }
    $manager = Join-Path $source 'Boot\EFI\bootmgfw.efi'
    if (-not (Test-Path -LiteralPath $manager) -or ($null -ne $system -and -not (Test-Path -LiteralPath ($system.TrimEnd('\') + '\')))) {
        'Failure when attempting to copy boot files.'
        $global:LASTEXITCODE = 1
        return
    }
    if ($null -ne $system) {
        $efi = Join-Path ($system.TrimEnd('\') + '\') 'EFI'
        foreach ($dir in @('Microsoft\Boot', 'Boot')) { $null = New-Item -ItemType Directory -Path (Join-Path $efi $dir) -Force }
        Copy-Item -LiteralPath $manager -Destination (Join-Path $efi 'Microsoft\Boot\bootmgfw.efi') -Force
        Copy-Item -LiteralPath $manager -Destination (Join-Path $efi 'Boot\bootx64.efi') -Force
        Set-Content -LiteralPath (Join-Path $efi 'Microsoft\Boot\BCD') -Value ('{bootmgr} device partition=' + $system + '; {default} osdevice partition=' + (Split-Path -Qualifier $source)) -NoNewline
    }
    'Boot files successfully created.'
    $global:LASTEXITCODE = 0
}

Export-ModuleMember -Function @('bcdboot.exe')
