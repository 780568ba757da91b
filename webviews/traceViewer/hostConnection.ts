import type { HostToTraceViewerMessage, TraceViewerToHostMessage } from '../shared/traceViewerProtocol';
import { vscodeApi } from '../shared/vscodeApi';
import type { PageState } from './pageState';

// The page's side of the conversation with the extension host: requests carry an id and
// resolve with the reply that carries it back; everything else the host pushes (the trace's
// description, its status, a row to select) goes to the listeners.

type Reply = Extract<HostToTraceViewerMessage, { requestId: number }>;
type Push = Exclude<HostToTraceViewerMessage, { requestId: number }>;
type Request = Extract<TraceViewerToHostMessage, { requestId: number }>;

/** The reply each request gets. */
interface Replies {
  getRows: 'rows';
  getDetails: 'details';
  checkFilter: 'filterChecked';
  find: 'position';
  gotoSeq: 'position';
  gotoTime: 'position';
  getTimeline: 'timeline';
  getAnalyses: 'analyses';
}

export const vscode = vscodeApi<PageState, TraceViewerToHostMessage>();

let nextId = 1;
const pending = new Map<number, (reply: Reply) => void>();
const listeners: ((message: Push) => void)[] = [];

export function send(message: Exclude<TraceViewerToHostMessage, { requestId: number }>): void {
  vscode.postMessage(message);
}

/** Sends `message` with a fresh request id; resolves with the host's reply to it. */
export function request<T extends Request['type']>(message: Omit<Extract<Request, { type: T }>, 'requestId'> & { readonly type: T }): Promise<Extract<Reply, { type: Replies[T] }>> {
  const requestId = nextId++;
  return new Promise((resolve) => {
    pending.set(requestId, (reply) => resolve(reply as Extract<Reply, { type: Replies[T] }>));
    vscode.postMessage({ ...message, requestId } as TraceViewerToHostMessage);
  });
}

export function onPush(listener: (message: Push) => void): void {
  listeners.push(listener);
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const data: unknown = event.data;
  if (typeof data !== 'object' || data === null || typeof (data as { type?: unknown }).type !== 'string') return;
  const message = data as HostToTraceViewerMessage;
  if ('requestId' in message) {
    const resolve = pending.get(message.requestId);
    pending.delete(message.requestId);
    resolve?.(message);
    return;
  }
  for (const listener of listeners) listener(message);
});
