import type { AnyEvent, Envelope } from '../../events/envelope.js';
import type { TransactionHook } from '../../events/store.js';
import { fallbackLogger, type Logger } from '../../observe/logger.js';
import { applyAll, catchUp } from '../../projections/apply-events.js';
import { Fold, multiplesOf } from '../../projections/fold.js';
import { inMemoryTable } from '../../projections/in-memory-table.js';
import type { ProjectionMismatch } from '../../projections/mismatch.js';
import type { AnyProjection, ProjectionTable, TableOf } from '../../projections/projection.js';
import type { ImportSnapshot } from '../log-backend.js';
import type { SqliteDatabase } from './database.js';
import { bindTable, createIndex, createTable } from './projection-table.js';
import type { SqliteEventReader } from './reader.js';
import { SNAPSHOT_EVERY, type SnapshotStats, SnapshotStore } from './snapshot-store.js';
import { SnapshotsBehind } from './snapshots-behind.js';
import { type VerifyTarget, verifyProjections } from './verify-projection.js';

/** How projections are kept. */
export interface ProjectionsOptions {
  /**
   * A snapshot every this many positions (default SNAPSHOT_EVERY, 1000), so that `asOf` folds at most that
   * many events; 0: no snapshots, `asOf` folds the log from the start.
   */
  snapshotEvery?: number;
  /** Where failures behind the log (snapshots) are told (default: warnings on stderr). */
  logger?: Logger;
}

/** The projection version a table was built by, and the log position it reflects. */
export interface Checkpoint {
  version: number;
  position: number;
}

/**
 * Keeps a set of projections in step with the log on SQLite: applies each append inside its
 * transaction (a TransactionHook), catches up or rebuilds at start, writes snapshots behind
 * the log, and answers "as of P" from the nearest snapshot.
 */
export class SqliteProjections implements TransactionHook {
  readonly #db: SqliteDatabase;
  readonly #reader: SqliteEventReader;
  readonly #projections: readonly AnyProjection[];
  readonly #tables = new Map<string, ProjectionTable<unknown>>();
  readonly #snapshots: SnapshotStore;
  readonly #behind: SnapshotsBehind;
  readonly #every: number;
  readonly #logger: Logger;
  readonly #saveCheckpoint;
  readonly #loadCheckpoint;

