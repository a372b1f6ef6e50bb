import { deflateSync, inflateSync } from 'node:zlib';
import { wellFormed } from '../../events/well-formed.js';
import type { Fold, FoldedRow } from '../../projections/fold.js';
import type { AnyProjection } from '../../projections/projection.js';
import type { SqliteDatabase, Statement } from './database.js';

// One row per snapshot, its rows as deflated JSON. `hash` is the hash of the event at
// `position`: the log prefix the snapshot was folded from, checked before a snapshot is used.
// `version` is the projection's: a snapshot of another version is never read. `since_full`
// counts the rows stored since the last full snapshot, this one's included (0 for a full
// one), so that deciding the next one's kind reads one row, not the whole chain.
const DDL = `CREATE TABLE IF NOT EXISTS projection_snapshots (
  projection TEXT    NOT NULL,
  version    INTEGER NOT NULL,
  position   INTEGER NOT NULL,
  hash       TEXT    NOT NULL,
  full       INTEGER NOT NULL,
  row_count  INTEGER NOT NULL,
  since_full INTEGER NOT NULL,
  data       BLOB    NOT NULL,
  PRIMARY KEY (projection, version, position)
) STRICT`;

/**
 * zlib's fastest level: on JSON rows it takes about a third of the CPU of the default (6) for
 * about 7 % more bytes, and a snapshot is written every `snapshotEvery` positions, on the
 * event loop, behind the appends. Inflating reads any level: snapshots stored before read on.
 */
const SNAPSHOT_DEFLATE_LEVEL = 1;

/** Positions between snapshots unless a server is told otherwise; a log made by import has it. */
export const SNAPSHOT_EVERY = 1000;

/** One stored snapshot: every row (`full`), or the rows changed since the previous one. */
export interface SnapshotRecord {
  position: number;
  hash: string;
  full: boolean;
  /** Its rows as the JSON text they were stored as (inflated). */
  text: string;
  /** Its rows, decoded from `text`; throws when they cannot be read. */
  rows(): unknown[];
}

export interface SnapshotStats {
  count: number;
  fulls: number;
  rows: number;
  bytes: number;
  latest: number;
}

interface Statements {
  chain: Statement;
  latest: Statement;
  last: Statement;
  hashAt: Statement;
  insert: Statement;
  clear: Statement;
  next: Statement;
  stats: Statement;
}

interface StoredSnapshot {
  position: number;
  hash: string;
  full: number;
  data: Buffer;
}

/** A snapshot of a fold, made and deflated, not yet stored (SnapshotStore.store). */
export interface MadeSnapshot {
  full: boolean;
  rowCount: number;
  /** Rows stored since the last full snapshot, this one's included (0 for a full one). */
  sinceFull: number;
  data: Uint8Array;
}

/**
 * `fold` as the snapshot at its position: the rows changed since the previous snapshot, or
 * every row once the deltas since the last full one (`sinceFull` rows, undefined: no
 * snapshot before) would add up to as many rows as the table has.
 */
export function snapshotOf(fold: Fold, sinceFull: number | undefined): MadeSnapshot {
  const full = sinceFull === undefined || sinceFull + fold.changed.size >= fold.rows.size;
  const rows = full
    ? Array.from(fold.rows.values(), (folded) => folded.row)
    : Array.from(fold.changed, (key) => fold.rows.get(key)?.row);
  return {
    full,
    rowCount: rows.length,
    sinceFull: full ? 0 : (sinceFull ?? 0) + rows.length,
    data: deflateSync(JSON.stringify(rows), { level: SNAPSHOT_DEFLATE_LEVEL }),
  };
}

/**
 * The snapshots of projections, in the log's own file. Derived data: made from the log only,
 * bound to the log prefix they were folded from (hash) and to the projection's version, and
 * removed by rebuild. A snapshot stores the rows changed since the previous one, or every row
 * once the deltas since the last full snapshot add up to as many rows as the table has: so
 * the stored rows never exceed twice the row changes of the log, and loading a state reads
 * at most about twice the table.
 */
