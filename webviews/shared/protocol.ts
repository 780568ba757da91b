// The messages the extension host and its webviews exchange. Both bundles import this
// file, so a change to a message is a compile error on both sides at once. Messages
// arriving from a webview are untrusted input and go through the guards below.

/** What the Ring Trace Viewer shows; sent whole whenever it changes. */
export interface TraceViewerState {
  /** The open trace, or undefined when none is open. */
  readonly trace?: {
    readonly name: string;
    readonly commandCount: number;
  };
}

export interface HostToTraceViewerMessage {
  readonly type: 'showState';
  readonly state: TraceViewerState;
}

/** Host commands a webview may ask for: an allowlist, never a free-form command id. */
export const WEBVIEW_RUNNABLE_COMMANDS = ['gpupv.showLog'] as const;
export type WebviewRunnableCommand = (typeof WEBVIEW_RUNNABLE_COMMANDS)[number];

export type TraceViewerToHostMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'runCommand'; readonly command: WebviewRunnableCommand };

export function isHostToTraceViewerMessage(message: unknown): message is HostToTraceViewerMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === 'showState' &&
    typeof (message as { state?: unknown }).state === 'object'
  );
}

export function isTraceViewerToHostMessage(message: unknown): message is TraceViewerToHostMessage {
  if (typeof message !== 'object' || message === null) {
    return false;
  }
  const { type, command } = message as { type?: unknown; command?: unknown };
  switch (type) {
    case 'ready':
      return true;
    case 'runCommand':
      return (WEBVIEW_RUNNABLE_COMMANDS as readonly unknown[]).includes(command);
    default:
      return false;
  }
}
