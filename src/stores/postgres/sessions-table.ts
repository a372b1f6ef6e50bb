import type pg from 'pg';
import type { AnyEvent, Envelope } from '../../events/envelope.js';
import { READ_PAGE, type ReadOptions } from '../../events/store.js';
import { applyAll, evolveRows } from '../../projections/apply-events.js';
import { inMemoryTable } from '../../projections/in-memory-table.js';
import { type Column, foldCase } from '../../projections/projection.js';
import { sessionsProjection } from '../../projections/sessions-projection.js';
import type { SessionState, SessionStatus } from '../../sessions/session.js';
import type {
  SessionsPageQuery,
  SessionsScan,
  SessionsView,
} from '../../sessions/sessions-view.js';
import { chunkedScan } from '../chunked-scan.js';
import { type Queryable, queryOrUnavailable, unavailableIfConnection } from './reader.js';

const projection = sessionsProjection;
const columns = projection.table.columns as readonly Column<SessionState>[];
const quote = (name: string) => `"${name}"`;
const columnOf = (field: string) => columns.find((c) => c.field === field)?.column ?? field;
const [key] = columns;
const { index, omitted, filter, order } = projection.table.list;
// The table's order is SQLite's (BINARY: code point order): the key and the columns lists
// are ordered by are COLLATE "C", which orders UTF-8 bytes the same way.
const ordered = new Set<string | undefined>([
  key?.field,
  ...order.map((o) => o.field),
  ...projection.table.page.order,
]);
const page = projection.table.page;
const PAGE_ORDER = page.order.map((field) => quote(columnOf(field)));
const PG_TYPES = { text: 'text', integer: 'integer' } as const;

const SELECT = columns
  .map(({ column, field }) =>
    column === field ? quote(column) : `${quote(column)} AS ${quote(field)}`,
  )
  .join(', ');
const ORDER = order
  .map((o) => `${quote(columnOf(o.field))}${o.descending ? ' DESC' : ''}`)
  .join(', ');

/**
 * The sessions table, its history (every version of every row, at the position that made it:
 * asOf reads it) and the projections' checkpoints: this module's part of the migration. The
 * history is json, not jsonb: a row comes back with its keys in the order the table's rows have.
 */
export const SESSIONS_DDL = `
CREATE TABLE IF NOT EXISTS projection_checkpoints (
  name     text PRIMARY KEY,
  version  integer NOT NULL,
  position bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS ${projection.name} (
${columns
  .map(
    (c) =>
      `  ${quote(c.column)} ${PG_TYPES[c.type]}${ordered.has(c.field) ? ' COLLATE "C"' : ''}${c === key ? ' PRIMARY KEY' : c.nullable ? '' : ' NOT NULL'}`,
  )
  .join(',\n')}
);
CREATE INDEX IF NOT EXISTS ${projection.name}_${index} ON ${projection.name} (${ORDER})
  WHERE ${quote(columnOf(omitted))} IS NULL;
CREATE INDEX IF NOT EXISTS ${projection.name}_${page.index} ON ${projection.name}
  (${PAGE_ORDER.map((c) => `${c} DESC`).join(', ')}) WHERE ${quote(columnOf(omitted))} IS NULL;

CREATE TABLE IF NOT EXISTS ${projection.name}_history (
  id       text COLLATE "C" NOT NULL,
  position bigint NOT NULL,
  row      json NOT NULL,
  PRIMARY KEY (id, position)
);
`;

const LIST = `SELECT ${SELECT} FROM sessions
  WHERE ${quote(columnOf(omitted))} IS NULL AND ($1::text[] IS NULL OR ${quote(columnOf(filter))} = ANY($1))
  ORDER BY ${ORDER}`;

/**
 * A page of the table ($1: the limit), with its parameters: the cursor's values, the filter's
 * values, the folded search text. lower() under "C" folds A–Z only, as foldCase does; strpos,
 * not LIKE, so that `%` and `_` are plain characters.
 */
function pageQuery(query: SessionsPageQuery): { sql: string; params: unknown[] } {
  const params: unknown[] = [query.limit];
  const where = [`${quote(columnOf(omitted))} IS NULL`];
  const { after, filter: wanted, search } = query;
  if (after !== undefined) {
    const values = after.map((value) => `$${params.push(value)}`);
    where.push(`(${PAGE_ORDER.join(', ')}) < (${values.join(', ')})`);
  }
  if (wanted !== undefined) {
    where.push(`${quote(columnOf(filter))} = ANY($${params.push(wanted)}::text[])`);
  }
  if (search !== undefined) {
    const at = `$${params.push(foldCase(search))}`;
    const found = page.search.map(
      (field) => `strpos(lower(${quote(columnOf(field))} COLLATE "C"), ${at}) > 0`,
    );
    where.push(`(${found.join(' OR ')})`);
  }
  const sql = `SELECT ${SELECT} FROM sessions WHERE ${where.join(' AND ')}
    ORDER BY ${PAGE_ORDER.map((c) => `${c} DESC`).join(', ')} LIMIT $1`;
  return { sql, params };
}

/** Rows per FETCH of a scan: what one scan holds in memory at once. */
const SCAN_CHUNK = 500;

const UPSERT = `INSERT INTO sessions (${columns.map((c) => quote(c.column)).join(', ')})
  SELECT ${columns.map((c) => quote(c.field)).join(', ')}
  FROM json_to_recordset($1::json) AS r(${columns.map((c) => `${quote(c.field)} ${PG_TYPES[c.type]}`).join(', ')})
  ON CONFLICT (${quote(key?.column ?? 'id')}) DO UPDATE SET ${columns
    .filter((c) => c !== key && !c.fixed)
    .map((c) => `${quote(c.column)} = excluded.${quote(c.column)}`)
    .join(', ')}`;

