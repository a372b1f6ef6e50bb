import type { AnyEvent, Envelope } from '../../events/envelope.js';
import { rememberEnvelopeJson } from '../../events/envelope-json.js';
import { decodeRow, type EventRow, rowJson, upcast } from '../../events/event-row.js';
import type { EventVersions } from '../../events/event-types.js';
import type { EnvelopeText, ReadOptions } from '../../events/store.js';
import type { SqliteDatabase, Statement } from './database.js';

export { decodeRow, type EventRow, upcast } from '../../events/event-row.js';

// The envelope's text, made by SQLite in the key order of JSON.stringify(envelope).
const ENVELOPE_TEXT = `position, type,
  coalesce(json_extract(meta, '$.schemaVersion'), 1) AS schemaVersion,
  '{"position":' || position || ',"id":' || json_quote(id) || ',"stream":' || json_quote(stream)
    || ',"version":' || version || ',"type":' || json_quote(type) || ',"time":' || json_quote(time)
    || ',"data":' || data || ',"meta":' || meta || ',"hash":' || json_quote(hash) || '}' AS json`;

// One line of the NDJSON export per event, the same text as ENVELOPE_TEXT.
const NDJSON_LINE = `'{"position":' || position || ',"id":' || json_quote(id) || ',"stream":' || json_quote(stream)
  || ',"version":' || version || ',"type":' || json_quote(type) || ',"time":' || json_quote(time)
  || ',"data":' || data || ',"meta":' || meta || ',"hash":' || json_quote(hash) || '}' || char(10)`;

/** Events per NDJSON page: one buffer of about 640 KB for the log's typical events (see RANGE). */
const NDJSON_PAGE = 2_000;

interface TextRow {
  position: number;
  type: string;
  schemaVersion: number;
  json: string;
}

/**
 * Reads the events table by position with optional filters. One prepared statement per
 * combination of filters, made on first use.
 */
export class SqliteEventReader {
  readonly #db: SqliteDatabase;
  readonly registry: EventVersions;
  readonly #statements = new Map<string, Statement>();
  readonly #head: Statement;

  constructor(db: SqliteDatabase, registry: EventVersions) {
    this.#db = db;
    this.registry = registry;
    this.#head = db.prepare('SELECT coalesce(max(position), 0) FROM events').pluck();
  }

  /** Decoded and upcast events, lazily, in position order. */
  *iterate(options: ReadOptions = {}): Generator<Envelope<AnyEvent>> {
    for (const row of this.rows(options)) yield upcast(decodeRow(row), this.registry);
  }

