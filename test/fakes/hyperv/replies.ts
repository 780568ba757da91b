import type { ModuleErrorCode, ModuleReply } from '../../../extension/hyperv/moduleCommand';

// How a module function answers: one line of compressed JSON, ASCII only, exactly like
// GpuPv.psm1's Write-GpuPvResult.

/** A failure with its contract code; the module's New-GpuPvError. */
export class ModuleError extends Error {
  constructor(
    readonly code: ModuleErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function okReply(result: unknown): string {
  return replyLine({ ok: true, result });
}

export function errorReply(code: ModuleErrorCode, message: string): string {
  return replyLine({ ok: false, error: { code, message } });
}

/** Non-ASCII only occurs inside JSON strings, where \uXXXX (lowercase hex, as the module) is exact. */
function replyLine(reply: ModuleReply<unknown>): string {
  return JSON.stringify(reply).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
