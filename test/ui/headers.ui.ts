import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { UiEnvironment } from './uiEnvironment';
import { Workbench } from './workbench';

// What a driver developer sees with the demo's protocol header open: a CodeLens with the
// size over each struct, a hover with a field's offsets on both ABIs, and the Struct
// Layout table.

const HEADER = path.join('include', 'pvgpu_protocol.h');

/** 1-based line and column of `text` in the demo header (the header may grow; this follows it). */
function locate(text: string, within = 0): { line: number; column: number } {
  const source = readFileSync(path.join(UiEnvironment.read().workspace, HEADER), 'utf8');
  const offset = source.indexOf(text);
  assert.ok(offset >= 0, `"${text}" is not in the demo header`);
  const before = source.slice(0, offset + within).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

describe('UI: protocol header layouts in the editor', () => {
  let workbench: Workbench;

  before(async () => {
    workbench = await Workbench.open();
  });

  after(() => workbench.close());

  async function goTo({ line, column }: { line: number; column: number }): Promise<void> {
    await workbench.page.locator('.monaco-editor .view-lines').first().click();
    await workbench.page.keyboard.press('Control+G');
    const input = workbench.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`:${line}:${column}`);
    await input.press('Enter');
    await input.waitFor({ state: 'hidden' });
  }

  it('shows each struct\u2019s size and its comparison with the host ABI above it', async () => {
    const page = workbench.page;
    await workbench.openFile('pvgpu_protocol.h');

    await goTo(locate('typedef struct PvgpuControlRegion {'));
    const lens = page.locator('.monaco-editor .codelens-decoration', { hasText: '4096 bytes · align 8' });
    await lens.waitFor({ timeout: 60_000 });
    assert.match(await lens.innerText(), /4096 bytes · align 8\s*\|\s*same on sysv-x86_64/);
    await page.mouse.move(1200, 780);
    await workbench.screenshot('header-codelens');
  });

  it('shows a field\u2019s offset and size on both ABIs when the pointer rests on it', async () => {
    const page = workbench.page;
    await goTo(locate('uint64_t producer_ptr;', 'uint64_t '.length));
    // The cursor now sits at the start of the name: point just inside it.
    const cursor = await page.locator('.monaco-editor.focused .cursor').first().boundingBox();
    assert.ok(cursor, 'no editor cursor');
    await page.mouse.move(cursor.x + 20, cursor.y + cursor.height / 2);
    const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: 'producer_ptr' });
    await hover.waitFor({ timeout: 10_000 });
    const text = await hover.innerText();
    assert.match(text, /PvgpuControlRegion/);
    assert.match(text, /msvc-x64\s+32 · 0x20\s+8/);
    assert.match(text, /sysv-x86_64\s+32 · 0x20\s+8/);
    await workbench.screenshot('header-hover');
    await page.mouse.move(1200, 780);
  });

  it('lays out a struct field by field, holes and padding included, from the command palette', async () => {
    const page = workbench.page;
    const input = page.locator('.quick-input-widget input');
    const pick = page.locator('.quick-input-widget', { has: page.locator('input[placeholder="Struct or union to lay out"]') });
    // The palette right after start-up can lose the first keystrokes; try again as a person would.
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press('F1');
      try {
        await input.waitFor({ timeout: 5_000 });
        await input.fill('>GPU-PV: Show Struct Layout');
        await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'GPU-PV: Show Struct Layout' }).first().waitFor({ timeout: 5_000 });
        await input.press('Enter');
        await pick.waitFor({ timeout: 10_000 });
        break;
      } catch (error) {
        if (attempt === 3) throw error;
        await page.keyboard.press('Escape');
      }
    }
    await input.fill('PvgpuCmdCreateUnorderedAccessView');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'PvgpuCmdCreateUnorderedAccessView' }).first().waitFor();
    await input.press('Enter');

    await page.locator('.tabs-container .tab', { hasText: 'Layout: PvgpuCmdCreateUnorderedAccessView' }).waitFor();
    const view = workbench.webview();
    await view.locator('h1', { hasText: 'PvgpuCmdCreateUnorderedAccessView' }).waitFor();
    await view.getByText('Same layout on sysv-x86_64', { exact: false }).waitFor();
    const rows = view.locator('table.fields tbody tr');
    assert.ok((await rows.count()) > 10);
    // view_dimension (2 bytes at 24) leaves a 6-byte hole before the 8-aligned union.
    await view.locator('tr.hole', { hasText: '6 bytes' }).waitFor();
    await view.locator('tr.padding', { hasText: '4 bytes' }).waitFor();
    await view.locator('tr.field', { hasText: 'u.buffer.first_element' }).waitFor();
    await workbench.screenshot('struct-layout');
  });

  it('flags where guest and host disagree: a CodeLens, a warning and a static assert failing on the host ABI', async () => {
    const page = workbench.page;
    await workbench.openFile('legacy_status.h');
    const lens = page.locator('.monaco-editor .codelens-decoration', { hasText: 'differs on sysv-x86_64' });
    await lens.waitFor({ timeout: 60_000 });
    assert.match(await lens.innerText(), /48 bytes · align 8\s*\|\s*differs on sysv-x86_64 at `sequence`/);
    const problems = await workbench.problems('legacy_status.h');
    await problems.getByText('static assertion fails on sysv-x86_64 only', { exact: false }).first().waitFor();
    await problems.getByText('4 bytes on msvc-x64, 8 on sysv-x86_64', { exact: false }).first().waitFor();
    await page.mouse.move(1200, 300);
    await workbench.screenshot('header-diagnostics');
  });
});
