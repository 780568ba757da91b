// What a live capture records besides commands: when the host completed a fence and when
// the snooper lost bytes to an overrun. They travel in-band, as empty packets whose
// comment names the event, so any pcapng tool keeps them and shows them (tshark prints
// the comment), and a command is never mistaken for one: commands are never empty.

const FENCE_COMPLETED = 'gpupv-fence-completed=';
const OVERRUN = 'gpupv-overrun-lost-bytes=';

export type TraceEvent = { readonly kind: 'fenceCompleted'; readonly value: bigint } | { readonly kind: 'overrun'; readonly lostBytes: bigint };

export function fenceCompletedMarker(value: bigint): string {
  return `${FENCE_COMPLETED}${value}`;
}

export function overrunMarker(lostBytes: bigint): string {
  return `${OVERRUN}${lostBytes}`;
}

/** The event an empty packet stands for, or undefined for anything else. */
export function traceEventOf(data: Uint8Array, comment: string | undefined): TraceEvent | undefined {
  if (data.byteLength !== 0 || !comment) return undefined;
  const number = (prefix: string) => (comment.startsWith(prefix) && /^\d+$/.test(comment.slice(prefix.length)) ? BigInt(comment.slice(prefix.length)) : undefined);
  const fence = number(FENCE_COMPLETED);
  if (fence !== undefined) return { kind: 'fenceCompleted', value: fence };
  const lost = number(OVERRUN);
  if (lost !== undefined) return { kind: 'overrun', lostBytes: lost };
  return undefined;
}
