import type { AnyEvent, Envelope, EventMeta } from './envelope.js';
import { rememberEnvelopeJson } from './envelope-json.js';
import type { EventRegistry } from './schemas.js';
import type { SqliteDatabase, Statement } from './sqlite-database.js';
import type { EnvelopeText, ReadOptions } from './store.js';

/** An events row as SQLite holds it: data and meta as JSON text. */
export interface EventRow {
  position: number;
  id: string;
  stream: string;
  version: number;
  type: string;
  time: string;
  data: string;
  meta: string;
  hash: string;
}

/**
 * The envelope's JSON text straight from the stored text: the same as JSON.stringify of the
 * decoded envelope (same keys, same order; data and meta are stored as canonical JSON).
 */
function rowJson(row: EventRow): string {
  const { position, id, stream, version, type, time, data, meta, hash } = row;
  return `{"position":${position},"id":${JSON.stringify(id)},"stream":${JSON.stringify(stream)},"version":${version},"type":${JSON.stringify(type)},"time":${JSON.stringify(time)},"data":${data},"meta":${meta},"hash":${JSON.stringify(hash)}}`;
}

// The envelope's text, made by SQLite in the key order of JSON.stringify(envelope).
const ENVELOPE_TEXT = `position, type,
  coalesce(json_extract(meta, '$.schemaVersion'), 1) AS schemaVersion,
  '{"position":' || position || ',"id":' || json_quote(id) || ',"stream":' || json_quote(stream)
    || ',"version":' || version || ',"type":' || json_quote(type) || ',"time":' || json_quote(time)
    || ',"data":' || data || ',"meta":' || meta || ',"hash":' || json_quote(hash) || '}' AS json`;

interface TextRow {
  position: number;
  type: string;
  schemaVersion: number;
  json: string;
}

/** The stored event as it was written (verify hashes this form). */
export function decodeRow(row: EventRow): Envelope<AnyEvent> {
  return { ...row, data: JSON.parse(row.data), meta: JSON.parse(row.meta) as EventMeta };
}

/** Brings data written under an older schema version up to the current one. */
export function upcast(event: Envelope<AnyEvent>, registry: EventRegistry): Envelope<AnyEvent> {
  const definition = registry[event.type];
  let from = event.meta.schemaVersion;
  if (definition === undefined || from >= definition.schemaVersion) return event;
  let data = event.data;
  for (; from < definition.schemaVersion; from++) {
    const step = definition.upcast?.[from];
    if (step === undefined) {
      throw new Error(
        `${event.type}: no upcaster from schema version ${from} (position ${event.position})`,
      );
    }
    data = step(data);
  }
  return { ...event, data, meta: { ...event.meta, schemaVersion: from } };
}

/**
 * Reads the events table by position with optional filters. One prepared statement per
 * combination of filters, made on first use.
 */
export class SqliteEventReader {
  readonly #db: SqliteDatabase;
  readonly registry: EventRegistry;
  readonly #statements = new Map<string, Statement>();
  readonly #head: Statement;

  constructor(db: SqliteDatabase, registry: EventRegistry) {
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

  /** The rows exactly as stored. */
  rows(options: ReadOptions = {}): IterableIterator<EventRow> {
    const { sql, params } = this.#query(options);
    return this.#statement(sql).iterate(params) as IterableIterator<EventRow>;
  }

  #query(
    options: ReadOptions,
    columns = 'position, id, stream, version, type, time, data, meta, hash',
  ): { sql: string; params: Record<string, unknown> } {
    const { after = 0, upTo, limit, streams, types } = options;
    const where = ['position > @after'];
    if (upTo !== undefined) where.push('position <= @upTo');
    if (streams !== undefined) where.push('stream IN (SELECT value FROM json_each(@streams))');
    if (types !== undefined) where.push('type IN (SELECT value FROM json_each(@types))');
    const sql = `SELECT ${columns} FROM events
      WHERE ${where.join(' AND ')} ORDER BY position${limit === undefined ? '' : ' LIMIT @limit'}`;
    const params: Record<string, unknown> = { after };
    if (upTo !== undefined) params.upTo = upTo;
    if (limit !== undefined) params.limit = limit;
    if (streams !== undefined) params.streams = JSON.stringify(streams);
    if (types !== undefined) params.types = JSON.stringify(types);
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