  constructor(
    db: SqliteDatabase,
    reader: SqliteEventReader,
    projections: readonly AnyProjection[],
    options: ProjectionsOptions = {},
  ) {
    this.#db = db;
    this.#reader = reader;
    this.#projections = projections;
    this.#every = options.snapshotEvery ?? SNAPSHOT_EVERY;
    this.#logger = options.logger ?? fallbackLogger();
    // A read-only connection (verify) must not create anything.
    if (!db.readonly)
      db.exec(`CREATE TABLE IF NOT EXISTS projections (
      name     TEXT PRIMARY KEY,
      version  INTEGER NOT NULL,
      position INTEGER NOT NULL
    ) STRICT`);
    this.#snapshots = new SnapshotStore(db);
    this.#behind = new SnapshotsBehind(
      db,
      reader,
      this.#snapshots,
      projections,
      this.#every,
      this.#logger,
    );
    // An upsert, not INSERT OR REPLACE: replacing deletes the row and inserts it again, its
    // key's index entry too, and this runs in every commit (one page of the WAL more each).
    this.#saveCheckpoint = db.prepare(
      `INSERT INTO projections (name, version, position) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET version = excluded.version, position = excluded.position`,
    );
    this.#loadCheckpoint = db.prepare('SELECT version, position FROM projections WHERE name = ?');
  }

  /**
   * Brings every projection up to the head: one whose version changed (or that was never
   * built) is rebuilt into a fresh table and swapped in; one that is behind catches up.
   * Snapshots the log is owed are written behind, after this returns.
   */
  open(): { rebuilt: string[]; caughtUp: string[] } {
    const rebuilt: string[] = [];
    const caughtUp: string[] = [];
    for (const projection of this.#projections) {
      const checkpoint = this.checkpoint(projection.name);
      if (checkpoint === undefined || checkpoint.version !== projection.version) {
        this.rebuild(projection.name);
        rebuilt.push(projection.name);
        continue;
      }
      // A table built by an older sessionlog lacks the indexes added since, or has them in
      // another order (its rows are the same: no rebuild).
      createIndex(this.#db, projection, projection.name);
      if (checkpoint.position < this.#reader.head()) {
        this.#db
          .transaction(() => {
            catchUp(this.#reader, projection, this.table(projection), checkpoint.position);
            this.#saveCheckpoint.run(projection.name, projection.version, this.#reader.head());
          })
          .immediate();
        caughtUp.push(projection.name);
      }
    }
    this.#behind.schedule();
    return { rebuilt, caughtUp };
  }

  /** The projection's table, with its own queries. */
  table<P extends AnyProjection>(projection: P): TableOf<P> {
    let table = this.#tables.get(projection.name);
    if (table === undefined) {
      table = bindTable(this.#db, projection, projection.name);
      this.#tables.set(projection.name, table);
    }
    return table as TableOf<P>;
  }

  checkpoint(name: string): Checkpoint | undefined {
    return this.#loadCheckpoint.get(name) as Checkpoint | undefined;
  }

  /** Runs inside the append's transaction, so the rows commit (or roll back) with the events. */
  apply(events: readonly Envelope<AnyEvent>[]): void {
    for (const projection of this.#projections)
      applyAll(projection, this.table(projection), events);
  }

  /** The checkpoint moves once per committed batch, in the batch's transaction. */
  committing(head: number): void {
    for (const projection of this.#projections) {
      this.#saveCheckpoint.run(projection.name, projection.version, head);
    }
    this.#behind.committed(head);
  }

  /**
   * Events the store has committed, in order (its commit listener): the snapshots behind the
   * log fold them from memory instead of reading them back.
   */
  committed(events: readonly Envelope<AnyEvent>[]): void {
    this.#behind.heard(events);
  }

  /**
   * Replays the whole log into a fresh table and swaps it in, in one transaction; the
   * snapshots are dropped and written again from the same fold (`progress` hears of each).
   */
  rebuild(
    name: string,
    progress?: (position: number, head: number) => void,
  ): { events: number; rows: number; snapshots: number } {
    const projection = this.#find(name);
    this.#behind.reset(name);
    return this.#db
      .transaction(() => {
        const head = this.#reader.head();
        this.#snapshots.clear(projection.name);
        let snapshots = 0;
        const fold = new Fold(projection);
        fold.run(this.#reader, head, multiplesOf(this.#every, 0, head), () => {
          this.#snapshots.write(fold);
          snapshots++;
          progress?.(fold.position, head);
        });
        this.install(fold);
        return { events: fold.events, rows: fold.rows.size, snapshots };
      })
      .immediate();
  }

  /**
   * Makes a fold of the whole log (every event up to `fold.position`, the head) the
   * projection's table, swapped in for the old one, in the caller's transaction: how rebuild
   * ends, and how `import`, which folds as it writes, builds the table without reading the log.
   */
  install(fold: Fold): void {
    const { projection } = fold;
    const next = `${projection.name}__next`;
    this.#db.exec(`DROP TABLE IF EXISTS ${next}`);
    createTable(this.#db, projection, next);
    const table = bindTable(this.#db, projection, next);
    for (const { row } of fold.rows.values()) table.put(row);
    this.#db.exec(`DROP TABLE IF EXISTS ${projection.name}`);
    this.#db.exec(`ALTER TABLE ${next} RENAME TO ${projection.name}`);
    createIndex(this.#db, projection, projection.name);
    this.#tables.delete(projection.name);
    this.#saveCheckpoint.run(projection.name, projection.version, fold.position);
  }

  /**
   * Where `import`, whose checking thread folds the projection as it checks, stores the
   * snapshots it makes (where a rebuild makes them); it `install`s the fold it ends with.
   */
  importSnapshots(name: string): (snapshot: ImportSnapshot) => void {
    const projection = this.#find(name);
    this.#behind.reset(name);
    this.#snapshots.clear(projection.name);
    return (snapshot) => this.#snapshots.store(projection, snapshot);
  }

  /**
   * The projection as it was right after `position`: the nearest snapshot at or before it,
   * the events after the snapshot folded on top (at most `snapshotEvery` of them once the
   * snapshots are caught up), read by `query` from the rows held in memory.
   */
  asOf<P extends AnyProjection, R>(
    projection: P,
    position: number,
    query: (table: TableOf<P>) => R,
  ): R {
    return this.#db.transaction(() => {
      const fold = new Fold(projection, this.#nearestSnapshot(projection, position));
      fold.run(this.#reader, position);
      const rows = new Map(Array.from(fold.rows, ([key, { row }]) => [key, row]));
      return query(inMemoryTable(projection, rows));
    })();
  }

  /**
   * Compares every projection's table, and each of its snapshots, with a fresh fold of the log
   * (verify-projection.ts) and returns the disagreements, earliest position first.
   */
  verify(): ProjectionMismatch[] {
    return verifyProjections(this.#db, this);
  }

  /** The projections kept, by name. */
  get names(): string[] {
    return this.#projections.map((projection) => projection.name);
  }

  /**
   * What verify compares for a projection: the log, the snapshots, and the table at its
   * checkpoint, unless it was never built or was built by another projection version.
   */
  verifyTarget(name: string): VerifyTarget {
    const projection = this.#find(name);
    const checkpoint = this.checkpoint(name);
    const built = checkpoint !== undefined && checkpoint.version === projection.version;
    return {
      projection,
      reader: this.#reader,
      table: built ? { rows: this.table(projection), position: checkpoint.position } : undefined,
      snapshots: this.#snapshots,
    };
  }

  /** What the snapshots of a projection's current version hold. */
  snapshotStats(name: string): SnapshotStats {
    return this.#snapshots.stats(this.#find(name));
  }

  /** The position of the projection's latest snapshot (0: none): one seek, where stats scan. */
  latestSnapshot(name: string): number {
    return this.#snapshots.latest(this.#find(name));
  }

  /** Writes every snapshot the log is owed, now (the CLI, benches, tests); returns how many. */
  catchUpSnapshots(): number {
    return this.#behind.catchUp();
  }

  /** Stops writing snapshots behind the log; call before closing the database. */
  close(): void {
    this.#behind.close();
  }

  /** The latest usable snapshot at or before `position`; none (position 0) when there is none. */
  #nearestSnapshot(projection: AnyProjection, position: number) {
    if (this.#every <= 0) return undefined;
    try {
      return this.#snapshots.load(projection, position);
    } catch (error) {
      // A snapshot that does not match the log is never used: fold from the start instead.
      this.#logger.error(
        { err: error, projection: projection.name },
        'ignoring snapshots that do not match the log',
      );
      return undefined;
    }
  }

  #find(name: string): AnyProjection {
    const projection = this.#projections.find((p) => p.name === name);
    if (projection === undefined) {
      const known = this.#projections.map((p) => p.name).join(', ');
      throw new Error(`no projection named ${JSON.stringify(name)} (known: ${known})`);
    }
    return projection;
  }
}
