import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PcapngWriter } from '../../extension/protocol/capture/pcapngWriter';
import { readHeaderFile } from '../../extension/protocol/localFiles';
import { loadProtocol, type LoadedProtocol } from '../../extension/protocol/profile/loadProtocol';
import { writeUnsigned } from '../../extension/protocol/ring/recordFraming';
import { writeRecord } from '../../extension/protocol/ring/ringWriter';
import type { OpcodeInfo } from '../../extension/protocol/profile/commandProfile';
import { CommandStream } from '../../extension/protocol/simulate/commandStream';
import { CommandSynthesizer } from '../../extension/protocol/simulate/commandSynthesizer';
import { fenceCompletedMarker, occupancyMarker } from '../../extension/protocol/trace/traceEvents';
import { demoCommand } from './demoCommands';
import { repoRoot } from './paths';

// Traces of the demo protocol for the tests and benchmarks that need real files: captures
// as `gpupv snoop` writes them (commands 1 µs apart, fences completed a few milliseconds
// later with a few slow ones, occupancy samples) and ring snapshots as a hang leaves them.

export function demoProtocol(): Promise<LoadedProtocol> {
  return loadProtocol(join(repoRoot, 'demo', 'gpupv.json'), readHeaderFile);
}

const BASE_NS = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z

/** Writes `count` commands of the `frames` pattern to `file`, streaming (any size); returns the file's size. */
export function writeFramesCapture(file: string, protocol: LoadedProtocol, count: number, seed = 5): number {
  const stream = new CommandStream(new CommandSynthesizer(protocol.analysis.layoutEngine, protocol.command, seed), protocol.command, 'frames', protocol.fence);
  const fd = openSync(file, 'w');
  let size = 0;
  const writer = new PcapngWriter((chunk) => (size += writeSync(fd, chunk)), { interfaceName: 'demo ring', description: 'GPU-PV command ring', application: 'GPU-PV Dev Kit tests', profileHash: protocol.profileHash });
  const completions: { at: bigint; value: bigint }[] = [];
  let ringOffset = 0;
  for (let i = 0; i < count; i++) {
    const time = BASE_NS + BigInt(i) * 1000n;
    while (completions.length && completions[0]!.at <= time) {
      const done = completions.shift()!;
      writer.writePacket({ timestampNs: done.at, data: new Uint8Array(0), comment: fenceCompletedMarker(done.value) });
    }
    const command = stream.next();
    varyCounts(command.opcode, command.bytes, i);
    writer.writePacket({ timestampNs: time, data: command.bytes, ringOffset });
    ringOffset = (ringOffset + command.bytes.length) % (16 << 20);
    if (command.fenceValue !== undefined) {
      // Most fences complete in a few milliseconds; every 50th takes 30 ms (a stall to find).
      const latencyUs = command.fenceValue % 50n === 0n ? 30_000n : 500n + ((command.fenceValue * 7919n) % 4000n);
      completions.push({ at: time + latencyUs * 1000n, value: command.fenceValue });
    }
    if (i % 1000 === 999) writer.writePacket({ timestampNs: time, data: new Uint8Array(0), comment: occupancyMarker(4096 + ((i * 37) % 65536)) });
  }
  for (const done of completions) writer.writePacket({ timestampNs: done.at, data: new Uint8Array(0), comment: fenceCompletedMarker(done.value) });
  writer.close();
  closeSync(fd);
  return size;
}

/**
 * A short capture in which the driver gets object lifetimes wrong, as the analyses must
 * find it: resource 7 is used after it was destroyed and destroyed twice, shader 3 is never
 * destroyed. Between them, ordinary draws on resource 5.
 */
export function writeLifetimeBugsCapture(file: string, protocol: LoadedProtocol): void {
  const commands: Uint8Array[] = [
    demoCommand(protocol, 'CREATE_RESOURCE', { 'hdr.resource_id': 5 }),
    demoCommand(protocol, 'CREATE_RESOURCE', { 'hdr.resource_id': 7 }),
    demoCommand(protocol, 'CREATE_SHADER', { shader_id: 3 }),
    demoCommand(protocol, 'DRAW', { 'hdr.resource_id': 5, vertex_count: 3 }),
    demoCommand(protocol, 'DESTROY_RESOURCE', { 'hdr.resource_id': 7 }),
    demoCommand(protocol, 'DRAW', { 'hdr.resource_id': 7, vertex_count: 6 }),
    demoCommand(protocol, 'DESTROY_RESOURCE', { 'hdr.resource_id': 7 }),
    demoCommand(protocol, 'DESTROY_RESOURCE', { 'hdr.resource_id': 5 }),
  ];
  const fd = openSync(file, 'w');
  const writer = new PcapngWriter((chunk) => writeSync(fd, chunk), { profileHash: protocol.profileHash });
  commands.forEach((data, i) => writer.writePacket({ timestampNs: BASE_NS + BigInt(i) * 1000n, data }));
  writer.close();
  closeSync(fd);
}

/**
 * The simulator varies only a command's resource id; a capture whose draws all draw the same
 * number of vertices would make a dull filter. Every 32-bit field named like a count (outside
 * the header) gets a value that changes from command to command.
 */
function varyCounts(opcode: OpcodeInfo, bytes: Uint8Array, i: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const field of opcode.payload?.fields ?? []) {
    if (field.path.includes('count') && !field.path.includes('.') && field.size === 4 && field.count === undefined && field.offset + 4 <= bytes.length) view.setUint32(field.offset, (i * 37) % 2000, true);
  }
}

/**
 * A shared-memory image after a hang: `count` commands written into a ring, the host stopped
 * `pending` commands short of the producer and completed fences up to the last it consumed.
 */
export function writeHangSnapshot(file: string, protocol: LoadedProtocol, count: number, pending: number): { producer: bigint; consumer: bigint } {
  const ring = protocol.ring!;
  const ringSize = 64 * 1024;
  const ringOffset = 0x1000;
  const image = new Uint8Array(ringOffset + ringSize);
  if (typeof ring.ringOffset !== 'number') writeUnsigned(image, 0, ring.ringOffset, ringOffset);
  if (typeof ring.ringSize !== 'number') writeUnsigned(image, 0, ring.ringSize, ringSize);
  const magic = ring.control.fields.find((f) => f.path === 'magic');
  if (magic) writeUnsigned(image, magic.offset, { offset: 0, size: 4, byteOrder: 'little' }, 0x50564750);
  const stream = new CommandStream(new CommandSynthesizer(protocol.analysis.layoutEngine, protocol.command, 9), protocol.command, 'frames', protocol.fence);
  const starts: bigint[] = [];
  let position = 3n * BigInt(ringSize) + 100n;
  let lastFence = 0n;
  const fences: bigint[] = [];
  for (let i = 0; i < count; i++) {
    const command = stream.next();
    starts.push(position);
    fences.push(command.fenceValue ?? lastFence);
    lastFence = command.fenceValue ?? lastFence;
    position = writeRecord(image.subarray(ringOffset), position, command.bytes);
  }
  const consumer = starts[count - pending]!;
  writeUnsigned(image, 0, ring.producer, position);
  writeUnsigned(image, 0, ring.consumer, consumer);
  if (ring.completedFence) writeUnsigned(image, 0, ring.completedFence, fences[count - pending - 1] ?? 0n);
  const fd = openSync(file, 'w');
  writeSync(fd, image);
  closeSync(fd);
  return { producer: position, consumer };
}
