import { relative, sep } from 'node:path';
import type { AbiName } from '../abi';
import type { InferredProfile } from './profileInference';

// gpupv.json as the user will keep it, from a header and what inference guessed about it:
// paths relative to where the file lives, defines as numbers when they are numbers. What
// `gpupv profile init` prints and what the trace viewer writes for a trace without a profile.

export interface ProposalInput {
  readonly header: string;
  readonly includeDirs: readonly string[];
  readonly defines: Readonly<Record<string, string | undefined>>;
  readonly abi: AbiName;
  /** The folder gpupv.json is (or would be) in. */
  readonly base: string;
}

export function profileProposal(input: ProposalInput, inferred: InferredProfile): { protocol: Record<string, unknown> } {
  const path = (absolute: string) => relative(input.base, absolute).split(sep).join('/') || '.';
  const defines = Object.entries(input.defines).map(([name, value]) => [name, value === undefined ? null : /^\d+$/.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : value]);
  return {
    protocol: {
      headers: [path(input.header)],
      ...(input.includeDirs.length > 0 ? { includeDirs: input.includeDirs.map(path) } : {}),
      ...(defines.length > 0 ? { defines: Object.fromEntries(defines) as Record<string, unknown> } : {}),
      abi: input.abi,
      ...inferred.protocol,
    },
  };
}
