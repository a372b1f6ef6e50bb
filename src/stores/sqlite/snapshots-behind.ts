import type { AnyEvent, Envelope } from '../../events/envelope.js';
import type { Logger } from '../../observe/logger.js';
import type { AnyProjection } from '../../projections/projection.js';
import type { SqliteDatabase } from './database.js';
import type { SqliteEventReader } from './reader.js';
import type { SnapshotStore } from './snapshot-store.js';
import { Snapshotter } from './snapshotter.js';

/** Snapshot intervals folded per run: a run holds the event loop, so it stays short. */
const INTERVALS_PER_RUN = 5;

/**
 * Runs the snapshotters behind the log: once a commit makes a snapshot due, on a later turn of
 * the event loop (after that commit, outside any append's transaction), a few intervals per
 * run until they are caught up. A failed run costs nothing but speed: `asOf` folds more.
 */
export class SnapshotsBehind {
  readonly #db: SqliteDatabase;
  readonly #reader: SqliteEventReader;
  readonly #every: number;
  readonly #logger: Logger;
  readonly #snapshotters = new Map<string, Snapshotter>();
  /** The position at which the next snapshot falls due (0: not known yet). */
  #due = 0;
  #run: NodeJS.Immediate | undefined;

  constructor(
    db: SqliteDatabase,
    reader: SqliteEventReader,
    store: SnapshotStore,
    projections: readonly AnyProjection[],
    every: number,
    logger: Logger,
  ) {
    this.#db = db;
    this.#reader = reader;
    this.#every = every;
    this.#logger = logger;
    for (const projection of projections) {
      this.#snapshotters.set(
        projection.name,
        new Snapshotter(db, reader, store, projection, every, logger),
      );
    }
    // Snapshots off, or a read-only connection: nothing is ever due.
    if (every <= 0 || db.readonly) this.#due = Number.POSITIVE_INFINITY;
  }

  /** A commit took the log to `head`. */
  committed(head: number): void {
    if (head >= this.#due) this.schedule();
  }

  /** A run on a later turn of the event loop, unless one is pending. */
  schedule(): void {
    if (this.#run !== undefined || this.#due === Number.POSITIVE_INFINITY) return;
    this.#run = setImmediate(() => {
      this.#run = undefined;
      if (!this.#db.open) return;
      try {
        let due = Number.POSITIVE_INFINITY;
        for (const snapshotter of this.#snapshotters.values()) {
          due = Math.min(due, snapshotter.catchUp(INTERVALS_PER_RUN * this.#every).due);
        }
        this.#due = due;
        if (due <= this.#reader.head()) this.schedule();
      } catch (error) {
        this.#logger.error({ err: error }, 'writing snapshots failed');
      }
    });
  }

  /** Events just committed on this connection, in order (each snapshotter keeps them). */
  heard(events: readonly Envelope<AnyEvent>[]): void {
    if (this.#every <= 0) return; // snapshots off: nothing to keep them for
    for (const snapshotter of this.#snapshotters.values()) snapshotter.heard(events);
  }

  /** Writes every snapshot the log is owed, now; returns how many. */
  catchUp(): number {
    if (this.#every <= 0) return 0;
    let written = 0;
    for (const snapshotter of this.#snapshotters.values()) written += snapshotter.catchUp().written;
    return written;
  }

  /** The projection's snapshots were rewritten (rebuild): its snapshotter starts afresh. */
  reset(name: string): void {
    this.#snapshotters.get(name)?.reset();
  }

  /** No more runs; call before closing the database. */
  close(): void {
    if (this.#run !== undefined) clearImmediate(this.#run);
    this.#run = undefined;
    this.#due = Number.POSITIVE_INFINITY;
  }
}
