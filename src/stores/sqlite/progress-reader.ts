import type { EventRegistry } from '../../events/schemas.js';
import type { ReadOptions } from '../../events/store.js';
import type { SqliteDatabase } from './database.js';
import { type EventRow, SqliteEventReader } from './reader.js';

/** How often the rows read are reported (verify's progress line). */
const REPORT_EVERY = 10_000;

/**
 * A reader that says how far it has read, every REPORT_EVERY positions, past the furthest it
 * reported (verify's fold: a snapshot's event read again is not news).
 */
export class ProgressReader extends SqliteEventReader {
  readonly #progress: (position: number) => void;
  #reported = 0;

  constructor(db: SqliteDatabase, registry: EventRegistry, progress: (position: number) => void) {
    super(db, registry);
    this.#progress = progress;
  }

  override *rows(options: ReadOptions = {}): IterableIterator<EventRow> {
    for (const row of super.rows(options)) {
      if (row.position % REPORT_EVERY === 0 && row.position > this.#reported) {
        this.#reported = row.position;
        this.#progress(row.position);
      }
      yield row;
    }
  }
}
