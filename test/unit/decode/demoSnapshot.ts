import { writeRecord } from '../../../extension/protocol/ring/ringWriter';

/**
 * A shared-memory image of the demo protocol after a hang: PvgpuControlRegion (its magic, ring_offset
 * and ring_size at 0x10 and 0x14, producer at 0x20, consumer at 0x60) and a ring at 0x1000
 * with `records` written back to back from byte counter `firstPosition`, the consumer at the
 * start of record `consumerAt` (the ones before it are history, the rest pending).
 */
export function demoSnapshot(records: readonly Uint8Array[], options: { ringSize: number; firstPosition: bigint; consumerAt: number }): { image: Uint8Array; ring: Uint8Array; starts: bigint[] } {
  const image = new Uint8Array(0x1000 + options.ringSize);
  const view = new DataView(image.buffer);
  view.setUint32(0, 0x50564750, true); // PVGPU_MAGIC
  view.setUint32(0x10, 0x1000, true);
  view.setUint32(0x14, options.ringSize, true);
  const ring = image.subarray(0x1000);
  let position = options.firstPosition;
  const starts: bigint[] = [];
  for (const record of records) {
    starts.push(position);
    position = writeRecord(ring, position, record);
  }
  view.setBigUint64(0x20, position, true);
  view.setBigUint64(0x60, starts[options.consumerAt]!, true);
  return { image, ring, starts };
}
