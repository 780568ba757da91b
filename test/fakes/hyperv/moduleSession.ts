import { existsSync, readFileSync, statSync } from 'node:fs';
import { MODULE_READY, type ModuleFunction } from '../../../extension/hyperv/moduleCommand';
import type { CallContext, ModuleImplementation } from './callContext';
import { appendCallLog, callLogPath, holdsSecret, REDACTED, redactSecrets } from './callLog';
import { exportedFunctions, notRecognized, parseCommand } from './commandShapes';
import { DEFAULT_STDERR_TEXT, takeFault } from './faults';
import { accessDenied, assertHyperV, hyperVModuleMissing, targetOf } from './hostTarget';
import type { Outcome } from './protocolLoop';
import { MODULE_IMPLEMENTATIONS } from './moduleFunctions';
import { decodeBase64Text, decodeParams, param, type Params } from './params';
import { errorReply, ModuleError, okReply } from './replies';
import { loadState, saveState, StateUnreadable, type Fault, type StateDocument } from './stateDocument';

// One PowerShell process: what Import-Module loaded into it and how each command is run.
// Every command is logged first, then checked against the two shapes, then run against the
// state document read afresh.

const STATE_ENV = 'GPUPV_FAKE_HYPERV_STATE';

export class ModuleSession {
  /** The module's exported functions once Import-Module ran in this process. */
  private exports: ReadonlySet<string> | undefined;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  async execute(command: string): Promise<Outcome> {
    const parsed = parseCommand(command);
    if (parsed.kind === 'import') return this.importModule(command, parsed.encodedPath);
    if (parsed.kind === 'call') return this.callFunction(command, parsed.fn, parsed.encoded);
    this.log(command, null, null);
    return { stdout: [], stderr: [notRecognized(parsed.firstWord)] };
  }

  private log(command: string, fn: string | null, params: Record<string, unknown> | null): void {
    appendCallLog(callLogPath(this.env), { time: new Date().toISOString(), pid: process.pid, command, function: fn, params });
  }

  /** The state document, or why there is none (worded for the reply). */
  private readState(): { doc: StateDocument; path: string } | { problem: string } {
    const path = this.env[STATE_ENV];
    if (!path) return { problem: `${STATE_ENV} is not set` };
    try {
      return { doc: loadState(path), path };
    } catch (error) {
      if (error instanceof StateUnreadable) return { problem: error.message };
      throw error;
    }
  }

  private importModule(command: string, encodedPath: string): Outcome {
    const path = decodeBase64Text(encodedPath);
    this.log(command, 'Import-Module', path === undefined ? null : { name: path });
    if (path === undefined) {
      return { stdout: [], stderr: ['Exception calling "FromBase64String" with "1" argument(s): "The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding characters, or an illegal character among the padding characters."'] };
    }
    const state = this.readState();
    const fault = 'doc' in state ? takeFault(state.doc, state.path, 'Import-Module', undefined) : undefined;
    const stderr: string[] = [];
    if (fault?.kind === 'hang' || fault?.kind === 'crash') return { stdout: [], stderr: [], end: fault.kind };
    if (fault?.kind === 'stderr') stderr.push(fault.text ?? DEFAULT_STDERR_TEXT);
    if (fault?.kind === 'accessDenied') {
      return { stdout: [], stderr: [`Import-Module: Access to the path '${path}' is denied.`] };
    }
    if (!existsSync(path) || !statSync(path).isFile()) {
      stderr.push(`Import-Module: The specified module '${path}' was not loaded because no valid module file was found in any module directory.`);
      return { stdout: [], stderr };
    }
    this.exports = new Set(exportedFunctions(readFileSync(path, 'utf8')));
    return { stdout: [MODULE_READY], stderr };
  }

  private async callFunction(command: string, fn: string, encoded: string): Promise<Outcome> {
    let params: Params | ModuleError;
    try {
      params = decodeParams(encoded);
    } catch (error) {
      if (!(error instanceof ModuleError)) throw error;
      params = error;
    }
    const secret = !(params instanceof ModuleError) && holdsSecret(params);
    this.log(
      secret ? command.replace(`'${encoded}'`, `'${REDACTED}'`) : command,
      fn,
      params instanceof ModuleError ? null : redactSecrets(params),
    );
    if (!this.exports?.has(fn)) return { stdout: [], stderr: [notRecognized(fn)] };
    const implementation = MODULE_IMPLEMENTATIONS[fn as ModuleFunction] as ModuleImplementation | undefined;
    if (!implementation) return reply(errorReply('Failed', `stand-in: ${fn} is exported by the module but not implemented by the stand-in.`));

    const state = this.readState();
    if ('problem' in state) {
      return reply(noStateReply(state.problem));
    }
    const computerName = params instanceof ModuleError ? undefined : param(params, 'computerName');
    const fault = takeFault(state.doc, state.path, fn, typeof computerName === 'string' ? computerName : undefined);
    const stderr: string[] = [];
    switch (fault?.kind) {
      case 'hang':
      case 'crash':
        return { stdout: [], stderr: [], end: fault.kind };
      case 'stderr':
        stderr.push(fault.text ?? DEFAULT_STDERR_TEXT);
        break;
      case 'accessDenied':
        return replyError(accessDenied());
      case 'hyperVModuleMissing':
        return replyError(hyperVModuleMissing());
      default:
        break;
    }
    const line = await runFunction(fn as ModuleFunction, implementation, state.doc, state.path, params, fault);
    return { stdout: [line], stderr };
  }
}

function noStateReply(problem: string): string {
  return errorReply('Failed', `stand-in: ${STATE_ENV} names no readable state file (${problem})`);
}

function reply(line: string): Outcome {
  return { stdout: [line], stderr: [] };
}

function replyError(error: ModuleError): Outcome {
  return reply(errorReply(error.code, error.message));
}

/** Invoke-GpuPvCall: decode, check Hyper-V (not for the inventory), run, one JSON line. */
async function runFunction(
  fn: ModuleFunction,
  implementation: ModuleImplementation,
  doc: StateDocument,
  statePath: string,
  params: Params | ModuleError,
  fault: Fault | undefined,
): Promise<string> {
  try {
    if (params instanceof ModuleError) throw params;
    const target = targetOf(doc, params);
    if (fn !== 'Get-GpuPvInventory') assertHyperV(doc, target);
    const call: CallContext = {
      statePath,
      doc,
      params,
      target,
      fault: fault?.kind === 'vmGoneMidCopy' ? fault : undefined,
      save: () => saveState(statePath, doc),
    };
    return okReply(await implementation(call));
  } catch (error) {
    if (error instanceof ModuleError) return errorReply(error.code, error.message);
    if (error instanceof StateUnreadable) return noStateReply(error.message);
    return errorReply('Failed', `stand-in: ${error instanceof Error ? error.message : String(error)}`);
  }
}
