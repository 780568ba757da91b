import type { LoadedProtocol } from '../../extension/protocol/profile/loadProtocol';
import { writeUnsigned } from '../../extension/protocol/ring/recordFraming';

/**
 * A command of the demo protocol with some fields set, by the paths a decoded command has:
 * `hdr.resource_id`, `num_rtvs`, `rtv_ids[2]`, `buffers[1].resource_id`. Everything else is 0.
 */
export function demoCommand(protocol: LoadedProtocol, shortName: string, fields: Readonly<Record<string, number | bigint>> = {}): Uint8Array {
  const opcode = [...protocol.command.opcodes.values()].find((o) => o.shortName === shortName);
  if (!opcode) throw new Error(`no opcode ${shortName}`);
  const record = opcode.payload ?? protocol.command.header;
  const bytes = new Uint8Array(record.size);
  const framing = protocol.command.framing;
  writeUnsigned(bytes, 0, framing.opcode, opcode.value);
  writeUnsigned(bytes, 0, framing.size!, BigInt(bytes.length));
  for (const [path, value] of Object.entries(fields)) {
    const element = /^(\w+)\[(\d+)\](.*)$/.exec(path);
    const leafPath = element ? (element[3] ? `${element[1]}[0]${element[3]}` : element[1]!) : path;
    const leaf = record.fields.find((f) => f.path === leafPath);
    if (!leaf) throw new Error(`${record.name} has no ${path}`);
    let offset = leaf.offset;
    let size = leaf.size;
    if (element) {
      const array = record.layout.members.find((m) => m.member.name === element[1])!;
      const stride = array.size / leaf.count!;
      if (!element[3]) size = stride;
      offset += Number(element[2]) * stride;
    }
    writeUnsigned(bytes, 0, { offset, size, byteOrder: 'little' }, BigInt(value));
  }
  return bytes;
}
