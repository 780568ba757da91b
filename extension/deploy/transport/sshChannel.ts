import type { ClientChannel } from 'ssh2';

// How a command in the guest is stopped and how its output is read, for both kinds of command
// an SSH connection runs: a plain one (`SshTransport.exec`) and the guest runner that serves a
// connection's calls (sshRunnerSession.ts). Pure: no `vscode`.

/** After TERM, how long the guest process may take before KILL; after KILL, before the channel is closed regardless. */
export const TERM_GRACE_MS = 2_000;
export const KILL_GRACE_MS = 1_000;

/**
 * TERM, then KILL, then the channel closed: whichever the guest's sshd honours, the command
 * ends. Resolves when the channel is closed, or gives up (the channel is then left to the
 * connection) when the guest does not close it even then: OpenSSH keeps a session's channel
 * until its process has exited.
 */
export async function stopRemote(channel: ClientChannel, closed: Promise<void>, onGivenUp: () => void): Promise<void> {
  const within = (ms: number) => Promise.race([closed.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), ms).unref())]);
  for (const [signal, grace] of [['TERM', TERM_GRACE_MS], ['KILL', KILL_GRACE_MS]] as const) {
    sendSignal(channel, signal);
    if (await within(grace)) return;
  }
  channel.close();
  if (!(await within(KILL_GRACE_MS))) onGivenUp();
}

/**
 * ssh2 1.17 sends "signal" only while the channel's stdin side is writable, so never after
 * stdin was closed, which most commands here need (mscdex/ssh2#1510 proposes lifting that).
 * The SSH protocol allows the request until the channel closes, so once stdin is closed it
 * goes through ssh2's protocol object, as that change would do it.
 */
function sendSignal(channel: ClientChannel, signal: 'TERM' | 'KILL'): void {
  if (channel.writable) {
    channel.signal(signal);
    return;
  }
  const internals = channel as unknown as { outgoing?: { id?: number; state?: string }; _client?: { _protocol?: { signal?: (id: number, signal: string) => void } } };
  const { outgoing } = internals;
  const protocol = internals._client?._protocol;
  if (outgoing?.id === undefined || (outgoing.state !== 'open' && outgoing.state !== 'eof') || typeof protocol?.signal !== 'function') return;
  protocol.signal(outgoing.id, signal);
}

/** The stream's bytes as UTF-8 text, a character split across chunks kept whole. */
export function relayText(stream: NodeJS.ReadableStream, onText: ((text: string) => void) | undefined): void {
  const decoder = new TextDecoder('utf-8');
  stream.on('data', (chunk: Buffer) => {
    const text = decoder.decode(chunk, { stream: true });
    if (text) onText?.(text);
  });
  stream.once('end', () => {
    const rest = decoder.decode();
    if (rest) onText?.(rest);
  });
}
