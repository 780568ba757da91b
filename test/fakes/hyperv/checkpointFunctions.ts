import { randomUUID } from 'node:crypto';
import type { Checkpoint } from '../../../extension/hyperv/inventory';
import type { CallContext } from './callContext';
import { findVm, hostOf } from './hostTarget';
import { checkpointView } from './inventoryView';
import { stringParam } from './params';
import { ModuleError } from './replies';
import { standIn, type Mutable, type StateDocument, type VmRecord } from './stateDocument';
import { stopVm } from './vmPower';

// Invoke-GpuPvCheckpoint. Hyper-V hangs a new checkpoint under the VM's current one (the
// last one created or applied), which the stand-in keeps in standIn.currentCheckpoints.

type Stored = Mutable<Checkpoint>;

/** The current checkpoint if it still exists, else the newest one (a document written by hand). */
function currentOf(doc: StateDocument, vm: VmRecord): Stored | undefined {
  const id = doc.standIn?.currentCheckpoints?.[vm.id];
  const tracked = vm.checkpoints.find((c) => c.id === id);
  if (tracked) return tracked;
  return [...vm.checkpoints].sort((a, b) => (a.created ?? '').localeCompare(b.created ?? '')).at(-1);
}

function setCurrent(doc: StateDocument, vm: VmRecord, id: string | null): void {
  const others = Object.entries(doc.standIn?.currentCheckpoints ?? {}).filter(([vmId]) => vmId !== vm.id);
  standIn(doc).currentCheckpoints = Object.fromEntries(id === null ? others : [...others, [vm.id, id]]);
}

/** Hyper-V's default name: "<VM> - (8/14/2024 - 3:42:07 PM)", in the host's local time. */
function defaultName(vmName: string, now: Date): string {
  const hours = now.getHours() % 12 || 12;
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${hours}:${two(now.getMinutes())}:${two(now.getSeconds())} ${now.getHours() < 12 ? 'AM' : 'PM'}`;
  return `${vmName} - (${now.getMonth() + 1}/${now.getDate()}/${now.getFullYear()} - ${time})`;
}

/** DateTime.ToString('o') in UTC has seven fractional digits. */
function roundTripDate(now: Date): string {
  return now.toISOString().replace('Z', '0000Z');
}

export function invokeCheckpoint(call: CallContext): unknown {
  const { doc, params } = call;
  const action = stringParam(params, 'action', true)!.toLowerCase();
  if (!['create', 'apply', 'delete'].includes(action)) {
    throw new ModuleError('InvalidParameter', `Unknown checkpoint action '${action}'.`);
  }
  const vm = findVm(hostOf(doc, call.target), params);
  const name = stringParam(params, 'name');
  if (action === 'create') {
    const now = new Date();
    const created: Stored = {
      id: randomUUID(),
      name: name ?? defaultName(vm.name, now),
      parentId: currentOf(doc, vm)?.id ?? null,
      created: roundTripDate(now),
    };
    vm.checkpoints.push(created);
    setCurrent(doc, vm, created.id);
    call.save();
    return { action, checkpoint: checkpointView(created) };
  }
  // Prefer the id: checkpoint names need not be unique.
  const checkpointId = stringParam(params, 'checkpointId');
  let hits: Stored[];
  if (checkpointId !== undefined) hits = vm.checkpoints.filter((c) => c.id.toLowerCase() === checkpointId.toLowerCase());
  else if (name !== undefined) hits = vm.checkpoints.filter((c) => c.name === name);
  else throw new ModuleError('InvalidParameter', 'Pass checkpointId (or name).');
  if (hits.length === 0) throw new ModuleError('InvalidParameter', 'No such checkpoint on this VM.');
  if (hits.length > 1) throw new ModuleError('InvalidParameter', 'Several checkpoints have this name; pass checkpointId.');
  const hit = hits[0]!;
  const info = checkpointView(hit);
  if (action === 'apply') {
    // Production checkpoints (Hyper-V's default) leave the VM off after an apply.
    if (vm.state !== 'Off') stopVm(doc, vm, 'Off');
    setCurrent(doc, vm, hit.id);
  } else {
    // Hyper-V merges a deleted checkpoint into its children, which move up to its parent.
    for (const child of vm.checkpoints) if (child.parentId === hit.id) child.parentId = hit.parentId;
    vm.checkpoints = vm.checkpoints.filter((c) => c !== hit);
    if (doc.standIn?.currentCheckpoints?.[vm.id] === hit.id) setCurrent(doc, vm, hit.parentId);
  }
  call.save();
  return { action, checkpoint: info, state: vm.state };
}
