import type { Target } from './hostTarget';
import type { Params } from './params';
import type { Fault, StateDocument } from './stateDocument';

/** Everything one module function sees: the freshly read document and the decoded call. */
export interface CallContext {
  readonly statePath: string;
  readonly doc: StateDocument;
  readonly params: Params;
  readonly target: Target;
  /** A vmGoneMidCopy fault that fired for this call (only Sync-GpuPvHostDriver acts on it). */
  readonly fault: Fault | undefined;
  /** Writes the document back; every function that changes something calls it. */
  save(): void;
}

/** One exported function of GpuPv.psm1: returns the reply's result or throws a ModuleError. */
export type ModuleImplementation = (call: CallContext) => unknown;