/** A stored row as JSON with the row's field names, in its field order (what verify compares). */
export const ROW_JSON = `json_build_object(${columns
  .map((c) => `'${c.field}', ${quote(c.column)}`)
  .join(', ')})`;

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
export class PgSessions implements SessionsView {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /**
   * In the append's transaction: the rows the events touch, read once and written once, and
   * each version of them (one per event) into the history that `asOf` reads.
   */
  async apply(client: Queryable, events: readonly Envelope<AnyEvent>[], head: number) {
    const keys = new Set<string>();
    for (const event of events) {
      if (projection.handles.has(event.type)) keys.add(projection.keyOf(event));
    }
    const current = new Map<string, SessionState>();
    if (keys.size > 0) {
      const found = await client.query<SessionState>(
        `SELECT ${SELECT} FROM sessions WHERE id = ANY($1::text[])`,
        [[...keys]],
      );
      for (const row of found.rows) current.set(row.id, row);
    }
    const { rows, versions } = evolveRows(projection, events, (id) => current.get(id));
    const { name, version } = projection;
    await client.query(WRITE, [
      JSON.stringify([...rows.values()]),
      JSON.stringify(versions),
      name,
      version,
      head,
    ]);
  }

  async current(id: string): Promise<SessionState | null> {
    return (await this.get(id)).session ?? null;
  }

  /** The table as it was right after `position`, from the history: no fold. */
  async asOf(position: number, status?: SessionStatus): Promise<SessionState[]> {
    const { rows } = await queryOrUnavailable<{ row: SessionState }>(this.#pool, AS_OF, [position]);
    const table = inMemoryTable(projection, new Map(rows.map(({ row }) => [row.id, row])));
    return table.list(status === undefined ? {} : { status });
  }

  /** The table and the position it reflects, read in one statement (one snapshot). */
  async list(status?: SessionStatus): Promise<{ sessions: SessionState[]; position: number }> {
    const { rows } = await queryOrUnavailable<{ sessions: SessionState[]; position: number }>(
      this.#pool,
      `SELECT coalesce((SELECT json_agg(s) FROM (${LIST}) s), '[]') AS sessions,
        coalesce((SELECT position FROM projection_checkpoints WHERE name = 'sessions'), 0) AS position`,
      [status === undefined ? null : [status]],
    );
    const [row] = rows;
    return { sessions: row?.sessions ?? [], position: row?.position ?? 0 };
  }

  /** The page of the table as it was right after `position`, from the history. */
  async asOfPage(position: number, query: SessionsPageQuery): Promise<SessionState[]> {
    const { rows } = await queryOrUnavailable<{ row: SessionState }>(this.#pool, AS_OF, [position]);
    return inMemoryTable(projection, new Map(rows.map(({ row }) => [row.id, row]))).page(query);
  }

  /** A page and the position it reflects, read in one statement (one snapshot). */
  async page(query: SessionsPageQuery): Promise<{ sessions: SessionState[]; position: number }> {
    const { sql, params } = pageQuery(query);
    const { rows } = await queryOrUnavailable<{ sessions: SessionState[]; position: number }>(
      this.#pool,
      `SELECT coalesce((SELECT json_agg(s) FROM (${sql}) s), '[]') AS sessions,
        coalesce((SELECT position FROM projection_checkpoints WHERE name = 'sessions'), 0) AS position`,
      params,
    );
    const [row] = rows;
    return { sessions: row?.sessions ?? [], position: row?.position ?? 0 };
  }

  /**
   * What `list` answers, through a cursor in a REPEATABLE READ READ ONLY transaction on a
   * client of its own: the checkpoint and every chunk come from one snapshot, and the table
   * is never all in memory.
   */
  async scan(statuses?: readonly SessionStatus[]): Promise<SessionsScan> {
    const client = await this.#pool.connect().catch((error: unknown) => {
      throw unavailableIfConnection(error);
    });
    const release = async (error?: unknown) => {
      await client.query(error === undefined ? 'COMMIT' : 'ROLLBACK').catch(() => {});
      client.release(error instanceof Error ? error : undefined);
    };
    let position: number;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const { rows } = await queryOrUnavailable<{ position: number }>(
        client,
        "SELECT position FROM projection_checkpoints WHERE name = 'sessions'",
      );
      position = rows[0]?.position ?? 0;
      await queryOrUnavailable(client, `DECLARE scan NO SCROLL CURSOR FOR ${LIST}`, [
        statuses ?? null,
      ]);
    } catch (error) {
      await release(error);
      throw error;
    }
    const chunks = chunkedScan(async () => {
      const fetched = await queryOrUnavailable<SessionState>(
        client,
        `FETCH ${SCAN_CHUNK} FROM scan`,
      );
      return fetched.rows;
    }, release);
    return { position, chunks };
  }

  async get(id: string): Promise<{ session: SessionState | undefined; position: number }> {
    const { rows } = await queryOrUnavailable<SessionState & { position: number }>(
      this.#pool,
      `SELECT ${SELECT}, (SELECT position FROM projection_checkpoints WHERE name = 'sessions')
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
      rebuild || (checkpoint !== undefined && checkpoint.version !== projection.version);
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
  const table = inMemoryTable(projection);
  for (let after = 0; after < position; ) {
    const page = await reader.read({ after, upTo: position, limit: READ_PAGE });
    const last = page.at(-1);
    if (last === undefined) break;
    applyAll(projection, table, page);
    after = last.position;
  }
  return table.list(status === undefined ? {} : { status });
}
