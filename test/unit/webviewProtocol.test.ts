import * as assert from 'node:assert/strict';
import { isHostToTraceViewerMessage, isTraceViewerToHostMessage } from '../../webviews/shared/protocol';

describe('webview message protocol', () => {
  it('accepts the messages the trace viewer sends', () => {
    assert.equal(isTraceViewerToHostMessage({ type: 'ready' }), true);
    assert.equal(isTraceViewerToHostMessage({ type: 'runCommand', command: 'gpupv.showLog' }), true);
  });

  it('rejects anything else a webview might post, including commands off the allowlist', () => {
    for (const message of [
      null,
      undefined,
      'ready',
      42,
      [],
      {},
      { type: 'READY' },
      { type: 'runCommand' },
      { type: 'runCommand', command: 'workbench.action.terminal.new' },
      { type: 'runCommand', command: { toString: () => 'gpupv.showLog' } },
      { type: '__proto__' },
    ]) {
      assert.equal(isTraceViewerToHostMessage(message), false, JSON.stringify(message));
    }
  });

  it('recognises the host state message and nothing else', () => {
    assert.equal(isHostToTraceViewerMessage({ type: 'showState', state: {} }), true);
    assert.equal(isHostToTraceViewerMessage({ type: 'showState' }), false);
    assert.equal(isHostToTraceViewerMessage({ type: 'ready' }), false);
    assert.equal(isHostToTraceViewerMessage(null), false);
  });
});
