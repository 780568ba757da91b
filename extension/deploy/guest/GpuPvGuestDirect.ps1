# GpuPvGuestDirect.ps1 - the fixed script block a host sends over PowerShell Direct to run one
# function of GpuPvGuest.psm1, whose text it passes as data:
#   Invoke-Command -Session $s -ScriptBlock ([scriptblock]::Create(<this file's text>)) `
#       -ArgumentList <GpuPvGuest.psm1 text>, <function name>, <parameters as JSON>
# The output is the strings of Invoke-GpuPvGuestCall: live lines ('GPUPV-LIVE {...}') as they
# come, then the result line, which is always last.
param([string]$ModuleText, [string]$Name, [string]$ParamsJson)
$null = New-Module -Name 'GpuPvGuest' -ScriptBlock ([scriptblock]::Create($ModuleText))
Invoke-GpuPvGuestCall -Name $Name -ParamsJson $ParamsJson
