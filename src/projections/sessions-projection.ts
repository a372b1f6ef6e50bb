import type { Envelope } from '../events/envelope.js';
import { sessionEventTypes } from '../events/schemas.js';
import { wellFormed } from '../events/well-formed.js';
import { evolve, type SessionState, type SessionStatus } from '../sessions/session.js';
import type { SqliteDatabase } from '../stores/sqlite/database.js';
import type { Projection, ProjectionTable } from './projection.js';

export interface SessionsTable extends ProjectionTable<SessionState> {
  /** Sessions not deleted, newest first, optionally of one status. */
  list(filter?: { status?: SessionStatus }): SessionState[];
}

const COLUMNS = `id, name, cwd, hostname, platform, "user", status, summary,
  started_at AS startedAt, ended_at AS endedAt, last_activity_at AS lastActivityAt,
  file_changes AS fileChanges, version, deleted_at AS deletedAt`;

/** The sessions table of SPEC: one row per session, updated in each append's transaction. */
export const sessionsProjection: Projection<SessionState, SessionsTable> = {
  name: 'sessions',
  version: 1,
  handles: new Set(Object.keys(sessionEventTypes)),
  // Rows are what SQLite and PostgreSQL text store: a lone surrogate that an older log holds
  // becomes U+FFFD in the fold as in the table, so a rebuild, a snapshot and verify agree.
  keyOf: (event) => event.stream.toWellFormed(),
  keyOfRow: (row) => row.id,
  // The events this projection handles are exactly the session events.
  evolve: (row, event) => wellFormed(evolve(row, event as Envelope)),

  createTable(db, table) {
    db.exec(`CREATE TABLE ${table} (
      id               TEXT PRIMARY KEY,
      name             TEXT,
      cwd              TEXT NOT NULL,
      hostname         TEXT NOT NULL,
      platform         TEXT NOT NULL,
      "user"           TEXT,
      status           TEXT NOT NULL,
      summary          TEXT,
      started_at       TEXT NOT NULL,
      ended_at         TEXT,
      last_activity_at TEXT NOT NULL,
      file_changes     INTEGER NOT NULL,
      version          INTEGER NOT NULL,
      deleted_at       TEXT
    ) STRICT`);
  },

  createIndexes(db, table) {
    const name = table.replace(/^temp\./, '');
    db.exec(`CREATE INDEX IF NOT EXISTS ${table}_by_start ON ${name} (started_at DESC, id)
      WHERE deleted_at IS NULL`);
  },

  bind(db: SqliteDatabase, table: string): SessionsTable {
    const get = db.prepare(`SELECT ${COLUMNS} FROM ${table} WHERE id = ?`);
    // An upsert, not INSERT OR REPLACE: replacing deletes and reinserts the row, index
    // entries and all, on every event. cwd, hostname, platform, user and started_at are set by
    // SessionStarted and never change (evolve), so an update leaves them alone.
    const put = db.prepare(`INSERT INTO ${table}
      (id, name, cwd, hostname, platform, "user", status, summary, started_at, ended_at,
       last_activity_at, file_changes, version, deleted_at)
      VALUES (@id, @name, @cwd, @hostname, @platform, @user, @status, @summary, @startedAt,
       @endedAt, @lastActivityAt, @fileChanges, @version, @deletedAt)
      ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = excluded.status,
       summary = excluded.summary, ended_at = excluded.ended_at,
       last_activity_at = excluded.last_activity_at, file_changes = excluded.file_changes,
       version = excluded.version, deleted_at = excluded.deleted_at`);
    const rows = db.prepare(`SELECT ${COLUMNS} FROM ${table} ORDER BY id`);
    const listAll = db.prepare(
      `SELECT ${COLUMNS} FROM ${table} WHERE deleted_at IS NULL ORDER BY started_at DESC, id`,
    );
    const listByStatus = db.prepare(
      `SELECT ${COLUMNS} FROM ${table} WHERE deleted_at IS NULL AND status = ? ORDER BY started_at DESC, id`,
    );
    return {
      get: (id) => get.get(id) as SessionState | undefined,
      put: (row) => put.run(row),
      rows: () => rows.iterate() as IterableIterator<SessionState>,
      list: ({ status } = {}) =>
        (status === undefined ? listAll.all() : listByStatus.all(status)) as SessionState[],
    };
  },

  inMemory(rows: Map<string, SessionState>): SessionsTable {
    const sorted = (keep: (row: SessionState) => boolean) =>
      [...rows.values()]
        .filter(keep)
        .sort((a, b) => compareText(b.startedAt, a.startedAt) || compareText(a.id, b.id));
    return {
      get: (id) => rows.get(id),
      put: (row) => rows.set(row.id, row),
      rows: () => [...rows.values()].sort((a, b) => compareText(a.id, b.id)),
      list: ({ status } = {}) =>
        sorted((row) => row.deletedAt === null && (status === undefined || row.status === status)),
    };
  },
};

/**
 * SQLite's BINARY collation, which the table's ORDER BY uses: UTF-8 byte order, which is code
 * point order. JavaScript's `<` compares UTF-16 units, which sorts characters beyond U+FFFF
 * (surrogate pairs) before U+E000–U+FFFF; this corrects for that.
 */
function compareText(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}
