import type * as vscode from 'vscode';
import { LINKTYPE_USER0, LINKTYPE_USER15 } from '../protocol/capture/pcapngWriter';
import { CaptureTraceSource } from '../protocol/trace/captureSource';
import type { TraceSource } from '../protocol/trace/traceSource';
import type { Banner } from '../../webviews/shared/traceViewerProtocol';
import type { ProtocolState } from './traceProtocols';

// What a viewer session shows: a trace (a file, or a live ring), the source it reads now
// (replaced when the header is edited and the trace decoded again) and what the user should
// be told about it. Viewer sessions listen to `onDidChange`.

export interface TraceHandle {
  /** What the tab and the Ring Traces view call it. */
  readonly name: string;
  readonly source: TraceSource | undefined;
  readonly protocol: ProtocolState;
  /** Said above the table: damage, a profile that no longer fits, a capture of another link type. */
  banners(): Banner[];
  /** The source was replaced or its state changed in a way the banners show. */
  readonly onDidChange: vscode.Event<void>;
}

/** The banners every trace gets from its source and profile; handles add their own. */
export function sourceBanners(source: TraceSource | undefined, protocol: ProtocolState): Banner[] {
  const banners: Banner[] = [];
  if (protocol.kind === 'missing') {
    banners.push({ level: 'warning', message: `There is no decoding profile for this trace (${protocol.reason}). Create one from your protocol header: its guesses are shown for you to confirm.`, actions: [{ label: 'Create a Profile from the Header\u2026', command: 'gpupv.traces.createProfile' }] });
  } else if (protocol.kind === 'broken') {
    banners.push({ level: 'error', message: `${protocol.configPath} cannot decode this trace:\n${protocol.problems.join('\n')}`, actions: [{ label: 'Show Log', command: 'gpupv.showLog' }] });
  }
  if (!source) return banners;
  if (source.problem) {
    const before = source.index.count > 0 ? ` Every command before the damage is shown (${source.index.count.toLocaleString('en')} rows).` : '';
    banners.push({ level: source.kind === 'live' ? 'warning' : 'error', message: `${source.problem}.${before}` });
  }
  if (source instanceof CaptureTraceSource) {
    const info = source.info;
    if (info.linkType !== undefined && (info.linkType < LINKTYPE_USER0 || info.linkType > LINKTYPE_USER15)) {
      banners.push({ level: 'warning', message: `This capture holds packets of link type ${info.linkType}, not command-ring records (those are written with LINKTYPE_USER0..15, 147..162). It is decoded as if it were; open it with Wireshark or as text instead.`, actions: [{ label: 'Reopen as Text', command: 'gpupv.traces.reopenAsText' }] });
    }
    if (info.profileHash && info.profileHash !== source.protocol.profileHash) {
      banners.push({ level: 'info', message: 'This capture was taken with a different gpupv.json than the current one: it is decoded with the current profile and header.' });
    }
  }
  return banners;
}
