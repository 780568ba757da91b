import type { FenceConfig } from '../config/decoderConfigParser';
import type { IntegerField } from '../ring/recordFraming';
import { resolveTypedefs } from '../model/types';
import { suggest, type CommandProfile, type OpcodeInfo, type ProfileDiagnostic } from './commandProfile';

// The fence command of `protocol.fence`: the opcode whose payload carries the value the host
// writes back (to the control region's completed-fence field) once it has executed every
// command up to it. Fence latency, the fence column and the simulator's fences all read it.

export interface FenceProfile {
  readonly opcode: OpcodeInfo;
  /** The fence value inside the fence command. */
  readonly value: IntegerField;
}

export function resolveFenceProfile(command: CommandProfile, config: FenceConfig): { profile?: FenceProfile; diagnostics: ProfileDiagnostic[] } {
  const opcodes = [...command.opcodes.values()];
  const opcode = opcodes.find((o) => o.name === config.opcode || o.shortName === config.opcode);
  if (!opcode) {
    const message = `no opcode named "${config.opcode}"${suggest(config.opcode, opcodes.map((o) => o.name))}`;
    return { diagnostics: [{ severity: 'error', message, property: 'protocol.fence.opcode' }] };
  }
  if (!opcode.payload) {
    return { diagnostics: [{ severity: 'error', message: `${opcode.name} has no payload struct, so it carries no fence value (name one in protocol.command.payloads.map)`, property: 'protocol.fence.opcode' }] };
  }
  const field = opcode.payload.fields.find((f) => f.path === config.valueField);
  const type = field ? resolveTypedefs(field.resolved) : undefined;
  if (!field || type?.kind !== 'integer' || field.bitWidth !== undefined || field.count !== undefined) {
    const why = field ? `must be a plain integer field, not ${field.type}` : `does not exist${suggest(config.valueField, opcode.payload.fields.map((f) => f.path))}`;
    return { diagnostics: [{ severity: 'error', message: `${opcode.payload.name}.${config.valueField} ${why}`, property: 'protocol.fence.valueField' }] };
  }
  return { profile: { opcode, value: { offset: field.offset, size: field.size, byteOrder: type.byteOrder } }, diagnostics: [] };
}
