import { createInterface } from 'node:readline';

// node-powershell's framing. For each call it writes five lines to stdin:
//   [Console]::Error.WriteLine("D")   -> echo D on stderr
//   [Console]::Out.WriteLine("D")     -> echo D on stdout, then collect the command
//   <command>
//   [Console]::Error.WriteLine("D")   -> run the command, then echo D on stderr
//   [Console]::Out.WriteLine("D")     -> echo D on stdout
// and reads each stream up to its second D. So the command's output must be written (and
// flushed, in order) before the closing markers are echoed. Lines are handled one at a time:
// a command that never finishes (the hang fault) holds back everything after it, as in
// PowerShell.

export interface Outcome {
  readonly stdout: readonly string[];
  readonly stderr: readonly string[];
  /** hang: never answer; crash: exit 1 without another byte. */
  readonly end?: 'hang' | 'crash';
}

export type Execute = (command: string) => Promise<Outcome>;

const ERROR_MARKER = /^\[Console\]::Error\.WriteLine\("([^"]*)"\)$/;
const OUT_MARKER = /^\[Console\]::Out\.WriteLine\("([^"]*)"\)$/;

/** Resolves once the text is handed to the OS, so later writes and exit cannot overtake it. */
function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

export function runProtocolLoop(execute: Execute): void {
  let frame: { readonly delimiter: string; readonly lines: string[] } | undefined;
  let closing: string | undefined;
  let hanging = false;
  let stdinClosed = false;
  let queue = Promise.resolve();

  const run = async (command: string): Promise<void> => {
    if (command.trim() === '') return;
    let outcome: Outcome;
    try {
      outcome = await execute(command);
    } catch (error) {
      // A bug in the stand-in still answers, so the caller fails instead of waiting forever.
      outcome = { stdout: [], stderr: [`stand-in: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`] };
    }
    if (outcome.stderr.length > 0) await write(process.stderr, outcome.stderr.join('\n') + '\n');
    if (outcome.end === 'crash') process.exit(1);
    if (outcome.end === 'hang') {
      hanging = true;
      if (stdinClosed) process.exit(0);
      // Sleep until killed (SIGTERM) or until stdin closes; the interval keeps Node alive.
      setInterval(() => undefined, 60_000);
      return new Promise<void>(() => undefined);
    }
    if (outcome.stdout.length > 0) await write(process.stdout, outcome.stdout.join('\n') + '\n');
  };

  const handle = async (raw: string): Promise<void> => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const errorMarker = ERROR_MARKER.exec(line);
    const outMarker = OUT_MARKER.exec(line);
    if (frame) {
      if (errorMarker?.[1] !== frame.delimiter) {
        frame.lines.push(line);
        return;
      }
      const { delimiter, lines } = frame;
      frame = undefined;
      await run(lines.join('\n'));
      closing = delimiter;
      await write(process.stderr, delimiter + '\n');
    } else if (errorMarker) {
      await write(process.stderr, errorMarker[1]! + '\n');
    } else if (outMarker) {
      const delimiter = outMarker[1]!;
      await write(process.stdout, delimiter + '\n');
      if (closing === delimiter) closing = undefined;
      else frame = { delimiter, lines: [] };
    } else {
      // A line outside any frame: PowerShell would run it too.
      await run(line);
    }
  };

  const input = createInterface({ input: process.stdin, crlfDelay: Infinity });
  input.on('line', (line) => {
    queue = queue.then(() => handle(line));
  });
  // stdin closed (the caller went away): finish what was sent, then leave; a hang just leaves.
  input.on('close', () => {
    stdinClosed = true;
    if (hanging) process.exit(0);
    void queue.then(() => process.exit(0));
  });
  process.on('SIGTERM', () => process.exit(0));
  // The reader is gone: nothing can be answered any more.
  process.stdout.on('error', () => process.exit(0));
  process.stderr.on('error', () => process.exit(0));
}
