import { buildModuleImport, ENCODED_PARAMS } from '../../../extension/hyperv/moduleCommand';

// The only two command shapes the stand-in runs, matched whole. Nothing of the command text
// is ever evaluated: a shape that differs in any way is a command PowerShell would not find.

export type ParsedCommand =
  | { readonly kind: 'import'; readonly encodedPath: string }
  | { readonly kind: 'call'; readonly fn: string; readonly encoded: string }
  | { readonly kind: 'unknown'; readonly firstWord: string };

const BASE64 = '([A-Za-z0-9+/=]*)';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Built from buildModuleImport itself, so the stand-in follows any change to the real text. */
function importShape(): RegExp {
  const samplePath = 'sample';
  const parts = buildModuleImport(samplePath).split(`'${Buffer.from(samplePath, 'utf8').toString('base64')}'`);
  if (parts.length !== 2) throw new Error('stand-in: buildModuleImport no longer quotes the path once');
  return new RegExp(`^${escapeRegExp(parts[0]!)}'${BASE64}'${escapeRegExp(parts[1]!)}$`);
}

const IMPORT_SHAPE = importShape();
const CALL_SHAPE = new RegExp(`^([A-Z][a-z]+-GpuPv[A-Za-z]+) ${escapeRegExp(ENCODED_PARAMS)} '${BASE64}'$`);

export function parseCommand(command: string): ParsedCommand {
  const imported = IMPORT_SHAPE.exec(command);
  if (imported) return { kind: 'import', encodedPath: imported[1]! };
  const call = CALL_SHAPE.exec(command);
  if (call) return { kind: 'call', fn: call[1]!, encoded: call[2]! };
  return { kind: 'unknown', firstWord: command.trim().split(/\s+/)[0] ?? '' };
}

/** PowerShell 7's wording for a command it cannot find. */
export function notRecognized(word: string): string {
  return (
    `The term '${word}' is not recognized as a name of a cmdlet, function, script file, or executable program.\n` +
    'Check the spelling of the name, or if a path was included, verify that the path is correct and try again.'
  );
}

/** The names in `Export-ModuleMember -Function @( ... )`; every `function` when there is none. */
export function exportedFunctions(moduleText: string): string[] {
  const block = /Export-ModuleMember\s+-Function\s+@\(([^)]*)\)/i.exec(moduleText);
  if (block) return [...block[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
  return [...moduleText.matchAll(/^\s*function\s+([A-Za-z0-9-]+)/gim)].map((m) => m[1]!);
}
