import type { AnyEvent, ProjectedEvent } from '../events/envelope.js';
import { decodeForFold, type EventRowReader, type FoldPage } from '../events/event-row.js';
import { READ_PAGE } from '../events/store.js';
import type { AnyProjection } from './projection.js';

/** A row of a fold, and the last position of the log that changed it (0: not known). */
export interface FoldedRow {
  row: unknown;
  position: number;
}

/**
 * A projection folded in memory: the rows by key, as they are right after `position`. The same
 * fold makes the table on rebuild, the snapshots, `asOf`, and what verify compares them with.
 */
export class Fold {
  readonly projection: AnyProjection;
  readonly rows: Map<string, FoldedRow>;
  /** Keys whose row changed since `changed` was last cleared (the snapshots' deltas). */
  readonly changed = new Set<string>();
  /** The log position the rows reflect. */
  position: number;
  /** Events applied (the projection's types only). */
  events = 0;

  constructor(
    projection: AnyProjection,
    start: { position: number; rows: Map<string, FoldedRow> } = { position: 0, rows: new Map() },
  ) {
    this.projection = projection;
    this.position = start.position;
    this.rows = start.rows;
  }

  apply(event: ProjectedEvent<AnyEvent>): void {
    const key = this.projection.keyOf(event);
    const row = this.projection.evolve(this.rows.get(key)?.row ?? null, event);
    // As in the table: an event that yields no row leaves what was there.
    if (row !== null) {
      this.rows.set(key, { row, position: event.position });
      this.changed.add(key);
    }
    this.position = event.position;
    this.events++;
  }

  /**
   * Folds the log from `position` up to `upTo`, stopping at each of `stops` (ascending, in
   * `(position, upTo]`) with the rows exactly as they were right after that position: every
   * event up to it applied, none after. `atStop` may write to the database: the log is read a
   * page at a time and no cursor is open while it runs. `changed` is cleared after each stop.
   */
  run(
    reader: EventRowReader,
    upTo: number,
    stops: Iterable<number> = [],
    atStop: (position: number) => void = () => {},
  ): this {
    const stepping = this.stepping(stops, atStop);
    for (let after = this.position; after < upTo; ) {
      const { events, last } = this.#page(reader, { after, upTo, limit: READ_PAGE });
      if (last === undefined) break;
      for (const event of events) stepping.apply(event);
      after = last;
    }
    stepping.end(upTo);
    return this;
  }

  /**
   * `run` for a caller that reads the events itself (verify's segments, which read each row
   * once for the chain, the tree and the fold): `apply` each event in position order, then
   * `end` at the last position read; the stops are met as `run` meets them.
   */
  stepping(
    stops: Iterable<number>,
    atStop: (position: number) => void,
  ): { apply(event: ProjectedEvent<AnyEvent>): void; end(upTo: number): void } {
    const pending = stops[Symbol.iterator]();
    let stop = pending.next();
    const reach = (position: number) => {
      for (; !stop.done && stop.value <= position; stop = pending.next()) {
        this.position = Math.max(this.position, stop.value);
        atStop(stop.value);
        this.changed.clear();
      }
    };
    return {
      apply: (event) => {
        reach(event.position - 1);
        this.apply(event);
      },
      end: (upTo) => {
        reach(upTo);
        this.position = Math.max(this.position, upTo);
      },
    };
  }

  /**
   * A page of the events the projection handles: the types it ignores are skipped before
   * their JSON is parsed, and the stops between them see the same rows (nothing changed).
   */
  #page(reader: EventRowReader, page: { after: number; upTo: number; limit: number }): FoldPage {
    const paged = reader.foldPage?.(page, this.projection);
    if (paged !== undefined) return paged;
    const { handles } = this.projection;
    const rows = Array.from(reader.rows(page));
    const events = rows
      .filter((row) => handles.has(row.type))
      .map((row) => decodeForFold(row, reader.registry));
    return { events, last: rows.at(-1)?.position };
  }
}

/** Multiples of `every` in `(after, upTo]`: where snapshots belong. */
export function* multiplesOf(every: number, after: number, upTo: number): Generator<number> {
  if (every <= 0) return;
  for (
    let position = (Math.floor(after / every) + 1) * every;
    position <= upTo;
    position += every
  ) {
    yield position;
  }
}
