import type { FSWatcher } from 'chokidar';
import { ChangeWindow } from './change-window.js';
import type { FileChange } from './file-change.js';
import { checkRoot, type DirectoryIdentity, type HeldRoot, holdRoot } from './root-check.js';
import { TokenBucket } from './token-bucket.js';
import { codeOf, describeError, isResourceLimit } from './watch-failures.js';
import type { WatchOptions } from './watch-options.js';
import { type RunSettings, startRun } from './watch-run.js';

/** Who hears what a directory watcher sees: one per session watching the directory. */
export interface DirectoryListener {
  change(change: FileChange): void;
  /** A failure or a bound hit, in words; each told once. */
  problem(reason: string): void;
}

/** A directory watcher's settings, and where unexpected errors go. */
export interface DirectoryWatcherDeps extends RunSettings {
  onError: (error: unknown) => void;
}

/**
 * One chokidar watcher over one directory (a session's cwd, as a realpath), shared by the
 * sessions working there. Starting does not wait for the scan, and the files already there
 * are not reported. When the watcher fails (the directory removed, or replaced: another
 * device and inode, or a link, at its path; a system limit) it tells once, stops, and tries
 * again after 1 s, 2 s, 4 s … up to `retryMaxMs`; it tells again only after having run that
 * long without failing, so that a flapping directory cannot flood the log. A retry takes
 * the directory then at the path if it is a real one reached without links: the log does
 * not keep which directory a session started in, so neither does a restart. Nothing here
 * throws into the event loop.
 */
export class DirectoryWatcher {
  readonly root: string;
  /** The changes its sessions may record together: a change seen by n sessions is n events. */
  readonly rate: TokenBucket;
  readonly #options: WatchOptions;
  readonly #settings: RunSettings;
  readonly #onError: (error: unknown) => void;
  readonly #listeners = new Set<DirectoryListener>();
  readonly #window: ChangeWindow;
  #watcher: FSWatcher | undefined;
  #held: HeldRoot | undefined;
  #closing: Promise<unknown> = Promise.resolve();
  /** Bounds hit and errors met in the current run, told to sessions that join later too. */
  #notes = new Map<string, string>();
  /** The failure being retried, if any. */
  #failure: string | undefined;
  #toldFailure = false;
  #retries = 0;
  #timer: NodeJS.Timeout | undefined;
  #recheck: NodeJS.Timeout | undefined;
  #verifying = false;
  /** Counts starts and stops, so that the result of an outdated start is ignored. */
  #run = 0;
  #closed = false;
  #ready = false;
  #whenReady: Array<() => void> = [];

  constructor(root: string, deps: DirectoryWatcherDeps) {
    const { onError, ...settings } = deps;
    const { options } = settings;
    this.root = root;
    const { directoryRatePerSecond: perSecond, rateWindowMs } = options;
    this.rate = new TokenBucket(perSecond, rateWindowMs, `${perSecond} changes/s per directory`);
    this.#options = options;
    this.#settings = settings;
    this.#onError = onError;
    this.#window = new ChangeWindow(options.debounceMs, (c) => this.#tell((l) => l.change(c)));
  }

