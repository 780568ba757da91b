import * as assert from 'node:assert/strict';
import { isStructLayoutToHostMessage } from '../../webviews/shared/protocol';
import { decodeRowPage, encodeRowPage, FenceStateCode, type PageRow } from '../../webviews/shared/rowPage';
import { isTraceViewerToHostMessage } from '../../webviews/shared/traceViewerProtocol';

// What a webview posts is untrusted: every message type is checked field by field, and a
// command is run only from the allowlist.

describe('webview message protocol', () => {
  it('accepts every message the Ring Trace Viewer sends, well formed', () => {
    for (const message of [
      { type: 'ready' },
      { type: 'getRows', requestId: 1, generation: 0, from: 0, count: 256 },
      { type: 'getDetails', requestId: 2, seqs: [10] },
      { type: 'getDetails', requestId: 2, seqs: Array.from({ length: 128 }, (_, i) => i) },
      { type: 'checkFilter', requestId: 3, text: 'opcode == DRAW' },
      { type: 'applyFilter', text: '' },
      { type: 'cancelFilter' },
      { type: 'find', requestId: 4, text: 'size > 100', from: 5, backwards: true },
      { type: 'gotoSeq', requestId: 5, seq: 1_000_000 },
      { type: 'gotoTime', requestId: 6, time: 12.5 },
      { type: 'getTimeline', requestId: 7, from: 0, to: 1e9, buckets: 500 },
      { type: 'setRange', range: { from: 0, to: 5 } },
      { type: 'setRange', range: undefined },
      { type: 'getAnalyses', requestId: 8 },
      { type: 'reveal', target: { kind: 'field', seq: 3, path: 'viewports[0].x' } },
      { type: 'reveal', target: { kind: 'opcode', seq: 3 } },
      { type: 'copy', seq: 3, format: 'c' },
      { type: 'live', action: 'record' },
      { type: 'saveLayout', layout: { columns: [{ id: 'seq', width: 80, visible: true }], timeMode: 'delta' } },
      { type: 'runCommand', command: 'gpupv.showLog' },
    ]) {
      assert.equal(isTraceViewerToHostMessage(message), true, JSON.stringify(message));
    }
  });

  it('rejects anything else a webview might post: wrong types, out-of-range numbers, commands off the allowlist', () => {
    for (const message of [
      null,
      undefined,
      'ready',
      42,
      [],
      {},
      { type: 'READY' },
      { type: '__proto__' },
      { type: 'runCommand' },
      { type: 'runCommand', command: 'workbench.action.terminal.new' },
      { type: 'runCommand', command: { toString: () => 'gpupv.showLog' } },
      { type: 'getRows', requestId: 1, generation: 0, from: -1, count: 10 },
      { type: 'getRows', requestId: 1, generation: 0, from: 0.5, count: 10 },
      { type: 'getRows', requestId: '1', generation: 0, from: 0, count: 10 },
      { type: 'getDetails', requestId: 1, seqs: [Number.NaN] },
      { type: 'getDetails', requestId: 1, seqs: 10 },
      { type: 'getDetails', requestId: 1, seqs: Array.from({ length: 129 }, (_, i) => i) },
      { type: 'checkFilter', requestId: 1, text: 'x'.repeat(5000) },
      { type: 'find', requestId: 1, text: 'a', from: 0, backwards: 'yes' },
      { type: 'getTimeline', requestId: 1, from: 5, to: 1, buckets: 10 },
      { type: 'getTimeline', requestId: 1, from: 0, to: 1, buckets: 100_000 },
      { type: 'setRange', range: { from: Infinity, to: 1 } },
      { type: 'reveal', target: { kind: 'file', seq: 1, path: '/etc/passwd' } },
      { type: 'copy', seq: 1, format: 'html' },
      { type: 'live', action: 'rm -rf' },
      { type: 'saveLayout', layout: { columns: [{ id: 'evil', width: 10, visible: true }], timeMode: 'delta' } },
      { type: 'saveLayout', layout: { columns: [{ id: 'seq', width: 1e9, visible: true }], timeMode: 'delta' } },
    ]) {
      assert.equal(isTraceViewerToHostMessage(message), false, JSON.stringify(message));
    }
  });

  it('checks the Struct Layout page\u2019s messages the same way', () => {
    assert.equal(isStructLayoutToHostMessage({ type: 'revealRow', row: 3 }), true);
    assert.equal(isStructLayoutToHostMessage({ type: 'revealRow', row: -3 }), false);
    assert.equal(isStructLayoutToHostMessage({ type: 'runCommand', command: 'workbench.action.terminal.new' }), false);
  });

  it('carries a page of rows through its binary encoding unchanged', () => {
    const rows: PageRow[] = [
      { position: 0, seq: 7, time: 1234.5, previousTime: Number.NaN, opcode: 0x202, size: 40, resource: 3, kind: 0, recovered: false, decodeError: false, isFence: false, fenceState: FenceStateCode.completed, latencyMs: 2.25, summary: 'index_count=36 topology=PVGPU_TOPOLOGY_TRIANGLELIST \u2014 \u00fc' },
      { position: 1, seq: 2 ** 40, time: Number.NaN, previousTime: 1234.5, opcode: 0, size: 0, resource: undefined, kind: 2, recovered: true, decodeError: true, isFence: true, fenceState: FenceStateCode.never, latencyMs: Number.NaN, summary: '' },
    ];
    assert.deepEqual(decodeRowPage(encodeRowPage(rows)), rows);
    assert.deepEqual(decodeRowPage(encodeRowPage([])), []);
    assert.throws(() => decodeRowPage(new ArrayBuffer(8)), /not a row page/);
  });
});
