import { standIn, type StateDocument, type VmRecord } from './stateDocument';

// What Hyper-V does to a VM's live numbers when its state changes: a stopped or saved VM
// uses no CPU, holds no memory and has no uptime; a started one gets its memory back.

const DEFAULT_STARTUP_MEMORY = 4 * 1024 ** 3;

/** Off or Saved: remember the memory so a later start gives the same amount back. */
export function stopVm(doc: StateDocument, vm: VmRecord, state: 'Off' | 'Saved'): void {
  if (vm.memoryAssigned) (standIn(doc).lastMemoryAssigned ??= {})[vm.id] = vm.memoryAssigned;
  vm.state = state;
  vm.cpuUsage = 0;
  vm.memoryAssigned = 0;
  vm.uptimeSeconds = 0;
}

/** Running from Off or Saved: uptime restarts, CPU usage stays as stored. */
export function startVm(doc: StateDocument, vm: VmRecord): void {
  vm.state = 'Running';
  vm.uptimeSeconds = 0;
  vm.memoryAssigned = doc.standIn?.lastMemoryAssigned?.[vm.id] ?? DEFAULT_STARTUP_MEMORY;
}
