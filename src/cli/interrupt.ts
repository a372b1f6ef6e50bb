/**
 * A signal that stops a command: aborted by `outer` (tests stop a command this way), by any of
 * `also` (the output closed), and, for a command that runs until interrupted (`untilSignal`),
 * by SIGINT or SIGTERM. The handlers exist only while it runs: any other command keeps Node's
 * default, where Ctrl-C kills it (an export cut short must not look like a finished one).
 * Call `dispose` when done.
 */
export function untilInterrupted(
  outer: AbortSignal | undefined,
  untilSignal: boolean,
  ...also: AbortSignal[]
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  const signals = outer === undefined ? also : [outer, ...also];
  // A test passes its own signal; only the real CLI listens to the process.
  const processSignals = outer === undefined && untilSignal ? (['SIGINT', 'SIGTERM'] as const) : [];
  for (const name of processSignals) process.on(name, stop);
  for (const signal of signals) {
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  }
  return {
    signal: controller.signal,
    dispose() {
      for (const name of processSignals) process.off(name, stop);
      for (const signal of signals) signal.removeEventListener('abort', stop);
    },
  };
}
