import { parseProtocolConfig } from '../headers/protocolConfigParser';
import type { FenceConfig } from '../headers/decoderConfigParser';
import { loadProtocol, ProtocolLoadError, type LoadedProtocol } from '../protocol/profile/loadProtocol';
import { readHeaderFile } from './nodeFiles';

/**
 * gpupv.json for a CLI command: the loaded protocol and its fence section, or undefined
 * after printing what is wrong (file and property) on stderr.
 */
export async function loadProtocolForCli(profile: string, err: (s: string) => void): Promise<{ protocol: LoadedProtocol; fence: FenceConfig | undefined } | undefined> {
  try {
    const protocol = await loadProtocol(profile, readHeaderFile);
    const fence = parseProtocolConfig(readHeaderFile(profile) ?? '').protocol?.fence;
    return { protocol, fence };
  } catch (error) {
    if (!(error instanceof ProtocolLoadError)) throw error;
    for (const problem of error.problems) err(problem);
    return undefined;
  }
}
