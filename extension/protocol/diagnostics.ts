// Where something is in the user's sources, and what the engine has to say about it.
// Every message the engine produces carries a location, so the CLI can print
// `file:line:col: error: ...` and the editor can underline the spot.

export interface SourceLocation {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

export type Severity = 'error' | 'warning' | 'info';

export interface HeaderDiagnostic {
  readonly severity: Severity;
  readonly message: string;
  readonly location: SourceLocation;
}

export function formatLocation(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}

export function formatDiagnostic(diagnostic: HeaderDiagnostic): string {
  return `${formatLocation(diagnostic.location)}: ${diagnostic.severity}: ${diagnostic.message}`;
}

/** Collects diagnostics, dropping exact repeats (a macro used on many lines reports once per line, not per use). */
export class DiagnosticSink {
  private readonly seen = new Set<string>();
  readonly items: HeaderDiagnostic[] = [];

  constructor(private readonly limit = 1000) {}

  report(severity: Severity, message: string, location: SourceLocation): void {
    const key = `${formatLocation(location)}|${severity}|${message}`;
    if (this.seen.has(key) || this.items.length >= this.limit) return;
    this.seen.add(key);
    this.items.push({ severity, message, location });
  }

  error(message: string, location: SourceLocation): void {
    this.report('error', message, location);
  }

  warning(message: string, location: SourceLocation): void {
    this.report('warning', message, location);
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}

/** A problem that stops the current construct (a declaration, a directive), never the whole header. */
export class HeaderError extends Error {
  constructor(
    message: string,
    readonly location: SourceLocation,
  ) {
    super(message);
    this.name = 'HeaderError';
  }
}
