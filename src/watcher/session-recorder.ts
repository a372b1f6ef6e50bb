import { ConflictError, GoneError, NotFoundError, VersionConflictError } from '../events/errors.js';
import type { SessionCommands } from '../sessions/session-commands.js';
import type { FileChange } from './file-change.js';
import { type CappedBurst, RateCap } from './rate-cap.js';
import type { TokenBucket } from './token-bucket.js';
import type { WatchOptions } from './watch-options.js';

/** The session commands a recorder appends with. */
export type RecordingCommands = Pick<SessionCommands, 'recordFileChange' | 'recordWatchFailure'>;

// Appends that wait behind a slow disk are bounded too: past this many, changes are capped.
const MAX_QUEUED = 1000;
const meta = { actor: 'sessionlog-watcher' };
const SETTLED: Promise<void> = Promise.resolve();

/**
 * Records what a directory watcher sees as one session's events: file changes under the
 * rate caps (the session's, its directory's, the server's), problems as `WatchFailed`.
 * Appends go one at a time, in order, so that they never race each other for the session's
 * next version. Once the session has
 * ended or was deleted, whatever is still coming is dropped quietly: ending wins the race.
 */
export class SessionRecorder {
  readonly #id: string;
  readonly #commands: RecordingCommands;
  readonly #onError: (error: unknown) => void;
  readonly #options: WatchOptions;
  readonly #shared: readonly TokenBucket[];
  /**
   * Made at the first change: most sessions never see one, and a server holds a recorder for
   * every active session (a bucket that starts full is the same made now or then).
   */
  #cap: RateCap | undefined;
  #tail = SETTLED;
  #queued = 0;
  #over = false;

  constructor(
    id: string,
    commands: RecordingCommands,
    options: WatchOptions,
    onError: (error: unknown) => void,
    /** The rate caps the session shares with others: its directory's, the server's. */
    shared: readonly TokenBucket[] = [],
  ) {
    this.#id = id;
    this.#commands = commands;
    this.#onError = onError;
    this.#options = options;
    this.#shared = shared;
  }

  change(change: FileChange): void {
    if (this.#over) return;
    this.#cap ??= new RateCap(
      this.#options,
      (burst) => this.problem(describeBurst(burst)),
      this.#shared,
    );
    if (this.#queued >= MAX_QUEUED || !this.#cap.take()) this.#cap.skip();
    else this.#enqueue(() => this.#commands.recordFileChange(this.#id, change, { meta }));
  }

  problem(reason: string): void {
    if (this.#over) return;
    const error = reason.length > 2000 ? `${reason.slice(0, 1999)}…` : reason;
    this.#enqueue(() => this.#commands.recordWatchFailure(this.#id, { error }, { meta }));
  }

  /** Records the summary of a burst under way, then waits for every append queued. */
  async close(): Promise<void> {
    this.#cap?.flush();
    this.#over = true;
    await this.#tail;
  }

  #enqueue(append: () => Promise<unknown>): void {
    this.#queued++;
    this.#tail = this.#tail
      .then(append)
      .then(
        () => undefined,
        (error: unknown) => this.#failed(error),
      )
      .finally(() => {
        this.#queued--;
      });
  }

  #failed(error: unknown): void {
    // A racing writer, even after the command's own retries, costs one change, not the rest.
    const ended =
      !(error instanceof VersionConflictError) &&
      (error instanceof ConflictError ||
        error instanceof GoneError ||
        error instanceof NotFoundError);
    if (ended) this.#over = true;
    else this.#onError(error);
  }
}

function describeBurst({ count, from, to, caps }: CappedBurst): string {
  const changes = count === 1 ? '1 change' : `${count} changes`;
  return `rate cap (${caps.join('; ')}): ${changes} not recorded between ${from.toISOString()} and ${to.toISOString()}`;
}
