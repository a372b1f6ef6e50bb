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
   * come in the order they are made: each leaf, then the parents it completes, lowest first.
   * That is the order of SQLite's key (ends, level), so a batch's rows are appended at the
   * end of the table, never between rows written before (see NodeColumns).
   */
  append(hexHashes: readonly string[]): NodeColumns {
    let count = 0;
    for (let size = this.#size + 1; size <= this.#size + hexHashes.length; size++)
      count += 1 + trailingZeros(size);
    const columns = {
      level: new Uint8Array(count),
      index: new Float64Array(count),
      hash: new Uint8Array(count * 32),
    };
    const hashes = Buffer.from(columns.hash.buffer);
    let i = 0;
    const made = (level: number, index: number, bytes: string) => {
      columns.level[i] = level;
      columns.index[i] = index;
      hashes.write(bytes, i * 32, 'latin1');
      i++;
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
    return columns;
  }
}

/** How many times 2 divides `n` (> 0): the parents the n-th leaf completes. */
function trailingZeros(n: number): number {
  let zeros = 0;
  for (let m = n; m % 2 === 0; m /= 2) zeros++;
  return zeros;
}
