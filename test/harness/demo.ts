import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CodeServer, freeLoopbackPort } from './codeServer';
import { demoWorkspace, repoRoot } from './paths';
import { prepareVmGuest } from './deployWorkspace';
import { prepareSimulatedHyperV } from './simulatedHyperV';
import { demoProtocol, writeFramesCapture, writeHangSnapshot, writeLifetimeBugsCapture } from './traceFixtures';
import { createServer } from 'node:net';

// `npm run demo`: the real VS Code with the extension installed, on the demo workspace,
// until Ctrl+C. Bound to 127.0.0.1, so it runs without a password: nothing off this
// machine can reach it (forward the port over SSH to use it from elsewhere). The workspace
// gets traces to open (demo/traces/, git-ignored) and the ring its gpupv.json names is fed
// by the simulator, ready to attach to.

const DEFAULT_PORT = 8720;
/** The live ring demo/gpupv.json names. */
const DEMO_RING = '/dev/shm/pvgpu_shmem_vm1';
const DEMO_TRACES = path.join(demoWorkspace, 'traces');
/** Win11-DriverTest, the target of demo/gpupv.json's driver section. */
const DEMO_DEPLOY_VM = '3f8a2c4e-9b1d-4e7a-8c2f-5d6e7a8b9c01';

async function main(): Promise<void> {
  const port = await choosePort(process.env.GPUPV_DEMO_PORT);
  const stateDir = mkdtempSync(path.join(tmpdir(), 'gpupv-demo-'));
  const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };

  await writeDemoTraces();
  const simulator: ChildProcess | undefined = startDemoRing();
  let server: CodeServer | undefined = undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping VS Code…`);
    if (simulator) {
      simulator.kill();
      rmSync(DEMO_RING, { force: true });
    }
    await server?.stop();
    rmSync(stateDir, { recursive: true, force: true });
    console.log('Stopped.');
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(signal));
  process.once('exit', () => {
    server?.killNow();
    simulator?.kill();
  });


  // Without Hyper-V here, the Virtual Machines view shows a simulated workstation (labelled so).
  const hyperV = process.platform === 'win32' ? undefined : prepareSimulatedHyperV(path.join(stateDir, 'hyperv'));
  // The VM demo/gpupv.json deploys to is a whole Windows guest there, with the sample's device.
  if (hyperV) prepareVmGuest(hyperV.stateFile, DEMO_DEPLOY_VM);
  console.log('Starting VS Code (code-server) with GPU-PV Dev Kit…');
  server = await CodeServer.start({
    stateDir,
    port,
    installExtension: { id: 'gpupv.gpupv-devkit', version, path: repoRoot },
    env: hyperV?.env,
    ...(hyperV ? { machineSettings: hyperV.machineSettings } : {}),
  });
  console.log(
    [
      '',
      'GPU-PV Dev Kit demo is running. Open:',
      '',
      `    ${server.workbenchUrl(demoWorkspace)}`,
      '',
      'It listens on 127.0.0.1 only, so it asks for no password: nothing outside this machine can reach it.',
      `From another machine, forward the port first (ssh -L ${port}:127.0.0.1:${port} <this host>).`,
      `Traces to open: ${DEMO_TRACES} (the Ring Traces view lists them).`,
      simulator ? `A simulated VM feeds the live ring ${DEMO_RING} (Ring Traces › Live Sources › Attach Live Viewer).` : `${DEMO_RING} exists already: it is listed as it is, no simulator is started.`,
      ...(hyperV
        ? [
            '',
            'This machine has no Hyper-V: the Virtual Machines view shows a SIMULATED host (real PowerShell running GpuPv.psm1 over the stand-in modules in test/fakes/hyperv/modules).',
            `Its state, which the view's actions change, is ${hyperV.stateFile}`,
            'Deploy and Test (Ctrl+Alt+Shift+D, or the status bar item) builds demo/driver and installs it in its VM Win11-DriverTest over PowerShell Direct: sign in as tester, password P@ss w0rd\'!',
          ]
        : []),
      'Press Ctrl+C to stop.',
    ].join('\n'),
  );
}

/** A capture, a hang snapshot and a capture with object-lifetime bugs, made once. */
async function writeDemoTraces(): Promise<void> {
  if (existsSync(path.join(DEMO_TRACES, 'frames.pcapng'))) return;
  mkdirSync(DEMO_TRACES, { recursive: true });
  const protocol = await demoProtocol();
  writeFramesCapture(path.join(DEMO_TRACES, 'frames.pcapng'), protocol, 200_000);
  writeHangSnapshot(path.join(DEMO_TRACES, 'hang.ringsnap'), protocol, 400, 6);
  writeLifetimeBugsCapture(path.join(DEMO_TRACES, 'lifetimes.pcapng'), protocol);
}

/** `gpupv simulate` on the demo's live ring, unless something (a real VM) already has it. */
function startDemoRing(): ChildProcess | undefined {
  if (process.platform !== 'linux' || existsSync(DEMO_RING)) return undefined;
  return spawn(process.execPath, [path.join(repoRoot, 'dist', 'gpupv.js'), 'simulate', '--shm', DEMO_RING, '--profile', path.join(demoWorkspace, 'gpupv.json'), '--rate', '20000', '--pattern', 'frames', '--consumer-lag', '40'], { stdio: 'ignore' });
}

/** The requested port, or the default; a free one if that is taken. 0 always means "any free port". */
async function choosePort(requested: string | undefined): Promise<number> {
  const wanted = requested === undefined ? DEFAULT_PORT : Number(requested);
  if (!Number.isInteger(wanted) || wanted < 0 || wanted > 65535) {
    throw new Error(`GPUPV_DEMO_PORT must be a port number, not "${requested ?? ''}"`);
  }
  if (wanted !== 0 && (await isFree(wanted))) return wanted;
  if (wanted !== 0) console.log(`Port ${wanted} is in use; using a free one instead.`);
  return freeLoopbackPort();
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

main().catch((error: unknown) => {
  console.error(`The demo could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
