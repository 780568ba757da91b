import { writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { readHeaderFile } from '../../extension/protocol/localFiles';
import { loadProtocol } from '../../extension/protocol/profile/loadProtocol';
import { RingSimulator } from '../../extension/protocol/simulate/ringSimulator';

// The producer side of the live benchmarks, in its own process as a guest would be:
//   node liveSimulatorProcess.js <profile> <shm file> <rate> <seconds> <publish log file>
// It creates the ring, prints "ready", and writes its first command when a line arrives on
// standard input (the reader attaches in between, so it sees every command from the first).
// Then prints its stats as JSON; the publish log holds a [producer after the batch, commands
// written, epoch ms] triple of float64 per batch.

async function main(): Promise<void> {
  const [profile, shm, rate, seconds, log] = process.argv.slice(2);
  const protocol = await loadProtocol(profile!, readHeaderFile);
  const simulator = new RingSimulator({
    file: shm!,
    protocol,
    rate: Number(rate),
    pattern: 'frames',
    ringSize: 16 * 1024 * 1024,
    recordPublishTimes: true,
  });
  console.log('ready');
  await once(process.stdin, 'data');
  process.stdin.destroy();
  const stats = await simulator.run(Number(seconds) * 1000);
  const triples = new Float64Array(simulator.publishLog!.flatMap(({ producer, commands, atMs }) => [Number(producer), commands, atMs]));
  writeFileSync(log!, new Uint8Array(triples.buffer));
  console.log(JSON.stringify(stats));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
