import { hash } from 'node:crypto';
import type { NodeColumns } from './import-check-messages.js';

/**
 * The Merkle tree's nodes over an import's events, batch by batch, as the checking thread
 * makes them: the nodes TreeFrontier.append makes (RFC 9162 with SHA-256, merkle-hash.ts:
 * each leaf, and each parent its right child completes), hashed for a million leaves. A
 * one-shot `crypto.hash` into hex over two reused buffers costs less than half of a Hash
 * object per node (Node 20), and the hashes go out in one buffer, not a Buffer per node.
 */
export class ImportTree {
  #size = 0;
  /** The right edge: one complete subtree per set bit of the size, largest first. */
  readonly #edge: { level: number; hex: string }[] = [];
  /** 0x00 ‖ leaf and 0x01 ‖ left ‖ right: RFC 9162's prefixes. */
  readonly #leaf = Buffer.alloc(33, 0);
  readonly #node = Buffer.alloc(65, 1);

  /** Adds leaves, each an event's hash (64 lowercase hex digits, checked before). */
  append(hexHashes: readonly string[]): NodeColumns {
    const levels: number[] = [];
    const indexes: number[] = [];
    const hexes: string[] = [];
    for (const hex of hexHashes) {
      this.#leaf.write(hex, 1, 'hex');
      let node = { level: 0, hex: hash('sha256', this.#leaf, 'hex') };
      let index = this.#size;
      levels.push(0);
      indexes.push(index);
      hexes.push(node.hex);
      // Equal levels on top of the edge are two halves of a now complete parent.
      for (let left = this.#edge.at(-1); left?.level === node.level; left = this.#edge.at(-1)) {
        this.#edge.pop();
        this.#node.write(left.hex, 1, 'hex');
        this.#node.write(node.hex, 33, 'hex');
        node = { level: node.level + 1, hex: hash('sha256', this.#node, 'hex') };
        index = Math.floor(index / 2);
        levels.push(node.level);
        indexes.push(index);
        hexes.push(node.hex);
      }
      this.#edge.push(node);
      this.#size += 1;
    }
    const hashes = Buffer.alloc(hexes.length * 32);
    hexes.forEach((hex, i) => {
      hashes.write(hex, i * 32, 'hex');
    });
    return {
      level: Uint8Array.from(levels),
      index: Float64Array.from(indexes),
      hash: new Uint8Array(hashes.buffer, hashes.byteOffset, hashes.byteLength),
    };
  }
}
