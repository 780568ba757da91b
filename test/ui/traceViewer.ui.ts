import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { repoRoot } from '../harness/paths';
import { demoProtocol, writeFramesCapture, writeHangSnapshot, writeLifetimeBugsCapture } from '../harness/traceFixtures';
import { UiEnvironment } from './uiEnvironment';
import { Workbench } from './workbench';

// The Ring Trace Viewer as a driver developer uses it: a capture opened from the explorer,
// a million commands scrolled through, a filter typed wrong and then right, a command's
// fields against its bytes, the header at a field's declaration, a time range brushed on the
// timeline, a hang snapshot with its control region, and a live ring followed, paused and
// recorded. Every step leaves a screenshot in test-results/screenshots.

const MILLION = 1_000_000;

describe('UI: the Ring Trace Viewer', () => {
  let workbench: Workbench;
  let traces: string;

  before(async function () {
    this.timeout(120_000);
    const env = UiEnvironment.read();
    traces = path.join(env.workspace, 'traces');
    mkdirSync(traces, { recursive: true });
    const protocol = await demoProtocol();
    writeFramesCapture(path.join(traces, 'frames.pcapng'), protocol, 20_000);
    writeFramesCapture(path.join(traces, 'million.pcapng'), protocol, MILLION, 7);
    writeHangSnapshot(path.join(traces, 'hang.ringsnap'), protocol, 400, 6);
    writeLifetimeBugsCapture(path.join(traces, 'lifetimes.pcapng'), protocol);
    workbench = await Workbench.open();
    // The extension must be active before a trace is opened: until then VS Code opens it as text.
    await workbench.openGpuPvSidebar();
  });

  after(() => workbench.close());

  afterEach(async function () {
    // What the page looked like when a step failed.
    if (this.currentTest?.state === 'failed') await workbench.screenshot(`failed-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 60)}`);
  });

  /** The viewer's page; the editor area holds one webview at a time in these tests. */
  function viewer(): FrameLocator {
    return workbench.webview();
  }

  async function openFromExplorer(name: string): Promise<void> {
    const page = workbench.page;
    await workbench.openViewContainer('Explorer');
    const folder = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'traces' }).first();
    await folder.waitFor();
    if ((await folder.getAttribute('aria-expanded')) !== 'true') await folder.click();
    const file = page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
    await file.dblclick();
    await page.locator('.tabs-container .tab', { hasText: name }).waitFor();
    await viewer().locator('.row:not(.empty):not(.loading)').first().waitFor({ timeout: 30_000 });
  }

  async function closeEditors(): Promise<void> {
    await workbench.runCommand('View: Close All Editors');
  }

  it('opens a capture in the viewer on a double-click in the explorer', async () => {
    await openFromExplorer('frames.pcapng');
    const first = viewer().locator('.row').first();
    assert.match(await first.locator('.cell-seq').innerText(), /^0$/);
    assert.match(await first.locator('.cell-opcode').innerText(), /^[A-Z_]+$/);
    await viewer().getByText('20,000 rows').waitFor();
    await workbench.screenshot('trace-viewer-capture');
  });

  it('is served under a strict content security policy with a nonce, and draws its codicons', async () => {
    const csp = await viewer().locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    assert.ok(csp, 'no CSP meta tag');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-[A-Za-z0-9_-]{16,}'/);
    const allowed = /^('none'|'self'|data:|https:\/\/\*\.vscode-cdn\.net|'nonce-[A-Za-z0-9_-]+')$/;
    for (const directive of csp.split(';')) {
      const [name, ...sources] = directive.trim().split(/\s+/);
      for (const source of sources) assert.match(source, allowed, `${name!} allows ${source}`);
    }
    const glyph = await viewer().locator('.filter-bar > .codicon-filter').evaluate((el) => getComputedStyle(el, '::before').content);
    assert.notEqual(glyph, 'none', 'the codicon glyph did not load');
  });

  it('underlines a filter\u2019s bad token with the message, filters with a valid one, and keeps the picked command when it is cleared', async () => {
    const input = viewer().locator('.filter-input');
    await input.fill('opcode == DRAW_INDEXED && index_cnt > 5');
    const message = viewer().locator('.filter-message');
    await message.getByText('did you mean "index_count"').waitFor();
    const squiggle = viewer().locator('.squiggle.error');
    assert.equal(await squiggle.innerText(), 'index_cnt');
    await workbench.screenshot('trace-viewer-filter-error');
    await input.fill('opcode == DRAW_INDEXED && index_count > 500');
    await message.waitFor({ state: 'hidden' });
    await input.press('Enter');
    await viewer().getByText(/filter: [\d,]+ matches/).waitFor();
    await viewer().locator('.row:not(.empty):not(.loading)').first().waitFor();
    await workbench.screenshot('trace-viewer-filtered');
    const opcodes = await viewer().locator('.row:not(.empty):not(.loading) .cell-opcode').allInnerTexts();
    assert.ok(opcodes.length > 5);
    for (const opcode of opcodes) assert.equal(opcode, 'DRAW_INDEXED');
    // A command picked in the filtered view stays picked once the filter is cleared.
    const picked = viewer().locator('.row:not(.empty):not(.loading)').nth(2);
    const seq = await picked.locator('.cell-seq').innerText();
    await picked.click();
    await viewer().locator('.row.selected .cell-seq', { hasText: new RegExp(`^${seq}$`) }).waitFor();
    await input.fill('');
    await input.press('Enter');
    await viewer().locator('.status-line').getByText('20,000 rows', { exact: true }).waitFor();
    await viewer().locator('.row.selected .cell-seq', { hasText: new RegExp(`^${seq}$`) }).waitFor();
    assert.equal(await viewer().locator('.row.selected').count(), 1);
  });

  it('shows a command\u2019s field tree and lights up the bytes of the field pointed at, and back', async () => {
    await viewer().locator('.row:not(.empty)', { has: viewer().locator('.cell-opcode', { hasText: /^DRAW_INDEXED$/ }) }).first().click();
    const field = viewer().locator('.tree-line', { has: viewer().locator('.tree-name', { hasText: /^index_count$/ }) });
    await field.waitFor();
    await field.hover();
    const lit = viewer().locator('.hex-byte.highlighted');
    assert.equal(await lit.count(), 4, 'index_count is a uint32_t: four bytes');
    const offsets = await lit.evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-offset'))));
    assert.deepEqual(offsets, [16, 17, 18, 19]);
    await workbench.screenshot('trace-viewer-detail-hex');
    // Pointing at a byte of the header lights up its field.
    await viewer().locator('.hex-byte[data-offset="9"]').hover();
    await viewer().locator('.tree-line.highlighted .tree-name', { hasText: /^resource_id$/ }).waitFor();
  });

  it('opens the header at a field\u2019s declaration', async () => {
    const field = viewer().locator('.tree-line', { has: viewer().locator('.tree-name', { hasText: /^index_count$/ }) });
    await field.hover();
    await field.locator('button[title="Go to definition"]').click();
    const editor = workbench.page.locator('.editor-group-container .tab.active', { hasText: 'pvgpu_protocol.h' });
    await editor.waitFor();
    await workbench.page.locator('.monaco-editor .view-line', { hasText: 'index_count' }).first().waitFor();
    await workbench.screenshot('trace-viewer-go-to-definition');
    await closeEditors();
  });

  it('scrolls to the end of a million-command capture with its own scrollbar', async function () {
    this.timeout(90_000);
    await openFromExplorer('million.pcapng');
    await viewer().getByText(`${MILLION.toLocaleString('en')} rows`).waitFor({ timeout: 60_000 });
    const bar = viewer().locator('.scrollbar');
    const box = await bar.boundingBox();
    assert.ok(box);
    // Drag the handle from the top to the bottom of the track.
    await workbench.page.mouse.move(box.x + box.width / 2, box.y + 5);
    await workbench.page.mouse.down();
    await workbench.page.mouse.move(box.x + box.width / 2, box.y + box.height + 40, { steps: 8 });
    await workbench.page.mouse.up();
    const last = viewer().locator('.row:not(.empty):not(.loading) .cell-seq').last();
    await last.getByText(String(MILLION - 1), { exact: true }).waitFor();
    await workbench.screenshot('trace-viewer-million-end');
    // The keys take it back: Home to the first row.
    await viewer().locator('.trace-table').focus();
    await workbench.page.keyboard.press('Home');
    await viewer().locator('.row.selected .cell-seq').getByText('0', { exact: true }).waitFor();
  });

  it('goes to a seq with Ctrl+G', async () => {
    await workbench.page.keyboard.press('Control+G');
    await viewer().locator('.goto-input').fill('654321');
    await viewer().locator('.goto-input').press('Enter');
    await viewer().locator('.row.selected .cell-seq').getByText('654321', { exact: true }).waitFor();
    await viewer().locator('.detail-seq', { hasText: '#654321' }).waitFor();
  });

  it('restricts the table to a time range brushed on the timeline', async () => {
    const track = viewer().locator('.timeline-track[data-track="commands"] .u-over');
    const box = await track.boundingBox();
    assert.ok(box);
    await workbench.page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
    await workbench.page.mouse.down();
    await workbench.page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 6 });
    await workbench.page.mouse.up();
    await viewer().getByText('time range restricted').waitFor();
    const status = await viewer().locator('.status-line').innerText();
    const rows = Number(/^([\d,]+) rows/.exec(status)![1]!.replaceAll(',', ''));
    assert.ok(rows > MILLION * 0.15 && rows < MILLION * 0.35, `${rows} rows in a quarter of the trace`);
    const first = Number(await viewer().locator('.row:not(.empty):not(.loading) .cell-seq').first().innerText());
    assert.ok(first > MILLION * 0.15, `the range starts at seq ${first}`);
    await workbench.screenshot('trace-viewer-timeline-brush');
    await track.dblclick();
    await viewer().getByText(`${MILLION.toLocaleString('en')} rows`).waitFor();
  });

  it('zooms the timeline with Ctrl+wheel and pans it with Shift+wheel, the table following', async () => {
    const track = viewer().locator('.timeline-track[data-track="commands"] .u-over');
    const box = await track.boundingBox();
    assert.ok(box);
    const page = workbench.page;
    const rowsShown = async () => Number(/^([\d,]+) rows/.exec(await viewer().locator('.status-line').innerText())![1]!.replaceAll(',', ''));
    const firstSeq = async () => Number(await viewer().locator('.row:not(.empty):not(.loading) .cell-seq').first().innerText());
    // Zoom in about the middle: about a tenth of the trace is left, centred.
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    // Wheel notches until about a tenth is left: a busy browser may merge or drop some of them.
    let zoomed = MILLION;
    await page.keyboard.down('Control');
    for (let notch = 0; notch < 24 && (zoomed === 0 || zoomed > MILLION * 0.3); notch++) {
      await page.mouse.wheel(0, -200);
      await page.waitForTimeout(notch < 6 ? 0 : 250);
      if (notch >= 5) zoomed = (await viewer().getByText('time range restricted').count()) ? await rowsShown() : MILLION;
    }
    await page.keyboard.up('Control');
    await viewer().getByText('time range restricted').waitFor();
    for (let waited = 0; (zoomed === MILLION || zoomed === 0) && waited < 5000; waited += 200) {
      await page.waitForTimeout(200);
      zoomed = await rowsShown();
    }
    assert.ok(zoomed > MILLION * 0.02 && zoomed < MILLION * 0.3, `${zoomed} rows after zooming in`);
    const before = await firstSeq();
    assert.ok(before > MILLION * 0.3 && before < MILLION * 0.5, `the zoomed range starts at seq ${before}`);
    await workbench.screenshot('trace-viewer-timeline-zoomed');
    // Pan towards the end: the table's first row moves on by about what was panned.
    await page.keyboard.down('Shift');
    await page.mouse.wheel(0, box.width / 4);
    await page.keyboard.up('Shift');
    let after = before;
    for (let waited = 0; after === before && waited < 5000; waited += 200) {
      await page.waitForTimeout(200);
      after = await firstSeq();
    }
    assert.ok(after > before + zoomed * 0.1, `panning moved the range from seq ${before} to ${after}`);
    await track.dblclick();
    await viewer().getByText(`${MILLION.toLocaleString('en')} rows`).waitFor();
    await closeEditors();
  });

  it('shows a hang snapshot\u2019s control region above its pending and recovered commands', async () => {
    await openFromExplorer('hang.ringsnap');
    const snapshot = viewer().locator('.snapshot-panel');
    await snapshot.getByText('PvgpuControlRegion').waitFor();
    assert.match(await snapshot.innerText(), /6 pending commands/);
    assert.match(await snapshot.innerText(), /producer_ptr/);
    assert.ok((await viewer().locator('.row.recovered-row').count()) > 0, 'no recovered rows');
    await workbench.screenshot('trace-viewer-snapshot');
    await closeEditors();
  });

  it('lists resource-lifetime problems, each a jump to its rows', async () => {
    await openFromExplorer('lifetimes.pcapng');
    await viewer().locator('vscode-tab-header', { hasText: 'Analyses' }).click();
    const problems = viewer().locator('[data-testid="resource-analysis"]');
    await problems.getByText('resource 7 used after it was destroyed', { exact: false }).waitFor();
    assert.match(await problems.innerText(), /resource 7 destroyed twice/);
    assert.match(await problems.innerText(), /shader 3 never destroyed/);
    await workbench.screenshot('trace-viewer-resource-lifetimes');
    // The use after destroy is the DRAW at seq 5.
    await problems.locator('.problem-useAfterDestroy .seq-link', { hasText: '#5' }).click();
    await viewer().locator('.row.selected .cell-seq').getByText('5', { exact: true }).waitFor();
    assert.equal(await viewer().locator('.row.selected .cell-opcode').innerText(), 'DRAW');
    await closeEditors();
  });

  describe('a live ring', () => {
    let simulator: ChildProcess | undefined;
    let shm: string;

    before(async () => {
      const env = UiEnvironment.read();
      // In /dev/shm, where the Ring Traces view discovers rings by their control region's magic.
      shm = `/dev/shm/gpupv-ui-ring-${process.pid}`;
      simulator = spawn(process.execPath, [path.join(repoRoot, 'dist', 'gpupv.js'), 'simulate', '--shm', shm, '--profile', path.join(env.workspace, 'gpupv.json'), '--rate', '20000', '--pattern', 'frames', '--duration', '120'], { stdio: 'ignore' });
      for (let waited = 0; !existsSync(shm); waited += 100) {
        if (waited > 20_000) throw new Error('the simulator did not create its ring');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });

    after(() => {
      simulator?.kill();
      rmSync(shm, { force: true });
    });

    it('is followed, paused and recorded', async function () {
      this.timeout(90_000);
      await workbench.runCommand('GPU-PV: Attach Live Viewer', 'asks');
      const ring = workbench.page.locator('.quick-input-widget .monaco-list-row', { hasText: path.basename(shm) });
      await ring.waitFor();
      await ring.click();
      await viewer().locator('.live-state', { hasText: 'Live' }).waitFor();
      // Following: the newest row is on screen and keeps changing.
      const lastSeq = async () => Number(await viewer().locator('.row:not(.empty):not(.loading) .cell-seq').last().innerText());
      await viewer().locator('.row:not(.empty):not(.loading)').first().waitFor();
      const before = await lastSeq();
      await workbench.page.waitForTimeout(1000);
      assert.ok((await lastSeq()) > before + 1000, 'the table did not follow the ring');
      await workbench.screenshot('trace-viewer-live-following');
      await viewer().locator('button[data-action="record"]').click();
      const save = workbench.page.locator('.quick-input-widget input');
      await save.waitFor();
      // The save dialog fills in its proposed name after it opens; typing before that is overwritten.
      await workbench.page.waitForFunction(() => document.querySelector<HTMLInputElement>('.quick-input-widget input')?.value.endsWith('.pcapng'));
      const recording = path.join(traces, 'recorded.pcapng');
      await save.fill(recording);
      // The dialog checks what was typed asynchronously and ignores OK meanwhile: OK again until it closes.
      const ok = workbench.page.locator('.quick-input-widget .monaco-button', { hasText: 'OK' });
      for (let attempt = 0; await save.isVisible(); attempt++) {
        assert.ok(attempt < 10, 'the save dialog did not take the path');
        if ((await save.inputValue()) !== recording) await save.fill(recording);
        await ok.click({ timeout: 2000 }).catch(() => undefined);
        await workbench.page.waitForTimeout(500);
      }
      await viewer().locator('button[data-action="stopRecording"]').waitFor();
      await workbench.page.waitForTimeout(1500);
      await viewer().locator('button[data-action="pause"]').click();
      await viewer().locator('.live-state', { hasText: 'Paused' }).waitFor();
      const paused = await lastSeq();
      await workbench.page.waitForTimeout(800);
      assert.equal(await lastSeq(), paused, 'a paused capture still grew');
      await workbench.screenshot('trace-viewer-live-paused');
      await viewer().locator('button[data-action="stopRecording"]').click();
      await viewer().locator('button[data-action="record"]').waitFor();
      assert.ok(statSync(recording).size > 10_000, 'the recording is empty');
      await closeEditors();
    });
  });
});
