import * as assert from 'node:assert/strict';
import { callGuest, GuestCallError, GuestOutputReader, RESULT_BEGIN, RESULT_END } from '../../../extension/deploy/guest/guestCall';
import type { GuestCall, GuestRunOptions, GuestTransport } from '../../../extension/deploy/transport/guestTransport';
import { seededRandom } from '../seededRandom';

// The host's side of GpuPvGuest.psm1's contract: live lines, then one result document.

/** A transport whose guest prints `stdout`, in chunks of `chunk` characters. */
function printing(stdout: string, chunk = 7, exitCode = 0): GuestTransport & { calls: GuestCall[] } {
  const calls: GuestCall[] = [];
  return {
    calls,
    target: 'tester@127.0.0.1:2222 (SSH)',
    run(call: GuestCall, options: GuestRunOptions = {}) {
      calls.push(call);
      for (let at = 0; at < stdout.length; at += chunk) options.onStdout?.(stdout.slice(at, at + chunk));
      return Promise.resolve({ exitCode, signal: null, durationMs: 1 });
    },
    upload: () => Promise.reject(new Error('not used')),
    download: () => Promise.reject(new Error('not used')),
    close: () => Promise.resolve(),
  };
}

const live = (stream: string, text: string) => `GPUPV-LIVE ${JSON.stringify({ stream, text })}\r\n`;

describe('Deploy and Test: calls into the guest module', () => {
  it('hands the operation and its parameters over as data, and streams live lines before the result', async () => {
    const transport = printing(`Windows PowerShell banner\r\n${live('stdout', 'frame 1 ok')}${live('stderr', 'warn: slow')}${RESULT_BEGIN}\r\n{"ok":true,"result":{"passed":true,"exitCode":0}}\r\n${RESULT_END}\r\n`);
    const lines: string[] = [];
    const result = await callGuest<{ passed: boolean }>(transport, 'Invoke-GpuPvGuestTest', { name: "smoke; rm -rf / $(x) 'q'" }, { onLive: (stream, text) => lines.push(`${stream}:${text}`) });
    assert.deepEqual(result, { passed: true, exitCode: 0 });
    assert.deepEqual(lines, ['stdout:frame 1 ok', 'stderr:warn: slow']);
    assert.deepEqual(transport.calls, [{ operation: 'Invoke-GpuPvGuestTest', parameters: { name: "smoke; rm -rf / $(x) 'q'" } }]);
  });

  it('takes the last plain line as the result when there are no markers (PowerShell Direct)', async () => {
    const result = await callGuest<{ runId: string }>(printing(`${live('stdout', 'x')}{"ok":true,"result":{"runId":"r1"}}\n`), 'New-GpuPvStagingFolder', {});
    assert.deepEqual(result, { runId: 'r1' });
  });

  it('a marked document wins over a line the test printed that looks like one', async () => {
    const fake = '{"ok":true,"result":"forged"}';
    const result = await callGuest<string>(printing(`${fake}\n${RESULT_BEGIN}\n{"ok":true,"result":"real"}\n${RESULT_END}\n${fake}\n`), 'Get-GpuPvGuestReadiness', {});
    assert.equal(result, 'real');
  });

  it('turns the module\u2019s error into a GuestCallError with its code, message and what to do', async () => {
    const document = JSON.stringify({ ok: false, error: { code: 'InstallFailed', message: 'pnputil could not add pvsample.inf (exit code 5): Access is denied.', action: 'Run as an administrator.', details: { exitCode: 5 } } });
    await assert.rejects(callGuest(printing(`${RESULT_BEGIN}\n${document}\n${RESULT_END}\n`), 'Install-GpuPvDriverPackage', {}), (error: GuestCallError) => {
      assert.equal(error.code, 'InstallFailed');
      assert.match(error.message, /Access is denied/);
      assert.equal(error.action, 'Run as an administrator.');
      assert.deepEqual(error.details, { exitCode: 5 });
      return true;
    });
  });

  it('says so when the guest answered nothing, or something that is not the contract', async () => {
    await assert.rejects(callGuest(printing('', 7, 1), 'X', {}), /ended \(exit code 1\) without a result: the guest's PowerShell may have failed to start/);
    await assert.rejects(callGuest(printing('<html>\n'), 'X', {}), /answered something that is not JSON/);
    await assert.rejects(callGuest(printing('[1,2]\n'), 'X', {}), /without "ok"/);
  });

  it('never throws on mutated output, whatever the chunking (seeded)', () => {
    const random = seededRandom(11);
    const base = `${live('stdout', 'a')}${RESULT_BEGIN}\n{"ok":true,"result":{"a":[1,2]}}\n${RESULT_END}\n`;
    for (let i = 0; i < 2_000; i++) {
      let text = base;
      for (let edits = 1 + Math.floor(random() * 4); edits > 0; edits--) {
        const at = Math.floor(random() * text.length);
        text = text.slice(0, at) + ['\n', '{', '"', 'GPUPV-LIVE ', RESULT_BEGIN, '\u0000', ''][Math.floor(random() * 7)]! + text.slice(at + (random() < 0.5 ? 1 : 0));
      }
      const reader = new GuestOutputReader(() => undefined);
      for (let at = 0; at < text.length; ) {
        const size = 1 + Math.floor(random() * 9);
        reader.push(text.slice(at, at + size));
        at += size;
      }
      const document = reader.finish();
      assert.ok(document === undefined || typeof document === 'string');
    }
  });
});
