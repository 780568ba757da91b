// The Deploy and Test loop as an ordered list of steps that one engine runs, whichever way it
// was started (the composite task, one step's task, the key, the VM row's button, the CLI).
// The engine owns what every step would otherwise get wrong on its own: a failure stops the
// steps after it but logs are still brought back (a failed install is when they matter most);
// a cancel ends the step in progress and leaves the guest in a condition the summary states;
// every step's time is measured, so the engine's own overhead can be too. Pure: no `vscode`.

/** The steps in the order a run takes them; the tasks of type `gpupv` are named after them. */
export const DEPLOY_STEPS = ['build', 'sign', 'deploy', 'install', 'test', 'collect-logs'] as const;
export type DeployStepName = (typeof DEPLOY_STEPS)[number];

export const STEP_TITLES: Readonly<Record<DeployStepName, string>> = {
  build: 'Build',
  sign: 'Sign',
  deploy: 'Prepare the guest and copy the package',
  install: 'Install and check the device',
  test: 'Test',
  'collect-logs': 'Bring back the logs',
};

export type StepStatus = 'passed' | 'failed' | 'cancelled' | 'skipped';

export interface StepOutcome {
  readonly step: DeployStepName;
  readonly status: StepStatus;
  /** One line: what the step did, or why it failed or was skipped. */
  readonly message: string;
  /** What to do about a failure. */
  readonly hint?: string;
  readonly durationMs: number;
}

/** A failure a step explains itself: the message says what failed, the hint what to do. */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'StepFailure';
  }
}

/** Where a run's progress goes: the task's terminal, the log, the run folder's transcript. */
export interface RunReporter {
  stepStarted(step: DeployStepName, index: number, count: number): void;
  /** An external command, echoed before it runs (as a person would type it). */
  command(line: string): void;
  /** Output of a command or of the guest, as it comes. */
  output(text: string): void;
  info(message: string): void;
  warning(message: string): void;
  stepEnded(outcome: StepOutcome): void;
}

export interface StepContext {
  readonly signal: AbortSignal;
  readonly report: RunReporter;
}

/** What a step returns: the one line its outcome shows. */
export type StepBody = (context: StepContext) => Promise<string>;

export interface PlannedStep {
  readonly name: DeployStepName;
  readonly run: StepBody;
  /**
   * Runs after a failure or a cancel in this step or a later one, once, whatever happened:
   * what the guest is left as (processes stopped, a half-copied folder removed). Its line goes
   * into the summary.
   */
  readonly cleanUp?: (report: RunReporter, status: 'failed' | 'cancelled') => Promise<string | undefined>;
}

export interface RunResult {
  readonly status: 'passed' | 'failed' | 'cancelled';
  readonly steps: readonly StepOutcome[];
  /** What the guest was left as, when a clean-up had something to say. */
  readonly guestCondition: readonly string[];
  readonly durationMs: number;
  /** The run's time not spent inside a step: the engine's own cost. */
  readonly overheadMs: number;
}

/**
 * Runs the steps in order. After a failure or a cancel the remaining steps are skipped, except
 * `collect-logs`, which still runs after a failure once the guest was reached (not after a
 * cancel: the user asked for the run to end).
 */
export async function runSteps(steps: readonly PlannedStep[], report: RunReporter, signal: AbortSignal): Promise<RunResult> {
  const started = performance.now();
  const outcomes: StepOutcome[] = [];
  const cleanUps: NonNullable<PlannedStep['cleanUp']>[] = [];
  let status: RunResult['status'] = 'passed';
  let reachedGuest = false;
  let inSteps = 0;
  for (const [index, step] of steps.entries()) {
    const mayRun = status === 'passed' || (status === 'failed' && step.name === 'collect-logs' && reachedGuest);
    if (!mayRun) {
      const outcome = { step: step.name, status: 'skipped' as const, message: status === 'cancelled' ? 'cancelled before it started' : 'not run: an earlier step failed', durationMs: 0 };
      outcomes.push(outcome);
      report.stepEnded(outcome);
      continue;
    }
    if (step.cleanUp) cleanUps.push(step.cleanUp);
    if (step.name === 'deploy') reachedGuest = true;
    report.stepStarted(step.name, index, steps.length);
    const stepStarted = performance.now();
    const outcome = await runOne(step, { signal, report }, stepStarted);
    inSteps += outcome.durationMs;
    outcomes.push(outcome);
    report.stepEnded(outcome);
    if (outcome.status === 'cancelled') status = 'cancelled';
    else if (outcome.status === 'failed' && status === 'passed') status = 'failed';
  }
  const guestCondition: string[] = [];
  if (status !== 'passed') {
    // Latest first: what a later step set up is undone before what it stood on.
    for (const cleanUp of cleanUps.reverse()) {
      const cleanStarted = performance.now();
      try {
        const line = await cleanUp(report, status);
        if (line) guestCondition.push(line);
      } catch (error) {
        guestCondition.push(`clean-up failed: ${messageOf(error)}`);
      }
      inSteps += performance.now() - cleanStarted;
    }
  }
  const durationMs = performance.now() - started;
  return { status, steps: outcomes, guestCondition, durationMs, overheadMs: Math.max(0, durationMs - inSteps) };
}

async function runOne(step: PlannedStep, context: StepContext, started: number): Promise<StepOutcome> {
  const done = (status: StepStatus, message: string, hint?: string): StepOutcome => ({
    step: step.name,
    status,
    message,
    ...(hint ? { hint } : {}),
    durationMs: performance.now() - started,
  });
  const aborted = () => context.signal.aborted;
  if (aborted()) return done('cancelled', 'cancelled before it started');
  try {
    const message = await step.run(context);
    // A step that finished its work as the cancel came still counts as cancelled: the user
    // stopped the run, and nothing after it may start.
    if (aborted()) return done('cancelled', `cancelled (${message})`);
    return done('passed', message);
  } catch (error) {
    if (aborted()) return done('cancelled', 'cancelled while it ran');
    if (error instanceof StepFailure) return done('failed', error.message, error.hint);
    // Anything else is a bug of ours or an unexplained tool failure: still one clear line.
    return done('failed', messageOf(error), 'The GPU-PV log has the details (GPU-PV: Show Log).');
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
