# The modules the product ships must run on Windows PowerShell 5.1, which every Windows machine
# has, as well as on PowerShell 7. PowerShell's own parser reads them; the syntax tree is
# searched for what 5.1 lacks: operators, parameters and cmdlets added in 6 and 7.

BeforeDiscovery {
    # Every script under extension/ ships (the host module, the platform seam, the guest side),
    # so every one is checked: a new script cannot be forgotten here.
    $root = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../..')).Path
    $script:ShippedScripts = @(Get-ChildItem -LiteralPath (Join-Path $root 'extension') -Recurse -File -Include '*.ps1', '*.psm1' |
            ForEach-Object { $_.FullName.Substring($root.Length + 1).Replace('\', '/') } | Sort-Object)
}

BeforeAll {
    $repo = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../..')).Path
    $script:Shipped = @(
        (Join-Path $repo 'extension/hyperv/GpuPv.psm1'),
        (Join-Path $repo 'extension/hyperv/GpuPvPlatform/GpuPvPlatform.psm1')
    )

    function Get-ParsedScript {
        param([string]$Text)
        $tokens = $null
        $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Text, [ref]$tokens, [ref]$errors)
        return [pscustomobject]@{ Ast = $ast; Tokens = $tokens; Errors = @($errors) }
    }

    # Cmdlets that Windows PowerShell 5.1 does not have.
    $script:NewCmdlets = @('Join-String', 'Get-Error', 'Test-Json', 'ConvertFrom-Markdown', 'Show-Markdown', 'Get-MarkdownOption',
        'Set-MarkdownOption', 'Remove-Alias', 'Get-Uptime', 'Remove-Service', 'Clear-RecycleBin', 'Get-ExperimentalFeature',
        'Enable-ExperimentalFeature', 'Disable-ExperimentalFeature', 'Update-List', 'Get-PSSubsystem', 'Start-ThreadJob')
    # Parameters that 5.1's cmdlets lack, by cmdlet ('*' = any cmdlet).
    $script:NewParameters = @{
        'ForEach-Object'  = @('Parallel', 'ThrottleLimit', 'TimeoutSeconds', 'AsJob')
        'ConvertFrom-Json' = @('AsHashtable', 'Depth', 'NoEnumerate', 'DateKind')
        'ConvertTo-Json'  = @('AsArray', 'EscapeHandling')
        'Get-Content'     = @('AsByteStream')
        'Set-Content'     = @('AsByteStream')
        'Add-Content'     = @('AsByteStream')
        'Invoke-WebRequest' = @('SkipHttpErrorCheck', 'SkipCertificateCheck', 'Resume', 'StatusCodeVariable')
        'Invoke-RestMethod' = @('SkipHttpErrorCheck', 'SkipCertificateCheck', 'Resume', 'StatusCodeVariable')
        'Start-Process'   = @('Environment')
        'Select-String'   = @('Raw', 'NoEmphasis')
        'Out-File'        = @('NoNewline')
        'Test-Connection' = @('TargetName', 'TcpPort', 'Traceroute')
        'Get-ChildItem'   = @('FollowSymlink')
        'New-Item'        = @('Target')
    }

    function Find-PowerShell7Only {
        # Every construct of $Text that Windows PowerShell 5.1 cannot run, as 'line: what'.
        param([string]$Text)
        $parsed = Get-ParsedScript -Text $Text
        $found = New-Object -TypeName 'System.Collections.Generic.List[string]'
        $at = { param($node, $what) $found.Add([string]$node.Extent.StartLineNumber + ': ' + $what) }
        foreach ($node in $parsed.Ast.FindAll({ $true }, $true)) {
            $type = $node.GetType().Name
            if ($type -eq 'TernaryExpressionAst') { & $at $node 'the ?: operator' }
            if ($type -eq 'PipelineChainAst') { & $at $node '&& or || between pipelines' }
            if ($type -eq 'BinaryExpressionAst' -and [string]$node.Operator -eq 'QuestionQuestion') { & $at $node 'the ?? operator' }
            if ($type -eq 'AssignmentStatementAst' -and [string]$node.Operator -eq 'QuestionQuestionEquals') { & $at $node 'the ??= operator' }
            if (@('MemberExpressionAst', 'InvokeMemberExpressionAst', 'IndexExpressionAst') -contains $type -and $node.NullConditional) { & $at $node 'a ?. or ?[] access' }
            if ($type -eq 'CommandAst') {
                $name = $node.GetCommandName()
                if ($null -eq $name) { continue }
                if ($script:NewCmdlets -contains $name) { & $at $node ($name + ', which 5.1 does not have') }
                $params = @($node.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] } | ForEach-Object { $_.ParameterName })
                foreach ($key in $script:NewParameters.Keys) {
                    if ($key -ne $name) { continue }
                    foreach ($p in $params) {
                        if ($script:NewParameters[$key] -contains $p) { & $at $node ($name + ' -' + $p + ', which 5.1 does not have') }
                    }
                }
            }
        }
        # `clean {}` blocks (7.3) and the ternary-free `?` tokens the parser keeps apart.
        foreach ($token in $parsed.Tokens) {
            if ([string]$token.Kind -eq 'Clean') { $found.Add([string]$token.Extent.StartLineNumber + ': a clean block') }
        }
        return @($found)
    }
}

