// The handle VS Code injects into every webview. `acquireVsCodeApi` may be called only
// once per page, so every module shares this one.

export interface VsCodeApi<State, Outgoing> {
  postMessage(message: Outgoing): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi<State, Outgoing>(): VsCodeApi<State, Outgoing>;

let api: unknown;

export function vscodeApi<State, Outgoing>(): VsCodeApi<State, Outgoing> {
  api ??= acquireVsCodeApi<State, Outgoing>();
  return api as VsCodeApi<State, Outgoing>;
}
