import type * as vscode from 'vscode';

/**
 * What the rest of the extension logs through. Services take a Logger rather than the
 * output channel so unit tests can pass `silentLogger` and never touch `vscode`.
 */
export interface Logger {
  trace(message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string | Error, ...args: unknown[]): void;
}

export const silentLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** The one LogOutputChannel ("GPU-PV") is itself a Logger; this only narrows the type. */
export function loggerFor(channel: vscode.LogOutputChannel): Logger {
  return channel;
}
