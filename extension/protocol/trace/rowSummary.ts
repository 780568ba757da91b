import type { DecodedCommand } from '../decode/commandDecoder';
import type { DecodedValue } from '../decode/decoderCompiler';

// One line that says what a command carries: its first fields after the header, with the
// header's labels where it gives them (`topology=PVGPU_TOPOLOGY_TRIANGLELIST index_count=36`).
// What a table shows beside the opcode, in the viewer and in `gpupv decode`'s table.

const FIELDS = 5;
const MAX_LENGTH = 160;

export function rowSummary(decoded: DecodedCommand): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(decoded.fields)) {
    if (parts.length >= FIELDS) break;
    if (isStruct(value)) continue; // the embedded header, and nested structs
    parts.push(`${name}=${decoded.labels[name] ?? shown(value)}`);
  }
  const line = parts.join(' ');
  return line.length > MAX_LENGTH ? `${line.slice(0, MAX_LENGTH - 1)}\u2026` : line;
}

function isStruct(value: DecodedValue): boolean {
  return typeof value === 'object' && !Array.isArray(value);
}

function shown(value: DecodedValue): string {
  if (Array.isArray(value)) return `[${value.length}]`;
  if (typeof value === 'number' && !Number.isInteger(value)) return String(Math.round(value * 1000) / 1000);
  return typeof value === 'object' ? '{…}' : String(value);
}
