import type pg from 'pg';
import type { AnyEvent, Envelope } from '../../events/envelope.js';
import { rememberEnvelopeJson } from '../../events/envelope-json.js';
import { StoreUnavailableError } from '../../events/errors.js';
import { decodeRow, type EventRow, rowJson, upcast } from '../../events/event-row.js';
import type { EventVersions } from '../../events/event-types.js';
import type { EnvelopeText, ReadOptions } from '../../events/store.js';

export const EVENT_COLUMNS =
  'position, id, stream, version, type, time, data::text AS data, meta::text AS meta, hash';

/**
 * Events per NDJSON page. At 10,000 a page's rows outlived the young generation: the
 * collector's marking and copying made an export of a million events take 9 s, not 6.
 */
const NDJSON_PAGE = 2_000;

/** Anything that runs a query: the pool, or the client of a transaction. */
export type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Reads the PostgreSQL log by position with optional filters: what the store, the CLI and
 * verify share. Rows come back with data and meta as the stored canonical text.
 */
export class PgEventReader {
  readonly #db: Queryable;
  readonly registry: EventVersions;

  constructor(db: Queryable, registry: EventVersions) {
    this.#db = db;
    this.registry = registry;
  }

  /** Decoded and upcast events (a page: callers pass a limit), in position order. */
  async read(options: ReadOptions = {}): Promise<Envelope<AnyEvent>[]> {
    return (await this.rows(options)).map((row) => {
      const decoded = decodeRow(row);
      const event = upcast(decoded, this.registry);
      if (event === decoded) rememberEnvelopeJson(event, rowJson(row));
      return event;
    });
  }

  /** The events of `read` as JSON text, made from the stored text without decoding it. */
  async readJson(options: ReadOptions = {}): Promise<EnvelopeText[]> {
    return (await this.rows(options)).map((row) => {
      const stored = (JSON.parse(row.meta) as { schemaVersion?: number }).schemaVersion ?? 1;
      const current = this.registry[row.type]?.schemaVersion ?? 1;
      const json =
        stored >= current ? rowJson(row) : JSON.stringify(upcast(decodeRow(row), this.registry));
      return { position: row.position, type: row.type, json };
    });
  }

  /**
   * The events of `readJson` as NDJSON, a page of lines per string: a page of NDJSON_PAGE
   * events per query, each line made from the stored text.
   */
  async *ndjson(options: Omit<ReadOptions, 'limit'> = {}): AsyncGenerator<string> {
    for (let after = options.after ?? 0; ; ) {
      const page = await this.readJson({ ...options, after, limit: NDJSON_PAGE });
      const last = page.at(-1);
      if (last === undefined) return;
      let text = '';
      for (const { json } of page) text += `${json}\n`;
      yield text;
      if (page.length < NDJSON_PAGE) return;
      after = last.position;
    }
  }

  /** The rows exactly as stored. */
  async rows(options: ReadOptions = {}): Promise<EventRow[]> {
    const { after = 0, before, upTo, limit, streams, types } = options;
    const params: unknown[] = [after];
    const where = ['position > $1'];
    if (upTo !== undefined) where.push(`position <= $${params.push(upTo)}`);
    const limited = limit === undefined ? '' : ` LIMIT $${params.push(limit)}`;
    if (before === undefined) {
      if (streams !== undefined) where.push(`stream = ANY($${params.push(streams)}::text[])`);
      if (types !== undefined) where.push(`type = ANY($${params.push(types)}::text[])`);
      const { rows } = await this.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY position${limited}`,
        params,
      );
      return rows;
    }
    // Newest first: one index range per stream (or per type), read backwards from `before`,
    // at most a page each, then merged. `stream = ANY(…) ORDER BY position DESC` would read
    // every event of those streams below `before` and sort them.
    const below = `$${params.push(before)}`;
    where.push(`position < ${below}`);
    const [column, values] =
      streams !== undefined ? ['stream', streams] : types !== undefined ? ['type', types] : [];
    if (streams !== undefined && types !== undefined) {
      where.push(`type = ANY($${params.push(types)}::text[])`);
    }
    const page = (extra = '', order = 'position DESC') =>
      `SELECT ${EVENT_COLUMNS} FROM events WHERE ${[...where, ...(extra ? [extra] : [])].join(' AND ')}
      ORDER BY ${order}${limited}`;
    let sql = page();
    if (column !== undefined && values !== undefined) {
      // `column = v AND position < P` would let the planner walk the primary key back from P
      // when its statistics call v common, reading every other event in between (a large
      // stream whose events lie far below P). Written as a range of (column, position) with
      // the column in the order, only the index on (column, position) gives the order.
      const pages = values.map((value) => {
        const v = `$${params.push(value)}`;
        return page(
          `${column} >= ${v} AND (${column}, position) < (${v}, ${below})`,
          `${column} DESC, position DESC`,
        );
      });
      sql =
        pages.length === 1
          ? (pages[0] as string)
          : `SELECT * FROM (${pages.map((one) => `(${one})`).join(' UNION ALL ')}) page
            ORDER BY position DESC${limited}`;
    }
    const { rows } = await this.query<EventRow>(sql, params);
    return rows;
  }

  /** The position of the last committed event (0 for an empty log). */
  async head(): Promise<number> {
    const { rows } = await this.query<{ position: number }>('SELECT position FROM log_head');
    return rows[0]?.position ?? 0;
  }

  /** A query; a database that cannot be reached is StoreUnavailableError (503). */
  query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
    return queryOrUnavailable<R>(this.#db, sql, params);
  }
}

/** Runs a query; a database that cannot be reached is StoreUnavailableError (503), not a 500. */
export async function queryOrUnavailable<R extends pg.QueryResultRow>(
  db: Queryable,
  sql: string,
  params: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  try {
    return await db.query<R>(sql, params);
  } catch (error) {
    throw unavailableIfConnection(error);
  }
}

// Class 08: connection exceptions; 57P01–57P03: the server is shutting down or not ready.
const CONNECTION_CODES = /^(08|57P0[1-3])/;

/** Whether an error says the database could not be reached (not that a statement was wrong). */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    return CONNECTION_CODES.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(code);
  }
  const message = String((error as Error | null)?.message ?? '');
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
    message,
  );
}

export function unavailableIfConnection(error: unknown): unknown {
  if (!isConnectionError(error)) return error;
  return new StoreUnavailableError(`the log could not be read: ${String(error)}`, {
    cause: error,
  });
}
