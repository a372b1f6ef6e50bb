import { nodeHash } from './merkle-hash.js';
import { foldRange, rangeNodes, type StoredNode } from './merkle-nodes.js';
import type { TreePlan } from './merkle-plans.js';

/**
 * The right edge of the tree (a compact range over [0, size)): one complete subtree per set
 * bit of the size, largest first. It is all an append needs, so a store reads these few
 * nodes (or keeps them from its last append) instead of anything proportional to the log.
 */
export class TreeFrontier {
  #size: number;
  readonly #edge: StoredNode[];

  /** `edge` is what `frontierPlan(size)` read: the nodes of rangeNodes([0, size)), in order. */
  constructor(size: number, edge: readonly StoredNode[]) {
    const keys = rangeNodes({ start: 0, end: size });
    const matches =
      edge.length === keys.length &&
      keys.every((key, i) => edge[i]?.level === key.level && edge[i]?.index === key.index);
    if (!matches) throw new Error(`the stored edge of the tree of size ${size} is incomplete`);
    this.#size = size;
    this.#edge = [...edge];
  }

  get size(): number {
    return this.#size;
  }

  /** MTH of the tree so far. */
  root(): Buffer {
    return foldRange(this.#edge.map((node) => node.hash));
  }

  /**
   * Adds leaves (their leaf hashes) at the next indices and returns every node that became
   * complete: each leaf, and each parent whose right child it finished. That is two nodes
   * per leaf amortised, written in the append's own transaction.
   */
  append(leafHashes: readonly Buffer[]): StoredNode[] {
    const written: StoredNode[] = [];
    for (const hash of leafHashes) {
      let node: StoredNode = { level: 0, index: this.#size, hash };
      written.push(node);
      // Equal levels on top of the edge are two halves of a now complete parent.
      for (let left = this.#edge.at(-1); left?.level === node.level; left = this.#edge.at(-1)) {
        this.#edge.pop();
        node = {
          level: node.level + 1,
          index: left.index / 2,
          hash: nodeHash(left.hash, node.hash),
        };
        written.push(node);
      }
      this.#edge.push(node);
      this.#size += 1;
    }
    return written;
  }
}

/** What to read to resume appending to a stored tree of `size` leaves. */
export function frontierPlan(size: number): TreePlan<TreeFrontier> {
  const keys = rangeNodes({ start: 0, end: size });
  return {
    keys,
    finish(hashes) {
      if (hashes.length !== keys.length) {
        throw new Error(`expected ${keys.length} stored tree nodes, got ${hashes.length}`);
      }
      return new TreeFrontier(
        size,
        keys.map((key, i) => ({ ...key, hash: hashes[i] as Buffer })),
      );
    },
  };
}
