import type { ByteOrder } from '../model/types';

// Where a command record says what it is and how long it is: the opcode and size fields of
// the header struct every command starts with, as the layout engine placed them.

export interface IntegerField {
  readonly offset: number;
  /** 1, 2, 4 or 8 bytes. */
  readonly size: number;
  readonly byteOrder: ByteOrder;
}

export interface RecordFraming {
  /** sizeof the command header struct. */
  readonly headerSize: number;
  readonly opcode: IntegerField;
  /** Undefined when each record's length comes from the transport (virtio buffers), not a field. */
  readonly size?: IntegerField & { readonly includesHeader: boolean };
  /** Records start at multiples of this (1: back to back). */
  readonly alignment: number;
}

/** Reads an unsigned integer field of up to 8 bytes; values above 2^53 come back as bigint. */
export function readUnsigned(bytes: Uint8Array, at: number, field: IntegerField): number | bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = field.byteOrder === 'little';
  const position = at + field.offset;
  switch (field.size) {
    case 1:
      return view.getUint8(position);
    case 2:
      return view.getUint16(position, little);
    case 4:
      return view.getUint32(position, little);
    default: {
      const value = view.getBigUint64(position, little);
      return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
    }
  }
}

/** Writes an unsigned integer field of up to 8 bytes. */
export function writeUnsigned(bytes: Uint8Array, at: number, field: IntegerField, value: number | bigint): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = field.byteOrder === 'little';
  const position = at + field.offset;
  switch (field.size) {
    case 1:
      view.setUint8(position, Number(value));
      return;
    case 2:
      view.setUint16(position, Number(value), little);
      return;
    case 4:
      view.setUint32(position, Number(value), little);
      return;
    default:
      view.setBigUint64(position, BigInt(value), little);
  }
}
