/**
 * What the rest of the extension logs through. Services take a Logger rather than the
 * output channel, which is one (the LogOutputChannel "GPU-PV"), so pure modules never import
 * `vscode` to log.
 */
export interface Logger {
  trace(message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string | Error, ...args: unknown[]): void;
}
