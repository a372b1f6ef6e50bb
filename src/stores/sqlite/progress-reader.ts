import type { AnyEvent, EventMeta, ProjectedEvent } from '../../events/envelope.js';
import { type FoldPage, foldedEvent } from '../../events/event-row.js';
import type { EventRegistry } from '../../events/schemas.js';
import type { SqliteDatabase, Statement } from './database.js';
import { SqliteEventReader } from './reader.js';

/** How often the rows read are reported (verify's progress line). */
const REPORT_EVERY = 10_000;

type RawRow = [number, string, number, string, string, string, number | string];

/** The meta nearly every event has: its schema version is 1 without parsing it. */
const PLAIN_META = JSON.stringify({ schemaVersion: 1 });

/**
 * The reader of verify's fold: it says how far it has read, every REPORT_EVERY positions past
 * the furthest it reported (a snapshot's event read again is not news), and reads a page of
 * rows in one call (the fold asks for pages by position): a million rows through a generator
 * cost a tenth of the fold, and an object per row besides the event folded another tenth. It
 * reads what a projection folds (see ProjectedEvent) and no more: not the id, not the hash
 * (the threads that check the chain read it), and not meta when it is exactly PLAIN_META
 * (SQLite compares it); any other meta crosses and is parsed for its schema version, as the
 * fold always did.
 */
export class ProgressReader extends SqliteEventReader {
  readonly #progress: (position: number) => void;
  readonly #page: Statement;
  #reported = 0;

  constructor(db: SqliteDatabase, registry: EventRegistry, progress: (position: number) => void) {
    super(db, registry);
    this.#progress = progress;
    this.#page = db
      .prepare(
        `SELECT position, stream, version, type, time, data, iif(meta = @plain, 1, meta) FROM events
         WHERE position > @after AND position <= @upTo ORDER BY position LIMIT @limit`,
      )
      .raw(true);
  }

  foldPage(
    page: { after: number; upTo: number; limit: number },
    types: ReadonlySet<string>,
  ): FoldPage {
    const rows = this.#page.all({ ...page, plain: PLAIN_META }) as RawRow[];
    const events: ProjectedEvent<AnyEvent>[] = [];
    for (const [position, stream, version, type, time, data, meta] of rows) {
      // A number is PLAIN_META's version: a stored meta never is one (its column has TEXT
      // affinity, which stores a number as text). Any other meta is parsed, as it always was,
      // whether the type is folded or not.
      const from = typeof meta === 'number' ? meta : (JSON.parse(meta) as EventMeta).schemaVersion;
      if (!types.has(type)) continue;
      events.push(foldedEvent(position, stream, version, type, time, data, from, this.registry));
    }
    const last = rows.at(-1)?.[0];
    if (last !== undefined && last >= this.#reported + REPORT_EVERY) {
      this.#reported = last - (last % REPORT_EVERY);
      this.#progress(this.#reported);
    }
    return { events, last };
  }
}
