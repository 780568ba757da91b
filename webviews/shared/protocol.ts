// The messages the extension host and the Struct Layout webview exchange, and what every
// webview may ask the host to run (the Ring Trace Viewer's messages are in
// traceViewerProtocol.ts). Both bundles import this file, so a change to a message is a
// compile error on both sides at once. Messages arriving from a webview are untrusted input
// and go through the guards below.

/**
 * Host commands a webview may ask for: an allowlist, never a free-form command id. The host
 * runs one only when it offered it (a button it drew, a banner it sent).
 */
export const WEBVIEW_RUNNABLE_COMMANDS = ['gpupv.showLog', 'gpupv.traces.createProfile', 'gpupv.traces.reopenAsText'] as const;
export type WebviewRunnableCommand = (typeof WEBVIEW_RUNNABLE_COMMANDS)[number];

// ── Struct Layout ────────────────────────────────────────────────────────────────────

/** Where a field (or a hole) sits on one ABI. */
export interface StructLayoutPlacement {
  /** Bytes from the record start; for a bit-field, the start of its storage unit. */
  readonly offset: number;
  /** Bytes; for a bit-field, the size of its storage unit; 0 for a hole of a few bits. */
  readonly size: number;
  /** Bit-fields and bit holes only: first bit within the storage unit at `offset`. */
  readonly bitOffset?: number;
  readonly bitWidth?: number;
}

export interface StructLayoutRow {
  /** A leaf field, a hole between fields, or the padding at the end of the record. */
  readonly kind: 'field' | 'hole' | 'padding';
  /** Dotted path of a field (`display.width`, `viewports[0].x`); empty for holes and padding. */
  readonly name: string;
  /** The declared type (`uint32_t[8]`); empty for holes and padding. */
  readonly type: string;
  /** The header's own comment after the member. */
  readonly comment?: string;
  /** On the configured ABI; absent for a field that exists on the compared ABI only. */
  readonly primary?: StructLayoutPlacement;
  /** On the compared ABI; absent when nothing is compared or the field is missing there. */
  readonly compare?: StructLayoutPlacement;
  /** Offset, size or bits differ between the two ABIs, or the field exists on one only. */
  readonly differs: boolean;
}

export interface StructLayoutView {
  readonly name: string;
  readonly kind: 'struct' | 'union';
  /** `include/pvgpu_protocol.h:139`, relative to the workspace folder. */
  readonly source: string;
  readonly abi: string;
  readonly size: number;
  readonly align: number;
  readonly compare?: {
    readonly abi: string;
    readonly size: number;
    readonly align: number;
    /** Why the layouts differ (the first difference), or undefined when they are the same. */
    readonly difference?: string;
  };
  readonly rows: readonly StructLayoutRow[];
  /** Rows left out because the record has more fields than the table shows. */
  readonly omittedRows: number;
}

/** What the Struct Layout panel shows; sent whole whenever it changes. */
export interface StructLayoutState {
  readonly view?: StructLayoutView;
  /** Why there is no table (the record went away after an edit). */
  readonly notice?: string;
}

export interface HostToStructLayoutMessage {
  readonly type: 'showLayout';
  readonly state: StructLayoutState;
}

export type StructLayoutToHostMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'pickRecord' }
  /** Reveal the declaration of `rows[row]` in the editor. */
  | { readonly type: 'revealRow'; readonly row: number }
  | { readonly type: 'runCommand'; readonly command: WebviewRunnableCommand };

export function isHostToStructLayoutMessage(message: unknown): message is HostToStructLayoutMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === 'showLayout' &&
    typeof (message as { state?: unknown }).state === 'object'
  );
}

export function isStructLayoutToHostMessage(message: unknown): message is StructLayoutToHostMessage {
  if (typeof message !== 'object' || message === null) {
    return false;
  }
  const { type, row, command } = message as { type?: unknown; row?: unknown; command?: unknown };
  switch (type) {
    case 'ready':
    case 'pickRecord':
      return true;
    case 'revealRow':
      return typeof row === 'number' && Number.isSafeInteger(row) && row >= 0;
    case 'runCommand':
      return (WEBVIEW_RUNNABLE_COMMANDS as readonly unknown[]).includes(command);
    default:
      return false;
  }
}
