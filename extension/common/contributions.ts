// Every id the extension shares with package.json lives here, typed, so a rename is a
// compile error instead of a silently dead menu entry. A unit test checks this module and
// package.json against each other.

export const EXTENSION_ID = 'gpupv.gpupv-devkit';

export const Commands = {
  showLog: 'gpupv.showLog',
  createProfile: 'gpupv.traces.createProfile',
  reopenTraceAsText: 'gpupv.traces.reopenAsText',
  showLivePanel: 'gpupv.traces.showLivePanel',
  showStructLayout: 'gpupv.headers.showStructLayout',

  // Deploy and Test
  deployAndTest: 'gpupv.deploy.deployAndTest',
  configureDeployment: 'gpupv.deploy.configure',
  openLastRun: 'gpupv.deploy.openLastRun',

  // Ring Traces view
  tracesRefresh: 'gpupv.traces.refresh',
  tracesOpenTrace: 'gpupv.traces.openTrace',
  tracesOpenAsSnapshot: 'gpupv.traces.openAsSnapshot',
  tracesAttachLive: 'gpupv.traces.attachLive',
  tracesShowMoreCaptures: 'gpupv.traces.showMoreCaptures',
  tracesRemoveRecent: 'gpupv.traces.removeRecent',

  // Virtual Machines view
  vmsRefresh: 'gpupv.vms.refresh',
  vmStart: 'gpupv.vms.start',
  vmShutDown: 'gpupv.vms.shutDown',
  vmTurnOff: 'gpupv.vms.turnOff',
  vmSave: 'gpupv.vms.save',
  vmPause: 'gpupv.vms.pause',
  vmResume: 'gpupv.vms.resume',
  vmRestart: 'gpupv.vms.restart',
  vmConnect: 'gpupv.vms.connect',
  checkpointCreate: 'gpupv.vms.createCheckpoint',
  checkpointApply: 'gpupv.vms.applyCheckpoint',
  checkpointDelete: 'gpupv.vms.deleteCheckpoint',
  partitionAdd: 'gpupv.vms.addGpuPartition',
  partitionRemove: 'gpupv.vms.removeGpuPartition',
  partitionEdit: 'gpupv.vms.editGpuPartition',
  prepareForGpuP: 'gpupv.vms.prepareForGpuP',
  gpuAssign: 'gpupv.vms.assignGpu',
  gpuReturn: 'gpupv.vms.returnGpu',
  newGpuPVm: 'gpupv.vms.newGpuPVm',
  enableGuestServiceInterface: 'gpupv.vms.enableGuestServiceInterface',
  syncHostDriver: 'gpupv.vms.syncHostDriver',
  checkGuestDriver: 'gpupv.vms.checkGuestDriver',
  openPowerShellDirect: 'gpupv.vms.openPowerShellDirect',
  forgetGuestCredentials: 'gpupv.vms.forgetGuestCredentials',
} as const;
export type CommandId = (typeof Commands)[keyof typeof Commands];

export const Views = {
  container: 'gpupv',
  virtualMachines: 'gpupv.vms',
  ringTraces: 'gpupv.traces',
} as const;
export type ViewId = Exclude<(typeof Views)[keyof typeof Views], typeof Views.container>;

export const WebviewTypes = {
  /** The custom editor of captures and snapshots. */
  traceViewer: 'gpupv.traceViewer',
  /** The panel of a live ring. */
  liveTrace: 'gpupv.liveTrace',
  structLayout: 'gpupv.structLayout',
} as const;

/** Context keys that drive `when` clauses of views, welcome content and menus. */
export const ContextKeys = {
  /** `process.platform` of the extension host, which is where Hyper-V would have to run. */
  hostPlatform: 'gpupv.hostPlatform',
  /** Why the Virtual Machines view is empty, or `ok`: see HyperVViewStatus. */
  hypervStatus: 'gpupv.hyperv.status',
  /** Some workspace folder's gpupv.json has a `driver` section with a package. */
  deployConfigured: 'gpupv.deploy.configured',
} as const;

/** Every setting the extension reads; package.json declares the same keys (a unit test checks). */
export const Settings = {
  powershellPath: 'gpupv.powershell.path',
  powershellTimeoutSeconds: 'gpupv.powershell.timeoutSeconds',
  hypervHosts: 'gpupv.hyperv.hosts',
  hypervRefreshSeconds: 'gpupv.hyperv.refreshSeconds',
  buildEwdkRoot: 'gpupv.build.ewdkRoot',
} as const;
export type SettingKey = (typeof Settings)[keyof typeof Settings];

export const LOG_CHANNEL_NAME = 'GPU-PV';
