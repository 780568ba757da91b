import type { LoadedProtocol } from '../../../extension/protocol/profile/loadProtocol';
import { readUnsigned } from '../../../extension/protocol/ring/recordFraming';
import { WindowRecordStore } from '../../../extension/protocol/trace/recordStore';
import { TraceIndex } from '../../../extension/protocol/trace/traceIndex';
import { TraceSource } from '../../../extension/protocol/trace/traceSource';

/** A trace a test writes row by row, as a live ring would fill it: commands, fence completions, rows dropped from the front, the end. */
export class ScriptedTraceSource extends TraceSource {
  private readonly window: WindowRecordStore;

  constructor(protocol: LoadedProtocol) {
    const window = new WindowRecordStore(1 << 30);
    super('live', 'scripted', protocol, new TraceIndex(16), window);
    this.window = window;
  }

  ringOffsetOf(seq: number): number {
    return seq;
  }

  /** A command seen `ms` milliseconds after the trace began; returns its seq. */
  push(bytes: Uint8Array, ms = 0): number {
    const framing = this.protocol.command.framing;
    const opcode = Number(readUnsigned(bytes, 0, framing.opcode));
    const seq = this.index.pushCommand(this.window.append(bytes), bytes.length, opcode, ms * 1e6);
    const fence = this.protocol.fence;
    if (fence && opcode === Number(fence.opcode.value)) this.index.addFence(seq, BigInt(readUnsigned(bytes, 0, fence.value)));
    return seq;
  }

  /** The host completed fences up to `value` at `ms` (NaN: at an unknown time, as a snapshot knows it). */
  completeFences(value: bigint, ms: number): void {
    this.index.completeFences(value, ms * 1e6);
  }

  dropBefore(seq: number): void {
    this.index.dropBefore(seq);
  }

  end(): void {
    this.complete = true;
  }
}
