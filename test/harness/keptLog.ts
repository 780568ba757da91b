import type { Logger } from '../../extension/common/logger';

/** A Logger for tests that keeps every line, for assertions on what was (or was not) logged. */
export class KeptLog implements Logger {
  readonly lines: string[] = [];
  trace = (message: string) => void this.lines.push(message);
  debug = (message: string) => void this.lines.push(message);
  info = (message: string) => void this.lines.push(message);
  warn = (message: string) => void this.lines.push(message);
  error = (message: string | Error) => void this.lines.push(String(message));
}