  /**
   * Decoded and upcast events, all at once (a page: callers pass a limit). The text of each
   * envelope is assembled from the stored JSON, so a replay need not serialize it again.
   */
  read(options: ReadOptions = {}): Envelope<AnyEvent>[] {
    const { sql, params } = this.#query(options);
    return (this.#statement(sql).all(params) as EventRow[]).map((row) => {
      const decoded = decodeRow(row);
      const event = upcast(decoded, this.registry);
      if (event === decoded) rememberEnvelopeJson(event, rowJson(row));
      return event;
    });
  }

  /**
   * The events of `read` as JSON text, assembled by SQLite from the stored text: one string
   * per event crosses into JavaScript, and nothing is parsed. An event stored under an older
   * schema version is decoded and upcast instead, so the text is always what `read` gives.
   */
  readJson(options: ReadOptions = {}): EnvelopeText[] {
    const { sql, params } = this.#query(options, ENVELOPE_TEXT);
    return (this.#statement(sql).all(params) as TextRow[]).map((row) => {
      const current = this.registry[row.type]?.schemaVersion ?? row.schemaVersion;
      if (row.schemaVersion >= current)
        return { position: row.position, type: row.type, json: row.json };
      const [event] = this.read({ after: row.position - 1, upTo: row.position });
      return { position: row.position, type: row.type, json: JSON.stringify(event) };
    });
  }

  /**
   * The events of `readJson` as NDJSON, a page of lines per buffer, made by SQLite from the
   * stored text and handed over as bytes: no string per event crosses into JavaScript, which
   * is what makes an export of a million events take about a second. The lines are
   * concatenated in the order the subquery yields them (by position: SQLite feeds an
   * aggregate from an ordered subquery with LIMIT in that order; an ORDER BY inside
   * group_concat would sort each page again, at twice the cost). Undefined when the
   * registry has a type at schema version 2 or more: such events may need upcasting, which
   * only `readJson` does.
   */
  ndjson(options: Omit<ReadOptions, 'limit'> = {}): Iterable<Buffer> | undefined {
    if (Object.values(this.registry).some((type) => type.schemaVersion > 1)) return undefined;
    const { sql, params } = this.#query({ ...options, limit: NDJSON_PAGE });
    const statement = this.#statement(
      `SELECT CAST(group_concat(${NDJSON_LINE}, '') AS BLOB), max(position), count(*) FROM (${sql})`,
    ).raw(true);
    return pages(statement, params, options.after ?? 0);
  }

  /** The rows exactly as stored. */
  *rows(options: ReadOptions = {}): IterableIterator<EventRow> {
    const { sql, params } = this.#query(options);
    // Arrays, made objects here: better-sqlite3 makes an array faster than an object, and
    // every fold, rebuild and verify reads each row of the log this way.
    const statement = this.#statement(`${sql} -- raw`).raw(true);
    for (const [position, id, stream, version, type, time, data, meta, hash] of statement.iterate(
      params,
    ) as IterableIterator<[number, string, string, number, string, string, string, string, string]>)
      yield { position, id, stream, version, type, time, data, meta, hash };
  }

  #query(
    options: ReadOptions,
    columns = 'position, id, stream, version, type, time, data, meta, hash',
  ): { sql: string; params: Record<string, unknown> } {
    const { after = 0, before, upTo, limit, streams, types } = options;
    const params: Record<string, unknown> = { after };
    const where = ['position > @after'];
    if (upTo !== undefined) where.push('position <= @upTo');
    if (before !== undefined) where.push('position < @before');
    if (upTo !== undefined) params.upTo = upTo;
    if (before !== undefined) params.before = before;
    if (limit !== undefined) params.limit = limit;
    const limited = limit === undefined ? '' : ' LIMIT @limit';
    if (before === undefined) {
      if (streams !== undefined) where.push('stream IN (SELECT value FROM json_each(@streams))');
      if (types !== undefined) where.push('type IN (SELECT value FROM json_each(@types))');
      if (streams !== undefined) params.streams = JSON.stringify(streams);
      if (types !== undefined) params.types = JSON.stringify(types);
      const sql = `SELECT ${columns} FROM events
      WHERE ${where.join(' AND ')} ORDER BY position${limited}`;
      return { sql, params };
    }
    // Newest first: one index range per stream (or per type), read backwards from `before`,
    // at most a page each, then merged. `stream IN (…) ORDER BY position DESC` would read
    // every event of those streams below `before` and sort them.
    const [column, values] =
      streams !== undefined ? ['stream', streams] : types !== undefined ? ['type', types] : [];
    if (column !== undefined && streams !== undefined && types !== undefined) {
      where.push('type IN (SELECT value FROM json_each(@types))');
      params.types = JSON.stringify(types);
    }
    const page = (extra: string) =>
      `SELECT ${columns} FROM events WHERE ${[...where, ...(extra ? [extra] : [])].join(' AND ')}
      ORDER BY position DESC${limited}`;
    if (column === undefined || values === undefined) return { sql: page(''), params };
    const parts = values.map((value, i) => {
      params[`v${i}`] = value;
      return `SELECT * FROM (${page(`${column} = @v${i}`)})`;
    });
    if (parts.length === 1) return { sql: page(`${column} = @v0`), params };
    const sql = `SELECT * FROM (${parts.join(' UNION ALL ')}) ORDER BY position DESC${limited}`;
    return { sql, params };
  }

  #statement(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  head(): number {
    return this.#head.get() as number;
  }
}

function* pages(
  statement: Statement,
  params: Record<string, unknown>,
  from: number,
): Generator<Buffer> {
  for (let after = from; ; ) {
    const [text, last, count] = statement.get({ ...params, after }) as [Buffer, number, number];
    if (count === 0) return;
    yield text;
    if (count < NDJSON_PAGE) return;
    after = last;
  }
}
