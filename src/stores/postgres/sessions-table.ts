import type pg from 'pg';
import type { AnyEvent, Envelope } from '../../events/envelope.js';
import type { ReadOptions } from '../../events/store.js';
import { applyAll } from '../../projections/apply-events.js';
import { sessionsProjection } from '../../projections/sessions-projection.js';
import type { SessionState, SessionStatus } from '../../sessions/session.js';
import { type Queryable, queryOrUnavailable } from './reader.js';

const COLUMNS = `id, name, cwd, hostname, platform, "user", status, summary,
  started_at AS "startedAt", ended_at AS "endedAt", last_activity_at AS "lastActivityAt",
  file_changes AS "fileChanges", version, deleted_at AS "deletedAt"`;

// The sessions table's order is SQLite's (BINARY: code point order); the columns are
// COLLATE "C", which orders UTF-8 bytes the same way.
const LIST = `SELECT ${COLUMNS} FROM sessions
  WHERE deleted_at IS NULL AND ($1::text IS NULL OR status = $1) ORDER BY started_at DESC, id`;

const UPSERT = `INSERT INTO sessions
  (id, name, cwd, hostname, platform, "user", status, summary, started_at, ended_at,
   last_activity_at, file_changes, version, deleted_at)
  SELECT id, name, cwd, hostname, platform, "user", status, summary, "startedAt", "endedAt",
    "lastActivityAt", "fileChanges", version, "deletedAt"
  FROM json_to_recordset($1::json) AS r(id text, name text, cwd text, hostname text,
    platform text, "user" text, status text, summary text, "startedAt" text, "endedAt" text,
    "lastActivityAt" text, "fileChanges" integer, version integer, "deletedAt" text)
  ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = excluded.status,
    summary = excluded.summary, ended_at = excluded.ended_at,
    last_activity_at = excluded.last_activity_at, file_changes = excluded.file_changes,
    version = excluded.version, deleted_at = excluded.deleted_at`;

// The changed rows ($1, a JSON list, maybe empty), each version of them with the position
// that made it ($2), and the checkpoint, in one statement.
const WRITE = `WITH upserted AS (${UPSERT}),
  versions AS (INSERT INTO sessions_history (id, position, row)
    SELECT row->>'id', position, row FROM json_to_recordset($2::json) AS h(position bigint, row json))
  INSERT INTO projection_checkpoints (name, version, position) VALUES ($3, $4, $5)
  ON CONFLICT (name) DO UPDATE SET version = excluded.version, position = excluded.position`;

// Each session's last version at or before a position (sessions started later have none).
const AS_OF = `SELECT h.row FROM sessions s CROSS JOIN LATERAL (
    SELECT row FROM sessions_history h WHERE h.id = s.id AND h.position <= $1
    ORDER BY h.position DESC LIMIT 1) h`;

/**
 * The sessions table of SPEC in PostgreSQL, folded by the same `evolve` as in SQLite and
 * updated inside each append's transaction, with its checkpoint: a read after an append sees
 * it, on every node.
 */
export class PgSessions {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /**
   * In the append's transaction: the rows the events touch, read once and written once, and
   * each version of them (one per event) into the history that `asOf` reads.
   */
  async apply(client: Queryable, events: readonly Envelope<AnyEvent>[], head: number) {
    const handled = events.filter((event) => sessionsProjection.handles.has(event.type));
    const rows = new Map<string, SessionState>();
    const versions: Array<{ position: number; row: SessionState }> = [];
    if (handled.length > 0) {
      const keys = [...new Set(handled.map((event) => sessionsProjection.keyOf(event)))];
      const found = await client.query<SessionState>(
        `SELECT ${COLUMNS} FROM sessions WHERE id = ANY($1::text[])`,
        [keys],
      );
      const current = new Map(found.rows.map((row): [string, SessionState] => [row.id, row]));
      for (const event of handled) {
        const key = sessionsProjection.keyOf(event);
        const row = sessionsProjection.evolve(current.get(key) ?? null, event);
        // As in the fold: an event that yields no row leaves what was there.
        if (row === null) continue;
        current.set(key, row);
        rows.set(key, row);
        versions.push({ position: event.position, row });
      }
    }
    const { name, version } = sessionsProjection;
    await client.query(WRITE, [
      JSON.stringify([...rows.values()]),
      JSON.stringify(versions),
      name,
      version,
      head,
    ]);
  }

