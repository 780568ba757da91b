import * as vscode from 'vscode';
import { BUILD_PROBLEM_MATCHER_NAMES } from '../build/buildProblems';
import { STEP_TITLES } from '../pipeline/deployPipeline';
import { DEPLOY_AND_TEST, DEPLOY_TASKS, type DeployTaskName } from '../pipeline/deployPlan';
import { DeployTerminal, type TerminalRun } from './deployTerminal';

// Tasks of type `gpupv`: one per step and the composite `deploy-and-test`, for each workspace
// folder whose gpupv.json has a `driver` section; written in tasks.json they resolve the same
// way. The build output goes through the `$gpupv-build-*` problem matchers, so compiler, linker
// and Inf2Cat errors land in Problems as with any other build task.

export const DEPLOY_TASK_TYPE = 'gpupv';

/** The task definition as package.json's `taskDefinitions` declares it. */
export interface DeployTaskDefinition extends vscode.TaskDefinition {
  readonly type: typeof DEPLOY_TASK_TYPE;
  readonly task: DeployTaskName;
  /** Only this package of `driver.packages`; absent: every package. */
  readonly package?: string;
  /** Only these tests of `driver.tests`; absent: every test. */
  readonly tests?: readonly string[];
}

export interface DeployTaskHost {
  /** The folders whose gpupv.json has a driver section. */
  foldersWithDriver(): readonly vscode.WorkspaceFolder[];
  /** The body of a task's terminal: the run, its output and its exit code. */
  runner(folder: vscode.WorkspaceFolder, definition: DeployTaskDefinition): TerminalRun;
}

export function isDeployTaskDefinition(value: vscode.TaskDefinition): value is DeployTaskDefinition {
  const { task, package: only, tests } = value as { task?: unknown; package?: unknown; tests?: unknown };
  return (
    value.type === DEPLOY_TASK_TYPE &&
    typeof task === 'string' &&
    (DEPLOY_TASKS as readonly string[]).includes(task) &&
    (only === undefined || typeof only === 'string') &&
    (tests === undefined || (Array.isArray(tests) && tests.every((t) => typeof t === 'string')))
  );
}

export class DeployTaskProvider implements vscode.TaskProvider {
  constructor(private readonly host: DeployTaskHost) {}

  provideTasks(): vscode.Task[] {
    return this.host.foldersWithDriver().flatMap((folder) => DEPLOY_TASKS.map((task) => this.makeTask(folder, { type: DEPLOY_TASK_TYPE, task })));
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const definition = task.definition;
    if (!isDeployTaskDefinition(definition)) return undefined;
    const folder = typeof task.scope === 'object' ? task.scope : this.host.foldersWithDriver()[0];
    if (!folder) return undefined;
    // The definition object must be the one tasks.json gave, or VS Code does not match them.
    return this.makeTask(folder, definition, task.name);
  }

  makeTask(folder: vscode.WorkspaceFolder, definition: DeployTaskDefinition, name?: string): vscode.Task {
    const title = definition.task === DEPLOY_AND_TEST ? 'Deploy and Test' : STEP_TITLES[definition.task];
    const task = new vscode.Task(
      definition,
      folder,
      name ?? (definition.package ? `${definition.task} ${definition.package}` : definition.task),
      DEPLOY_TASK_TYPE,
      new vscode.CustomExecution((resolved) => Promise.resolve(new DeployTerminal(this.host.runner(folder, isDeployTaskDefinition(resolved) ? resolved : definition)))),
      definition.task === 'build' || definition.task === 'sign' || definition.task === DEPLOY_AND_TEST ? BUILD_PROBLEM_MATCHER_NAMES.map((name) => `$${name}`) : [],
    );
    task.detail = `${title} (${folder.name})`;
    if (definition.task === 'build') task.group = vscode.TaskGroup.Build;
    else if (definition.task === 'test' || definition.task === DEPLOY_AND_TEST) task.group = vscode.TaskGroup.Test;
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true, showReuseMessage: false };
    return task;
  }
}
