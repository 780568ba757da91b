/** A command of the 16-byte header protocol (u32 opcode, u32 total size, ...), with an optional u64 fence value at 16. */
export function commandBytes(opcode: number, size: number, fence?: bigint): Uint8Array {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, opcode, true);
  view.setUint32(4, size, true);
  if (fence !== undefined) view.setBigUint64(16, fence, true);
  return bytes;
}
