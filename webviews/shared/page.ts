// What every webview page does first: find its root element, and draw a state only when it
// changed (the host resends the whole state on every (re)load of the page).

export function pageRoot(): HTMLElement {
  return document.body.querySelector('main') ?? document.body.appendChild(document.createElement('main'));
}

export function stateRenderer<State>(root: HTMLElement, draw: (state: State) => HTMLElement): (state: State) => void {
  let rendered: string | undefined;
  return (state) => {
    const key = JSON.stringify(state);
    if (key === rendered) return;
    rendered = key;
    root.replaceChildren(draw(state));
  };
}
