import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Envelope } from '../../src/events/envelope.js';
import type { RunningServer, ServerOptions } from '../../src/server.js';
import type { Sessionlog } from '../../src/sessions/sessionlog.js';
import { type Collector, subscribe } from '../../src/testing/subscribe.js';
import type { FileChange } from '../../src/watcher/file-change.js';
import { useServers } from './server.js';
import { useLogFile, useTempDir } from './temp-dir.js';

/** Generous: the machine running the suite may be busy with other work. */
export const LONG = { timeout: 20_000 };

export interface WatchedKit {
  /** A server with file watching on (the test servers have it off by default). */
  start(options?: Partial<ServerOptions>): Promise<RunningServer>;
  /** A fresh directory (its realpath) for a session to work in. */
  dir(name?: string): string;
  /** The log file of this test, outside every directory from `dir`. */
  logFile(): string;
}

/** Servers with watching on, and real directories on disk, all removed after each test. */
export function useWatched(): WatchedKit {
  const logFile = useLogFile();
  const start = useServers();
  const temp = useTempDir();
  let made = 0;
  return {
    start: (options = {}) => start({ db: logFile(), maxWatchers: 256, ...options }),
    dir(name = `work-${++made}`) {
      const path = join(realpathSync(temp()), name);
      mkdirSync(path, { recursive: true });
      return path;
    },
    logFile,
  };
}

/** Starts a session through the API, as any client would, and returns its id. */
export async function startSession(server: { url: string }, cwd: string): Promise<string> {
  const response = await fetch(`${server.url}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ cwd }),
  });
  if (response.status !== 201) throw new Error(`POST /api/sessions: ${response.status}`);
  return ((await response.json()) as { session: { id: string } }).session.id;
}

/** A session whose directory is being watched, with a subscription to its stream. */
export async function watchedSession(
  server: RunningServer,
  cwd: string,
): Promise<{ id: string; stream: Collector }> {
  const id = await startSession(server, cwd);
  if (!(await server.watching.ready(id))) throw new Error(`session ${id} is not watched`);
  return { id, stream: await subscribe(server.url, { after: 0, streams: [id] }) };
}

/** Resolves with the first events committed to the log that satisfy `done`. */
export function committed(
  log: Pick<Sessionlog, 'store'>,
  done: (events: Envelope[]) => boolean,
): Promise<Envelope[]> {
  const seen: Envelope[] = [];
  return new Promise((resolve) => {
    const stop = log.store.subscribe((events) => {
      seen.push(...events);
      if (done(seen)) {
        stop();
        resolve(seen);
      }
    });
  });
}

/** The data of the FileChanged events among `events`. */
export function changes(
  events: readonly Envelope<{ type: string; data: unknown }>[],
): FileChange[] {
  return events.filter((e) => e.type === 'FileChanged').map((e) => e.data as FileChange);
}

/** The `error` of the WatchFailed events among `events`. */
export function failures(events: readonly Envelope<{ type: string; data: unknown }>[]): string[] {
  return events
    .filter((e) => e.type === 'WatchFailed')
    .map((e) => (e.data as { error: string }).error);
}

/** Waits until the collector holds a FileChanged for `path` (and `change`, when given). */
export function changeOf(
  stream: Collector,
  path: string,
  change?: FileChange['change'],
): Promise<void> {
  return stream.waitFor(
    (events) => changes(events).some((c) => c.path === path && (change ?? c.change) === c.change),
    LONG,
  );
}

let markers = 0;

/**
 * The changes recorded for everything done in `cwd` before the call. Two marker files are
 * written, the second once the first is recorded: by then whatever came before the first has
 * been recorded too (a change is held one debounce window at most), so what is missing was
 * not recorded. The markers are left out of the answer.
 */
export async function settledChanges(stream: Collector, cwd: string): Promise<FileChange[]> {
  const names = [`marker-${++markers}-a.txt`, `marker-${markers}-b.txt`];
  for (const name of names) {
    writeFileSync(join(cwd, name), '');
    await changeOf(stream, name, 'created');
  }
  return changes(stream.events).filter((c) => !names.includes(c.path));
}
