import { saveState, type Fault, type StateDocument } from './stateDocument';

// Injected failures from standIn.faults. The first fault that matches a call fires: it is
// counted down (and dropped at 0) and the document is written back at once, so a hang or a
// crash that follows still leaves the count right for the next process.

/** Kinds that make sense for Import-Module (it writes no JSON reply). */
const IMPORT_KINDS: readonly Fault['kind'][] = ['hang', 'crash', 'stderr', 'accessDenied'];

function matches(fault: Fault, fn: string, computerName: string | undefined): boolean {
  if (fault.function === undefined) {
    if (fn === 'Import-Module') return false;
  } else if (fault.function.toLowerCase() !== fn.toLowerCase()) {
    return false;
  }
  if (fn === 'Import-Module' && !IMPORT_KINDS.includes(fault.kind)) return false;
  if (fault.kind === 'vmGoneMidCopy' && fn !== 'Sync-GpuPvHostDriver') return false;
  if (fault.computerName !== undefined && fault.computerName.toLowerCase() !== computerName?.toLowerCase()) return false;
  return true;
}

export function takeFault(doc: StateDocument, statePath: string, fn: string, computerName: string | undefined): Fault | undefined {
  const faults = doc.standIn?.faults;
  if (!faults) return undefined;
  const index = faults.findIndex((f) => matches(f, fn, computerName));
  if (index < 0) return undefined;
  const fault = { ...faults[index]! };
  const times = fault.times ?? 1;
  if (times !== -1) {
    if (times <= 1) faults.splice(index, 1);
    else faults[index] = { ...fault, times: times - 1 };
    saveState(statePath, doc);
  }
  return fault;
}

export const DEFAULT_STDERR_TEXT = 'stand-in: injected error';
