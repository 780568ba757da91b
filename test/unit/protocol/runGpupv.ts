import { main } from '../../../extension/cli/gpupv';

/** Runs the gpupv CLI in this process and collects what it prints. */
export async function gpupv(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}
