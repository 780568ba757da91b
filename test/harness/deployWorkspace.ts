import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './paths';
import { SAMPLE_HARDWARE_ID, SAMPLE_MAKEFILE } from './samplePackage';
import type { SshGuest } from './sshGuest';

// A workspace that deploys the real sample package to the SSH guest: its `driver` section and
// the guest device the package is for. Shared by the plain-Node and the extension-host tests.

/** The sample's device as Device Manager shows it before any driver: Code 28. */
export const SAMPLE_DEVICE = {
  instanceId: 'PCI\\VEN_1AF4&DEV_10F0&SUBSYS_11001AF4&REV_01\\3&267A616A&0&20',
  friendlyName: 'Video Controller (VGA Compatible)',
  class: 'Display',
  classGuid: '{4d36e968-e325-11ce-bfc1-08002be10318}',
  manufacturer: '(Standard display types)',
  hardwareIds: ['PCI\\VEN_1AF4&DEV_10F0&SUBSYS_11001AF4&REV_01', 'PCI\\VEN_1AF4&DEV_10F0&SUBSYS_11001AF4', SAMPLE_HARDWARE_ID],
  compatibleIds: ['PCI\\VEN_1AF4&CC_030000', 'PCI\\CC_0300'],
  present: true,
  problemCode: 28,
};

/** Adds the sample's device to the guest, and the faults asked for (see WindowsGuestTools.psm1). */
export function prepareGuest(guest: SshGuest, faults: Record<string, unknown> = {}): void {
  const document = JSON.parse(readFileSync(guest.state, 'utf8')) as { devices: unknown[]; faults?: Record<string, unknown> };
  document.devices = [...document.devices.filter((d) => (d as { instanceId: string }).instanceId !== SAMPLE_DEVICE.instanceId), SAMPLE_DEVICE];
  document.faults = faults;
  writeFileSync(guest.state, JSON.stringify(document, null, 2));
}

/**
 * Makes a VM of the simulated Hyper-V host a whole Windows guest for PowerShell Direct: the
 * stand-in guest document (test signing on, Secure Boot off, its stores) and the sample's device.
 */
export function prepareVmGuest(hyperVState: string, vmId: string, faults: Record<string, unknown> = {}): void {
  const document = JSON.parse(readFileSync(hyperVState, 'utf8')) as { standIn: { guests: Record<string, Record<string, unknown>> } };
  const windowsGuest = JSON.parse(readFileSync(path.join(repoRoot, 'test', 'fakes', 'windows-guest', 'demoGuest.json'), 'utf8')) as { devices: unknown[] };
  document.standIn.guests[vmId] = { ...document.standIn.guests[vmId], ...windowsGuest, devices: [...windowsGuest.devices, SAMPLE_DEVICE], faults };
  writeFileSync(hyperVState, JSON.stringify(document, null, 2));
}

export interface DeployTestOptions {
  readonly tests?: readonly unknown[];
  readonly logs?: readonly string[];
}

/** The sample package, built with make into `<workspace>/out`. */
function samplePackages(workspace: string): unknown[] {
  mkdirSync(path.join(workspace, 'out'), { recursive: true });
  return [
      {
        name: 'pvsample',
        command: ['make', '--no-print-directory', '-f', SAMPLE_MAKEFILE, 'OUT=.'],
        cwd: 'out',
        outputDir: 'out',
        infs: ['pvsample.inf'],
      },
  ];
}

/** The driver section for the sample package deployed to the SSH guest. */
export function driverSection(workspace: string, guest: SshGuest, options: DeployTestOptions = {}): Record<string, unknown> {
  const { server } = guest;
  return {
    packages: samplePackages(workspace),
    signing: { certificate: 'create', catalogOs: ['10_X64'] },
    target: { ssh: `${server.user}@${server.host}:${server.port}`, shell: 'posix', powerShell: guest.powerShell, folder: `${guest.work}/gpupv` },
    tests: options.tests ?? [{ name: 'smoke', run: [guest.powerShell, '-NoProfile', '-Command', "Write-Output 'fence 1 signalled'; Write-Output 'pvsample OK'"], timeoutSeconds: 60, outputMatches: 'pvsample OK' }],
    logs: options.logs ?? [],
  };
}

/** The driver section for the sample package deployed to a VM of the simulated host, reverted to `checkpoint` first. */
export function vmDriverSection(workspace: string, vmId: string, checkpoint: string): Record<string, unknown> {
  return {
    packages: samplePackages(workspace),
    signing: { certificate: 'create', catalogOs: ['10_X64'] },
    target: { vm: vmId },
    checkpoint,
    tests: [{ name: 'smoke', run: ['sh', '-c', 'echo fence 1 signalled; echo pvsample OK'], timeoutSeconds: 60, outputMatches: 'pvsample OK' }],
  };
}
