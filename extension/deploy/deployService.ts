import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands, ContextKeys } from '../common/contributions';
import type { Logger } from '../common/logger';
import { EWDK_ROOT_SETTING } from './build/msbuild';
import type { FolderConfig, ProtocolConfigStore } from '../headers/protocolConfig';
import type { DeployTarget, DriverConfig } from '../protocol/config/driverConfigParser';
import { runSteps, StepFailure, type RunReporter, type RunResult, type StepOutcome } from './pipeline/deployPipeline';
import { DEPLOY_AND_TEST, planSteps } from './pipeline/deployPlan';
import { RunFolder, type TestResultRecord } from './pipeline/runFolder';
import { TranscriptReporter } from './pipeline/terminalTranscript';
import { configureDeployment, type KnownVm } from './configureDeployment';
import { SshCredentialStore, sshAccess } from './sshAccess';
import type { CertificateStore } from './sign/certificateStore';
import type { GuestAccess } from './steps/guestSteps';
import { DEPLOY_TASK_TYPE, DeployTaskProvider, type DeployTaskDefinition } from './tasks/deployTaskProvider';
import type { TerminalRun } from './tasks/deployTerminal';
import { DriverTestController } from './testing/driverTestController';
import { sshTargetLabel, type GuestScripts } from './transport/sshGuest';

// Deploy and Test in the editor: the `gpupv` tasks, the one key, the status bar item with the
// target and the last result, the Test Explorer entries, and the run folders. Every way of
// starting a run ends in `runner()`, which plans the steps from gpupv.json and hands them to
// the step engine.

export interface LastRun {
  readonly folder: string;
  readonly task: string;
  readonly status: RunResult['status'];
  readonly runFolder: string;
  readonly endedAt: number;
}

export interface DeployApi {
  readonly tasks: DeployTaskProvider;
  readonly tests: DriverTestController;
  readonly statusBar: vscode.StatusBarItem;
  readonly sshCredentials: SshCredentialStore;
  readonly problems: vscode.DiagnosticCollection;
  lastRun(): LastRun | undefined;
  /** Resolves when the run that is in progress (if any) has ended. */
  idle(): Promise<void>;
}

export interface DeployServices {
  readonly secrets: vscode.SecretStorage;
  readonly state: vscode.Memento;
  /** The guest runner and module shipped with the extension. */
  readonly guestScripts: GuestScripts;
  /** How a VM of the Virtual Machines view is reached (PowerShell Direct); absent: VM targets cannot be used. */
  vmAccess?(target: Extract<DeployTarget, { kind: 'vm' }>, log: Logger): GuestAccess;
  /** Windows hosts: the user's certificate store, where a "create" test certificate is made. */
  readonly certificateStore?: CertificateStore;
  /** The VMs of the Virtual Machines view, offered as targets. */
  knownVms(): readonly KnownVm[];
  /** Fires when the view has read its hosts again (a VM's name may be known now). */
  readonly onDidChangeVms: vscode.Event<unknown>;
}

