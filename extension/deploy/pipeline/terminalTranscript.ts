import { DEPLOY_STEPS, STEP_TITLES, type DeployStepName, type RunReporter, type RunResult, type StepOutcome } from './deployPipeline';

// What a run looks like in its terminal: a coloured header per step, every external command
// echoed, output as it came, each step's end with its time, and a summary table. The same text
// without colours is the run folder's transcript. Pure: it only makes strings.

const ESC = '\u001b[';
const STYLE = {
  header: `${ESC}1;36m`,
  command: `${ESC}2m`,
  passed: `${ESC}32m`,
  failed: `${ESC}1;31m`,
  cancelled: `${ESC}33m`,
  skipped: `${ESC}2m`,
  warning: `${ESC}33m`,
  reset: `${ESC}0m`,
} as const;

const MARK: Readonly<Record<StepOutcome['status'], string>> = { passed: '✔', failed: '✖', cancelled: '■', skipped: '–' };

/** A terminal wants CRLF; output from tools comes with LF, CRLF or a lone CR. */
export function toTerminalLines(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

export function stripStyles(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}

/** A RunReporter that writes what a person reads, with colours when `colour` is set. */
export class TranscriptReporter implements RunReporter {
  constructor(
    private readonly write: (text: string) => void,
    private readonly colour: boolean,
  ) {}

  stepStarted(step: DeployStepName, index: number, count: number): void {
    this.line(`${this.paint('header', `▶ ${STEP_TITLES[step]}`)}${this.paint('skipped', ` (${index + 1}/${count}, task gpupv: ${step})`)}`);
  }

  command(line: string): void {
    this.line(this.paint('command', `$ ${line}`));
  }

  output(text: string): void {
    this.write(toTerminalLines(text));
  }

  info(message: string): void {
    this.line(`  ${message}`);
  }

  warning(message: string): void {
    this.line(this.paint('warning', `  ⚠ ${message}`));
  }

  stepEnded(outcome: StepOutcome): void {
    if (outcome.status === 'skipped') return;
    const seconds = formatSeconds(outcome.durationMs);
    this.line(this.paint(outcome.status, `${MARK[outcome.status]} ${STEP_TITLES[outcome.step]} ${outcome.status} in ${seconds}: ${outcome.message}`));
    if (outcome.hint) this.line(this.paint(outcome.status, `  → ${outcome.hint}`));
    this.line('');
  }

  /** The table at the end, with where the run folder is. */
  summary(result: RunResult, runFolder: string | undefined): void {
    const verdict = { passed: 'Deploy and Test passed', failed: 'Deploy and Test FAILED', cancelled: 'Deploy and Test cancelled' }[result.status];
    this.line(this.paint(result.status, `${verdict} in ${formatSeconds(result.durationMs)}`));
    const width = Math.max(...DEPLOY_STEPS.map((s) => STEP_TITLES[s].length));
    for (const outcome of result.steps) {
      const time = outcome.status === 'skipped' ? '' : formatSeconds(outcome.durationMs).padStart(8);
      this.line(this.paint(outcome.status, `  ${MARK[outcome.status]} ${STEP_TITLES[outcome.step].padEnd(width)} ${outcome.status.padEnd(9)}${time}  ${outcome.message}`));
    }
    for (const condition of result.guestCondition) this.line(this.paint('warning', `  Guest: ${condition}`));
    if (runFolder) this.line(`  Run folder: ${runFolder}`);
  }

  private line(text: string): void {
    this.write(`${text}\r\n`);
  }

  private paint(style: keyof typeof STYLE, text: string): string {
    return this.colour ? `${STYLE[style]}${text}${STYLE.reset}` : text;
  }
}

export function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`;
}
