import type { EventStore } from '../events/store.js';
import { fallbackLogger } from '../observe/logger.js';
import { systemDirectoryRefusal } from '../sessions/system-directories.js';
import { DirectoryWatcher } from './directory-watcher.js';
import { ownFiles } from './own-files.js';
import { type RecordingCommands, SessionRecorder } from './session-recorder.js';
import { TokenBucket } from './token-bucket.js';
import type { WatchLeases } from './watch-leases.js';
import { DEFAULT_WATCH_OPTIONS, type WatchOptions } from './watch-options.js';
import type { CreateWatcher } from './watch-run.js';

/** What file watching needs from the log, and how it is bounded. */
export interface WatchSessionsDeps {
  store: Pick<EventStore, 'subscribe'>;
  /** Read once, at start, oldest first: the sessions pending or in progress are watched again. */
  activeSessions(): Promise<ReadonlyArray<{ id: string; cwd: string }>>;
  /**
   * Several nodes on one log: a session is watched only by the node holding its lease, and
   * another node takes over the sessions of one that stops (default: this node watches all).
   */
  leases?: WatchLeases;
  commands: RecordingCommands;
  /** The log's database file: it and its companions are never reported. */
  logFile?: string;
  options?: Partial<WatchOptions>;
  /** Told of what went wrong unexpectedly (default: a warning on stderr). */
  onError?: (error: unknown) => void;
  createWatcher?: CreateWatcher;
  /**
   * Why no session may be watched in a directory (a realpath), or undefined when one may
   * (default: SPEC's cwd rules on system directories). A log may hold sessions started under
   * older rules, or on another machine.
   */
  refusal?: (cwd: string) => string | undefined;
}

/** The file watching of a running server. */
export interface SessionWatching {
  /**
   * Resolves true once the session's directory has been scanned and changes in it are seen
   * (the HTTP answer does not wait for that), false when the session is not watched.
   */
  ready(sessionId: string): Promise<boolean>;
  /** Directories watched now (sessions sharing one count once). */
  readonly watchers: number;
  /** Stops watching; resolves once what was seen has been appended. */
  close(): Promise<void>;
}

interface Watched {
  directory: DirectoryWatcher;
  recorder: SessionRecorder;
}

/**
 * Watches the cwd of every active session, driven by the log itself: a committed
 * `SessionStarted` starts watching, `SessionEnded` or `SessionDeleted` stops it, so whatever
 * starts a session (any route, any future transport) has it watched. Sessions sharing a
 * directory share its watcher. Past `maxWatchers` directories a new session is not watched,
 * and a `WatchFailed` event says so; a slot freed later does not reach back to it.
 */
export function watchSessions(deps: WatchSessionsDeps): SessionWatching {
  const options = { ...DEFAULT_WATCH_OPTIONS, ...deps.options };
  const { commands, createWatcher } = deps;
  const exclude = ownFiles(deps.logFile);
  const onError =
    deps.onError ?? ((error) => fallbackLogger().warn({ err: error }, 'file watching failed'));
  const refusal = deps.refusal ?? ((cwd) => systemDirectoryRefusal(cwd, process.platform));
  if (options.maxWatchers <= 0) {
    return { ready: async () => false, watchers: 0, close: async () => {} };
  }

  const { serverRatePerSecond: perSecond, rateWindowMs } = options;
  const serverRate = new TokenBucket(perSecond, rateWindowMs, `${perSecond} changes/s per server`);
  const directories = new Map<string, DirectoryWatcher>();
  const watched = new Map<string, Watched>();
  const closing = new Set<Promise<unknown>>();
  const track = (promise: Promise<unknown>) => {
    const settled = promise.catch(onError).finally(() => closing.delete(settled));
    closing.add(settled);
  };

  function watch(id: string, cwd: string): void {
    if (watched.has(id)) return;
    let directory = directories.get(cwd);
    if (directory === undefined) {
      // Checked on the path alone: each run then makes sure the path is the directory itself.
      const refused = refusal(cwd);
      if (refused !== undefined || directories.size >= options.maxWatchers) {
        const unwatched = new SessionRecorder(id, commands, options, onError);
        unwatched.problem(
          `not watched: ${refused ?? `--max-watchers ${options.maxWatchers} reached`}`,
        );
        track(unwatched.close());
        return;
      }
      directory = new DirectoryWatcher(cwd, {
        options,
        onError,
        exclude,
        ...(createWatcher ? { createWatcher } : {}),
      });
      directories.set(cwd, directory);
      directory.start();
    }
    const shared = [directory.rate, serverRate];
    const recorder = new SessionRecorder(id, commands, options, onError, shared);
    directory.add(recorder);
    watched.set(id, { directory, recorder });
  }

  function unwatch(id: string): void {
    const entry = watched.get(id);
    if (entry === undefined) return;
    watched.delete(id);
    const { directory, recorder } = entry;
    if (directory.remove(recorder) === 0) {
      directories.delete(directory.root);
      track(directory.close());
    }
    track(recorder.close());
  }

  // With leases, a session is watched once this node holds its lease. `wanted` is what the
  // log says should be watched: an end that commits while a claim is under way wins.
  const { leases } = deps;
  const wanted = new Map<string, string>();
  const claims = new Map<string, Promise<void>>();
  function claimThenWatch(id: string, cwd: string): void {
    wanted.set(id, cwd);
    if (leases === undefined) {
      watch(id, cwd);
      return;
    }
    if (watched.has(id) || claims.has(id)) return;
    // A full node leaves the session to another one rather than record it as not watched.
    if (!directories.has(cwd) && directories.size >= options.maxWatchers) return;
    const claim = leases
      .claim(id)
      .then((won) => {
        if (!won) return;
        if (wanted.get(id) === cwd) watch(id, cwd);
        else return leases.release(id);
      })
      .finally(() => claims.delete(id));
    claims.set(id, claim);
    track(claim);
  }
  function stop(id: string): void {
    wanted.delete(id);
    unwatch(id);
    if (leases !== undefined) track(leases.release(id));
  }

  const unsubscribe = deps.store.subscribe((events) => {
    for (const event of events) {
      if (event.type === 'SessionStarted') claimThenWatch(event.stream, event.data.cwd);
      else if (event.type === 'SessionEnded' || event.type === 'SessionDeleted') stop(event.stream);
    }
  });
  // Oldest first, as they were watched before the restart: the same ones get the slots.
  const resumed = deps.activeSessions().then((active) => {
    for (const session of active) claimThenWatch(session.id, session.cwd);
  });
  track(resumed);
  leases?.start({
    onLost: (ids) => {
      for (const id of ids) unwatch(id);
    },
    onOrphans: (sessions) => {
      for (const { id, cwd } of sessions) claimThenWatch(id, cwd);
    },
  });

  return {
    get watchers() {
      return directories.size;
    },
    async ready(sessionId) {
      await resumed.catch(() => {});
      await claims.get(sessionId);
      const entry = watched.get(sessionId);
      if (entry === undefined) return false;
      await entry.directory.ready();
      return true;
    },
    async close() {
      // Leases first: no orphan is claimed while closing, and others may take over at once.
      await leases?.close();
      unsubscribe();
      // Directories first: what they drain still reaches the recorders, which then finish.
      const entries = [...watched.values()];
      watched.clear();
      directories.clear();
      await Promise.all([...new Set(entries.map((e) => e.directory))].map((d) => d.close()));
      await Promise.all(entries.map((e) => e.recorder.close()));
      while (closing.size > 0) await Promise.all(closing);
    },
  };
}
