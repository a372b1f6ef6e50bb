import { TreeFrontier } from './merkle-frontier.js';
import { eventLeafHash } from './merkle-hash.js';

/** How a log's first `size` events compare with a checkpoint of that size. */
export type PrefixOutcome =
  /** The first `size` events have the checkpoint's root: the log extends it. */
  | { kind: 'extends' }
  /** They have another root: some event among them is not what it was. */
  | { kind: 'rewritten' }
  /** The log ends at `events`, before the checkpoint's size. */
  | { kind: 'cut'; events: number }
  /** Position `position` (within the checkpoint) cannot be a leaf: missing, or no valid hash. */
  | { kind: 'broken'; position: number; reason: string };

/**
 * The root of the tree over a log's first `size` events, computed as their hashes stream by
 * (SPEC "Checkpoints and proofs": leaf i is the event at position i + 1), and compared with a
 * checkpoint's. It keeps only the right edge of the tree, O(log n) hashes, never the leaves,
 * and it trusts no stored tree: an auditor checks the events themselves.
 */
export class PrefixRoot {
  readonly size: number;
  readonly #frontier = new TreeFrontier(0, []);
  #broken: { position: number; reason: string } | undefined;

  constructor(size: number) {
    this.size = size;
  }

  /** Leaves so far (the events at positions 1..leaves, when nothing is broken). */
  get leaves(): number {
    return this.#frontier.size;
  }

  /** Whether more events are needed: false once `size` leaves are in or one is broken. */
  get wants(): boolean {
    return this.#broken === undefined && this.#frontier.size < this.size;
  }

  /** The next event in position order; those past `size` are ignored. */
  add(position: number, hash: string): void {
    if (!this.wants) return;
    const expected = this.#frontier.size + 1;
    if (position !== expected) {
      this.#broken = {
        position: expected,
        reason: `position ${expected} is missing (next is ${position})`,
      };
      return;
    }
    let leaf: Buffer;
    try {
      leaf = eventLeafHash(hash);
    } catch (error) {
      this.#broken = { position, reason: (error as Error).message };
      return;
    }
    this.#frontier.append([leaf]);
  }

  /** The outcome once every event up to `size` (or the log's end) was added. */
  compare(root: Uint8Array): PrefixOutcome {
    if (this.#broken !== undefined) return { kind: 'broken', ...this.#broken };
    if (this.#frontier.size < this.size) return { kind: 'cut', events: this.#frontier.size };
    return this.#frontier.root().equals(root) ? { kind: 'extends' } : { kind: 'rewritten' };
  }
}
