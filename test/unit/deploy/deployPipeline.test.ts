import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runSteps, StepFailure, type DeployStepName, type PlannedStep, type RunReporter, type StepOutcome } from '../../../extension/deploy/pipeline/deployPipeline';
import { RunFolder } from '../../../extension/deploy/pipeline/runFolder';
import { stripStyles, TranscriptReporter } from '../../../extension/deploy/pipeline/terminalTranscript';

// The engine every way of starting Deploy and Test goes through.

function recorder(): RunReporter & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    stepStarted: (step) => events.push(`start ${step}`),
    command: (line) => events.push(`$ ${line}`),
    output: (text) => events.push(`out ${text}`),
    info: (message) => events.push(`info ${message}`),
    warning: (message) => events.push(`warn ${message}`),
    stepEnded: (o: StepOutcome) => events.push(`end ${o.step} ${o.status}`),
  };
}

function step(name: DeployStepName, run: PlannedStep['run'] = () => Promise.resolve(`${name} done`), cleanUp?: PlannedStep['cleanUp']): PlannedStep {
  return { name, run, ...(cleanUp ? { cleanUp } : {}) };
}

const ALL: DeployStepName[] = ['build', 'sign', 'deploy', 'install', 'test', 'collect-logs'];

describe('Deploy and Test: the step engine', () => {
  it('runs every step in order and passes when each does', async () => {
    const report = recorder();
    const result = await runSteps(ALL.map((n) => step(n)), report, new AbortController().signal);
    assert.equal(result.status, 'passed');
    assert.deepEqual(result.steps.map((s) => `${s.step}:${s.status}:${s.message}`), ALL.map((n) => `${n}:passed:${n} done`));
    assert.deepEqual(report.events.filter((e) => e.startsWith('start')), ALL.map((n) => `start ${n}`));
    assert.deepEqual(result.guestCondition, []);
  });

  it('after a failure skips what follows but still brings the logs back once the guest was reached', async () => {
    const ran: string[] = [];
    const steps = ALL.map((n) =>
      step(n, () => {
        ran.push(n);
        if (n === 'install') return Promise.reject(new StepFailure('pnputil could not install pvgpu.inf (exit code 5)', 'Run the step again as an administrator of the guest.'));
        return Promise.resolve('ok');
      }),
    );
    const result = await runSteps(steps, recorder(), new AbortController().signal);
    assert.equal(result.status, 'failed');
    assert.deepEqual(ran, ['build', 'sign', 'deploy', 'install', 'collect-logs']);
    const install = result.steps.find((s) => s.step === 'install')!;
    assert.equal(install.status, 'failed');
    assert.equal(install.message, 'pnputil could not install pvgpu.inf (exit code 5)');
    assert.equal(install.hint, 'Run the step again as an administrator of the guest.');
    assert.equal(result.steps.find((s) => s.step === 'test')!.status, 'skipped');
    assert.equal(result.steps.find((s) => s.step === 'collect-logs')!.status, 'passed');
  });

  it('a build failure runs nothing after it, not even the logs: no guest was touched', async () => {
    const steps = ALL.map((n) => step(n, () => (n === 'build' ? Promise.reject(new StepFailure('2 errors in pvsample.c')) : Promise.resolve('ok'))));
    const result = await runSteps(steps, recorder(), new AbortController().signal);
    assert.deepEqual(result.steps.map((s) => s.status), ['failed', 'skipped', 'skipped', 'skipped', 'skipped', 'skipped']);
  });

  it('an error that is not a StepFailure still ends as one line with where to look', async () => {
    const result = await runSteps([step('build', () => Promise.reject(new TypeError('x is undefined')))], recorder(), new AbortController().signal);
    assert.equal(result.steps[0]!.message, 'x is undefined');
    assert.match(result.steps[0]!.hint!, /GPU-PV log/);
  });

  it('a cancel ends the running step, skips the rest (logs too) and runs the clean-ups latest first', async () => {
    const controller = new AbortController();
    const cleaned: string[] = [];
    const steps = ALL.map((n) =>
      step(
        n,
        ({ signal }) => {
          if (n !== 'deploy') return Promise.resolve('ok');
          controller.abort();
          assert.ok(signal.aborted, 'the step sees the cancel');
          return Promise.reject(new Error('copy stopped'));
        },
        () => {
          cleaned.push(n);
          return Promise.resolve(n === 'deploy' ? 'the half-copied folder C:\\GpuPv\\runs\\1 was removed; nothing was installed' : undefined);
        },
      ),
    );
    const result = await runSteps(steps, recorder(), controller.signal);
    assert.equal(result.status, 'cancelled');
    assert.deepEqual(result.steps.map((s) => s.status), ['passed', 'passed', 'cancelled', 'skipped', 'skipped', 'skipped']);
    assert.equal(result.steps[3]!.message, 'cancelled before it started');
    assert.deepEqual(cleaned, ['deploy', 'sign', 'build']);
    assert.deepEqual(result.guestCondition, ['the half-copied folder C:\\GpuPv\\runs\\1 was removed; nothing was installed']);
  });

  it('a clean-up that fails is reported, not thrown', async () => {
    const result = await runSteps(
      [step('deploy', () => Promise.reject(new StepFailure('guest unreachable')), () => Promise.reject(new Error('session closed')))],
      recorder(),
      new AbortController().signal,
    );
    assert.deepEqual(result.guestCondition, ['clean-up failed: session closed']);
  });

  it('counts the time spent outside steps as its own overhead', async () => {
    const result = await runSteps([step('build', () => new Promise((resolve) => setTimeout(() => resolve('slept'), 50)))], recorder(), new AbortController().signal);
    assert.ok(result.steps[0]!.durationMs >= 45, `step took ${result.steps[0]!.durationMs} ms`);
    assert.ok(result.overheadMs >= 0 && result.overheadMs < result.durationMs, `overhead ${result.overheadMs} of ${result.durationMs}`);
  });
});

