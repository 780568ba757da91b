import * as vscode from 'vscode';
import type { DriverTestConfig } from '../../protocol/config/driverConfigParser';
import type { TestResultRecord } from '../pipeline/runFolder';

// The guest tests of gpupv.json in VS Code's Test Explorer: one item per configured test under
// its workspace folder. Running them from the Test Explorer runs the `test` task; the results
// of any run that tests (the key, the composite task) are reported here, with duration and
// the test's own output.

export const DRIVER_TEST_CONTROLLER_ID = 'gpupv.driverTests';

export interface DriverTestRunner {
  /** Runs the `test` task (or `deploy-and-test` when `deployFirst`) of the folder. */
  runTests(folder: vscode.WorkspaceFolder, names: readonly string[] | undefined, cancellation: vscode.CancellationToken): Promise<void>;
}

/** One run's connection to the Test Explorer, opened when the test step starts. */
export interface DriverTestReport {
  started(name: string): void;
  output(name: string, text: string): void;
  finished(record: TestResultRecord, output: string): void;
  end(): void;
}

export class DriverTestController implements vscode.Disposable {
  readonly controller = vscode.tests.createTestController(DRIVER_TEST_CONTROLLER_ID, 'GPU-PV Driver Tests');

  constructor(runner: DriverTestRunner) {
    this.controller.createRunProfile(
      'Run in the guest',
      vscode.TestRunProfileKind.Run,
      async (request, token) => {
        const folders = new Map<string, { folder: vscode.WorkspaceFolder; names: Set<string> | undefined }>();
        const items = request.include ?? [...iterate(this.controller.items)];
        for (const item of items) {
          const folderItem = item.parent ?? item;
          const folder = vscode.workspace.getWorkspaceFolder(folderItem.uri!);
          if (!folder) continue;
          const entry = folders.get(folder.uri.toString()) ?? { folder, names: new Set<string>() };
          // A folder item selects all of its tests.
          if (!item.parent) entry.names = undefined;
          else entry.names?.add(item.label);
          folders.set(folder.uri.toString(), entry);
        }
        for (const { folder, names } of folders.values()) {
          if (token.isCancellationRequested) break;
          await runner.runTests(folder, names ? [...names] : undefined, token);
        }
      },
      true,
    );
  }

  /** Lists the tests a folder's gpupv.json configures (none: the folder's item goes). */
  setTests(folder: vscode.WorkspaceFolder, configUri: vscode.Uri, tests: readonly DriverTestConfig[]): void {
    const id = folder.uri.toString();
    if (tests.length === 0) {
      this.controller.items.delete(id);
      return;
    }
    const folderItem = this.controller.createTestItem(id, folder.name, folder.uri);
    folderItem.children.replace(tests.map((test) => {
      const item = this.controller.createTestItem(`${id}#${test.name}`, test.name, configUri);
      item.description = describeRun(test);
      return item;
    }));
    this.controller.items.add(folderItem);
  }

  /** A report of a run's test step into the Test Explorer, covering the tests it will run. */
  beginRun(folder: vscode.WorkspaceFolder, names: readonly string[]): DriverTestReport {
    const folderItem = this.controller.items.get(folder.uri.toString());
    const itemOf = (name: string) => folderItem?.children.get(`${folder.uri.toString()}#${name}`);
    const included = names.map(itemOf).filter((item): item is vscode.TestItem => item !== undefined);
    const run = this.controller.createTestRun(new vscode.TestRunRequest(included), `Deploy and Test (${folder.name})`, true);
    for (const item of included) run.enqueued(item);
    return {
      started: (name) => {
        const item = itemOf(name);
        if (item) run.started(item);
      },
      output: (name, text) => run.appendOutput(text.replace(/\r?\n/g, '\r\n'), undefined, itemOf(name)),
      finished: (record, output) => {
        const item = itemOf(record.name);
        if (!item) return;
        if (record.status === 'passed') run.passed(item, record.durationMs);
        else if (record.status === 'skipped') run.skipped(item);
        else {
          const message = new vscode.TestMessage(`${record.message ?? record.status}${output ? `\n\n${output.slice(-4_000)}` : ''}`);
          if (record.status === 'timedOut') run.errored(item, message, record.durationMs);
          else run.failed(item, message, record.durationMs);
        }
      },
      end: () => run.end(),
    };
  }

  dispose(): void {
    this.controller.dispose();
  }
}

function describeRun(test: DriverTestConfig): string {
  const run = test.run;
  const what = run.kind === 'program' ? run.argv.join(' ') : run.kind === 'powershell' ? `PowerShell ${run.script}` : `TAEF ${run.binary}${run.select ? ` /select:${run.select}` : ''}`;
  return `${what} · ${test.timeoutSeconds} s`;
}

function* iterate(collection: vscode.TestItemCollection): Generator<vscode.TestItem> {
  for (const [, item] of collection) yield item;
}
