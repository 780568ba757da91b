// How the harness hands the running code-server to the UI suites. Each compiled suite is
// its own bundle, so a shared module instance cannot carry this; the environment can.

export interface UiEnvironmentValues {
  readonly baseUrl: string;
  readonly workspace: string;
  readonly scratchDir: string;
  readonly screenshotsDir: string;
  /** The server's user settings file: a test may edit it (VS Code reloads it), and must restore it. */
  readonly userSettings: string;
  /** The simulated Hyper-V host's state file, which the stand-in modules read on every call. */
  readonly hyperVState: string;
  /** The folder of stand-in modules on the server's PSModulePath (links: a test may take one away and must put it back). */
  readonly hyperVModules: string;
}

const VARIABLES: Record<keyof UiEnvironmentValues, string> = {
  baseUrl: 'GPUPV_UI_BASE_URL',
  workspace: 'GPUPV_UI_WORKSPACE',
  scratchDir: 'GPUPV_UI_SCRATCH',
  screenshotsDir: 'GPUPV_UI_SCREENSHOTS',
  userSettings: 'GPUPV_UI_USER_SETTINGS',
  hyperVState: 'GPUPV_UI_HYPERV_STATE',
  hyperVModules: 'GPUPV_UI_HYPERV_MODULES',
};

export const UiEnvironment = {
  export(values: UiEnvironmentValues): void {
    for (const key of Object.keys(VARIABLES) as (keyof UiEnvironmentValues)[]) {
      process.env[VARIABLES[key]] = values[key];
    }
  },

  read(): UiEnvironmentValues {
    const read = (key: keyof UiEnvironmentValues): string => {
      const value = process.env[VARIABLES[key]];
      if (!value) throw new Error(`${VARIABLES[key]} is not set: UI suites run under test/harness/runAllTiers`);
      return value;
    };
    return {
      baseUrl: read('baseUrl'),
      workspace: read('workspace'),
      scratchDir: read('scratchDir'),
      screenshotsDir: read('screenshotsDir'),
      userSettings: read('userSettings'),
      hyperVState: read('hyperVState'),
      hyperVModules: read('hyperVModules'),
    };
  },
};
