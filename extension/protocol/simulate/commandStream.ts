import type { CommandProfile, OpcodeInfo } from '../profile/commandProfile';
import type { FenceProfile } from '../profile/fenceProfile';
import { writeUnsigned } from '../ring/recordFraming';
import type { CommandSynthesizer, SynthesizedCommand } from './commandSynthesizer';

// What a guest driver submits, as a stream of commands for any protocol: `frames` (clears,
// state, draws, a present and a fence per frame, chosen by opcode names), `random` (any
// command with a struct), `stress` (the smallest and largest commands alternating, so many
// straddle the end of the ring).

export type StreamPattern = 'frames' | 'random' | 'stress';

export class CommandStream {
  private readonly withPayload: OpcodeInfo[];
  private readonly frame: OpcodeInfo[] = [];
  private position = 0;
  private fenceValue = 0n;

  constructor(
    private readonly synthesizer: CommandSynthesizer,
    profile: CommandProfile,
    private readonly pattern: StreamPattern,
    private readonly fence: FenceProfile | undefined,
  ) {
    this.withPayload = [...profile.opcodes.values()].filter((o) => o.payload && o !== fence?.opcode);
    if (this.withPayload.length === 0) throw new Error('the profile has no opcode with a payload struct to simulate');
    if (pattern === 'stress') this.withPayload.sort((a, b) => a.payload!.size - b.payload!.size);
    this.frame = this.frameTemplate();
  }

  /** The fence value of the last fence command produced (0 before any). */
  get lastFence(): bigint {
    return this.fenceValue;
  }

  next(): SynthesizedCommand & { readonly fenceValue?: bigint } {
    const opcode = this.nextOpcode();
    if (opcode === this.fence?.opcode) {
      const value = ++this.fenceValue;
      return { ...this.synthesizer.build(opcode, (bytes) => writeUnsigned(bytes, 0, this.fence!.value, value)), fenceValue: value };
    }
    return this.synthesizer.build(opcode);
  }

  private nextOpcode(): OpcodeInfo {
    const i = this.position++;
    switch (this.pattern) {
      case 'frames':
        return this.frame[i % this.frame.length]!;
      case 'random':
        if (this.fence && i % 64 === 63) return this.fence.opcode;
        return this.withPayload[this.synthesizer.next() % this.withPayload.length]!;
      case 'stress': {
        if (this.fence && i % 32 === 31) return this.fence.opcode;
        const list = this.withPayload;
        return i % 2 === 0 ? list[0]! : list[list.length - 1 - (this.synthesizer.next() % Math.min(3, list.length))]!;
      }
    }
  }

  /** One frame's opcodes, by the names protocols give them; random picks fill in what a protocol lacks. */
  private frameTemplate(): OpcodeInfo[] {
    const named = (pattern: RegExp) => this.withPayload.filter((o) => pattern.test(o.shortName));
    const clears = named(/CLEAR/);
    const states = named(/^(SET|BIND|UPDATE)/);
    const draws = named(/DRAW|DISPATCH/);
    const presents = named(/PRESENT|FLIP|SWAP/);
    const pick = (list: OpcodeInfo[], k: number) => (list.length ? list[k % list.length]! : this.withPayload[k % this.withPayload.length]!);
    const frame: OpcodeInfo[] = [pick(clears, 0)];
    for (let d = 0; d < 12; d++) {
      if (d % 3 === 0) frame.push(pick(states, d), pick(states, d + 1));
      frame.push(pick(draws, d));
    }
    frame.push(pick(presents, 0));
    if (this.fence) frame.push(this.fence.opcode);
    return frame;
  }
}
