// What a live capture records besides commands: when the host completed a fence, when the
// snooper lost bytes to an overrun, and how full the ring was. They travel in-band, as empty packets whose
// comment names the event, so any pcapng tool keeps them and shows them (tshark prints
// the comment), and a command is never mistaken for one: commands are never empty.

const FENCE_COMPLETED = 'gpupv-fence-completed=';
const OVERRUN = 'gpupv-overrun-lost-bytes=';
const OCCUPANCY = 'gpupv-ring-occupancy-bytes=';

export type TraceEvent =
  | { readonly kind: 'fenceCompleted'; readonly value: bigint }
  | { readonly kind: 'overrun'; readonly lostBytes: bigint }
  /** Bytes between the consumer and the producer when the ring was looked at. */
  | { readonly kind: 'occupancy'; readonly bytes: bigint };

export function fenceCompletedMarker(value: bigint): string {
  return `${FENCE_COMPLETED}${value}`;
}

export function overrunMarker(lostBytes: bigint): string {
  return `${OVERRUN}${lostBytes}`;
}

export function occupancyMarker(bytes: number | bigint): string {
  return `${OCCUPANCY}${bytes}`;
}

/** The event an empty packet (of `length` bytes and this comment) stands for, or undefined for anything else. */
export function traceEventOf(length: number, comment: string | undefined): TraceEvent | undefined {
  if (length !== 0 || !comment) return undefined;
  const number = (prefix: string) => (comment.startsWith(prefix) && /^\d+$/.test(comment.slice(prefix.length)) ? BigInt(comment.slice(prefix.length)) : undefined);
  const fence = number(FENCE_COMPLETED);
  if (fence !== undefined) return { kind: 'fenceCompleted', value: fence };
  const lost = number(OVERRUN);
  if (lost !== undefined) return { kind: 'overrun', lostBytes: lost };
  const occupancy = number(OCCUPANCY);
  if (occupancy !== undefined) return { kind: 'occupancy', bytes: occupancy };
  return undefined;
}
