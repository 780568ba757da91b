import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mergeDriverSection } from '../deploy/init/mergeDriverSection';
import { proposeDriverSection, type DriverProposal } from '../deploy/init/proposeDriverSection';
import { CONFIG_FILE_NAME } from '../protocol/config/protocolConfigParser';

// `gpupv driver init [folder]`: gpupv.json's `driver` section proposed from the folder's
// solutions, WDK projects and INFs, on stdout, with every guess explained on stderr (as
// `gpupv profile init` does); `--write` merges it into the folder's gpupv.json.
// Exit status: 0 a section was proposed (and written), 2 bad usage, nothing to propose, or
// a gpupv.json that could not be merged into.

export const DRIVER_USAGE = `usage: gpupv driver init [folder] [options]

Proposes gpupv.json's "driver" section for a workspace folder (default: the current
directory): the solutions and WDK driver projects found, the configuration and platform to
build, the INFs each package installs, the files they copy (KMD .sys, UMD .dlls, the
catalog) and the hardware ids of the models Windows picks on x64. Each guess is explained
on stderr with the file and line it comes from and what else was seen.

  --write               merge the section into <folder>/${CONFIG_FILE_NAME} (created if absent;
                        the rest of the file, comments included, is kept)
  --force               let --write replace a "driver" section the file already has
  --json                print one JSON document: the section, the explanations and the
                        problems found in the INFs and projects
  -h, --help            this text`;

interface DriverInitOptions {
  folder: string;
  write: boolean;
  force: boolean;
  json: boolean;
}

class DriverUsageError extends Error {}

/** `args` follow `gpupv driver`. */
export async function runDriverCommand(args: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    out(DRIVER_USAGE);
    return 0;
  }
  let options: DriverInitOptions;
  try {
    options = parseDriverArguments(args);
  } catch (error) {
    if (!(error instanceof DriverUsageError)) throw error;
    err(`gpupv: ${error.message}\n\n${DRIVER_USAGE}`);
    return 2;
  }
  const proposal = await proposeDriverSection(options.folder);
  if (options.json) out(JSON.stringify({ driver: proposal.driver ?? null, explanations: proposal.explanations, problems: proposal.problems, found: proposal.found }, null, 2));
  else report(proposal, err);
  if (!proposal.driver) {
    err(`gpupv: nothing to propose for ${options.folder}; see above`);
    return 2;
  }
  if (!options.write) {
    if (!options.json) out(JSON.stringify({ driver: proposal.driver }, null, 2));
    return 0;
  }
  return writeSection(join(options.folder, CONFIG_FILE_NAME), proposal, options.force, err);
}

function parseDriverArguments(args: readonly string[]): DriverInitOptions {
  const [command, ...rest] = args;
  if (command !== 'init') throw new DriverUsageError(command === undefined ? 'which driver command? (init)' : `unknown driver command "${command}"; the one there is: init`);
  const options: DriverInitOptions = { folder: '', write: false, force: false, json: false };
  for (const arg of rest) {
    if (arg === '--write') options.write = true;
    else if (arg === '--force') options.force = true;
    else if (arg === '--json') options.json = true;
    else if (arg.startsWith('-')) throw new DriverUsageError(`unknown option ${arg}`);
    else if (options.folder) throw new DriverUsageError(`only one folder, got "${options.folder}" and "${arg}"`);
    else options.folder = arg;
  }
  if (options.force && !options.write) throw new DriverUsageError('--force only goes with --write');
  options.folder = resolve(options.folder || '.');
  return options;
}

function report(proposal: DriverProposal, err: (s: string) => void): void {
  for (const p of proposal.problems) err(`${p.file}${p.line > 0 ? `:${p.line}` : ''}: ${p.severity}: ${p.message}`);
  for (const e of proposal.explanations) err(`${e.property}: ${e.message} (${e.confidence})`);
}

function writeSection(file: string, proposal: DriverProposal, force: boolean, err: (s: string) => void): number {
  let existing: string | undefined;
  try {
    existing = readFileSync(file, 'utf8');
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) {
      err(`gpupv: cannot read ${file} (${error instanceof Error ? error.message : String(error)})`);
      return 2;
    }
  }
  // A byte-order mark is kept as the file had it.
  const bom = existing?.startsWith('\uFEFF') ? '\uFEFF' : '';
  const merged = mergeDriverSection(existing?.slice(bom.length), proposal.driver, { force, fileName: file });
  if (!merged.ok) {
    err(`gpupv: ${merged.message}`);
    return 2;
  }
  try {
    writeFileSync(file, bom + merged.text);
  } catch (error) {
    err(`gpupv: cannot write ${file} (${error instanceof Error ? error.message : String(error)})`);
    return 2;
  }
  const what = existing === undefined ? 'wrote' : merged.replaced ? 'replaced the "driver" section of' : 'added a "driver" section to';
  err(`gpupv: ${what} ${file}; check the guesses above before running Deploy and Test`);
  return 0;
}