  /** The table as it was right after `position`, from the history: no fold. */
  async asOf(position: number, status?: SessionStatus): Promise<SessionState[]> {
    const { rows } = await queryOrUnavailable<{ row: SessionState }>(this.#pool, AS_OF, [position]);
    const table = sessionsProjection.inMemory?.(new Map(rows.map(({ row }) => [row.id, row])));
    if (table === undefined) throw new Error('the sessions projection has no in-memory table');
    return table.list(status === undefined ? {} : { status });
  }

  /** The table and the position it reflects, read in one statement (one snapshot). */
  async list(status?: SessionStatus): Promise<{ sessions: SessionState[]; position: number }> {
    const { rows } = await queryOrUnavailable<{ sessions: SessionState[]; position: number }>(
      this.#pool,
      `SELECT coalesce((SELECT json_agg(s) FROM (${LIST}) s), '[]') AS sessions,
        coalesce((SELECT position FROM projection_checkpoints WHERE name = 'sessions'), 0) AS position`,
      [status ?? null],
    );
    const [row] = rows;
    return { sessions: row?.sessions ?? [], position: row?.position ?? 0 };
  }

  async get(id: string): Promise<{ session: SessionState | undefined; position: number }> {
    const { rows } = await queryOrUnavailable<SessionState & { position: number }>(
      this.#pool,
      `SELECT ${COLUMNS}, (SELECT position FROM projection_checkpoints WHERE name = 'sessions')
         AS position FROM sessions WHERE id = $1`,
      [id],
    );
    const [row] = rows;
    if (row === undefined) return { session: undefined, position: await this.position() };
    const { position, ...session } = row;
    return { session, position };
  }

  /** The position the table reflects. */
  async position(): Promise<number> {
    const { rows } = await queryOrUnavailable<{ position: number }>(
      this.#pool,
      "SELECT position FROM projection_checkpoints WHERE name = 'sessions'",
    );
    return rows[0]?.position ?? 0;
  }

  /**
   * At start, with appends held off (the caller holds the log's head): a table of another
   * projection version (or any, with `rebuild`) is emptied and folded again; one behind the
   * head catches up. Returns how many positions were folded.
   */
  async open(
    client: Queryable,
    head: number,
    read: (after: number) => Promise<Envelope<AnyEvent>[]>,
    { rebuild = false } = {},
  ): Promise<{ rebuilt: boolean; caughtUp: number }> {
    const { rows } = await client.query<{ version: number; position: number }>(
      "SELECT version, position FROM projection_checkpoints WHERE name = 'sessions'",
    );
    const checkpoint = rows[0];
    const rebuilt =
      rebuild || (checkpoint !== undefined && checkpoint.version !== sessionsProjection.version);
    // No checkpoint: a new table, or an old log whose table was never filled.
    if (rebuilt || checkpoint === undefined) {
      await client.query('DELETE FROM sessions; DELETE FROM sessions_history');
    }
    let from = rebuilt ? 0 : (checkpoint?.position ?? 0);
    const start = from;
    while (from < head) {
      const page = await read(from);
      const last = page.at(-1);
      if (last === undefined) break;
      await this.apply(client, page, last.position);
      from = last.position;
    }
    if (checkpoint === undefined && from === 0) await this.apply(client, [], 0);
    return { rebuilt, caughtUp: from - start };
  }
}

/**
 * The sessions table as it was right after `position`, folded from the log's first event
 * (what `sessions --db` and verify compare the stored history with).
 */
export async function sessionsAsOf(
  reader: { read(options: ReadOptions): Promise<Envelope<AnyEvent>[]> },
  position: number,
  status?: SessionStatus,
): Promise<SessionState[]> {
  const rows = new Map<string, SessionState>();
  const table = sessionsProjection.inMemory?.(rows);
  if (table === undefined) throw new Error('the sessions projection has no in-memory table');
  for (let after = 0; after < position; ) {
    const page = await reader.read({ after, upTo: position, limit: 1000 });
    const last = page.at(-1);
    if (last === undefined) break;
    applyAll(sessionsProjection, table, page);
    after = last.position;
  }
  return table.list(status === undefined ? {} : { status });
}