  /** Adds a listener and tells it what the others were told that still holds. */
  add(listener: DirectoryListener): void {
    this.#listeners.add(listener);
    if (this.#failure !== undefined) listener.problem(this.#failure);
    for (const reason of this.#notes.values()) listener.problem(reason);
  }

  /** Removes a listener; returns how many are left. */
  remove(listener: DirectoryListener): number {
    this.#listeners.delete(listener);
    return this.#listeners.size;
  }

  /** Resolves once a run has finished its first scan (or the watcher closed). */
  ready(): Promise<void> {
    if (this.#ready || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#whenReady.push(resolve));
  }

  start(): void {
    void this.#start().catch((error: unknown) => this.#fail(describeError(error, this.root)));
  }

  /** Stops watching; what was seen in the last moments is reported first. */
  async close(): Promise<void> {
    this.#window.drain();
    this.#closed = true;
    this.#stop();
    this.#wake();
    await this.#closing;
  }

  async #start(): Promise<void> {
    const run = ++this.#run;
    const checked = await holdRoot(this.root);
    if (run !== this.#run || this.#closed) {
      if ('held' in checked) await checked.held.release();
      return;
    }
    if ('problem' in checked) return this.#fail(checked.problem);
    // The directory this run watches; another one found at the path later is a failure.
    this.#held = checked.held;
    const { identity } = checked.held;
    this.#notes = new Map();
    // Whatever an outdated run still says (chokidar finishing its work) is not heard.
    const current = () => run === this.#run;
    this.#watcher = startRun(this.root, this.#settings, {
      change: (path, change, kind) => current() && this.#window.push(path, change, kind),
      removed: () => current() && this.#fail(`directory removed: ${this.root}`),
      moved: () => current() && this.#verify(run, identity),
      error: (error) => {
        if (!current()) return;
        if (isResourceLimit(error)) this.#fail(describeError(error, this.root));
        else this.#note(codeOf(error), describeError(error, this.root));
      },
      bound: (reason) => current() && this.#note(reason, reason),
      ready: () => current() && this.#ran(run),
    });
    this.#recheck = setInterval(() => this.#verify(run, identity), this.#options.recheckMs);
    this.#recheck.unref();
  }

  /** Fails the run when its directory is gone, or another one (or a link) is at its path. */
  #verify(run: number, identity: DirectoryIdentity): void {
    if (this.#verifying) return;
    this.#verifying = true;
    void checkRoot(this.root, identity)
      .then((checked) => {
        if (run === this.#run && 'problem' in checked) this.#fail(checked.problem);
      })
      .catch(this.#onError)
      .finally(() => {
        this.#verifying = false;
      });
  }

  /** The run is up: the failure is over; once it has lasted, the retries start afresh. */
  #ran(run: number): void {
    this.#failure = undefined;
    this.#ready = true;
    this.#wake();
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      if (run !== this.#run) return;
      this.#retries = 0;
      this.#toldFailure = false;
    }, this.#options.retryMaxMs).unref();
  }

  #fail(reason: string): void {
    if (this.#closed) return;
    this.#stop();
    this.#window.clear();
    this.#failure = `${reason} (retrying with backoff)`;
    if (!this.#toldFailure) {
      this.#toldFailure = true;
      const told = this.#failure;
      this.#tell((l) => l.problem(told));
    }
    const { retryFirstMs, retryMaxMs } = this.#options;
    const delay = Math.min(retryMaxMs, retryFirstMs * 2 ** this.#retries++);
    this.#timer = setTimeout(() => this.start(), delay).unref();
  }

  #stop(): void {
    this.#run++;
    this.#ready = false;
    clearTimeout(this.#timer);
    clearInterval(this.#recheck);
    const held = this.#held;
    this.#held = undefined;
    if (held !== undefined)
      this.#closing = Promise.all([this.#closing, held.release().catch(this.#onError)]);
    const watcher = this.#watcher;
    this.#watcher = undefined;
    if (watcher === undefined) return;
    const closed = watcher.close();
    // close() removes every listener, but scans in flight may still report an error, and an
    // EventEmitter 'error' nobody hears is thrown: it would bring the server down.
    watcher.on('error', () => {});
    this.#closing = Promise.all([this.#closing, closed.catch(this.#onError)]);
  }

  #wake(): void {
    for (const wake of this.#whenReady.splice(0)) wake();
  }

  #note(key: string, reason: string): void {
    if (this.#notes.has(key)) return;
    this.#notes.set(key, reason);
    this.#tell((l) => l.problem(reason));
  }

  #tell(tell: (listener: DirectoryListener) => void): void {
    for (const listener of [...this.#listeners]) {
      try {
        tell(listener);
      } catch (error) {
        this.#onError(error);
      }
    }
  }
}
