import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { parseProtocolConfig, resolveProtocolConfig } from '../config/protocolConfigParser';
import { analyzeHeader, type HeaderAnalysis } from '../headerAnalysis';
import { resolveCommandProfile, type CommandProfile, type ProfileDiagnostic } from './commandProfile';
import { resolveFenceProfile, type FenceProfile } from './fenceProfile';
import { inferResources } from './inference/resources';
import { resolveResourceProfile, type ResourceProfile, type ResourcesConfig } from './resourceProfile';
import { resolveRingProfile, type RingProfile } from './ringProfile';

// gpupv.json to everything decoding needs: the header analysed for the guest's ABI, the
// command profile and, when configured, the fence command and the ring; the resource kinds
// as configured, else as the header suggests them (the lifetime analysis works before
// anyone has written them down). The one place
// that reads the file for the engine (the CLI and the trace viewer alike); problems come
// back as text naming the file and the property to fix.

export interface LoadedProtocol {
  /** The gpupv.json it came from. */
  readonly configPath: string;
  /** SHA-256 of that file's text: captures name the profile they were taken with. */
  readonly profileHash: string;
  readonly analysis: HeaderAnalysis;
  readonly command: CommandProfile;
  readonly fence?: FenceProfile;
  readonly ring?: RingProfile;
  /** The kinds of objects commands create and destroy by id; `origin` says whether gpupv.json named them. */
  readonly resources?: ResourceProfile;
  /** Warnings and notes worth showing (near matches, opcodes without a struct). */
  readonly notes: readonly string[];
}

export class ProtocolLoadError extends Error {
  /** `files`: what the header's analysis read before it failed, so an editor can watch them for the fix. */
  constructor(
    readonly problems: readonly string[],
    readonly files: readonly string[] = [],
  ) {
    super(problems.join('\n'));
    this.name = 'ProtocolLoadError';
  }
}

export async function loadProtocol(configPath: string, readFile: (path: string) => string | undefined): Promise<LoadedProtocol> {
  const text = readFile(configPath);
  if (text === undefined) throw new ProtocolLoadError([`${configPath}: cannot read it (give the profile with --profile, or run where gpupv.json is)`]);
  const parsed = parseProtocolConfig(text);
  const errors = parsed.problems.filter((p) => p.severity === 'error').map((p) => `${configPath}: ${p.message}`);
  const config = parsed.protocol;
  if (errors.length || !config) throw new ProtocolLoadError(errors.length ? errors : [`${configPath}: no "protocol" section`]);
  if (!config.command) throw new ProtocolLoadError([`${configPath}: "protocol.command" is needed to decode commands (which struct starts each command, its opcode and size fields)`]);
  const resolved = resolveProtocolConfig(config, dirname(configPath));
  const header = resolved.headers[0];
  if (!header) throw new ProtocolLoadError([`${configPath}: "protocol.headers" names no header`]);
  const analysis = await analyzeHeader(header.path, { abi: config.abi, includeDirs: resolved.includeDirs, defines: resolved.defines, readFile });
  const headerErrors = analysis.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.location.file}:${d.location.line}:${d.location.column}: ${d.message}`);
  const command = resolveCommandProfile(analysis, config.command);
  const fence = command.profile && config.fence ? resolveFenceProfile(command.profile, config.fence) : undefined;
  const ring = config.ring ? resolveRingProfile(analysis, config.ring) : undefined;
  const resources = command.profile ? resourcesOf(analysis, command.profile, config.resources) : undefined;
  const diagnostics: ProfileDiagnostic[] = [...command.diagnostics, ...(fence?.diagnostics ?? []), ...(ring?.diagnostics ?? []), ...(resources?.diagnostics ?? [])];
  const profileErrors = diagnostics.filter((d) => d.severity === 'error').map((d) => `${configPath}: ${d.property}: ${d.message}`);
  if (!command.profile || profileErrors.length) throw new ProtocolLoadError([...headerErrors, ...profileErrors], analysis.files);
  return {
    configPath,
    profileHash: createHash('sha256').update(text).digest('hex'),
    analysis,
    command: command.profile,
    ...(fence?.profile ? { fence: fence.profile } : {}),
    ...(ring?.profile ? { ring: ring.profile } : {}),
    ...(resources?.profile ? { resources: resources.profile } : {}),
    notes: [...headerErrors, ...diagnostics.filter((d) => d.severity !== 'error').map((d) => `${configPath}: ${d.property}: ${d.message}`)],
  };
}

function resourcesOf(analysis: HeaderAnalysis, command: CommandProfile, config: ResourcesConfig | undefined): ReturnType<typeof resolveResourceProfile> | undefined {
  if (config) return resolveResourceProfile(analysis, command, config, 'gpupv.json');
  const inferred = inferResources(analysis, command, () => undefined);
  if (!inferred) return undefined;
  const resolved = resolveResourceProfile(analysis, command, inferred, 'header');
  // A guess that does not hold is nothing the user wrote: a note, never a reason not to load.
  return { ...resolved, diagnostics: resolved.diagnostics.map((d) => ({ ...d, severity: 'warning', message: `inferred from the header, but ${d.message}; write protocol.resources (gpupv profile init proposes it)` })) };
}
