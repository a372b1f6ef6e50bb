import { basename, join } from 'node:path';
import { type ChokidarOptions, type FSWatcher, watch } from 'chokidar';
import type { ChangeKind, FileChange } from './file-change.js';
import { watchFilter } from './watch-filter.js';
import type { WatchOptions } from './watch-options.js';

/** Makes the chokidar watcher; tests swap it to make failures that are hard to cause. */
export type CreateWatcher = (root: string, options: ChokidarOptions) => FSWatcher;

/** What one run of chokidar over a directory reports, in the terms of `FileChanged`. */
export interface RunSink {
  change(path: string, change: FileChange['change'], kind: ChangeKind): void;
  /** The root itself went away. */
  removed(): void;
  /**
   * The root's own watch says it was moved or deleted: the path may already lead to another
   * directory, which chokidar would take for it.
   */
  moved(): void;
  error(error: unknown): void;
  /** A bound kept something from being watched (told once per bound). */
  bound(reason: string): void;
  /** The first scan is done: changes from here on are seen. */
  ready(): void;
}

/** How a run watches: the bounds, what it leaves out, and how chokidar is made. */
export interface RunSettings {
  options: WatchOptions;
  /** Absolute paths never reported (the log's own files). */
  exclude?: ReadonlySet<string>;
  createWatcher?: CreateWatcher;
}

/**
 * Starts chokidar over `root` and translates what it says: paths relative to the root with
 * POSIX separators, kinds, and the root's own removal. The files already there are not
 * reported, and symlinks are not followed.
 */
export function startRun(root: string, settings: RunSettings, sink: RunSink): FSWatcher {
  const { options, exclude, createWatcher = watch } = settings;
  const filter = watchFilter(root, { ...options, ...(exclude ? { exclude } : {}) }, sink.bound);
  const report = (path: string, change: FileChange['change'], kind: ChangeKind) => {
    const rel = filter.relativePath(path);
    if (rel && !filter.undecodable(path)) sink.change(rel, change, kind);
  };
  let ready = false;
  const watcher = createWatcher(root, {
    ignoreInitial: true,
    followSymlinks: false,
    // A folder the server may not read is skipped; the root itself is checked before a run.
    ignorePermissionErrors: true,
    // The change window does what `atomic` would (delete + create = modified), for every
    // path and over a longer window; without it deletions are not held back 100 ms.
    atomic: false,
    ignored: (path: string) => filter.ignored(path),
  });
  return (
    watcher
      // chokidar reports the symlinks it meets in its first scan even with ignoreInitial.
      .on('add', (path, stats) => {
        if (ready || !stats?.isSymbolicLink()) report(path, 'created', 'file');
      })
      .on('addDir', (path) => report(path, 'created', 'dir'))
      .on('change', (path) => report(path, 'modified', 'file'))
      .on('unlink', (path) => {
        filter.forget(path);
        report(path, 'deleted', 'file');
      })
      .on('unlinkDir', (path) => {
        if (filter.relativePath(path) === '') sink.removed();
        else {
          filter.forget(path);
          report(path, 'deleted', 'dir');
        }
      })
      .on('raw', (event, name, details) => {
        const watched = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
        if (typeof name !== 'string' || typeof watched !== 'string') return;
        if (event === 'rename' && watched === root && name === basename(root)) sink.moved();
        // chokidar drops a new entry whose name is not UTF-8 without a word (the name it
        // decodes names no file): the raw notice of the directory's watcher is where it shows.
        if (name.includes('\uFFFD')) filter.undecodable(join(watched, name));
      })
      .on('error', (error) => sink.error(error))
      .on('ready', () => {
        ready = true;
        sink.ready();
      })
  );
}
