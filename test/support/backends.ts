import { afterEach, describe } from 'vitest';
import { pgUnavailable, usePgSchemas } from './postgres.js';
import { useLogFile } from './temp-dir.js';

/** A kind of log a server can run on, for suites that hold for every backend. */
export interface Backend {
  name: 'SQLite' | 'PostgreSQL';
  /** What holds one log: a restart "on the same file" or "on the same schema". */
  holder: 'file' | 'schema';
  /** Why this backend's suites skip (PostgreSQL not reachable), or undefined. */
  unavailable: string | undefined;
  /** Registers the hooks; returns the `--db` of the current test's log (one per test). */
  useLog(): () => string;
}

/** A fresh PostgreSQL schema per test: the same URL all through the test (a restart reopens it). */
function usePgLog(): () => string {
  const fresh = usePgSchemas();
  let url: string | undefined;
  afterEach(() => {
    url = undefined;
  });
  return () => {
    url ??= fresh();
    return url;
  };
}

export const backends: readonly Backend[] = [
  { name: 'SQLite', holder: 'file', unavailable: undefined, useLog: useLogFile },
  { name: 'PostgreSQL', holder: 'schema', unavailable: pgUnavailable, useLog: usePgLog },
];

/**
 * `describe(title, …)` once per backend, e.g. "the WebSocket gateway on PostgreSQL"; a
 * backend that is not there skips, with the reason in the title.
 */
export function describeEachBackend(
  title: string,
  body: (log: () => string, backend: Backend) => void,
): void {
  for (const backend of backends) {
    const { unavailable } = backend;
    describe.skipIf(unavailable !== undefined)(
      `${title} on ${backend.name}${unavailable ? ` (skipped: ${unavailable})` : ''}`,
      () => body(backend.useLog(), backend),
    );
  }
}
