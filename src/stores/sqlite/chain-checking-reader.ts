import type { ChainCheck } from '../../events/chain-check.js';
import type { EventRegistry } from '../../events/schemas.js';
import type { ReadOptions } from '../../events/store.js';
import type { SqliteDatabase } from './database.js';
import { type EventRow, SqliteEventReader } from './reader.js';

/** How often the rows read are reported (verify's progress line). */
const REPORT_EVERY = 10_000;

/**
 * A reader that hands every row it reads for the first time, in position order, to a chain
 * check: verify folds the projections and checks the chain in one pass over the log, not two
 * (reading a row costs more than hashing it). Rows read again (a snapshot's event) are not
 * checked twice.
 */
export class ChainCheckingReader extends SqliteEventReader {
  readonly #check: ChainCheck;
  readonly #progress: ((position: number) => void) | undefined;

  constructor(
    db: SqliteDatabase,
    registry: EventRegistry,
    check: ChainCheck,
    progress?: (position: number) => void,
  ) {
    super(db, registry);
    this.#check = check;
    this.#progress = progress;
  }

  override *rows(options: ReadOptions = {}): IterableIterator<EventRow> {
    const check = this.#check;
    for (const row of super.rows(options)) {
      if (row.position > check.head && check.broken === undefined) {
        check.next(row);
        if (row.position % REPORT_EVERY === 0) this.#progress?.(row.position);
      }
      yield row;
    }
  }
}
