// The one script the "Open PowerShell Direct Session" terminal runs. It is a constant: the
// VM id and the credentials reach it through environment variables, and the password
// variable is removed before the session opens, so nothing the user typed is ever parsed
// as PowerShell and the secret does not linger in the terminal's environment.

export const PS_DIRECT_ENV = {
  vmId: 'GPUPV_PSDIRECT_VM_ID',
  vmName: 'GPUPV_PSDIRECT_VM_NAME',
  user: 'GPUPV_PSDIRECT_USER',
  passwordB64: 'GPUPV_PSDIRECT_PASSWORD_B64',
} as const;

export const POWERSHELL_DIRECT_SCRIPT = [
  `$gpupvVmId = $env:${PS_DIRECT_ENV.vmId}`,
  `$gpupvUser = $env:${PS_DIRECT_ENV.user}`,
  `$gpupvPlain = [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String($env:${PS_DIRECT_ENV.passwordB64}))`,
  `Remove-Item -Path 'Env:${PS_DIRECT_ENV.passwordB64}' -ErrorAction SilentlyContinue`,
  '$gpupvSecure = New-Object -TypeName System.Security.SecureString',
  'foreach ($gpupvChar in $gpupvPlain.ToCharArray()) { $gpupvSecure.AppendChar($gpupvChar) }',
  "Remove-Variable -Name 'gpupvPlain', 'gpupvChar' -ErrorAction SilentlyContinue",
  '$gpupvCredential = New-Object -TypeName System.Management.Automation.PSCredential -ArgumentList $gpupvUser, $gpupvSecure',
  `Write-Host ('PowerShell Direct session into ' + $env:${PS_DIRECT_ENV.vmName} + ' (Exit-PSSession to leave)')`,
  'Enter-PSSession -VMId $gpupvVmId -Credential $gpupvCredential',
].join('; ');
