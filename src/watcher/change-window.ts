import type { ChangeKind, FileChange } from './file-change.js';

interface Pending {
  /** When the window closes: `windowMs` after the path's first change. */
  due: number;
  existedBefore: boolean;
  existsNow: boolean;
  firstKind: ChangeKind;
  lastKind: ChangeKind;
}

/**
 * Debounces changes per path: the changes to one path within `windowMs` of its first are
 * reported once, as their net effect, when the window closes.
 * - did not exist, exists now: `created` (created + modified → created);
 * - existed, exists no more: `deleted` (modified + deleted → deleted);
 * - did not exist and exists no more: nothing (created + deleted);
 * - existed and exists now: `modified` (an editor's delete + create is a save), or, when a
 *   file became a directory or the reverse, `deleted` then `created`.
 * A fixed window rather than one that restarts on each change, so that a file written
 * continuously is still reported every `windowMs`.
 */
export class ChangeWindow {
  // A Map keeps insertion order, which is also the order of `due`: one timer serves all.
  readonly #pending = new Map<string, Pending>();
  readonly #windowMs: number;
  readonly #emit: (change: FileChange) => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(windowMs: number, emit: (change: FileChange) => void) {
    this.#windowMs = windowMs;
    this.#emit = emit;
  }

  push(path: string, change: FileChange['change'], kind: ChangeKind): void {
    let pending = this.#pending.get(path);
    if (pending === undefined) {
      pending = {
        due: Date.now() + this.#windowMs,
        existedBefore: change !== 'created',
        existsNow: true,
        firstKind: kind,
        lastKind: kind,
      };
      this.#pending.set(path, pending);
    }
    pending.existsNow = change !== 'deleted';
    pending.lastKind = kind;
    this.#arm();
  }

  /** Reports every pending change now (the watcher is closing). */
  drain(): void {
    for (const [path, pending] of this.#pending) {
      for (const change of netEffect(path, pending)) this.#emit(change);
    }
    this.clear();
  }

  /** Forgets every pending change (the watcher failed: its WatchFailed says it instead). */
  clear(): void {
    this.#pending.clear();
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#timer !== undefined) return;
    const next = this.#pending.values().next();
    if (next.done) return;
    this.#timer = setTimeout(() => this.#flush(), Math.max(0, next.value.due - Date.now()));
  }

  #flush(): void {
    this.#timer = undefined;
    const now = Date.now();
    for (const [path, pending] of this.#pending) {
      if (pending.due > now) break;
      this.#pending.delete(path);
      for (const change of netEffect(path, pending)) this.#emit(change);
    }
    this.#arm();
  }
}

function netEffect(path: string, p: Pending): FileChange[] {
  if (!p.existedBefore) return p.existsNow ? [{ change: 'created', path, kind: p.lastKind }] : [];
  if (!p.existsNow) return [{ change: 'deleted', path, kind: p.firstKind }];
  if (p.firstKind === p.lastKind) return [{ change: 'modified', path, kind: p.lastKind }];
  return [
    { change: 'deleted', path, kind: p.firstKind },
    { change: 'created', path, kind: p.lastKind },
  ];
}
