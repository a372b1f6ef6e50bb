import { checkedLeafHashBinary, eventLeafHash, nodeHashBinary } from './merkle-hash.js';
import { foldRange } from './merkle-nodes.js';

/** A complete subtree on the right edge: its level (2^level leaves) and its hash, as hex. */
export interface EdgeNode {
  level: number;
  hash: string;
}

/**
 * The root of the tree over events' hex chain hashes computed from scratch, in O(log n)
 * memory: what `verify` compares a stored tree with. Feed it the hashes in position order,
 * or (from several threads) the complete subtrees others computed, left to right.
 *
 * The hashes of merkle-hash.ts in their binary (latin1) form, made for a million leaves: the
 * edge is kept as binary strings, each byte one character, and is hex where it leaves
 * (`edge`, `addSubtree`).
 */
export class FreshRoot {
  /** The complete subtrees, as binary strings. */
  readonly #edge: { level: number; hash: string }[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds leaves by their events' hashes; throws on one that is not 64 lowercase hex digits. */
  add(hexHashes: readonly string[]): void {
    for (const hex of hexHashes) {
      if (!EVENT_HASH.test(hex)) eventLeafHash(hex); // throws, saying what is wrong
      this.addChecked(hex);
    }
  }

  /**
   * Adds one leaf whose hash is known to be 64 lowercase hex digits (the chain recomputed
   * it): `add` without the test, which costs about as much as the leaf's digest.
   */
  addChecked(hex: string): void {
    this.#push(0, checkedLeafHashBinary(hex));
  }

  /**
   * Adds a complete subtree of 2^level leaves that another FreshRoot computed. It must start
   * where this tree ends, at a multiple of its own width (what `edge()` of a run of leaves
   * starting at such a multiple gives): then it is a node of the whole tree.
   */
  addSubtree({ level, hash: hex }: EdgeNode): void {
    if (this.#size % 2 ** level !== 0) {
      throw new Error(`a subtree of 2^${level} leaves cannot start at leaf ${this.#size}`);
    }
    this.#push(level, Buffer.from(hex, 'hex').toString('binary'));
  }

  /** The complete subtrees so far, largest (leftmost) first. */
  edge(): EdgeNode[] {
    return this.#edge.map(({ level, hash }) => ({
      level,
      hash: Buffer.from(hash, 'binary').toString('hex'),
    }));
  }

  root(): Buffer {
    return foldRange(this.#edge.map((node) => Buffer.from(node.hash, 'binary')));
  }

  #push(level: number, digest: string): void {
    let node = { level, hash: digest };
    // Equal levels on top of the edge are two halves of a now complete parent.
    for (let left = this.#edge.at(-1); left?.level === node.level; left = this.#edge.at(-1)) {
      this.#edge.pop();
      node = { level: node.level + 1, hash: nodeHashBinary(left.hash, node.hash) };
    }
    this.#edge.push(node);
    this.#size += 2 ** level;
  }
}

const EVENT_HASH = /^[0-9a-f]{64}$/;
