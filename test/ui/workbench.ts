import * as path from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { openBrowser, type BrowserSession } from '../harness/browser';
import { UiEnvironment } from './uiEnvironment';

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
    await this.activityBarItem(title).click();
    await this.page.locator('.part.sidebar .title-label h2', { hasText: title }).waitFor();
    // Park the pointer so the activity-bar hover does not cover screenshots.
    await this.page.mouse.move(800, 600);
  }

  /**
   * Opens the GPU-PV container and waits until the extension has activated and both views
   * show their welcome content (before activation the Virtual Machines view has no data
   * provider and shows VS Code's placeholder instead).
   */
  async openGpuPvSidebar(): Promise<void> {
    await this.openViewContainer('GPU-PV');
    await this.sidebarPane('Virtual Machines').getByText('Your Hyper-V hosts appear here', { exact: false }).waitFor();
    await this.sidebarPane('Ring Traces').getByText('Command-ring traces appear here', { exact: false }).waitFor();
  }

  /** The sidebar pane whose header reads `title`. */
  sidebarPane(title: string): Locator {
    return this.page.locator('.part.sidebar .pane').filter({ has: this.page.locator('.pane-header', { hasText: title }) });
  }

  /**
   * Runs a command through the command palette, as a person would. Right after the page
   * loads, the workbench can swallow the first F1 or refill the palette while it restores
   * its editors, so a palette that does not list the command is closed and opened again.
   */
  async runCommand(title: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget input');
    const row = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
    for (let attempt = 1; ; attempt++) {
      await this.page.keyboard.press('F1');
      try {
        await input.waitFor({ timeout: 5_000 });
        await input.fill(`>${title}`);
        await row.waitFor({ timeout: 5_000 });
        await input.press('Enter');
        await input.waitFor({ state: 'hidden', timeout: 5_000 });
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
