import * as path from 'node:path';
import type { CertificateStore } from '../sign/certificateStore';
import type { DriverConfig } from '../../protocol/config/driverConfigParser';
import { buildPackages, locatePackage, type BuiltPackage } from '../steps/buildStep';
import { collectLogs, deployPackages, GuestSession, installPackages, runGuestTests, stopGuestWork, type GuestStepsInput } from '../steps/guestSteps';
import { lastSigning, saveSigning } from '../steps/runState';
import { signPackages, type SecretStore, type SigningRecord } from '../steps/signStep';
import { DEPLOY_STEPS, StepFailure, type DeployStepName, type PlannedStep, type StepContext } from './deployPipeline';

// Which steps a task runs and what each hands the next. The composite `deploy-and-test` runs
// them all and passes results in memory; a step run as its own task reads what the step before
// it recorded (the last build's output folder, the last signing, the last deployment), so
// `install` after a `deploy` an hour ago installs exactly what was copied then. Pure: no `vscode`.

export const DEPLOY_AND_TEST = 'deploy-and-test';
export const DEPLOY_TASKS = [...DEPLOY_STEPS, DEPLOY_AND_TEST] as const;
export type DeployTaskName = (typeof DEPLOY_TASKS)[number];

export interface DeployPlanInput extends Omit<GuestStepsInput, 'config' | 'workspaceDir'> {
  readonly workspaceDir: string;
  readonly workspaceName: string;
  readonly config: DriverConfig;
  readonly platform: NodeJS.Platform;
  /** The build's and the signing tools' environment. */
  readonly env?: NodeJS.ProcessEnv;
  readonly ewdkRoot?: string;
  readonly secrets: SecretStore;
  readonly askPfxPassword?: (pfx: string) => PromiseLike<string | undefined>;
  /** Windows hosts: the user's certificate store, for a "create" certificate. */
  readonly certificateStore?: CertificateStore;
  /** Only this package of driver.packages. */
  readonly onlyPackage?: string;
}

export interface DeployPlan {
  readonly steps: readonly PlannedStep[];
  /** What the steps brought back into the run folder, relative to it. */
  readonly collectedFiles: readonly string[];
  /** Ends the guest connection, once the steps (and their clean-ups) are done. */
  close(): Promise<void>;
}

export function planSteps(task: DeployTaskName, input: DeployPlanInput): DeployPlan {
  const packages = input.onlyPackage ? input.config.packages.filter((p) => p.name === input.onlyPackage) : input.config.packages;
  const config: DriverConfig = { ...input.config, packages };
  const guestInput: GuestStepsInput = { ...input, config };
  const session = new GuestSession(guestInput);
  const collected: string[] = [];
  let built: readonly BuiltPackage[] | undefined;
  let signed: SigningRecord | undefined;
  let stopped: Promise<string | undefined> | undefined;
  // Only a cancel leaves guest work running (a failed step's call has returned): stopping then
  // also marks the deployment cancelled in the guest, which would refuse a later `test` task.
  const stopOnce = (context: Pick<StepContext, 'report'>, status: 'failed' | 'cancelled') => (status === 'cancelled' ? (stopped ??= stopGuestWork(session, context)) : Promise.resolve(undefined));

  const bodies: Record<DeployStepName, PlannedStep> = {
    build: {
      name: 'build',
      run: async (context) => {
        built = await buildPackages({ workspaceDir: input.workspaceDir, packages, binaryLogDir: path.join(input.runFolder.path, 'build'), msbuild: { ...(input.ewdkRoot ? { ewdkRoot: input.ewdkRoot } : {}), ...(input.env ? { env: input.env } : {}) } }, context);
        return `${built.length} package(s) built: ${built.map((b) => `${b.pkg.name} (${b.artifacts.artifacts.filter((a) => a.exists).length} files)`).join(', ')}`;
      },
    },
    sign: {
      name: 'sign',
      run: async (context) => {
        built ??= await Promise.all(packages.map((pkg) => locatePackage(pkg, input.workspaceDir, 'built')));
        signed = await signPackages(built, { workspaceDir: input.workspaceDir, workspaceName: input.workspaceName, platform: input.platform, signing: config.signing, secrets: input.secrets, ...(input.askPfxPassword ? { askPfxPassword: input.askPfxPassword } : {}), ...(input.certificateStore ? { certificateStore: input.certificateStore } : {}), ...(input.env ? { env: input.env } : {}) }, context);
        saveSigning(input.workspaceDir, signed);
        return `${signed.packages.length} package(s) signed with ${signed.identity.subject || signed.identity.thumbprint}`;
      },
    },
    deploy: {
      name: 'deploy',
      run: async (context) => {
        signed ??= lastSigning(input.workspaceDir);
        if (!config.target) throw new StepFailure('gpupv.json names no target to deploy to', 'Add "target" to its driver section: { "vm": "<VM id>" } or { "ssh": "user@host" } (GPU-PV: Configure Driver Deployment).');
        return deployPackages(session, guestInput, signed, context);
      },
    },
    install: {
      name: 'install',
      run: (context) => installPackages(session, guestInput, signed ?? tryLastSigning(input.workspaceDir), context),
      cleanUp: (report, status) => stopOnce({ report }, status),
    },
    test: {
      name: 'test',
      run: async (context) => (await runGuestTests(session, guestInput, context)).message,
      cleanUp: (report, status) => stopOnce({ report }, status),
    },
    'collect-logs': {
      name: 'collect-logs',
      run: async (context) => {
        // After a deploy of this run that never reached the guest there is nothing to bring back.
        if (task === DEPLOY_AND_TEST && !session.deployment) return 'nothing to bring back: the package never reached the guest';
        const result = await collectLogs(session, guestInput, context);
        collected.push(...result.files);
        return result.message;
      },
    },
  };
  const names: readonly DeployStepName[] = task === DEPLOY_AND_TEST ? DEPLOY_STEPS : [task];
  return { steps: names.map((name) => bodies[name]), collectedFiles: collected, close: () => session.close() };
}

/** The last signing if there is one: install uses it only to point Problems at INF lines. */
function tryLastSigning(workspaceDir: string): SigningRecord | undefined {
  try {
    return lastSigning(workspaceDir);
  } catch {
    return undefined;
  }
}