export function registerDeploy(log: Logger, configs: ProtocolConfigStore, services: DeployServices): { disposable: vscode.Disposable; api: DeployApi } {
  let last: LastRun | undefined;
  let running: Promise<void> = Promise.resolve();
  /** A run is in progress: the status bar item shows it, not the last result. */
  let busy = false;
  const problems = vscode.languages.createDiagnosticCollection('gpupv-deploy');
  /** How the status bar and the summary name the target: a VM by the name the view shows. */
  const targetLabel = (target: DeployTarget | undefined): string => {
    if (!target) return 'no target';
    if (target.kind === 'ssh') return sshTargetLabel(target);
    const vm = services.knownVms().find((known) => known.id === target.vmId);
    return `${vm ? vm.name : `VM ${target.vmId.slice(0, 8)}`}${target.host ? ` on ${target.host}` : ''}`;
  };
  const sshCredentials = new SshCredentialStore(services.secrets, services.state);
  const ewdkRoot = () => {
    const configured = vscode.workspace.getConfiguration().get<string>(EWDK_ROOT_SETTING)?.trim();
    if (!configured) return undefined;
    return configured;
  };
  const accessFor = (target: DeployTarget | undefined): GuestAccess => {
    if (target?.kind === 'ssh') return sshAccess(target, sshCredentials, services.guestScripts, log);
    if (target?.kind === 'vm' && services.vmAccess) return services.vmAccess(target, log);
    return {
      label: targetLabel(target),
      confirm: () => Promise.resolve(false),
      connect: () => Promise.reject(new StepFailure(target ? `${targetLabel(target)} cannot be reached from this host: PowerShell Direct needs Hyper-V on this machine` : 'gpupv.json names no target', target ? 'Run VS Code on the Hyper-V host, or reach the guest over SSH ("target": { "ssh": "user@host" }).' : 'Add "target" to the driver section (GPU-PV: Configure Driver Deployment).')),
    };
  };
  const statusBar = vscode.window.createStatusBarItem('gpupv.deploy', vscode.StatusBarAlignment.Left, 10);
  statusBar.name = 'GPU-PV Deploy and Test';
  statusBar.command = Commands.deployAndTest;

  const driverFolders = () => configs.all.filter((c): c is FolderConfig & { driver: DriverConfig } => c.driver !== undefined && c.driver.packages.length > 0);
  const configOf = (folder: vscode.WorkspaceFolder) => driverFolders().find((c) => c.folder.uri.toString() === folder.uri.toString());

  const tests = new DriverTestController({
    runTests: async (folder, names, token) => {
      const execution = await vscode.tasks.executeTask(tasks.makeTask(folder, { type: DEPLOY_TASK_TYPE, task: 'test', ...(names ? { tests: names } : {}) }));
      const cancel = token.onCancellationRequested(() => execution.terminate());
      await new Promise<void>((resolve) => {
        const ended = vscode.tasks.onDidEndTask((event) => {
          if (event.execution === execution) {
            ended.dispose();
            resolve();
          }
        });
      });
      cancel.dispose();
    },
  });

  const runner = (folder: vscode.WorkspaceFolder, definition: DeployTaskDefinition): TerminalRun => async (write, signal) => {
    const config = configOf(folder);
    if (!config) {
      write(`\u001b[1;31m${folder.name} has no "driver" section in gpupv.json: run GPU-PV: Configure Driver Deployment.\u001b[0m\r\n`);
      return 1;
    }
    if (!vscode.workspace.isTrusted) {
      write('\u001b[1;31mThis workspace is not trusted: Deploy and Test runs builds and commands from it, so it runs only in a trusted workspace.\u001b[0m\r\n');
      return 1;
    }
    let finish!: () => void;
    running = new Promise<void>((resolve) => (finish = resolve));
    const startedAt = new Date();
    const runFolder = new RunFolder(folder.uri.fsPath, startedAt);
    const transcript = new TranscriptReporter((text) => {
      write(text);
      runFolder.appendTranscript(text);
    }, true);
    const reporter = logged(transcript, log, folder.name);
    busy = true;
    statusBar.text = `$(sync~spin) ${targetLabel(config.driver.target)}`;
    statusBar.tooltip = `Deploy and Test is running (${definition.task})`;
    statusBar.show();
    const testRecords: TestResultRecord[] = [];
    problems.clear();
    const plan = planSteps(definition.task, {
      workspaceDir: folder.uri.fsPath,
      workspaceName: folder.name,
      config: config.driver,
      platform: process.platform,
      ...(ewdkRoot() ? { ewdkRoot: ewdkRoot() } : {}),
      secrets: services.secrets,
      ...(services.certificateStore ? { certificateStore: services.certificateStore } : {}),
      askPfxPassword: (pfx) => vscode.window.showInputBox({ title: `Password of ${path.basename(pfx)}`, prompt: `The password of the signing certificate ${pfx} (empty if it has none); it is kept in SecretStorage.`, password: true, ignoreFocusOut: true }),
      access: accessFor(config.driver.target),
      runId: path.basename(runFolder.path),
      runFolder,
      ...(definition.package ? { onlyPackage: definition.package } : {}),
      ...(definition.tests ? { onlyTests: definition.tests } : {}),
      problem: (problem) => {
        const uri = vscode.Uri.file(problem.file);
        const line = Math.max(0, (problem.line ?? 1) - 1);
        const diagnostic = new vscode.Diagnostic(new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER), problem.message, problem.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
        diagnostic.source = 'GPU-PV Deploy and Test';
        problems.set(uri, [...(problems.get(uri) ?? []), diagnostic]);
      },
      tests: {
        begin: (names) => {
          const report = tests.beginRun(folder, names);
          return {
            ...report,
            finished: (record, output) => {
              testRecords.push(record);
              report.finished(record, output);
            },
          };
        },
      },
    });
    try {
      log.info(`Deploy and Test (${folder.name}): ${definition.task}, ${plan.steps.map((s) => s.name).join(' → ')}, run folder ${runFolder.path}`);
      const result = await runSteps(plan.steps, reporter, signal);
      await plan.close();
      transcript.summary(result, runFolder.path);
      runFolder.writeSummary({
        task: definition.task,
        target: targetLabel(config.driver.target),
        packages: config.driver.packages.map((p) => p.name),
        startedAt: startedAt.toISOString(),
        result,
        tests: testRecords,
        files: ['transcript.log', ...plan.collectedFiles],
      });
      last = { folder: folder.name, task: definition.task, status: result.status, runFolder: runFolder.path, endedAt: Date.now() };
      log.info(`Deploy and Test (${folder.name}): ${result.status} in ${Math.round(result.durationMs)} ms (engine overhead ${result.overheadMs.toFixed(1)} ms)`);
      return result.status === 'passed' ? 0 : 1;
    } finally {
      busy = false;
      showLast(config.driver.target);
      finish();
    }
  };

  const tasks = new DeployTaskProvider({ foldersWithDriver: () => driverFolders().map((c) => c.folder), runner });

  const showLast = (target: DeployTarget | undefined) => {
    if (driverFolders().length === 0) {
      statusBar.hide();
      return;
    }
    const icon = !last ? '$(debug-start)' : last.status === 'passed' ? '$(pass)' : last.status === 'failed' ? '$(error)' : '$(circle-slash)';
    statusBar.text = `${icon} ${targetLabel(target)}`;
    statusBar.tooltip = last ? `Deploy and Test ${last.status} (${last.task}, ${new Date(last.endedAt).toLocaleTimeString()}). Click to run it again.` : 'Deploy and Test: build, sign, deploy, install and test the driver (click to run)';
    statusBar.backgroundColor = last?.status === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    statusBar.show();
  };

  const refreshFolders = () => {
    const folders = driverFolders();
    void vscode.commands.executeCommand('setContext', ContextKeys.deployConfigured, folders.length > 0);
    for (const config of configs.all) tests.setTests(config.folder, config.uri, config.driver?.tests ?? []);
    showLast(folders[0]?.driver.target);
  };

  const deployAndTest = async (folderArgument?: vscode.WorkspaceFolder) => {
    const folders = driverFolders();
    if (folders.length === 0) {
      const choice = await vscode.window.showInformationMessage('No gpupv.json of this workspace has a "driver" section yet.', 'Configure Driver Deployment');
      if (choice) await vscode.commands.executeCommand(Commands.configureDeployment);
      return;
    }
    const folder =
      folderArgument ??
      (folders.length === 1
        ? folders[0]!.folder
        : (await vscode.window.showQuickPick(folders.map((c) => ({ label: c.folder.name, description: targetLabel(c.driver.target), folder: c.folder })), { placeHolder: 'Deploy and Test which folder?' }))?.folder);
    if (!folder) return;
    await vscode.tasks.executeTask(tasks.makeTask(folder, { type: DEPLOY_TASK_TYPE, task: DEPLOY_AND_TEST }));
  };

  const disposable = vscode.Disposable.from(
    statusBar,
    problems,
    tests,
    vscode.tasks.registerTaskProvider(DEPLOY_TASK_TYPE, tasks),
    vscode.commands.registerCommand(Commands.deployAndTest, deployAndTest),
    vscode.commands.registerCommand(Commands.configureDeployment, () => configureDeployment(log, () => services.knownVms())),
    vscode.commands.registerCommand(Commands.openLastRun, async () => {
      if (!last) return void vscode.window.showInformationMessage('No Deploy and Test run yet in this window.');
      await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(`${last.runFolder}/summary.md`));
    }),
    configs.onDidChange(refreshFolders),
    services.onDidChangeVms(() => {
      if (!busy) showLast(driverFolders()[0]?.driver.target);
    }),
  );
  void configs.whenLoaded().then(refreshFolders);

  return { disposable, api: { tasks, tests, statusBar, sshCredentials, problems, lastRun: () => last, idle: () => running } };
}


/** The run's lines also go to the log, one entry per step outcome and command. */
function logged(inner: RunReporter, log: Logger, folder: string): RunReporter {
  return {
    stepStarted: (step, index, count) => inner.stepStarted(step, index, count),
    command: (line) => {
      log.debug(`Deploy and Test (${folder}): ${line}`);
      inner.command(line);
    },
    output: (text) => inner.output(text),
    info: (message) => inner.info(message),
    warning: (message) => {
      log.warn(`Deploy and Test (${folder}): ${message}`);
      inner.warning(message);
    },
    stepEnded: (outcome: StepOutcome) => {
      const line = `Deploy and Test (${folder}): ${outcome.step} ${outcome.status} in ${Math.round(outcome.durationMs)} ms: ${outcome.message}`;
      if (outcome.status === 'failed') log.error(line);
      else if (outcome.status !== 'skipped') log.info(line);
      inner.stepEnded(outcome);
    },
  };
}
