// Every id the extension shares with package.json lives here, typed, so a rename is a
// compile error instead of a silently dead menu entry. A unit test checks this module and
// package.json against each other.

export const EXTENSION_ID = 'gpupv.gpupv-devkit';

export const Commands = {
  showLog: 'gpupv.showLog',
  openTraceViewer: 'gpupv.traces.openViewer',
  showStructLayout: 'gpupv.headers.showStructLayout',
} as const;
export type CommandId = (typeof Commands)[keyof typeof Commands];

export const Views = {
  container: 'gpupv',
  virtualMachines: 'gpupv.vms',
  ringTraces: 'gpupv.traces',
} as const;
export type ViewId = Exclude<(typeof Views)[keyof typeof Views], typeof Views.container>;

export const WebviewTypes = {
  traceViewer: 'gpupv.traceViewer',
  structLayout: 'gpupv.structLayout',
} as const;

/** Context keys that drive `when` clauses of views, welcome content and menus. */
export const ContextKeys = {
  /** `process.platform` of the extension host, which is where Hyper-V would have to run. */
  hostPlatform: 'gpupv.hostPlatform',
} as const;

export const LOG_CHANNEL_NAME = 'GPU-PV';
