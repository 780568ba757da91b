import type { FenceConfig } from '../config/decoderConfigParser';
import type { HeaderAnalysis, RecordInfo } from '../headerAnalysis';
import { resolveCommandProfile, type CommandProfile, type CommandProfileConfig } from './commandProfile';
import { inferCommandFraming, type CommandFraming } from './inference/commandHeader';
import { inferFence } from './inference/fence';
import { commonWordPrefix, type Explain, type Explanation } from './inference/names';
import { chooseOpcodeFamily } from './inference/opcodeFamily';
import { inferPayloadMap } from './inference/payloadMap';
import { inferResources } from './inference/resources';
import { inferRing } from './inference/ring';
import type { ResourcesConfig } from './resourceProfile';
import type { RingProfileConfig } from './ringProfile';

// `gpupv profile init`: a first decoding profile read off the protocol header alone, each
// guess explained with its evidence and how sure it is, so writing gpupv.json starts from
// a proposal to confirm instead of a blank page. Pure: no `vscode`, no file system.

export type { Confidence, Explanation } from './inference/names';

export interface InferredProfile {
  readonly protocol: { command?: CommandProfileConfig; fence?: FenceConfig; ring?: RingProfileConfig; resources?: ResourcesConfig };
  readonly explanations: Explanation[];
}

export function inferProfile(analysis: HeaderAnalysis): InferredProfile {
  const explanations: Explanation[] = [];
  const explain: Explain = (property, message, confidence) => explanations.push({ property, message, confidence });
  const command = inferCommand(analysis, explain);
  const fence = command ? inferFence(command.profile, explain) : undefined;
  const commandStructs = new Set<RecordInfo>(command ? [command.framing.header, ...command.framing.embedders] : []);
  const ring = inferRing(analysis, commandStructs, explain);
  const resources = command ? inferResources(analysis, command.profile, explain) : undefined;
  return {
    protocol: { ...(command ? { command: command.config } : {}), ...(fence ? { fence } : {}), ...(ring ? { ring } : {}), ...(resources ? { resources } : {}) },
    explanations,
  };
}

interface InferredCommand {
  readonly config: CommandProfileConfig;
  readonly profile: CommandProfile;
  readonly framing: CommandFraming;
}

function inferCommand(analysis: HeaderAnalysis, explain: Explain): InferredCommand | undefined {
  const framing = inferCommandFraming(analysis, explain);
  if (!framing) return undefined;
  const structPrefix = payloadPrefix(framing, explain);
  const framingConfig = {
    header: framing.header.name,
    opcodeField: framing.opcodeField.path,
    ...(framing.sizeField ? { sizeField: framing.sizeField.path, sizeIncludesHeader: framing.sizeIncludesHeader } : {}),
  };
  const family = chooseOpcodeFamily(analysis, { ...framingConfig, ...(structPrefix ? { payloads: { structPrefix } } : {}) }, framing.opcodeField, explain);
  if (!family) return undefined;
  const map = inferPayloadMap(family.profile, structPrefix ?? '', framing.embedders, explain);
  const payloads = { ...(structPrefix ? { structPrefix } : {}), ...(Object.keys(map).length > 0 ? { map } : {}) };
  // Spelled out in gpupv.json's order: framing, opcodes, payloads.
  const config: CommandProfileConfig = { ...framingConfig, opcodes: family.config.opcodes, ...(Object.keys(payloads).length > 0 ? { payloads } : {}) };
  const resolved = resolveCommandProfile(analysis, config);
  for (const d of resolved.diagnostics) {
    if (d.property === 'protocol.command.opcodes') explain(d.property, d.message, d.severity === 'info' ? 'likely' : 'guess');
  }
  return resolved.profile ? { config, profile: resolved.profile, framing } : undefined;
}

/** The name the structs that start with the header share: `PvgpuCmd`, `struct virtio_gpu_`. */
function payloadPrefix(framing: CommandFraming, explain: Explain): string | undefined {
  const names = framing.embedders.map((r) => r.name);
  const prefix = names.length >= 2 ? commonWordPrefix(names) : '';
  if (!prefix) {
    explain('protocol.command.payloads.structPrefix', `not inferred: the ${names.length} struct(s) that start with ${framing.header.name} share no name prefix; payloads are found by full name or near match`, 'likely');
    return undefined;
  }
  explain('protocol.command.payloads.structPrefix', `${prefix} — shared by all ${names.length} structs that start with ${framing.header.name}`, names.length >= 3 ? 'sure' : 'likely');
  return prefix;
}