Describe 'The PowerShell the product ships' {
    It 'finds the host module, the platform seam and the guest side among them' -TestCases @(@{ Scripts = $ShippedScripts }) {
        $Scripts | Should -Contain 'extension/hyperv/GpuPv.psm1'
        $Scripts | Should -Contain 'extension/hyperv/GpuPvPlatform/GpuPvPlatform.psm1'
        $Scripts | Should -Contain 'extension/deploy/guest/GpuPvGuest.psm1'
    }

    It 'parses with no error: <_>' -ForEach $ShippedScripts {
        $text = [System.IO.File]::ReadAllText((Join-Path $PSScriptRoot ('../../' + $_)))
        (Get-ParsedScript -Text $text).Errors | Should -BeNullOrEmpty
    }

    It 'uses nothing Windows PowerShell 5.1 lacks: <_>' -ForEach $ShippedScripts {
        Find-PowerShell7Only -Text ([System.IO.File]::ReadAllText((Join-Path $PSScriptRoot ('../../' + $_)))) | Should -BeNullOrEmpty
    }

    It 'exports functions that each take exactly one parameter, -EncodedParams' {
        $parsed = Get-ParsedScript -Text ([System.IO.File]::ReadAllText($script:Shipped[0]))
        $exported = @($parsed.Ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] -and $n.GetCommandName() -eq 'Export-ModuleMember' }, $true))
        $exported.Count | Should -Be 1
        $names = @($exported[0].FindAll({ param($n) $n -is [System.Management.Automation.Language.StringConstantExpressionAst] -and $n.StringConstantType -ne 'BareWord' }, $true) | ForEach-Object { $_.Value })
        # The very list the extension calls (moduleCommand.ts): nothing exported it does not know, nothing it calls missing.
        $typeScript = [System.IO.File]::ReadAllText((Join-Path $PSScriptRoot '../../extension/hyperv/moduleCommand.ts'))
        $listed = [regex]::Match($typeScript, 'MODULE_FUNCTIONS: readonly ModuleFunction\[\] = \[([^\]]*)\]').Groups[1].Value
        $called = @([regex]::Matches($listed, "'([A-Za-z-]+)'") | ForEach-Object { $_.Groups[1].Value })
        $called.Count | Should -BeGreaterThan 10
        @($names | Sort-Object) | Should -Be @($called | Sort-Object)
        $definitions = @($parsed.Ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $true))
        foreach ($name in $names) {
            $definition = @($definitions | Where-Object { $_.Name -eq $name })
            $definition.Count | Should -Be 1 -Because "$name is defined once"
            $parameters = @($definition[0].Body.ParamBlock.Parameters)
            $parameters.Count | Should -Be 1 -Because "$name takes one parameter"
            $parameters[0].Name.VariablePath.UserPath | Should -BeExactly 'EncodedParams'
            $parameters[0].StaticType | Should -Be ([string])
        }
    }
}

Describe 'The platform seam' {
    It 'is stood in function for function: the stand-in exports exactly what the product''s GpuPvPlatform exports' {
        $exports = {
            param([string]$Path)
            $parsed = Get-ParsedScript -Text ([System.IO.File]::ReadAllText($Path))
            $call = @($parsed.Ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] -and $n.GetCommandName() -eq 'Export-ModuleMember' }, $true))[0]
            @($call.FindAll({ param($n) $n -is [System.Management.Automation.Language.StringConstantExpressionAst] -and $n.StringConstantType -ne 'BareWord' }, $true) | ForEach-Object { $_.Value } | Sort-Object)
        }
        $product = & $exports $script:Shipped[1]
        $product.Count | Should -BeGreaterThan 0
        & $exports (Join-Path $PSScriptRoot '../fakes/hyperv/modules/GpuPvPlatform/GpuPvPlatform.psm1') | Should -Be $product
    }
}

Describe 'The 5.1 check itself' {
    It 'finds each construct it looks for' {
        $sample = @(
            '$a = $b ? 1 : 2'
            'Get-Thing && Get-Other'
            '$x = $y ?? 3'
            '$x ??= 4'
            '${obj}?.Name'
            '1..3 | ForEach-Object -Parallel { $_ }'
            '$t | ConvertFrom-Json -AsHashtable'
            '$o | ConvertTo-Json -EscapeHandling EscapeNonAscii'
            '@(1, 2) | Join-String -Separator ","'
        ) -join "`n"
        $found = Find-PowerShell7Only -Text $sample
        foreach ($line in 1..9) { @($found | Where-Object { $_ -like ([string]$line + ': *') }).Count | Should -BeGreaterThan 0 -Because "line $line holds a 7-only construct" }
    }

    It 'leaves 5.1 code alone' {
        Find-PowerShell7Only -Text 'if ($a) { $b = 1 } else { $b = 2 }; $c = $d.Name; Get-ChildItem -LiteralPath $p | ForEach-Object { $_.FullName }' | Should -BeNullOrEmpty
    }
}
