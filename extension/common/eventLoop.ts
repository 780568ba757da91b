// Long work in the extension host runs in slices, and between two slices the event loop must
// get to its I/O: that is how the webviews' messages come and go. A chain of setImmediate
// callbacks does not let it: VS Code's IPC to the workbench compresses on the thread pool,
// and its writes waited behind the chain (a filter's status messages arrived 200 ms late,
// all at once). A zero timeout lets the poll phase run first.

/** Calls `next` on a later turn of the event loop, after the I/O that is ready. */
export function afterPendingIo(next: () => void): void {
  setTimeout(next, 0);
}

/** Resolves on a later turn of the event loop, after the I/O that is ready. */
export function pendingIo(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
