import type { AnyEvent, Envelope } from '../events/envelope.js';
import { decodeRow, type SqliteEventReader, upcast } from '../stores/sqlite/reader.js';
import type { AnyProjection, ProjectionTable } from './projection.js';

const CATCH_UP_PAGE = 1000;

/**
 * Folds events into their rows in the table: each row is read once and written once, however
 * many of the events touch it (an append of a hundred file changes is one row update).
 */
export function applyAll(
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

/** Applies the events after `from` to the table, a page at a time; call inside a transaction. */
export function catchUp(
  reader: SqliteEventReader,
  projection: AnyProjection,
  table: ProjectionTable<unknown>,
  from: number,
): void {
  // Page by page: SQLite cannot write while a read cursor on the same connection is open.
  for (let after = from; ; ) {
    const page = [...reader.rows({ after, limit: CATCH_UP_PAGE })];
    const last = page.at(-1);
    if (last === undefined) break;
    const handled = page.filter((row) => projection.handles.has(row.type));
    applyAll(
      projection,
      table,
      handled.map((row) => upcast(decodeRow(row), reader.registry)),
    );
    after = last.position;
  }
}
