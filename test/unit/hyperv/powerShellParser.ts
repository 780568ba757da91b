import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from '../../harness/paths';
import { powerShellExecutable } from '../../harness/powerShellTools';

// PowerShell's own parser ([System.Management.Automation.Language.Parser]::ParseInput) as the
// judge of every PowerShell text we ship or send: one real PowerShell process per batch.

export interface ParsedPowerShell {
  /** `line:column: message` for every syntax error; empty when the text parses clean. */
  readonly errors: string[];
  readonly commands: { readonly name: string | null; readonly parameters: string[]; readonly strings: string[] }[];
}

const SCRIPT = path.join(repoRoot, 'test', 'unit', 'hyperv', 'parsePowerShell.ps1');

export function parsePowerShell(texts: readonly string[]): ParsedPowerShell[] {
  const result = spawnSync(powerShellExecutable(), ['-NoLogo', '-NoProfile', '-NonInteractive', '-File', SCRIPT], {
    input: JSON.stringify(texts),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new Error(`PowerShell could not start (${powerShellExecutable()}): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`the parser script failed: ${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as ParsedPowerShell[];
  if (parsed.length !== texts.length) throw new Error(`asked to parse ${texts.length} texts, got ${parsed.length} answers`);
  return parsed;
}
