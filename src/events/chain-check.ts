import type { EventRow } from './event-row.js';
import { chainHashOf, GENESIS_HASH } from './hash.js';

/** What verify found of the log itself, in either store. */
export interface ChainReport {
  events: number;
  head: number;
  /** The first position whose stored content or hash disagrees with the chain. */
  broken?: { position: number; reason: string };
  /** Append-only triggers that are not in the database. */
  missingTriggers: string[];
  /** Triggers under an append-only trigger's name that no longer refuse what it refused. */
  alteredTriggers: string[];
  /**
   * The last position an idempotency key records, when it is beyond the head: the log lost
   * its tail (the chain of what is left is intact, so only this shows it).
   */
  keysBeyondHead?: number;
}

/**
 * The hash chain checked one stored row at a time, in position order: positions 1, 2, 3, …
 * with no gap, and each hash recomputed from the content and the previous hash. Stops at the
 * first break: every later hash depends on it.
 *
 * The content is hashed as stored: data and meta are the canonical JSON text that was hashed
 * when the event was appended (the stores write that text and keep it as is), so the stored
 * text is not parsed and written again; a stored text that differs from the hashed one in
 * any byte (even one that parses to the same value) is a break.
 */
export class ChainCheck {
  #previous = GENESIS_HASH;
  /** Rows checked and found intact. */
  events = 0;
  /** The last position seen (where a break was found, once broken). */
  head = 0;
  broken: { position: number; reason: string } | undefined;

  /** Checks the next row; false once the chain is broken (read no further). */
  next(row: EventRow): boolean {
    const expected = this.events + 1;
    this.head = row.position;
    if (row.position !== expected) {
      this.broken = {
        position: expected,
        reason: `position ${expected} is missing (next is ${row.position})`,
      };
      return false;
    }
    if (chainHashOf(this.#previous, row, row.data, row.meta) !== row.hash) {
      this.broken = {
        position: row.position,
        reason: 'hash does not match the content and the previous hash',
      };
      return false;
    }
    this.#previous = row.hash;
    this.events++;
    return true;
  }
}
