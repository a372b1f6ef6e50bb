import type { AnyEvent, Envelope } from '../../events/envelope.js';
import type { Logger } from '../../observe/logger.js';
import { Fold, multiplesOf } from '../../projections/fold.js';
import type { AnyProjection } from '../../projections/projection.js';
import type { SqliteDatabase } from './database.js';
import type { SqliteEventReader } from './reader.js';
import type { SnapshotStore } from './snapshot-store.js';

/**
 * Events a snapshotter keeps in memory for its next run: past it (runs fall behind a burst of
 * appends) they are dropped, and the run reads them from the log.
 */
const HEARD_MAX = 10_000;

/**
 * Writes a projection's snapshots behind the log, at every multiple of `every`, each folded from
 * the previous snapshot and the events after it, never from the live table: a snapshot is
 * exactly the fold of the log up to its position, whatever happened to the table. Runs in a
 * transaction of its own after commits, never inside an append's, so appends do not wait on it.
 */
export class Snapshotter {
  readonly #db: SqliteDatabase;
  readonly #reader: SqliteEventReader;
  readonly #store: SnapshotStore;
  readonly #projection: AnyProjection;
  readonly #every: number;
  readonly #logger: Logger;
  /** The fold as of the latest snapshot, kept between runs so that a run need not load it. */
  #cache: Fold | undefined;
  /**
   * The events this connection committed after position `#heardFrom` up to `#heardUpTo`, one
   * run after another (the projection's types only): a run folds them from here rather than
   * reading them back from the log. Events another connection appends break the run; a run
   * that finds it does not cover its fold reads the log, as it always could.
   */
  #heard: Envelope<AnyEvent>[] = [];
  #heardFrom = 0;
  #heardUpTo = 0;

  constructor(
    db: SqliteDatabase,
    reader: SqliteEventReader,
    store: SnapshotStore,
    projection: AnyProjection,
    every: number,
    logger: Logger,
  ) {
    this.#logger = logger;
    this.#db = db;
    this.#reader = reader;
    this.#store = store;
    this.#projection = projection;
    this.#every = every;
  }

  /**
   * Writes the snapshots the log is owed, folding at most about `maxEvents` events (at least
   * one interval) in one transaction. Returns the position at which the next one falls due.
   */
  catchUp(maxEvents = Number.POSITIVE_INFINITY): { written: number; due: number } {
    const every = this.#every;
    const cached = this.#cache;
    this.#cache = undefined;
    return this.#db
      .transaction(() => {
        const head = this.#reader.head();
        const latest = this.#store.latest(this.#projection);
        const first = (Math.floor(latest / every) + 1) * every;
        if (first > head) {
          this.#cache = cached?.position === latest ? cached : undefined;
          return { written: 0, due: first };
        }
        const fold = cached?.position === latest ? cached : this.#load(latest);
        const reach = Math.max(first, latest + maxEvents);
        const upTo = Math.floor(Math.min(head, reach) / every) * every;
        let written = 0;
        const stops = multiplesOf(every, fold.position, upTo);
        const atStop = () => {
          this.#store.write(fold);
          written++;
        };
        if (this.#heardFrom <= fold.position && this.#heardUpTo >= upTo) {
          const stepping = fold.stepping(stops, atStop);
          for (const event of this.#heard) {
            if (event.position > upTo) break;
            if (event.position > fold.position) stepping.apply(event);
          }
          stepping.end(upTo);
        } else {
          fold.run(this.#reader, upTo, stops, atStop);
        }
        this.#forget(upTo);
        this.#cache = fold;
        return { written, due: upTo + every };
      })
      .immediate();
  }

  /**
   * Events just committed on this connection, in position order: kept for the next run while
   * they follow on from those before, at most HEARD_MAX of them.
   */
  heard(events: readonly Envelope<AnyEvent>[]): void {
    const first = events[0];
    if (first === undefined) return;
    if (first.position !== this.#heardUpTo + 1 || this.#heard.length >= HEARD_MAX) {
      this.#heard = [];
      this.#heardFrom = first.position - 1;
    }
    const { handles } = this.#projection;
    for (const event of events) if (handles.has(event.type)) this.#heard.push(event);
    this.#heardUpTo = events[events.length - 1]?.position ?? this.#heardUpTo;
  }

  /** Drops the heard events up to `position`: the fold has them. */
  #forget(position: number): void {
    if (this.#heardFrom >= position) return;
    const kept = this.#heard.findIndex((event) => event.position > position);
    this.#heard = kept === -1 ? [] : this.#heard.slice(kept);
    this.#heardFrom = Math.min(position, this.#heardUpTo);
  }

  /** Forgets the cached fold (the snapshots were rebuilt). */
  reset(): void {
    this.#cache = undefined;
  }

  #load(latest: number): Fold {
    try {
      return new Fold(this.#projection, this.#store.load(this.#projection, latest));
    } catch (error) {
      // A snapshot that no longer matches the log is dropped with the rest: they are derived
      // data, and the run below folds them again from the log.
      this.#logger.error(
        { err: error, projection: this.#projection.name },
        'rebuilding snapshots that do not match the log',
      );
      this.#store.clear(this.#projection.name);
      return new Fold(this.#projection);
    }
  }
}
