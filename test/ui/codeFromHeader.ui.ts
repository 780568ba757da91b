import * as assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { UiEnvironment } from './uiEnvironment';
import { Workbench } from './workbench';

// Code from the header, as a driver developer writes it: a ring command completed in a C file
// from the demo's header, a WDDM DDI written from its snippet, and the host's Rust mirror with
// its drifts marked.

const SOURCE = 'ring_commands.c';
const MINIPORT = 'miniport_ddi.c';

describe('UI: code from the header', () => {
  let workbench: Workbench;
  const file = path.join(UiEnvironment.read().workspace, 'driver', SOURCE);
  const miniport = path.join(UiEnvironment.read().workspace, 'driver', MINIPORT);

  before(async () => {
    writeFileSync(file, '#include "../include/pvgpu_protocol.h"\n\n');
    writeFileSync(miniport, '#include <ntddk.h>\n#include <dispmprt.h>\n\n');
    workbench = await Workbench.open();
  });

  after(async () => {
    await workbench.runCommand('View: Revert and Close Editor').catch(() => undefined);
    await workbench.close();
    rmSync(file, { force: true });
    rmSync(miniport, { force: true });
  });

  it('completes a ring command from the header in a C file, its opcode and size filled in', async () => {
    const page = workbench.page;
    await workbench.openFile(SOURCE);
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('DRAW_IND');
    await page.keyboard.press('Control+Space');
    const suggestion = page.locator('.suggest-widget .monaco-list-row', { hasText: 'PVGPU_CMD_DRAW_INDEXED' }).first();
    await suggestion.waitFor({ timeout: 30_000 });
    assert.match(await suggestion.innerText(), /ring command · PvgpuCmdDrawIndexed/);
    // Ctrl+Space again opens the item's details: the command it will write.
    await page.keyboard.press('Control+Space');
    await page.locator('.suggest-details-container', { hasText: '.size = sizeof(PvgpuCmdDrawIndexed),' }).waitFor();
    await workbench.screenshot('ring-command-completion');
    await page.keyboard.press('Enter');
    const lines = page.locator('.monaco-editor .view-line');
    await lines.filter({ hasText: '.type = PVGPU_CMD_DRAW_INDEXED,' }).first().waitFor();
    await lines.filter({ hasText: '.size = sizeof(PvgpuCmdDrawIndexed),' }).first().waitFor();
    await lines.filter({ hasText: '.base_vertex = 0,' }).first().waitFor();
    // The first placeholder, the variable's name, is selected for typing over.
    await page.keyboard.type('draw');
    await lines.filter({ hasText: 'PvgpuCmdDrawIndexed draw = {' }).first().waitFor();
    await page.keyboard.press('Escape');
    await workbench.screenshot('ring-command-inserted');
  });

  it('writes a WDDM DDI from its snippet: the role-type declaration, the paging pragma and a body to fill', async () => {
    const page = workbench.page;
    await workbench.openFile(MINIPORT);
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('kmd-create-cont');
    await page.keyboard.press('Control+Space');
    const suggestion = page.locator('.suggest-widget .monaco-list-row', { hasText: 'kmd-create-context' }).first();
    await suggestion.waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    const lines = page.locator('.monaco-editor .view-line');
    await lines.filter({ hasText: 'DXGKDDI_CREATECONTEXT PvDdiCreateContext;' }).first().waitFor();
    await lines.filter({ hasText: '#pragma alloc_text(PAGE, PvDdiCreateContext)' }).first().waitFor();
    await lines.filter({ hasText: 'PAGED_CODE();' }).first().waitFor();
    // The first placeholder, the function's prefix, is selected: typing renames every use.
    await page.keyboard.type('Vio');
    await lines.filter({ hasText: 'NTSTATUS APIENTRY VioCreateContext(const HANDLE hDevice, DXGKARG_CREATECONTEXT *pCreateContext)' }).first().waitFor();
    await lines.filter({ hasText: 'DXGKDDI_CREATECONTEXT VioCreateContext;' }).first().waitFor();
    await page.keyboard.press('Escape');
    await workbench.screenshot('kmd-snippet-inserted');
  });

  it('shows an INF in the INF language, its sections, keys and %strings% coloured', async () => {
    const page = workbench.page;
    await workbench.openFile('pvsample.inf');
    await page.locator('.statusbar-item', { hasText: /^INF$/ }).first().waitFor();
    // Coloured: the section header and a %string% token are spans of a colour of their own.
    const line = (text: string) => page.locator('.monaco-editor .view-line', { hasText: text }).first();
    const colours = async (text: string) => line(text).locator('span > span').evaluateAll((spans) => spans.map((s) => getComputedStyle(s).color));
    await line('[Version]').waitFor();
    assert.ok(new Set(await colours('Provider    = %ManufacturerName%')).size > 1, 'the Provider line is one colour');
    await workbench.screenshot('inf-language');
  });

  it('marks where the host\u2019s Rust mirror has drifted from the header', async () => {
    await workbench.openFile('protocol.rs');
    const problems = await workbench.problems('protocol.rs');
    await problems.getByText('CmdFence.fence_value is `u32` (4 bytes) in Rust, `uint64_t` (8 bytes) in the header', { exact: false }).first().waitFor({ timeout: 60_000 });
    await problems.getByText('CMD_WAIT_FENCE is 773 (0x305) in Rust, 772 (0x304) in the header', { exact: false }).first().waitFor();
    await problems.getByText('Viewport has no #[repr(C)]', { exact: false }).first().waitFor();
    await workbench.screenshot('rust-mirror-drift');
  });
});
