import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ignorePatterns } from './ignore-patterns.js';
import type { WatchOptions } from './watch-options.js';

/** What one run of a directory watcher watches, and what it tells when a bound is hit. */
export interface WatchFilter {
  /** chokidar's `ignored`: true for a path that is not to be watched. */
  ignored(path: string): boolean;
  /** The path relative to the root with POSIX separators; undefined outside the root. */
  relativePath(path: string): string | undefined;
  /** A watched entry is gone: it no longer counts against the entry cap. */
  forget(path: string): void;
  /**
   * Whether the path's name is not valid UTF-8, as far as can be told (told once): such a name
   * reaches JavaScript with U+FFFD in place of its bytes, a name no file has.
   */
  undecodable(path: string): boolean;
}

type Bounds = Pick<WatchOptions, 'ignore' | 'depth' | 'maxEntries'> & {
  /** Absolute paths never watched. */
  exclude?: ReadonlySet<string>;
};

/**
 * Decides for each path chokidar meets whether it is watched: never outside the root (a
 * symlink is not followed, and this makes sure of it), not the excluded files, not when a
 * segment matches an ignore pattern, not a name that is not UTF-8, not deeper than `depth`,
 * and not past `maxEntries`. Each bound is told once, through `onBound`, when it first keeps
 * something from being watched.
 */
export function watchFilter(
  root: string,
  { ignore, depth, maxEntries, exclude = new Set() }: Bounds,
  onBound: (reason: string) => void,
): WatchFilter {
  const isIgnored = ignorePatterns(ignore);
  const watched = new Set<string>();
  const told = new Set<'depth' | 'entries' | 'names'>();
  const tell = (bound: 'depth' | 'entries' | 'names', reason: string) => {
    if (told.has(bound)) return;
    told.add(bound);
    // chokidar calls `ignored` in the middle of its own bookkeeping: tell it afterwards.
    queueMicrotask(() => onBound(reason));
  };

  function relativePath(path: string): string | undefined {
    const rel = relative(root, path);
    if (rel === '') return '';
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
    return sep === '/' ? rel : rel.split(sep).join('/');
  }

  // The bytes are lost by then: a name that really holds U+FFFD looks the same, and is left
  // out too, rather than record a change to a file under another's name.
  function undecodable(rel: string): boolean {
    if (!rel.includes('\uFFFD')) return false;
    tell('names', `file names that are not valid UTF-8 are not recorded (first: ${rel})`);
    return true;
  }

  return {
    relativePath,
    ignored(path) {
      const rel = relativePath(path);
      if (rel === undefined) return true;
      if (rel === '' || watched.has(rel)) return false;
      if (isIgnored(rel) || exclude.has(resolve(path))) return true;
      if (undecodable(rel)) return true;
      if (rel.split('/').length > depth + 1) {
        const levels = depth === 1 ? '1 level' : `${depth} levels`;
        tell('depth', `depth cap: entries more than ${levels} below the cwd are not watched`);
        return true;
      }
      if (watched.size >= maxEntries) {
        tell('entries', `entry cap: ${maxEntries} entries are watched, further ones are not`);
        return true;
      }
      watched.add(rel);
      return false;
    },
    forget(path) {
      const rel = relativePath(path);
      if (rel !== undefined) watched.delete(rel);
    },
    undecodable(path) {
      const rel = relativePath(path);
      return rel !== undefined && !isIgnored(rel) && undecodable(rel);
    },
  };
}
