import * as assert from 'node:assert/strict';
import { describeCommand, expectExitCode, isProcessError, runProcess } from '../../../extension/common/processRunner';
import { HOSTILE_NAMES } from '../../fixtures/hostileNames';

// The process runner with real processes: arguments arrive verbatim, output streams, and a
// timeout or a cancellation ends the whole tree, grandchildren included.

const node = process.execPath;

/** A shell that starts a grandchild which would outlive it, prints the grandchild's pid, then waits. */
const TREE = ['-c', 'sleep 300 & echo $!; wait'];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

describe('The process runner', function () {
  this.timeout(20_000);

  it('hands every argument to the program verbatim, hostile ones included, with no shell between', async () => {
    const args = HOSTILE_NAMES.map((name) => name);
    const result = await runProcess(node, ['-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', '--', ...args]);
    assert.equal(result.exitCode, 0);
    assert.deepEqual(JSON.parse(result.stdout), args);
  });

  it('streams output as it comes, both streams, and keeps only the tail it was asked to', async () => {
    const seen: string[] = [];
    const script = "for (let i = 0; i < 2000; i++) process.stdout.write('line ' + i + '\\n'); process.stderr.write('done\\n')";
    const result = await runProcess(node, ['-e', script], { keepBytes: 100, onOutput: (text, stream) => seen.push(`${stream}:${text}`) });
    const streamed = seen.filter((s) => s.startsWith('stdout:')).map((s) => s.slice(7)).join('');
    assert.equal(streamed.split('\n').filter(Boolean).length, 2000);
    assert.ok(seen.some((s) => s === 'stderr:done\n'));
    assert.ok(result.stdout.length <= 100, `kept ${result.stdout.length} bytes`);
    assert.ok(result.stdout.endsWith('line 1999\n'));
  });

  it('never splits a character across chunks', async () => {
    const unit = 'Виртуальная машина 虚拟机 🚀';
    let streamed = '';
    await runProcess(node, ['-e', `process.stdout.write(${JSON.stringify(unit)}.repeat(20000))`], { onOutput: (chunk) => (streamed += chunk) });
    assert.equal(streamed, unit.repeat(20_000));
  });

  it('says an argument list the OS refuses could not start, rather than throwing from spawn', async () => {
    await assert.rejects(runProcess(node, ['-e', '0', 'x'.repeat(4 << 20)]), (error) => isProcessError(error, 'failedToStart'));
  });

  it('resolves with a failing exit code, and expectExitCode names it with the last of stderr', async () => {
    const result = await runProcess(node, ['-e', "console.error('LNK1181: cannot open input file'); process.exit(3)"]);
    assert.equal(result.exitCode, 3);
    assert.throws(() => expectExitCode(result), (error) => isProcessError(error, 'exitCode') && error.message.includes('exited with code 3:\nLNK1181'));
    assert.equal(expectExitCode(result, [0, 3]), result);
  });

  it('says a program that is not there was not found', async () => {
    await assert.rejects(runProcess('/nonexistent/signtool.exe', ['sign']), (error) => isProcessError(error, 'notFound') && error.message.includes('was not found'));
  });

  it('feeds stdin and closes it', async () => {
    const result = await runProcess(node, ['-e', "let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', () => process.stdout.write(s.toUpperCase()))"], { input: 'pnputil' });
    assert.equal(result.stdout, 'PNPUTIL');
  });

  it('ends the whole tree when the time is up', async () => {
    let grandchild = 0;
    await assert.rejects(
      runProcess('sh', TREE, { timeoutMs: 500, onOutput: (text) => (grandchild ||= Number.parseInt(text, 10)) }),
      (error) => isProcessError(error, 'timeout') && error.message.includes('within 0.5 s'),
    );
    assert.ok(grandchild > 0, 'the grandchild printed its pid');
    assert.ok(await gone(grandchild), `grandchild ${grandchild} outlived the timeout`);
  });

  it('ends the whole tree when cancelled, and refuses to start once cancelled', async () => {
    const abort = new AbortController();
    let grandchild = 0;
    const run = runProcess('sh', TREE, {
      signal: abort.signal,
      onOutput: (text) => {
        grandchild ||= Number.parseInt(text, 10);
        abort.abort();
      },
    });
    await assert.rejects(run, (error) => isProcessError(error, 'cancelled'));
    assert.ok(await gone(grandchild), `grandchild ${grandchild} outlived the cancel`);
    await assert.rejects(runProcess(node, ['-e', '0'], { signal: abort.signal }), (error) => (error as Error).name === 'AbortError');
  });

  it('shows a command line the way a person would type it', () => {
    assert.equal(describeCommand('signtool', ['sign', '/fd', 'sha256', 'C:\\out dir\\gpu.sys']), 'signtool sign /fd sha256 "C:\\out dir\\gpu.sys"');
    assert.equal(describeCommand('pnputil', ['/add-driver', 'x.inf', '']), 'pnputil /add-driver x.inf ""');
    assert.equal(describeCommand('te.exe', ['/name:say "hi"']), 'te.exe "/name:say \\"hi\\""');
  });
});
