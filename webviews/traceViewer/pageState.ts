import type { TimeMode, TraceInfo } from '../shared/traceViewerProtocol';

// What the page remembers across hiding, re-showing and a window reload (VS Code keeps it
// with the webview): where the table was, what was selected and filtered, how it looked.
// A live panel also keeps the ring it shows, so a reload attaches to it again.

export interface PageState {
  readonly topSeq?: number;
  readonly selectedSeq?: number;
  readonly filter?: string;
  readonly timeMode?: TimeMode;
  readonly follow?: boolean;
  readonly sideWidth?: number;
  readonly timelineOpen?: boolean;
  readonly sideTab?: 'detail' | 'analyses';
  readonly live?: TraceInfo['live'];
}

export function updateState(api: { getState(): PageState | undefined; setState(state: PageState): void }, patch: Partial<PageState>): void {
  api.setState({ ...(api.getState() ?? {}), ...patch });
}
