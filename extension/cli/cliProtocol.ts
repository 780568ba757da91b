import { loadProtocol, ProtocolLoadError, type LoadedProtocol } from '../protocol/profile/loadProtocol';
import { readHeaderFile } from '../protocol/localFiles';

/** gpupv.json for a CLI command, or undefined after printing what is wrong (file and property) on stderr. */
export async function loadProtocolForCli(profile: string, err: (s: string) => void): Promise<LoadedProtocol | undefined> {
  try {
    return await loadProtocol(profile, readHeaderFile);
  } catch (error) {
    if (!(error instanceof ProtocolLoadError)) throw error;
    for (const problem of error.problems) err(problem);
    return undefined;
  }
}