export class SnapshotStore {
  readonly #db: SqliteDatabase;
  #sql: Statements | undefined;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    // A read-only connection (verify, the CLI) must not create anything.
    if (!db.readonly) db.exec(DDL);
  }

  /**
   * The rows as of the latest snapshot at or before `upTo`: the last full snapshot, then the
   * deltas after it, in order. Position 0 and no rows when there is none. Throws when the
   * snapshot does not belong to this log's prefix any more, or cannot be decoded.
   */
  load(
    projection: AnyProjection,
    upTo: number,
  ): { position: number; rows: Map<string, FoldedRow> } {
    const rows = new Map<string, FoldedRow>();
    const sql = this.#statements();
    if (sql === undefined) return { position: 0, rows };
    const stored = sql.chain.all({
      name: projection.name,
      version: projection.version,
      upTo,
    }) as StoredSnapshot[];
    const latest = stored.at(-1);
    if (latest === undefined) return { position: 0, rows };
    const hash = sql.hashAt.get(latest.position);
    if (hash !== latest.hash) {
      throw new Error(
        `the ${projection.name} snapshot at position ${latest.position} was not folded from this log`,
      );
    }
    for (const snapshot of stored) {
      for (const row of decode(projection, snapshot)) {
        rows.set(projection.keyOfRow(row), { row, position: snapshot.position });
      }
    }
    return { position: latest.position, rows };
  }

  /** The position of the latest snapshot of the projection's version (0: none). */
  latest(projection: AnyProjection): number {
    return (this.#statements()?.latest.get(projection.name, projection.version) as number) ?? 0;
  }

  /** Stores `fold` as the snapshot at its position: a delta of `fold.changed`, or in full. */
  write(fold: Fold): 'full' | 'delta' {
    const sql = this.#statements();
    if (sql === undefined) throw new Error('no snapshot table on this connection');
    const { projection, position } = fold;
    const last = sql.last.get(projection.name, projection.version) as
      | { sinceFull: number }
      | undefined;
    const made = snapshotOf(fold, last?.sinceFull);
    this.store(projection, { ...made, position, hash: sql.hashAt.get(position) as string });
    return made.full ? 'full' : 'delta';
  }

  /** Stores a snapshot made elsewhere (import's checking thread) of `projection`'s version. */
  store(
    projection: AnyProjection,
    snapshot: MadeSnapshot & { position: number; hash: string },
  ): void {
    const sql = this.#statements();
    if (sql === undefined) throw new Error('no snapshot table on this connection');
    const { position, hash, full, rowCount, sinceFull, data } = snapshot;
    sql.insert.run(
      projection.name,
      projection.version,
      position,
      hash,
      full ? 1 : 0,
      rowCount,
      sinceFull,
      data,
    );
  }

  /** Removes every snapshot of the projection, of every version (rebuild). */
  clear(name: string): void {
    this.#statements()?.clear.run(name);
  }

  /** The snapshot right after `after`, of the projection's version (verify walks them all). */
  next(projection: AnyProjection, after: number): SnapshotRecord | undefined {
    const stored = this.#statements()?.next.get(projection.name, projection.version, after) as
      | StoredSnapshot
      | undefined;
    if (stored === undefined) return undefined;
    const { position, hash, full } = stored;
    let text: string;
    try {
      text = inflateSync(stored.data).toString('utf8');
    } catch (error) {
      throw unreadable(projection, stored, error);
    }
    return {
      position,
      hash,
      full: full === 1,
      text,
      rows: () => decode(projection, stored, text),
    };
  }

  stats(projection: AnyProjection): SnapshotStats {
    const empty = { count: 0, fulls: 0, rows: 0, bytes: 0, latest: 0 };
    return (this.#statements()?.stats.get(projection.name, projection.version) ??
      empty) as SnapshotStats;
  }

  #statements(): Statements | undefined {
    if (this.#sql !== undefined) return this.#sql;
    const exists = this.#db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'projection_snapshots'")
      .get();
    if (exists === undefined) return undefined;
    const where = 'projection = ? AND version = ?';
    this.#sql = {
      chain: this.#db.prepare(`SELECT position, hash, full, data FROM projection_snapshots
        WHERE projection = @name AND version = @version AND position <= @upTo
          AND position >= coalesce((SELECT max(position) FROM projection_snapshots
            WHERE projection = @name AND version = @version AND full = 1 AND position <= @upTo), 0)
        ORDER BY position`),
      latest: this.#db
        .prepare(`SELECT coalesce(max(position), 0) FROM projection_snapshots WHERE ${where}`)
        .pluck(),
      last: this.#db.prepare(`SELECT since_full AS sinceFull FROM projection_snapshots
        WHERE ${where} ORDER BY position DESC LIMIT 1`),
      hashAt: this.#db.prepare('SELECT hash FROM events WHERE position = ?').pluck(),
      insert: this.#db.prepare(`INSERT INTO projection_snapshots
        (projection, version, position, hash, full, row_count, since_full, data)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      clear: this.#db.prepare('DELETE FROM projection_snapshots WHERE projection = ?'),
      next: this.#db.prepare(`SELECT position, hash, full, data FROM projection_snapshots
        WHERE ${where} AND position > ? ORDER BY position LIMIT 1`),
      stats: this.#db.prepare(`SELECT count(*) AS count, coalesce(sum(full), 0) AS fulls,
        coalesce(sum(row_count), 0) AS rows, coalesce(sum(length(data)), 0) AS bytes,
        coalesce(max(position), 0) AS latest FROM projection_snapshots WHERE ${where}`),
    };
    return this.#sql;
  }
}

function decode(projection: AnyProjection, snapshot: StoredSnapshot, text?: string): unknown[] {
  try {
    const rows = JSON.parse(text ?? inflateSync(snapshot.data).toString('utf8')) as unknown[];
    // JSON kept the lone surrogates of a snapshot folded before the log refused them, where
    // the fold and the table now hold U+FFFD, as a database's text stores it.
    return wellFormed(rows);
  } catch (error) {
    throw unreadable(projection, snapshot, error);
  }
}

function unreadable(projection: AnyProjection, snapshot: StoredSnapshot, error: unknown): Error {
  return new Error(
    `the ${projection.name} snapshot at position ${snapshot.position} cannot be read: ${String(error)}`,
  );
}
