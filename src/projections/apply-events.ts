import type { AnyEvent, Envelope } from '../events/envelope.js';
import { decodeRow, type EventRowReader, upcast } from '../events/event-row.js';
import { READ_PAGE } from '../events/store.js';
import type { AnyProjection, ProjectionTable } from './projection.js';

/** The rows a batch of events leaves, by key, and each version of them with its position. */
export interface EvolvedRows {
  rows: Map<string, unknown>;
  versions: Array<{ position: number; row: unknown }>;
}

/**
 * Folds events into the rows they touch, each row read once (`current`, called once per key)
 * however many of the events touch it: every store applies an append so, and writes the rows
 * once (an append of a hundred file changes is one row update).
 */
export function evolveRows(
  projection: AnyProjection,
  events: readonly Envelope<AnyEvent>[],
  current: (key: string) => unknown,
): EvolvedRows {
  const rows = new Map<string, unknown>();
  const versions: EvolvedRows['versions'] = [];
  for (const event of events) {
    if (!projection.handles.has(event.type)) continue;
    const key = projection.keyOf(event);
    const before = rows.has(key) ? rows.get(key) : (current(key) ?? null);
    const next = projection.evolve(before ?? null, event);
    // As in the fold: an event that yields no row leaves what was there.
    if (next === null) continue;
    rows.set(key, next);
    versions.push({ position: event.position, row: next });
  }
  return { rows, versions };
}

/** Folds events into their rows in the table, each row read once and written once. */
export function applyAll(
  projection: AnyProjection,
  table: ProjectionTable<unknown>,
  events: readonly Envelope<AnyEvent>[],
): void {
  const { rows } = evolveRows(projection, events, (key) => table.get(key));
  for (const row of rows.values()) table.put(row);
}

/** Applies the events after `from` to the table, a page at a time; call inside a transaction. */
export function catchUp(
  reader: EventRowReader,
  projection: AnyProjection,
  table: ProjectionTable<unknown>,
  from: number,
): void {
  // Page by page: SQLite cannot write while a read cursor on the same connection is open.
  for (let after = from; ; ) {
    const page = [...reader.rows({ after, limit: READ_PAGE })];
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
