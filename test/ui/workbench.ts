import * as path from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { openBrowser, type BrowserSession } from '../harness/browser';
import { UiEnvironment } from './uiEnvironment';

/** The simulated workstation the test server's Virtual Machines view lists. */
export const SIMULATED_HOST = 'GPU-WORKSTATION (simulated)';

/** A browser showing the real VS Code workbench, with the extension installed, on the test workspace. */
export class Workbench {
  private constructor(
    private readonly browser: BrowserSession,
    private readonly screenshotsDir: string,
  ) {}

  static async open(url?: string): Promise<Workbench> {
    const env = UiEnvironment.read();
    const browser = await openBrowser(env.scratchDir);
    const workbench = new Workbench(browser, env.screenshotsDir);
    const target = new URL(url ?? env.baseUrl);
    if (!url) target.searchParams.set('folder', env.workspace);
    await browser.page.goto(target.toString());
    await browser.page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 60_000 });
    return workbench;
  }

  get page(): Page {
    return this.browser.page;
  }

  activityBarItem(title: string): Locator {
    return this.page.locator(`.part.activitybar .action-item a[aria-label^="${title}"]`);
  }

  async openViewContainer(title: string): Promise<void> {
    // A click on the icon of the container already shown would close it.
    if (await this.page.locator('.part.sidebar .title-label h2', { hasText: title }).isVisible()) return;
    await this.activityBarItem(title).click();
    await this.page.locator('.part.sidebar .title-label h2', { hasText: title }).waitFor();
    // Park the pointer so the activity-bar hover does not cover screenshots.
    await this.page.mouse.move(800, 600);
  }

  /**
   * Opens the GPU-PV container and waits until the extension has activated and both views
   * show their content (before activation the Virtual Machines view has no data provider
   * and shows VS Code's placeholder instead). The test server's Virtual Machines view lists
   * the simulated Hyper-V host; Ring Traces its groups for the workspace folder.
   */
  async openGpuPvSidebar(): Promise<void> {
    await this.openViewContainer('GPU-PV');
    await this.treeRow('Virtual Machines', SIMULATED_HOST).waitFor({ timeout: 60_000 });
    await this.treeRow('Ring Traces', 'Live Sources').waitFor();
  }

  /** The row of a view's tree whose label contains `text`. */
  treeRow(view: string, text: string): Locator {
    return this.sidebarPane(view).locator('.monaco-list-row', { has: this.page.locator('.label-name', { hasText: text }) });
  }

  /** Drags the sidebar's edge so it is `width` pixels wide, for rows whose descriptions must show. */
  async resizeSidebar(width: number): Promise<void> {
    const sidebar = await this.page.locator('.part.sidebar').boundingBox();
    if (!sidebar) throw new Error('no sidebar');
    const edge = sidebar.x + sidebar.width;
    await this.page.mouse.move(edge, sidebar.y + sidebar.height / 2);
    await this.page.mouse.down();
    await this.page.mouse.move(sidebar.x + width, sidebar.y + sidebar.height / 2, { steps: 5 });
    await this.page.mouse.up();
  }

  /**
   * Sets a setting the way a person does: in the Settings editor, found by its id, typed
   * into its text box. Machine-scoped settings of this remote window live on the Remote tab.
   * The editor is closed afterwards.
   */
  async setTextSetting(id: string, value: string, tab: 'User' | 'Remote'): Promise<void> {
    await this.runCommand('Preferences: Open User Settings');
    const search = this.page.locator('.settings-editor .settings-header .monaco-editor textarea').first();
    await search.waitFor();
    await this.page.locator('.settings-editor .settings-tabs-widget .action-label', { hasText: tab }).first().click();
    await search.focus();
    await this.page.keyboard.press('Control+A');
    await this.page.keyboard.type(id);
    const input = this.page.locator('.settings-editor .setting-item-contents', { hasText: id.split('.').pop()! }).locator('.setting-item-control input').first();
    await input.waitFor();
    await input.fill(value);
    await input.press('Tab');
    // The Settings editor writes a moment after the edit.
    await this.page.waitForTimeout(1_000);
    await this.page.keyboard.press('Control+W');
  }

  /** Runs an entry of a tree row's context menu. */
  async contextMenu(row: Locator, entry: string): Promise<void> {
    await row.click({ button: 'right' });
    const menu = this.page.locator('.context-view .monaco-menu');
    const item = menu.locator('.action-item', { hasText: entry }).first();
    await item.waitFor();
    // The menu ignores a click that comes too soon after it opened; Enter on the hovered entry does not.
    await item.hover();
    await this.page.keyboard.press('Enter');
    await menu.waitFor({ state: 'hidden' });
  }

  /** The sidebar pane whose header reads `title`. */
  sidebarPane(title: string): Locator {
    return this.page.locator('.part.sidebar .pane').filter({ has: this.page.locator('.pane-header', { hasText: title }) });
  }

  /**
   * Runs a command through the command palette, as a person would. Right after the page
   * loads, the workbench can swallow the first F1 or refill the palette while it restores
   * its editors, so a palette that does not list the command is closed and opened again.
   * A command that `asks` opens an input of its own, so the palette does not close.
   */
  async runCommand(title: string, then: 'closes' | 'asks' = 'closes'): Promise<void> {
    const input = this.page.locator('.quick-input-widget input');
    const row = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
    for (let attempt = 1; ; attempt++) {
      await this.page.keyboard.press('F1');
      try {
        await input.waitFor({ timeout: 5_000 });
        await input.fill(`>${title}`);
        await row.waitFor({ timeout: 5_000 });
        await input.press('Enter');
        if (then === 'asks') await this.page.locator('.quick-input-widget .quick-input-title', { hasText: /\S/ }).waitFor({ timeout: 5_000 });
        else await input.waitFor({ state: 'hidden', timeout: 5_000 });
        return;
      } catch (error) {
        if (attempt === 3) {
          await this.screenshot(`failed-command-${title.replace(/\W+/g, '-')}`);
          throw error;
        }
        await this.page.keyboard.press('Escape');
      }
    }
  }

  /**
   * Opens the Problems panel narrowed to what matches `filter` (a file name, say), as a person
   * narrows a long list: the demo workspace holds problems of several features at once, and
   * the panel only draws the rows that fit.
   */
  async problems(filter: string): Promise<Locator> {
    await this.page.keyboard.press('Control+Shift+M');
    const panel = this.page.locator('.part.panel .markers-panel');
    await panel.waitFor();
    await this.page.locator('.part.panel .viewpane-filter input').fill(filter);
    return panel;
  }

  /** Opens a workspace file through Quick Open (Ctrl+P), as a person would. */
  async openFile(name: string): Promise<void> {
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(name);
    await this.page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor();
    await input.press('Enter');
    await this.page.locator('.tabs-container .tab', { hasText: name }).waitFor();
  }

  /**
   * Waits for a line of the GPU-PV log shown in the panel. The output view follows its end,
   * so the view is moved to the top first: the line may have scrolled out of sight.
   */
  async waitForLogLine(line: RegExp): Promise<void> {
    const output = this.page.locator('.part.panel .monaco-editor').first();
    await output.waitFor();
    await output.click();
    await this.page.keyboard.press('Control+Home');
    await this.page.locator('.part.panel .view-lines').getByText(line).waitFor();
  }

  /** The document inside the (only) active webview: two iframes deep. */
  webview(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  }

  async screenshot(name: string): Promise<string> {
    const file = path.join(this.screenshotsDir, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  close(): Promise<void> {
    return this.browser.close();
  }
}