describe('Deploy and Test: the terminal and the run folder', () => {
  let workspace: string;
  beforeEach(() => (workspace = mkdtempSync(path.join(tmpdir(), 'gpupv-run-'))));
  afterEach(() => rmSync(workspace, { recursive: true, force: true }));

  it('echoes commands, colours step headers, and ends with a summary naming the run folder', async () => {
    let text = '';
    const report = new TranscriptReporter((t) => (text += t), true);
    const result = await runSteps(
      [
        step('build', ({ report: r }) => {
          r.command('make OUT=out/driver');
          r.output('cc pvsample.c\nld pvsample.sys\n');
          return Promise.resolve('2 files built');
        }),
        step('sign', () => Promise.reject(new StepFailure('osslsigncode could not read certs/test.pfx', 'Check the certificate password in GPU-PV: Forget Signing Password.'))),
      ],
      report,
      new AbortController().signal,
    );
    report.summary(result, '/w/.gpupv/runs/x');
    assert.ok(text.includes('\u001b[1;36m▶ Build'), 'the step header is bold cyan');
    assert.ok(text.includes('$ make OUT=out/driver'));
    assert.ok(text.includes('cc pvsample.c\r\nld pvsample.sys\r\n'), 'output lines end with CRLF in a terminal');
    const plain = stripStyles(text);
    assert.match(plain, /✖ Sign failed in \d\.\d\d s: osslsigncode could not read certs\/test\.pfx/);
    assert.match(plain, /→ Check the certificate password/);
    assert.match(plain, /Deploy and Test FAILED in/);
    assert.match(plain, /Run folder: \/w\/\.gpupv\/runs\/x/);
  });

  it('writes summary.json, summary.md and the transcript without colours into .gpupv/runs/<time>', async () => {
    const started = new Date(2026, 11, 2, 9, 5, 7);
    const folder = new RunFolder(workspace, started);
    const second = new RunFolder(workspace, started);
    assert.equal(path.basename(folder.path), '2026-12-02_09-05-07');
    assert.equal(path.basename(second.path), '2026-12-02_09-05-07-2', 'a second run in the same second gets its own folder');
    const reporter = new TranscriptReporter((t) => folder.appendTranscript(t), true);
    const result = await runSteps([step('build'), step('test', () => Promise.reject(new StepFailure('1 of 2 tests failed: smoke | render')))], reporter, new AbortController().signal);
    folder.writeSummary({ task: 'deploy-and-test', target: 'VM "GPU-P Test"', packages: ['pvsample'], startedAt: started.toISOString(), result, tests: [{ name: 'smoke | render', status: 'failed', durationMs: 1200, exitCode: 3 }], files: ['logs/setupapi.dev.log'] });
    const transcript = readFileSync(path.join(folder.path, 'transcript.log'), 'utf8');
    assert.ok(!transcript.includes('\u001b'), 'no escape codes in the transcript');
    assert.ok(!transcript.includes('\r'), 'plain LF line ends');
    assert.match(transcript, /▶ Build/);
    const summary = JSON.parse(readFileSync(path.join(folder.path, 'summary.json'), 'utf8')) as { result: { status: string; steps: StepOutcome[] } };
    assert.equal(summary.result.status, 'failed');
    assert.deepEqual(summary.result.steps.map((s) => s.step), ['build', 'test']);
    const readable = readFileSync(path.join(folder.path, 'summary.md'), 'utf8');
    assert.match(readable, /^# Deploy and Test: failed/);
    assert.ok(readable.includes('| smoke \\| render | failed |'), 'a pipe in a test name stays inside its cell');
    assert.ok(readable.includes('[logs/setupapi.dev.log](logs/setupapi.dev.log)'));
  });
});
