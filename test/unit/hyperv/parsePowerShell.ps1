# Reads a JSON array of PowerShell texts on stdin and writes, for each, what PowerShell's own
# parser makes of it: its syntax errors and its commands (name, parameters, and the values of
# the string arguments), as one JSON array on stdout.
$ErrorActionPreference = 'Stop'
$texts = @([Console]::In.ReadToEnd() | ConvertFrom-Json)
$results = foreach ($text in $texts) {
    $tokens = $null
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseInput([string]$text, [ref]$tokens, [ref]$errors)
    $commands = @($ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.CommandAst] }, $true) | ForEach-Object {
            [ordered]@{
                name       = $_.GetCommandName()
                parameters = @($_.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] } | ForEach-Object { $_.ParameterName })
                strings    = @($_.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.StringConstantExpressionAst] -and $_.StringConstantType -ne 'BareWord' } | ForEach-Object { $_.Value })
            }
        })
    [ordered]@{
        errors   = @($errors | ForEach-Object { [string]$_.Extent.StartLineNumber + ':' + [string]$_.Extent.StartColumnNumber + ': ' + $_.Message })
        commands = $commands
    }
}
[Console]::Out.Write((ConvertTo-Json -InputObject @($results) -Depth 6 -Compress))
