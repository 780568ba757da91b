/**
 * Names that would change a command if they were ever pasted into PowerShell source: every
 * quote PowerShell knows (including the Unicode single quotes it treats as ASCII ones),
 * subexpressions, backticks, statement and pipeline separators, comments, line breaks, and
 * text outside Latin script.
 */
export const HOSTILE_NAMES: readonly string[] = [
  "O'Brien's VM",
  'Tom’s VM ‘quoted’ ‚low‛',
  'say "hi" VM',
  'VM $(Remove-Item C:\\ -Recurse)',
  'VM `$env:USERNAME` tick',
  'VM; Stop-Computer -Force',
  'VM | Out-File C:\\pwned.txt',
  'VM\nGet-Process',
  'VM\r\nExit 1',
  'VM # rest is a comment',
  'VM <# block comment #> end',
  'Виртуальная машина 虚拟机 🚀',
  "' ; & calc.exe ; '",
  '@{a=1} + @(1,2) [int]::MaxValue',
  '',
];
