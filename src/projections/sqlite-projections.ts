import type { AnyEvent, Envelope } from '../events/envelope.js';
import { canonicalJson } from '../events/hash.js';
import type { SqliteDatabase } from '../events/sqlite-database.js';
import { decodeRow, type SqliteEventReader, upcast } from '../events/sqlite-reader.js';
import type { TransactionHook } from '../events/store.js';
import type { Projection, ProjectionTable } from './projection.js';

// biome-ignore lint/suspicious/noExplicitAny: a list of projections of different row types
type AnyProjection = Projection<any, ProjectionTable<any>>;
type TableOf<P> = P extends Projection<unknown, infer T> ? T : never;

/** Where a projection disagrees with a fresh fold of the log. */
export interface ProjectionMismatch {
  projection: string;
  key: string;
  /** The last position of the log that touched the row (0 for a row the log never made). */
  position: number;
  table: unknown;
  fold: unknown;
}

const CATCH_UP_PAGE = 1000;

interface Checkpoint {
  version: number;
  position: number;
}

/**
 * Keeps a set of projections in step with the log on SQLite: applies each append inside its
 * transaction (a TransactionHook), catches up or rebuilds at start, and answers "as of P".
 */
export class SqliteProjections implements TransactionHook {
  readonly #db: SqliteDatabase;
  readonly #reader: SqliteEventReader;
  readonly #projections: readonly AnyProjection[];
  readonly #tables = new Map<string, ProjectionTable<unknown>>();
  readonly #saveCheckpoint;
  readonly #loadCheckpoint;

