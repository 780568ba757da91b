import { writeFileSync } from 'node:fs';
import { readHeaderFile } from '../../extension/protocol/localFiles';
import { loadProtocol } from '../../extension/protocol/profile/loadProtocol';
import { RingSimulator } from '../../extension/protocol/simulate/ringSimulator';

// The producer side of the live benchmark, in its own process as a guest would be:
//   node liveSimulatorProcess.js <profile> <shm file> <rate> <seconds> <publish log file>
// Prints its stats as JSON; the publish log holds [producer after the batch, epoch ms] pairs.

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
  // Give the snooper time to attach before the first command.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const stats = await simulator.run(Number(seconds) * 1000);
  const pairs = new Float64Array(simulator.publishLog!.flatMap(([position, time]) => [Number(position), time]));
  writeFileSync(log!, new Uint8Array(pairs.buffer));
  console.log(JSON.stringify(stats));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
