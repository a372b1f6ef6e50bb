import type { EventRow } from './event-row.js';
import { chainHashOf, chainHashOfContent, GENESIS_HASH } from './hash.js';

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

/** Where a chain check starts: after this position, whose stored hash the next one chains from. */
export interface ChainStart {
  position: number;
  hash: string;
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
 *
 * A check may start mid-log (`start`: a segment, checked beside the others in another
 * thread): it chains from the stored hash before it, which the segment before checks.
 */
export class ChainCheck {
  #previous: string;
  readonly #start: number;
  /** Rows checked and found intact. */
  events = 0;
  /** The last position seen (where a break was found, once broken). */
  head: number;
  broken: { position: number; reason: string } | undefined;

  constructor(start: ChainStart = { position: 0, hash: GENESIS_HASH }) {
    this.#previous = start.hash;
    this.#start = start.position;
    this.head = start.position;
  }

  /** Checks the next row; false once the chain is broken (read no further). */
  next(row: EventRow): boolean {
    return (
      this.inOrder(row.position) &&
      this.#matches(row.hash, chainHashOf(this.#previous, row, row.data, row.meta))
    );
  }

  /**
   * Accepts the next row when the content text the database assembled for it (what
   * `chainHashOf` hashes) gives its stored hash: two strings read per event instead of eight.
   * False decides nothing: the caller checks the row with `next`, which has the verdict.
   */
  acceptContent(position: number, hash: string, content: string): boolean {
    if (position !== this.#start + this.events + 1) return false;
    if (chainHashOfContent(this.#previous, content) !== hash) return false;
    this.head = position;
    this.#previous = hash;
    this.events++;
    return true;
  }

  /**
   * Whether the next row read, at `position`, is the one expected; else the chain is broken
   * there (the position before it is missing). Also what a segment says of the row after
   * its end.
   */
  inOrder(position: number): boolean {
    const expected = this.#start + this.events + 1;
    this.head = position;
    if (position === expected) return true;
    this.broken = {
      position: expected,
      reason: `position ${expected} is missing (next is ${position})`,
    };
    return false;
  }

  #matches(stored: string, computed: string): boolean {
    if (computed !== stored) {
      this.broken = {
        position: this.head,
        reason: 'hash does not match the content and the previous hash',
      };
      return false;
    }
    this.#previous = stored;
    this.events++;
    return true;
  }
}
