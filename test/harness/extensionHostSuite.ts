import { format } from 'node:util';
import { openBrowser } from './browser';
import type { CodeServer } from './codeServer';

// Runs a mocha suite inside the real extension host of code-server. code-server has no
// --extensionTestsPath flag; the workbench reads extensionDevelopmentPath and
// extensionTestsPath from the URL payload, loads the suite's `run()` in the extension
// host, and reports the outcome through window.codeAutomationExit.

export interface ExtensionHostSuiteOptions {
  readonly extensionPath: string;
  /** Compiled module exporting `run(): Promise<void>`. */
  readonly testsIndex: string;
  readonly workspace: string;
  /** Where the browser profile goes. */
  readonly scratchDir: string;
  readonly timeoutMs: number;
  /** Each line the suite logs, as it arrives. */
  readonly onLine?: (line: string) => void;
}

export interface ExtensionHostSuiteOutcome {
  readonly exitCode: number | 'timeout';
  readonly lines: string[];
}

export async function runExtensionHostSuite(
  server: CodeServer,
  options: ExtensionHostSuiteOptions,
): Promise<ExtensionHostSuiteOutcome> {
  const browser = await openBrowser(options.scratchDir);
  const lines: string[] = [];
  try {
    let reportExit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => (reportExit = resolve));
    await browser.page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[] | undefined) => {
      // The extension host forwards console calls with their format arguments unapplied.
      const text = format(...(args ?? []));
      for (const line of text.split('\n')) {
        lines.push(line);
        options.onLine?.(line);
      }
    });
    await browser.page.exposeFunction('codeAutomationExit', (code: number) => reportExit(code));
    await browser.page.goto(
      server.workbenchUrl(options.workspace, [
        ['extensionDevelopmentPath', server.remoteUri(options.extensionPath)],
        ['extensionTestsPath', server.remoteUri(options.testsIndex)],
        ['skipWelcome', 'true'],
      ]),
    );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.timeoutMs)));
    const exitCode = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    return { exitCode, lines };
  } finally {
    await browser.close();
  }
}
