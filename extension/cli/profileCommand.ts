import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ABI_NAMES, DEFAULT_ABI, isAbiName, type AbiName } from '../protocol/abi';
import { formatDiagnostic } from '../protocol/diagnostics';
import { analyzeHeader } from '../protocol/headerAnalysis';
import { inferProfile } from '../protocol/profile/profileInference';
import { profileProposal } from '../protocol/profile/profileProposal';
import { readHeaderFile } from '../protocol/localFiles';

// `gpupv profile init <header.h>`: a proposed gpupv.json read off the protocol header, on
// stdout (or into --write FILE), with every guess explained on stderr.
// Exit status: 0 a proposal was made, 2 bad usage, a header with errors, or no command profile.

export const PROFILE_USAGE = `usage: gpupv profile init <header.h> [options]

Proposes gpupv.json's decoding profile for a protocol header: the struct every command
starts with, its opcode and size fields, the opcodes and payload structs, the fence command,
the ring's control region and the resource kinds (which opcodes create and destroy which
objects, their id fields and the fields that use them). Each guess is explained on stderr
with its evidence.

  --abi ABI             ${ABI_NAMES.join(', ')} (default ${DEFAULT_ABI})
  -I DIR                add an include directory; repeatable
  -D NAME[=VALUE]       define a macro; repeatable
  --write FILE          write the proposal to FILE instead of printing it
  --force               let --write replace an existing FILE
  -h, --help            this text`;

interface ProfileInitOptions {
  header: string;
  abi: AbiName;
  includeDirs: string[];
  defines: Record<string, string | undefined>;
  write: string | undefined;
  force: boolean;
}

class ProfileUsageError extends Error {}

/** `args` follow `gpupv profile`; the leading `init` may be there or already taken off. */
export async function runProfileInit(args: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const rest = args[0] === 'init' ? args.slice(1) : args;
  if (rest.includes('-h') || rest.includes('--help')) {
    out(PROFILE_USAGE);
    return 0;
  }
  let options: ProfileInitOptions;
  try {
    options = parseProfileArguments(rest);
  } catch (error) {
    if (!(error instanceof ProfileUsageError)) throw error;
    err(`gpupv: ${error.message}\n\n${PROFILE_USAGE}`);
    return 2;
  }
  const analysis = await analyzeHeader(options.header, { abi: options.abi, includeDirs: options.includeDirs, defines: options.defines, readFile: readHeaderFile });
  for (const d of analysis.diagnostics) if (d.severity !== 'info') err(formatDiagnostic(d));
  if (analysis.diagnostics.some((d) => d.severity === 'error')) {
    err(`gpupv: fix the errors in ${options.header} (or give -I, -D, --abi) before inferring a profile from it`);
    return 2;
  }
  const inferred = inferProfile(analysis);
  for (const e of inferred.explanations) err(`${e.property}: ${e.message} (${e.confidence})`);
  if (!inferred.protocol.command) {
    err(`gpupv: no command profile could be inferred from ${options.header}; see above, and write protocol.command by hand`);
    return 2;
  }
  const base = options.write === undefined ? process.cwd() : dirname(options.write);
  const text = JSON.stringify(profileProposal({ ...options, base }, inferred), null, 2);
  if (options.write === undefined) {
    out(text);
    return 0;
  }
  return writeProposal(options.write, text, options.force, err);
}

function parseProfileArguments(args: readonly string[]): ProfileInitOptions {
  const options: ProfileInitOptions = { header: '', abi: DEFAULT_ABI, includeDirs: [], defines: {}, write: undefined, force: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = (): string => {
      if (/^-[ID]./.test(arg)) return arg.slice(2);
      const next = args[++i];
      if (next === undefined) throw new ProfileUsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--abi') {
      const abi = value();
      if (!isAbiName(abi)) throw new ProfileUsageError(`unknown ABI "${abi}"; use one of ${ABI_NAMES.join(', ')}`);
      options.abi = abi;
    } else if (arg.startsWith('-I')) options.includeDirs.push(resolve(value()));
    else if (arg.startsWith('-D')) {
      const [name, ...rest] = value().split('=');
      if (!name || !/^[A-Za-z_]\w*$/.test(name)) throw new ProfileUsageError('-D needs NAME or NAME=VALUE');
      options.defines[name] = rest.length ? rest.join('=') : undefined;
    } else if (arg === '--write') options.write = resolve(value());
    else if (arg === '--force') options.force = true;
    else if (arg.startsWith('-')) throw new ProfileUsageError(`unknown option ${arg}`);
    else if (options.header) throw new ProfileUsageError(`only one header, got "${options.header}" and "${arg}"`);
    else options.header = resolve(arg);
  }
  if (!options.header) throw new ProfileUsageError('no header given');
  if (options.force && options.write === undefined) throw new ProfileUsageError('--force only goes with --write FILE');
  return options;
}

function writeProposal(file: string, text: string, force: boolean, err: (s: string) => void): number {
  try {
    writeFileSync(file, `${text}\n`, { flag: force ? 'w' : 'wx' });
  } catch (error) {
    const exists = error instanceof Error && 'code' in error && error.code === 'EEXIST';
    err(exists ? `gpupv: ${file} already exists; give --force to replace it` : `gpupv: cannot write ${file} (${error instanceof Error ? error.message : String(error)})`);
    return 2;
  }
  err(`gpupv: wrote ${file}; check the guesses above before decoding with it`);
  return 0;
}
