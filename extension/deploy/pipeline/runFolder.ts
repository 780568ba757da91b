import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { STEP_TITLES, type RunResult } from './deployPipeline';
import { formatSeconds, stripStyles } from './terminalTranscript';

// Each run leaves a folder behind, `.gpupv/runs/<time>/`: the transcript of its terminal, the
// logs brought back from the guest, a `summary.json` for scripts and a `summary.md` for people.
// A run that fails at 3 a.m. in CI is read from here the next morning. Pure: node:fs only.

export const RUNS_FOLDER = path.join('.gpupv', 'runs');

export interface TestResultRecord {
  readonly name: string;
  readonly status: 'passed' | 'failed' | 'timedOut' | 'skipped';
  readonly durationMs: number;
  readonly exitCode?: number;
  readonly message?: string;
}

export interface RunSummary {
  readonly task: string;
  readonly target: string;
  readonly packages: readonly string[];
  readonly startedAt: string;
  readonly result: RunResult;
  readonly tests: readonly TestResultRecord[];
  /** Files of the run folder worth opening, relative to it: logs, dumps, the transcript. */
  readonly files: readonly string[];
}

export class RunFolder {
  readonly path: string;
  private readonly transcriptPath: string;

  /** Creates `<workspace>/.gpupv/runs/<time>`, a second one in the same second getting a suffix. */
  constructor(workspaceFolder: string, startedAt: Date) {
    const base = path.join(workspaceFolder, RUNS_FOLDER, folderName(startedAt));
    let candidate = base;
    for (let n = 2; ; n++) {
      try {
        mkdirSync(path.dirname(candidate), { recursive: true });
        mkdirSync(candidate);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        candidate = `${base}-${n}`;
      }
    }
    this.path = candidate;
    this.transcriptPath = path.join(candidate, 'transcript.log');
    writeFileSync(this.transcriptPath, '');
  }

  /** Terminal text, styles removed; written as it comes so a crash keeps what was shown. */
  appendTranscript(text: string): void {
    appendFileSync(this.transcriptPath, stripStyles(text).replace(/\r\n/g, '\n'));
  }

  /** A folder inside the run for what a step brings back (`logs`, `dumps`). */
  folder(name: string): string {
    const folder = path.join(this.path, name);
    mkdirSync(folder, { recursive: true });
    return folder;
  }

  writeSummary(summary: RunSummary): void {
    writeFileSync(path.join(this.path, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    writeFileSync(path.join(this.path, 'summary.md'), readableSummary(summary));
  }
}

function folderName(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  // Local time, sortable, no characters Windows refuses in a file name.
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}_${pad(date.getHours())}-${pad(date.getMinutes())}-${pad(date.getSeconds())}`;
}

export function readableSummary(summary: RunSummary): string {
  const { result } = summary;
  const lines = [
    `# Deploy and Test: ${result.status}`,
    '',
    `- Task: ${summary.task}`,
    `- Target: ${summary.target}`,
    `- Packages: ${summary.packages.join(', ') || '(none)'}`,
    `- Started: ${summary.startedAt}, took ${formatSeconds(result.durationMs)}`,
    '',
    '| Step | Result | Time | |',
    '|---|---|---|---|',
    ...result.steps.map((s) => `| ${STEP_TITLES[s.step]} | ${s.status} | ${s.status === 'skipped' ? '' : formatSeconds(s.durationMs)} | ${cell(s.message)}${s.hint ? ` — ${cell(s.hint)}` : ''} |`),
  ];
  if (summary.tests.length) {
    lines.push('', '## Tests', '', '| Test | Result | Time | |', '|---|---|---|---|');
    for (const t of summary.tests) lines.push(`| ${cell(t.name)} | ${t.status} | ${formatSeconds(t.durationMs)} | ${cell(t.message ?? '')} |`);
  }
  if (result.guestCondition.length) lines.push('', '## The guest was left', '', ...result.guestCondition.map((c) => `- ${c}`));
  if (summary.files.length) lines.push('', '## Files', '', ...summary.files.map((f) => `- [${f}](${encodeURI(f.replace(/\\/g, '/'))})`));
  return `${lines.join('\n')}\n`;
}

/** A table cell cannot hold a newline or a bare pipe. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
