import { checkedLeafHashBinary, nodeHashBinary } from '../checkpoints/merkle-hash.js';
import type { NodeColumns } from '../stores/log-backend.js';

/**
 * The Merkle tree's nodes over an import's events, batch by batch, as the checked batches
 * come (src/cli/import-check-thread.ts): the nodes TreeFrontier.append makes (RFC 9162 with
 * SHA-256, merkle-hash.ts: each leaf, and each parent its right child completes), hashed for
 * a million leaves in their binary (latin1) form, and sent out in one buffer, not a Buffer
 * per node.
 */
export class ImportTree {
  #size = 0;
  /** The right edge: one complete subtree per set bit of the size, largest first. */
  readonly #edge: { level: number; bytes: string }[] = [];

  /**
   * Adds leaves, each an event's hash (64 lowercase hex digits, checked before). The nodes
   * come level by level, each level's in index order: the order of the table's key, so that
   * the rows one INSERT writes are neighbours (about a sixth less time inserting them).
   */
  append(hexHashes: readonly string[]): NodeColumns {
    // byLevel[l]: the first index and the hashes of the level-l nodes made, in index order.
    const byLevel: { first: number; hashes: string[] }[] = [];
    const made = (level: number, index: number, bytes: string) => {
      const row = byLevel[level];
      if (row === undefined) byLevel[level] = { first: index, hashes: [bytes] };
      else row.hashes.push(bytes);
    };
    for (const hex of hexHashes) {
      let node = { level: 0, bytes: checkedLeafHashBinary(hex) };
      let index = this.#size;
      made(0, index, node.bytes);
      // Equal levels on top of the edge are two halves of a now complete parent.
      for (let left = this.#edge.at(-1); left?.level === node.level; left = this.#edge.at(-1)) {
        this.#edge.pop();
        node = { level: node.level + 1, bytes: nodeHashBinary(left.bytes, node.bytes) };
        index = Math.floor(index / 2);
        made(node.level, index, node.bytes);
      }
      this.#edge.push(node);
      this.#size += 1;
    }
    const count = byLevel.reduce((sum, row) => sum + row.hashes.length, 0);
    const columns = {
      level: new Uint8Array(count),
      index: new Float64Array(count),
      hash: new Uint8Array(count * 32),
    };
    const hashes = Buffer.from(columns.hash.buffer);
    let i = 0;
    byLevel.forEach(({ first, hashes: made }, level) => {
      made.forEach((bytes, k) => {
        columns.level[i] = level;
        columns.index[i] = first + k;
        hashes.write(bytes, i * 32, 'latin1');
        i++;
      });
    });
    return columns;
  }
}
