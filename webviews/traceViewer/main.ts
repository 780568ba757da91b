import {
  isHostToTraceViewerMessage,
  type TraceViewerState,
  type TraceViewerToHostMessage,
} from '../shared/protocol';
import { codicon, h } from '../shared/dom';
import { pageRoot, stateRenderer } from '../shared/page';
import { vscodeApi } from '../shared/vscodeApi';

const vscode = vscodeApi<TraceViewerState, TraceViewerToHostMessage>();
const render = stateRenderer<TraceViewerState>(pageRoot(), (state) => (state.trace ? traceSummary(state.trace) : emptyState()));

function emptyState(): HTMLElement {
  const showLog = h('button', { type: 'button', class: 'secondary' }, codicon('output'), 'Show Log');
  showLog.addEventListener('click', () => vscode.postMessage({ type: 'runCommand', command: 'gpupv.showLog' }));
  return h(
    'section',
    { class: 'empty-state', 'data-testid': 'empty-state' },
    h('div', { class: 'empty-icon' }, codicon('pulse')),
    h('h1', {}, 'No trace open'),
    h(
      'p',
      {},
      'This viewer shows command-ring traffic decoded from your driver\u2019s own protocol header: ' +
        'captures (.pcapng), ring snapshots taken after a hang, and live rings of running VMs.',
    ),
    h('div', { class: 'actions' }, showLog),
  );
}

function traceSummary(trace: NonNullable<TraceViewerState['trace']>): HTMLElement {
  return h(
    'section',
    { class: 'trace-summary' },
    h('h1', {}, trace.name),
    h('p', {}, `${trace.commandCount.toLocaleString()} commands`),
  );
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (isHostToTraceViewerMessage(event.data)) {
    vscode.setState(event.data.state);
    render(event.data.state);
  }
});

// Draw what we had before the page was reloaded at once, then ask the host for the truth.
render(vscode.getState() ?? {});
vscode.postMessage({ type: 'ready' });