  constructor(
    db: SqliteDatabase,
    reader: SqliteEventReader,
    projections: readonly AnyProjection[],
  ) {
    this.#db = db;
    this.#reader = reader;
    this.#projections = projections;
    // A read-only connection (verify) must not create anything.
    if (!db.readonly)
      db.exec(`CREATE TABLE IF NOT EXISTS projections (
      name     TEXT PRIMARY KEY,
      version  INTEGER NOT NULL,
      position INTEGER NOT NULL
    ) STRICT`);
    this.#saveCheckpoint = db.prepare(
      'INSERT OR REPLACE INTO projections (name, version, position) VALUES (?, ?, ?)',
    );
    this.#loadCheckpoint = db.prepare('SELECT version, position FROM projections WHERE name = ?');
  }

  /**
   * Brings every projection up to the head: one whose version changed (or that was never
   * built) is rebuilt into a fresh table and swapped in; one that is behind catches up.
   */
  open(): { rebuilt: string[]; caughtUp: string[] } {
    const rebuilt: string[] = [];
    const caughtUp: string[] = [];
    for (const projection of this.#projections) {
      const checkpoint = this.checkpoint(projection.name);
      if (checkpoint === undefined || checkpoint.version !== projection.version) {
        this.rebuild(projection.name);
        rebuilt.push(projection.name);
      } else if (checkpoint.position < this.#reader.head()) {
        this.#catchUp(projection, checkpoint.position);
        caughtUp.push(projection.name);
      }
    }
    return { rebuilt, caughtUp };
  }

  /** The projection's table, with its own queries. */
  table<P extends AnyProjection>(projection: P): TableOf<P> {
    let table = this.#tables.get(projection.name);
    if (table === undefined) {
      table = projection.bind(this.#db, projection.name);
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
  }

  /** Replays the whole log into a fresh table and swaps it in, in one transaction. */
  rebuild(name: string): { events: number; rows: number } {
    const projection = this.#find(name);
    return this.#db
      .transaction(() => {
        const head = this.#reader.head();
        const { rows, events } = this.#fold(projection, head);
        const next = `${projection.name}__next`;
        this.#db.exec(`DROP TABLE IF EXISTS ${next}`);
        projection.createTable(this.#db, next);
        const table = projection.bind(this.#db, next);
        for (const row of rows.values()) table.put(row.row);
        this.#db.exec(`DROP TABLE IF EXISTS ${projection.name}`);
        this.#db.exec(`ALTER TABLE ${next} RENAME TO ${projection.name}`);
        projection.createIndexes(this.#db, projection.name);
        this.#tables.delete(projection.name);
        this.#saveCheckpoint.run(projection.name, projection.version, head);
        return { events, rows: rows.size };
      })
      .immediate();
  }

  /**
   * The projection as it was right after `position`: the log folded up to there into a
   * scratch table, which `query` reads with the projection's own queries.
   */
  asOf<P extends AnyProjection, R>(
    projection: P,
    position: number,
    query: (table: TableOf<P>) => R,
  ): R {
    const scratch = `${projection.name}_as_of`;
    return this.#db.transaction(() => {
      const { rows } = this.#fold(projection, position);
      this.#db.exec(`DROP TABLE IF EXISTS temp.${scratch}`);
      projection.createTable(this.#db, `temp.${scratch}`);
      try {
        const table = projection.bind(this.#db, `temp.${scratch}`);
        for (const row of rows.values()) table.put(row.row);
        return query(table as TableOf<P>);
      } finally {
        this.#db.exec(`DROP TABLE temp.${scratch}`);
      }
    })();
  }

  /**
   * Compares every projection with a fresh fold of the log up to its checkpoint and returns
   * the disagreements, earliest position first.
   */
  verify(): ProjectionMismatch[] {
    return this.#db.transaction(() => {
      const mismatches: ProjectionMismatch[] = [];
      for (const projection of this.#projections) {
        const checkpoint = this.checkpoint(projection.name);
        const { rows } = this.#fold(projection, checkpoint?.position ?? 0);
        const seen = new Set<string>();
        for (const stored of this.table(projection).rows()) {
          const key = projection.keyOfRow(stored);
          seen.add(key);
          const folded = rows.get(key);
          if (folded === undefined || canonicalJson(folded.row) !== canonicalJson(stored)) {
            mismatches.push({
              projection: projection.name,
              key,
              position: folded?.position ?? 0,
              table: stored,
              fold: folded?.row ?? null,
            });
          }
        }
        for (const [key, folded] of rows) {
          if (!seen.has(key)) {
            mismatches.push({
              projection: projection.name,
              key,
              position: folded.position,
              table: null,
              fold: folded.row,
            });
          }
        }
      }
      return mismatches.sort((a, b) => a.position - b.position);
    })();
  }

  #find(name: string): AnyProjection {
    const projection = this.#projections.find((p) => p.name === name);
    if (projection === undefined) {
      const known = this.#projections.map((p) => p.name).join(', ');
      throw new Error(`no projection named ${JSON.stringify(name)} (known: ${known})`);
    }
    return projection;
  }

  #catchUp(projection: AnyProjection, from: number): void {
    this.#db
      .transaction(() => {
        const table = this.table(projection);
        // Page by page: SQLite cannot write while a read cursor on the same connection is open.
        for (let after = from; ; ) {
          const page = [...this.#reader.rows({ after, limit: CATCH_UP_PAGE })];
          const last = page.at(-1);
          if (last === undefined) break;
          const handled = page.filter((row) => projection.handles.has(row.type));
          applyAll(
            projection,
            table,
            handled.map((row) => upcast(decodeRow(row), this.#reader.registry)),
          );
          after = last.position;
        }
        this.#saveCheckpoint.run(projection.name, projection.version, this.#reader.head());
      })
      .immediate();
  }

  /** The log folded in memory, row by row, with the last position that touched each row. */
  #fold(projection: AnyProjection, upTo: number) {
    const rows = new Map<string, { row: unknown; position: number }>();
    let events = 0;
    for (const event of this.#events(projection, 0, upTo)) {
      events++;
      const key = projection.keyOf(event);
      const row = projection.evolve(rows.get(key)?.row ?? null, event);
      // As in the table: an event that yields no row leaves what was there.
      if (row !== null) rows.set(key, { row, position: event.position });
    }
    return { rows, events };
  }

  /** The events a projection handles; others are skipped before their JSON is parsed. */
  *#events(projection: AnyProjection, after: number, upTo: number | undefined) {
    for (const row of this.#reader.rows({ after, ...(upTo === undefined ? {} : { upTo }) })) {
      if (projection.handles.has(row.type)) yield upcast(decodeRow(row), this.#reader.registry);
    }
  }
}

/**
 * Folds events into their rows: each row is read once and written once, however many of the
 * events touch it (an append of a hundred file changes is one row update).
 */
function applyAll(
  projection: AnyProjection,
  table: ProjectionTable<unknown>,
  events: readonly Envelope<AnyEvent>[],
): void {
  const rows = new Map<string, unknown>();
  for (const event of events) {
    if (!projection.handles.has(event.type)) continue;
    const key = projection.keyOf(event);
    const current = rows.has(key) ? rows.get(key) : (table.get(key) ?? null);
    const next = projection.evolve(current ?? null, event);
    // As in the fold: an event that yields no row leaves what was there.
    if (next !== null) rows.set(key, next);
  }
  for (const row of rows.values()) table.put(row);
}
