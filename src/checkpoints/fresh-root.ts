import { TreeFrontier } from './merkle-frontier.js';
import { eventLeafHash } from './merkle-hash.js';

/**
 * The root of the tree over events' hex chain hashes computed from scratch, in O(log n)
 * memory: what `verify` compares a stored tree with. Feed it the hashes in position order.
 */
export class FreshRoot {
  readonly #frontier = new TreeFrontier(0, []);

  get size(): number {
    return this.#frontier.size;
  }

  add(hexHashes: readonly string[]): void {
    this.#frontier.append(hexHashes.map(eventLeafHash));
  }

  root(): Buffer {
    return this.#frontier.root();
  }
}
