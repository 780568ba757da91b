# Dism.psm1 - a development stand-in for Get-WindowsImage and Expand-WindowsImage of Windows'
# Dism module. A stand-in image file (install.wim or install.esd on a stand-in ISO, see
# Storage.psm1) is JSON: { images: [ { index, name, description, editionId, version, size,
# installationType } ] }. Applying an image writes the folders and files of a Windows
# installation that anything here reads: the registry hive, the kernel (its file version as
# text), the boot files bcdboot copies, the driver stores.

Set-StrictMode -Version 2.0
Import-Module -Name 'GpuPvStandIn' -ErrorAction Stop

function Read-ImageFile {
    param($Cmdlet, [string]$ImagePath)
    $catalog = $null
    try {
        $catalog = [System.IO.File]::ReadAllText($ImagePath) | ConvertFrom-Json
    } catch {
        $catalog = $null
    }
    if ($null -eq $catalog -or $null -eq $catalog.PSObject.Properties['images']) {
        Stop-StandInCall -Cmdlet $Cmdlet -Category 'InvalidData' -ErrorId 'Microsoft.Dism.Commands.GetWindowsImageCommand' -Message 'An attempt was made to load a program with an incorrect format.'
    }
    return @($catalog.images)
}

function ConvertTo-ImageObject {
    param([string]$ImagePath, $Image, [switch]$Detailed)
    $o = [ordered]@{
        PSTypeName       = 'Microsoft.Dism.Commands.WimImageInfoObject'
        ImagePath        = $ImagePath
        ImageIndex       = [uint32]$Image.index
        ImageName        = [string]$Image.name
        ImageDescription = [string](Get-StandInValue $Image 'description' $Image.name)
        ImageSize        = [uint64](Get-StandInValue $Image 'size' 16106127360)
    }
    if ($Detailed) {
        $version = [version][string]$Image.version
        $o.PSTypeName = 'Microsoft.Dism.Commands.WimImageInfoObject'
        $o.Version = [string]$Image.version
        $o.EditionId = [string](Get-StandInValue $Image 'editionId' 'Professional')
        $o.InstallationType = [string](Get-StandInValue $Image 'installationType' 'Client')
        # Dism's ImageArchitecture: 9 is amd64.
        $o.Architecture = [int](Get-StandInValue $Image 'architecture' 9)
        $o.MajorVersion = [uint32]$version.Major
        $o.MinorVersion = [uint32]$version.Minor
        $o.Build = [uint32]$version.Build
        $o.SPBuild = [uint32]$version.Revision
        $o.Languages = @('en-US')
    }
    return [pscustomobject]$o
}

function Get-WindowsImage {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string]$ImagePath, [uint32]$Index)
    Enter-StandInCall -Cmdlet
    if (-not (Test-Path -LiteralPath $ImagePath)) {
        Stop-StandInCall -Cmdlet $PSCmdlet -Category 'ObjectNotFound' -ErrorId 'Microsoft.Dism.Commands.GetWindowsImageCommand' -Message 'The system cannot find the file specified.'
    }
    $images = Read-ImageFile -Cmdlet $PSCmdlet -ImagePath (Convert-Path -LiteralPath $ImagePath)
    if ($PSBoundParameters.ContainsKey('Index')) {
        $image = @($images | Where-Object { [uint32]$_.index -eq $Index })[0]
        if ($null -eq $image) {
            Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidArgument' -ErrorId 'Microsoft.Dism.Commands.GetWindowsImageCommand' -Message 'The specified image in the specified wim is already mounted for read/write access.'
        }
        return (ConvertTo-ImageObject -ImagePath $ImagePath -Image $image -Detailed)
    }
    foreach ($image in $images) { ConvertTo-ImageObject -ImagePath $ImagePath -Image $image }
}

function Expand-WindowsImage {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string]$ImagePath, [Parameter(Mandatory = $true)][uint32]$Index, [Parameter(Mandatory = $true)][string]$ApplyPath)
    Enter-StandInCall -Cmdlet
    $image = @(Read-ImageFile -Cmdlet $PSCmdlet -ImagePath (Convert-Path -LiteralPath $ImagePath) | Where-Object { [uint32]$_.index -eq $Index })[0]
    if ($null -eq $image) {
        Stop-StandInCall -Cmdlet $PSCmdlet -Category 'InvalidArgument' -ErrorId 'Microsoft.Dism.Commands.ExpandWindowsImageCommand' -Message 'The specified image does not exist in the WIM.'
    }
    if (-not (Test-Path -LiteralPath $ApplyPath)) {
        Stop-StandInCall -Cmdlet $PSCmdlet -Category 'ObjectNotFound' -ErrorId 'Microsoft.Dism.Commands.ExpandWindowsImageCommand' -Message 'The system cannot find the path specified.'
    }
    $windows = Join-Path $ApplyPath 'Windows'
    foreach ($dir in @('System32\config', 'System32\DriverStore\FileRepository', 'Boot\EFI', 'INF', 'Panther', 'Temp')) {
        $null = New-Item -ItemType Directory -Path (Join-Path $windows $dir) -Force
    }
    Set-Content -LiteralPath (Join-Path $windows 'System32\config\SYSTEM') -Value '' -NoNewline
    Set-Content -LiteralPath (Join-Path $windows 'System32\ntoskrnl.exe') -Value ([string]$image.version) -NoNewline
    Set-Content -LiteralPath (Join-Path $windows 'Boot\EFI\bootmgfw.efi') -Value 'EFI boot manager' -NoNewline
    [pscustomobject]@{ PSTypeName = 'Microsoft.Dism.Commands.ImageObject'; Path = $ApplyPath; Online = $false; RestartNeeded = $false }
}

Export-ModuleMember -Function @('Get-WindowsImage', 'Expand-WindowsImage')
